//! The tokio task of one client (one Engine.IO session) over its sans-IO
//! core.

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use futures_util::stream::{FuturesUnordered, StreamExt};
use serde::Deserialize;
use tether_engineio::server::{Socket as EngineSocket, SocketSender};

use super::adapter::{messages, RestoredSession};
use super::core::{Action, ClientCore};
use super::ns::Namespace;
use super::socket::{Delivery, Socket};
use super::{lock, BoxFuture, DisconnectReason, ServerInner, Sid};
use crate::{Packet, Utf8Bytes};

/// What the sockets of a client share: the Engine.IO session's send side
/// and the protocol core.
pub(crate) struct ClientShared {
    pub(crate) engine: SocketSender,
    core: Mutex<ClientCore<Socket>>,
}

impl ClientShared {
    /// The client's connected sockets.
    pub(crate) fn sockets(&self) -> Vec<Socket> {
        lock(&self.core).sockets()
    }

    /// The server disconnected the socket of `namespace`.
    pub(crate) fn forget(&self, namespace: &Utf8Bytes) {
        lock(&self.core).disconnected(namespace);
    }

    /// The client does not take broadcasts fast enough: its sockets
    /// disconnect now (`forced close`, recoverable) and its session closes.
    pub(crate) fn close_slow(&self) {
        let sockets = lock(&self.core).take_sockets();
        for socket in sockets {
            socket.closed(DisconnectReason::ForcedClose);
        }
        self.engine.close();
    }

    fn send(&self, packet: &Packet) {
        let _ = self.engine.try_send_all(&messages(packet));
    }
}

pub(crate) async fn run(server: Arc<ServerInner>, mut engine: EngineSocket) {
    if server
        .shutting_down
        .load(std::sync::atomic::Ordering::SeqCst)
    {
        return;
    }
    let config = &server.config;
    let client = Arc::new(ClientShared {
        engine: engine.sender(),
        core: Mutex::new(ClientCore::new(
            config.parser.clone(),
            config.connect_timeout,
            config.attachment_timeout,
            Instant::now(),
        )),
    });
    let mut tasks: FuturesUnordered<BoxFuture<()>> = FuturesUnordered::new();
    // The timer exists only while a deadline does (until the first
    // namespace is joined, or while attachments are due).
    let mut timer: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;
    let mut armed: Option<Instant> = None;
    let reason = loop {
        let deadline = lock(&client.core).poll_timeout();
        if deadline != armed {
            match (deadline, timer.as_mut()) {
                (Some(d), Some(t)) => t.as_mut().reset(d.into()),
                (Some(d), None) => timer = Some(Box::pin(tokio::time::sleep_until(d.into()))),
                (None, _) => timer = None,
            }
            armed = deadline;
        }
        tokio::select! {
            biased;
            Some(()) = tasks.next(), if !tasks.is_empty() => {}
            message = engine.recv() => {
                let Some(message) = message else {
                    break engine
                        .close_reason()
                        .map_or(DisconnectReason::TransportClose, DisconnectReason::from_engine);
                };
                let action = lock(&client.core).handle_message(message, Instant::now());
                match action {
                    Ok(Some(action)) => handle(&server, &client, action, &mut tasks),
                    Ok(None) => {}
                    Err(violation) => break violation.reason(),
                }
            }
            () = std::future::poll_fn(|cx| match timer.as_mut() {
                Some(t) => t.as_mut().poll(cx),
                None => std::task::Poll::Pending,
            }), if timer.is_some() => {
                armed = None;
                timer = None;
                if let Err(violation) = lock(&client.core).handle_timeout(Instant::now()) {
                    break violation.reason();
                }
            }
        }
    };
    engine.close();
    let sockets = lock(&client.core).take_sockets();
    for socket in sockets {
        socket.closed(reason);
    }
    drop(engine);
    if !tasks.is_empty() {
        // Handlers still running finish on their own.
        tokio::spawn(async move { while tasks.next().await.is_some() {} });
    }
}

fn handle(
    server: &Arc<ServerInner>,
    client: &Arc<ClientShared>,
    action: Action<Socket>,
    tasks: &mut FuturesUnordered<BoxFuture<()>>,
) {
    match action {
        Action::Connect { namespace, packet } => {
            let refused = server
                .shutting_down
                .load(std::sync::atomic::Ordering::SeqCst);
            match server.namespace(&namespace).filter(|_| !refused) {
                Some(ns) => tasks.push(Box::pin(connect(client.clone(), ns, packet))),
                None => {
                    if let Ok(p) = Packet::connect_error(namespace.clone(), "Invalid namespace") {
                        client.send(&p);
                    }
                    lock(&client.core).refused(&namespace);
                }
            }
        }
        Action::Event(socket, packet) => socket.dispatch(packet, |f| tasks.push(f)),
        Action::Ack(socket, packet) => socket.receive_ack(packet),
        Action::Disconnect(socket) => socket.closed(DisconnectReason::ClientNamespaceDisconnect),
    }
}

