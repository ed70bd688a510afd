//! The client against tiny hand-written servers (raw TCP): reconnection with
//! the server's `retry` and the right `Last-Event-ID`, refusals that end the
//! stream without a retry, backoff with a cap, bounded attempts, timeouts.
#![cfg(feature = "client")]

mod common;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::BytesMut;
use common::{header, read_head, WAIT};
use futures::StreamExt;
use tether_sse::{ClientConfig, ClientError, DecoderConfig, Event, EventSource};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

const EVENT_STREAM_HEAD: &str = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n\r\n";

/// What a hand-written server saw: each request head, and when it came.
type Seen = Arc<Mutex<Vec<(String, Instant)>>>;

/// A server on 127.0.0.1 that reads each request head, records it, and
/// hands the connection to `answer` with its index (0 for the first).
async fn raw_server<F, Fut>(answer: F) -> (SocketAddr, Seen)
where
    F: Fn(usize, TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let seen: Seen = Arc::default();
    let log = seen.clone();
    tokio::spawn(async move {
        for n in 0.. {
            let Ok((mut tcp, _)) = listener.accept().await else {
                return;
            };
            let mut buf = BytesMut::new();
            let Some(head) = read_head(&mut tcp, &mut buf).await else {
                continue;
            };
            log.lock().expect("lock").push((head, Instant::now()));
            tokio::spawn(answer(n, tcp));
        }
    });
    (addr, seen)
}

fn heads(seen: &Seen) -> Vec<String> {
    seen.lock()
        .expect("lock")
        .iter()
        .map(|(h, _)| h.clone())
        .collect()
}

async fn next(source: &mut EventSource) -> Option<Result<Event, ClientError>> {
    tokio::time::timeout(WAIT, source.next())
        .await
        .expect("timed out waiting for the client")
}

fn data(item: Option<Result<Event, ClientError>>) -> (String, String) {
    let event = item.expect("an item").expect("an event");
    (event.data().to_owned(), event.last_event_id().to_owned())
}

fn pair(data: &str, id: &str) -> (String, String) {
    (data.to_owned(), id.to_owned())
}

#[tokio::test]
async fn reconnects_after_retry_with_the_last_event_id() {
    let (addr, seen) = raw_server(|n, mut tcp| async move {
        let body: &[u8] = match n {
            // retry, two events, and the start of a third that never ends.
            0 => b"retry: 100\n\nid: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: unfini",
            // The id stays in force for the event without one.
            1 => b"id: 3\ndata: c\n\ndata: d\n\n",
            _ => {
                let _ = tcp.write_all(b"HTTP/1.1 204 No Content\r\n\r\n").await;
                return;
            }
        };
        let _ = tcp.write_all(EVENT_STREAM_HEAD.as_bytes()).await;
        let _ = tcp.write_all(body).await;
        // Dropped: the connection closes.
    })
    .await;
    let mut source = EventSource::new(
        &format!("http://{addr}/stream?x=1"),
        // The default retry is 3 s: the server's 100 ms must win.
        ClientConfig::default().with_max_reconnect_attempts(Some(5)),
    )
    .expect("url");
    assert_eq!(data(next(&mut source).await), pair("a", "1"));
    assert_eq!(data(next(&mut source).await), pair("b", "2"));
    assert_eq!(source.reconnection_time(), Duration::from_millis(100));
    assert_eq!(data(next(&mut source).await), pair("c", "3"));
    assert_eq!(data(next(&mut source).await), pair("d", "3"));
    match next(&mut source).await {
        Some(Err(ClientError::Status { status })) => assert_eq!(status, 204),
        other => panic!("{other:?}"),
    }
    assert!(next(&mut source).await.is_none());
    assert_eq!(source.reconnects(), 2);

    let heads = heads(&seen);
    assert_eq!(heads.len(), 3, "{heads:?}");
    for head in &heads {
        assert!(head.starts_with("GET /stream?x=1 HTTP/1.1\r\n"), "{head}");
        assert_eq!(header(head, "accept"), Some("text/event-stream"));
        assert_eq!(header(head, "cache-control"), Some("no-cache"));
        assert_eq!(header(head, "host"), Some(addr.to_string().as_str()));
    }
    assert_eq!(header(&heads[0], "last-event-id"), None);
    // The unfinished event's id did not count.
    assert_eq!(header(&heads[1], "last-event-id"), Some("2"));
    assert_eq!(header(&heads[2], "last-event-id"), Some("3"));
    // The server's retry (100 ms), not the default 3 s: within a generous
    // bound below 3 s.
    let times: Vec<Instant> = seen.lock().expect("lock").iter().map(|(_, t)| *t).collect();
    let gap = times[1] - times[0];
    assert!(
        gap < Duration::from_millis(2500),
        "reconnected after {gap:?}"
    );
}

