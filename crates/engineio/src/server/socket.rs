//! The tokio adapter of a session: the shared state, the application's
//! [`Socket`], the WebSocket task and the timer task of a polling session.

use std::fmt;
use std::future::{poll_fn, Future};
use std::pin::Pin;
use std::sync::{Arc, Mutex, MutexGuard, Weak};
use std::task::{Context, Poll, Waker};
use std::time::Instant;

use futures_util::{SinkExt, StreamExt};
use tether_ws::{CloseCode, CloseFrame, Message, Outgoing};

use super::{HandshakeRequest, ServerInner};
use crate::session::{CloseReason, Event, SendError, SendOptions, Session, SocketId, Transport};
use crate::{EnginePacket, MessageData};

/// Who is calling into the shared state, so a change does not wake the
/// caller itself.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Waiter {
    Get,
    Post,
    Socket(SocketId),
    Recv,
    Timer,
    Other,
}

pub(crate) struct State {
    pub(crate) core: Session,
    get: Option<Waker>,
    post: Option<Waker>,
    sockets: Vec<(SocketId, Waker)>,
    recv: Option<Waker>,
    send: Vec<Waker>,
    timer: Option<Waker>,
    removed: bool,
}

/// What the waiters of a session wait on, to wake only those whose
/// condition a change may have met.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Snapshot {
    events: usize,
    buffered: usize,
    timeout: Option<Instant>,
    phase: (bool, bool, Transport, bool, bool),
}

impl Snapshot {
    fn of(core: &Session) -> Snapshot {
        Snapshot {
            events: core.pending_events(),
            buffered: core.buffered(),
            timeout: core.poll_timeout(),
            phase: (
                core.is_closing(),
                core.is_closed(),
                core.transport(),
                core.is_upgrading(),
                core.is_upgrade_probed(),
            ),
        }
    }
}

/// Wakes the waiter in `slot` (of role `who`) unless it is the caller.
fn wake_slot(slot: &mut Option<Waker>, who: Waiter, from: Waiter) {
    if from != who {
        if let Some(w) = slot.take() {
            w.wake();
        }
    }
}

impl State {
    /// Wakes the waiters (but the caller) that a change from `before` to
    /// the current state concerns.
    fn wake_changed(&mut self, from: Waiter, before: Snapshot) {
        let after = Snapshot::of(&self.core);
        if after == before {
            return;
        }
        if after.phase != before.phase {
            // Everyone, the caller's role included: a second GET's overlap
            // closes the session under the first GET, a waiter of the same
            // role.
            return self.wake(Waiter::Other);
        }
        let mut sockets = false;
        if after.events > before.events {
            wake_slot(&mut self.recv, Waiter::Recv, from);
        }
        if after.events < before.events {
            wake_slot(&mut self.post, Waiter::Post, from);
            sockets = true;
        }
        if after.buffered > before.buffered {
            wake_slot(&mut self.get, Waiter::Get, from);
            sockets = true;
        }
        if after.buffered < before.buffered {
            for w in self.send.drain(..) {
                w.wake();
            }
        }
        if after.timeout != before.timeout {
            wake_slot(&mut self.timer, Waiter::Timer, from);
            sockets = true;
        }
        if sockets {
            self.wake_sockets(from);
        }
    }

    fn wake_sockets(&mut self, from: Waiter) {
        self.sockets.retain(|(id, w)| {
            if from == Waiter::Socket(*id) {
                true
            } else {
                w.wake_by_ref();
                false
            }
        });
    }

    fn wake(&mut self, from: Waiter) {
        wake_slot(&mut self.get, Waiter::Get, from);
        wake_slot(&mut self.post, Waiter::Post, from);
        wake_slot(&mut self.recv, Waiter::Recv, from);
        wake_slot(&mut self.timer, Waiter::Timer, from);
        self.wake_sockets(from);
        for w in self.send.drain(..) {
            w.wake();
        }
    }

