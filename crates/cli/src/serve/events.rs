//! `/events`: Server-Sent Events from one tether-sse [`Channel`].
//!
//! | event | data |
//! |---|---|
//! | `tick` | JSON counts, every `--tick` seconds: `{"n":1,"uptime_s":5,"sockets":2,"rooms":1,"messages":7,"sse":1,"ws":0}` |
//! | `activity` | what happens in the chat, as text: `alice connected`, `alice joined lobby (2 members)`, `alice wrote in lobby (7 messages)`, `alice is now bob`, `alice left lobby`, `alice disconnected (transport close)`, `alice reconnected (recovered: lobby)` |
//!
//! Every event has the channel's id, `1`, `2`, `3`, … in the order sent;
//! a client that reconnects with `Last-Event-ID` gets the events after
//! that one from the replay buffer (the last [`REPLAY`]), then the live
//! ones. The stream starts with `retry: 1000`.

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{ConnectInfo, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use futures::Stream;
use tether_sse::{last_event_id, Channel, ChannelConfig, Event, EventStream};
use tracing::info;

use super::App;

/// The first event's id: the Unix time in milliseconds, so that each
/// process's ids start past the last one's.
fn first_id() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| u64::try_from(d.as_millis()).unwrap_or(1))
}

/// How many of the latest events are kept for `Last-Event-ID` resume.
pub(crate) const REPLAY: usize = 512;

/// The channel of `/events`. Cheap to clone.
#[derive(Clone, Debug)]
pub(crate) struct Events {
    channel: Channel,
    next_subscriber: Arc<AtomicU64>,
}

impl Events {
    /// A channel that keeps the last [`REPLAY`] events and tells clients
    /// to reconnect after 1 s.
    pub(crate) fn new() -> Events {
        Events {
            channel: Channel::new(
                ChannelConfig::default()
                    .with_replay_capacity(REPLAY)
                    .with_retry(Some(Duration::from_secs(1)))
                    // Ids from this process's start time: a browser's
                    // Last-Event-ID from before a restart matches nothing
                    // here, so it gets the whole buffer.
                    .with_first_id(first_id()),
            ),
            next_subscriber: Arc::new(AtomicU64::new(0)),
        }
    }

    /// Sends an `activity` event.
    pub(crate) fn activity(&self, text: impl Into<String>) {
        // The event has no id or type a caller chose: nothing to reject.
        let _ = self
            .channel
            .send(Event::new(text.into()).with_event("activity"));
    }

    /// Sends a `tick` event.
    pub(crate) fn tick(&self, json: String) {
        let _ = self.channel.send(Event::new(json).with_event("tick"));
    }

    /// How many clients are subscribed.
    pub(crate) fn subscribers(&self) -> usize {
        self.channel.subscriber_count()
    }
}

/// `GET /events`: the stream, resumed after the request's
/// `Last-Event-ID`.
pub(crate) async fn handle(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
) -> Response {
    let events = app.events;
    let last_id = last_event_id(&headers).map(str::to_owned);
    let id = events.next_subscriber.fetch_add(1, Ordering::Relaxed) + 1;
    let stream = events.channel.subscribe(last_id.as_deref());
    info!(
        id,
        %peer,
        last_event_id = last_id.as_deref().unwrap_or("-"),
        subscribers = events.subscribers(),
        "sse subscriber connected"
    );
    let body = Body::from_stream(Subscriber {
        stream: Box::pin(stream),
        id,
        peer,
        since: Instant::now(),
        writes: 0,
        ended: false,
    });
    (
        [
            (CONTENT_TYPE, "text/event-stream"),
            (CACHE_CONTROL, "no-cache"),
        ],
        body,
    )
        .into_response()
}

/// One subscriber's stream: logs when it ends (the client went away, or
/// the server stops).
struct Subscriber {
    stream: Pin<Box<EventStream>>,
    id: u64,
    peer: SocketAddr,
    since: Instant,
    writes: u64,
    /// Whether the stream ended (rather than the client going away).
    ended: bool,
}

impl Stream for Subscriber {
    type Item = Result<Bytes, std::convert::Infallible>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let next = self.stream.as_mut().poll_next(cx);
        match next {
            Poll::Ready(Some(_)) => self.writes += 1,
            Poll::Ready(None) => self.ended = true,
            Poll::Pending => {}
        }
        next
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        info!(
            id = self.id,
            peer = %self.peer,
            writes = self.writes,
            seconds = self.since.elapsed().as_secs(),
            reason = if self.ended {
                "the stream ended"
            } else {
                "the client went away"
            },
            "sse subscriber disconnected"
        );
    }
}
