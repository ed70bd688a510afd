//! [`WebSocketStream`]: the connection after the opening handshake, a thin
//! tokio adapter over the sans-IO [`Connection`].

use std::future::Future;
use std::io::{self, IoSlice};
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};

use bytes::{Bytes, BytesMut};
use futures_core::Stream;
use futures_sink::Sink;
use tether_frame::{CloseCode, CloseFrame, Role};
use tether_message::{DataKind, Fragment, Message, MessageChunk};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

use crate::connection::AfterFlush;
use crate::{Connection, Error, WebSocketConfig};

/// Bytes read into a stack buffer when the connection holds no read buffer
/// (an idle connection keeps none).
const STACK_READ: usize = 2048;
/// The read buffer is grown by at least this much before a read.
const READ_CHUNK: usize = 8 << 10;
/// A read is given at least this much room (else the buffer grows first).
const READ_MIN: usize = 1 << 10;
/// The most slices given to one vectored write.
const MAX_SLICES: usize = 64;

/// A WebSocket connection over any `AsyncRead + AsyncWrite` transport,
/// after the opening handshake: a [`Stream`] of received [`Message`]s and a
/// [`Sink`] of messages to send.
///
/// # Receiving
///
/// `next()` yields text, binary, ping, pong and close messages in order.
/// Pings are answered with a pong automatically (if several arrive before
/// the pong can be written, only the latest is answered, as RFC 6455
/// section 5.5.3 allows); the ping is still handed to the application. A
/// peer that breaks the protocol gets a Close with the mapped code (1002,
/// 1007, 1009), the connection is closed, and `next()` yields the error
/// once, then `None`. The error is yielded only once that Close has been
/// written and the transport shut down (or the close timeout has passed),
/// so an application that stops at the first error, as
/// `while let Some(m) = ws.next().await { m?; ... }` does, still tells the
/// peer why.
///
/// [`next_chunk`](WebSocketStream::next_chunk) receives the data of a
/// message in chunks as they arrive instead (text on code point
/// boundaries, same UTF-8 rules and limits), so a message of any size
/// within [`MessageConfig::max_message_size`](tether_message::MessageConfig::max_message_size)
/// is forwarded without being held; whole and chunked receiving can be
/// mixed message by message.
///
/// # Sending
///
/// `send()` (or `feed()` then `flush()`) queues a message's frames and
/// writes them, several frames per vectored write. The queue is bounded by
/// [`WebSocketConfig::write_buffer_size`]: while it holds more than that,
/// `poll_ready` writes and returns `Pending` until it is below. Control
/// frames (pongs, pings, the close) go ahead of queued data frames that
/// have not started to be written; the Close goes after everything queued
/// before it. `flush` returns once every queued frame
/// has been handed to the transport and the transport has flushed. Nothing
/// is sent after a Close: later sends fail with
/// [`Error::ConnectionClosed`]. Frames of up to 2 KiB are copied into one
/// write buffer (masked on the way for a client), so a burst of small
/// messages is one write; larger payloads are written from their own
/// buffers (a vectored write) without a copy.
///
/// [`send_fragment`](WebSocketStream::send_fragment) and
/// [`send_stream`](WebSocketStream::send_stream) send one message from
/// pieces as they come, each piece a frame on the wire at once.
///
/// With permessage-deflate in force, text and binary messages are
/// compressed; one of them goes out uncompressed when sent as
/// [`Outgoing::uncompressed`] (the stream is also a `Sink<Outgoing>`, so
/// the writing half of a split stream can do it) or after
/// [`next_uncompressed`](WebSocketStream::next_uncompressed).
///
/// # Closing (RFC 6455 section 7)
///
/// | event | what happens |
/// |---|---|
/// | the peer's Close arrives | it is echoed (same code; none if it had none), `next()` yields `Message::Close`, then the server closes TCP / the client waits for the server to close it (at most [`close_timeout`](WebSocketConfig::close_timeout)), then `next()` yields `None` |
/// | the application sends `Message::Close` | no more sends; `next()` goes on yielding messages until the peer's Close (or `close_timeout`), then as above |
/// | `close()` (`Sink::poll_close`) | sends Close 1000 if none was sent, waits for the peer's Close (discarding data that arrives meanwhile) at most `close_timeout`, then closes the transport |
/// | a protocol error, the idle timeout | Close with the mapped code (1001 for the idle timeout) written, transport closed without waiting for the peer, then `next()` yields the error |
/// | the transport ends without a Close | `next()` yields [`Error::ResetWithoutClose`] (close code 1006 in RFC terms), then `None` |
///
/// # Tasks, cancellation, timers
///
/// The protocol itself lives in [`Connection`], a sans-IO state machine;
/// this type owns the transport and one timer, and moves bytes between
/// them.
///
/// The stream can be split into a reading and a writing half for two tasks
/// with `futures::StreamExt::split`. Both are cancel safe: all state lives
/// in the stream, so a `next()` dropped in a `select!` loses nothing (bytes
/// already read stay buffered and decode on the next call), and a message
/// given to `feed`/`send` is either queued whole or not at all. Automatic
/// pongs, keepalive pings and the idle timeout are driven by polling
/// `next()`: keep a task reading.
///
/// # Memory
///
/// A connection that has received nothing holds no read or write buffer:
/// reads start from a small stack buffer. Once data has arrived, an idle
/// connection keeps a read buffer and a write buffer of at most 4 KiB
/// each, so that small messages cost no allocation; anything
/// larger is released as soon as the transport has nothing to read. The
/// rest is this struct (see `idle_connection_memory` in the tests for the
/// measure) and the transport's own state.
pub struct WebSocketStream<S> {
    io: S,
    conn: Connection,
    /// The timer for the connection's next deadline, created when first
    /// needed.
    timer: Option<Pin<Box<Sleep>>>,
    /// The deadline `timer` is set to.
    deadline: Option<Instant>,
    /// An error to yield once the Close it caused is written.
    error: Option<Error>,
    /// The end of the stream was yielded (after an error or the close).
    finished: bool,
    /// The tasks waiting for the transport to take more bytes: the reading
    /// and the writing half of a split stream may be different tasks, and
    /// a transport keeps a single write waker, so it is given `write_waker`,
    /// which wakes both.
    waiting: Arc<WriteWaiters>,
    write_waker: Waker,
    /// The subprotocol agreed in the handshake.
    protocol: Option<String>,
}

