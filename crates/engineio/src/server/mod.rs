//! The Engine.IO v4 server: long-polling and WebSocket transports, the
//! upgrade, heartbeats, on the same port as an HTTP server.
//!
//! [`EngineServer`] answers the requests under its path (`/engine.io/` by
//! default) and hands each new session to the application as a [`Socket`]
//! through [`Incoming`]. It is a hyper 1 service and a tower
//! `Service`/[`Layer`](tower_layer::Layer), so it mounts inside an axum
//! router next to ordinary routes; [`EngineServer::serve`] runs it alone.
//! Each session is a sans-IO [`Session`](crate::session::Session) driven
//! by small tokio tasks: one per WebSocket, and one for the timers of a
//! polling session.
//!
//! ```no_run
//! use tether_engineio::server::{EngineConfig, EngineServer};
//!
//! # async fn run() -> std::io::Result<()> {
//! let (server, mut incoming) = EngineServer::new(EngineConfig::default());
//! tokio::spawn(async move {
//!     while let Some(mut socket) = incoming.accept().await {
//!         tokio::spawn(async move {
//!             while let Some(message) = socket.recv().await {
//!                 if socket.send(message).await.is_err() {
//!                     break;
//!                 }
//!             }
//!         });
//!     }
//! });
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! server.serve(listener).await
//! # }
//! ```
//!
//! # Slow clients
//!
//! A session buffers at most `max_buffered_packets` packets for its
//! client ([`SessionConfig::with_max_buffered_packets`]); past that
//! [`Socket::send`] waits and [`Socket::try_send`] fails with
//! [`SendError::Full`](crate::session::SendError::Full). A client that stops reading stops answering pings
//! too (the ping waits behind what it does not read), so the session
//! closes within `pingInterval + pingTimeout` with
//! [`CloseReason::PingTimeout`](crate::session::CloseReason::PingTimeout). Incoming messages wait for the
//! application up to `max_incoming` per session; past that the server
//! stops reading the WebSocket and holds the `POST` answer, which slows
//! the client down instead of buffering without bound.

mod cors;
mod http_io;
mod socket;

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderMap, Method, Request, Response, Uri};
use http_body_util::{Either, Full};

pub use cors::{AllowOrigin, Cors};
pub use socket::{Incoming, Socket, SocketSender, TrySendError};

use crate::session::{SessionConfig, Transport};
use socket::Shared;

/// The body of the server's responses.
pub type EngineBody = Full<Bytes>;

/// A boxed error, as `http_body` bodies report them.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Decides whether a handshake may open a session: `Err(message)` refuses
/// it with HTTP 403 and `{"code":4,"message":..}` (an empty message reads
/// `Forbidden`).
pub type AllowRequest = Arc<dyn Fn(&HandshakeRequest) -> Result<(), String> + Send + Sync>;

/// Adds headers to a response: called with the request's head, whether it
/// is the session's handshake, and the response headers (polling answers
/// and the WebSocket `101`).
pub type HeadersHook = Arc<dyn Fn(&http::request::Parts, bool, &mut HeaderMap) + Send + Sync>;

/// The cookie the handshake sets with the session id, for sticky load
/// balancing.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Cookie {
    /// The cookie's name. Default `io`.
    pub name: String,
    /// Its `Path`. Default `/`.
    pub path: Option<String>,
    /// `HttpOnly`. Default true.
    pub http_only: bool,
    /// `SameSite`. Default `Lax`.
    pub same_site: Option<String>,
    /// `Secure`. Default false.
    pub secure: bool,
}

impl Default for Cookie {
    fn default() -> Cookie {
        Cookie {
            name: "io".to_owned(),
            path: Some("/".to_owned()),
            http_only: true,
            same_site: Some("Lax".to_owned()),
            secure: false,
        }
    }
}

impl Cookie {
    /// The default cookie, named `name`.
    pub fn named(name: impl Into<String>) -> Cookie {
        Cookie {
            name: name.into(),
            ..Cookie::default()
        }
    }

