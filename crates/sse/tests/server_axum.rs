//! The server in an axum 0.8 router: [`sse_response`] from a handler that
//! takes the request headers, and an [`EventStream`] returned as it is.
#![cfg(feature = "axum")]

mod common;

use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use axum::routing::get;
use common::{block, until, RawClient};
use tether_sse::{sse_response, Channel, ChannelConfig, Event, EventStream};

async fn events(State(channel): State<Channel>, headers: HeaderMap) -> impl IntoResponse {
    sse_response(&channel, &headers)
}

async fn live(State(channel): State<Channel>) -> EventStream {
    channel.subscribe(None)
}

#[tokio::test]
async fn axum_serves_and_resumes() {
    let channel = Channel::new(ChannelConfig::default().with_keep_alive(None));
    let app = axum::Router::new()
        .route("/events", get(events))
        .route("/live", get(live))
        .with_state(channel.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move { axum::serve(listener, app).await });

    for i in 1..=3 {
        channel.send(Event::new(format!("e{i}"))).expect("send");
    }
    let mut resumed = RawClient::get(addr, "/events", "Last-Event-ID: 1\r\n").await;
    let mut fresh = RawClient::get(addr, "/live", "").await;
    for client in [&resumed, &fresh] {
        assert_eq!(client.status(), 200);
        assert_eq!(client.header("content-type"), Some("text/event-stream"));
        assert_eq!(client.header("cache-control"), Some("no-cache"));
    }
    assert_eq!(resumed.next_block().await, Some(block("2", "e2")));
    assert_eq!(resumed.next_block().await, Some(block("3", "e3")));
    until("both subscriptions", || channel.subscriber_count() == 2).await;
    channel.send(Event::new("e4")).expect("send");
    assert_eq!(resumed.next_block().await, Some(block("4", "e4")));
    assert_eq!(fresh.next_block().await, Some(block("4", "e4")));
}
