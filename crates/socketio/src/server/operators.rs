//! Emitting: to one socket ([`SocketOperator`]) or to many
//! ([`BroadcastOperator`]), with or without acks.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::adapter::{BroadcastOptions, IntoRooms, Room, SocketInfo};
use super::ns::NsInner;
use super::socket::{Delivery, Socket};
use super::{AckError, EmitError, Sid};
use crate::Packet;

/// The EVENT packet of an emit: `args` is the argument list when it
/// serializes to a sequence (a tuple, a `Vec`, an array; `()` for none),
/// and the single argument otherwise (a struct, a map, a string, a
/// number, bytes), as Node's `emit(event, value)` takes one value.
pub(crate) fn event_packet<A: Serialize + ?Sized>(
    namespace: crate::Utf8Bytes,
    event: &str,
    args: &A,
    ack: Option<u64>,
) -> Result<Packet, crate::Error> {
    let build = |ns: crate::Utf8Bytes| match ack {
        Some(id) => Packet::event_with_ack(ns, event, args, id),
        None => Packet::event(ns, event, args),
    };
    match build(namespace.clone()) {
        Err(crate::Error::OutgoingInvalidPayload { .. }) => match ack {
            Some(id) => Packet::event_with_ack(namespace, event, &(args,), id),
            None => Packet::event(namespace, event, &(args,)),
        },
        built => built,
    }
}

/// The ACK packet answering `id`: `args` as in [`event_packet`].
pub(crate) fn ack_packet<A: Serialize + ?Sized>(
    namespace: crate::Utf8Bytes,
    id: u64,
    args: &A,
) -> Result<Packet, crate::Error> {
    match Packet::ack(namespace.clone(), id, args) {
        Err(crate::Error::OutgoingInvalidPayload { .. }) => Packet::ack(namespace, id, &(args,)),
        built => built,
    }
}

/// Emits to one socket, with flags: an ack timeout, volatile, compress.
#[derive(Clone, Debug)]
pub struct SocketOperator {
    socket: Socket,
    timeout: Option<Duration>,
    volatile: bool,
    compress: bool,
}

impl SocketOperator {
    pub(crate) fn new(socket: Socket) -> SocketOperator {
        SocketOperator {
            socket,
            timeout: None,
            volatile: false,
            compress: true,
        }
    }

    /// Waits at most `timeout` for acks.
    pub fn timeout(mut self, timeout: Duration) -> SocketOperator {
        self.timeout = Some(timeout);
        self
    }

    /// Drops the event if the transport cannot write it at once.
    pub fn volatile(mut self) -> SocketOperator {
        self.volatile = true;
        self
    }

    /// Whether the transport may compress the event (default true):
    /// `compress(false)` sends its packet and binary attachments
    /// uncompressed on a WebSocket with permessage-deflate in force
    /// (feature `deflate`), as for a secret that must not share a
    /// compression context with data an attacker chooses; the reference's
    /// `socket.compress(false).emit(..)`. The polling transport compresses
    /// nothing, so there it changes nothing.
    pub fn compress(mut self, compress: bool) -> SocketOperator {
        self.compress = compress;
        self
    }

    /// Emits `event` with `args`.
    ///
    /// # Errors
    ///
    /// As [`Socket::emit`].
    pub fn emit<A: Serialize + ?Sized>(&self, event: &str, args: &A) -> Result<(), EmitError> {
        if !self.socket.connected() {
            return Err(EmitError::Disconnected);
        }
        let ns = &self.socket.inner.ns;
        let packet = event_packet(ns.name.clone(), event, args, None)?;
        if ns.recovery.is_some() && !self.volatile {
            // Through the adapter, so the event is kept with an offset.
            let mut opts = BroadcastOptions::new();
            opts.rooms = vec![Room::from(self.socket.id().as_str())];
            opts.flags.compress = self.compress;
            ns.adapter.broadcast(packet, &opts);
            return Ok(());
        }
        self.socket.deliver_packet(&packet, self.delivery())
    }

    fn delivery(&self) -> Delivery {
        Delivery {
            volatile: self.volatile,
            compress: self.compress,
        }
    }

    /// Emits `event` and waits for the ack, deserialized into `T`.
    ///
    /// # Errors
    ///
    /// As [`Socket::emit_with_ack`].
    pub fn emit_with_ack<A: Serialize + ?Sized, T: DeserializeOwned + Send + 'static>(
        &self,
        event: &str,
        args: &A,
    ) -> impl Future<Output = Result<T, AckError>> + Send + 'static {
        let socket = self.socket.clone();
        let ns = &socket.inner.ns;
        let timeout = self.timeout.unwrap_or(ns.ack_timeout);
        let id = ns.next_ack_id();
        let start = event_packet(ns.name.clone(), event, args, Some(id))
            .map_err(|e| AckError::Emit(EmitError::Encode(e)))
            .and_then(|packet| {
                if !socket.connected() {
                    return Err(AckError::Emit(EmitError::Disconnected));
                }
                let rx = socket
                    .expect_ack(id)
                    .ok_or(AckError::Emit(EmitError::Disconnected))?;
                if let Err(e) = socket.deliver_packet(&packet, self.delivery()) {
                    socket.forget_ack(id);
                    return Err(AckError::Emit(e));
                }
                Ok(rx)
            });
        async move {
            let rx = start?;
            match tokio::time::timeout(timeout, rx).await {
                Ok(Ok(packet)) => packet.ack_args::<T>().map_err(AckError::Decode),
                Ok(Err(_)) => Err(AckError::Disconnected),
                Err(_) => {
                    socket.forget_ack(id);
                    Err(AckError::Timeout(timeout))
                }
            }
        }
    }
}

