//! [`Connection`]: the WebSocket connection as a sans-IO state machine.

use std::collections::VecDeque;
use std::io::IoSlice;
use std::time::{Duration, Instant};

use bytes::{Buf, Bytes, BytesMut};
use tether_frame::{CloseCode, CloseFrame, Role};
use tether_message::{DataKind, Fragment, Message, MessageChunk, MessageCodec, MessageConfig};
use tokio_util::codec::Decoder;

use crate::{Error, WebSocketConfig};

/// Payloads up to this size are copied next to their header, so that small
/// frames go out as one contiguous write; larger ones are written from the
/// caller's buffer (a vectored write), not copied.
pub(crate) const COPY_MAX: usize = 2048;

/// Write buffers with more capacity than this are dropped once empty,
/// rather than kept for the next frames.
const KEEP_CAPACITY: usize = 64 << 10;

/// Control-frame buffers up to this capacity are kept by an idle
/// connection.
const IDLE_KEEP: usize = 256;

/// The buffer small frames are copied into is kept by an idle connection up
/// to this capacity (a 2 KiB message, the largest that is copied, fits).
const STAGING_KEEP: usize = 4096;

/// A read buffer up to this capacity is kept by an idle connection that
/// has received data, so that small messages do not allocate one each
/// (the messages handed out share it; once they are dropped it is reused).
const READ_KEEP: usize = 4096;

/// The WebSocket connection after the opening handshake, as a deterministic
/// state machine with no I/O and no clock of its own, in the manner of
/// quinn-proto: received bytes and the current time go in; messages, bytes
/// to write and the next deadline come out.
///
/// It does everything RFC 6455 asks of an endpoint once the connection is
/// open: automatic pongs (the latest ping wins if several wait), the close
/// handshake with its timeout, keepalive pings and the idle timeout, a
/// write queue where control frames go ahead of data frames that have not
/// started, and failing the connection with the mapped Close code (1002,
/// 1007, 1009; 1001 on an idle timeout). [`WebSocketStream`] is a thin
/// tokio adapter over it; any other runtime, or a test, can drive it
/// directly:
///
/// ```
/// use std::time::Instant;
/// use bytes::BytesMut;
/// use tether_ws::{Connection, Message, Role, WebSocketConfig};
///
/// let now = Instant::now();
/// let mut server = Connection::new(Role::Server, &WebSocketConfig::default(), BytesMut::new());
/// // A masked "hi" from a client, then a masked ping.
/// server.receive(&[0x81, 0x82, 1, 2, 3, 4, b'h' ^ 1, b'i' ^ 2]);
/// server.receive(&[0x89, 0x80, 9, 9, 9, 9]);
/// assert_eq!(server.poll_message().unwrap(), Some(Message::text("hi")));
/// assert_eq!(server.poll_message().unwrap(), Some(Message::Ping(Default::default())));
/// assert_eq!(server.poll_message().unwrap(), None); // needs more bytes
/// // The pong is waiting to be written.
/// server.send(Message::text("hello")).unwrap();
/// let mut wire = Vec::new();
/// server.transmit_to(&mut wire);
/// assert_eq!(wire, [&[0x8A, 0x00][..], &[0x81, 5], b"hello"].concat());
/// assert_eq!(server.poll_timeout(now), None); // no timers configured
/// ```
///
/// # Driving it
///
/// * Input: append received bytes with [`receive`](Connection::receive)
///   (or read into [`read_buffer`](Connection::read_buffer) and call
///   [`handle_read`](Connection::handle_read)); report the end of the
///   transport's read side with [`handle_eof`](Connection::handle_eof).
/// * Messages: call [`poll_message`](Connection::poll_message) (or
///   [`poll_chunk`](Connection::poll_chunk)) until it returns `Ok(None)`;
///   call [`before_wait`](Connection::before_wait) before waiting for more
///   bytes (it finishes validating text that arrived, to fail fast).
/// * Output: while [`wants_write`](Connection::wants_write), write
///   [`transmit`](Connection::transmit)'s slices and report with
///   [`advance_transmit`](Connection::advance_transmit) how much the
///   transport took. Once everything is written, do what
///   [`after_flush`](Connection::after_flush) says.
/// * Time: after a call that may have started a timer
///   ([`timers_changed`](Connection::timers_changed)), ask
///   [`poll_timeout`](Connection::poll_timeout) for the next deadline, and
///   call [`handle_timeout`](Connection::handle_timeout) once it has passed.
///   Reading and writing need no clock: a timer that expires looks back at
///   whether anything was read in the period that just ended.
///
/// # States
///
/// | state | messages | sending | once everything is written |
/// |---|---|---|---|
/// | open | delivered | queued | keep going |
/// | Close sent | delivered until the peer's Close | [`Error::ConnectionClosed`] | keep going |
/// | Close received (reply queued) | none | `ConnectionClosed` | server: close the transport; client: read to its end (the server closes first), then close |
/// | failed (protocol error, idle timeout) | none; the error once | `ConnectionClosed` | close the transport |
/// | ended without a Close | none; [`Error::ResetWithoutClose`] once | `ConnectionClosed` | close the transport |
/// | closed | none | `ConnectionClosed` | nothing: drop the transport |
///
/// The close deadline ([`WebSocketConfig::close_timeout`]) starts when a
/// Close is sent or received or the connection fails; when it passes, the
/// connection is closed whatever is still unwritten or unread.
///
/// # Memory
///
/// Once [`release_buffers`](Connection::release_buffers) is called, an idle
/// connection holds no buffer but a read buffer of at most 4 KiB (only once
/// data has arrived) and a write buffer of at most 4 KiB (only once data
/// was sent): small
/// messages then cost no allocation, large ones no lasting memory. With
/// permessage-deflate and context takeover, the zlib state (about 428 KB
/// at 15-bit windows) is freed once the connection has been idle for
/// [`DeflateConfig::release_after`](crate::DeflateConfig::release_after)
/// (1 s by default), keeping at most 32 KiB of window per direction.
///
/// [`WebSocketStream`]: crate::WebSocketStream
#[derive(Debug)]
pub struct Connection {
    codec: MessageCodec,
    read_buf: BytesMut,
    queue: WriteQueue,
    /// The payload of the latest ping not yet answered.
    pong: Option<Bytes>,
    close_sent: bool,
    close_received: bool,
    /// Failed (protocol error, idle timeout, transport ended without a
    /// Close): close the transport without waiting for the peer.
    failed: bool,
    /// The transport's read side ended.
    eof: bool,
    /// Nothing more happens: the transport is closed or given up on.
    closed: bool,
    /// An error for the next `poll_message` (the idle timeout).
    pending_error: Option<Error>,
    /// Control messages handled while the application was only sending
    /// (`handle_control_frames`), to be handed out next.
    held: VecDeque<Message>,
    write_buffer_size: usize,
    timers: Timers,
}

