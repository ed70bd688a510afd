//! permessage-deflate negotiation through the real handshakes (RFC 7692
//! sections 5 and 7): tether's server against hand-written offers, tether's
//! client against hand-written answers, and the hyper upgrade.

mod common;

use std::time::Duration;

use common::{listener, read_head, upgrade_request, websocket_accept, RawClient};
use tether_ws::handshake::client::ClientRequest;
use tether_ws::{
    DeflateConfig, DeflateProblem, Error, HandshakeError, ResponseProblem, WebSocketConfig,
};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

const LIMIT: Duration = Duration::from_secs(10);

/// The `Sec-WebSocket-Extensions` lines of a head.
fn extension_lines(head: &str) -> Vec<String> {
    head.lines()
        .filter_map(|l| {
            let (n, v) = l.split_once(':')?;
            n.trim()
                .eq_ignore_ascii_case("sec-websocket-extensions")
                .then(|| v.trim().to_owned())
        })
        .collect()
}

/// What tether's server (with `deflate`) answers to a request with `offer`
/// header lines, and the parameters in force on its stream.
async fn server_answer(
    deflate: DeflateConfig,
    offer: &[&str],
) -> (Vec<String>, Option<tether_message::DeflateParams>) {
    let (l, url) = listener().await;
    let addr = url.trim_start_matches("ws://").to_owned();
    let config = WebSocketConfig::default().with_deflate(deflate);
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.expect("accept");
        let ws = tether_ws::accept_with_config(tcp, config)
            .await
            .expect("handshake");
        ws.deflate().cloned()
    });
    let extra: String = offer
        .iter()
        .map(|o| format!("Sec-WebSocket-Extensions: {o}\r\n"))
        .collect();
    let mut tcp = TcpStream::connect(&addr).await.expect("connect");
    tcp.write_all(upgrade_request("/", &extra).as_bytes())
        .await
        .expect("write");
    let mut buf = bytes::BytesMut::new();
    let head = tokio::time::timeout(LIMIT, read_head(&mut tcp, &mut buf))
        .await
        .expect("in time");
    assert!(head.starts_with("HTTP/1.1 101"), "{head}");
    let params = tokio::time::timeout(LIMIT, server)
        .await
        .expect("in time")
        .expect("join");
    (extension_lines(&head), params)
}

#[tokio::test]
async fn the_server_answers_with_the_parameters_in_force() {
    // Refused by default: no answer, no compression.
    let (lines, params) = server_answer(DeflateConfig::default(), &["permessage-deflate"]).await;
    assert!(lines.is_empty(), "{lines:?}");
    assert!(params.is_none());

    // Chromium's offer.
    let (lines, params) = server_answer(
        DeflateConfig::enabled(),
        &["permessage-deflate; client_max_window_bits"],
    )
    .await;
    assert_eq!(lines, ["permessage-deflate"]);
    let params = params.expect("negotiated");
    assert_eq!(
        (params.server_max_window_bits, params.client_max_window_bits),
        (15, 15)
    );

    // The server's own requirements, announced.
    let (lines, params) = server_answer(
        DeflateConfig::enabled()
            .with_server_no_context_takeover(true)
            .with_client_max_window_bits(12),
        &["permessage-deflate; client_max_window_bits"],
    )
    .await;
    assert_eq!(
        lines,
        ["permessage-deflate; server_no_context_takeover; client_max_window_bits=12"]
    );
    let params = params.expect("negotiated");
    assert!(params.server_no_context_takeover);
    assert_eq!(params.client_max_window_bits, 12);

    // Several lines and several offers: the first acceptable one wins; an
    // unknown parameter, a duplicate, an invalid value each spoil an offer.
    let (lines, params) = server_answer(
        DeflateConfig::enabled(),
        &[
            "x-webkit-deflate-frame, permessage-deflate; foo",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover, \
             permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; client_no_context_takeover=1, \
             permessage-deflate; server_max_window_bits=\"10\"; client_no_context_takeover",
            "permessage-deflate",
        ],
    )
    .await;
    assert_eq!(
        lines,
        ["permessage-deflate; client_no_context_takeover; server_max_window_bits=10"]
    );
    let params = params.expect("negotiated");
    assert!(params.client_no_context_takeover);
    assert_eq!(params.server_max_window_bits, 10);

    // Nothing acceptable: the connection opens without compression.
    let (lines, params) = server_answer(
        DeflateConfig::enabled(),
        &["permessage-deflate; server_max_window_bits, permessage-deflate; x=1"],
    )
    .await;
    assert!(lines.is_empty(), "{lines:?}");
    assert!(params.is_none());
}

