//! The official Node `engine.io-client` (6.6, from interop/node's lockfile)
//! against an in-process `EngineServer`: polling only, WebSocket only,
//! polling upgraded to WebSocket, text and binary both ways, payloads at
//! `maxPayload`, heartbeats with short intervals (a client that stops
//! answering is closed on time), 1,000 concurrent sessions, and the server
//! closing sessions.
#![cfg(feature = "server")]

mod support;

use std::time::Duration;

use support::{node, short_heartbeat, start, App};
use tether_engineio::session::SessionConfig;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_polling_only() {
    let server = start(
        App::Echo,
        SessionConfig::default().with_max_payload(100_000),
    )
    .await;
    let out = node(server.port, &["echo", "polling", "100000"]).await;
    assert!(out.contains("ok open on polling sid length 22"), "{out}");
    assert!(
        out.contains("ok echoed 9 messages in order on polling"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_websocket_only() {
    let server = start(
        App::Echo,
        SessionConfig::default().with_max_payload(100_000),
    )
    .await;
    let out = node(server.port, &["echo", "websocket", "100000"]).await;
    assert!(out.contains("ok open on websocket"), "{out}");
    assert!(
        out.contains("ok echoed 9 messages in order on websocket"),
        "{out}"
    );
}

/// engine.io-client's WebSocket (Node `ws`) offers permessage-deflate;
/// with `DeflateConfig` in the server's WebSocket settings it is
/// negotiated, on a WebSocket-only session and after the upgrade, and
/// every message (text and binary up to `maxPayload`) is echoed.
#[cfg(feature = "deflate")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_compressed_with_permessage_deflate() {
    use tether_engineio::server::EngineConfig;
    let defaults = EngineConfig::default();
    let websocket = defaults
        .websocket
        .clone()
        .with_deflate(tether_ws::DeflateConfig::enabled());
    let config = defaults
        .with_session(SessionConfig::default().with_max_payload(100_000))
        .with_websocket(websocket);
    let server = support::start_with(App::Echo, config.clone()).await;
    let out = node(server.port, &["echo", "websocket", "100000"]).await;
    assert!(out.contains("ok extensions [permessage-deflate]"), "{out}");
    assert!(
        out.contains("ok echoed 9 messages in order on websocket"),
        "{out}"
    );
    let server = support::start_with(App::Echo, config).await;
    let out = node(server.port, &["echo", "upgrade", "100000"]).await;
    assert!(out.contains("ok extensions [permessage-deflate]"), "{out}");
    assert!(
        out.contains("ok echoed 13 messages in order on websocket"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn echo_across_the_upgrade() {
    let server = start(
        App::Echo,
        SessionConfig::default().with_max_payload(100_000),
    )
    .await;
    let out = node(server.port, &["echo", "upgrade", "100000"]).await;
    assert!(out.contains("ok open on polling"), "{out}");
    assert!(out.contains("ok upgraded to websocket"), "{out}");
    assert!(
        out.contains("ok echoed 13 messages in order on websocket"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_polling() {
    let server = start(App::Echo, short_heartbeat()).await;
    let out = node(server.port, &["heartbeat", "polling"]).await;
    assert!(out.contains("ok answered"), "{out}");
    assert!(
        out.contains("ok closed by the server when pongs stopped"),
        "{out}"
    );
    assert_eq!(server.closed_reasons().await, ["ping timeout"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heartbeat_websocket() {
    let server = start(App::Echo, short_heartbeat()).await;
    let out = node(server.port, &["heartbeat", "websocket"]).await;
    assert!(
        out.contains("ok closed by the server when pongs stopped"),
        "{out}"
    );
    assert_eq!(server.closed_reasons().await, ["ping timeout"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_concurrent_sessions() {
    let server = start(App::Echo, SessionConfig::default()).await;
    let out = node(server.port, &["many", "1000"]).await;
    assert!(
        out.contains("ok 1000 sessions echoed 20 messages each in order"),
        "{out}"
    );
    // Every session is gone once the clients have closed.
    assert_eq!(server.sessions_left(Duration::from_secs(10)).await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn server_closes_sessions() {
    for mode in ["polling", "websocket"] {
        let server = start(App::CloseOnBye, SessionConfig::default()).await;
        let out = node(server.port, &["server-close", mode]).await;
        assert!(
            out.contains("ok last message then closed by the server"),
            "{mode}: {out}"
        );
        assert_eq!(server.closed_reasons().await, ["forced close"], "{mode}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_aborts_mid_poll_is_closed_on_time() {
    let server = start(App::Echo, short_heartbeat()).await;
    let out = node(server.port, &["abort"]).await;
    assert!(out.contains("ok aborting mid-poll on polling"), "{out}");
    // The aborted GET does not end the session (nothing it would have
    // carried is lost); the heartbeat does, and nothing is left.
    assert_eq!(server.closed_reasons().await, ["ping timeout"]);
    assert_eq!(server.sessions_left(Duration::from_secs(2)).await, 0);
}