/// What to do with the transport once everything queued is written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum AfterFlush {
    /// The connection goes on.
    Continue,
    /// Client after the close handshake: read (and discard) until the
    /// server closes the transport, then close it
    /// ([`handle_eof`](Connection::handle_eof), then
    /// [`handle_shutdown`](Connection::handle_shutdown)).
    ReadToEnd,
    /// Close the transport (shut down its write side), then call
    /// [`handle_shutdown`](Connection::handle_shutdown).
    Shutdown,
    /// The connection is closed: drop the transport.
    Closed,
}

#[derive(Debug)]
struct Timers {
    ping_interval: Option<Duration>,
    idle_timeout: Option<Duration>,
    close_timeout: Duration,
    keepalive: Option<Instant>,
    idle: Option<Instant>,
    close: Option<Instant>,
    /// Timers requested and not yet armed (they are armed from the `now`
    /// of the next `poll_timeout` or `handle_timeout`).
    arm_keepalive: bool,
    arm_idle: bool,
    arm_close: bool,
    /// Bytes were read since the keepalive timer was last armed.
    keepalive_active: bool,
    /// Bytes were read since the idle timer was last armed.
    idle_active: bool,
    /// permessage-deflate with context takeover: the zlib state is
    /// released after this long without traffic
    /// ([`DeflateConfig::release_after`](crate::DeflateConfig::release_after)).
    release_after: Option<Duration>,
    release: Option<Instant>,
    arm_release: bool,
    /// Bytes were read or a message sent since the release timer was armed.
    release_active: bool,
}

impl Timers {
    fn changed(&self) -> bool {
        self.arm_keepalive | self.arm_idle | self.arm_close | self.arm_release
    }

    /// Traffic: the release timer starts, or is pushed back when it fires.
    #[inline]
    fn touch_release(&mut self) {
        if self.release_after.is_some() {
            self.arm_release |= self.release.is_none();
            self.release_active = true;
        }
    }

    fn arm(&mut self, now: Instant) {
        if std::mem::take(&mut self.arm_keepalive) {
            self.keepalive = self.ping_interval.map(|d| now + d);
            self.keepalive_active = false;
        }
        if std::mem::take(&mut self.arm_idle) {
            self.idle = self.idle_timeout.map(|d| now + d);
            self.idle_active = false;
        }
        if std::mem::take(&mut self.arm_release) && self.release.is_none() {
            self.release = self.release_after.map(|d| now + d);
            self.release_active = false;
        }
        if std::mem::take(&mut self.arm_close) && self.close.is_none() {
            self.close = Some(now + self.close_timeout);
        }
    }

    fn next(&self) -> Option<Instant> {
        [self.keepalive, self.idle, self.close, self.release]
            .into_iter()
            .flatten()
            .min()
    }

    /// Stops the keepalive and idle timers (the connection is closing).
    fn stop_activity_timers(&mut self) {
        self.keepalive = None;
        self.idle = None;
        self.release = None;
        self.arm_keepalive = false;
        self.arm_idle = false;
        self.arm_release = false;
    }
}

/// When the zlib state of an idle connection is released: with
/// permessage-deflate in force and context takeover in some direction.
fn release_after(config: &WebSocketConfig) -> Option<Duration> {
    #[cfg(feature = "deflate")]
    if let Some(params) = &config.message.deflate {
        if !(params.server_no_context_takeover && params.client_no_context_takeover) {
            return config.handshake.deflate.release_after;
        }
    }
    let _ = config;
    None
}

fn is_caller_error(e: &tether_message::Error) -> bool {
    e.kind() == tether_message::ErrorKind::Caller
}

