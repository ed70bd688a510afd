//! `python-engineio`'s client (pinned in interop/python/requirements.txt)
//! against an in-process `EngineServer`: polling only, WebSocket only, and
//! polling upgraded to WebSocket, text and binary echoed in order at
//! `maxPayload`.
#![cfg(feature = "server")]

mod support;

use support::{python, start, App};
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