/// A raw server that answers the upgrade with these extension lines;
/// returns the request head it saw and what tether's client made of it.
async fn client_against(
    deflate: DeflateConfig,
    answer: &[&str],
) -> (String, Result<Option<tether_message::DeflateParams>, Error>) {
    let (l, url) = listener().await;
    let answer: String = answer
        .iter()
        .map(|a| format!("Sec-WebSocket-Extensions: {a}\r\n"))
        .collect();
    let server = tokio::spawn(async move {
        let (mut tcp, _) = l.accept().await.expect("accept");
        let mut buf = bytes::BytesMut::new();
        let request = read_head(&mut tcp, &mut buf).await;
        let key = request
            .lines()
            .find_map(|line| {
                let (n, v) = line.split_once(':')?;
                n.trim()
                    .eq_ignore_ascii_case("sec-websocket-key")
                    .then(|| v.trim().to_owned())
            })
            .expect("key");
        let head = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n{answer}\r\n",
            websocket_accept(&key)
        );
        tcp.write_all(head.as_bytes()).await.expect("write");
        // Hold the connection until the client is done with it.
        let _ = tokio::time::timeout(Duration::from_secs(2), async {
            let mut sink = Vec::new();
            let _ = tokio::io::AsyncReadExt::read_to_end(&mut tcp, &mut sink).await;
        })
        .await;
        request
    });
    let request = ClientRequest::new(format!("{url}/").parse().expect("url")).expect("request");
    let config = WebSocketConfig::default().with_deflate(deflate);
    let result = tokio::time::timeout(LIMIT, tether_ws::connect_with_config(request, config))
        .await
        .expect("in time")
        .map(|(ws, _)| ws.deflate().cloned());
    let seen = server.await.expect("join");
    (seen, result)
}

fn problem(result: Result<Option<tether_message::DeflateParams>, Error>) -> ResponseProblem {
    match result {
        Err(Error::Handshake(HandshakeError::InvalidResponse(p))) => p,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn the_client_offers_and_checks_the_answer() {
    // Not offered by default; an answer with an extension then fails.
    let (request, result) = client_against(DeflateConfig::default(), &[]).await;
    assert!(extension_lines(&request).is_empty(), "{request}");
    assert!(result.expect("opens").is_none());
    let (_, result) = client_against(DeflateConfig::default(), &["permessage-deflate"]).await;
    assert_eq!(problem(result), ResponseProblem::Extensions);

    // Offered; the server may decline.
    let (request, result) = client_against(DeflateConfig::enabled(), &[]).await;
    assert_eq!(
        extension_lines(&request),
        ["permessage-deflate; client_max_window_bits"]
    );
    assert!(result.expect("opens").is_none());

    // Accepted, with parameters the server may add unasked.
    let (_, result) = client_against(
        DeflateConfig::enabled(),
        &["permessage-deflate; server_no_context_takeover; client_max_window_bits=9"],
    )
    .await;
    let params = result.expect("opens").expect("negotiated");
    assert!(params.server_no_context_takeover);
    assert_eq!(params.client_max_window_bits, 9);

    let offer = DeflateConfig::enabled()
        .with_server_max_window_bits(10)
        .with_client_max_window_bits(11)
        .with_client_no_context_takeover(true);
    let (request, result) = client_against(
        offer.clone(),
        &["permessage-deflate; server_max_window_bits=10"],
    )
    .await;
    assert_eq!(
        extension_lines(&request),
        ["permessage-deflate; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11"]
    );
    let params = result.expect("opens").expect("negotiated");
    assert!(params.client_no_context_takeover);
    assert_eq!(
        (params.server_max_window_bits, params.client_max_window_bits),
        (10, 11)
    );

    for (answer, expected) in [
        (vec!["x-foo"], DeflateProblem::NotOffered),
        (
            vec![
                "permessage-deflate; server_max_window_bits=10",
                "permessage-deflate; server_max_window_bits=10",
            ],
            DeflateProblem::Repeated,
        ),
        (
            vec!["permessage-deflate; server_max_window_bits=10, permessage-deflate"],
            DeflateProblem::Repeated,
        ),
        (
            vec!["permessage-deflate; server_max_window_bits=11"],
            DeflateProblem::WindowTooLarge,
        ),
        (
            vec!["permessage-deflate; server_max_window_bits=10; client_max_window_bits=12"],
            DeflateProblem::WindowTooLarge,
        ),
        (
            vec!["permessage-deflate; server_max_window_bits=10; client_max_window_bits"],
            DeflateProblem::InvalidValue,
        ),
        (vec!["permessage-deflate"], DeflateProblem::Unanswered),
        (
            vec!["permessage-deflate; server_max_window_bits=10; server_max_window_bits=10"],
            DeflateProblem::DuplicateParameter,
        ),
        (
            vec!["permessage-deflate; server_max_window_bits=10; mystery"],
            DeflateProblem::UnknownParameter,
        ),
        (
            vec!["permessage-deflate; server_max_window_bits=10; server_no_context_takeover=yes"],
            DeflateProblem::InvalidValue,
        ),
    ] {
        let (_, result) = client_against(offer.clone(), &answer).await;
        assert_eq!(
            problem(result),
            ResponseProblem::Deflate(expected),
            "{answer:?}"
        );
    }
    // A malformed header is malformed whatever was offered.
    let (_, result) = client_against(offer.clone(), &["permessage-deflate; a=\"1"]).await;
    assert_eq!(problem(result), ResponseProblem::Extensions);
}

#[tokio::test]
async fn rsv1_without_negotiation_is_a_protocol_error() {
    // The server refuses compression; a client that sets RSV1 anyway is
    // failed with 1002.
    let (l, url) = listener().await;
    let addr = url.trim_start_matches("ws://").to_owned();
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.expect("accept");
        let mut ws = tether_ws::accept_with_config(tcp, WebSocketConfig::default())
            .await
            .expect("handshake");
        futures::StreamExt::next(&mut ws).await
    });
    let mut raw = RawClient::connect(&addr, b"").await;
    // FIN + RSV1 + text, masked, 1 byte.
    raw.send_raw(&[0xC1, 0x81, 0, 0, 0, 0, b'a']).await;
    let transcript = raw.read_until_eof(LIMIT).await;
    let close = transcript.closes().next().expect("a Close");
    assert_eq!(
        &close.payload[..2],
        &[0x03, 0xea],
        "{}",
        transcript.summary()
    );
    let got = server.await.expect("join");
    assert!(matches!(got, Some(Err(_))), "{got:?}");
}