    fn header(&self, sid: &str) -> String {
        let mut s = format!("{}={}", self.name, sid);
        if let Some(path) = &self.path {
            s.push_str("; Path=");
            s.push_str(path);
        }
        if self.http_only {
            s.push_str("; HttpOnly");
        }
        if self.secure {
            s.push_str("; Secure");
        }
        if let Some(same_site) = &self.same_site {
            s.push_str("; SameSite=");
            s.push_str(same_site);
        }
        s
    }
}

/// Configuration of an [`EngineServer`].
#[derive(Clone)]
#[non_exhaustive]
pub struct EngineConfig {
    /// Heartbeat, upgrade, payload and buffer limits of each session.
    pub session: SessionConfig,
    /// See [`EngineConfig::with_path`].
    pub path: String,
    /// See [`EngineConfig::with_transports`].
    pub transports: Vec<Transport>,
    /// See [`EngineConfig::with_cors`].
    pub cors: Option<Cors>,
    /// See [`EngineConfig::with_cookie`].
    pub cookie: Option<Cookie>,
    /// See [`EngineConfig::with_max_sessions`].
    pub max_sessions: usize,
    /// See [`EngineConfig::with_max_incoming`].
    pub max_incoming: usize,
    /// See [`EngineConfig::with_backlog`].
    pub backlog: usize,
    /// See [`EngineConfig::with_max_packets`].
    pub max_packets: usize,
    /// See [`EngineConfig::with_allow_request`].
    pub allow_request: Option<AllowRequest>,
    /// See [`EngineConfig::with_headers`].
    pub headers: Option<HeadersHook>,
    /// See [`EngineConfig::with_websocket`].
    pub websocket: tether_ws::WebSocketConfig,
}

