//! Headless Chromium's `EventSource` as a client of a tether server (Debian's
//! chromium, installed by `scripts/interop-setup.sh`). One hyper server
//! serves the page (interop/browser/sse_test.html), the stream at `/events`
//! and the page's report at `/report`. The first response ends after three
//! events; the browser reconnects on its own after the server's `retry:
//! 200`, sends `Last-Event-ID: 3`, gets the four events it missed from the
//! replay buffer and three live ones, and reports what it saw.
#![cfg(feature = "server")]

mod common;

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use common::{chromium, Body, TakeEvents};
use http_body_util::{BodyExt, Full};
use hyper::{Method, Response, StatusCode};
use serde_json::Value;
use tether_sse::{last_event_id, sse_response, Channel, ChannelConfig, Event};
use tokio::sync::mpsc;

const PAGE: &str = include_str!("../../../interop/browser/sse_test.html");

/// What the server saw of one `/events` request.
#[derive(Debug)]
struct Subscribed {
    last_event_id: Option<String>,
    at: Instant,
}

fn full(status: StatusCode, content_type: &str, body: impl Into<Bytes>) -> Response<Body> {
    Response::builder()
        .status(status)
        .header("content-type", content_type)
        .body(Full::new(body.into()).boxed_unsync())
        .expect("response")
}

fn data(i: u32) -> String {
    match i {
        // Multi-line and non-ASCII data, as the browser joins and decodes it.
        5 => "e5 line 1\ne5 line 2".to_owned(),
        9 => "e9 é€😀".to_owned(),
        _ => format!("e{i}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_event_source_resumes_with_last_event_id() {
    const EVENTS: u32 = 10;
    let retry = Duration::from_millis(200);
    let channel = Channel::new(
        ChannelConfig::default()
            .with_retry(Some(retry))
            .with_keep_alive(Some(Duration::from_secs(1))),
    );
    let (subscribed_tx, mut subscribed) = mpsc::unbounded_channel::<Subscribed>();
    let (report_tx, mut report) = mpsc::unbounded_channel::<Bytes>();
    let first_ended: Arc<Mutex<Option<Instant>>> = Arc::default();
    let addr = {
        let channel = channel.clone();
        let first_ended = first_ended.clone();
        let streams = Arc::new(std::sync::atomic::AtomicUsize::new(0));
        common::serve(move |request| {
            let channel = channel.clone();
            let first_ended = first_ended.clone();
            let streams = streams.clone();
            let subscribed_tx = subscribed_tx.clone();
            let report_tx = report_tx.clone();
            async move {
                match (request.method(), request.uri().path()) {
                    (&Method::GET, "/") => full(StatusCode::OK, "text/html; charset=utf-8", PAGE),
                    (&Method::GET, "/events") => {
                        let n = streams.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                        let response = sse_response(&channel, request.headers());
                        let _ = subscribed_tx.send(Subscribed {
                            last_event_id: last_event_id(request.headers()).map(str::to_owned),
                            at: Instant::now(),
                        });
                        response.map(|body| -> Body {
                            if n == 0 {
                                let mut body = TakeEvents::new(body, 3);
                                body.ended_at = first_ended;
                                body.boxed_unsync()
                            } else {
                                body.boxed_unsync()
                            }
                        })
                    }
                    (&Method::POST, "/report") => {
                        let body = request.into_body().collect().await;
                        if let Ok(body) = body {
                            let _ = report_tx.send(body.to_bytes());
                        }
                        full(StatusCode::OK, "text/plain", "thanks")
                    }
                    _ => full(StatusCode::NOT_FOUND, "text/plain", "not found"),
                }
            }
        })
        .await
    };

    let (_browser, _profile) = chromium(&format!("http://{addr}/?n={EVENTS}"));
    let run = async {
        let first = subscribed.recv().await.expect("the first subscription");
        // 1 to 3 reach the browser; 4 to 7 are sent while the first response
        // ends and before the browser is back: they must be replayed.
        for i in 1..=7 {
            channel.send(Event::new(data(i))).expect("send");
        }
        let second = subscribed.recv().await.expect("the reconnection");
        for i in 8..=EVENTS {
            channel.send(Event::new(data(i))).expect("send");
        }
        let report = report.recv().await.expect("the report");
        (first, second, report)
    };
    let (first, second, report) = tokio::time::timeout(Duration::from_secs(30), run)
        .await
        .expect("the browser did not finish in 30 s");

    assert_eq!(first.last_event_id, None);
    assert_eq!(second.last_event_id.as_deref(), Some("3"));
    let report: Value = serde_json::from_slice(&report).expect("JSON report");
    let want_data: Vec<String> = (1..=EVENTS).map(data).collect();
    let want_ids: Vec<String> = (1..=EVENTS).map(|i| i.to_string()).collect();
    assert_eq!(report["data"], serde_json::json!(want_data), "{report}");
    assert_eq!(report["ids"], serde_json::json!(want_ids), "{report}");
    assert!(
        report["types"]
            .as_array()
            .expect("types")
            .iter()
            .all(|t| t == "message"),
        "{report}"
    );
    assert_eq!(report["opens"], 2, "{report}");
    assert_eq!(report["errors"], 1, "{report}");
    assert_eq!(report["readyState"], 2, "closed: {report}");
    assert!(
        subscribed.try_recv().is_err(),
        "no third request to /events"
    );

    // The server's retry (200 ms) was honoured, not the default 3 s: the
    // reconnection came within a generous bound below 3 s.
    let ended = first_ended
        .lock()
        .expect("lock")
        .expect("the first response ended");
    let gap = second.at.saturating_duration_since(ended);
    eprintln!("chromium reconnected {gap:?} after the first response ended (retry: {retry:?})");
    assert!(
        gap < Duration::from_millis(2500),
        "reconnected after {gap:?}"
    );
}