/// The acks of a broadcast that did not all arrive in time.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BroadcastAckError<T> {
    /// Some sockets did not answer in time: the answers that came.
    #[error("{} of {expected} acknowledgements arrived in time", replies.len())]
    Timeout {
        /// The answers that arrived, with their sockets' ids.
        replies: Vec<(Sid, T)>,
        /// How many sockets the broadcast reached.
        expected: usize,
    },
    /// An answer does not deserialize into the type asked for.
    #[error("an acknowledgement does not decode: {0}")]
    Decode(crate::Error),
    /// The packet could not be made.
    #[error(transparent)]
    Emit(#[from] EmitError),
}

/// Emits to many sockets, and the server-wide operations on them: who a
/// broadcast reaches is set by [`to`](Self::to), [`except`](Self::except)
/// and the flags, and the packet is encoded once for all of them.
#[derive(Clone)]
pub struct BroadcastOperator {
    ns: Arc<NsInner>,
    opts: BroadcastOptions,
    timeout: Option<Duration>,
}

impl fmt::Debug for BroadcastOperator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BroadcastOperator")
            .field("namespace", &&*self.ns.name)
            .field("opts", &self.opts)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl BroadcastOperator {
    pub(crate) fn new(ns: Arc<NsInner>) -> BroadcastOperator {
        BroadcastOperator {
            ns,
            opts: BroadcastOptions::new(),
            timeout: None,
        }
    }

    pub(crate) fn except_sid(mut self, sid: Sid) -> BroadcastOperator {
        self.opts.except.push(Room::from(sid.as_str()));
        self
    }

    /// Adds `rooms` to those reached (a socket in several is reached once).
    pub fn to(mut self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.opts.rooms.extend(rooms.into_rooms());
        self
    }

    /// Same as [`BroadcastOperator::to`].
    pub fn within(self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.to(rooms)
    }

    /// Leaves out the sockets in `rooms`.
    pub fn except(mut self, rooms: impl IntoRooms) -> BroadcastOperator {
        self.opts.except.extend(rooms.into_rooms());
        self
    }

    /// Drops the event for each client whose transport cannot write it at
    /// once.
    pub fn volatile(mut self) -> BroadcastOperator {
        self.opts.flags.volatile = true;
        self
    }

    /// To this node's sockets only.
    pub fn local(mut self) -> BroadcastOperator {
        self.opts.flags.local = true;
        self
    }

    /// Whether the transport may compress the event, for every socket
    /// reached (see [`SocketOperator::compress`]); the packet is still
    /// encoded once for all of them.
    pub fn compress(mut self, compress: bool) -> BroadcastOperator {
        self.opts.flags.compress = compress;
        self
    }

    /// Waits at most `timeout` for acks.
    pub fn timeout(mut self, timeout: Duration) -> BroadcastOperator {
        self.timeout = Some(timeout);
        self
    }

    /// The options a broadcast from here has.
    pub fn options(&self) -> &BroadcastOptions {
        &self.opts
    }

    /// Emits `event` with `args` to every socket reached.
    ///
    /// # Errors
    ///
    /// [`EmitError::Encode`].
    pub fn emit<A: Serialize + ?Sized>(&self, event: &str, args: &A) -> Result<(), EmitError> {
        let packet = event_packet(self.ns.name.clone(), event, args, None)?;
        self.ns.adapter.broadcast(packet, &self.opts);
        Ok(())
    }

    /// Emits `event` to every socket reached and collects their acks,
    /// each deserialized into `T`, until all have answered or the timeout
    /// (the server's `ack_timeout` unless [`timeout`](Self::timeout) set
    /// one) passes.
    ///
    /// # Errors
    ///
    /// [`BroadcastAckError::Timeout`] with the answers that came;
    /// [`BroadcastAckError::Decode`]; [`BroadcastAckError::Emit`].
    pub fn emit_with_ack<A: Serialize + ?Sized, T: DeserializeOwned + Send + 'static>(
        &self,
        event: &str,
        args: &A,
    ) -> impl Future<Output = Result<Vec<(Sid, T)>, BroadcastAckError<T>>> + Send + 'static {
        let timeout = self.timeout.unwrap_or(self.ns.ack_timeout);
        let id = self.ns.next_ack_id();
        let started = event_packet(self.ns.name.clone(), event, args, Some(id)).map(|packet| {
            self.ns
                .adapter
                .broadcast_with_ack(packet, &self.opts, timeout)
        });
        async move {
            let replies = started
                .map_err(|e| BroadcastAckError::Emit(EmitError::Encode(e)))?
                .await;
            let mut out = Vec::with_capacity(replies.replies.len());
            for (sid, packet) in replies.replies {
                out.push((
                    sid,
                    packet.ack_args::<T>().map_err(BroadcastAckError::Decode)?,
                ));
            }
            if out.len() < replies.expected {
                return Err(BroadcastAckError::Timeout {
                    replies: out,
                    expected: replies.expected,
                });
            }
            Ok(out)
        }
    }

    /// The ids of the sockets reached, server-wide.
    pub async fn sockets(&self) -> Vec<Sid> {
        self.ns.adapter.sockets(&self.opts).await
    }

    /// The sockets reached, server-wide.
    pub async fn fetch_sockets(&self) -> Vec<RemoteSocket> {
        let infos = self.ns.adapter.fetch_sockets(&self.opts).await;
        infos
            .into_iter()
            .map(|info| RemoteSocket {
                info,
                ns: self.ns.clone(),
            })
            .collect()
    }

    /// Makes the sockets reached join `rooms`, server-wide.
    pub async fn join(&self, rooms: impl IntoRooms) {
        self.ns
            .adapter
            .add_sockets(&self.opts, rooms.into_rooms())
            .await;
    }

    /// Makes the sockets reached leave `rooms`, server-wide.
    pub async fn leave(&self, rooms: impl IntoRooms) {
        self.ns
            .adapter
            .del_sockets(&self.opts, rooms.into_rooms())
            .await;
    }

    /// Disconnects the sockets reached, server-wide (`close` closes their
    /// clients' sessions too).
    pub async fn disconnect(&self, close: bool) {
        self.ns.adapter.disconnect_sockets(&self.opts, close).await;
    }

    /// The rooms that have sockets in them (their own rooms excepted),
    /// server-wide.
    pub async fn rooms(&self) -> Vec<Room> {
        self.ns.adapter.rooms().await
    }

    /// Sends `event` to the other nodes' servers (never to sockets); on a
    /// single node nothing is sent. With a timeout set, waits for their
    /// answers.
    ///
    /// # Errors
    ///
    /// As [`BroadcastOperator::emit_with_ack`].
    pub async fn server_side_emit<A: Serialize + ?Sized, T: DeserializeOwned>(
        &self,
        event: &str,
        args: &A,
    ) -> Result<Vec<T>, BroadcastAckError<T>> {
        let packet =
            event_packet(self.ns.name.clone(), event, args, None).map_err(EmitError::Encode)?;
        let replies = self.ns.adapter.server_side_emit(packet, self.timeout).await;
        let mut out = Vec::with_capacity(replies.replies.len());
        for (_, packet) in replies.replies {
            out.push(packet.ack_args::<T>().map_err(BroadcastAckError::Decode)?);
        }
        Ok(out)
    }
}

