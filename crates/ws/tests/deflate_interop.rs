//! permessage-deflate interop with Python `websockets` and Node `ws`, as
//! client and as server (installed by `scripts/interop-setup.sh`): every
//! combination of no context takeover on either side and window bits 8..15
//! each side the peers support, then compressible and incompressible text
//! and binary from 0 B to 16 MiB (tether sending in 64-byte fragments).

mod common;
mod deflate_common;

use std::time::Duration;

use common::{node_script, python, repo_root, run_peer_client, spawn_peer_server};
use deflate_common::{config, echo_all, echo_server, messages};
use futures::{SinkExt, StreamExt};
use tether_ws::handshake::client::ClientRequest;
use tether_ws::{DeflateConfig, Message};
use tokio::net::TcpListener;

const LIMIT: Duration = Duration::from_secs(300);

/// Window bits Node `ws` is run with (8 included: it compresses 8 as 9, as
/// tether does, which an 8-bit inflater accepts).
const NODE_BITS: &[&str] = &["8", "9", "10", "11", "12", "13", "14", "15"];
/// Window bits Python `websockets` supports (it refuses 8: "must be
/// between 9 and 15").
const PYTHON_BITS: &[&str] = &["9", "10", "11", "12", "13", "14", "15"];

/// A tether echo server accepting permessage-deflate with the client's
/// parameters; returns its URL.
async fn tether_echo_server() -> String {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}/", l.local_addr().expect("addr"));
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = l.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let ws = tether_ws::accept_with_config(tcp, config(DeflateConfig::enabled(), None))
                    .await
                    .expect("handshake");
                assert!(
                    ws.deflate().is_some(),
                    "the peer offered permessage-deflate"
                );
                echo_server(ws).await;
            });
        }
    });
    url
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_against_a_tether_server() {
    let url = tether_echo_server().await;
    let mut cmd = tokio::process::Command::new(python());
    cmd.arg(repo_root().join("interop/python/deflate_client.py"))
        .arg(&url)
        .args(PYTHON_BITS);
    let out = run_peer_client(cmd, LIMIT.as_secs()).await;
    assert_eq!(out.trim(), "ok");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_client_against_a_tether_server() {
    let url = tether_echo_server().await;
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(node_script("deflate_client.mjs"))
        .arg(&url)
        .args(NODE_BITS);
    let out = run_peer_client(cmd, LIMIT.as_secs()).await;
    assert_eq!(out.trim(), "ok");
}

/// Every combination (window bits from `min_bits`) against a peer echo
/// server on `port`, then every size.
async fn against_peer_server(port: u16, min_bits: u8) {
    let url = format!("ws://127.0.0.1:{port}/");
    let mut small = messages(1000);
    let block = deflate_common::random_bytes(20 << 10, 3);
    let repeated = bytes::Bytes::from([block.clone(), block].concat());
    small.push(Message::Binary(repeated.clone()));
    small.push(Message::Binary(repeated));
    for snct in [false, true] {
        for cnct in [false, true] {
            for sb in min_bits..=15u8 {
                for cb in min_bits..=15u8 {
                    let deflate = DeflateConfig::enabled()
                        .with_server_no_context_takeover(snct)
                        .with_client_no_context_takeover(cnct)
                        .with_server_max_window_bits(sb)
                        .with_client_max_window_bits(cb);
                    let request = ClientRequest::new(url.parse().expect("url")).expect("request");
                    let (mut ws, _) =
                        tether_ws::connect_with_config(request, config(deflate, None))
                            .await
                            .expect("handshake");
                    let p = ws.deflate().cloned().expect("negotiated");
                    // What was asked for is granted (a peer may grant more).
                    assert!(p.server_no_context_takeover >= snct, "{p:?}");
                    assert!(p.client_no_context_takeover >= cnct, "{p:?}");
                    assert!(p.server_max_window_bits <= sb, "{p:?}");
                    assert!(p.client_max_window_bits <= cb, "{p:?}");
                    ws.send(Message::text("params?")).await.expect("send");
                    let header = ws.next().await.expect("answer").expect("valid");
                    let Message::Text(header) = header else {
                        panic!("{header:?}")
                    };
                    assert!(header.starts_with("permessage-deflate"), "{header}");
                    echo_all(&mut ws, &small).await;
                    ws.close().await.expect("close");
                }
            }
        }
    }
    let request = ClientRequest::new(url.parse().expect("url")).expect("request");
    let (mut ws, _) =
        tether_ws::connect_with_config(request, config(DeflateConfig::enabled(), Some(64)))
            .await
            .expect("handshake");
    echo_all(&mut ws, &messages(16 << 20)).await;
    ws.close().await.expect("close");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tether_client_against_a_python_server() {
    let mut cmd = tokio::process::Command::new(python());
    // websockets refuses messages of more than 4,096 frames unless told.
    cmd.arg(repo_root().join("interop/python/deflate_server.py"))
        .env("WEBSOCKETS_MAX_FRAGMENTS", "1048576");
    let (_server, port) = spawn_peer_server(cmd).await;
    tokio::time::timeout(LIMIT, against_peer_server(port, 9))
        .await
        .expect("in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tether_client_against_a_node_server() {
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(node_script("deflate_server.mjs"));
    let (_server, port) = spawn_peer_server(cmd).await;
    tokio::time::timeout(LIMIT, against_peer_server(port, 8))
        .await
        .expect("in time");
}
