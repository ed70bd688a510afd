//! The opening handshake over TCP: invalid requests get an HTTP error with
//! a reason, limits and the timeout hold, subprotocols are negotiated, the
//! accept callback can refuse, and the client reports what it got.

mod common;

use std::time::Duration;

use common::{listener, upgrade_request};
use futures::{SinkExt, StreamExt};
use tether_ws::handshake::client::ClientRequest;
use tether_ws::handshake::server::ClientOffer;
use tether_ws::http::{Request, Response, StatusCode};
use tether_ws::{Error, HandshakeConfig, HandshakeError, Message, RequestProblem, WebSocketConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// Sends `request` bytes to a fresh server with `config`; returns the whole
/// answer (until the server closes) and the server's result.
async fn answer_to(request: &[u8], config: WebSocketConfig) -> (String, Result<(), Error>) {
    let (l, url) = listener().await;
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.expect("accept");
        tether_ws::accept_with_config(tcp, config).await.map(|_| ())
    });
    let mut tcp = TcpStream::connect(url.trim_start_matches("ws://"))
        .await
        .expect("connect");
    tcp.write_all(request).await.expect("write");
    let mut answer = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), tcp.read_to_end(&mut answer)).await;
    let result = server.await.expect("server");
    (String::from_utf8_lossy(&answer).into_owned(), result)
}

fn status_line(answer: &str) -> &str {
    answer.lines().next().unwrap_or_default()
}

#[tokio::test]
async fn invalid_requests_get_an_http_error_with_a_reason() {
    let good = upgrade_request("/", "");
    let cases: Vec<(String, &str, RequestProblem)> = vec![
        (
            good.replace("GET", "POST"),
            "HTTP/1.1 405 Method Not Allowed",
            RequestProblem::Method,
        ),
        (
            "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".to_owned(),
            "HTTP/1.1 426 Upgrade Required",
            RequestProblem::Upgrade,
        ),
        (
            good.replace("Version: 13", "Version: 8"),
            "HTTP/1.1 426 Upgrade Required",
            RequestProblem::WebSocketVersion,
        ),
        (
            good.replace("dGhlIHNhbXBsZSBub25jZQ==", "c2hvcnQ="),
            "HTTP/1.1 400 Bad Request",
            RequestProblem::Key,
        ),
        (
            good.replace("Host: 127.0.0.1\r\n", ""),
            "HTTP/1.1 400 Bad Request",
            RequestProblem::Host,
        ),
    ];
    for (request, status, problem) in cases {
        let (answer, result) = answer_to(request.as_bytes(), WebSocketConfig::default()).await;
        assert_eq!(status_line(&answer), status, "{answer}");
        assert!(
            answer.contains(problem.reason().trim()),
            "no reason in {answer}"
        );
        assert!(
            matches!(result, Err(Error::Handshake(HandshakeError::Rejected(p))) if p == problem),
            "{result:?}"
        );
        if status.contains("426") {
            assert!(
                answer
                    .to_ascii_lowercase()
                    .contains("sec-websocket-version: 13"),
                "{answer}"
            );
        }
    }
}

#[tokio::test]
async fn garbage_oversized_and_slow_requests() {
    let (answer, result) = answer_to(
        b"\x16\x03\x01\x02\x00 hello\r\n\r\n",
        WebSocketConfig::default(),
    )
    .await;
    assert_eq!(status_line(&answer), "HTTP/1.1 400 Bad Request");
    assert!(matches!(
        result,
        Err(Error::Handshake(HandshakeError::Malformed))
    ));

    let small = WebSocketConfig::default()
        .with_handshake_config(HandshakeConfig::default().with_max_header_bytes(256));
    let big = upgrade_request("/", &format!("Cookie: {}\r\n", "a".repeat(500)));
    let (answer, result) = answer_to(big.as_bytes(), small).await;
    assert_eq!(
        status_line(&answer),
        "HTTP/1.1 431 Request Header Fields Too Large"
    );
    assert!(matches!(
        result,
        Err(Error::Handshake(HandshakeError::HeadTooLarge { max: 256 }))
    ));

    let few = WebSocketConfig::default()
        .with_handshake_config(HandshakeConfig::default().with_max_headers(4));
    let (answer, result) = answer_to(upgrade_request("/", "").as_bytes(), few).await;
    assert_eq!(
        status_line(&answer),
        "HTTP/1.1 431 Request Header Fields Too Large"
    );
    assert!(matches!(
        result,
        Err(Error::Handshake(HandshakeError::TooManyHeaders { max: 4 }))
    ));

    // A client that sends half a request and stalls is answered 408.
    let quick = WebSocketConfig::default()
        .with_handshake_config(HandshakeConfig::default().with_timeout(Duration::from_millis(200)));
    let (answer, result) = answer_to(b"GET / HTTP/1.1\r\nHost: x\r\n", quick).await;
    assert_eq!(status_line(&answer), "HTTP/1.1 408 Request Timeout");
    assert!(matches!(
        result,
        Err(Error::Handshake(HandshakeError::Timeout))
    ));
}

