//! Interop with Python `websockets` (client and server), installed by
//! `scripts/interop-setup.sh` in interop/python/.venv.

mod common;

use common::{
    behaviour_server, exercise_peer_server, python, repo_root, run_peer_client, spawn_peer_server,
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_client_against_a_tether_server() {
    let (addr, events) = behaviour_server().await;
    let mut cmd = tokio::process::Command::new(python());
    cmd.arg(repo_root().join("interop/python/ws_client.py"))
        .arg(format!("ws://{addr}/"));
    let out = run_peer_client(cmd, 120).await;
    assert_eq!(out.trim(), "ok");
    let events = events.lock().expect("lock").clone();
    assert!(
        events.contains(&"close Some(4001)".to_owned()),
        "{events:?}"
    );
    assert!(!events.iter().any(|e| e.starts_with("error")), "{events:?}");
    assert!(events.contains(&"refused".to_owned()), "{events:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tether_client_against_a_python_server() {
    let mut cmd = tokio::process::Command::new(python());
    cmd.arg(repo_root().join("interop/python/ws_server.py"));
    let (_server, port) = spawn_peer_server(cmd).await;
    exercise_peer_server(&format!("ws://127.0.0.1:{port}/"), "chat.v1").await;
}
