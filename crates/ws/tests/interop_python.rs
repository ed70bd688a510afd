//! Interop with Python `websockets` (client and server), installed by
//! `scripts/interop-setup.sh` in interop/python/.venv.

mod common;

use bytes::Bytes;
use common::{behaviour_server, python, repo_root, run_peer_client, spawn_peer_server};
use futures::{SinkExt, StreamExt};
use tether_ws::handshake::client::ClientRequest;
use tether_ws::{CloseCode, CloseFrame, Message, MessageConfig, WebSocketConfig};

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
}

fn big_client_config(fragment: Option<usize>) -> WebSocketConfig {
    WebSocketConfig::default().with_message_config(
        MessageConfig::default()
            .with_max_message_size(64 << 20)
            .with_fragment_size(fragment),
    )
}

/// Echo of every size, fragments, ping, order and both close directions
/// against a peer server at `url` that follows the behaviour of
/// `interop/*/ws_server.*`.
pub(crate) async fn exercise_peer_server(url: &str, protocol: &str) {
    let request = ClientRequest::new(url.parse().expect("url"))
        .expect("request")
        .with_protocols(["chat.v1"]);
    let (mut ws, _) = tether_ws::connect_with_config(request, big_client_config(None))
        .await
        .expect("connect");
    assert_eq!(ws.protocol(), Some(protocol));
    for size in [0usize, 1, 125, 126, 127, 65535, 65536, 1 << 20, 16 << 20] {
        let data: Vec<u8> = (0..size).map(|i| (i * 31 + size) as u8).collect();
        ws.send(Message::binary(data.clone())).await.expect("send");
        assert_eq!(
            ws.next().await.expect("open").expect("valid"),
            Message::binary(data)
        );
        let text: String = "é€😀x".chars().cycle().take(size / 3).collect();
        ws.send(Message::text(text.clone())).await.expect("send");
        assert_eq!(
            ws.next().await.expect("open").expect("valid"),
            Message::text(text)
        );
    }
    ws.send(Message::Ping(Bytes::from_static(b"tether ping")))
        .await
        .expect("ping");
    loop {
        match ws.next().await.expect("open").expect("valid") {
            Message::Pong(p) => {
                assert_eq!(&p[..], b"tether ping");
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    for i in 0..500 {
        ws.send(Message::text(format!("seq {i}")))
            .await
            .expect("send");
    }
    for i in 0..500 {
        assert_eq!(
            ws.next().await.expect("open").expect("valid"),
            Message::text(format!("seq {i}"))
        );
    }
    ws.send(Message::Close(Some(CloseFrame::new(
        CloseCode::from(4001),
        "tether bye",
    ))))
    .await
    .expect("close");
    match ws.next().await.expect("open").expect("valid") {
        Message::Close(Some(c)) => assert_eq!(u16::from(c.code), 4001),
        other => panic!("{other:?}"),
    }
    assert!(ws.next().await.is_none());

    // Fragmented sends: 64-byte fragments of a 100 KiB text.
    let (mut ws, _) = tether_ws::connect_with_config(
        ClientRequest::new(url.parse().expect("url"))
            .expect("request")
            .with_protocols(["chat.v1"]),
        big_client_config(Some(64)),
    )
    .await
    .expect("connect");
    let text = "fragments é€😀 ".repeat(5000);
    ws.send(Message::text(text.clone())).await.expect("send");
    assert_eq!(
        ws.next().await.expect("open").expect("valid"),
        Message::text(text)
    );

    // The server closes with a code and reason.
    ws.send(Message::text("close:4002:server bye"))
        .await
        .expect("send");
    match ws.next().await.expect("open").expect("valid") {
        Message::Close(Some(c)) => {
            assert_eq!(u16::from(c.code), 4002);
            assert_eq!(c.reason.as_str(), "server bye");
        }
        other => panic!("{other:?}"),
    }
    assert!(ws.next().await.is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tether_client_against_a_python_server() {
    let mut cmd = tokio::process::Command::new(python());
    cmd.arg(repo_root().join("interop/python/ws_server.py"));
    let (_server, port) = spawn_peer_server(cmd).await;
    exercise_peer_server(&format!("ws://127.0.0.1:{port}/"), "chat.v1").await;
}
