//! permessage-deflate interop with Python `websockets` and Node `ws`, as
//! client and as server (installed by `scripts/interop-setup.sh`): every
//! combination of no context takeover on either side and window bits 8..15
//! each side the peers support, then compressible and incompressible text
//! and binary from 0 B to 16 MiB (tether sending in 64-byte fragments).
//!
//! Then what a server imposes unasked: a tether server configured with each
//! parameter against the peers' clients (offering a bare
//! `client_max_window_bits`, their default, or nothing), and the peers'
//! servers told to impose each parameter (a query string read by their
//! scripts) against the tether client; both ends' views of the parameters
//! in force compared, then messages echoed.

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

/// The configurations a tether server imposes on peer clients, by name:
/// compression refused, nothing imposed, no context takeover on either side
/// and both, then each server and each client window size.
fn imposed_configs() -> Vec<(String, DeflateConfig)> {
    let on = DeflateConfig::enabled;
    let mut out = vec![
        ("off".to_owned(), DeflateConfig::disabled()),
        ("default".to_owned(), on()),
        (
            "snct".to_owned(),
            on().with_server_no_context_takeover(true),
        ),
        (
            "cnct".to_owned(),
            on().with_client_no_context_takeover(true),
        ),
        (
            "nct".to_owned(),
            on().with_server_no_context_takeover(true)
                .with_client_no_context_takeover(true),
        ),
    ];
    for bits in 8..=15u8 {
        out.push((format!("sb{bits}"), on().with_server_max_window_bits(bits)));
    }
    for bits in 8..=15u8 {
        out.push((format!("cb{bits}"), on().with_client_max_window_bits(bits)));
    }
    out
}

/// The configurations a `permessage-deflate` offer without parameters
/// (which does not let the server limit the client's window) is tried
/// against: the other parameters are answered as for the bare offer.
const PLAIN_CONFIGS: &[&str] = &[
    "off", "default", "nct", "cb8", "cb9", "cb10", "cb11", "cb12", "cb13", "cb14", "cb15",
];

/// The cases that also echo 1 MiB messages: with context takeover both
/// ways and without, and the peer compressing with its smallest windows.
/// The others stop at 64 KiB: tether's compressor is slow in debug builds,
/// and four times slower with a 9-bit window than with 15 bits (a 1 MiB
/// echo then takes about 10 s).
const BIG_CASES: &[&str] = &["default-bare", "nct-bare", "cb8-bare", "cb9-bare"];

/// What RFC 7692 puts in force when `server` imposes its parameters on a
/// client offering `permessage-deflate` with, when `bare`, a bare
/// `client_max_window_bits` and nothing else, as the peer scripts print it:
/// "deflate SNCT CNCT SB CB", or "none" when the server declines (it is
/// configured off, or must limit a client that did not offer
/// `client_max_window_bits`: section 7.1.2.2).
fn rfc_view(server: &DeflateConfig, bare: bool) -> String {
    if !server.enabled || (!bare && server.client_max_window_bits < 15) {
        return "none".to_owned();
    }
    format!(
        "deflate {} {} {} {}",
        u8::from(server.server_no_context_takeover),
        u8::from(server.client_no_context_takeover),
        server.server_max_window_bits,
        server.client_max_window_bits
    )
}

/// What a tether server saw of one peer client.
#[derive(Debug)]
struct Seen {
    /// The parameters in force, as [`rfc_view`] writes them.
    view: String,
    /// The text and binary messages echoed.
    echoed: usize,
    /// How the connection ended: `Ok` after the closing handshake.
    end: Result<(), String>,
}