/// The recovery fields of a CONNECT's auth: `{"pid":..,"offset":..}`.
fn recovery_auth(auth: Option<&crate::Payload>) -> Option<(Sid, String)> {
    #[derive(Deserialize)]
    struct Recovery<'a> {
        #[serde(borrow)]
        pid: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow)]
        offset: Option<std::borrow::Cow<'a, str>>,
    }
    let r: Recovery<'_> = auth?.deserialize().ok()?;
    Some((Sid::parse(&r.pid?)?, r.offset?.into_owned()))
}

/// Runs the middleware on `socket`: false (and the CONNECT_ERROR sent) if
/// one refused.
async fn admit(client: &ClientShared, ns: &Namespace, socket: &Socket) -> bool {
    for middleware in ns.inner.middleware() {
        if let Err(e) = middleware(socket.clone()).await {
            if let Some(p) = e.packet(&ns.inner.name) {
                client.send(&p);
            }
            lock(&client.core).refused(&ns.inner.name);
            return false;
        }
    }
    true
}

/// Marks `socket` connected and reachable, and sends its CONNECT.
fn attach(client: &ClientShared, socket: &Socket) -> bool {
    let ns = &socket.inner.ns;
    if !lock(&client.core).connected(&ns.name, socket.clone()) {
        return false;
    }
    socket
        .inner
        .connected
        .store(true, std::sync::atomic::Ordering::Release);
    ns.insert(socket.clone());
    #[derive(serde::Serialize)]
    struct Reply {
        sid: Sid,
        #[serde(skip_serializing_if = "Option::is_none")]
        pid: Option<Sid>,
    }
    let reply = Reply {
        sid: socket.id(),
        pid: socket.inner.pid,
    };
    if let Ok(p) = Packet::connect_with(ns.name.clone(), &reply) {
        client.send(&p);
    }
    true
}

async fn connect(client: Arc<ClientShared>, ns: Namespace, packet: Packet) {
    let auth = packet.into_payload();
    let recovery = ns.inner.recovery.clone();
    let with_pid = recovery.is_some();
    let mut admitted: Option<Socket> = None;

    if let (Some(config), Some((pid, offset))) = (&recovery, recovery_auth(auth.as_ref())) {
        if !config.skip_middlewares {
            // The middleware decides before anything of the old session
            // is given back.
            let socket = Socket::new(ns.inner.clone(), client.clone(), auth.clone(), None, true);
            if !admit(&client, &ns, &socket).await {
                return;
            }
            admitted = Some(socket);
        }
        let slot: Arc<Mutex<Option<Socket>>> = Arc::new(Mutex::new(None));
        let restore = {
            let (client, ns, slot, auth) = (client.clone(), ns.clone(), slot.clone(), auth.clone());
            let earlier = admitted.clone();
            Box::new(move |session: RestoredSession| {
                let socket = Socket::new(
                    ns.inner.clone(),
                    client.clone(),
                    auth,
                    Some((session.sid, session.pid)),
                    true,
                );
                socket.extensions().restore(session.data);
                if let Some(earlier) = earlier {
                    // What the middleware stored wins over the old data.
                    socket.extensions().merge(earlier.extensions().take());
                }
                if !attach(&client, &socket) {
                    return;
                }
                ns.inner.adapter.add_all(socket.id(), &session.rooms);
                for missed in &session.missed {
                    let _ = socket.deliver_packet(missed, Delivery::PLAIN);
                }
                *lock(&slot) = Some(socket);
            })
        };
        if ns
            .inner
            .adapter
            .restore_session(pid, &offset, restore)
            .await
        {
            let socket = lock(&slot).take();
            if let Some(socket) = socket {
                (ns.inner.handler())(socket).await;
            }
            return;
        }
    }

    let socket = match admitted {
        Some(socket) => socket,
        None => {
            let socket = Socket::new(ns.inner.clone(), client.clone(), auth, None, with_pid);
            if !admit(&client, &ns, &socket).await {
                return;
            }
            socket
        }
    };
    if attach(&client, &socket) {
        (ns.inner.handler())(socket).await;
    }
}