/// Which half of the connection is polling.
#[derive(Clone, Copy)]
enum Side {
    Reader,
    Writer,
}

/// The wakers of the reading and the writing side waiting on the transport
/// to accept writes; waking it wakes both.
#[derive(Default)]
struct WriteWaiters {
    reader: Mutex<Option<Waker>>,
    writer: Mutex<Option<Waker>>,
}

impl WriteWaiters {
    fn register(&self, side: Side, waker: &Waker) {
        let slot = match side {
            Side::Reader => &self.reader,
            Side::Writer => &self.writer,
        };
        let mut slot = slot.lock().unwrap_or_else(PoisonError::into_inner);
        if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *slot = Some(waker.clone());
        }
    }
}

impl Wake for WriteWaiters {
    fn wake(self: Arc<Self>) {
        self.wake_by_ref();
    }

    fn wake_by_ref(self: &Arc<Self>) {
        for slot in [&self.reader, &self.writer] {
            let waker = slot.lock().unwrap_or_else(PoisonError::into_inner).take();
            if let Some(w) = waker {
                w.wake();
            }
        }
    }
}

impl<S> std::fmt::Debug for WebSocketStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketStream")
            .field("connection", &self.conn)
            .finish_non_exhaustive()
    }
}

/// What the reading side produces: whole messages or chunks.
trait Receive: Sized {
    fn poll(conn: &mut Connection) -> Result<Option<Self>, Error>;
}

impl Receive for Message {
    #[inline]
    fn poll(conn: &mut Connection) -> Result<Option<Message>, Error> {
        conn.poll_message()
    }
}