#[tokio::test]
async fn chunked_bodies_split_anywhere() {
    let (addr, seen) = raw_server(|n, mut tcp| async move {
        if n > 0 {
            return;
        }
        let _ = tcp
            .write_all(
                b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n\
                  Transfer-Encoding: chunked\r\n\r\n",
            )
            .await;
        for chunk in [
            &b"id: 7\nda"[..],
            b"ta: x\r",
            b"\n\r\ndata: \xC3",
            b"\xA9\n\n",
        ] {
            let _ = tcp
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await;
            let _ = tcp.write_all(chunk).await;
            let _ = tcp.write_all(b"\r\n").await;
            let _ = tcp.flush().await;
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let _ = tcp.write_all(b"0\r\n\r\n").await;
    })
    .await;
    let mut source = EventSource::new(
        &format!("http://{addr}/"),
        ClientConfig::default().with_max_reconnect_attempts(Some(0)),
    )
    .expect("url");
    assert_eq!(data(next(&mut source).await), pair("x", "7"));
    assert_eq!(data(next(&mut source).await), pair("é", "7"));
    // No reconnection allowed: the end of the body ends the stream cleanly.
    assert!(next(&mut source).await.is_none());
    assert_eq!(heads(&seen).len(), 1);
}

#[tokio::test]
async fn refusals_end_the_stream_without_a_retry() {
    let answers = [
        "HTTP/1.1 204 No Content\r\n\r\n",
        "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 301 Moved Permanently\r\nLocation: /x\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\ndata: no\n\n",
        "HTTP/1.1 200 OK\r\n\r\ndata: no\n\n",
    ];
    for answer in answers {
        let (addr, seen) = raw_server(move |_, mut tcp| async move {
            let _ = tcp.write_all(answer.as_bytes()).await;
        })
        .await;
        // Unlimited attempts and a short retry: a retry would show.
        let mut source = EventSource::new(
            &format!("http://{addr}/"),
            ClientConfig::default().with_retry(Duration::from_millis(10)),
        )
        .expect("url");
        let error = match next(&mut source).await {
            Some(Err(e)) => e,
            other => panic!("{answer}: {other:?}"),
        };
        assert!(!error.is_retried(), "{error}");
        match (&answer[9..12], &error) {
            ("200", ClientError::ContentType { content_type }) => {
                assert_eq!(
                    content_type.as_ref().map(|v| v.to_str().expect("ascii")),
                    header(answer, "content-type")
                );
            }
            (code, ClientError::Status { status }) => assert_eq!(status.as_str(), code),
            _ => panic!("{answer}: {error:?}"),
        }
        assert!(next(&mut source).await.is_none());
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(heads(&seen).len(), 1, "{answer}: no retry");
        assert_eq!(source.reconnects(), 0);
    }
}

#[tokio::test]
async fn backoff_is_capped_and_attempts_are_bounded() {
    // Every connection is closed before a response.
    let (addr, seen) = raw_server(|_, tcp| async move { drop(tcp) }).await;
    let start = Instant::now();
    let mut source = EventSource::new(
        &format!("http://{addr}/"),
        ClientConfig::default()
            .with_retry(Duration::from_millis(100))
            .with_max_reconnect_delay(Duration::from_millis(100))
            .with_max_reconnect_attempts(Some(6)),
    )
    .expect("url");
    match next(&mut source).await {
        Some(Err(ClientError::Http(_))) => {}
        other => panic!("{other:?}"),
    }
    assert!(next(&mut source).await.is_none());
    // The first attempt and six reconnections, 100 ms apart (without the
    // cap, the waits would add up to 100 ms × (2⁶ − 1) = 6.3 s).
    assert_eq!(heads(&seen).len(), 7);
    assert_eq!(source.reconnects(), 6);
    let took = start.elapsed();
    assert!(took < Duration::from_secs(5), "took {took:?}");
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_reported() {
    let addr = {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        listener.local_addr().expect("addr")
    };
    let mut source = EventSource::new(
        &format!("http://{addr}/"),
        ClientConfig::default()
            .with_retry(Duration::from_millis(10))
            .with_max_reconnect_attempts(Some(2)),
    )
    .expect("url");
    match next(&mut source).await {
        Some(Err(ClientError::Io(e))) => {
            assert_eq!(e.kind(), std::io::ErrorKind::ConnectionRefused)
        }
        other => panic!("{other:?}"),
    }
    assert!(next(&mut source).await.is_none());
    assert_eq!(source.reconnects(), 2);
}

#[tokio::test]
async fn the_attempt_count_starts_again_after_an_event() {
    // Each connection gives one event, then closes: with at most one failed
    // attempt in a row allowed, the client still goes on, since each
    // attempt succeeds.
    let (addr, seen) = raw_server(|n, mut tcp| async move {
        if n >= 4 {
            return; // closed without a response: failures from now on
        }
        let _ = tcp.write_all(EVENT_STREAM_HEAD.as_bytes()).await;
        let body = format!("retry: 10\nid: {n}\ndata: {n}\n\n");
        let _ = tcp.write_all(body.as_bytes()).await;
    })
    .await;
    let mut source = EventSource::new(
        &format!("http://{addr}/"),
        ClientConfig::default().with_max_reconnect_attempts(Some(1)),
    )
    .expect("url");
    for n in 0..4 {
        assert_eq!(
            data(next(&mut source).await),
            pair(&n.to_string(), &n.to_string())
        );
    }
    assert!(matches!(
        next(&mut source).await,
        Some(Err(ClientError::Http(_)))
    ));
    assert!(next(&mut source).await.is_none());
    // Four good connections, then one failed reconnection, the one allowed.
    assert_eq!(heads(&seen).len(), 5);
}

#[tokio::test]
async fn a_silent_connection_is_replaced_after_the_idle_timeout() {
    let (addr, seen) = raw_server(|n, mut tcp| async move {
        let _ = tcp.write_all(EVENT_STREAM_HEAD.as_bytes()).await;
        let body = format!("retry: 10\nid: {n}\ndata: {n}\n\n");
        let _ = tcp.write_all(body.as_bytes()).await;
        // Then silence, the connection open.
        tokio::time::sleep(Duration::from_secs(3600)).await;
    })
    .await;
    let mut source = EventSource::new(
        &format!("http://{addr}/"),
        ClientConfig::default().with_idle_timeout(Some(Duration::from_millis(200))),
    )
    .expect("url");
    assert_eq!(data(next(&mut source).await), pair("0", "0"));
    assert_eq!(data(next(&mut source).await), pair("1", "1"));
    assert_eq!(header(&heads(&seen)[1], "last-event-id"), Some("0"));
}

#[tokio::test]
async fn no_response_head_is_a_connect_timeout() {
    let (addr, _seen) = raw_server(|_, tcp| async move {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        drop(tcp);
    })
    .await;
    let timeout = Duration::from_millis(200);
    let mut source = EventSource::new(
        &format!("http://{addr}/"),
        ClientConfig::default()
            .with_connect_timeout(timeout)
            .with_max_reconnect_attempts(Some(0)),
    )
    .expect("url")
    .with_last_event_id("resume-me");
    match next(&mut source).await {
        Some(Err(e @ ClientError::ConnectTimeout { .. })) => {
            assert!(e.is_retried());
            assert!(matches!(e, ClientError::ConnectTimeout { timeout: t } if t == timeout));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(source.last_event_id(), "resume-me");
}

#[tokio::test]
async fn a_line_over_the_limit_drops_the_connection_and_reconnects() {
    let (addr, seen) = raw_server(|n, mut tcp| async move {
        let _ = tcp.write_all(EVENT_STREAM_HEAD.as_bytes()).await;
        let body = if n == 0 {
            format!(
                "retry: 10\nid: 1\ndata: ok\n\ndata: {}\n\n",
                "x".repeat(100)
            )
        } else {
            "data: after\n\n".to_owned()
        };
        let _ = tcp.write_all(body.as_bytes()).await;
    })
    .await;
    let mut source = EventSource::new(
        &format!("http://{addr}/"),
        ClientConfig::default()
            .with_decoder_config(DecoderConfig::default().with_max_line_len(64))
            .with_max_reconnect_attempts(Some(3)),
    )
    .expect("url");
    assert_eq!(data(next(&mut source).await), pair("ok", "1"));
    assert_eq!(data(next(&mut source).await), pair("after", "1"));
    assert_eq!(header(&heads(&seen)[1], "last-event-id"), Some("1"));
}

#[test]
fn only_http_urls() {
    for url in ["https://example.com/", "ws://example.com/"] {
        assert!(matches!(
            EventSource::new(url, ClientConfig::default()),
            Err(ClientError::UnsupportedScheme)
        ));
    }
    assert!(matches!(
        EventSource::new("not a url", ClientConfig::default()),
        Err(ClientError::InvalidUrl)
    ));
}
