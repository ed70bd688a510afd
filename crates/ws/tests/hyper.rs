//! hyper 1 integration: a WebSocket upgrade and plain HTTP on one port.
#![cfg(feature = "hyper")]

use std::convert::Infallible;

use futures::{SinkExt, StreamExt};
use http_body_util::Full;
use hyper::body::{Bytes, Incoming};
use hyper::service::service_fn;
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tether_ws::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn handle(mut req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    if !tether_ws::is_upgrade_request(&req) {
        return Ok(Response::new(Full::new(Bytes::from_static(b"plain http"))));
    }
    match tether_ws::upgrade::<_, Full<Bytes>>(&mut req) {
        Ok((response, upgrade)) => {
            tokio::spawn(async move {
                let mut ws = upgrade.await.expect("upgraded");
                while let Some(message) = ws.next().await {
                    let message = message.expect("valid");
                    if !message.is_control() {
                        ws.send(message).await.expect("echo");
                    }
                }
            });
            Ok(response)
        }
        Err(e) => {
            let mut r = Response::new(Full::new(Bytes::from(format!("{e}"))));
            *r.status_mut() = e.status().unwrap_or(StatusCode::BAD_REQUEST);
            Ok(r)
        }
    }
}

#[tokio::test]
async fn websocket_and_http_on_one_port() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let (tcp, _) = listener.accept().await.expect("accept");
            tokio::spawn(async move {
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service_fn(handle))
                    .with_upgrades()
                    .await;
            });
        }
    });

    let (mut ws, response) = tether_ws::connect(&format!("ws://{addr}/ws"))
        .await
        .expect("connect");
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    for text in ["one", "two", &"x".repeat(100_000)] {
        ws.send(Message::text(text)).await.expect("send");
        assert_eq!(
            ws.next().await.expect("open").expect("valid"),
            Message::text(text)
        );
    }
    ws.close().await.expect("close");

    // Plain HTTP on the same port.
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.expect("read");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200 OK"), "{answer}");
    assert!(answer.ends_with("plain http"));

    // An upgrade request with a bad version gets the handler's 426.
    let mut tcp = TcpStream::connect(addr).await.expect("connect");
    tcp.write_all(
        b"GET /ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
          Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 7\r\n\
          Connection: close\r\n\r\n",
    )
    .await
    .expect("write");
    let mut answer = Vec::new();
    tcp.read_to_end(&mut answer).await.expect("read");
    assert!(String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 426"));
}