impl Receive for MessageChunk {
    #[inline]
    fn poll(conn: &mut Connection) -> Result<Option<MessageChunk>, Error> {
        conn.poll_chunk()
    }
}

impl<S> WebSocketStream<S> {
    /// The subprotocol agreed in the handshake, if any.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The role of this end.
    pub fn role(&self) -> Role {
        self.conn.role()
    }

    /// The message limits in force.
    pub fn message_config(&self) -> &tether_message::MessageConfig {
        self.conn.message_config()
    }

    /// The permessage-deflate parameters in force, if negotiated.
    #[cfg(feature = "deflate")]
    pub fn deflate(&self) -> Option<&tether_message::DeflateParams> {
        self.conn.deflate()
    }

    /// Sends the next text or binary message (through the `Sink`, or the
    /// next [`send_stream`](WebSocketStream::send_stream)) uncompressed,
    /// whatever permessage-deflate says; see
    /// [`Connection::next_uncompressed`].
    ///
    /// ```no_run
    /// # async fn f(mut ws: tether_ws::WebSocketStream<tokio::net::TcpStream>) -> Result<(), tether_ws::Error> {
    /// use futures::SinkExt;
    /// ws.next_uncompressed();
    /// ws.send(tether_ws::Message::text("a session token")).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// The writing half of a split stream cannot reach this method: send
    /// the message as [`Outgoing::uncompressed`] through the `Sink`
    /// instead, which also says which message it is for (this flag applies
    /// to whichever message is queued next).
    pub fn next_uncompressed(&mut self) {
        self.conn.next_uncompressed();
    }

    /// The transport.
    pub fn get_ref(&self) -> &S {
        &self.io
    }

    /// The transport, mutably (reading or writing it directly corrupts the
    /// connection).
    pub fn get_mut(&mut self) -> &mut S {
        &mut self.io
    }

    /// The sans-IO connection state underneath.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Whether a Close has been sent.
    pub fn is_close_sent(&self) -> bool {
        self.conn.is_close_sent()
    }

