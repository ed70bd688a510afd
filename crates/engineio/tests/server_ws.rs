//! The WebSocket transport and the upgrade against a raw peer (tether-ws's
//! client speaking Engine.IO by hand): each step of the upgrade, a client
//! that stops at any step, a second WebSocket, polling after the upgrade,
//! and a message over `maxPayload`.
#![cfg(feature = "server")]

mod support;

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use support::{start, App};
use tether_engineio::session::SessionConfig;
use tether_ws::{CloseCode, Message, MessageConfig, WebSocketConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

type Ws = tether_ws::WebSocketStream<tether_ws::MaybeTlsStream>;

async fn http(port: u16, method: &str, query: &str, body: &str) -> (u16, String) {
    let mut s = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let req = format!(
        "{method} /engine.io/?{query} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    s.write_all(req.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), s.read_to_end(&mut raw))
        .await
        .expect("an answer")
        .unwrap();
    let text = String::from_utf8(raw).unwrap();
    let status = text[9..12].parse().unwrap();
    let body = text.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, body)
}

async fn handshake(port: u16) -> String {
    let (status, body) = http(port, "GET", "EIO=4&transport=polling", "").await;
    assert_eq!(status, 200);
    let json: serde_json::Value = serde_json::from_str(&body[1..]).unwrap();
    json["sid"].as_str().unwrap().to_owned()
}

async fn open_ws(port: u16, sid: Option<&str>) -> Result<Ws, tether_ws::Error> {
    let mut url = format!("ws://127.0.0.1:{port}/engine.io/?EIO=4&transport=websocket");
    if let Some(sid) = sid {
        url.push_str("&sid=");
        url.push_str(sid);
    }
    let config = WebSocketConfig::default()
        .with_message_config(MessageConfig::default().with_max_message_size(1 << 24));
    let request = tether_ws::handshake::client::ClientRequest::new(url.parse().unwrap()).unwrap();
    tether_ws::connect_with_config(request, config)
        .await
        .map(|(ws, _)| ws)
}

async fn next_text(ws: &mut Ws) -> String {
    loop {
        let m = tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("a message")
            .expect("open")
            .expect("valid");
        match m {
            Message::Text(t) => return t.to_string(),
            Message::Binary(b) => return format!("<binary {}>", b.len()),
            _ => {}
        }
    }
}

/// The close code the server ends `ws` with.
async fn close_code(ws: &mut Ws) -> Option<CloseCode> {
    loop {
        match tokio::time::timeout(Duration::from_secs(5), ws.next())
            .await
            .expect("closed in time")
        {
            Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code),
            Some(Ok(_)) => {}
            Some(Err(_)) | None => return None,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrade_step_by_step() {
    let server = start(App::Echo, SessionConfig::default()).await;
    let port = server.port;
    let sid = handshake(port).await;
    let q = format!("EIO=4&transport=polling&sid={sid}");
    // A GET waits while the WebSocket arrives.
    let q2 = q.clone();
    let pending = tokio::spawn(async move { http(port, "GET", &q2, "").await });
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut ws = open_ws(port, Some(&sid)).await.unwrap();
    // Messages echoed now still go by polling: the probe has not come.
    ws.send(Message::text("2probe")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "3probe");
    // The waiting GET is answered with a noop.
    assert_eq!(pending.await.unwrap(), (200, "6".to_owned()));
    // Messages sent by the client over polling during the upgrade: their
    // echoes wait for the WebSocket.
    assert_eq!(
        http(port, "POST", &q, "4one\x1e4two").await,
        (200, "ok".to_owned())
    );
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(http(port, "GET", &q, "").await, (200, "6".to_owned()));
    ws.send(Message::text("5")).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "4one");
    assert_eq!(next_text(&mut ws).await, "4two");
    ws.send(Message::text("4three")).await.unwrap();
    ws.send(Message::binary(vec![1u8, 2, 3])).await.unwrap();
    assert_eq!(next_text(&mut ws).await, "4three");
    assert_eq!(next_text(&mut ws).await, "<binary 3>");
    // Polling is over for this session.
    let (status, body) = http(port, "GET", &q, "").await;
    assert_eq!(
        (status, body.as_str()),
        (400, r#"{"code":3,"message":"Bad request"}"#)
    );
    // So is a second upgrade.
    assert!(open_ws(port, Some(&sid)).await.is_err());
    ws.close().await.unwrap();
    assert_eq!(server.closed_reasons().await, ["transport close"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_websocket_during_an_upgrade_is_refused() {
    let server = start(App::Echo, SessionConfig::default()).await;
    let sid = handshake(server.port).await;
    let _first = open_ws(server.port, Some(&sid)).await.unwrap();
    let second = open_ws(server.port, Some(&sid)).await;
    assert!(
        second.is_err(),
        "the second WebSocket is refused at the handshake"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upgrades_that_never_finish_lose_only_the_probe() {
    let session = SessionConfig::default().with_upgrade_timeout(Duration::from_millis(300));
    let server = start(App::Echo, session).await;
    let port = server.port;
    // Stops before the probe, then after it.
    for steps in 0..2 {
        let sid = handshake(port).await;
        let q = format!("EIO=4&transport=polling&sid={sid}");
        let mut ws = open_ws(port, Some(&sid)).await.unwrap();
        if steps == 1 {
            ws.send(Message::text("2probe")).await.unwrap();
            assert_eq!(next_text(&mut ws).await, "3probe");
        }
        // The server closes the probe after the upgrade timeout.
        assert_eq!(close_code(&mut ws).await, Some(CloseCode::Normal));
        // The session goes on over polling, whatever was queued included.
        assert_eq!(http(port, "POST", &q, "4still here").await.1, "ok");
        assert_eq!(
            http(port, "GET", &q, "").await,
            (200, "4still here".to_owned())
        );
        // And a new upgrade may start.
        let mut again = open_ws(port, Some(&sid)).await.unwrap();
        again.send(Message::text("2probe")).await.unwrap();
        assert_eq!(next_text(&mut again).await, "3probe");
    }
    assert_eq!(server.engine.session_count(), 2);
    // A probe that sends anything else is closed too.
    let sid = handshake(port).await;
    let mut ws = open_ws(port, Some(&sid)).await.unwrap();
    ws.send(Message::text("4not a probe")).await.unwrap();
    assert!(close_code(&mut ws).await.is_some());
    assert_eq!(server.engine.session_count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_over_max_payload_closes_with_1009() {
    let server = start(App::Echo, SessionConfig::default().with_max_payload(1000)).await;
    let mut ws = open_ws(server.port, None).await.unwrap();
    let open = next_text(&mut ws).await;
    assert!(
        open.starts_with("0{") && open.contains(r#""upgrades":[]"#),
        "{open}"
    );
    ws.send(Message::text(format!("4{}", "y".repeat(999))))
        .await
        .unwrap();
    assert_eq!(next_text(&mut ws).await.len(), 1000);
    ws.send(Message::text(format!("4{}", "z".repeat(1000))))
        .await
        .unwrap();
    assert_eq!(close_code(&mut ws).await, Some(CloseCode::MessageTooBig));
    assert_eq!(server.closed_reasons().await, ["transport error"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_packets_on_websocket_close_the_session() {
    let server = start(App::Echo, SessionConfig::default()).await;
    let mut ws = open_ws(server.port, None).await.unwrap();
    next_text(&mut ws).await;
    ws.send(Message::text("9what")).await.unwrap();
    assert_eq!(close_code(&mut ws).await, Some(CloseCode::ProtocolError));
    assert_eq!(server.closed_reasons().await, ["parse error"]);
}