    fn register_socket(&mut self, id: SocketId, waker: &Waker) {
        match self.sockets.iter_mut().find(|(i, _)| *i == id) {
            Some((_, w)) => w.clone_from(waker),
            None => self.sockets.push((id, waker.clone())),
        }
    }
}

/// One session's state, shared by its HTTP requests, its WebSocket tasks,
/// its timer task and the application's [`Socket`].
pub(crate) struct Shared {
    pub(crate) sid: Arc<str>,
    pub(crate) request: HandshakeRequest,
    state: Mutex<State>,
    server: Weak<ServerInner>,
    max_incoming: usize,
}

impl Shared {
    pub(crate) fn new(
        sid: Arc<str>,
        request: HandshakeRequest,
        core: Session,
        server: &Arc<ServerInner>,
    ) -> Arc<Shared> {
        Arc::new(Shared {
            sid,
            request,
            max_incoming: server.config.max_incoming,
            server: Arc::downgrade(server),
            state: Mutex::new(State {
                core,
                get: None,
                post: None,
                sockets: Vec::new(),
                recv: None,
                send: Vec::new(),
                timer: None,
                removed: false,
            }),
        })
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Runs `f` on the state, wakes the other waiters the change concerns,
    /// and forgets the session in the server once it is closed.
    pub(crate) fn with<R>(&self, from: Waiter, f: impl FnOnce(&mut State) -> R) -> R {
        let (r, closed) = {
            let mut state = self.lock();
            let before = Snapshot::of(&state.core);
            let r = f(&mut state);
            state.wake_changed(from, before);
            let closed = state.core.is_closed() && !std::mem::replace(&mut state.removed, true);
            (r, closed)
        };
        if closed {
            if let Some(server) = self.server.upgrade() {
                server.remove(&self.sid);
            }
        }
        r
    }

    /// Reads the state without waking anyone.
    pub(crate) fn peek<R>(&self, f: impl FnOnce(&Session) -> R) -> R {
        f(&self.lock().core)
    }

    pub(crate) fn has_room(state: &State, max: usize) -> bool {
        state.core.pending_events() < max
    }

    pub(crate) fn close(&self) {
        self.with(Waiter::Other, |s| s.core.close(Instant::now()));
    }

    // ---- long-polling -------------------------------------------------

    /// Waits for the payload of the pending `GET`.
    pub(crate) async fn wait_payload(&self) -> Vec<EnginePacket> {
        poll_fn(|cx| {
            // Taking the payload may close the session (a forced close's
            // last payload): `with` wakes whom that concerns.
            let taken = self.with(Waiter::Get, |state| {
                let payload = state.core.take_payload();
                if payload.is_none() {
                    state.get = Some(cx.waker().clone());
                }
                payload
            });
            match taken {
                Some(payload) => Poll::Ready(payload),
                None => Poll::Pending,
            }
        })
        .await
    }

    /// Waits until the application has room for more messages.
    pub(crate) async fn wait_room(&self) {
        poll_fn(|cx| {
            let mut state = self.lock();
            if state.core.is_closed() || Shared::has_room(&state, self.max_incoming) {
                Poll::Ready(())
            } else {
                state.post = Some(cx.waker().clone());
                Poll::Pending
            }
        })
        .await;
    }

    // ---- timers of a polling session -----------------------------------

    /// Runs the timers of a polling session until it closes or moves to
    /// WebSocket (whose task then runs them).
    pub(crate) async fn drive_timers(self: Arc<Shared>) {
        let sleep = tokio::time::sleep_until(far_future());
        tokio::pin!(sleep);
        loop {
            let deadline = {
                let state = self.lock();
                if state.core.is_closed() || state.core.transport() == Transport::WebSocket {
                    return;
                }
                state.core.poll_timeout()
            };
            sleep.as_mut().reset(to_tokio(deadline));
            let fired = poll_fn(|cx| {
                if sleep.as_mut().poll(cx).is_ready() {
                    return Poll::Ready(true);
                }
                let mut state = self.lock();
                if state.core.poll_timeout() != deadline
                    || state.core.is_closed()
                    || state.core.transport() == Transport::WebSocket
                {
                    return Poll::Ready(false);
                }
                state.timer = Some(cx.waker().clone());
                Poll::Pending
            })
            .await;
            if fired {
                self.with(Waiter::Timer, |s| s.core.handle_timeout(Instant::now()));
            }
        }
    }

    // ---- WebSocket -----------------------------------------------------

    /// Runs WebSocket `id` of this session (its own or an upgrade's probe)
    /// until it or the session closes.
    pub(crate) async fn run_socket(
        self: Arc<Shared>,
        id: SocketId,
        mut ws: tether_ws::HyperWebSocket,
    ) {
        let mut batch: Vec<(EnginePacket, SendOptions)> = Vec::new();
        let sleep = tokio::time::sleep_until(far_future());
        tokio::pin!(sleep);
        loop {
            // Write what the session has for this socket.
            let (close, deadline, room) = self.with(Waiter::Socket(id), |s| {
                while batch.len() < 64 {
                    match s.core.poll_socket_transmit_with(id) {
                        Some(p) => batch.push(p),
                        None => break,
                    }
                }
                let main = s.core.socket() == Some(id);
                (
                    batch.is_empty() && s.core.socket_should_close(id),
                    if main { s.core.poll_timeout() } else { None },
                    Shared::has_room(s, self.max_incoming),
                )
            });
            sleep.as_mut().reset(to_tokio(deadline));
            if !batch.is_empty() {
                let mut failed = false;
                for (packet, options) in batch.drain(..) {
                    let Some(message) = into_message(packet) else {
                        continue;
                    };
                    let fed = if options.compress {
                        ws.feed(message).await
                    } else {
                        // Uncompressed even with permessage-deflate.
                        ws.feed(Outgoing::uncompressed(message)).await
                    };
                    if fed.is_err() {
                        failed = true;
                        break;
                    }
                }
                if failed {
                    self.with(Waiter::Socket(id), |s| s.core.socket_closed(id, true));
                    return;
                }
                // A client that does not read must not hold this task past
                // the session's deadlines.
                let flushed = tokio::select! {
                    r = ws.flush() => r.is_ok(),
                    () = &mut sleep, if deadline.is_some() => {
                        self.with(Waiter::Socket(id), |s| s.core.handle_timeout(Instant::now()));
                        if self.peek(|c| c.is_closed()) {
                            return;
                        }
                        // The flush goes on at the next turn.
                        true
                    }
                };
                if !flushed {
                    self.with(Waiter::Socket(id), |s| s.core.socket_closed(id, true));
                    return;
                }
                continue;
            }
            if close {
                let parse_error = self.peek(|c| c.close_reason() == Some(CloseReason::ParseError));
                let frame = if parse_error {
                    CloseFrame::new(CloseCode::ProtocolError, "")
                } else {
                    CloseFrame::new(CloseCode::Normal, "")
                };
                // Boxed: the close is rare, and its timer and futures would
                // otherwise be part of every idle socket's task.
                let _ = Box::pin(tokio::time::timeout(
                    std::time::Duration::from_secs(5),
                    async {
                        ws.feed(Message::Close(Some(frame))).await?;
                        ws.close().await
                    },
                ))
                .await;
                self.with(Waiter::Socket(id), |s| s.core.socket_closed(id, false));
                return;
            }
            tokio::select! {
                biased;
                () = &mut sleep, if deadline.is_some() => {
                    self.with(Waiter::Socket(id), |s| s.core.handle_timeout(Instant::now()));
                }
                message = ws.next(), if room => {
                    let now = Instant::now();
                    match message {
                        Some(Ok(Message::Text(text))) => {
                            self.with(Waiter::Socket(id), |s| match EnginePacket::decode_text(text) {
                                Ok(packet) => {
                                    let _ = s.core.handle_socket_packet(id, packet, now);
                                }
                                Err(_) => s.core.fail_socket(id, CloseReason::ParseError),
                            });
                        }
                        Some(Ok(Message::Binary(data))) => {
                            self.with(Waiter::Socket(id), |s| {
                                let _ = s.core.handle_socket_packet(id, EnginePacket::Binary(data), now);
                            });
                        }
                        Some(Ok(Message::Ping(_) | Message::Pong(_))) => {}
                        Some(Ok(Message::Close(_))) | None => {
                            // The WebSocket answers the close itself; let it
                            // finish before the socket goes.
                            self.with(Waiter::Socket(id), |s| s.core.socket_closed(id, false));
                            let _ = Box::pin(tokio::time::timeout(std::time::Duration::from_secs(5), async {
                                while ws.next().await.is_some() {}
                            }))
                            .await;
                            return;
                        }
                        Some(Err(e)) => {
                            // tether-ws has written its Close (1009 for a
                            // message over maxPayload) by now. A connection
                            // that just ended without a Close is a transport
                            // close, as the reference's `ws` reports it (code
                            // 1006, no error).
                            let error = !matches!(e, tether_ws::Error::ResetWithoutClose);
                            self.with(Waiter::Socket(id), |s| s.core.socket_closed(id, error));
                            return;
                        }
                    }
                }
                () = poll_fn(|cx| {
                    let mut state = self.lock();
                    let changed = state.core.socket_should_close(id)
                        || state.core.wants_socket_transmit(id)
                        || (!room && Shared::has_room(&state, self.max_incoming))
                        || (state.core.socket() == Some(id) && state.core.poll_timeout() != deadline);
                    if changed {
                        Poll::Ready(())
                    } else {
                        state.register_socket(id, cx.waker());
                        Poll::Pending
                    }
                }) => {}
            }
        }
    }

    // ---- the application -----------------------------------------------

    pub(crate) fn poll_recv(&self, cx: &mut Context<'_>) -> Poll<Option<MessageData>> {
        let mut state = self.lock();
        loop {
            match state.core.poll_event() {
                Some(Event::Message(data)) => {
                    // Room again: a paused reader may go on.
                    if state.core.pending_events() + 1 == self.max_incoming {
                        state.wake(Waiter::Recv);
                    }
                    return Poll::Ready(Some(data));
                }
                Some(Event::Upgraded) => continue,
                Some(Event::Closed(_)) => return Poll::Ready(None),
                None if state.core.is_closed() => return Poll::Ready(None),
                None => {
                    state.recv = Some(cx.waker().clone());
                    return Poll::Pending;
                }
            }
        }
    }

    pub(crate) fn try_send(
        &self,
        data: MessageData,
        options: SendOptions,
    ) -> Result<(), TrySendError> {
        let mut state = self.lock();
        if !state.core.can_send() {
            let error = if state.core.is_closing() {
                SendError::Closed
            } else {
                SendError::Full
            };
            return Err(TrySendError { error, data });
        }
        let _ = state.core.send_with(data, options);
        // Only the transport has anything new to do.
        if let Some(w) = state.get.take() {
            w.wake();
        }
        for (_, w) in state.sockets.drain(..) {
            w.wake();
        }
        Ok(())
    }

    pub(crate) fn try_send_all(
        &self,
        data: &[MessageData],
        options: SendOptions,
    ) -> Result<(), SendError> {
        let mut state = self.lock();
        state.core.send_all_with(data, options)?;
        if let Some(w) = state.get.take() {
            w.wake();
        }
        for (_, w) in state.sockets.drain(..) {
            w.wake();
        }
        Ok(())
    }

    pub(crate) async fn send_all(
        &self,
        data: &[MessageData],
        options: SendOptions,
    ) -> Result<(), SendError> {
        poll_fn(|cx| match self.try_send_all(data, options) {
            Err(SendError::Full) => {
                let mut state = self.lock();
                if state.core.can_send_all(data.len()) {
                    cx.waker().wake_by_ref();
                } else {
                    state.send.push(cx.waker().clone());
                }
                Poll::Pending
            }
            done => Poll::Ready(done),
        })
        .await
    }

    pub(crate) async fn send(
        &self,
        data: MessageData,
        options: SendOptions,
    ) -> Result<(), SendError> {
        let mut data = Some(data);
        poll_fn(|cx| {
            let Some(d) = data.take() else {
                return Poll::Ready(Err(SendError::Closed));
            };
            match self.try_send(d, options) {
                Ok(()) => Poll::Ready(Ok(())),
                Err(TrySendError {
                    error: SendError::Full,
                    data: d,
                }) => {
                    let mut state = self.lock();
                    if state.core.can_send() {
                        // Room appeared in between: try again at once.
                        cx.waker().wake_by_ref();
                    } else {
                        state.send.push(cx.waker().clone());
                    }
                    data = Some(d);
                    Poll::Pending
                }
                Err(e) => Poll::Ready(Err(e.error)),
            }
        })
        .await
    }

    pub(crate) async fn closed(&self) -> CloseReason {
        poll_fn(|cx| {
            let mut state = self.lock();
            match state.core.close_reason() {
                Some(reason) => Poll::Ready(reason),
                None => {
                    state.send.push(cx.waker().clone());
                    Poll::Pending
                }
            }
        })
        .await
    }
}

fn far_future() -> tokio::time::Instant {
    tokio::time::Instant::now() + std::time::Duration::from_secs(86_400 * 365)
}

fn to_tokio(deadline: Option<Instant>) -> tokio::time::Instant {
    deadline.map_or_else(far_future, tokio::time::Instant::from_std)
}

/// The WebSocket message of `packet`; binary data is moved, not shared.
fn into_message(packet: EnginePacket) -> Option<Message> {
    match packet {
        EnginePacket::Binary(data) => Some(Message::Binary(data)),
        packet => match packet.to_message_data().ok()? {
            MessageData::Text(text) => Some(Message::Text(text)),
            MessageData::Binary(data) => Some(Message::Binary(data)),
        },
    }
}

/// A message [`Socket::try_send`] could not queue, with the reason.
#[derive(Debug, thiserror::Error)]
#[error("{error}")]
pub struct TrySendError {
    /// Why: the buffer is full, or the session is closed.
    pub error: SendError,
    /// The message, back.
    pub data: MessageData,
}

/// One Engine.IO session, as the application holds it: a stream of the
/// client's messages and a bounded send side.
///
/// Dropping the `Socket` closes the session ([`CloseReason::ForcedClose`]);
/// [`SocketSender`]s do not keep it open.
pub struct Socket {
    shared: Arc<Shared>,
}

impl fmt::Debug for Socket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Socket")
            .field("id", &self.id())
            .field("transport", &self.transport())
            .finish()
    }
}