    /// Bytes of frames queued and not yet written.
    pub fn queued_bytes(&self) -> usize {
        self.conn.queued_bytes()
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> WebSocketStream<S> {
    /// A connection over `io`, whose opening handshake is done, for `role`.
    ///
    /// `read_ahead` is what was read past the end of the handshake: the
    /// start of the first frames, decoded before anything else is read.
    pub fn from_raw_parts(
        io: S,
        role: Role,
        config: WebSocketConfig,
        read_ahead: BytesMut,
    ) -> Self {
        let waiting = Arc::new(WriteWaiters::default());
        WebSocketStream {
            io,
            conn: Connection::new(role, &config, read_ahead),
            timer: None,
            deadline: None,
            error: None,
            finished: false,
            waiting: Arc::clone(&waiting),
            write_waker: Waker::from(waiting),
            protocol: None,
        }
    }

    /// Records the subprotocol agreed in the handshake.
    pub fn with_protocol(mut self, protocol: Option<String>) -> Self {
        self.protocol = protocol;
        self
    }

    // ----- writing -----

    /// Writes queued frames until the queue is empty or the transport is
    /// full. `side` says who is polling; the transport is polled with the
    /// waker that wakes both sides.
    #[inline]
    fn poll_write_queue(&mut self, cx: &mut Context<'_>, side: Side) -> Poll<io::Result<()>> {
        if !self.conn.wants_write() {
            // Nothing to write (the common case on the reading side).
            return Poll::Ready(Ok(()));
        }
        let mut registered = false;
        let mut wcx = Context::from_waker(&self.write_waker);
        loop {
            let (chunk, only) = self.conn.transmit_chunk();
            let written = if only {
                // One contiguous run (small frames): a plain write.
                Pin::new(&mut self.io).poll_write(&mut wcx, chunk)
            } else {
                let mut slices = [IoSlice::new(&[]); MAX_SLICES];
                let n = self.conn.transmit(&mut slices);
                let slices = slices.get(..n).unwrap_or_default();
                Pin::new(&mut self.io).poll_write_vectored(&mut wcx, slices)
            };
            match written {
                Poll::Ready(Ok(0)) => return Poll::Ready(Err(io::ErrorKind::WriteZero.into())),
                Poll::Ready(Ok(n)) => {
                    self.conn.advance_transmit(n);
                    if !self.conn.wants_write() {
                        return Poll::Ready(Ok(()));
                    }
                }
                Poll::Ready(Err(e)) => return Poll::Ready(Err(e)),
                Poll::Pending if registered => return Poll::Pending,
                Poll::Pending => {
                    // Only now does this side need waking: register, then
                    // try once more (the transport may have become
                    // writable before the registration).
                    self.waiting.register(side, cx.waker());
                    registered = true;
                }
            }
        }
    }

    fn poll_flush_all(&mut self, cx: &mut Context<'_>, side: Side) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_write_queue(cx, side))?;
        let mut wcx = Context::from_waker(&self.write_waker);
        if let Poll::Ready(result) = Pin::new(&mut self.io).poll_flush(&mut wcx) {
            return Poll::Ready(result);
        }
        self.waiting.register(side, cx.waker());
        Pin::new(&mut self.io).poll_flush(&mut wcx)
    }

    // ----- reading -----

    /// Reads more bytes into the connection's read buffer; `Ok(0)` at end
    /// of stream.
    #[inline]
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        let buf = self.conn.read_buffer();
        if buf.capacity() == 0 {
            // Idle: no buffer until bytes arrive.
            let mut stack = [MaybeUninit::<u8>::uninit(); STACK_READ];
            let mut rb = ReadBuf::uninit(&mut stack);
            std::task::ready!(Pin::new(&mut self.io).poll_read(cx, &mut rb))?;
            let filled = rb.filled();
            self.conn.receive(filled);
            return Poll::Ready(Ok(filled.len()));
        }
        if buf.capacity() - buf.len() < READ_MIN {
            buf.reserve(READ_CHUNK);
        }
        let n = std::task::ready!(tokio_util::io::poll_read_buf(
            Pin::new(&mut self.io),
            cx,
            buf
        ))?;
        self.conn.handle_read(n);
        Poll::Ready(Ok(n))
    }

    // ----- time -----

    /// Polls the timer of the connection's next deadline (re-armed if the
    /// connection started a timer); on expiry lets the connection act and
    /// returns `true`.
    fn poll_deadline(&mut self, cx: &mut Context<'_>) -> bool {
        if self.conn.timers_changed() {
            self.deadline = self
                .conn
                .poll_timeout(Instant::now().into_std())
                .map(Instant::from_std);
        }
        let Some(deadline) = self.deadline else {
            return false;
        };
        let timer = self
            .timer
            .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if timer.deadline() != deadline {
            timer.as_mut().reset(deadline);
        }
        if timer.as_mut().poll(cx).is_pending() {
            return false;
        }
        self.conn.handle_timeout(Instant::now().into_std());
        self.deadline = self
            .conn
            .poll_timeout(Instant::now().into_std())
            .map(Instant::from_std);
        true
    }

    /// Drives the end of the connection after the close handshake or a
    /// failure: writes what is queued (the Close), then closes the
    /// transport (a client first waits for the server to close it). Bounded
    /// by the close timeout. Ready when done.
    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            match self.conn.after_flush() {
                AfterFlush::Closed => {
                    self.conn.release_buffers();
                    return Poll::Ready(());
                }
                AfterFlush::Continue => return Poll::Ready(()),
                AfterFlush::ReadToEnd | AfterFlush::Shutdown => {}
            }
            match self.poll_flush_all(cx, Side::Reader) {
                Poll::Ready(Ok(())) => {}
                Poll::Ready(Err(_)) => {
                    self.conn.handle_transport_error();
                    continue;
                }
                Poll::Pending => {
                    if self.poll_deadline(cx) {
                        continue;
                    }
                    return Poll::Pending;
                }
            }
            if self.conn.after_flush() == AfterFlush::ReadToEnd {
                // RFC 6455 section 7.1.1: the server closes TCP first.
                match self.poll_fill(cx) {
                    Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => self.conn.handle_eof(),
                    Poll::Ready(Ok(_)) => self.conn.read_buffer().clear(),
                    Poll::Pending => {
                        if self.poll_deadline(cx) {
                            continue;
                        }
                        return Poll::Pending;
                    }
                }
                continue;
            }
            self.waiting.register(Side::Reader, cx.waker());
            let mut wcx = Context::from_waker(&self.write_waker);
            match Pin::new(&mut self.io).poll_shutdown(&mut wcx) {
                Poll::Ready(_) => self.conn.handle_shutdown(),
                Poll::Pending => {
                    if self.poll_deadline(cx) {
                        continue;
                    }
                    return Poll::Pending;
                }
            }
        }
    }

    /// The reading loop shared by `poll_next` and `poll_next_chunk`.
    fn poll_receive<T: Receive>(&mut self, cx: &mut Context<'_>) -> Poll<Option<Result<T, Error>>> {
        loop {
            if self.finished {
                return Poll::Ready(None);
            }
            if self.error.is_none() {
                // Answer pings and write queued control frames as we go (a
                // write error shows up as a read error or end of stream).
                let _ = self.poll_write_queue(cx, Side::Reader);
                match T::poll(&mut self.conn) {
                    Ok(Some(item)) => {
                        let _ = self.poll_write_queue(cx, Side::Reader);
                        return Poll::Ready(Some(Ok(item)));
                    }
                    Ok(None) => {}
                    Err(e) if e.kind() == crate::ErrorKind::Caller => {
                        return Poll::Ready(Some(Err(e)));
                    }
                    Err(e) => self.error = Some(e),
                }
            }
            if self.error.is_some() || !self.conn.is_receiving() {
                // Failed or closing: the Close goes out before the error or
                // the end is reported.
                std::task::ready!(self.poll_finish(cx));
                self.finished = true;
                return Poll::Ready(self.error.take().map(Err));
            }
            match self.poll_fill(cx) {
                Poll::Ready(Ok(0)) => self.conn.handle_eof(),
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => {
                    self.conn.handle_transport_error();
                    self.finished = true;
                    return Poll::Ready(Some(Err(Error::Io(e))));
                }
                Poll::Pending => {
                    // Nothing more to read now: finish validating what
                    // arrived (fail fast), and look at the timers.
                    if self.conn.before_wait() || self.poll_deadline(cx) {
                        continue;
                    }
                    // Idle: keep no buffers.
                    self.conn.release_buffers();
                    return Poll::Pending;
                }
            }
        }
    }

    /// Polls for the next piece of a message: a chunk of a data message as
    /// it arrives, or a whole control message; see
    /// [`next_chunk`](WebSocketStream::next_chunk).
    pub fn poll_next_chunk(
        &mut self,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<MessageChunk, Error>>> {
        self.poll_receive(cx)
    }

    /// The next piece of a message, handed out as it arrives: a chunk of a
    /// text (validated, on code point boundaries) or binary message, with
    /// `first`/`last` marking the message's start and end, or a whole
    /// control message (pings are answered as with `next()`). No message is
    /// assembled, so a message of any size within the limits is forwarded
    /// in bounded memory: the read buffer holds at most what one read
    /// brings, plus the room the frame decoder reserves for a large frame
    /// (up to 1 MiB). A message that `next()`
    /// had started receiving continues here; once a message has started in
    /// chunks, read it to its last chunk before calling `next()` again (else
    /// `next()` yields a caller error). Cancel safe.
    ///
    /// ```no_run
    /// # async fn forward(
    /// #     mut from: tether_ws::WebSocketStream<tokio::net::TcpStream>,
    /// #     mut to: tether_ws::WebSocketStream<tokio::net::TcpStream>,
    /// # ) -> Result<(), tether_ws::Error> {
    /// use tether_ws::{Fragment, MessageChunk};
    /// while let Some(chunk) = from.next_chunk().await {
    ///     match chunk? {
    ///         MessageChunk::Binary { data, first, last } => {
    ///             let piece = match (first, last) {
    ///                 (true, _) => Fragment::Start(tether_ws::DataKind::Binary, data),
    ///                 (false, false) => Fragment::Continue(data),
    ///                 (false, true) => Fragment::End(data),
    ///             };
    ///             to.send_fragment(piece).await?;
    ///             if first && last {
    ///                 to.send_fragment(Fragment::End(Default::default())).await?;
    ///             }
    ///         }
    ///         _ => {}
    ///     }
    /// }
    /// # Ok(())
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// As `next()`.
    pub fn next_chunk(&mut self) -> NextChunk<'_, S> {
        NextChunk { stream: self }
    }

    // ----- flushing and closing -----

    /// Writes every queued frame and flushes the transport, as
    /// `SinkExt::flush` does. An inherent method because the stream is a
    /// `Sink` of two item types ([`Message`] and [`Outgoing`]), for which
    /// `SinkExt::flush` would need the item named.
    ///
    /// # Errors
    ///
    /// I/O errors.
    pub async fn flush(&mut self) -> Result<(), Error> {
        std::future::poll_fn(|cx| <Self as Sink<Message>>::poll_flush(Pin::new(&mut *self), cx))
            .await
    }

    /// Closes the connection as `SinkExt::close` does (see the table
    /// above): sends Close 1000 unless a Close was sent, waits for the
    /// peer's at most the close timeout, closes the transport. An inherent
    /// method for the reason [`flush`](WebSocketStream::flush) is.
    ///
    /// # Errors
    ///
    /// As `Sink::poll_close`: I/O errors.
    pub async fn close(&mut self) -> Result<(), Error> {
        std::future::poll_fn(|cx| <Self as Sink<Message>>::poll_close(Pin::new(&mut *self), cx))
            .await
    }

    // ----- sending borrowed bytes -----

    /// Queues a binary message copied from `data`, once the write queue has
    /// room (as `feed` does; `flush` writes it out). The fastest way to
    /// send small messages from a buffer you reuse: no `Bytes` to build or
    /// reference-count. Above 2 KiB, a shared `Bytes` given to
    /// `feed`/`send` avoids the copy instead.
    ///
    /// # Errors
    ///
    /// As `feed`.
    pub async fn feed_binary(&mut self, data: &[u8]) -> Result<(), Error> {
        std::future::poll_fn(|cx| <Self as Sink<Message>>::poll_ready(Pin::new(&mut *self), cx))
            .await?;
        self.conn.send_binary(data)
    }

    /// Queues a text message copied from `text`; see
    /// [`feed_binary`](WebSocketStream::feed_binary).
    ///
    /// # Errors
    ///
    /// As `feed`.
    pub async fn feed_text(&mut self, text: &str) -> Result<(), Error> {
        std::future::poll_fn(|cx| <Self as Sink<Message>>::poll_ready(Pin::new(&mut *self), cx))
            .await?;
        self.conn.send_text(text)
    }

    // ----- sending pieces -----

    /// Queues one piece of a message sent in several frames, once the write
    /// queue has room, and writes it out (with anything queued before it):
    /// each piece is a frame on the wire as soon as the transport takes it.
    /// Control frames go out between pieces: while it waits, it also reads,
    /// and answers the pings (and a Close) that arrive at the front of the
    /// received bytes, so the peer's keepalive is served during a long
    /// message even if nothing else reads; those messages, and any data,
    /// are still handed out by the next `next()` / `next_chunk()`.
    ///
    /// # Errors
    ///
    /// [`Error::ConnectionClosed`] after a Close; caller errors for pieces
    /// out of order (`Start` while a message is open, `Continue`/`End`
    /// while none is) or text that is not UTF-8 (a piece may end inside a
    /// code point that the next completes); nothing is queued on error, and
    /// a streamed message stays open until its `End`. I/O errors.
    pub async fn send_fragment(&mut self, fragment: Fragment) -> Result<(), Error> {
        std::future::poll_fn(|cx| {
            self.poll_control(cx);
            <Self as Sink<Message>>::poll_ready(Pin::new(&mut *self), cx)
        })
        .await?;
        self.conn.send_fragment(fragment)?;
        std::future::poll_fn(|cx| {
            self.poll_control(cx);
            self.poll_flush_all(cx, Side::Writer)
        })
        .await
        .map_err(Error::Io)
    }

    /// While a message is sent in pieces and nobody reads: reads what has
    /// arrived and handles the control frames at its front (a ping is
    /// answered between the pieces, a Close answered); they are handed out
    /// by the next `next()` / `next_chunk()`, with any data, in order.
    fn poll_control(&mut self, cx: &mut Context<'_>) {
        loop {
            self.conn.handle_control_frames();
            if self.error.is_some() || !self.conn.wants_control_bytes() {
                return;
            }
            match self.poll_fill(cx) {
                Poll::Ready(Ok(0)) => {
                    self.conn.handle_eof();
                    return;
                }
                Poll::Ready(Ok(_)) => {}
                Poll::Ready(Err(e)) => {
                    self.conn.handle_transport_error();
                    self.error = Some(Error::Io(e));
                    return;
                }
                Poll::Pending => return,
            }
        }
    }

    /// Sends one message of `kind` from a stream of pieces, each piece a
    /// frame on the wire as it comes (then an empty final frame), without
    /// holding the message: a gigabyte file or another connection's chunks
    /// pass through in constant memory. Text pieces may cut code points;
    /// the text as a whole must be UTF-8.
    ///
    /// # Errors
    ///
    /// As [`send_fragment`](WebSocketStream::send_fragment), and the first
    /// error of `pieces`, after which the message stays open: end it with
    /// `send_fragment(Fragment::End(..))`, or close the connection. The
    /// same holds if the future is dropped before it completes: the pieces
    /// queued so far go out, and the message is open.
    pub async fn send_stream<P, E>(&mut self, kind: DataKind, pieces: P) -> Result<(), Error>
    where
        P: Stream<Item = Result<Bytes, E>>,
        Error: From<E>,
    {
        let mut pieces = std::pin::pin!(pieces);
        let mut started = false;
        while let Some(piece) = std::future::poll_fn(|cx| pieces.as_mut().poll_next(cx)).await {
            let piece = piece?;
            let fragment = if started {
                Fragment::Continue(piece)
            } else {
                Fragment::Start(kind, piece)
            };
            started = true;
            self.send_fragment(fragment).await?;
        }
        if !started {
            self.send_fragment(Fragment::Start(kind, Bytes::new()))
                .await?;
        }
        self.send_fragment(Fragment::End(Bytes::new())).await
    }
}

