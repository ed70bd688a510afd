//! The server side: a [`Channel`] of events, and the [`EventStream`] response
//! body that each subscriber reads, with keep-alive and `Last-Event-ID`
//! replay.

use std::collections::VecDeque;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{HeaderMap, HeaderName, HeaderValue, CACHE_CONTROL, CONTENT_TYPE};
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::time::{Instant, Sleep};
use tokio_util::sync::ReusableBoxFuture;

use crate::{encode, Error, Event, Utf8Bytes};

/// The request header a reconnecting `EventSource` sends.
const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");

/// What a keep-alive writes: a comment, which receivers ignore.
const KEEP_ALIVE: Bytes = Bytes::from_static(b": keep-alive\n\n");

/// Settings of a [`Channel`].
///
/// # Memory
///
/// A channel holds at most `replay_capacity` encoded events in its replay
/// buffer and `buffer` in its broadcast queue; both share the same bytes (an
/// event is encoded once, at [`Channel::send`], and every subscriber writes
/// the same [`Bytes`]), so a channel holds at most
/// `(replay_capacity + buffer) × the largest encoded event` bytes, whatever
/// the number of subscribers. The events are the application's own, so their
/// size is the application's to bound. Each subscriber adds a fixed amount
/// (its queue position, a timer) plus, while it replays, a list of handles to
/// at most `replay_capacity` events it has not written yet, and whatever the
/// HTTP server buffers for its connection.
///
/// `#[non_exhaustive]`: start from [`ChannelConfig::default`] and use the
/// `with_*` setters.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ChannelConfig {
    /// How many of the latest events are kept to replay to a client that
    /// reconnects with `Last-Event-ID` (and to resynchronise a subscriber
    /// that fell behind); the oldest is dropped when a new one arrives.
    ///
    /// Default: 1024 ([`ChannelConfig::DEFAULT_REPLAY_CAPACITY`]). Range: 0
    /// (no replay: a reconnecting client misses what was sent while it was
    /// away, and a lagging subscriber's stream ends) to `usize::MAX`.
    /// Memory: one encoded event each.
    pub replay_capacity: usize,

    /// The capacity of the broadcast queue: how many events a subscriber may
    /// be behind the newest one before it lags.
    ///
    /// Default: 256 ([`ChannelConfig::DEFAULT_BUFFER`]). Range: 1 to
    /// `usize::MAX / 2` (values outside are clamped). A subscriber that falls
    /// further behind (a slow client, a full TCP window) is resynchronised
    /// from the replay buffer if that still holds every event it missed, and
    /// its stream ends otherwise (see [`EventStream`]), so a slow client
    /// never makes the channel buffer more. Keep `replay_capacity` at least
    /// as large so that a lag can be recovered.
    pub buffer: usize,

    /// Send a keep-alive comment (`: keep-alive`) when nothing else was
    /// written for this long, so that proxies and load balancers do not close
    /// an idle connection and a dead client is noticed when the write fails.
    ///
    /// Default: 15 s ([`ChannelConfig::DEFAULT_KEEP_ALIVE`]). `None` or zero
    /// disables it.
    pub keep_alive: Option<Duration>,

    /// A reconnection time sent at the start of each stream as a `retry`
    /// field: how long a client waits before it reconnects.
    ///
    /// Default: `None` (clients keep their own default, 3 s in browsers).
    pub retry: Option<Duration>,

    /// The automatic id of the channel's first event; the next ones count
    /// up from it.
    ///
    /// Default: 1. A server that restarts should start each process past
    /// the ids the last one used (the Unix time in milliseconds, say): a
    /// browser's `Last-Event-ID` from before the restart then matches
    /// nothing, and the client gets the whole replay buffer instead of a
    /// replay from an unrelated event that happens to have its id.
    pub first_id: u64,
}

impl ChannelConfig {
    /// The default [`ChannelConfig::replay_capacity`]: 1024 events.
    pub const DEFAULT_REPLAY_CAPACITY: usize = 1024;
    /// The default [`ChannelConfig::buffer`]: 256 events.
    pub const DEFAULT_BUFFER: usize = 256;
    /// The default [`ChannelConfig::keep_alive`]: 15 s.
    pub const DEFAULT_KEEP_ALIVE: Duration = Duration::from_secs(15);

    /// Sets [`ChannelConfig::replay_capacity`].
    pub fn with_replay_capacity(mut self, events: usize) -> Self {
        self.replay_capacity = events;
        self
    }