impl Connection {
    /// A connection for `role` with `config`, whose opening handshake is
    /// done. `read_ahead` is what was read past the end of the handshake:
    /// the start of the first frames.
    pub fn new(role: Role, config: &WebSocketConfig, read_ahead: BytesMut) -> Connection {
        let mut codec = MessageCodec::with_config(role, config.message.clone());
        // Text still arriving is validated in batches, and always before
        // the driver waits (`before_wait`).
        codec.set_deferred_validation(true);
        Connection {
            codec,
            read_buf: read_ahead,
            queue: WriteQueue::default(),
            pong: None,
            close_sent: false,
            close_received: false,
            failed: false,
            eof: false,
            closed: false,
            pending_error: None,
            held: VecDeque::new(),
            write_buffer_size: config.write_buffer_size,
            timers: Timers {
                ping_interval: config.ping_interval,
                idle_timeout: config.idle_timeout,
                close_timeout: config.close_timeout,
                keepalive: None,
                idle: None,
                close: None,
                arm_keepalive: config.ping_interval.is_some(),
                arm_idle: config.idle_timeout.is_some(),
                arm_close: false,
                keepalive_active: false,
                idle_active: false,
                release_after: release_after(config),
                release: None,
                arm_release: false,
                release_active: false,
            },
        }
    }

    /// The role of this end.
    pub fn role(&self) -> Role {
        self.codec.frame_codec().role()
    }

    /// The message limits in force.
    pub fn message_config(&self) -> &MessageConfig {
        self.codec.config()
    }

    /// The permessage-deflate parameters in force, if negotiated (they come
    /// from [`MessageConfig::deflate`](tether_message::MessageConfig), which
    /// the handshakes set).
    #[cfg(feature = "deflate")]
    pub fn deflate(&self) -> Option<&tether_message::DeflateParams> {
        self.codec.deflate()
    }

    /// Whether zlib state is held that the compression release timer
    /// ([`DeflateConfig::release_after`](crate::DeflateConfig::release_after))
    /// would free: `false` without compression, without context takeover,
    /// and once released.
    #[cfg(feature = "deflate")]
    pub fn holds_compression_state(&self) -> bool {
        self.codec.holds_compression_state()
    }

    /// Sends the next text or binary message (or the next streamed one)
    /// uncompressed, whatever permessage-deflate says: for a secret that
    /// must not share a compression context with data an attacker chooses.
    /// Control messages do not use it up; without compression in force it
    /// changes nothing.
    pub fn next_uncompressed(&mut self) {
        self.codec.next_uncompressed();
    }

    /// Queues `message` as [`send`](Connection::send) does, a text or
    /// binary one uncompressed (see
    /// [`next_uncompressed`](Connection::next_uncompressed)). The opt-out
    /// is this message's only: it never passes to the next one, even when
    /// this one fails.
    ///
    /// # Errors
    ///
    /// As [`send`](Connection::send).
    pub fn send_uncompressed(&mut self, message: Message) -> Result<(), Error> {
        // Only a message that will be encoded may take the opt-out: the
        // errors that come before the encoder would leave it set.
        if !message.is_control()
            && !self.close_sent
            && !self.closed
            && !self.codec.is_sending_fragments()
        {
            self.codec.next_uncompressed();
        }
        self.send(message)
    }

    // ----- input -----

    /// The buffer received bytes are appended to, for a transport that
    /// reads into it directly; call [`handle_read`](Connection::handle_read)
    /// after appending.
    #[inline]
    pub fn read_buffer(&mut self) -> &mut BytesMut {
        &mut self.read_buf
    }

    /// Records that `n` bytes were appended to
    /// [`read_buffer`](Connection::read_buffer).
    #[inline]
    pub fn handle_read(&mut self, n: usize) {
        if n > 0 {
            self.timers.keepalive_active = true;
            self.timers.idle_active = true;
            self.timers.touch_release();
        }
    }

    /// Appends received bytes (a copy; see
    /// [`read_buffer`](Connection::read_buffer) to read in place).
    pub fn receive(&mut self, data: &[u8]) {
        if self.read_buf.capacity() == 0 {
            // Room for the next reads too: the buffer is kept while it is
            // small (see `release_buffers`).
            self.read_buf = BytesMut::with_capacity(data.len().max(READ_KEEP / 2));
        }
        self.read_buf.extend_from_slice(data);
        self.handle_read(data.len());
    }

    /// The transport's read side ended (a read returned 0 bytes).
    pub fn handle_eof(&mut self) {
        self.eof = true;
    }

    /// The transport failed (a read or write error): nothing more can be
    /// sent or received.
    pub fn handle_transport_error(&mut self) {
        self.eof = true;
        self.set_closed();
    }

    /// The transport was closed (after [`AfterFlush::Shutdown`]).
    pub fn handle_shutdown(&mut self) {
        self.set_closed();
    }

    fn set_closed(&mut self) {
        self.closed = true;
        self.queue.clear();
        self.pong = None;
        self.read_buf = BytesMut::new();
        self.timers = Timers {
            keepalive: None,
            idle: None,
            close: None,
            arm_keepalive: false,
            arm_idle: false,
            arm_close: false,
            ..self.timers
        };
    }

    // ----- messages -----

    /// Whether messages may still arrive: the connection is neither closed
    /// nor failed, and the peer's Close has not arrived. (The end of the
    /// transport, [`handle_eof`](Connection::handle_eof), is acted on by the
    /// next poll, once the bytes before it are decoded.)
    #[inline]
    pub fn is_receiving(&self) -> bool {
        !(self.closed || self.failed || self.close_received)
    }

