//! The client side: [`EventSource`], a stream of events that reconnects.

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::{pin, Pin};
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http::header::{HeaderMap, HeaderName, HeaderValue, ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HOST};
use http::{Method, Request, StatusCode, Uri};
use http_body::Body as _;
use http_body_util::Empty;
use hyper::body::Incoming;
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::net::TcpStream;
use tokio::time::{Instant, Sleep};

use crate::{DecoderConfig, ErrorKind, Event, EventStreamDecoder, Utf8Bytes};

/// The request header that resumes a stream.
const LAST_EVENT_ID: HeaderName = HeaderName::from_static("last-event-id");

/// The shortest wait before a reconnection, whatever the server's `retry`
/// (a `retry: 0` must not make a reconnection loop spin).
const MIN_RECONNECT_DELAY: Duration = Duration::from_millis(1);

/// Settings of an [`EventSource`].
///
/// Every wait is bounded: connecting (until the response head) by
/// `connect_timeout`, a silent connection by `idle_timeout`, each pause
/// before a reconnection by `max_reconnect_delay`.
///
/// `#[non_exhaustive]`: start from [`ClientConfig::default`] and use the
/// `with_*` setters.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClientConfig {
    /// The reconnection time until the server sets one with a `retry`
    /// field: the wait before reconnecting after a connection that delivered
    /// events ends.
    ///
    /// Default: 3 s ([`ClientConfig::DEFAULT_RETRY`]), as in browsers.
    pub retry: Duration,

    /// The longest wait before a reconnection. After a connection that
    /// delivered no event (refused, failed, or ended at once), the wait
    /// doubles (exponential backoff) from the reconnection time up to this
    /// cap; it also caps a server's `retry`, so that a server cannot make
    /// the client wait without bound.
    ///
    /// Default: 60 s ([`ClientConfig::DEFAULT_MAX_RECONNECT_DELAY`]).
    pub max_reconnect_delay: Duration,

    /// How many reconnection attempts in a row may deliver no event: when
    /// that many were made and the last one failed too, the stream ends with
    /// its error. The count starts again after a connection that delivered
    /// an event. `Some(0)` never reconnects.
    ///
    /// Default: `None`, unlimited, as in browsers (every attempt is preceded
    /// by a wait, so this never spins).
    pub max_reconnect_attempts: Option<u32>,

    /// The longest time from starting to connect to the response head (TCP
    /// connect, request, status and headers); a connection that takes longer
    /// is a failed attempt ([`ClientError::ConnectTimeout`]).
    ///
    /// Default: 10 s ([`ClientConfig::DEFAULT_CONNECT_TIMEOUT`]).
    pub connect_timeout: Duration,

    /// Reconnect when no byte arrived for this long
    /// ([`ClientError::IdleTimeout`]): a peer that vanished without closing
    /// the connection (power loss, a NAT that forgot the mapping) is
    /// otherwise never noticed. Servers that send keep-alive comments (the
    /// tether server does, every 15 s by default) stay well inside it.
    ///
    /// Default: 60 s ([`ClientConfig::DEFAULT_IDLE_TIMEOUT`]); `None` waits
    /// forever, as browsers do.
    pub idle_timeout: Option<Duration>,

    /// The limits of the decoder (line length, event size).
    ///
    /// Default: [`DecoderConfig::default`].
    pub decoder: DecoderConfig,

    /// Extra request headers (for example `Authorization`), sent with each
    /// request. `Host`, `Accept`, `Cache-Control` and `Last-Event-ID` are
    /// the client's own and replaced.
    ///
    /// Default: none.
    pub headers: HeaderMap,
}

impl ClientConfig {
    /// The default [`ClientConfig::retry`]: 3 s.
    pub const DEFAULT_RETRY: Duration = Duration::from_secs(3);
    /// The default [`ClientConfig::max_reconnect_delay`]: 60 s.
    pub const DEFAULT_MAX_RECONNECT_DELAY: Duration = Duration::from_secs(60);
    /// The default [`ClientConfig::connect_timeout`]: 10 s.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
    /// The default [`ClientConfig::idle_timeout`]: 60 s.
    pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

