//! python-socketio's `AsyncClient` on aiohttp (pinned in
//! interop/python/requirements.txt) against an in-process `SocketIo`
//! server: events and acks both ways, a server ack answered too late,
//! bytes (nested) in an event to the server and in its ack, bytes decoded
//! into `serde_json::Value` (numbers), the handshake, a server namespace
//! disconnect, middleware refusal with message and data, auth, a dynamic
//! namespace; on polling only, WebSocket only and polling upgraded to
//! WebSocket.
#![cfg(feature = "server")]

mod server_app;

use std::time::Duration;

use server_app::{repo_root, start, App};
use tether_socketio::server::SocketIoConfig;
use tokio::process::Command;

/// Runs interop/python/sio_client.py with the venv's python; its stdout,
/// after checking it exited 0.
async fn python(port: u16, args: &[&str]) -> String {
    let dir = repo_root().join("interop/python");
    let py = dir.join(".venv/bin/python");
    assert!(
        py.exists(),
        "interop/python/.venv is missing: run scripts/interop-setup.sh"
    );
    let output = tokio::time::timeout(
        Duration::from_secs(90),
        Command::new(py)
            .arg(dir.join("sio_client.py"))
            .arg(port.to_string())
            .args(args)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("python client timed out")
    .expect("run python");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "python-socketio {args:?} failed (is python-socketio installed? run \
         scripts/interop-setup.sh):\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// The disconnect reasons the server logged, waiting up to 5 s for `n`.
async fn reasons(app: &App, n: usize) -> Vec<String> {
    for _ in 0..100 {
        let log = app.log.lock().unwrap().clone();
        if log.len() >= n {
            return log;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.log.lock().unwrap().clone()
}

async fn basic(mode: &str, on: &str) {
    let app = start(SocketIoConfig::default()).await;
    let out = python(app.port, &["basic", mode]).await;
    for line in [
        &format!("ok on {on}"),
        "ok text event echoed by a server emit",
        "ok client call() answered with every argument",
        "ok nested bytes back",
        "ok bytes through a Value come back as numbers",
        "ok server ack answered by the client",
        "ok server ack timed out",
        "ok a late ack is dropped, the session goes on",
        "ok query and auth in the handshake",
        "ok server namespace disconnect seen (server disconnect)",
    ] {
        assert!(out.contains(line), "{line}:\n{out}");
    }
    assert_eq!(reasons(&app, 1).await, ["/ server namespace disconnect"]);
}

async fn namespaces(mode: &str, on: &str) {
    let app = start(SocketIoConfig::default()).await;
    let out = python(app.port, &["namespaces", mode]).await;
    for line in [
        "ok middleware refusal with message and data",
        &format!("ok on {on}"),
        "ok three namespace sockets on one session",
        "ok admin accepted with the token",
        "ok dynamic namespace",
        "ok client disconnected",
    ] {
        assert!(out.contains(line), "{line}:\n{out}");
    }
    assert!(app.io.of("/dyn-3").is_some());
    // The refused client's "/" and the accepted client's "/" and "/admin"
    // (the dynamic namespace's handler logs nothing). On polling
    // python-socketio's disconnect() posts its DISCONNECT packets with the
    // Engine.IO CLOSE; on WebSocket it closes the socket before its write
    // loop sends them, so no DISCONNECT arrives (Node's socket.io server
    // sees the same wire and says "transport close" too).
    let why = match mode {
        "polling" => "client namespace disconnect",
        _ => "transport close",
    };
    let mut log = reasons(&app, 3).await;
    log.sort();
    assert_eq!(
        log,
        [
            format!("/ {why}"),
            format!("/ {why}"),
            format!("/admin {why}")
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_basic_polling() {
    basic("polling", "polling").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_basic_websocket() {
    basic("websocket", "websocket").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_basic_across_the_upgrade() {
    basic("upgrade", "websocket").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_namespaces_polling() {
    namespaces("polling", "polling").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_namespaces_websocket() {
    namespaces("websocket", "websocket").await;
}