    /// The next message from the bytes received, `Ok(None)` if more bytes
    /// are needed (or none will come: see
    /// [`is_receiving`](Connection::is_receiving)).
    ///
    /// Pings are answered (the pong is queued) and handed out; the peer's
    /// Close is answered and handed out, and no message follows it.
    ///
    /// # Errors
    ///
    /// A peer's protocol error ([`Error::Protocol`], with its
    /// [`close_code`](Error::close_code)): the connection is failed, the
    /// Close with that code is queued (ahead of data not yet started), and
    /// no message follows. [`Error::IdleTimeout`] after the idle timeout,
    /// likewise with Close 1001. [`Error::ResetWithoutClose`] when the
    /// transport ended without a close handshake. Each is returned once.
    /// A caller error (asking for a whole message while one is delivered in
    /// chunks) fails nothing.
    #[inline]
    pub fn poll_message(&mut self) -> Result<Option<Message>, Error> {
        if let Some(held) = self.held.pop_front() {
            return Ok(Some(held));
        }
        if let Some(e) = self.pending_error.take() {
            return Err(e);
        }
        if !self.is_receiving() {
            return Ok(None);
        }
        match self.codec.decode(&mut self.read_buf) {
            Ok(Some(message)) => {
                if message.is_control() {
                    self.on_control(&message);
                }
                Ok(Some(message))
            }
            Ok(None) if self.eof => self.at_eof().map(|()| None),
            Ok(None) => Ok(None),
            Err(e) => Err(self.on_decode_error(e)),
        }
    }

    /// As [`poll_message`](Connection::poll_message), handing the data of
    /// messages out in chunks as they arrive (text on code point
    /// boundaries), so a message of any size within the limits passes
    /// through without being held; control messages come whole, between
    /// chunks. Whole and chunked delivery may be mixed message by message;
    /// once a message has started in chunks, finish it in chunks.
    ///
    /// # Errors
    ///
    /// As [`poll_message`](Connection::poll_message).
    pub fn poll_chunk(&mut self) -> Result<Option<MessageChunk>, Error> {
        if let Some(held) = self.held.pop_front() {
            return Ok(Some(MessageChunk::Control(held)));
        }
        if let Some(e) = self.pending_error.take() {
            return Err(e);
        }
        if !self.is_receiving() {
            return Ok(None);
        }
        match self.codec.decode_chunk(&mut self.read_buf) {
            Ok(Some(chunk)) => {
                if let MessageChunk::Control(message) = &chunk {
                    self.on_control(message);
                }
                Ok(Some(chunk))
            }
            Ok(None) if self.eof => self.at_eof().map(|()| None),
            Ok(None) => Ok(None),
            Err(e) => Err(self.on_decode_error(e)),
        }
    }

    /// Call when the transport has nothing more to read for now (a read
    /// would block), before waiting: the text of a frame still arriving,
    /// which is validated in 64 KiB batches while bytes keep coming, is
    /// validated now, so invalid text fails the connection at once rather
    /// than when more bytes come. Returns `true` if that failed the
    /// connection: the next [`poll_message`](Connection::poll_message)
    /// returns the error, and the Close is queued.
    pub fn before_wait(&mut self) -> bool {
        if !self.is_receiving() || self.pending_error.is_some() {
            return false;
        }
        match self.codec.validate_buffered(&mut self.read_buf) {
            Ok(()) => false,
            Err(e) => {
                let e = self.on_decode_error(e);
                self.pending_error = Some(e);
                true
            }
        }
    }

    /// For a driver whose application is sending without reading (a long
    /// streamed message): handles the control frames at the front of the
    /// bytes received, so that a ping is answered (the pong goes out
    /// between the frames being sent) and a Close is answered, and keeps
    /// them (at most 32) for [`poll_message`](Connection::poll_message) or
    /// [`poll_chunk`](Connection::poll_chunk) to hand out in order. Stops
    /// at the first data frame, which waits for the application.
    pub fn handle_control_frames(&mut self) {
        const MAX_HELD: usize = 32;
        while self.is_receiving() && self.pending_error.is_none() && self.held.len() < MAX_HELD {
            match self.codec.decode_control(&mut self.read_buf) {
                Ok(Some(message)) => {
                    self.on_control(&message);
                    self.held.push_back(message);
                }
                Ok(None) => break,
                Err(e) => {
                    let e = self.on_decode_error(e);
                    self.pending_error = Some(e);
                }
            }
        }
    }

    /// Whether [`handle_control_frames`](Connection::handle_control_frames)
    /// could use more bytes: the connection is receiving, and the bytes
    /// received do not start with a data frame or hold much already.
    pub fn wants_control_bytes(&self) -> bool {
        self.is_receiving() && self.held.len() < 32 && self.read_buf.len() < (64 << 10)
    }

    fn on_decode_error(&mut self, e: tether_message::Error) -> Error {
        if !is_caller_error(&e) {
            self.fail(e.close_code());
        }
        Error::Protocol(e)
    }

    /// The transport ended and no message is complete.
    fn at_eof(&mut self) -> Result<(), Error> {
        self.failed = true;
        self.timers.stop_activity_timers();
        // Writing what is still queued is bounded too.
        self.timers.arm_close = true;
        if self.close_sent {
            // We closed and the peer went away without answering: the end
            // RFC 6455 allows, not an error.
            return Ok(());
        }
        self.close_sent = true;
        Err(Error::ResetWithoutClose)
    }

    fn on_control(&mut self, message: &Message) {
        match message {
            Message::Ping(payload) if !self.close_sent => {
                // The latest ping wins: a pong not yet started is replaced.
                self.pong = Some(payload.clone());
                self.queue.drop_unstarted_pong();
            }
            Message::Close(close) => {
                self.close_received = true;
                if !self.close_sent {
                    // Echo the status code (RFC 6455 section 5.5.1).
                    let echo = close.as_ref().map(|c| CloseFrame::new(c.code, ""));
                    let _ = self.queue_close(echo);
                }
                self.timers.arm_close = true;
            }
            _ => {}
        }
    }