    /// Sets [`ChannelConfig::buffer`].
    pub fn with_buffer(mut self, events: usize) -> Self {
        self.buffer = events;
        self
    }

    /// Sets [`ChannelConfig::keep_alive`].
    pub fn with_keep_alive(mut self, every: Option<Duration>) -> Self {
        self.keep_alive = every;
        self
    }

    /// Sets [`ChannelConfig::retry`].
    pub fn with_retry(mut self, retry: Option<Duration>) -> Self {
        self.retry = retry;
        self
    }

    /// Sets [`ChannelConfig::first_id`].
    pub fn with_first_id(mut self, id: u64) -> Self {
        self.first_id = id;
        self
    }
}

impl Default for ChannelConfig {
    fn default() -> Self {
        ChannelConfig {
            replay_capacity: Self::DEFAULT_REPLAY_CAPACITY,
            buffer: Self::DEFAULT_BUFFER,
            keep_alive: Some(Self::DEFAULT_KEEP_ALIVE),
            retry: None,
            first_id: 1,
        }
    }
}

/// A stream of events with many subscribers, each an HTTP response body
/// ([`EventStream`]), and a bounded replay buffer to resume the clients that
/// reconnect with `Last-Event-ID`.
///
/// A clone is another handle to the same channel. When the last handle is
/// dropped, every subscriber's stream ends after the events already sent.
///
/// * [`send`](Channel::send) gives the event an id if it has none (the
///   channel's sequence number: `1`, `2`, `3`, …, counting every event
///   sent, or from [`ChannelConfig::first_id`]), encodes it once, keeps it in the replay buffer (the oldest
///   dropped beyond [`ChannelConfig::replay_capacity`]) and broadcasts it.
/// * [`subscribe`](Channel::subscribe) starts a stream: first the events
///   after the client's last event ID, then the live ones. The replay
///   snapshot and the live subscription are taken under one lock, the one
///   `send` holds, so nothing is missed or written twice at the switch.
///
/// Ids should be unique within the replay buffer (the automatic ones are);
/// a `Last-Event-ID` matches the most recent event with that id.
///
/// # Example
///
/// A hyper 1 service (with axum, see [`sse_response`]):
///
/// ```no_run
/// use std::convert::Infallible;
/// use tether_sse::{sse_response, Channel, ChannelConfig, Event, EventStream};
///
/// let channel = Channel::new(ChannelConfig::default());
/// let service = {
///     let channel = channel.clone();
///     move |request: http::Request<()>| {
///         let response: http::Response<EventStream> = sse_response(&channel, request.headers());
///         async move { Ok::<_, Infallible>(response) }
///     }
/// };
/// // Serve `service` with hyper's `service_fn`, then elsewhere:
/// channel.send(Event::new("hello")).unwrap(); // id "1"
/// # let _ = service;
/// ```
#[derive(Clone)]
pub struct Channel {
    shared: Arc<Shared>,
}

struct Shared {
    config: ChannelConfig,
    /// The `retry` block each stream starts with.
    preamble: Option<Bytes>,
    inner: Mutex<Inner>,
}

struct Inner {
    /// The latest events, oldest first, at most `replay_capacity`.
    ring: VecDeque<Entry>,
    /// The sequence number of the next event.
    next_seq: u64,
    sender: broadcast::Sender<Entry>,
}