impl Socket {
    pub(crate) fn new(shared: Arc<Shared>) -> Socket {
        Socket { shared }
    }

    /// The session id.
    pub fn id(&self) -> &str {
        &self.shared.sid
    }

    /// The transport the session is on now.
    pub fn transport(&self) -> Transport {
        self.shared.peek(Session::transport)
    }

    /// The handshake request (query, headers, remote address).
    pub fn request(&self) -> &HandshakeRequest {
        &self.shared.request
    }

    /// The next message from the client; `None` once the session is closed
    /// and every message before the close was taken.
    pub async fn recv(&mut self) -> Option<MessageData> {
        poll_fn(|cx| self.shared.poll_recv(cx)).await
    }

    /// [`Socket::recv`] as a poll function.
    pub fn poll_recv(&mut self, cx: &mut Context<'_>) -> Poll<Option<MessageData>> {
        self.shared.poll_recv(cx)
    }

    /// Queues a message for the client, waiting while the session's buffer
    /// is full (see the [module documentation](super#slow-clients)).
    ///
    /// # Errors
    ///
    /// [`SendError::Closed`] once the session is closing.
    pub async fn send(&self, data: impl Into<MessageData>) -> Result<(), SendError> {
        self.shared.send(data.into(), SendOptions::default()).await
    }

