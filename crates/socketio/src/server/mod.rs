//! The Socket.IO v5 server, on the Engine.IO server of `tether-engineio`:
//! namespaces, middleware, events and acks, rooms and broadcast,
//! connection state recovery.
//!
//! [`SocketIo`] is a hyper 1 service and a tower `Service`/`Layer` that
//! answers under `/socket.io/` (the path is configurable), so it mounts in
//! an axum router next to ordinary routes; [`SocketIo::serve`] runs it
//! alone. The official clients (JavaScript, Python, ...) connect to it
//! unchanged.
//!
//! ```no_run
//! use tether_socketio::server::{SocketIo, SocketIoConfig};
//!
//! # async fn run() -> std::io::Result<()> {
//! let io = SocketIo::new(SocketIoConfig::default());
//! io.ns("/", |socket| async move {
//!     socket.on("chat", |socket, event| async move {
//!         let Ok((room, text)) = event.args::<(String, String)>() else { return };
//!         // Everyone in the room but the sender.
//!         let _ = socket.to(room.as_str()).emit("chat", &(socket.id(), text));
//!         let _ = event.ack(&("delivered",));
//!     });
//!     socket.on("join", |socket, event| async move {
//!         if let Ok((room,)) = event.args::<(String,)>() {
//!             socket.join(room.as_str());
//!         }
//!     });
//! });
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:3000").await?;
//! io.serve(listener).await
//! # }
//! ```
//!
//! # How it runs
//!
//! Each Engine.IO session is one Socket.IO *client*, handled by one tokio
//! task over a sans-IO core (the protocol state of every namespace the
//! client multiplexes, the connect and attachment deadlines). Event
//! handlers run on that task, started in arrival order: the synchronous
//! start of each handler runs before the next packet is looked at, and the
//! handlers' awaits interleave, as the reference's handlers do on Node's
//! event loop.
//!
//! # Slow clients
//!
//! A client's Engine.IO buffer holds `max_buffered_packets` packets
//! (1024 by default). When it is full, [`Socket::emit`] fails with
//! [`EmitError::Full`] and sends nothing (the application decides); a
//! broadcast, which has no one to report to, closes that client
//! ([`DisconnectReason::ForcedClose`]) rather than lose or reorder its
//! events. With connection state recovery the client then reconnects and
//! gets what it missed. Volatile emits are dropped instead, whenever the
//! transport cannot write at once. With connection state recovery on, a
//! socket's own emits go through the adapter too (so that they are kept
//! with an offset), and a full buffer closes the client as a broadcast
//! does.

mod adapter;
mod client;
mod client_js;
pub(crate) mod core;
mod ns;
mod operators;
mod recovery;
mod socket;
mod types;

use std::collections::HashMap;
use std::convert::Infallible;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::Duration;

use http::{Request, Response};
use tether_engineio::server::{EngineBody, EngineConfig, EngineServer, Incoming};

pub use adapter::{
    AckReplies, Adapter, AdapterFactory, AdapterFuture, Attach, BroadcastFlags, BroadcastOptions,
    IntoRooms, LocalAdapter, LocalNamespace, PersistedSession, RestoredSession, Room, SocketInfo,
};
pub use ns::Namespace;
pub use operators::{BroadcastAckError, BroadcastOperator, RemoteSocket, SocketOperator};
pub use recovery::RecoveryConfig;
pub use socket::{Event, Extensions, Handshake, Socket};
pub use types::{AckError, ConnectError, DisconnectReason, EmitError, Sid};

use crate::SocketConfig;

pub(crate) type BoxFuture<T> = Pin<Box<dyn Future<Output = T> + Send + 'static>>;

/// The configuration of a [`SocketIo`] server.
#[derive(Clone)]
#[non_exhaustive]
pub struct SocketIoConfig {
    /// See [`SocketIoConfig::with_engine`].
    pub engine: EngineConfig,
    /// See [`SocketIoConfig::with_parser`].
    pub parser: SocketConfig,
    /// See [`SocketIoConfig::with_connect_timeout`].
    pub connect_timeout: Duration,
    /// See [`SocketIoConfig::with_attachment_timeout`].
    pub attachment_timeout: Duration,
    /// See [`SocketIoConfig::with_ack_timeout`].
    pub ack_timeout: Duration,
    /// See [`SocketIoConfig::with_recovery`].
    pub recovery: Option<RecoveryConfig>,
    /// See [`SocketIoConfig::with_adapter`].
    pub adapter: AdapterFactory,
    /// See [`SocketIoConfig::with_serve_client`].
    pub serve_client: bool,
}

