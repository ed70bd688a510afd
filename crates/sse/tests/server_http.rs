//! The server over real HTTP/1.1: a hyper 1 server on 127.0.0.1 answering
//! with [`sse_response`], read by a raw TCP client that sees the response
//! head and the bytes of each event.
#![cfg(feature = "server")]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use common::{block, until, Body, RawClient};
use http_body_util::BodyExt;
use tether_sse::{sse_response, Channel, ChannelConfig, Event};

/// A server of `channel` at `/events`.
async fn serve(channel: &Channel) -> SocketAddr {
    let channel = channel.clone();
    common::serve(move |request| {
        let response =
            sse_response(&channel, request.headers()).map(|b| -> Body { b.boxed_unsync() });
        async move { response }
    })
    .await
}

fn quiet() -> ChannelConfig {
    ChannelConfig::default().with_keep_alive(None)
}

fn send_all(channel: &Channel, range: std::ops::RangeInclusive<u32>) {
    for i in range {
        channel.send(Event::new(format!("e{i}"))).expect("send");
    }
}

#[tokio::test]
async fn the_response_head_then_retry_then_events() {
    let channel = Channel::new(quiet().with_retry(Some(Duration::from_millis(100))));
    let addr = serve(&channel).await;
    let mut client = RawClient::get(addr, "/events", "").await;
    assert!(
        client.head.starts_with("HTTP/1.1 200 OK\r\n"),
        "{}",
        client.head
    );
    assert_eq!(client.header("content-type"), Some("text/event-stream"));
    assert_eq!(client.header("cache-control"), Some("no-cache"));
    assert_eq!(client.header("transfer-encoding"), Some("chunked"));
    assert_eq!(client.header("content-length"), None);
    assert_eq!(client.next_block().await.as_deref(), Some("retry: 100\n\n"));

    until("the subscription", || channel.subscriber_count() == 1).await;
    channel
        .send(Event::new("two\nlines").with_event("tick"))
        .expect("send");
    channel
        .send(Event::new("x").with_id("custom"))
        .expect("send");
    assert_eq!(
        client.next_block().await.as_deref(),
        Some("event: tick\nid: 1\ndata: two\ndata: lines\n\n")
    );
    assert_eq!(
        client.next_block().await.as_deref(),
        Some("id: custom\ndata: x\n\n")
    );
}

#[tokio::test]
async fn keep_alive_comments_when_idle() {
    let channel =
        Channel::new(ChannelConfig::default().with_keep_alive(Some(Duration::from_millis(100))));
    let addr = serve(&channel).await;
    let mut client = RawClient::get(addr, "/events", "").await;
    // Nothing is sent: keep-alives arrive (each within the generous bound of
    // `next_block`).
    for _ in 0..3 {
        assert_eq!(
            client.next_block().await.as_deref(),
            Some(": keep-alive\n\n")
        );
    }
    // Events still come through, and keep-alives resume after them.
    channel.send(Event::new("between")).expect("send");
    assert_eq!(client.next_event().await, Some(block("1", "between")));
    assert_eq!(
        client.next_block().await.as_deref(),
        Some(": keep-alive\n\n")
    );
}

#[tokio::test]
async fn last_event_id_resumes_with_exactly_the_missed_events() {
    let channel = Channel::new(quiet());
    let addr = serve(&channel).await;
    // A first client reads a few events, then goes away.
    let mut first = RawClient::get(addr, "/events", "").await;
    until("the first subscription", || channel.subscriber_count() == 1).await;
    send_all(&channel, 1..=3);
    for i in 1..=3 {
        assert_eq!(
            first.next_block().await,
            Some(block(&i.to_string(), &format!("e{i}")))
        );
    }
    drop(first);
    // Sent while it was away.
    send_all(&channel, 4..=6);
    let mut again = RawClient::get(addr, "/events", "Last-Event-ID: 3\r\n").await;
    assert_eq!(again.status(), 200);
    for i in 4..=6 {
        assert_eq!(
            again.next_block().await,
            Some(block(&i.to_string(), &format!("e{i}")))
        );
    }
    // Then live, without a duplicate.
    send_all(&channel, 7..=7);
    assert_eq!(again.next_block().await, Some(block("7", "e7")));
}

#[tokio::test]
async fn the_bounded_replay_drops_the_oldest() {
    let channel = Channel::new(quiet().with_replay_capacity(3));
    let addr = serve(&channel).await;
    send_all(&channel, 1..=6);
    assert_eq!(channel.replay_len(), 3);
    // The id is too old: all that is kept (4 to 6).
    let mut client = RawClient::get(addr, "/events", "Last-Event-ID: 1\r\n").await;
    for i in 4..=6 {
        assert_eq!(
            client.next_block().await,
            Some(block(&i.to_string(), &format!("e{i}")))
        );
    }
    let mut client = RawClient::get(addr, "/events", "Last-Event-ID: 5\r\n").await;
    assert_eq!(client.next_block().await, Some(block("6", "e6")));
    // Nothing else is pending: the next block is a live one.
    until("the subscriptions", || channel.subscriber_count() == 2).await;
    send_all(&channel, 7..=7);
    assert_eq!(client.next_block().await, Some(block("7", "e7")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn many_subscribers_all_get_everything_in_order() {
    const CLIENTS: usize = 20;
    const EVENTS: u32 = 200;
    let channel = Channel::new(quiet().with_buffer(1024));
    let addr = serve(&channel).await;
    let mut clients = Vec::new();
    for _ in 0..CLIENTS {
        clients.push(RawClient::get(addr, "/events", "").await);
    }
    until("every subscription", || {
        channel.subscriber_count() == CLIENTS
    })
    .await;
    let readers: Vec<_> = clients
        .into_iter()
        .map(|mut client| {
            tokio::spawn(async move {
                let mut blocks = Vec::new();
                for _ in 0..EVENTS {
                    blocks.push(client.next_block().await.expect("an event"));
                }
                blocks
            })
        })
        .collect();
    send_all(&channel, 1..=EVENTS);
    let want: Vec<String> = (1..=EVENTS)
        .map(|i| block(&i.to_string(), &format!("e{i}")))
        .collect();
    for reader in readers {
        assert_eq!(reader.await.expect("reader"), want);
    }
}

#[tokio::test]
async fn a_client_that_goes_away_is_unsubscribed() {
    let channel =
        Channel::new(ChannelConfig::default().with_keep_alive(Some(Duration::from_millis(50))));
    let addr = serve(&channel).await;
    let client = RawClient::get(addr, "/events", "").await;
    until("the subscription", || channel.subscriber_count() == 1).await;
    drop(client);
    // Noticed at the latest when a keep-alive cannot be written.
    until("the unsubscription", || channel.subscriber_count() == 0).await;
}