    /// Sets [`ClientConfig::retry`].
    pub fn with_retry(mut self, retry: Duration) -> Self {
        self.retry = retry;
        self
    }

    /// Sets [`ClientConfig::max_reconnect_delay`].
    pub fn with_max_reconnect_delay(mut self, max: Duration) -> Self {
        self.max_reconnect_delay = max;
        self
    }

    /// Sets [`ClientConfig::max_reconnect_attempts`].
    pub fn with_max_reconnect_attempts(mut self, max: Option<u32>) -> Self {
        self.max_reconnect_attempts = max;
        self
    }

    /// Sets [`ClientConfig::connect_timeout`].
    pub fn with_connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// Sets [`ClientConfig::idle_timeout`].
    pub fn with_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets [`ClientConfig::decoder`].
    pub fn with_decoder_config(mut self, decoder: DecoderConfig) -> Self {
        self.decoder = decoder;
        self
    }

    /// Adds a header to [`ClientConfig::headers`].
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> Self {
        self.headers.append(name, value);
        self
    }
}

impl Default for ClientConfig {
    fn default() -> Self {
        ClientConfig {
            retry: Self::DEFAULT_RETRY,
            max_reconnect_delay: Self::DEFAULT_MAX_RECONNECT_DELAY,
            max_reconnect_attempts: None,
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            idle_timeout: Some(Self::DEFAULT_IDLE_TIMEOUT),
            decoder: DecoderConfig::default(),
            headers: HeaderMap::new(),
        }
    }
}

/// What can end an [`EventSource`] or one of its connections.
///
/// | variant | [`ErrorKind`] | reaction |
/// |---|---|---|
/// | [`InvalidUrl`](ClientError::InvalidUrl), [`UnsupportedScheme`](ClientError::UnsupportedScheme) | `Caller` | [`EventSource::new`] fails |
/// | [`Status`](ClientError::Status), [`ContentType`](ClientError::ContentType) | `Peer` | the stream ends, no reconnection (as in a browser) |
/// | [`Decode`](ClientError::Decode) | `Peer` | reconnect |
/// | [`Io`](ClientError::Io), [`Http`](ClientError::Http), [`ConnectTimeout`](ClientError::ConnectTimeout), [`IdleTimeout`](ClientError::IdleTimeout) | `Io` | reconnect |
///
/// The stream yields a reconnectable error only when
/// [`ClientConfig::max_reconnect_attempts`] is used up, and then ends.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClientError {
    /// Caller error: the URL does not parse or has no host.
    #[error("invalid URL")]
    InvalidUrl,

    /// Caller error: the URL is not `http://` (`https://` is not supported).
    #[error("unsupported URL scheme: only http:// is supported")]
    UnsupportedScheme,

    /// The server answered with a status other than 200 OK (redirects are
    /// not followed). Not retried.
    #[error("HTTP status {status}")]
    Status {
        /// The status.
        status: StatusCode,
    },

    /// The server answered 200 OK with a `Content-Type` other than
    /// `text/event-stream` (parameters allowed). Not retried.
    #[error("content type is not text/event-stream")]
    ContentType {
        /// The `Content-Type` header, if any.
        content_type: Option<HeaderValue>,
    },

    /// The stream broke a limit of [`ClientConfig::decoder`]; the connection
    /// is dropped, as on a network error.
    #[error(transparent)]
    Decode(crate::Error),

    /// No response head within [`ClientConfig::connect_timeout`].
    #[error("no response within {timeout:?}")]
    ConnectTimeout {
        /// The configured timeout.
        timeout: Duration,
    },

    /// No byte within [`ClientConfig::idle_timeout`].
    #[error("no data for {timeout:?}")]
    IdleTimeout {
        /// The configured timeout.
        timeout: Duration,
    },

    /// Connecting failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),

    /// The HTTP connection failed (also a malformed response).
    #[error(transparent)]
    Http(#[from] hyper::Error),
}