/// A socket a server-wide query found, on this node or (with a cluster
/// adapter) another: its id and rooms, and what can be done to it from
/// here.
#[derive(Clone)]
pub struct RemoteSocket {
    info: SocketInfo,
    ns: Arc<NsInner>,
}

impl fmt::Debug for RemoteSocket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RemoteSocket")
            .field("id", &self.info.id)
            .field("rooms", &self.info.rooms)
            .finish()
    }
}

impl RemoteSocket {
    fn only(&self) -> BroadcastOperator {
        BroadcastOperator::new(self.ns.clone()).to(self.info.id)
    }

    /// Its id.
    pub fn id(&self) -> Sid {
        self.info.id
    }

    /// Its rooms when it was found, its own id first.
    pub fn rooms(&self) -> &[Room] {
        &self.info.rooms
    }

    /// The socket itself, if it is on this node.
    pub fn local(&self) -> Option<Socket> {
        self.ns.socket(self.info.id)
    }

    /// Emits to it.
    ///
    /// # Errors
    ///
    /// [`EmitError::Encode`].
    pub fn emit<A: Serialize + ?Sized>(&self, event: &str, args: &A) -> Result<(), EmitError> {
        self.only().emit(event, args)
    }

    /// Makes it join `rooms`.
    pub async fn join(&self, rooms: impl IntoRooms) {
        self.only().join(rooms).await;
    }

    /// Makes it leave `rooms`.
    pub async fn leave(&self, rooms: impl IntoRooms) {
        self.only().leave(rooms).await;
    }

    /// Disconnects it (`close` closes its client's session too).
    pub async fn disconnect(&self, close: bool) {
        self.only().disconnect(close).await;
    }
}