impl fmt::Debug for SocketIoConfig {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketIoConfig")
            .field("engine", &self.engine)
            .field("parser", &self.parser)
            .field("connect_timeout", &self.connect_timeout)
            .field("attachment_timeout", &self.attachment_timeout)
            .field("ack_timeout", &self.ack_timeout)
            .field("recovery", &self.recovery)
            .field("serve_client", &self.serve_client)
            .finish_non_exhaustive()
    }
}

impl Default for SocketIoConfig {
    fn default() -> SocketIoConfig {
        SocketIoConfig {
            engine: EngineConfig::default().with_path("/socket.io/"),
            parser: SocketConfig::default(),
            connect_timeout: Duration::from_secs(45),
            attachment_timeout: Duration::from_secs(45),
            ack_timeout: Duration::from_secs(5),
            recovery: None,
            adapter: AdapterFactory::local(),
            serve_client: true,
        }
    }
}

impl SocketIoConfig {
    /// Sets the Engine.IO server's configuration: path (default
    /// `/socket.io/`), heartbeat, `maxPayload`, transports, CORS, cookie,
    /// limits. The path given here is used as it is.
    pub fn with_engine(mut self, engine: EngineConfig) -> SocketIoConfig {
        self.engine = engine;
        self
    }

    /// Sets the Socket.IO packet limits (attachments per packet and their
    /// sizes; default at most 10 attachments).
    pub fn with_parser(mut self, parser: SocketConfig) -> SocketIoConfig {
        self.parser = parser;
        self
    }

    /// Sets how long a new client may take to join its first namespace
    /// before the server closes it. Default 45 s, as the reference's
    /// `connectTimeout`; it bounds the sessions a client can open and
    /// leave unused.
    pub fn with_connect_timeout(mut self, timeout: Duration) -> SocketIoConfig {
        self.connect_timeout = timeout;
        self
    }

    /// Sets how long the attachments of a binary packet may take to
    /// arrive after its text; past it the client is closed with
    /// `parse error`. Default 45 s. (The reference waits forever; the
    /// attachments received so far are bounded by the parser limits, the
    /// wait by this.)
    pub fn with_attachment_timeout(mut self, timeout: Duration) -> SocketIoConfig {
        self.attachment_timeout = timeout;
        self
    }

    /// Sets how long [`Socket::emit_with_ack`] and broadcasts with acks
    /// wait when no [`timeout`](Socket::timeout) is given. Default 5 s: a
    /// bound on the acks a client can leave pending.
    pub fn with_ack_timeout(mut self, timeout: Duration) -> SocketIoConfig {
        self.ack_timeout = timeout;
        self
    }

    /// Turns connection state recovery on (off by default).
    pub fn with_recovery(mut self, recovery: RecoveryConfig) -> SocketIoConfig {
        self.recovery = Some(recovery);
        self
    }

    /// Whether the server serves its browser client under its path:
    /// `socket.io.js`, `socket.io.min.js` and `socket.io.min.js.map`
    /// (web/, embedded at build time), with an `ETag` (a `304` for a
    /// matching `If-None-Match`), `Cache-Control: public, max-age=0`, and
    /// brotli or gzip precompressed by `Accept-Encoding`. Default true, as
    /// the reference's `serveClient`.
    pub fn with_serve_client(mut self, serve: bool) -> SocketIoConfig {
        self.serve_client = serve;
        self
    }

    /// Sets how each namespace's [`Adapter`] is made (default: the
    /// in-memory [`LocalAdapter`]).
    pub fn with_adapter(mut self, adapter: AdapterFactory) -> SocketIoConfig {
        self.adapter = adapter;
        self
    }
}

type DynamicPredicate = Arc<dyn Fn(&str) -> bool + Send + Sync>;