impl ClientError {
    /// Who is at fault.
    pub fn kind(&self) -> ErrorKind {
        match self {
            ClientError::InvalidUrl | ClientError::UnsupportedScheme => ErrorKind::Caller,
            ClientError::Status { .. } | ClientError::ContentType { .. } => ErrorKind::Peer,
            ClientError::Decode(e) => e.kind(),
            ClientError::ConnectTimeout { .. }
            | ClientError::IdleTimeout { .. }
            | ClientError::Io(_)
            | ClientError::Http(_) => ErrorKind::Io,
        }
    }

    /// Whether the client reconnects after this error (a network error), or
    /// gives up (a refusal by the server, a caller error).
    pub fn is_retried(&self) -> bool {
        !matches!(
            self,
            ClientError::InvalidUrl
                | ClientError::UnsupportedScheme
                | ClientError::Status { .. }
                | ClientError::ContentType { .. }
        )
    }
}

/// Where to connect and what to ask.
#[derive(Debug)]
struct Target {
    /// For `TcpStream::connect` (IPv6 without brackets).
    host: String,
    port: u16,
    /// The `Host` header.
    authority: HeaderValue,
    path: String,
    headers: HeaderMap,
}

impl Target {
    fn parse(url: &str, extra: &HeaderMap) -> Result<Target, ClientError> {
        let uri: Uri = url.parse().map_err(|_| ClientError::InvalidUrl)?;
        match uri.scheme_str() {
            Some(scheme) if scheme.eq_ignore_ascii_case("http") => {}
            Some(_) => return Err(ClientError::UnsupportedScheme),
            None => return Err(ClientError::InvalidUrl),
        }
        let authority = uri.authority().ok_or(ClientError::InvalidUrl)?;
        let host = authority.host();
        if host.is_empty() || authority.as_str().contains('@') {
            return Err(ClientError::InvalidUrl);
        }
        let authority_value =
            HeaderValue::from_str(authority.as_str()).map_err(|_| ClientError::InvalidUrl)?;
        let mut headers = extra.clone();
        headers.insert(HOST, authority_value.clone());
        headers.insert(ACCEPT, HeaderValue::from_static("text/event-stream"));
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-cache"));
        headers.remove(LAST_EVENT_ID);
        Ok(Target {
            host: host
                .strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .unwrap_or(host)
                .to_owned(),
            port: authority.port_u16().unwrap_or(80),
            authority: authority_value,
            path: uri
                .path_and_query()
                .map_or_else(|| "/".to_owned(), |p| p.as_str().to_owned()),
            headers,
        })
    }

    /// The GET request, with `Last-Event-ID` when there is one (an id that
    /// cannot be a header value, with control characters, is left out).
    fn request(&self, last_event_id: &str) -> Request<Empty<Bytes>> {
        let mut request = Request::new(Empty::new());
        *request.method_mut() = Method::GET;
        *request.uri_mut() = self.path.parse().unwrap_or_else(|_| Uri::from_static("/"));
        *request.headers_mut() = self.headers.clone();
        if !last_event_id.is_empty() {
            if let Ok(value) = HeaderValue::from_bytes(last_event_id.as_bytes()) {
                request.headers_mut().insert(LAST_EVENT_ID, value);
            }
        }
        request
    }
}

/// A connection whose response head was accepted.
struct Open {
    connection: Pin<Box<http1::Connection<TokioIo<TcpStream>, Empty<Bytes>>>>,
    connection_done: bool,
    body: Incoming,
    /// Kept so that the connection stays up.
    _sender: http1::SendRequest<Empty<Bytes>>,
    /// Whether the body ended.
    ended: bool,
    /// Events dispatched on this connection.
    events: u64,
    idle: Option<Idle>,
}

/// The idle timer, re-armed only when it fires.
struct Idle {
    timeout: Duration,
    last_read: Instant,
    sleep: Pin<Box<Sleep>>,
}

type Connecting = Pin<Box<dyn Future<Output = Result<Open, ClientError>> + Send>>;

enum State {
    /// Connect at the next poll.
    Connect,
    Connecting(Connecting),
    Open(Box<Open>),
    /// The pause before reconnecting.
    Waiting(Pin<Box<Sleep>>),
    Done,
}