impl fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineConfig")
            .field("session", &self.session)
            .field("path", &self.path)
            .field("transports", &self.transports)
            .field("cors", &self.cors)
            .field("cookie", &self.cookie)
            .field("max_sessions", &self.max_sessions)
            .field("max_incoming", &self.max_incoming)
            .field("backlog", &self.backlog)
            .field("max_packets", &self.max_packets)
            .field("allow_request", &self.allow_request.is_some())
            .field("headers", &self.headers.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for EngineConfig {
    fn default() -> EngineConfig {
        EngineConfig {
            session: SessionConfig::default(),
            path: "/engine.io/".to_owned(),
            transports: vec![Transport::Polling, Transport::WebSocket],
            cors: None,
            cookie: None,
            max_sessions: 100_000,
            max_incoming: 256,
            backlog: 1024,
            max_packets: 10_000,
            allow_request: None,
            headers: None,
            websocket: tether_ws::WebSocketConfig::default()
                .with_ping_interval(None)
                .with_idle_timeout(None),
        }
    }
}

impl EngineConfig {
    /// Sets the session configuration (heartbeat, `maxPayload`, buffers).
    pub fn with_session(mut self, session: SessionConfig) -> EngineConfig {
        self.session = session;
        self
    }

    /// The path the server answers under. Default `/engine.io/`; the
    /// trailing slash is optional in requests.
    pub fn with_path(mut self, path: impl Into<String>) -> EngineConfig {
        self.path = path.into();
        self
    }

    /// The transports clients may use. Default both; without WebSocket no
    /// upgrade is offered.
    pub fn with_transports(
        mut self,
        transports: impl IntoIterator<Item = Transport>,
    ) -> EngineConfig {
        self.transports = transports.into_iter().collect();
        self
    }

    /// CORS headers and preflight answers. Default none (a preflight is a
    /// bad handshake method, as the reference without `cors`).
    pub fn with_cors(mut self, cors: Cors) -> EngineConfig {
        self.cors = Some(cors);
        self
    }

    /// A cookie with the session id on the handshake. Default none.
    pub fn with_cookie(mut self, cookie: Cookie) -> EngineConfig {
        self.cookie = Some(cookie);
        self
    }

    /// The most sessions open at once; more handshakes get HTTP 503.
    /// Default 100,000. Bounds what a handshake flood costs.
    pub fn with_max_sessions(mut self, max: usize) -> EngineConfig {
        self.max_sessions = max;
        self
    }

    /// Messages a session holds for an application that is not reading
    /// before the server stops reading from the client. Default 256.
    pub fn with_max_incoming(mut self, max: usize) -> EngineConfig {
        self.max_incoming = max.max(1);
        self
    }

    /// New sessions waiting for [`Incoming::accept`]; more handshakes get
    /// HTTP 503. Default 1024.
    pub fn with_backlog(mut self, backlog: usize) -> EngineConfig {
        self.backlog = backlog.max(1);
        self
    }

    /// The most packets in one `POST` body. Default 10,000.
    pub fn with_max_packets(mut self, max: usize) -> EngineConfig {
        self.max_packets = max;
        self
    }

    /// A hook that sees each handshake request and may refuse it.
    pub fn with_allow_request<F>(mut self, allow: F) -> EngineConfig
    where
        F: Fn(&HandshakeRequest) -> Result<(), String> + Send + Sync + 'static,
    {
        self.allow_request = Some(Arc::new(allow));
        self
    }

    /// A hook that adds headers to responses (the reference's `headers`
    /// and `initial_headers` events).
    pub fn with_headers<F>(mut self, hook: F) -> EngineConfig
    where
        F: Fn(&http::request::Parts, bool, &mut HeaderMap) + Send + Sync + 'static,
    {
        self.headers = Some(Arc::new(hook));
        self
    }

    /// The WebSocket configuration of the WebSocket transport. Its message
    /// size limit is set to `maxPayload` (a larger message closes the
    /// socket with 1009); its own keepalive is off by default, the
    /// Engine.IO heartbeat does that job.
    pub fn with_websocket(mut self, websocket: tether_ws::WebSocketConfig) -> EngineConfig {
        self.websocket = websocket;
        self
    }

    /// Whether `path` is the server's, with or without the trailing slash.
    fn handles(&self, path: &str) -> bool {
        path.trim_end_matches('/') == self.path.trim_end_matches('/')
    }

    fn session_config(&self) -> SessionConfig {
        let mut config = self.session.clone();
        if !self.transports.contains(&Transport::WebSocket) {
            config.allow_upgrades = false;
        }
        config
    }

    fn ws_config(&self) -> tether_ws::WebSocketConfig {
        self.websocket
            .clone()
            .with_max_message_size(self.session.max_payload)
            .with_max_frame_size(self.session.max_payload)
    }
}

/// The handshake request of a session, as the application and
/// [`EngineConfig::with_allow_request`] see it.
#[derive(Clone, Debug)]
pub struct HandshakeRequest {
    method: Method,
    uri: Uri,
    query: Vec<(String, String)>,
    headers: HeaderMap,
    remote_addr: Option<SocketAddr>,
}

impl HandshakeRequest {
    /// The request method (`GET`).
    pub fn method(&self) -> &Method {
        &self.method
    }

    /// The request target.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The query, percent-decoded, in order.
    pub fn query(&self) -> &[(String, String)] {
        &self.query
    }

    /// The first value of query parameter `name`.
    pub fn query_param(&self, name: &str) -> Option<&str> {
        self.query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The request headers.
    pub fn headers(&self) -> &HeaderMap {
        &self.headers
    }

    /// The client's address: a `SocketAddr` in the request's extensions,
    /// as [`EngineServer::serve`] puts there (with axum, insert it from
    /// `ConnectInfo`).
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.remote_addr
    }
}

/// The Engine.IO error codes of the reference server, sent as
/// `{"code":N,"message":".."}` with HTTP 400 (403 for `Forbidden`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorCode {
    /// 0: `Transport unknown`.
    UnknownTransport,
    /// 1: `Session ID unknown`.
    UnknownSid,
    /// 2: `Bad handshake method`.
    BadHandshakeMethod,
    /// 3: `Bad request`.
    BadRequest,
    /// 4: `Forbidden` (HTTP 403).
    Forbidden,
    /// 5: `Unsupported protocol version`.
    UnsupportedProtocolVersion,
}