pub(crate) struct ServerInner {
    pub(crate) config: SocketIoConfig,
    engine: EngineServer,
    incoming: Mutex<Option<Incoming>>,
    namespaces: RwLock<HashMap<crate::Utf8Bytes, Namespace>>,
    dynamic: RwLock<Vec<(DynamicPredicate, Namespace)>>,
    pub(crate) shutting_down: std::sync::atomic::AtomicBool,
    started: std::sync::atomic::AtomicBool,
}

impl ServerInner {
    /// The namespace a CONNECT names: a static one, or a new child of the
    /// first dynamic parent whose predicate accepts the name.
    pub(crate) fn namespace(self: &Arc<Self>, name: &crate::Utf8Bytes) -> Option<Namespace> {
        if let Some(ns) = read(&self.namespaces).get(name) {
            return Some(ns.clone());
        }
        let parent = read(&self.dynamic)
            .iter()
            .find(|(accepts, _)| accepts(name))
            .map(|(_, parent)| parent.clone())?;
        let mut namespaces = write(&self.namespaces);
        let ns = namespaces
            .entry(name.clone())
            .or_insert_with(|| Namespace::child(self, name.clone(), &parent));
        Some(ns.clone())
    }
}

pub(crate) fn read<T>(lock: &RwLock<T>) -> std::sync::RwLockReadGuard<'_, T> {
    lock.read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn write<T>(lock: &RwLock<T>) -> std::sync::RwLockWriteGuard<'_, T> {
    lock.write()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

pub(crate) fn lock<T>(lock: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    lock.lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// A Socket.IO server: namespaces with their handlers, on an
/// [`EngineServer`]. Cheap to clone; every clone is the same server.
#[derive(Clone)]
pub struct SocketIo {
    inner: Arc<ServerInner>,
}

impl fmt::Debug for SocketIo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketIo")
            .field("path", &self.inner.config.engine.path)
            .field("namespaces", &read(&self.inner.namespaces).len())
            .finish_non_exhaustive()
    }
}

impl SocketIo {
    /// A server with `config`. The main namespace `/` exists from the
    /// start (without a handler its sockets connect and do nothing until
    /// [`SocketIo::ns`] gives it one).
    pub fn new(config: SocketIoConfig) -> SocketIo {
        let (engine, incoming) = EngineServer::new(config.engine.clone());
        let inner = Arc::new(ServerInner {
            config,
            engine,
            incoming: Mutex::new(Some(incoming)),
            namespaces: RwLock::new(HashMap::new()),
            dynamic: RwLock::new(Vec::new()),
            shutting_down: std::sync::atomic::AtomicBool::new(false),
            started: std::sync::atomic::AtomicBool::new(false),
        });
        let io = SocketIo { inner };
        io.ns(crate::MAIN_NAMESPACE, |_socket| async {});
        io
    }

    /// The configuration.
    pub fn config(&self) -> &SocketIoConfig {
        &self.inner.config
    }

    /// The Engine.IO server underneath.
    pub fn engine(&self) -> &EngineServer {
        &self.inner.engine
    }