    /// Fails the connection: queues a Close with `code` (unless one was
    /// sent) ahead of data not yet started, and closes without waiting.
    fn fail(&mut self, code: Option<CloseCode>) {
        if !self.close_sent {
            self.queue.drop_unstarted_data();
            let _ = self.queue_close(code.map(|c| CloseFrame::new(c, "")));
        }
        self.failed = true;
        self.pong = None;
        self.queue.drop_unstarted_pong();
        self.timers.arm_close = true;
        self.timers.stop_activity_timers();
    }

    // ----- sending -----

    /// Whether nothing more may be sent: a Close has been sent (queued), or
    /// the transport ended without a close handshake.
    pub fn is_close_sent(&self) -> bool {
        self.close_sent
    }

    /// Whether the peer's Close has arrived.
    pub fn is_close_received(&self) -> bool {
        self.close_received
    }

    /// Queues `message`: a data message fragmented per
    /// [`MessageConfig::fragment_size`], a ping or pong ahead of data frames
    /// not yet started, or a Close behind everything queued (it starts the
    /// close handshake: nothing may be sent after it, and the close timer
    /// starts).
    ///
    /// Frames of at most 2 KiB are copied (and masked, for a client) into
    /// one write buffer, so many small messages go out in one write;
    /// larger payloads are queued by reference (masked in place for a
    /// client if the `Bytes` is its buffer's only handle).
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionClosed`] after a Close; a caller error
    /// ([`Error::Protocol`] of [`ErrorKind::Caller`](crate::ErrorKind)) for a
    /// control payload over 125 bytes, an invalid close code, or a data
    /// message while a streamed one is open. Nothing is queued on error.
    #[inline(always)]
    pub fn send(&mut self, message: Message) -> Result<(), Error> {
        if self.close_sent || self.closed {
            return Err(Error::ConnectionClosed);
        }
        match message {
            Message::Close(close) => self.queue_close(close),
            control @ (Message::Ping(_) | Message::Pong(_)) => {
                self.codec
                    .encode_into(control, &mut self.queue.control, 0, |_, _| {})?;
                Ok(())
            }
            data => {
                self.timers.touch_release();
                let queue = &mut self.queue;
                let staging = &mut queue.staging;
                let segs = &mut queue.segs;
                self.codec
                    .encode_into(data, staging, COPY_MAX, |staging, large| {
                        segs.frame_done(staging, large)
                    })?;
                Ok(())
            }
        }
    }

    /// Queues a binary message copied from `data`: no `Bytes` to build or
    /// reference-count, the fastest way to send small messages from a
    /// buffer the caller reuses (above 2 KiB the copy costs more than a
    /// shared `Bytes` given to [`send`](Connection::send)).
    ///
    /// # Errors
    ///
    /// As [`send`](Connection::send).
    #[inline]
    pub fn send_binary(&mut self, data: &[u8]) -> Result<(), Error> {
        self.send_slice(DataKind::Binary, data)
    }

    /// Queues a text message copied from `text`; see
    /// [`send_binary`](Connection::send_binary).
    ///
    /// # Errors
    ///
    /// As [`send`](Connection::send).
    #[inline]
    pub fn send_text(&mut self, text: &str) -> Result<(), Error> {
        self.send_slice(DataKind::Text, text.as_bytes())
    }

    #[inline]
    fn send_slice(&mut self, kind: DataKind, data: &[u8]) -> Result<(), Error> {
        if self.close_sent || self.closed {
            return Err(Error::ConnectionClosed);
        }
        self.timers.touch_release();
        let queue = &mut self.queue;
        let staging = &mut queue.staging;
        let segs = &mut queue.segs;
        self.codec
            .encode_slice_into(kind, data, staging, COPY_MAX, |staging, large| {
                segs.frame_done(staging, large)
            })?;
        Ok(())
    }

    /// Queues one piece of a message sent in several frames (the frame goes
    /// on the wire when written; control frames may go between pieces).
    ///
    /// # Errors
    ///
    /// As [`send`](Connection::send), and the order and UTF-8 errors of
    /// streamed sending (a `Start` while a message is open, text that is
    /// not UTF-8).
    pub fn send_fragment(&mut self, fragment: Fragment) -> Result<(), Error> {
        if self.close_sent || self.closed {
            return Err(Error::ConnectionClosed);
        }
        self.timers.touch_release();
        let queue = &mut self.queue;
        let staging = &mut queue.staging;
        let segs = &mut queue.segs;
        self.codec
            .encode_fragment_into(fragment, staging, COPY_MAX, |staging, large| {
                segs.frame_done(staging, large)
            })?;
        Ok(())
    }

    /// Queues a Close behind every queued data frame (nothing may follow
    /// it), stops answering pings, and starts the close timer.
    fn queue_close(&mut self, close: Option<CloseFrame>) -> Result<(), Error> {
        let queue = &mut self.queue;
        let staging = &mut queue.staging;
        let segs = &mut queue.segs;
        self.codec.encode_into(
            Message::Close(close),
            staging,
            COPY_MAX,
            |staging, large| segs.frame_done(staging, large),
        )?;
        self.close_sent = true;
        self.pong = None;
        self.queue.drop_unstarted_pong();
        self.timers.arm_close = true;
        self.timers.stop_activity_timers();
        Ok(())
    }

    /// Bytes of frames queued and not yet written.
    #[inline]
    pub fn queued_bytes(&self) -> usize {
        self.queue.len()
    }

    /// Whether the queue holds at least
    /// [`WebSocketConfig::write_buffer_size`] bytes: a sender should wait
    /// for writes before queuing more.
    #[inline]
    pub fn is_write_buffer_full(&self) -> bool {
        self.queue.len() >= self.write_buffer_size
    }

    // ----- output -----

    /// Whether there are bytes to write (a pending pong is encoded now).
    #[inline]
    pub fn wants_write(&mut self) -> bool {
        if self.pong.is_some() && self.queue.pong.is_empty() {
            if let Some(payload) = self.pong.take() {
                let _ = self.codec.encode_into(
                    Message::Pong(payload),
                    &mut self.queue.pong,
                    0,
                    |_, _| {},
                );
            }
        }
        !self.queue.is_empty()
    }

    /// The bytes to write next, in order, as slices for a vectored write
    /// (as many as fit in `dst`); returns how many slices were filled.
    /// Small frames queued one after the other come as one slice.
    #[inline]
    pub fn transmit<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        self.queue.slices(dst)
    }

    /// The next contiguous bytes to write (the first slice of
    /// [`transmit`](Connection::transmit)), and whether they are all there
    /// is to write.
    #[inline]
    pub fn transmit_chunk(&self) -> (&[u8], bool) {
        self.queue.first_chunk()
    }

    /// Records that the transport took the first `n` bytes of
    /// [`transmit`](Connection::transmit).
    #[inline]
    pub fn advance_transmit(&mut self, n: usize) {
        self.queue.advance(n);
        if self.queue.is_empty() {
            self.queue.shrink();
        }
    }

    /// Writes everything queued into `out` (for transports that take a
    /// buffer; the queue is then empty).
    pub fn transmit_to(&mut self, out: &mut Vec<u8>) {
        while self.wants_write() {
            let mut slices = [IoSlice::new(&[]); 16];
            let n = self.transmit(&mut slices);
            let mut total = 0;
            for slice in slices.iter().take(n) {
                out.extend_from_slice(slice);
                total += slice.len();
            }
            self.advance_transmit(total);
        }
    }

    /// What to do with the transport once everything queued is written.
    pub fn after_flush(&self) -> AfterFlush {
        if self.closed {
            AfterFlush::Closed
        } else if self.failed {
            AfterFlush::Shutdown
        } else if self.close_received && self.close_sent {
            match self.role() {
                // RFC 6455 section 7.1.1: the server closes TCP first.
                Role::Client if !self.eof => AfterFlush::ReadToEnd,
                _ => AfterFlush::Shutdown,
            }
        } else {
            AfterFlush::Continue
        }
    }

    /// Whether the connection is closed: nothing more to read, write or
    /// wait for.
    #[inline]
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    // ----- time -----

    /// Whether a timer was started (or restarted) since the last
    /// [`poll_timeout`](Connection::poll_timeout): the next deadline may
    /// have changed.
    #[inline]
    pub fn timers_changed(&self) -> bool {
        self.timers.changed()
    }

    /// Starts the timers requested since the last call, counting from
    /// `now`, and returns the next deadline, if any: call
    /// [`handle_timeout`](Connection::handle_timeout) once it has passed.
    pub fn poll_timeout(&mut self, now: Instant) -> Option<Instant> {
        self.timers.arm(now);
        self.timers.next()
    }

    /// Acts on the deadlines that have passed at `now`.
    ///
    /// * Close timer: the peer did not answer the Close, or did not close
    ///   the transport, or did not take the bytes of our Close: the
    ///   connection is closed.
    /// * Idle timer: if nothing was read in the period that ended, the
    ///   connection fails with Close 1001 and [`Error::IdleTimeout`];
    ///   else the timer restarts.
    /// * Keepalive timer: if nothing was read in the period that ended, a
    ///   ping is queued; the timer restarts.
    /// * Compression release timer (permessage-deflate with context
    ///   takeover, [`DeflateConfig::release_after`](crate::DeflateConfig::release_after)):
    ///   if nothing was read or sent in the period that ended, the zlib
    ///   state is freed (the windows are kept, the context goes on) and the
    ///   timer stops until the next traffic; else it restarts.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.timers.arm(now);
        if self.timers.close.is_some_and(|t| now >= t) {
            self.set_closed();
            return;
        }
        if self.timers.idle.is_some_and(|t| now >= t) {
            if std::mem::take(&mut self.timers.idle_active) {
                self.timers.idle = self.timers.idle_timeout.map(|d| now + d);
            } else {
                self.fail(Some(CloseCode::GoingAway));
                self.pending_error = Some(Error::IdleTimeout);
                return;
            }
        }
        if self.timers.release.is_some_and(|t| now >= t) {
            if std::mem::take(&mut self.timers.release_active) {
                self.timers.release = self.timers.release_after.map(|d| now + d);
            } else {
                self.timers.release = None;
                #[cfg(feature = "deflate")]
                self.codec.release_compression_state();
            }
        }
        if self.timers.keepalive.is_some_and(|t| now >= t) {
            if !std::mem::take(&mut self.timers.keepalive_active) && !self.close_sent {
                let _ = self.codec.encode_into(
                    Message::Ping(Bytes::new()),
                    &mut self.queue.control,
                    0,
                    |_, _| {},
                );
            }
            self.timers.keepalive = self.timers.ping_interval.map(|d| now + d);
        }
    }

    /// Drops the memory kept for later messages, for a connection going
    /// idle: the read buffer if empty (one of at most 4 KiB is kept, for the
    /// next small messages), write buffers if nothing is queued (the one
    /// small frames are copied into is kept up to 4 KiB, control-frame
    /// buffers up to 256 bytes), the assembly buffer of the last fragmented
    /// message.
    pub fn release_buffers(&mut self) {
        if self.read_buf.is_empty() {
            if self.read_buf.capacity() > READ_KEEP {
                self.read_buf = BytesMut::new();
            }
            self.codec.release_buffers();
        }
        if self.queue.is_empty() {
            self.queue.release();
        }
    }
}

/// Frames waiting to be written: control frames (pongs, pings), then data
/// frames and the Close in order.
///
/// Data is kept in units: a run of whole small frames copied one after the
/// other into `staging` (at most [`RUN_MAX`] bytes, so a control frame never
/// waits behind more than that), or one large frame whose header is in
/// `staging` and whose payload is written from its own buffer. A control
/// frame goes out at the next unit boundary: at once if no unit has started
/// to be written. Bookkeeping is per unit, not per frame.
#[derive(Debug, Default)]
struct WriteQueue {
    /// Whole control frames (pings, the application's pongs), written ahead
    /// of data at a unit boundary.
    control: BytesMut,
    /// The automatic pong, written with the control frames. Until its
    /// first byte is written, a newer ping replaces it.
    pong: BytesMut,
    /// Part of `pong` has been written: it goes first.
    pong_started: bool,
    /// Copied bytes of data frames, in write order (written from the front).
    staging: BytesMut,
    segs: Units,
}

/// The most bytes of small frames in one unit.
const RUN_MAX: usize = 16 << 10;

/// The data units in order.
#[derive(Debug, Default)]
struct Units {
    list: VecDeque<Unit>,
    /// Bytes of `staging` accounted in `list`.
    staged: usize,
    /// Total data bytes queued (shared payloads included).
    len: usize,
    /// Bytes of the front unit already written.
    front_written: usize,
}

#[derive(Debug)]
enum Unit {
    /// The next `len` bytes of `staging`: whole frames.
    Run(usize),
    /// One frame: `header` bytes of `staging`, then `payload`.
    Large { header: usize, payload: Bytes },
}

impl Unit {
    #[inline]
    fn len(&self) -> usize {
        match self {
            Unit::Run(len) => *len,
            Unit::Large { header, payload } => header + payload.len(),
        }
    }
}

impl Units {
    /// A frame was appended: its copied bytes are the end of `staging`
    /// beyond what is accounted, then `large` if its payload was not copied.
    #[inline]
    fn frame_done(&mut self, staging: &mut BytesMut, large: Option<Bytes>) {
        let added = staging.len() - self.staged;
        self.staged = staging.len();
        match large {
            None => {
                self.len += added;
                // Extend the last run unless it has started to be written
                // (its length is then fixed) or is full.
                let single = self.list.len() == 1 && self.front_written > 0;
                if let (Some(Unit::Run(n)), false) = (self.list.back_mut(), single) {
                    if *n < RUN_MAX {
                        *n += added;
                        return;
                    }
                }
                self.list.push_back(Unit::Run(added));
            }
            Some(payload) => {
                self.len += added + payload.len();
                self.list.push_back(Unit::Large {
                    header: added,
                    payload,
                });
            }
        }
    }

    /// Bytes left of the front unit if it has started to be written, else 0.
    #[inline]
    fn started_rest(&self) -> usize {
        if self.front_written == 0 {
            return 0;
        }
        self.list
            .front()
            .map_or(0, |u| u.len() - self.front_written)
    }
}

impl WriteQueue {
    #[inline]
    fn len(&self) -> usize {
        self.control.len() + self.pong.len() + self.segs.len
    }

    #[inline]
    fn is_empty(&self) -> bool {
        self.control.is_empty() && self.pong.is_empty() && self.segs.len == 0
    }

    fn drop_unstarted_pong(&mut self) {
        if !self.pong_started {
            self.pong.clear();
        }
    }

    /// The control bytes in write order: a started pong goes first.
    fn control_parts(&self) -> [&BytesMut; 2] {
        if self.pong_started {
            [&self.pong, &self.control]
        } else {
            [&self.control, &self.pong]
        }
    }

    fn clear(&mut self) {
        *self = WriteQueue::default();
    }

    /// Drops the data units that have not started to be written.
    fn drop_unstarted_data(&mut self) {
        let keep = usize::from(self.segs.front_written > 0);
        let staged: usize = match self.segs.list.front() {
            Some(Unit::Run(len)) if keep == 1 => len - self.segs.front_written,
            Some(Unit::Large { header, .. }) if keep == 1 => {
                header.saturating_sub(self.segs.front_written)
            }
            _ => 0,
        };
        self.segs.list.truncate(keep);
        self.staging.truncate(staged);
        self.segs.staged = staged;
        self.segs.len = self.segs.started_rest();
    }

    /// Hands the data bytes from `skip` on, at most `limit` of them, to `f`
    /// in write order, contiguous bytes of `staging` as one slice; stops
    /// when `f` returns `false`. Returns whether it went to the end.
    fn walk_data<'a>(
        &'a self,
        skip: usize,
        limit: usize,
        f: &mut impl FnMut(&'a [u8]) -> bool,
    ) -> bool {
        let end = skip.saturating_add(limit).min(self.segs.len);
        // Data position and `staging` offset of the next unit's bytes.
        let mut pos = 0usize;
        let mut staged_at = 0usize;
        // A range of `staging` being extended by the next staged bytes.
        let mut pending: Option<(usize, usize)> = None;
        for (i, unit) in self.segs.list.iter().enumerate() {
            if pos >= end {
                break;
            }
            let written = if i == 0 { self.segs.front_written } else { 0 };
            let (staged, payload): (usize, &'a [u8]) = match unit {
                Unit::Run(len) => (len - written, &[]),
                Unit::Large { header, payload } => (
                    header.saturating_sub(written),
                    payload
                        .get(written.saturating_sub(*header)..)
                        .unwrap_or_default(),
                ),
            };
            let (lo, hi) = (skip.max(pos), end.min(pos + staged));
            if lo < hi {
                let range = (staged_at + lo - pos, staged_at + hi - pos);
                pending = match pending {
                    Some((from, to)) if to == range.0 => Some((from, range.1)),
                    Some((from, to)) => {
                        if !f(self.staging.get(from..to).unwrap_or_default()) {
                            return false;
                        }
                        Some(range)
                    }
                    None => Some(range),
                };
            }
            pos += staged;
            staged_at += staged;
            let (lo, hi) = (skip.max(pos), end.min(pos + payload.len()));
            if lo < hi {
                if let Some((from, to)) = pending.take() {
                    if !f(self.staging.get(from..to).unwrap_or_default()) {
                        return false;
                    }
                }
                if !f(payload.get(lo - pos..hi - pos).unwrap_or_default()) {
                    return false;
                }
            }
            pos += payload.len();
        }
        match pending {
            Some((from, to)) => f(self.staging.get(from..to).unwrap_or_default()),
            None => true,
        }
    }

    /// Hands every byte to write to `f`, in write order: the rest of a
    /// partly written unit, then the control frames, then the other data.
    fn walk<'a>(&'a self, mut f: impl FnMut(&'a [u8]) -> bool) {
        let front_rest = self.segs.started_rest();
        if front_rest > 0 && !self.walk_data(0, front_rest, &mut f) {
            return;
        }
        for part in self.control_parts() {
            if !part.is_empty() && !f(part) {
                return;
            }
        }
        self.walk_data(front_rest, usize::MAX, &mut f);
    }

    fn slices<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        self.walk(|part| match dst.get_mut(n) {
            Some(slot) => {
                *slot = IoSlice::new(part);
                n += 1;
                true
            }
            None => false,
        });
        n
    }

    /// The first contiguous bytes to write, and whether they are all.
    #[inline]
    fn first_chunk(&self) -> (&[u8], bool) {
        // The common case: one run of small frames and nothing else.
        if self.control.is_empty() && self.pong.is_empty() && self.segs.list.len() == 1 {
            if let Some(Unit::Run(len)) = self.segs.list.front() {
                let len = len - self.segs.front_written;
                return (self.staging.get(..len).unwrap_or_default(), true);
            }
        }
        let mut first: &[u8] = &[];
        self.walk(|part| {
            first = part;
            false
        });
        (first, first.len() == self.len())
    }

    /// Consumes `n` bytes of data from the front.
    fn advance_data(&mut self, mut n: usize) {
        self.segs.len -= n;
        while n > 0 {
            let Some(unit) = self.segs.list.front_mut() else {
                break;
            };
            let written = self.segs.front_written;
            let rest = unit.len() - written;
            let take = rest.min(n);
            // Staged bytes among them.
            let staged = match unit {
                Unit::Run(_) => take,
                Unit::Large { header, .. } => (written + take).min(*header) - written.min(*header),
            };
            self.staging.advance(staged);
            self.segs.staged -= staged;
            n -= take;
            if take == rest {
                self.segs.list.pop_front();
                self.segs.front_written = 0;
            } else {
                self.segs.front_written += take;
            }
        }
    }

    /// Records that the first `n` bytes of `slices` were written.
    fn advance(&mut self, mut n: usize) {
        if self.control.is_empty() && self.pong.is_empty() {
            self.advance_data(n);
            return;
        }
        let front_rest = self.segs.started_rest();
        if front_rest > 0 {
            let take = front_rest.min(n);
            self.advance_data(take);
            n -= take;
        }
        let pong_first = self.pong_started;
        for pong in [pong_first, !pong_first] {
            if n == 0 {
                return;
            }
            let part = if pong {
                &mut self.pong
            } else {
                &mut self.control
            };
            let take = part.len().min(n);
            part.advance(take);
            n -= take;
            if pong && take > 0 {
                self.pong_started = !self.pong.is_empty();
            }
        }
        if n > 0 {
            self.advance_data(n);
        }
    }

    /// Empty: reuse the buffers from their start, unless they grew large.
    fn shrink(&mut self) {
        self.staging.clear();
        self.control.clear();
        self.pong.clear();
        self.pong_started = false;
        self.segs.staged = 0;
        if self.staging.capacity() > KEEP_CAPACITY {
            self.staging = BytesMut::new();
        }
        if self.segs.list.capacity() > 64 {
            self.segs.list = VecDeque::new();
        }
    }

    /// Gives back the memory of an empty queue, but for buffers small
    /// enough to keep (at most [`IDLE_KEEP`] bytes each): an idle
    /// connection that sends small messages does not allocate for each.
    fn release(&mut self) {
        for (buf, keep) in [
            (&mut self.staging, STAGING_KEEP),
            (&mut self.control, IDLE_KEEP),
            (&mut self.pong, IDLE_KEEP),
        ] {
            buf.clear();
            if buf.capacity() > keep {
                *buf = BytesMut::new();
            }
        }
        self.pong_started = false;
        self.segs.staged = 0;
        if self.segs.list.capacity() > 4 {
            self.segs.list = VecDeque::new();
        }
    }
}