#[tokio::test]
async fn a_request_one_byte_at_a_time_is_accepted() {
    let (l, url) = listener().await;
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.expect("accept");
        tether_ws::accept(tcp).await.map(|_| ())
    });
    let mut tcp = TcpStream::connect(url.trim_start_matches("ws://"))
        .await
        .expect("connect");
    tcp.set_nodelay(true).expect("nodelay");
    for byte in upgrade_request("/", "").bytes() {
        tcp.write_all(&[byte]).await.expect("write");
    }
    let mut answer = vec![0u8; 1024];
    let n = tcp.read(&mut answer).await.expect("read");
    assert!(answer[..n].starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
    assert!(String::from_utf8_lossy(&answer[..n]).contains("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));
    server.await.expect("server").expect("accepted");
}

async fn negotiate(
    server_protocols: &[&str],
    client_protocols: &[&str],
) -> (Option<String>, Option<String>) {
    let (l, url) = listener().await;
    let config = WebSocketConfig::default().with_handshake_config(
        HandshakeConfig::default().with_protocols(server_protocols.iter().copied()),
    );
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.expect("accept");
        let ws = tether_ws::accept_with_config(tcp, config)
            .await
            .expect("accept");
        ws.protocol().map(str::to_owned)
    });
    let request = ClientRequest::new(format!("{url}/").parse().expect("url"))
        .expect("request")
        .with_protocols(client_protocols.iter().copied());
    let (client, response) = tether_ws::connect_with_config(request, WebSocketConfig::default())
        .await
        .expect("connect");
    assert_eq!(response.status(), StatusCode::SWITCHING_PROTOCOLS);
    (
        server.await.expect("server"),
        client.protocol().map(str::to_owned),
    )
}

#[tokio::test]
async fn subprotocols_from_the_configured_list() {
    // The client's order of preference decides among those both speak.
    assert_eq!(
        negotiate(&["v2", "v1"], &["v1", "v2"]).await,
        (Some("v1".into()), Some("v1".into()))
    );
    assert_eq!(
        negotiate(&["v2"], &["v1", "v2"]).await,
        (Some("v2".into()), Some("v2".into()))
    );
    assert_eq!(negotiate(&["v3"], &["v1", "v2"]).await, (None, None));
    assert_eq!(negotiate(&[], &[]).await, (None, None));
}

#[tokio::test]
async fn the_callback_sees_the_request_and_decides() {
    let (l, url) = listener().await;
    let server = tokio::spawn(async move {
        let mut results = Vec::new();
        for _ in 0..2 {
            let (tcp, _) = l.accept().await.expect("accept");
            let callback = |req: &Request<()>, offer: &ClientOffer| {
                let origin_ok = req
                    .headers()
                    .get("origin")
                    .is_some_and(|o| o == "http://good.example");
                if req.uri().path() == "/chat" && origin_ok {
                    Ok(offer.protocols.last().cloned())
                } else {
                    let mut refusal = Response::new("go away".to_owned());
                    *refusal.status_mut() = StatusCode::FORBIDDEN;
                    Err(Box::new(refusal))
                }
            };
            let result =
                tether_ws::accept_hdr_with_config(tcp, WebSocketConfig::default(), callback).await;
            results.push(match result {
                Ok(mut ws) => {
                    let protocol = ws.protocol().map(str::to_owned);
                    let m = ws.next().await.expect("open").expect("valid");
                    ws.send(m).await.expect("echo");
                    Ok(protocol)
                }
                Err(e) => Err(format!("{e:?}")),
            });
        }
        results
    });
    let origin = |o: &'static str| {
        (
            tether_ws::http::header::ORIGIN,
            tether_ws::http::HeaderValue::from_static(o),
        )
    };
    let (name, value) = origin("http://good.example");
    let good = ClientRequest::new(format!("{url}/chat").parse().expect("url"))
        .expect("request")
        .with_protocols(["a", "b"])
        .with_header(name, value);
    let (mut ws, _) = tether_ws::connect_with_config(good, WebSocketConfig::default())
        .await
        .expect("accepted");
    assert_eq!(ws.protocol(), Some("b"));
    ws.send(Message::text("hi")).await.expect("send");
    assert_eq!(
        ws.next().await.expect("open").expect("valid"),
        Message::text("hi")
    );

    let (name, value) = origin("http://evil.example");
    let bad = ClientRequest::new(format!("{url}/chat").parse().expect("url"))
        .expect("request")
        .with_header(name, value);
    match tether_ws::connect_with_config(bad, WebSocketConfig::default()).await {
        Err(Error::Handshake(HandshakeError::Refused { status, .. })) => {
            assert_eq!(status, StatusCode::FORBIDDEN)
        }
        other => panic!("{other:?}"),
    }
    let results = server.await.expect("server");
    assert_eq!(results[0], Ok(Some("b".to_owned())));
    assert!(
        results[1]
            .as_ref()
            .is_err_and(|e| e.contains("Declined(403)")),
        "{results:?}"
    );
}

#[tokio::test]
async fn the_client_rejects_a_bad_answer() {
    // A server that answers 101 with a wrong accept hash, or 200.
    for answer in [
        "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-Reason: plain http\r\n\r\nok",
    ] {
        let (l, url) = listener().await;
        let server = tokio::spawn(async move {
            let (mut tcp, _) = l.accept().await.expect("accept");
            let mut buf = vec![0u8; 4096];
            let _ = tcp.read(&mut buf).await.expect("read");
            tcp.write_all(answer.as_bytes()).await.expect("write");
            tokio::time::sleep(Duration::from_millis(200)).await;
        });
        let result = tether_ws::connect(&format!("{url}/")).await;
        match result {
            Err(Error::Handshake(HandshakeError::InvalidResponse(p))) => {
                assert_eq!(p, tether_ws::ResponseProblem::Accept)
            }
            Err(Error::Handshake(HandshakeError::Refused { status, headers })) => {
                assert_eq!(status, StatusCode::OK);
                assert_eq!(headers["x-reason"], "plain http");
            }
            other => panic!("{other:?}"),
        }
        server.await.expect("server");
    }
    assert!(matches!(
        tether_ws::connect("http://127.0.0.1:1/").await,
        Err(Error::Handshake(HandshakeError::InvalidUrl))
    ));
}