/// An event as sent: encoded once, shared by every subscriber.
#[derive(Clone, Debug)]
struct Entry {
    /// The channel's sequence number, 1 for the first event.
    seq: u64,
    id: Utf8Bytes,
    wire: Bytes,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The critical sections cannot leave `Inner` inconsistent.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Channel {
    /// A channel with the given settings.
    pub fn new(config: ChannelConfig) -> Channel {
        let buffer = config.buffer.clamp(1, usize::MAX / 2);
        let (sender, _) = broadcast::channel(buffer);
        let preamble = config.retry.map(|retry| {
            let mut wire = BytesMut::new();
            // A `retry`-only event has no text to reject.
            let _ = encode(&Event::default().with_retry(retry), &mut wire);
            wire.freeze()
        });
        Channel {
            shared: Arc::new(Shared {
                preamble,
                inner: Mutex::new(Inner {
                    ring: VecDeque::with_capacity(config.replay_capacity.min(1024)),
                    next_seq: 1,
                    sender,
                }),
                config,
            }),
        }
    }

    /// The settings.
    pub fn config(&self) -> &ChannelConfig {
        &self.shared.config
    }

    /// Sends `event` to every subscriber and keeps it for replay; returns its
    /// id.
    ///
    /// An event without an id gets the channel's sequence number as its id
    /// (`1` for the first event sent); an event with one keeps it (so
    /// `Some("")`, which resets the client's last event ID, cannot be
    /// resumed from). Events without data (a comment, a `retry`) are sent
    /// and kept like the others.
    ///
    /// Never waits: a subscriber that is too far behind lags (see
    /// [`EventStream`]) rather than slowing the sender down.
    ///
    /// # Errors
    ///
    /// As [`encode`]: [`Error::InvalidId`] or [`Error::InvalidEventType`];
    /// nothing is sent and no sequence number is used.
    pub fn send(&self, event: Event) -> Result<Utf8Bytes, Error> {
        let mut wire = BytesMut::new();
        if event.id.is_some() {
            // Encoded outside the lock.
            encode(&event, &mut wire)?;
        }
        let mut inner = self.shared.lock();
        let seq = inner.next_seq;
        let id = match &event.id {
            Some(id) => id.clone(),
            None => {
                let number = seq
                    .saturating_sub(1)
                    .saturating_add(self.shared.config.first_id);
                let id = Utf8Bytes::from(number.to_string());
                let event = Event {
                    id: Some(id.clone()),
                    ..event
                };
                encode(&event, &mut wire)?;
                id
            }
        };
        inner.next_seq = seq.saturating_add(1);
        let entry = Entry {
            seq,
            id: id.clone(),
            wire: wire.freeze(),
        };
        let capacity = self.shared.config.replay_capacity;
        if capacity > 0 {
            while inner.ring.len() >= capacity {
                inner.ring.pop_front();
            }
            inner.ring.push_back(entry.clone());
        }
        // An error only says that nobody is subscribed.
        let _ = inner.sender.send(entry);
        Ok(id)
    }

    /// A stream for a client whose last event ID is `last_event_id` (the
    /// `Last-Event-ID` request header; `None` or empty for a new client).
    ///
    /// The stream starts with the `retry` field of
    /// [`ChannelConfig::retry`], if any, then:
    ///
    /// * no last event ID: only the events sent from now on;
    /// * an id the replay buffer holds: the events sent after it (exactly
    ///   those the client missed), then the live ones;
    /// * an id the buffer does not hold (older than the oldest kept, or not
    ///   from this channel, for example from before a server restart): every
    ///   event the buffer holds, then the live ones. The client gets all that
    ///   can still be given; what was dropped from the buffer is lost.
    ///
    /// Takes the channel's lock for the time of copying up to
    /// [`ChannelConfig::replay_capacity`] handles (not bytes).
    pub fn subscribe(&self, last_event_id: Option<&str>) -> EventStream {
        let inner = self.shared.lock();
        let receiver = inner.sender.subscribe();
        let newest = inner.next_seq.saturating_sub(1);
        let replay: VecDeque<Entry> = match last_event_id.filter(|id| !id.is_empty()) {
            None => VecDeque::new(),
            Some(id) => {
                let start = inner
                    .ring
                    .iter()
                    .rposition(|entry| entry.id == id)
                    .map_or(0, |at| at + 1);
                inner.ring.range(start..).cloned().collect()
            }
        };
        drop(inner);
        let delivered = replay
            .front()
            .map_or(newest, |first| first.seq.saturating_sub(1));
        EventStream {
            channel: Arc::downgrade(&self.shared),
            preamble: self.shared.preamble.clone(),
            replay,
            delivered,
            receiver: ReusableBoxFuture::new(receive(receiver)),
            keep_alive: self
                .shared
                .config
                .keep_alive
                .filter(|every| !every.is_zero())
                .map(KeepAlive::new),
            done: false,
        }
    }

    /// How many streams are subscribed (the live ones; a stream counts until
    /// it is dropped, typically when its client disconnects).
    pub fn subscriber_count(&self) -> usize {
        self.shared.lock().sender.receiver_count()
    }

    /// How many events the replay buffer holds.
    pub fn replay_len(&self) -> usize {
        self.shared.lock().ring.len()
    }
}

impl fmt::Debug for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let inner = self.shared.lock();
        f.debug_struct("Channel")
            .field("config", &self.shared.config)
            .field("replay_len", &inner.ring.len())
            .field("next_seq", &inner.next_seq)
            .field("subscribers", &inner.sender.receiver_count())
            .finish()
    }
}