    /// Creates (or replaces the handler of) the namespace `name` and
    /// returns it; `handler` runs for each socket that connects, after
    /// the namespace's middleware let it in. It registers the socket's
    /// event handlers ([`Socket::on`]) before its first await, so that no
    /// event arrives before them.
    ///
    /// # Panics
    ///
    /// If `name` does not start with `/` or contains `,` (a caller's
    /// mistake, not peer input).
    pub fn ns<F, Fut>(&self, name: &str, handler: F) -> Namespace
    where
        F: Fn(Socket) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        assert!(
            name.starts_with('/') && !name.contains(','),
            "a namespace starts with / and has no comma: {name:?}"
        );
        let handler: ns::ConnectHandler = Arc::new(move |socket| Box::pin(handler(socket)));
        let key = crate::Utf8Bytes::from(name.to_owned());
        let mut namespaces = write(&self.inner.namespaces);
        if let Some(ns) = namespaces.get(&key) {
            ns.set_handler(handler);
            return ns.clone();
        }
        let ns = Namespace::new(&self.inner, key.clone(), handler);
        namespaces.insert(key, ns.clone());
        ns
    }

    /// A dynamic namespace: every name `accepts` returns true for becomes
    /// a namespace on its first CONNECT, with `handler` and the returned
    /// parent's middleware. Static namespaces win over dynamic ones;
    /// dynamic parents are tried in the order they were added.
    pub fn dynamic_ns<P, F, Fut>(&self, accepts: P, handler: F) -> Namespace
    where
        P: Fn(&str) -> bool + Send + Sync + 'static,
        F: Fn(Socket) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        let handler: ns::ConnectHandler = Arc::new(move |socket| Box::pin(handler(socket)));
        let parent = Namespace::new(&self.inner, crate::Utf8Bytes::from_static("/*"), handler);
        write(&self.inner.dynamic).push((Arc::new(accepts), parent.clone()));
        parent
    }

    /// The namespace `name`, if it exists (static, or a dynamic one that a
    /// client created).
    pub fn of(&self, name: &str) -> Option<Namespace> {
        read(&self.inner.namespaces)
            .get(&crate::Utf8Bytes::from(name.to_owned()))
            .cloned()
    }

    fn main(&self) -> Namespace {
        self.of(crate::MAIN_NAMESPACE)
            .unwrap_or_else(|| self.ns(crate::MAIN_NAMESPACE, |_| async {}))
    }

    /// A broadcast to the sockets of the main namespace in `rooms`.
    pub fn to(&self, rooms: impl adapter::IntoRooms) -> BroadcastOperator {
        self.main().to(rooms)
    }

    /// Same as [`SocketIo::to`].
    pub fn within(&self, rooms: impl adapter::IntoRooms) -> BroadcastOperator {
        self.to(rooms)
    }

    /// A broadcast to the main namespace except the sockets in `rooms`.
    pub fn except(&self, rooms: impl adapter::IntoRooms) -> BroadcastOperator {
        self.main().except(rooms)
    }

    /// A broadcast to every socket of the main namespace.
    pub fn broadcast(&self) -> BroadcastOperator {
        self.main().broadcast()
    }

    /// Emits to every socket of the main namespace.
    ///
    /// # Errors
    ///
    /// [`EmitError::Encode`].
    pub fn emit<A: serde::Serialize + ?Sized>(
        &self,
        event: &str,
        args: &A,
    ) -> Result<(), EmitError> {
        self.main().emit(event, args)
    }

    /// Disconnects every socket with `server shutting down`, closes every
    /// Engine.IO session, letting what is queued go out, and waits until
    /// they are closed (at most the sessions' `close_timeout`). As in the
    /// reference, the clients get no DISCONNECT: they see their transport
    /// close, so they reconnect (and recover, with recovery on) to another
    /// node or the restarted server. New clients are refused from now on.
    pub async fn shutdown(&self) {
        self.inner
            .shutting_down
            .store(true, std::sync::atomic::Ordering::SeqCst);
        let namespaces: Vec<Namespace> = read(&self.inner.namespaces).values().cloned().collect();
        for ns in namespaces {
            for socket in ns.local_sockets() {
                socket.disconnect_with(DisconnectReason::ServerShuttingDown, true);
            }
        }
        self.inner.engine.close_all();
        let deadline = tokio::time::Instant::now() + self.inner.config.engine.session.close_timeout;
        while self.inner.engine.session_count() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// Starts the task that takes the Engine.IO server's new sessions, once.
    fn start(&self) {
        use std::sync::atomic::Ordering;
        if self.inner.started.load(Ordering::Acquire) {
            return;
        }
        self.inner.started.store(true, Ordering::Release);
        let Some(mut incoming) = lock(&self.inner.incoming).take() else {
            return;
        };
        let inner = self.inner.clone();
        tokio::spawn(async move {
            while let Some(engine) = incoming.accept().await {
                tokio::spawn(client::run(inner.clone(), engine));
            }
        });
    }

    /// Whether the server answers `uri`: its path, and the browser
    /// client's files under it when it serves them.
    pub fn handles(&self, uri: &http::Uri) -> bool {
        self.inner.engine.handles(uri)
            || (self.inner.config.serve_client
                && uri
                    .path()
                    .strip_prefix(self.inner.config.engine.path.as_str())
                    .is_some_and(client_js::is_asset))
    }

    /// Answers one request under the server's path (see
    /// [`EngineServer::handle`]).
    pub async fn handle<B>(&self, request: Request<B>) -> Response<EngineBody>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<tether_engineio::server::BoxError>,
    {
        if let Some(response) = self.client_file(&request) {
            return response;
        }
        self.start();
        self.inner.engine.handle(request).await
    }

    /// The browser client's file the request asks for, if serving it is on.
    fn client_file<B>(&self, request: &Request<B>) -> Option<Response<EngineBody>> {
        if !self.inner.config.serve_client {
            return None;
        }
        let rest = request
            .uri()
            .path()
            .strip_prefix(self.inner.config.engine.path.as_str())?;
        client_js::respond(rest, request.method(), request.headers())
    }

    /// A tower layer that routes the server's path to it and everything
    /// else to the inner service.
    ///
    /// The server learns a client's address ([`Handshake::address`]) from
    /// a `SocketAddr` in the request's extensions, as [`SocketIo::serve`]
    /// puts it there. Behind axum, add it from `ConnectInfo` (serve with
    /// `into_make_service_with_connect_info::<SocketAddr>()` and a
    /// `map_request` that inserts it, as the `axum` example does).
    pub fn layer(&self) -> SocketIoLayer {
        SocketIoLayer { io: self.clone() }
    }

    /// Serves the server alone on `listener` (every other path is 404),
    /// until the listener fails.
    ///
    /// # Errors
    ///
    /// The listener's error.
    pub async fn serve(self, listener: tokio::net::TcpListener) -> std::io::Result<()> {
        self.start();
        tether_engineio::server::serve_with(listener, move |request| {
            let io = self.clone();
            async move { io.handle(request).await }
        })
        .await
    }
}