/// A client of a `text/event-stream` resource that reconnects, as a
/// browser's `EventSource` does: a [`futures_core::Stream`] of the events.
///
/// Each connection is an HTTP/1.1 `GET` (over TCP; `http://` only) with
/// `Accept: text/event-stream`, `Cache-Control: no-cache` and, once an id was
/// received, `Last-Event-ID`. The response must be 200 OK with a
/// `text/event-stream` content type; otherwise the stream yields
/// [`ClientError::Status`] or [`ClientError::ContentType`] and ends, without
/// reconnecting (a browser's "fail the connection"). The body goes through an
/// [`EventStreamDecoder`], whose last event ID and reconnection time carry
/// over from one connection to the next.
///
/// When the connection drops or the response ends, the client waits and
/// reconnects:
///
/// | after | wait |
/// |---|---|
/// | a connection that delivered at least one event | the reconnection time: the server's last `retry`, else [`ClientConfig::retry`] |
/// | the n-th attempt in a row that delivered none (refused, failed, timed out, ended at once) | the reconnection time × 2ⁿ |
///
/// each wait at most [`ClientConfig::max_reconnect_delay`] and at least
/// 1 ms. After [`ClientConfig::max_reconnect_attempts`] failed attempts in a
/// row the stream yields the last error (or simply ends, if the last
/// connection ended cleanly) and ends. Network errors are not yielded
/// otherwise; [`reconnects`](EventSource::reconnects) counts the
/// reconnections.
///
/// Nothing happens until the stream is polled; dropping it closes the
/// connection. It needs a tokio runtime with IO and time enabled.
///
/// # Example
///
/// ```no_run
/// # async fn run() -> Result<(), tether_sse::ClientError> {
/// use futures::StreamExt;
/// use tether_sse::{ClientConfig, EventSource};
///
/// let mut events = EventSource::new("http://127.0.0.1:8080/events", ClientConfig::default())?;
/// while let Some(event) = events.next().await {
///     let event = event?;
///     println!("{} {}: {}", event.last_event_id(), event.event_type(), event.data());
/// }
/// # Ok(())
/// # }
/// ```
pub struct EventSource {
    target: Arc<Target>,
    config: ClientConfig,
    decoder: EventStreamDecoder,
    buf: BytesMut,
    state: State,
    /// Reconnection attempts in a row that delivered no event.
    failures: u32,
    reconnects: u64,
}

impl EventSource {
    /// A client of `url` (`http://host[:port]/path?query`).
    ///
    /// # Errors
    ///
    /// [`ClientError::InvalidUrl`] if `url` does not parse, has no host or
    /// has user information; [`ClientError::UnsupportedScheme`] if it is
    /// not `http://`.
    pub fn new(url: &str, config: ClientConfig) -> Result<EventSource, ClientError> {
        Ok(EventSource {
            target: Arc::new(Target::parse(url, &config.headers)?),
            decoder: EventStreamDecoder::with_config(config.decoder.clone()),
            config,
            buf: BytesMut::new(),
            state: State::Connect,
            failures: 0,
            reconnects: 0,
        })
    }

    /// Starts from `id` as if a previous stream had ended with it: the first
    /// request sends it as `Last-Event-ID`.
    pub fn with_last_event_id(mut self, id: impl Into<Utf8Bytes>) -> EventSource {
        self.decoder.set_last_event_id(id);
        self
    }

    /// The last event ID: what the next reconnection sends.
    pub fn last_event_id(&self) -> &str {
        self.decoder.last_event_id()
    }

    /// The reconnection time: the server's last `retry`, else
    /// [`ClientConfig::retry`] (before backoff and the cap).
    pub fn reconnection_time(&self) -> Duration {
        self.decoder
            .reconnection_time()
            .unwrap_or(self.config.retry)
    }

    /// How many times the client reconnected (attempts, successful or not).
    pub fn reconnects(&self) -> u64 {
        self.reconnects
    }

    /// The settings.
    pub fn config(&self) -> &ClientConfig {
        &self.config
    }