/// The future of [`WebSocketStream::next_chunk`].
#[derive(Debug)]
#[must_use = "futures do nothing unless polled"]
pub struct NextChunk<'a, S> {
    stream: &'a mut WebSocketStream<S>,
}

impl<S: AsyncRead + AsyncWrite + Unpin> Future for NextChunk<'_, S> {
    type Output = Option<Result<MessageChunk, Error>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        self.stream.poll_next_chunk(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocketStream<S> {
    type Item = Result<Message, Error>;

    #[inline]
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.poll_receive(cx)
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocketStream<S> {
    type Error = Error;

    #[inline]
    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = &mut *self;
        if this.conn.is_close_sent() || this.conn.is_closed() {
            return Poll::Ready(Err(Error::ConnectionClosed));
        }
        if this.conn.is_write_buffer_full() {
            match this.poll_write_queue(cx, Side::Writer) {
                Poll::Ready(Err(e)) => return Poll::Ready(Err(Error::Io(e))),
                Poll::Ready(Ok(())) => {}
                Poll::Pending if this.conn.is_write_buffer_full() => return Poll::Pending,
                Poll::Pending => {}
            }
        }
        Poll::Ready(Ok(()))
    }

    #[inline]
    fn start_send(mut self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        self.conn.send(message)
    }

    #[inline]
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.poll_flush_all(cx, Side::Writer).map_err(Error::Io)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = &mut *self;
        if !this.conn.is_close_sent() && !this.conn.is_closed() {
            this.conn
                .send(Message::Close(Some(CloseFrame::new(CloseCode::Normal, ""))))?;
        }
        // Wait for the peer's Close, discarding what arrives before it; the
        // end of the stream comes once the transport is closed.
        while !this.finished {
            match this.poll_receive::<Message>(cx) {
                Poll::Ready(Some(_)) => {}
                Poll::Ready(None) => break,
                Poll::Pending => return Poll::Pending,
            }
        }
        Poll::Ready(Ok(()))
    }
}

