//! permessage-deflate with context takeover on idle connections: after
//! `DeflateConfig::release_after` without traffic both ends free their zlib
//! state, and the context goes on unbroken (a message that repeats the one
//! before it still compresses to a few back-references, and inflates).

mod common;
mod deflate_common;

use std::sync::atomic::Ordering;
use std::time::Duration;

use deflate_common::config;
use futures::{SinkExt, StreamExt};
use tether_ws::handshake::client::ClientRequest;
use tether_ws::{DeflateConfig, Message};
use tokio::net::TcpListener;

const RELEASE: Duration = Duration::from_millis(30);
/// Long enough past `RELEASE` for the timers of both ends to have fired.
const IDLE: Duration = Duration::from_millis(150);

/// Over TCP, both ends with a 30 ms release, context takeover both ways:
/// a random 16 KiB block (incompressible on its own) is echoed, both ends
/// go idle and release, then the same block is echoed again: it must
/// travel as a few back-references into the window kept across the
/// release, both ways, and come back intact. Repeated for window bits 15
/// and 9 (where the block is far beyond the window and must not refer
/// back), and with the server releasing while the client never does.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_connections_release_their_zlib_state_and_keep_the_context() {
    for (bits, client_release) in [(15u8, Some(RELEASE)), (9, Some(RELEASE)), (15, None)] {
        let deflate = DeflateConfig::enabled()
            .with_server_max_window_bits(bits)
            .with_client_max_window_bits(bits);
        let server_deflate = deflate.clone().with_release_after(Some(RELEASE));
        let client_deflate = deflate.with_release_after(client_release);
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = l.local_addr().expect("addr");
        let server = tokio::spawn(async move {
            let (tcp, _) = l.accept().await.expect("accept");
            let mut ws = tether_ws::accept_with_config(tcp, config(server_deflate, None))
                .await
                .expect("handshake");
            let mut released = 0;
            while let Some(m) = ws.next().await {
                match m.expect("valid") {
                    // Short: sent and answered uncompressed, so asking does
                    // not bring the state back.
                    Message::Text(t) if t.as_str() == "held?" => {
                        let held = ws.connection().holds_compression_state();
                        released += usize::from(!held);
                        ws.send(Message::text(held.to_string()))
                            .await
                            .expect("send");
                    }
                    m @ (Message::Text(_) | Message::Binary(_)) => {
                        ws.send(m).await.expect("send");
                    }
                    _ => {}
                }
            }
            released
        });
        let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let io = deflate_common::Tap::counting(tcp);
        let written = io.written.clone();
        let request =
            ClientRequest::new(format!("ws://{addr}/").parse().expect("url")).expect("request");
        let (mut ws, _) = tether_ws::client_handshake(io, request, config(client_deflate, None))
            .await
            .expect("handshake");
        let block = Message::binary(deflate_common::random_bytes(16 << 10, u64::from(bits)));
        let load = || written.load(Ordering::Relaxed);
        for round in 0..4 {
            let before = load();
            ws.send(block.clone()).await.expect("send");
            let echo = ws.next().await.expect("echo").expect("valid");
            assert_eq!(echo, block, "bits {bits}, round {round}");
            let sent = load() - before;
            if round == 0 || bits < 15 {
                assert!(sent > 16 << 10, "bits {bits}, round {round}: {sent} bytes");
            } else {
                // Repeats the previous message, 16 KiB back: a few hundred
                // bytes of back-references, from the released state too.
                assert!(sent < 1024, "bits {bits}, round {round}: {sent} bytes");
            }
            // Idle: reading with nothing to read runs the timers.
            assert!(tokio::time::timeout(IDLE, ws.next()).await.is_err());
            assert_eq!(
                ws.connection().holds_compression_state(),
                client_release.is_none(),
                "bits {bits}, round {round}: client"
            );
            ws.send(Message::text("held?")).await.expect("send");
            let held = ws.next().await.expect("answer").expect("valid");
            assert_eq!(
                held,
                Message::text("false"),
                "bits {bits}, round {round}: server"
            );
        }
        ws.close().await.expect("close");
        let released = tokio::time::timeout(Duration::from_secs(10), server)
            .await
            .expect("server ends")
            .expect("server");
        assert_eq!(released, 4);
    }
}

/// Without context takeover there is nothing to release: the state is
/// freed at the end of every message whatever `release_after` says.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_context_takeover_nothing_is_held() {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.expect("accept");
        let deflate = DeflateConfig::enabled()
            .with_server_no_context_takeover(true)
            .with_client_no_context_takeover(true)
            .with_release_after(None);
        let ws = tether_ws::accept_with_config(tcp, config(deflate, None))
            .await
            .expect("handshake");
        deflate_common::echo_server(ws).await;
    });
    let request =
        ClientRequest::new(format!("ws://{addr}/").parse().expect("url")).expect("request");
    let (mut ws, _) = tether_ws::connect_with_config(
        request,
        config(DeflateConfig::enabled().with_release_after(None), None),
    )
    .await
    .expect("handshake");
    let text = Message::text(deflate_common::compressible_text(100 << 10));
    deflate_common::echo_all(&mut ws, &[text.clone(), text]).await;
    assert!(!ws.connection().holds_compression_state());
    ws.close().await.expect("close");
    server.await.expect("server");
}
