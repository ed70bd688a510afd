//! Interop with Node `ws` (client and server), installed by
//! `scripts/interop-setup.sh` in interop/node/node_modules, and 1,000
//! concurrent Node clients exchanging messages with a tether server.

mod common;

use common::{
    behaviour_server, exercise_peer_server, node_script, run_peer_client, spawn_peer_server,
};
use futures::{SinkExt, StreamExt};
use tether_ws::Message;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn node_client_against_a_tether_server() {
    let (addr, events) = behaviour_server().await;
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(node_script("ws_client.mjs"))
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
async fn tether_client_against_a_node_server() {
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(node_script("ws_server.mjs"));
    let (_server, port) = spawn_peer_server(cmd).await;
    exercise_peer_server(&format!("ws://127.0.0.1:{port}/"), "chat.v1").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_thousand_node_clients_none_lost_or_reordered() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let served = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let count = served.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let count = count.clone();
            tokio::spawn(async move {
                let Ok(mut ws) = tether_ws::accept(tcp).await else {
                    return;
                };
                while let Some(Ok(m)) = ws.next().await {
                    if let m @ (Message::Text(_) | Message::Binary(_)) = m {
                        count.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        if ws.send(m).await.is_err() {
                            break;
                        }
                    }
                }
            });
        }
    });
    let mut cmd = tokio::process::Command::new("node");
    cmd.arg(node_script("many_clients.mjs"))
        .arg(format!("ws://{addr}/"))
        .arg("1000")
        .arg("20");
    let out = run_peer_client(cmd, 90).await;
    assert_eq!(out.trim(), "ok 20000");
    assert_eq!(served.load(std::sync::atomic::Ordering::Relaxed), 20_000);
}