    /// Queues a message as [`Socket::send`] does, sent with `options`: with
    /// [`compress`](SendOptions::compress) false, a WebSocket with
    /// permessage-deflate sends it uncompressed (the reference's
    /// `socket.send(data, { compress: false })`); polling compresses
    /// nothing anyway.
    ///
    /// ```no_run
    /// # async fn f(socket: tether_engineio::server::Socket) -> Result<(), tether_engineio::session::SendError> {
    /// use tether_engineio::session::SendOptions;
    /// socket.send_with("a session token", SendOptions::new().with_compress(false)).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`Socket::send`].
    pub async fn send_with(
        &self,
        data: impl Into<MessageData>,
        options: SendOptions,
    ) -> Result<(), SendError> {
        self.shared.send(data.into(), options).await
    }

    /// Queues a message without waiting.
    ///
    /// # Errors
    ///
    /// [`SendError::Full`] or [`SendError::Closed`], with the message back.
    pub fn try_send(&self, data: impl Into<MessageData>) -> Result<(), TrySendError> {
        self.shared.try_send(data.into(), SendOptions::default())
    }

    /// Queues a message without waiting, sent with `options` (see
    /// [`Socket::send_with`]).
    ///
    /// # Errors
    ///
    /// As [`Socket::try_send`].
    pub fn try_send_with(
        &self,
        data: impl Into<MessageData>,
        options: SendOptions,
    ) -> Result<(), TrySendError> {
        self.shared.try_send(data.into(), options)
    }