#[cfg(feature = "hyper")]
#[tokio::test]
async fn the_hyper_upgrade_negotiates() {
    use http_body_util::Empty;
    use hyper::body::{Bytes, Incoming};
    use hyper::Request;

    let (l, url) = listener().await;
    let (tx, rx) = tokio::sync::oneshot::channel();
    let tx = std::sync::Arc::new(std::sync::Mutex::new(Some(tx)));
    tokio::spawn(async move {
        let (tcp, _) = l.accept().await.expect("accept");
        let service = hyper::service::service_fn(move |mut req: Request<Incoming>| {
            let tx = tx.clone();
            async move {
                let config = WebSocketConfig::default()
                    .with_deflate(DeflateConfig::enabled().with_server_max_window_bits(12));
                let (response, upgrade) =
                    tether_ws::upgrade_with_config::<_, Empty<Bytes>>(&mut req, config, None)?;
                tokio::spawn(async move {
                    let ws = upgrade.await.expect("upgraded");
                    if let Some(tx) = tx.lock().expect("lock").take() {
                        let _ = tx.send(ws.deflate().cloned());
                    }
                });
                Ok::<_, tether_ws::HandshakeError>(response)
            }
        });
        let _ = hyper::server::conn::http1::Builder::new()
            .serve_connection(hyper_util::rt::TokioIo::new(tcp), service)
            .with_upgrades()
            .await;
    });
    let request = ClientRequest::new(format!("{url}/").parse().expect("url")).expect("request");
    let (ws, response) = tether_ws::connect_with_config(
        request,
        WebSocketConfig::default().with_deflate(DeflateConfig::enabled()),
    )
    .await
    .expect("opens");
    assert_eq!(
        response.headers()["sec-websocket-extensions"],
        "permessage-deflate; server_max_window_bits=12"
    );
    assert_eq!(ws.deflate().expect("negotiated").server_max_window_bits, 12);
    let server_side = tokio::time::timeout(LIMIT, rx)
        .await
        .expect("in time")
        .expect("sent")
        .expect("negotiated");
    assert_eq!(server_side.server_max_window_bits, 12);
}