    /// After a connection or an attempt ended: schedules the next one, or
    /// ends the stream (returning what to yield last).
    fn reconnect(&mut self, error: Option<ClientError>, delivered: bool) -> Option<ClientError> {
        if delivered {
            self.failures = 0;
        }
        if let Some(max) = self.config.max_reconnect_attempts {
            if self.failures >= max {
                self.state = State::Done;
                return error;
            }
        }
        let delay = backoff(
            self.reconnection_time(),
            self.failures,
            self.config.max_reconnect_delay,
        );
        self.failures = self.failures.saturating_add(1);
        self.state = State::Waiting(Box::pin(tokio::time::sleep(delay)));
        None
    }
}

/// The wait before the reconnection that follows `failures` attempts in a
/// row without an event: `base × 2^failures`, at most `cap`, at least 1 ms.
fn backoff(base: Duration, failures: u32, cap: Duration) -> Duration {
    let factor = 1u32 << failures.min(31);
    base.max(MIN_RECONNECT_DELAY)
        .saturating_mul(factor)
        .min(cap)
        .max(MIN_RECONNECT_DELAY)
}

/// Connects, sends the request and checks the response head.
async fn connect(
    target: Arc<Target>,
    last_event_id: String,
    timeout: Duration,
    idle_timeout: Option<Duration>,
) -> Result<Open, ClientError> {
    let attempt = async {
        let tcp = TcpStream::connect((target.host.as_str(), target.port)).await?;
        // Events are small writes: no Nagle delay on the request either.
        let _ = tcp.set_nodelay(true);
        let (mut sender, connection) = http1::handshake(TokioIo::new(tcp)).await?;
        let mut connection = Box::pin(connection);
        let mut connection_done = false;
        let response = {
            let mut response = pin!(sender.send_request(target.request(&last_event_id)));
            // The connection is driven while the response is awaited.
            poll_fn(|cx| {
                if !connection_done {
                    if let Poll::Ready(result) = connection.as_mut().poll(cx) {
                        connection_done = true;
                        result?;
                    }
                }
                response.as_mut().poll(cx)
            })
            .await?
        };
        if response.status() != StatusCode::OK {
            return Err(ClientError::Status {
                status: response.status(),
            });
        }
        let content_type = response.headers().get(CONTENT_TYPE);
        if !content_type.is_some_and(is_event_stream) {
            return Err(ClientError::ContentType {
                content_type: content_type.cloned(),
            });
        }
        let now = Instant::now();
        Ok(Open {
            connection,
            connection_done,
            body: response.into_body(),
            _sender: sender,
            ended: false,
            events: 0,
            idle: idle_timeout.map(|timeout| Idle {
                timeout,
                last_read: now,
                sleep: Box::pin(tokio::time::sleep_until(now + timeout)),
            }),
        })
    };
    tokio::time::timeout(timeout, attempt)
        .await
        .unwrap_or(Err(ClientError::ConnectTimeout { timeout }))
}

/// `text/event-stream`, whatever the case and parameters.
fn is_event_stream(value: &HeaderValue) -> bool {
    let essence = value
        .as_bytes()
        .split(|b| *b == b';')
        .next()
        .unwrap_or_default();
    essence
        .trim_ascii()
        .eq_ignore_ascii_case(b"text/event-stream")
}

/// How an open connection ended: `None` cleanly (the body ended).
type Ended = Option<ClientError>;