    /// Queues several messages together, all or none, waiting while the
    /// buffer has no room for them (see [`Session::send_all`]).
    ///
    /// # Errors
    ///
    /// [`SendError::Closed`] once the session is closing.
    pub async fn send_all(&self, data: &[MessageData]) -> Result<(), SendError> {
        self.shared.send_all(data, SendOptions::default()).await
    }

    /// Queues several messages together, each sent with `options` (see
    /// [`Socket::send_with`]).
    ///
    /// # Errors
    ///
    /// As [`Socket::send_all`].
    pub async fn send_all_with(
        &self,
        data: &[MessageData],
        options: SendOptions,
    ) -> Result<(), SendError> {
        self.shared.send_all(data, options).await
    }

    /// Queues several messages together without waiting.
    ///
    /// # Errors
    ///
    /// [`SendError::Full`] or [`SendError::Closed`]; nothing is queued.
    pub fn try_send_all(&self, data: &[MessageData]) -> Result<(), SendError> {
        self.shared.try_send_all(data, SendOptions::default())
    }

    /// Queues several messages together without waiting, each sent with
    /// `options` (see [`Socket::send_with`]).
    ///
    /// # Errors
    ///
    /// As [`Socket::try_send_all`].
    pub fn try_send_all_with(
        &self,
        data: &[MessageData],
        options: SendOptions,
    ) -> Result<(), SendError> {
        self.shared.try_send_all(data, options)
    }

