//! `python-engineio`'s client (pinned in interop/python/requirements.txt)
//! against an in-process `EngineServer`: polling only, WebSocket only, and
//! polling upgraded to WebSocket, text and binary echoed in order at
//! `maxPayload`; heartbeats with short intervals (a client that stops
//! answering is closed on time), concurrent sessions, and the server
//! closing sessions.
#![cfg(feature = "server")]

mod support;

use std::time::Duration;

use support::{python, python_more, short_heartbeat, start, App};
use tether_engineio::session::SessionConfig;

async fn echo(mode: &str, ends_on: &str) {
    let server = start(
        App::Echo,
        SessionConfig::default().with_max_payload(100_000),
    )
    .await;
    let out = python(server.port, &[mode, "100000"]).await;
    assert!(
        out.contains("ok connected on") && out.contains("sid length 22"),
        "{out}"
    );
    assert!(
        out.contains(&format!("ok echoed 6 messages in order on {ends_on}")),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_polling_only() {
    echo("polling", "polling").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_websocket_only() {
    echo("websocket", "websocket").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_upgrade() {
    echo("upgrade", "websocket").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_heartbeat() {
    for mode in ["polling", "websocket"] {
        let server = start(App::Echo, short_heartbeat()).await;
        let out = python_more(server.port, &["heartbeat", mode]).await;
        assert!(
            out.contains("ok closed by the server when pongs stopped"),
            "{mode}: {out}"
        );
        assert_eq!(server.closed_reasons().await, ["ping timeout"], "{mode}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_server_closes_sessions() {
    for mode in ["polling", "websocket"] {
        let server = start(App::CloseOnBye, SessionConfig::default()).await;
        let out = python_more(server.port, &["server-close", mode]).await;
        assert!(
            out.contains("ok last message then closed by the server"),
            "{mode}: {out}"
        );
        assert_eq!(server.closed_reasons().await, ["forced close"], "{mode}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_many_sessions() {
    let server = start(App::Echo, SessionConfig::default()).await;
    let out = python_more(server.port, &["many", "1000"]).await;
    assert!(
        out.contains("ok 1000 sessions echoed 10 messages each in order"),
        "{out}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_that_aborts_mid_poll_is_closed_on_time() {
    let server = start(App::Echo, short_heartbeat()).await;
    let out = python_more(server.port, &["abort"]).await;
    assert!(out.contains("ok aborting mid-poll on polling"), "{out}");
    assert_eq!(server.closed_reasons().await, ["ping timeout"]);
    assert_eq!(server.sessions_left(Duration::from_secs(2)).await, 0);
}