/// A tether echo server imposing `deflate` on the one client it accepts;
/// returns its URL and what it saw.
async fn imposing_server(deflate: DeflateConfig) -> (String, tokio::task::JoinHandle<Seen>) {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}/", l.local_addr().expect("addr"));
    let seen = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.expect("accept");
        let mut ws = match tether_ws::accept_with_config(tcp, config(deflate, None)).await {
            Ok(ws) => ws,
            Err(e) => {
                return Seen {
                    view: format!("handshake failed: {e}"),
                    echoed: 0,
                    end: Err(e.to_string()),
                }
            }
        };
        let view = match ws.deflate() {
            None => "none".to_owned(),
            Some(p) => format!(
                "deflate {} {} {} {}",
                u8::from(p.server_no_context_takeover),
                u8::from(p.client_no_context_takeover),
                p.server_max_window_bits,
                p.client_max_window_bits
            ),
        };
        let mut echoed = 0;
        let mut end = Ok(());
        while let Some(m) = ws.next().await {
            match m {
                Ok(m @ (Message::Text(_) | Message::Binary(_))) => {
                    if let Err(e) = ws.send(m).await {
                        end = Err(e.to_string());
                        break;
                    }
                    echoed += 1;
                }
                Ok(_) => {}
                Err(e) => {
                    end = Err(e.to_string());
                    break;
                }
            }
        }
        Seen { view, echoed, end }
    });
    (url, seen)
}

