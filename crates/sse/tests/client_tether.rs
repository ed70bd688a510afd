//! The client against the tether server (a hyper 1 server with a
//! [`Channel`]): the server ends the first response after a few events, the
//! client reconnects after the server's `retry` with its `Last-Event-ID`, and
//! gets the events it missed from the replay buffer, then the live ones.
#![cfg(all(feature = "server", feature = "client"))]

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::{until, Body, TakeEvents, WAIT};
use futures::StreamExt;
use http_body_util::BodyExt;
use tether_sse::{sse_response, Channel, ChannelConfig, ClientConfig, Event, EventSource};

#[tokio::test]
async fn the_client_resumes_from_the_tether_server() {
    let channel = Channel::new(
        ChannelConfig::default()
            .with_retry(Some(Duration::from_millis(100)))
            .with_keep_alive(Some(Duration::from_millis(50))),
    );
    let requests = Arc::new(AtomicUsize::new(0));
    let last_ids: Arc<Mutex<Vec<Option<String>>>> = Arc::default();
    let addr = {
        let (channel, requests, last_ids) = (channel.clone(), requests.clone(), last_ids.clone());
        common::serve(move |request| {
            let n = requests.fetch_add(1, Ordering::SeqCst);
            last_ids
                .lock()
                .expect("lock")
                .push(tether_sse::last_event_id(request.headers()).map(str::to_owned));
            let response = sse_response(&channel, request.headers());
            // The first response ends after three events.
            let response = response.map(|body| -> Body {
                if n == 0 {
                    TakeEvents::new(body, 3).boxed_unsync()
                } else {
                    body.boxed_unsync()
                }
            });
            async move { response }
        })
        .await
    };

    let mut source = EventSource::new(
        &format!("http://{addr}/events"),
        ClientConfig::default().with_max_reconnect_attempts(Some(3)),
    )
    .expect("url");
    let mut got = Vec::new();
    let next = async |source: &mut EventSource| {
        let event = tokio::time::timeout(WAIT, source.next())
            .await
            .expect("timed out")
            .expect("open")
            .expect("an event");
        (event.last_event_id().to_owned(), event.data().to_owned())
    };
    // Sent once the client is subscribed (it connects when polled).
    let first = {
        let channel = channel.clone();
        tokio::spawn(async move {
            until("the first subscription", || channel.subscriber_count() == 1).await;
            for i in 1..=5 {
                channel.send(Event::new(format!("e{i}"))).expect("send");
            }
        })
    };
    for _ in 0..5 {
        got.push(next(&mut source).await);
    }
    first.await.expect("sender");
    assert_eq!(source.reconnects(), 1);
    assert_eq!(source.reconnection_time(), Duration::from_millis(100));
    // Live again.
    for i in 6..=8 {
        channel.send(Event::new(format!("e{i}"))).expect("send");
    }
    for _ in 6..=8 {
        got.push(next(&mut source).await);
    }
    let want: Vec<(String, String)> = (1..=8).map(|i| (i.to_string(), format!("e{i}"))).collect();
    assert_eq!(got, want);
    assert_eq!(requests.load(Ordering::SeqCst), 2);
    assert_eq!(
        *last_ids.lock().expect("lock"),
        [None, Some("3".to_owned())]
    );
}