/// Receives the next broadcast entry; owns the receiver so that the future is
/// `'static` (and reused: [`ReusableBoxFuture`] keeps its allocation).
async fn receive(
    mut receiver: broadcast::Receiver<Entry>,
) -> (Result<Entry, RecvError>, broadcast::Receiver<Entry>) {
    let result = receiver.recv().await;
    (result, receiver)
}

/// The keep-alive timer: fires when `every` passed since the last write. The
/// timer is re-armed only when it fires, not at every write.
struct KeepAlive {
    every: Duration,
    /// The last write (set at the first poll).
    last_write: Option<Instant>,
    /// Created at the first poll, inside the runtime.
    sleep: Option<Pin<Box<Sleep>>>,
}

impl KeepAlive {
    fn new(every: Duration) -> KeepAlive {
        KeepAlive {
            every,
            last_write: None,
            sleep: None,
        }
    }

    fn wrote(&mut self) {
        self.last_write = Some(Instant::now());
    }

    /// Ready when a keep-alive is due.
    fn poll(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        let last_write = *self.last_write.get_or_insert_with(Instant::now);
        let due = last_write + self.every;
        let sleep = self
            .sleep
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(due)));
        loop {
            ready!(sleep.as_mut().poll(cx));
            if due <= sleep.deadline() {
                return Poll::Ready(());
            }
            // Something was written since the timer was armed.
            sleep.as_mut().reset(due);
        }
    }
}

/// The response body of one subscriber of a [`Channel`]: the encoded events,
/// as `text/event-stream` bytes.
///
/// An [`http_body::Body`] (hyper 1 serves it as it is; with the `axum`
/// feature it is also an `IntoResponse`) and a [`futures_core::Stream`] of
/// `Bytes` (for frameworks that take a stream). Build the whole response
/// (status and headers) with [`EventStream::into_http_response`] or
/// [`sse_response`].
///
/// It writes, in order:
///
/// 1. the `retry` field of [`ChannelConfig::retry`], if set;
/// 2. the replayed events (see [`Channel::subscribe`]);
/// 3. the live events, in the order they were sent, each exactly once;
/// 4. a keep-alive comment whenever nothing was written for
///    [`ChannelConfig::keep_alive`].
///
/// It ends (the HTTP response ends; a browser then reconnects with its
/// `Last-Event-ID`) when every [`Channel`] handle is dropped, after the
/// events already sent, or when it lagged beyond repair:
///
/// | the subscriber fell more than [`ChannelConfig::buffer`] events behind, and the replay buffer | then |
/// |---|---|
/// | still holds every event it missed | it is resynchronised from the replay buffer, without loss or duplicate, and goes on |
/// | has dropped some of them | the stream ends: the client reconnects with its `Last-Event-ID`, which the buffer no longer holds, so it gets all the buffer holds (the loss is what was dropped) |
///
/// Dropping it (the client went away) unsubscribes.
pub struct EventStream {
    channel: Weak<Shared>,
    preamble: Option<Bytes>,
    /// Events to write before the live ones.
    replay: VecDeque<Entry>,
    /// The sequence number of the last event written or skipped: live
    /// events up to it are not written again.
    delivered: u64,
    receiver: ReusableBoxFuture<'static, (Result<Entry, RecvError>, broadcast::Receiver<Entry>)>,
    keep_alive: Option<KeepAlive>,
    done: bool,
}

impl EventStream {
    /// The whole response: status 200, `Content-Type: text/event-stream`,
    /// `Cache-Control: no-cache`, and this stream as the body.
    pub fn into_http_response(self) -> http::Response<EventStream> {
        let mut response = http::Response::new(self);
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        response
    }

    /// The next bytes to write; `None` at the end.
    fn poll_bytes(&mut self, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        if self.done {
            return Poll::Ready(None);
        }
        let bytes = match self.poll_event(cx) {
            Poll::Ready(Some(bytes)) => bytes,
            Poll::Ready(None) => {
                self.done = true;
                return Poll::Ready(None);
            }
            Poll::Pending => match &mut self.keep_alive {
                Some(keep_alive) => {
                    ready!(keep_alive.poll(cx));
                    KEEP_ALIVE
                }
                None => return Poll::Pending,
            },
        };
        if let Some(keep_alive) = &mut self.keep_alive {
            keep_alive.wrote();
        }
        Poll::Ready(Some(bytes))
    }