/// Runs a peer client script over every [`imposed_configs`] entry with the
/// bare offer, the [`PLAIN_CONFIGS`] with the plain one and, for each of
/// `extra` (an offer and configuration names), those (given as
/// `name,offer,max,url` arguments, one tether server each); checks that
/// both ends agree with [`rfc_view`] and echoed every message, or, where
/// `refused` gives a text for a configuration and offer, that the peer
/// refused tether's answer with an error containing it.
async fn imposed_on_peer_client(
    mut cmd: tokio::process::Command,
    extra: &[(&str, &[&str])],
    refused: impl Fn(&str, &str) -> Option<&'static str>,
) {
    let mut cases = Vec::new();
    for (name, deflate) in imposed_configs() {
        let mut offers = vec!["bare"];
        if PLAIN_CONFIGS.contains(&name.as_str()) {
            offers.push("plain");
        }
        for (offer, names) in extra {
            if names.contains(&name.as_str()) {
                offers.push(offer);
            }
        }
        for offer in offers {
            let case = format!("{name}-{offer}");
            let max = if BIG_CASES.contains(&case.as_str()) {
                1 << 20
            } else {
                1 << 16
            };
            let (url, seen) = imposing_server(deflate.clone()).await;
            cmd.arg(format!("{case},{offer},{max},{url}"));
            let want = rfc_view(&deflate, offer != "plain");
            cases.push((case, refused(&name, offer), want, seen));
        }
    }
    let out = run_peer_client(cmd, LIMIT.as_secs()).await;
    assert_eq!(out.lines().last(), Some("ok"), "{out}");
    let lines: std::collections::HashMap<&str, (usize, &str)> = out
        .lines()
        .filter_map(|l| {
            let mut parts = l.strip_prefix("case ")?.splitn(3, ' ');
            let name = parts.next()?;
            let echoed = parts.next()?.parse().ok()?;
            Some((name, (echoed, parts.next()?)))
        })
        .collect();
    for (case, refused, want, seen) in cases {
        let seen = tokio::time::timeout(Duration::from_secs(10), seen)
            .await
            .expect("the tether server is done")
            .expect("join");
        let &(echoed, view) = lines.get(case.as_str()).expect("the peer ran the case");
        // tether's server answers as the RFC says in every case, the ones
        // the peer then refuses included.
        assert_eq!(seen.view, want, "{case}: tether's view");
        match refused {
            Some(error) => {
                assert!(
                    view.starts_with("failed") && view.contains(error),
                    "{case}: {view}"
                );
                // The peer drops the TCP connection without a close.
                assert_eq!((echoed, seen.echoed), (0, 0), "{case}");
                assert!(seen.end.is_err(), "{case}: {seen:?}");
            }
            None => {
                assert_eq!(view, want, "{case}: the peer's view");
                assert!(echoed > 0, "{case}");
                assert_eq!(seen.echoed, echoed, "{case}");
                assert_eq!(seen.end, Ok(()), "{case}");
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tether_server_imposes_on_a_python_client() {
    let mut cmd = tokio::process::Command::new(python());
    cmd.arg(repo_root().join("interop/python/deflate_imposed_client.py"));
    // websockets offers a bare client_max_window_bits, then refuses 8 in
    // the answer (zlib cannot compress raw deflate with a 256-byte window)
    // and fails the handshake.
    imposed_on_peer_client(cmd, &[], |name, offer| {
        (name == "cb8" && offer == "bare").then_some("('client_max_window_bits', '8')")
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tether_server_imposes_on_a_node_client() {
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(node_script("deflate_imposed_client.mjs"));
    // ws accepts a client_no_context_takeover it did not offer, unless told
    // clientNoContextTakeover: false explicitly: then it fails the
    // handshake, though RFC 7692 section 7.1.1.2 lets the server add it
    // ("Unexpected parameter", reported as an invalid header).
    imposed_on_peer_client(
        cmd,
        &[("cnct-false", &["default", "snct", "cnct", "nct"])],
        |name, offer| {
            (offer == "cnct-false" && (name == "cnct" || name == "nct"))
                .then_some("Invalid Sec-WebSocket-Extensions header")
        },
    )
    .await;
}

/// What the tether client sends to peer servers that impose parameters:
/// compressible and incompressible text and binary of each size up to
/// `max`, each up to 16 KiB three times in a row (context takeover), then
/// twice a 20 KiB block repeated.
fn repeated_messages(max: usize) -> Vec<Message> {
    let mut out = Vec::new();
    for (i, n) in [0, 1, 125, 126, 1000, 16 << 10, 64 << 10, 1 << 20]
        .into_iter()
        .filter(|&n| n <= max)
        .enumerate()
    {
        let seed = 0x9E37_79B9_7F4A_7C15 ^ (i as u64);
        let kinds = [
            Message::text(deflate_common::compressible_text(n)),
            Message::text(deflate_common::random_text(n, seed)),
            Message::Binary(deflate_common::compressible_text(n).into_bytes().into()),
            Message::Binary(deflate_common::random_bytes(n, seed).into()),
        ];
        let times = if n <= 16 << 10 { 3 } else { 1 };
        for m in kinds {
            out.extend(std::iter::repeat_n(m, times));
        }
    }
    let block = deflate_common::random_bytes(20 << 10, 3);
    let repeated = bytes::Bytes::from([block.clone(), block].concat());
    out.push(Message::Binary(repeated.clone()));
    out.push(Message::Binary(repeated));
    out
}

/// The parameters in force as a tuple: server and client no context
/// takeover, server and client window bits.
type InForce = (bool, bool, u8, u8);

/// How a handshake with a peer server that imposes parameters ends.
#[derive(Debug, PartialEq, Eq)]
enum Outcome {
    /// permessage-deflate in force with these parameters.
    Deflate(InForce),
    /// The server refused the handshake with this status.
    Refused(u16),
}

/// What the peer deflate servers are told to impose (their query string),
/// what the tether client asks for, and the outcome, for `node` or else
/// Python. The tether client offers `client_max_window_bits` bare when it
/// does not ask for a value, so a server may limit it; a server may add no
/// context takeover either side and `server_max_window_bits` unasked (RFC
/// 7692 section 7.1).
fn peer_server_cases(node: bool) -> Vec<(String, DeflateConfig, Outcome)> {
    use Outcome::Deflate;
    let on = DeflateConfig::enabled;
    // Asked for a smaller window than the server imposes: websockets
    // grants the request; ws cannot accept the offer and refuses the whole
    // handshake ("Invalid or unacceptable Sec-WebSocket-Extensions
    // header") where RFC 7692 would have it go on without compression.
    let smaller = |granted| {
        if node {
            Outcome::Refused(400)
        } else {
            Deflate(granted)
        }
    };
    let mut out = vec![
        (String::new(), on(), Deflate((false, false, 15, 15))),
        ("snct".to_owned(), on(), Deflate((true, false, 15, 15))),
        ("cnct".to_owned(), on(), Deflate((false, true, 15, 15))),
        ("snct&cnct".to_owned(), on(), Deflate((true, true, 15, 15))),
        (
            "snct&sb=10".to_owned(),
            on(),
            Deflate((true, false, 10, 15)),
        ),
        // Asked for, and the server adds more.
        (
            "snct".to_owned(),
            on().with_client_no_context_takeover(true),
            Deflate((true, true, 15, 15)),
        ),
        (
            "sb=10".to_owned(),
            on().with_server_max_window_bits(12),
            Deflate((false, false, 10, 15)),
        ),
        (
            "cb=10".to_owned(),
            on().with_client_max_window_bits(12),
            Deflate((false, false, 15, 10)),
        ),
        (
            "sb=12".to_owned(),
            on().with_server_max_window_bits(10),
            smaller((false, false, 10, 15)),
        ),
        (
            "cb=12".to_owned(),
            on().with_client_max_window_bits(10),
            smaller((false, false, 15, 10)),
        ),
    ];
    // websockets cannot compress with 8 bits (its factory refuses it).
    for bits in if node { 8 } else { 9 }..=15u8 {
        out.push((
            format!("sb={bits}"),
            on(),
            Deflate((false, false, bits, 15)),
        ));
    }
    for bits in 8..=15u8 {
        out.push((
            format!("cb={bits}"),
            on(),
            Deflate((false, false, 15, bits)),
        ));
    }
    out
}

/// Every [`peer_server_cases`] entry against the peer deflate server on
/// `port`: the outcome, the peer's answer, and an echo of
/// [`repeated_messages`] (up to 1 MiB for two cases, 64 KiB otherwise).
async fn imposed_by_peer_server(port: u16, node: bool) {
    let small = repeated_messages(64 << 10);
    let big = repeated_messages(1 << 20);
    for (query, deflate, want) in peer_server_cases(node) {
        let url = format!("ws://127.0.0.1:{port}/?{query}");
        let request = ClientRequest::new(url.parse().expect("url")).expect("request");
        let connected =
            tether_ws::connect_with_config(request, config(deflate.clone(), None)).await;
        let mut ws = match connected {
            Ok((ws, _)) => ws,
            Err(tether_ws::Error::Handshake(tether_ws::HandshakeError::Refused {
                status, ..
            })) => {
                assert_eq!(Outcome::Refused(status.as_u16()), want, "{query:?}");
                continue;
            }
            Err(e) => panic!("{query:?} asked with {deflate:?}: {e}"),
        };
        let p = ws.deflate().expect("negotiated");
        let p = Outcome::Deflate((
            p.server_no_context_takeover,
            p.client_no_context_takeover,
            p.server_max_window_bits,
            p.client_max_window_bits,
        ));
        assert_eq!(p, want, "{query:?} asked with {deflate:?}");
        ws.send(Message::text("params?")).await.expect("send");
        let header = ws.next().await.expect("answer").expect("valid");
        let Message::Text(header) = header else {
            panic!("{header:?}")
        };
        assert!(
            header.starts_with("permessage-deflate"),
            "{query:?}: {header}"
        );
        let sent = if query.is_empty() || query == "snct&cnct" {
            &big
        } else {
            &small
        };
        echo_all(&mut ws, sent).await;
        ws.close().await.expect("close");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_python_server_imposes_on_a_tether_client() {
    let mut cmd = tokio::process::Command::new(python());
    cmd.arg(repo_root().join("interop/python/deflate_server.py"));
    let (_server, port) = spawn_peer_server(cmd).await;
    tokio::time::timeout(LIMIT, imposed_by_peer_server(port, false))
        .await
        .expect("in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_node_server_imposes_on_a_tether_client() {
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(node_script("deflate_server.mjs"));
    let (_server, port) = spawn_peer_server(cmd).await;
    tokio::time::timeout(LIMIT, imposed_by_peer_server(port, true))
        .await
        .expect("in time");
}
