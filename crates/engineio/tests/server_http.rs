//! The server against a raw HTTP peer: the handshake, every error code of
//! the reference with its status and JSON body, polling limits (413 before
//! the excess is buffered), overlapping requests, an aborted `GET`, CORS,
//! the cookie, and bad packets.
#![cfg(feature = "server")]

mod support;

use std::time::Duration;

use support::{start, start_with, App};
use tether_engineio::server::{Cookie, Cors, EngineConfig};
use tether_engineio::session::SessionConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

#[derive(Debug)]
struct Reply {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl Reply {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Sends one request on a new connection (`Connection: close`) and reads
/// the whole answer.
async fn request(
    port: u16,
    method: &str,
    target: &str,
    headers: &[(&str, &str)],
    body: &[u8],
) -> Reply {
    let mut stream = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut head =
        format!("{method} {target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if method == "POST"
        && !headers
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case("transfer-encoding"))
    {
        head.push_str(&format!("Content-Length: {}\r\n", body.len()));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    stream.write_all(body).await.unwrap();
    read_reply(&mut stream).await
}

async fn read_reply(stream: &mut TcpStream) -> Reply {
    let mut raw = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), stream.read_to_end(&mut raw))
        .await
        .expect("no answer")
        .unwrap();
    let text = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").expect("a whole head");
    let mut lines = head.lines();
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect();
    Reply {
        status,
        headers,
        body: body.to_owned(),
    }
}

async fn get(port: u16, query: &str) -> Reply {
    request(port, "GET", &format!("/engine.io/?{query}"), &[], b"").await
}

async fn post(port: u16, query: &str, body: &[u8]) -> Reply {
    request(
        port,
        "POST",
        &format!("/engine.io/?{query}"),
        &[("Content-Type", "text/plain;charset=UTF-8")],
        body,
    )
    .await
}

/// A polling handshake; the session id.
async fn handshake(port: u16) -> String {
    let reply = get(port, "EIO=4&transport=polling").await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let json: serde_json::Value =
        serde_json::from_str(reply.body.strip_prefix('0').unwrap()).unwrap();
    json["sid"].as_str().unwrap().to_owned()
}

fn error_body(code: u8, message: &str) -> String {
    format!("{{\"code\":{code},\"message\":\"{message}\"}}")
}

#[tokio::test]
async fn handshake_opens_a_polling_session() {
    let server = start(App::Echo, SessionConfig::default()).await;
    let reply = get(server.port, "EIO=4&transport=polling&t=abc").await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("content-type"),
        Some("text/plain; charset=UTF-8")
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let json: serde_json::Value =
        serde_json::from_str(reply.body.strip_prefix('0').unwrap()).unwrap();
    let sid = json["sid"].as_str().unwrap();
    assert_eq!(sid.len(), 22);
    assert!(sid
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(json["upgrades"], serde_json::json!(["websocket"]));
    assert_eq!(json["pingInterval"], 25000);
    assert_eq!(json["pingTimeout"], 20000);
    assert_eq!(json["maxPayload"], 1000000);
    assert_eq!(server.engine.session_count(), 1);
    // Two handshakes never share an id.
    assert_ne!(handshake(server.port).await, sid);
}

#[tokio::test]
async fn errors_carry_the_reference_codes() {
    let server = start(App::Echo, SessionConfig::default()).await;
    let port = server.port;
    let cases: [(&str, &str, u16, String); 6] = [
        (
            "GET",
            "EIO=4&transport=carrier-pigeon",
            400,
            error_body(0, "Transport unknown"),
        ),
        ("GET", "EIO=4", 400, error_body(0, "Transport unknown")),
        (
            "GET",
            "EIO=4&transport=polling&sid=nope",
            400,
            error_body(1, "Session ID unknown"),
        ),
        (
            "POST",
            "EIO=4&transport=polling",
            400,
            error_body(2, "Bad handshake method"),
        ),
        (
            "GET",
            "EIO=4&transport=websocket",
            400,
            error_body(3, "Bad request"),
        ),
        (
            "GET",
            "EIO=3&transport=polling",
            400,
            error_body(5, "Unsupported protocol version"),
        ),
    ];
    for (method, query, status, body) in cases {
        let reply = request(port, method, &format!("/engine.io/?{query}"), &[], b"").await;
        assert_eq!(
            (reply.status, &reply.body),
            (status, &body),
            "{method} {query}"
        );
        assert_eq!(reply.header("content-type"), Some("application/json"));
    }
    let reply = get(port, "transport=polling").await;
    assert_eq!(reply.body, error_body(5, "Unsupported protocol version"));
    // Another path is not the server's.
    assert_eq!(
        request(port, "GET", "/other?EIO=4&transport=polling", &[], b"")
            .await
            .status,
        404
    );
    assert_eq!(server.engine.session_count(), 0);
}

#[tokio::test]
async fn allow_request_refuses_with_403() {
    let config = EngineConfig::default().with_allow_request(|req| {
        match (req.query_param("token"), req.remote_addr()) {
            (Some("let me in"), Some(addr)) if addr.ip().is_loopback() => Ok(()),
            (Some(_), _) => Err("bad token".to_owned()),
            (None, _) => Err(String::new()),
        }
    });
    let server = start_with(App::Echo, config).await;
    let reply = get(server.port, "EIO=4&transport=polling&token=let%20me%20in").await;
    assert_eq!(reply.status, 200, "{reply:?}");
    let reply = get(server.port, "EIO=4&transport=polling&token=guess").await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (403, &*error_body(4, "bad token"))
    );
    let reply = get(server.port, "EIO=4&transport=polling").await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (403, &*error_body(4, "Forbidden"))
    );
}