/// A message to send and how: the item of the stream's `Sink<Outgoing>`,
/// for a sender that must send some messages uncompressed while holding
/// only the writing half of a split stream (the Node `ws`
/// `send(data, { compress: false })`).
///
/// With permessage-deflate (RFC 7692) in force, text and binary messages
/// at or above the threshold (`DeflateConfig::with_threshold`) are
/// compressed, with context takeover in one context shared by all the
/// messages of the connection. A secret compressed in the same context as
/// data an attacker chooses leaks through the compressed sizes (the CRIME
/// and BREACH attacks); `compress: false` sends the message uncompressed
/// (RSV1 clear) and leaves it out of the context. Without compression
/// negotiated, or for a control message, the flag changes nothing.
///
/// A [`Message`] converts into it (compressed as usual), so one item type
/// carries both kinds; `Sink<Message>` stays the plain path. With two
/// `Sink` impls, a `SinkExt` method whose item type nothing says (a
/// combinator such as `sink_map_err`, the `poll_*_unpin` methods) needs it
/// named, `SinkExt::<Message>::...`; `flush()` and `close()` are inherent
/// methods of the stream and need nothing.
///
/// ```no_run
/// # async fn f(ws: tether_ws::WebSocketStream<tokio::net::TcpStream>) -> Result<(), tether_ws::Error> {
/// use futures::{SinkExt, StreamExt};
/// use tether_ws::{Message, Outgoing};
///
/// let (mut tx, mut rx) = ws.split::<Outgoing>();
/// tokio::spawn(async move { while let Some(_message) = rx.next().await {} });
/// tx.send(Message::text("a chat line").into()).await?;
/// tx.send(Outgoing::uncompressed(Message::text("a session token"))).await?;
/// # Ok(()) }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Outgoing {
    /// The message.
    pub message: Message,
    /// Whether it may be compressed (the default): false sends it
    /// uncompressed.
    pub compress: bool,
}