impl<B> tower_service::Service<Request<B>> for SocketIo
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<tether_engineio::server::BoxError>,
{
    type Response = Response<EngineBody>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response<EngineBody>, Infallible>>;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        let io = self.clone();
        Box::pin(async move { Ok(io.handle(request).await) })
    }
}

/// The tower layer of a [`SocketIo`] server: requests under its path go to
/// it, the rest to the inner service.
#[derive(Clone, Debug)]
pub struct SocketIoLayer {
    io: SocketIo,
}

impl<S> tower_layer::Layer<S> for SocketIoLayer {
    type Service = SocketIoService<S>;

    fn layer(&self, inner: S) -> SocketIoService<S> {
        SocketIoService {
            io: self.io.clone(),
            inner,
        }
    }
}

/// An inner service with a [`SocketIo`] server in front of it: requests
/// under the server's path go to the server, the rest to the inner
/// service.
#[derive(Clone, Debug)]
pub struct SocketIoService<S> {
    io: SocketIo,
    inner: S,
}

impl<S, B, R> tower_service::Service<Request<B>> for SocketIoService<S>
where
    S: tower_service::Service<Request<B>, Response = Response<R>>,
    S::Future: Send + 'static,
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<tether_engineio::server::BoxError>,
{
    type Response = Response<http_body_util::Either<EngineBody, R>>;
    type Error = S::Error;
    type Future = BoxFuture<Result<Self::Response, S::Error>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), S::Error>> {
        self.inner.poll_ready(cx)
    }

    fn call(&mut self, request: Request<B>) -> Self::Future {
        if self.io.handles(request.uri()) {
            let io = self.io.clone();
            Box::pin(async move { Ok(io.handle(request).await.map(http_body_util::Either::Left)) })
        } else {
            let future = self.inner.call(request);
            Box::pin(async move { Ok(future.await?.map(http_body_util::Either::Right)) })
        }
    }
}

impl hyper::service::Service<Request<hyper::body::Incoming>> for SocketIo {
    type Response = Response<EngineBody>;
    type Error = Infallible;
    type Future = BoxFuture<Result<Response<EngineBody>, Infallible>>;

    fn call(&self, request: Request<hyper::body::Incoming>) -> Self::Future {
        let io = self.clone();
        Box::pin(async move { Ok(io.handle(request).await) })
    }
}