#[tokio::test]
async fn post_delivers_packets_and_get_returns_the_echo() {
    let server = start(App::Echo, SessionConfig::default()).await;
    let sid = handshake(server.port).await;
    let q = format!("EIO=4&transport=polling&sid={sid}");
    let reply = post(server.port, &q, "4hello\x1ebAQID\x1e4€".as_bytes()).await;
    assert_eq!((reply.status, reply.body.as_str()), (200, "ok"));
    assert_eq!(reply.header("content-type"), Some("text/html"));
    let mut body = String::new();
    for _ in 0..3 {
        if body.matches('\x1e').count() == 2 {
            break;
        }
        let reply = get(server.port, &q).await;
        assert_eq!(reply.status, 200);
        if !body.is_empty() {
            body.push('\x1e');
        }
        body.push_str(&reply.body);
    }
    assert_eq!(body, "4hello\x1ebAQID\x1e4€");
}

#[tokio::test]
async fn oversized_posts_get_413_and_end_the_session() {
    let session = SessionConfig::default().with_max_payload(1000);
    let server = start(App::Echo, session).await;
    // Declared too large.
    let sid = handshake(server.port).await;
    let q = format!("EIO=4&transport=polling&sid={sid}");
    let reply = post(server.port, &q, &[b'4'; 1001]).await;
    assert_eq!(reply.status, 413);
    assert_eq!(get(server.port, &q).await.status, 400);
    // Chunked, without a length: refused once the bytes pass the limit.
    let sid = handshake(server.port).await;
    let mut stream = TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    let head = format!(
        "POST /engine.io/?EIO=4&transport=polling&sid={sid} HTTP/1.1\r\nHost: x\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", 600, "4".repeat(600));
    stream.write_all(chunk.as_bytes()).await.unwrap();
    stream.write_all(chunk.as_bytes()).await.unwrap();
    // The answer comes without the body's end.
    let mut buf = [0u8; 64];
    let n = tokio::time::timeout(Duration::from_secs(5), stream.read(&mut buf))
        .await
        .expect("413 before the end of the body")
        .unwrap();
    assert!(String::from_utf8_lossy(&buf[..n]).starts_with("HTTP/1.1 413"));
    // A payload exactly at the limit is fine.
    let sid = handshake(server.port).await;
    let q = format!("EIO=4&transport=polling&sid={sid}");
    let body = format!("4{}", "y".repeat(999));
    assert_eq!(post(server.port, &q, body.as_bytes()).await.status, 200);
}

#[tokio::test]
async fn bad_packets_get_400_and_end_the_session() {
    let server = start(App::Echo, SessionConfig::default()).await;
    for body in [
        &b"bAQ=*"[..],
        b"9nine",
        b"4a\x1e\x1e4b",
        b"5",
        b"0{}",
        b"2",
        b"4\xff\xfe",
    ] {
        let sid = handshake(server.port).await;
        let q = format!("EIO=4&transport=polling&sid={sid}");
        let reply = post(server.port, &q, body).await;
        assert_eq!(reply.status, 400, "{:?}", String::from_utf8_lossy(body));
        assert_eq!(
            get(server.port, &q).await.body,
            error_body(1, "Session ID unknown")
        );
    }
    // A binary content type is not an Engine.IO v4 payload.
    let sid = handshake(server.port).await;
    let q = format!("/engine.io/?EIO=4&transport=polling&sid={sid}");
    let reply = request(
        server.port,
        "POST",
        &q,
        &[("Content-Type", "application/octet-stream")],
        b"4x",
    )
    .await;
    assert_eq!(reply.status, 400);
    // A method that is neither GET nor POST.
    let sid = handshake(server.port).await;
    let q = format!("/engine.io/?EIO=4&transport=polling&sid={sid}");
    assert_eq!(request(server.port, "PUT", &q, &[], b"").await.status, 400);
}

