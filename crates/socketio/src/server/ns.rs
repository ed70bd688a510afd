//! Namespaces: their connection handler, middleware, sockets and adapter.

use std::fmt;
use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use super::adapter::{Adapter, IntoRooms, LocalNamespace};
use super::operators::BroadcastOperator;
use super::socket::Socket;
use super::types::SidMap;
use super::{read, write, BoxFuture, ConnectError, EmitError, ServerInner, Sid};
use crate::{Utf8Bytes, MAX_ACK_ID};

pub(crate) type ConnectHandler = Arc<dyn Fn(Socket) -> BoxFuture<()> + Send + Sync>;
pub(crate) type Middleware =
    Arc<dyn Fn(Socket) -> BoxFuture<Result<(), ConnectError>> + Send + Sync>;

/// A namespace: a communication channel that clients join by name, with
/// its own handlers, middleware, rooms and sockets. Cheap to clone.
#[derive(Clone)]
pub struct Namespace {
    pub(crate) inner: Arc<NsInner>,
}

pub(crate) struct NsInner {
    pub(crate) name: Utf8Bytes,
    handler: RwLock<ConnectHandler>,
    middleware: RwLock<Vec<Middleware>>,
    /// A dynamic namespace's parent, whose middleware also applies.
    parent: Option<Namespace>,
    pub(crate) sockets: RwLock<SidMap<Socket>>,
    pub(crate) adapter: Arc<dyn Adapter>,
    next_ack: AtomicU64,
    pub(crate) ack_timeout: std::time::Duration,
    pub(crate) recovery: Option<super::RecoveryConfig>,
}

impl fmt::Debug for Namespace {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Namespace")
            .field("name", &&*self.inner.name)
            .field("sockets", &read(&self.inner.sockets).len())
            .finish_non_exhaustive()
    }
}

impl NsInner {
    pub(crate) fn socket(&self, sid: Sid) -> Option<Socket> {
        read(&self.sockets).get(&sid).cloned()
    }

    pub(crate) fn sockets(&self) -> Vec<Socket> {
        read(&self.sockets).values().cloned().collect()
    }

    pub(crate) fn insert(&self, socket: Socket) {
        write(&self.sockets).insert(socket.id(), socket);
    }

    pub(crate) fn remove(&self, sid: Sid) {
        write(&self.sockets).remove(&sid);
    }

    /// The next ack id of this namespace (one id for all the recipients of
    /// a broadcast, as in the reference).
    pub(crate) fn next_ack_id(&self) -> u64 {
        self.next_ack.fetch_add(1, Ordering::Relaxed) % (MAX_ACK_ID + 1)
    }

    pub(crate) fn handler(&self) -> ConnectHandler {
        read(&self.handler).clone()
    }

    /// The middleware to run, the parent's first.
    pub(crate) fn middleware(&self) -> Vec<Middleware> {
        let mut all = self
            .parent
            .as_ref()
            .map(|p| p.inner.middleware())
            .unwrap_or_default();
        all.extend(read(&self.middleware).iter().cloned());
        all
    }
}

impl Namespace {
    pub(crate) fn new(
        server: &Arc<ServerInner>,
        name: Utf8Bytes,
        handler: ConnectHandler,
    ) -> Namespace {
        Namespace::build(server, name, handler, None)
    }

    pub(crate) fn child(
        server: &Arc<ServerInner>,
        name: Utf8Bytes,
        parent: &Namespace,
    ) -> Namespace {
        Namespace::build(server, name, parent.inner.handler(), Some(parent.clone()))
    }

    fn build(
        server: &Arc<ServerInner>,
        name: Utf8Bytes,
        handler: ConnectHandler,
        parent: Option<Namespace>,
    ) -> Namespace {
        let inner = Arc::new_cyclic(|weak| NsInner {
            name,
            handler: RwLock::new(handler),
            middleware: RwLock::new(Vec::new()),
            parent,
            sockets: RwLock::new(SidMap::default()),
            adapter: server.config.adapter.make(
                LocalNamespace::new(weak.clone()),
                server.config.recovery.as_ref(),
            ),
            next_ack: AtomicU64::new(0),
            ack_timeout: server.config.ack_timeout,
            recovery: server.config.recovery.clone(),
        });
        Namespace { inner }
    }

    pub(crate) fn set_handler(&self, handler: ConnectHandler) {
        *write(&self.inner.handler) = handler;
    }

    /// The namespace's name.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// Adds a middleware: it runs for every socket that asks to connect,
    /// in the order added (a dynamic parent's first), before the
    /// connection handler; the socket is not connected yet (it cannot
    /// emit), but its handshake and data are there. An `Err` refuses the
    /// client with `CONNECT_ERROR` and the rest do not run.
    pub fn middleware<F, Fut>(&self, middleware: F) -> &Namespace
    where
        F: Fn(Socket) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<(), ConnectError>> + Send + 'static,
    {
        let middleware: Middleware = Arc::new(move |socket| Box::pin(middleware(socket)));
        write(&self.inner.middleware).push(middleware);
        self
    }

    /// The adapter.
    pub fn adapter(&self) -> &Arc<dyn Adapter> {
        &self.inner.adapter
    }

    /// The connected socket `sid` on this node.
    pub fn socket(&self, sid: Sid) -> Option<Socket> {
        self.inner.socket(sid)
    }

    /// Every socket connected on this node.
    pub fn local_sockets(&self) -> Vec<Socket> {
        self.inner.sockets()
    }

    /// A broadcast to every socket.
    pub fn broadcast(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.inner.clone())
    }

    /// A broadcast to the sockets in `rooms`.
    pub fn to(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().to(rooms)
    }

    /// Same as [`Namespace::to`].
    pub fn within(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.to(rooms)
    }

    /// A broadcast to every socket but those in `rooms`.
    pub fn except(&self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.broadcast().except(rooms)
    }

    /// Emits to every socket of the namespace.
    ///
    /// # Errors
    ///
    /// [`EmitError::Encode`].
    pub fn emit<A: serde::Serialize + ?Sized>(
        &self,
        event: &str,
        args: &A,
    ) -> Result<(), EmitError> {
        self.broadcast().emit(event, args)
    }
}