    /// Whether a message sent now goes out at once
    /// ([`Session::is_writable`]).
    pub fn is_writable(&self) -> bool {
        self.shared.peek(Session::is_writable)
    }

    /// A handle that sends to this session from elsewhere.
    pub fn sender(&self) -> SocketSender {
        SocketSender {
            shared: self.shared.clone(),
        }
    }

    /// Closes the session: what is queued still goes out.
    pub fn close(&self) {
        self.shared.close();
    }

    /// Why the session closed, once it has.
    pub fn close_reason(&self) -> Option<CloseReason> {
        self.shared.peek(Session::close_reason)
    }

    /// Waits for the session to close.
    pub async fn closed(&self) -> CloseReason {
        self.shared.closed().await
    }
}

impl futures_core::Stream for Socket {
    type Item = MessageData;

    fn poll_next(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<MessageData>> {
        self.shared.poll_recv(cx)
    }
}

impl Drop for Socket {
    fn drop(&mut self) {
        self.shared.close();
    }
}

/// Sends to a session from anywhere: cheap to clone, does not keep the
/// session open.
#[derive(Clone)]
pub struct SocketSender {
    shared: Arc<Shared>,
}

impl fmt::Debug for SocketSender {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SocketSender")
            .field("id", &&*self.shared.sid)
            .finish()
    }
}