#[tokio::test]
async fn a_client_close_packet_ends_the_session() {
    let server = start(App::Echo, SessionConfig::default()).await;
    let sid = handshake(server.port).await;
    let q = format!("EIO=4&transport=polling&sid={sid}");
    assert_eq!(post(server.port, &q, b"1").await.body, "ok");
    assert_eq!(server.closed_reasons().await, ["client close"]);
    assert_eq!(get(server.port, &q).await.status, 400);
}

#[tokio::test]
async fn overlapping_gets_close_the_session() {
    let server = start(App::Echo, SessionConfig::default()).await;
    let sid = handshake(server.port).await;
    let q = format!("EIO=4&transport=polling&sid={sid}");
    let port = server.port;
    let q2 = q.clone();
    let first = tokio::spawn(async move { get(port, &q2).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let second = get(port, &q).await;
    assert_eq!((second.status, second.body.as_str()), (400, ""));
    let first = first.await.unwrap();
    assert_eq!((first.status, first.body.as_str()), (200, "1"));
    assert_eq!(server.closed_reasons().await, ["transport error"]);
}

#[tokio::test]
async fn an_aborted_get_loses_nothing() {
    let server = start(App::Echo, SessionConfig::default()).await;
    let sid = handshake(server.port).await;
    let q = format!("EIO=4&transport=polling&sid={sid}");
    // A GET that waits, and whose client goes away.
    let mut stream = TcpStream::connect(("127.0.0.1", server.port))
        .await
        .unwrap();
    let head = format!("GET /engine.io/?{q} HTTP/1.1\r\nHost: x\r\n\r\n");
    stream.write_all(head.as_bytes()).await.unwrap();
    tokio::time::sleep(Duration::from_millis(200)).await;
    drop(stream);
    tokio::time::sleep(Duration::from_millis(200)).await;
    // What the application sends next is not lost with it, and the next
    // GET is no overlap.
    assert_eq!(post(server.port, &q, b"4after the abort").await.status, 200);
    let reply = get(server.port, &q).await;
    assert_eq!(
        (reply.status, reply.body.as_str()),
        (200, "4after the abort")
    );
}

#[tokio::test]
async fn polling_sessions_time_out_without_pongs() {
    let session = SessionConfig::default()
        .with_ping_interval(Duration::from_millis(100))
        .with_ping_timeout(Duration::from_millis(100));
    let server = start(App::Echo, session).await;
    let sid = handshake(server.port).await;
    let q = format!("EIO=4&transport=polling&sid={sid}");
    assert_eq!(get(server.port, &q).await.body, "2");
    assert_eq!(server.closed_reasons().await, ["ping timeout"]);
    assert_eq!(server.engine.session_count(), 0);
    assert_eq!(get(server.port, &q).await.status, 400);
}

#[tokio::test]
async fn cors_preflight_and_headers() {
    let config = EngineConfig::default()
        .with_cors(Cors::origins(["https://app.example"]).with_credentials(true))
        .with_cookie(Cookie::default())
        .with_headers(|_, initial, headers| {
            headers.insert("x-initial", initial.to_string().parse().unwrap());
        });
    let server = start_with(App::Echo, config).await;
    let origin = [
        ("Origin", "https://app.example"),
        ("Access-Control-Request-Method", "POST"),
        ("Access-Control-Request-Headers", "content-type"),
    ];
    let reply = request(
        server.port,
        "OPTIONS",
        "/engine.io/?EIO=4&transport=polling",
        &origin,
        b"",
    )
    .await;
    assert_eq!(reply.status, 204);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    assert_eq!(
        reply.header("access-control-allow-credentials"),
        Some("true")
    );
    assert_eq!(
        reply.header("access-control-allow-headers"),
        Some("content-type")
    );
    assert!(reply
        .header("access-control-allow-methods")
        .unwrap()
        .contains("POST"));

    let reply = request(
        server.port,
        "GET",
        "/engine.io/?EIO=4&transport=polling",
        &origin[..1],
        b"",
    )
    .await;
    assert_eq!(reply.status, 200);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let cookie = reply.header("set-cookie").unwrap();
    let sid = serde_json::from_str::<serde_json::Value>(reply.body.strip_prefix('0').unwrap())
        .unwrap()["sid"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(cookie, format!("io={sid}; Path=/; HttpOnly; SameSite=Lax"));
    assert_eq!(reply.header("x-initial"), Some("true"));
    // Errors carry the CORS headers too, so a browser can read them.
    let reply = request(
        server.port,
        "GET",
        "/engine.io/?EIO=3&transport=polling",
        &origin[..1],
        b"",
    )
    .await;
    assert_eq!(reply.status, 400);
    assert_eq!(
        reply.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    // Another origin is not allowed.
    let other = [("Origin", "https://evil.example")];
    let reply = request(
        server.port,
        "GET",
        "/engine.io/?EIO=4&transport=polling",
        &other,
        b"",
    )
    .await;
    assert_eq!(reply.header("access-control-allow-origin"), None);
}