    fn poll_event(&mut self, cx: &mut Context<'_>) -> Poll<Option<Bytes>> {
        if let Some(preamble) = self.preamble.take() {
            return Poll::Ready(Some(preamble));
        }
        loop {
            if let Some(entry) = self.replay.pop_front() {
                self.delivered = entry.seq;
                return Poll::Ready(Some(entry.wire));
            }
            let (result, receiver) = ready!(self.receiver.poll(cx));
            self.receiver.set(receive(receiver));
            match result {
                // Already written from the replay buffer.
                Ok(entry) if entry.seq <= self.delivered => {}
                Ok(entry) => {
                    self.delivered = entry.seq;
                    return Poll::Ready(Some(entry.wire));
                }
                Err(RecvError::Lagged(_)) => {
                    if !self.resync() {
                        return Poll::Ready(None);
                    }
                }
                Err(RecvError::Closed) => return Poll::Ready(None),
            }
        }
    }

    /// After a lag: queues what the replay buffer holds after the last event
    /// written; `false` if it no longer holds all of it.
    fn resync(&mut self) -> bool {
        let Some(shared) = self.channel.upgrade() else {
            return false;
        };
        let inner = shared.lock();
        let next = self.delivered.saturating_add(1);
        let start = inner.ring.partition_point(|entry| entry.seq < next);
        match inner.ring.get(start) {
            Some(entry) if entry.seq == next => {
                self.replay = inner.ring.range(start..).cloned().collect();
                true
            }
            Some(_) => false,
            // Nothing newer is kept: complete only if nothing newer was sent.
            None => inner.next_seq == next,
        }
    }
}

impl http_body::Body for EventStream {
    type Data = Bytes;
    type Error = Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<http_body::Frame<Bytes>, Infallible>>> {
        self.get_mut()
            .poll_bytes(cx)
            .map(|bytes| bytes.map(|bytes| Ok(http_body::Frame::data(bytes))))
    }

    fn is_end_stream(&self) -> bool {
        self.done
    }
}

impl futures_core::Stream for EventStream {
    type Item = Result<Bytes, Infallible>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.get_mut().poll_bytes(cx).map(|bytes| bytes.map(Ok))
    }
}

impl fmt::Debug for EventStream {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EventStream")
            .field("replay_pending", &self.replay.len())
            .field("delivered", &self.delivered)
            .field("keep_alive", &self.keep_alive.as_ref().map(|k| k.every))
            .field("done", &self.done)
            .finish_non_exhaustive()
    }
}

/// The `Last-Event-ID` of a request, if it has a non-empty one that is
/// UTF-8 (what `EventSource` sends).
pub fn last_event_id(headers: &HeaderMap) -> Option<&str> {
    headers
        .get(LAST_EVENT_ID)
        .and_then(|value| std::str::from_utf8(value.as_bytes()).ok())
        .filter(|id| !id.is_empty())
}

/// The response to an `EventSource` request: a stream of `channel`
/// resumed from the request's `Last-Event-ID` header (see
/// [`Channel::subscribe`]), with status 200, `Content-Type:
/// text/event-stream` and `Cache-Control: no-cache`.
///
/// The return value is a hyper 1 response, and an axum response (axum
/// implements `IntoResponse` for `http::Response<B>` of any such body):
///
/// ```no_run
/// # #[cfg(feature = "axum")] {
/// use axum::extract::State;
/// use axum::http::HeaderMap;
/// use axum::response::IntoResponse;
/// use tether_sse::{sse_response, Channel};
///
/// async fn events(State(channel): State<Channel>, headers: HeaderMap) -> impl IntoResponse {
///     sse_response(&channel, &headers)
/// }
///
/// let app: axum::Router = axum::Router::new()
///     .route("/events", axum::routing::get(events))
///     .with_state(Channel::new(Default::default()));
/// # }
/// ```
pub fn sse_response(channel: &Channel, headers: &HeaderMap) -> http::Response<EventStream> {
    channel
        .subscribe(last_event_id(headers))
        .into_http_response()
}

#[cfg(feature = "axum")]
impl axum_core::response::IntoResponse for EventStream {
    /// As [`EventStream::into_http_response`].
    fn into_response(self) -> axum_core::response::Response {
        self.into_http_response().map(axum_core::body::Body::new)
    }
}

#[cfg(test)]
mod tests;