/// The next event of an open connection, or how it ended.
fn poll_open(
    open: &mut Open,
    decoder: &mut EventStreamDecoder,
    buf: &mut BytesMut,
    cx: &mut Context<'_>,
) -> Poll<Result<Event, Ended>> {
    loop {
        let decoded = if open.ended {
            decoder.decode_eof(buf)
        } else {
            decoder.decode(buf)
        };
        match decoded {
            Ok(Some(event)) => {
                open.events += 1;
                return Poll::Ready(Ok(event));
            }
            Ok(None) if open.ended => return Poll::Ready(Err(None)),
            Ok(None) => {}
            Err(e) => return Poll::Ready(Err(Some(ClientError::Decode(e)))),
        }
        if !open.connection_done {
            if let Poll::Ready(result) = open.connection.as_mut().poll(cx) {
                open.connection_done = true;
                if let Err(e) = result {
                    return Poll::Ready(Err(Some(e.into())));
                }
            }
        }
        match Pin::new(&mut open.body).poll_frame(cx) {
            Poll::Ready(Some(Ok(frame))) => {
                if let Ok(data) = frame.into_data() {
                    buf.extend_from_slice(&data);
                    if let Some(idle) = &mut open.idle {
                        idle.last_read = Instant::now();
                    }
                }
            }
            Poll::Ready(Some(Err(e))) => return Poll::Ready(Err(Some(e.into()))),
            Poll::Ready(None) => open.ended = true,
            Poll::Pending => {
                let Some(idle) = &mut open.idle else {
                    return Poll::Pending;
                };
                loop {
                    ready!(idle.sleep.as_mut().poll(cx));
                    let due = idle.last_read + idle.timeout;
                    if due <= idle.sleep.deadline() {
                        return Poll::Ready(Err(Some(ClientError::IdleTimeout {
                            timeout: idle.timeout,
                        })));
                    }
                    idle.sleep.as_mut().reset(due);
                }
            }
        }
    }
}

impl futures_core::Stream for EventSource {
    type Item = Result<Event, ClientError>;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = self.get_mut();
        loop {
            match &mut this.state {
                State::Done => return Poll::Ready(None),
                State::Connect => {
                    this.buf.clear();
                    this.state = State::Connecting(Box::pin(connect(
                        this.target.clone(),
                        this.decoder.last_event_id().to_owned(),
                        this.config.connect_timeout,
                        this.config.idle_timeout,
                    )));
                }
                State::Waiting(sleep) => {
                    ready!(sleep.as_mut().poll(cx));
                    this.reconnects += 1;
                    this.state = State::Connect;
                }
                State::Connecting(connecting) => match ready!(connecting.as_mut().poll(cx)) {
                    Ok(open) => this.state = State::Open(Box::new(open)),
                    Err(e) if !e.is_retried() => {
                        this.state = State::Done;
                        return Poll::Ready(Some(Err(e)));
                    }
                    Err(e) => {
                        if let Some(e) = this.reconnect(Some(e), false) {
                            return Poll::Ready(Some(Err(e)));
                        }
                    }
                },
                State::Open(open) => {
                    match ready!(poll_open(open, &mut this.decoder, &mut this.buf, cx)) {
                        Ok(event) => return Poll::Ready(Some(Ok(event))),
                        Err(ended) => {
                            let delivered = open.events > 0;
                            // The unfinished event of this connection is
                            // dropped; the decoder starts a new stream.
                            this.buf.clear();
                            this.decoder.reset();
                            if let Some(e) = this.reconnect(ended, delivered) {
                                return Poll::Ready(Some(Err(e)));
                            }
                        }
                    }
                }
            }
        }
    }
}