impl SocketSender {
    /// The session id.
    pub fn id(&self) -> &str {
        &self.shared.sid
    }

    /// As [`Socket::send`].
    ///
    /// # Errors
    ///
    /// As [`Socket::send`].
    pub async fn send(&self, data: impl Into<MessageData>) -> Result<(), SendError> {
        self.shared.send(data.into(), SendOptions::default()).await
    }

    /// As [`Socket::send_with`].
    ///
    /// # Errors
    ///
    /// As [`Socket::send`].
    pub async fn send_with(
        &self,
        data: impl Into<MessageData>,
        options: SendOptions,
    ) -> Result<(), SendError> {
        self.shared.send(data.into(), options).await
    }

    /// As [`Socket::try_send`].
    ///
    /// # Errors
    ///
    /// As [`Socket::try_send`].
    pub fn try_send(&self, data: impl Into<MessageData>) -> Result<(), TrySendError> {
        self.shared.try_send(data.into(), SendOptions::default())
    }

    /// As [`Socket::try_send_with`].
    ///
    /// # Errors
    ///
    /// As [`Socket::try_send`].
    pub fn try_send_with(
        &self,
        data: impl Into<MessageData>,
        options: SendOptions,
    ) -> Result<(), TrySendError> {
        self.shared.try_send(data.into(), options)
    }

    /// The handshake request (query, headers, remote address).
    pub fn request(&self) -> &HandshakeRequest {
        &self.shared.request
    }

    /// As [`Socket::send_all`].
    ///
    /// # Errors
    ///
    /// As [`Socket::send_all`].
    pub async fn send_all(&self, data: &[MessageData]) -> Result<(), SendError> {
        self.shared.send_all(data, SendOptions::default()).await
    }

    /// As [`Socket::send_all_with`].
    ///
    /// # Errors
    ///
    /// As [`Socket::send_all`].
    pub async fn send_all_with(
        &self,
        data: &[MessageData],
        options: SendOptions,
    ) -> Result<(), SendError> {
        self.shared.send_all(data, options).await
    }

    /// As [`Socket::try_send_all`].
    ///
    /// # Errors
    ///
    /// As [`Socket::try_send_all`].
    pub fn try_send_all(&self, data: &[MessageData]) -> Result<(), SendError> {
        self.shared.try_send_all(data, SendOptions::default())
    }

    /// As [`Socket::try_send_all_with`].
    ///
    /// # Errors
    ///
    /// As [`Socket::try_send_all`].
    pub fn try_send_all_with(
        &self,
        data: &[MessageData],
        options: SendOptions,
    ) -> Result<(), SendError> {
        self.shared.try_send_all(data, options)
    }

    /// As [`Socket::is_writable`].
    pub fn is_writable(&self) -> bool {
        self.shared.peek(Session::is_writable)
    }

    /// The transport the session is on now.
    pub fn transport(&self) -> Transport {
        self.shared.peek(Session::transport)
    }

    /// As [`Socket::close`].
    pub fn close(&self) {
        self.shared.close();
    }

    /// Whether the session is closed.
    pub fn is_closed(&self) -> bool {
        self.shared.peek(Session::is_closed)
    }
}

/// The new sessions of an [`EngineServer`](super::EngineServer), in
/// handshake order.
#[derive(Debug)]
pub struct Incoming {
    rx: tokio::sync::mpsc::Receiver<Socket>,
}

impl Incoming {
    pub(crate) fn new(rx: tokio::sync::mpsc::Receiver<Socket>) -> Incoming {
        Incoming { rx }
    }

    /// The next new session; `None` once the server is gone.
    pub async fn accept(&mut self) -> Option<Socket> {
        self.rx.recv().await
    }
}

impl futures_core::Stream for Incoming {
    type Item = Socket;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Socket>> {
        self.rx.poll_recv(cx)
    }
}