impl ErrorCode {
    /// The number in the JSON body.
    pub const fn code(self) -> u8 {
        match self {
            ErrorCode::UnknownTransport => 0,
            ErrorCode::UnknownSid => 1,
            ErrorCode::BadHandshakeMethod => 2,
            ErrorCode::BadRequest => 3,
            ErrorCode::Forbidden => 4,
            ErrorCode::UnsupportedProtocolVersion => 5,
        }
    }

    /// The reference's message.
    pub const fn message(self) -> &'static str {
        match self {
            ErrorCode::UnknownTransport => "Transport unknown",
            ErrorCode::UnknownSid => "Session ID unknown",
            ErrorCode::BadHandshakeMethod => "Bad handshake method",
            ErrorCode::BadRequest => "Bad request",
            ErrorCode::Forbidden => "Forbidden",
            ErrorCode::UnsupportedProtocolVersion => "Unsupported protocol version",
        }
    }

    /// The HTTP status: 403 for `Forbidden`, 400 otherwise.
    pub const fn status(self) -> http::StatusCode {
        match self {
            ErrorCode::Forbidden => http::StatusCode::FORBIDDEN,
            _ => http::StatusCode::BAD_REQUEST,
        }
    }
}

pub(crate) struct ServerInner {
    config: EngineConfig,
    sessions: Mutex<HashMap<Arc<str>, Arc<Shared>>>,
    incoming: tokio::sync::mpsc::Sender<Socket>,
}

impl ServerInner {
    fn sessions(&self) -> MutexGuard<'_, HashMap<Arc<str>, Arc<Shared>>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(crate) fn remove(&self, sid: &str) {
        self.sessions().remove(sid);
    }
}

/// The Engine.IO server: a cheap handle (clone it into each connection).
#[derive(Clone)]
pub struct EngineServer {
    inner: Arc<ServerInner>,
}

impl fmt::Debug for EngineServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EngineServer")
            .field("config", &self.inner.config)
            .field("sessions", &self.session_count())
            .finish()
    }
}

impl EngineServer {
    /// A server with `config`, and the stream of its new sessions.
    pub fn new(config: EngineConfig) -> (EngineServer, Incoming) {
        let (tx, rx) = tokio::sync::mpsc::channel(config.backlog);
        let server = EngineServer {
            inner: Arc::new(ServerInner {
                config,
                sessions: Mutex::new(HashMap::new()),
                incoming: tx,
            }),
        };
        (server, Incoming::new(rx))
    }

    /// The configuration.
    pub fn config(&self) -> &EngineConfig {
        &self.inner.config
    }

    /// Sessions open now (including those not yet accepted).
    pub fn session_count(&self) -> usize {
        self.inner.sessions().len()
    }

    /// Closes every session
    /// ([`CloseReason::ForcedClose`](crate::session::CloseReason::ForcedClose)).
    pub fn close_all(&self) {
        let all: Vec<_> = self.inner.sessions().values().cloned().collect();
        for shared in all {
            shared.close();
        }
    }

    /// Whether `uri` is under the server's path.
    pub fn handles(&self, uri: &Uri) -> bool {
        self.inner.config.handles(uri.path())
    }

    /// Answers one request under the server's path (a polling `GET` or
    /// `POST`, a preflight, a WebSocket upgrade); any other path gets 404.
    pub async fn handle<B>(&self, request: Request<B>) -> Response<EngineBody>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
    {
        http_io::handle(&self.inner, request).await
    }