impl fmt::Debug for EventSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = match self.state {
            State::Connect => "connect",
            State::Connecting(_) => "connecting",
            State::Open(_) => "open",
            State::Waiting(_) => "waiting",
            State::Done => "done",
        };
        f.debug_struct("EventSource")
            .field("host", &self.target.authority)
            .field("path", &self.target.path)
            .field("state", &state)
            .field("last_event_id", &self.last_event_id())
            .field("reconnection_time", &self.reconnection_time())
            .field("reconnects", &self.reconnects)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_can_move_across_tasks() {
        fn send<T: Send + Unpin + 'static>() {}
        send::<EventSource>();
        send::<ClientError>();
    }

    #[test]
    fn backoff_doubles_up_to_the_cap() {
        let ms = Duration::from_millis;
        let cap = ms(1000);
        let waits: Vec<_> = (0..8).map(|n| backoff(ms(100), n, cap)).collect();
        assert_eq!(
            waits,
            [ms(100), ms(200), ms(400), ms(800), cap, cap, cap, cap]
        );
        assert_eq!(backoff(ms(100), u32::MAX, cap), cap);
        assert_eq!(backoff(Duration::MAX, 3, cap), cap);
        // retry: 0 still waits, and backs off.
        assert_eq!(backoff(Duration::ZERO, 0, cap), ms(1));
        assert_eq!(backoff(Duration::ZERO, 3, cap), ms(8));
        // A zero cap is the floor.
        assert_eq!(backoff(ms(100), 0, Duration::ZERO), ms(1));
    }

    #[test]
    fn urls() {
        let t = Target::parse("http://127.0.0.1:8080/a/b?c=d", &HeaderMap::new()).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("127.0.0.1", 8080));
        assert_eq!(t.authority, "127.0.0.1:8080");
        assert_eq!(t.path, "/a/b?c=d");
        let t = Target::parse("HTTP://[::1]/", &HeaderMap::new()).unwrap();
        assert_eq!((t.host.as_str(), t.port), ("::1", 80));
        assert_eq!(t.authority, "[::1]");
        let t = Target::parse("http://example.com", &HeaderMap::new()).unwrap();
        assert_eq!(t.path, "/");
        for (url, scheme) in [
            ("https://example.com/", true),
            ("ws://example.com/", true),
            ("example.com/x", false),
            ("/x", false),
            ("http://user@example.com/", false),
            ("http://exa mple.com/", false),
        ] {
            let e = Target::parse(url, &HeaderMap::new()).unwrap_err();
            if scheme {
                assert!(matches!(e, ClientError::UnsupportedScheme), "{url}: {e:?}");
            } else {
                assert!(matches!(e, ClientError::InvalidUrl), "{url}: {e:?}");
            }
            assert_eq!(e.kind(), ErrorKind::Caller);
            assert!(!e.is_retried());
        }
    }

    #[test]
    fn request_headers() {
        let extra = ClientConfig::default()
            .with_header(
                http::header::AUTHORIZATION,
                HeaderValue::from_static("Bearer x"),
            )
            .with_header(ACCEPT, HeaderValue::from_static("text/html"))
            .headers;
        let t = Target::parse("http://h:1/e", &extra).unwrap();
        let r = t.request("");
        assert_eq!(r.method(), Method::GET);
        assert_eq!(r.uri(), "/e");
        assert_eq!(r.headers()[HOST], "h:1");
        assert_eq!(r.headers()[ACCEPT], "text/event-stream");
        assert_eq!(r.headers().get_all(ACCEPT).iter().count(), 1);
        assert_eq!(r.headers()[CACHE_CONTROL], "no-cache");
        assert_eq!(r.headers()[http::header::AUTHORIZATION], "Bearer x");
        assert!(r.headers().get(LAST_EVENT_ID).is_none());
        assert_eq!(t.request("41").headers()[LAST_EVENT_ID], "41");
        assert_eq!(
            t.request("é").headers()[LAST_EVENT_ID].as_bytes(),
            "é".as_bytes()
        );
        // Not a header value: left out.
        assert!(t.request("a\u{1}b").headers().get(LAST_EVENT_ID).is_none());
    }

    #[test]
    fn content_types() {
        for ok in [
            "text/event-stream",
            "Text/Event-Stream",
            "text/event-stream; charset=utf-8",
            " text/event-stream ;x",
        ] {
            assert!(is_event_stream(&HeaderValue::from_static(ok)), "{ok}");
        }
        for bad in ["text/plain", "text/event-streams", "", "text/event-stream,"] {
            assert!(!is_event_stream(&HeaderValue::from_static(bad)), "{bad}");
        }
    }

    #[test]
    fn error_kinds() {
        let status = ClientError::Status {
            status: StatusCode::NOT_FOUND,
        };
        assert_eq!(status.kind(), ErrorKind::Peer);
        assert!(!status.is_retried());
        assert_eq!(status.to_string(), "HTTP status 404 Not Found");
        let decode = ClientError::Decode(crate::Error::LineTooLong { max: 1 });
        assert_eq!(decode.kind(), ErrorKind::Peer);
        assert!(decode.is_retried());
        let idle = ClientError::IdleTimeout {
            timeout: Duration::from_secs(1),
        };
        assert_eq!(idle.kind(), ErrorKind::Io);
        assert!(idle.is_retried());
    }
}