impl Outgoing {
    /// `message`, compressed if permessage-deflate is in force.
    pub fn new(message: Message) -> Outgoing {
        Outgoing {
            message,
            compress: true,
        }
    }

    /// `message`, uncompressed whatever permessage-deflate says.
    pub fn uncompressed(message: Message) -> Outgoing {
        Outgoing {
            message,
            compress: false,
        }
    }

    /// Sets whether the message may be compressed.
    pub fn with_compress(mut self, compress: bool) -> Outgoing {
        self.compress = compress;
        self
    }
}

impl From<Message> for Outgoing {
    fn from(message: Message) -> Outgoing {
        Outgoing::new(message)
    }
}

/// The same as `Sink<Message>`, but a message may be sent uncompressed
/// ([`Outgoing::compress`]).
impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Outgoing> for WebSocketStream<S> {
    type Error = Error;

    #[inline]
    fn poll_ready(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        <Self as Sink<Message>>::poll_ready(self, cx)
    }

    #[inline]
    fn start_send(mut self: Pin<&mut Self>, item: Outgoing) -> Result<(), Error> {
        if item.compress {
            self.conn.send(item.message)
        } else {
            self.conn.send_uncompressed(item.message)
        }
    }

    #[inline]
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        <Self as Sink<Message>>::poll_flush(self, cx)
    }

    fn poll_close(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        <Self as Sink<Message>>::poll_close(self, cx)
    }
}