    /// A tower layer that routes this server's path to it and everything
    /// else to the inner service.
    pub fn layer(&self) -> EngineLayer {
        EngineLayer {
            server: self.clone(),
        }
    }

    /// Serves HTTP/1.1 on `listener` with this server alone (other paths
    /// get 404), one task per connection, until accepting fails.
    ///
    /// # Errors
    ///
    /// The listener's accept error.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        serve_with(listener, move |request| {
            let server = self.clone();
            async move { server.handle(request).await }
        })
        .await
    }
}

/// Serves HTTP/1.1 on `listener`, one task per connection, answering every
/// request with `handle` (the peer's `SocketAddr` in the request's
/// extensions, upgrades allowed), until accepting fails; transient accept
/// errors (a connection reset before it was accepted, too many open files)
/// are waited out. [`EngineServer::serve`] is this with
/// [`EngineServer::handle`]; a server built on `EngineServer` (Socket.IO)
/// uses it with its own handler.
///
/// # Errors
///
/// The listener's accept error.
pub async fn serve_with<F, Fut>(listener: tokio::net::TcpListener, handle: F) -> std::io::Result<()>
where
    F: Fn(Request<hyper::body::Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<EngineBody>> + Send + 'static,
{
    loop {
        let (stream, addr) = match listener.accept().await {
            Ok(accepted) => accepted,
            Err(e) if is_transient(&e) => {
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
            Err(e) => return Err(e),
        };
        let _ = stream.set_nodelay(true);
        let handle = handle.clone();
        tokio::spawn(async move {
            let service =
                hyper::service::service_fn(move |mut request: Request<hyper::body::Incoming>| {
                    request.extensions_mut().insert(addr);
                    let response = handle(request);
                    async move { Ok::<_, Infallible>(response.await) }
                });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                .with_upgrades()
                .await;
        });
    }
}

fn is_transient(e: &std::io::Error) -> bool {
    use std::io::ErrorKind::*;
    matches!(
        e.kind(),
        ConnectionAborted | ConnectionReset | Interrupted | WouldBlock
    ) || e.raw_os_error() == Some(24) // EMFILE: back off, then go on
}

type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send>>;

impl<B> tower_service::Service<Request<B>> for EngineServer
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<EngineBody>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response<EngineBody>, Infallible>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let server = self.clone();
        Box::pin(async move { Ok(server.handle(request).await) })
    }
}

impl hyper::service::Service<Request<hyper::body::Incoming>> for EngineServer {
    type Response = Response<EngineBody>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response<EngineBody>, Infallible>>;

    fn call(&self, request: Request<hyper::body::Incoming>) -> Self::Future {
        let server = self.clone();
        Box::pin(async move { Ok(server.handle(request).await) })
    }
}

/// The tower layer of [`EngineServer::layer`].
#[derive(Clone, Debug)]
pub struct EngineLayer {
    server: EngineServer,
}

impl<S> tower_layer::Layer<S> for EngineLayer {
    type Service = EngineService<S>;

    fn layer(&self, inner: S) -> EngineService<S> {
        EngineService {
            server: self.server.clone(),
            inner,
        }
    }
}

/// An inner service with an [`EngineServer`] in front of it: requests
/// under the server's path go to the server, the rest to the inner
/// service.
#[derive(Clone, Debug)]
pub struct EngineService<S> {
    server: EngineServer,
    inner: S,
}

impl<S, B, R> tower_service::Service<Request<B>> for EngineService<S>
where
    S: tower_service::Service<Request<B>, Response = Response<R>>,
    S::Future: Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    type Response = Response<Either<EngineBody, R>>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Response<Either<EngineBody, R>>, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if self.server.handles(request.uri()) {
            let server = self.server.clone();
            Box::pin(async move { Ok(server.handle(request).await.map(Either::Left)) })
        } else {
            let future = self.inner.call(request);
            Box::pin(async move { Ok(future.await?.map(Either::Right)) })
        }
    }
}
