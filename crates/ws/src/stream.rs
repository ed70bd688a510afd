//! [`WebSocketStream`]: the connection after the opening handshake.

use std::collections::VecDeque;
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Wake, Waker};
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use futures_core::Stream;
use futures_sink::Sink;
use tether_frame::{CloseCode, CloseFrame, EncodedFrame, Frame, Role};
use tether_message::{Message, MessageCodec};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};
use tokio_util::codec::Decoder;

use crate::{Error, WebSocketConfig};

/// Bytes read into a stack buffer when the connection holds no read buffer
/// (an idle connection keeps none).
const STACK_READ: usize = 2048;
/// The read buffer is grown by at least this much before a read.
const READ_CHUNK: usize = 8 << 10;
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
/// once, then `None`.
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
/// [`Error::ConnectionClosed`].
///
/// # Closing (RFC 6455 section 7)
///
/// | event | what happens |
/// |---|---|
/// | the peer's Close arrives | it is echoed (same code; none if it had none), `next()` yields `Message::Close`, then the server closes TCP / the client waits for the server to close it (at most [`close_timeout`](WebSocketConfig::close_timeout)), then `next()` yields `None` |
/// | the application sends `Message::Close` | no more sends; `next()` goes on yielding messages until the peer's Close (or `close_timeout`), then as above |
/// | `close()` (`Sink::poll_close`) | sends Close 1000 if none was sent, waits for the peer's Close (discarding data that arrives meanwhile) at most `close_timeout`, then closes the transport |
/// | a protocol error | Close with the mapped code, transport closed without waiting |
/// | the transport ends without a Close | `next()` yields [`Error::ResetWithoutClose`] (close code 1006 in RFC terms), then `None` |
///
/// # Tasks, cancellation, timers
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
/// An idle connection holds no read or write buffer: the read buffer is
/// released when it is empty and the transport has nothing to read, and
/// reads into it start from a small stack buffer. What it holds is this
/// struct (see `idle_connection_memory` in the tests for the measure) and
/// the transport's own state.
pub struct WebSocketStream<S> {
    io: S,
    /// Decodes received frames into messages, and encodes outgoing
    /// messages into frames (its frame codec picks the masking by role).
    codec: MessageCodec,
    /// What is kept of the configuration (the message limits live in the
    /// codecs; the handshake's are not needed any more).
    write_buffer_size: usize,
    close_timeout: Duration,
    read_buf: BytesMut,
    writes: WriteQueue,
    /// The payload of the latest ping not yet answered.
    pong: Option<Bytes>,
    close_sent: bool,
    close_received: bool,
    /// The close was a failure (protocol error, idle timeout): close the
    /// transport without waiting for the peer's Close.
    failed: bool,
    /// The transport's read side ended.
    eof: bool,
    /// The transport was shut down; nothing more happens.
    done: bool,
    /// When the close handshake or the final TCP close is given up on.
    close_deadline: Option<Pin<Box<Sleep>>>,
    keepalive: Option<Timer>,
    idle: Option<Timer>,
    /// Bytes were read since the idle timer last fired.
    idle_active: bool,
    /// Bytes were read since the keepalive timer last fired.
    keepalive_active: bool,
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

struct Timer {
    sleep: Pin<Box<Sleep>>,
    period: Duration,
}

impl Timer {
    fn new(period: Duration) -> Timer {
        Timer {
            sleep: Box::pin(tokio::time::sleep(period)),
            period,
        }
    }

    /// Whether the timer fired; re-arms it if so.
    fn fired(&mut self, cx: &mut Context<'_>) -> bool {
        if self.sleep.as_mut().poll(cx).is_ready() {
            let next = Instant::now() + self.period;
            self.sleep.as_mut().reset(next);
            // Register the new deadline.
            let _ = self.sleep.as_mut().poll(cx);
            true
        } else {
            false
        }
    }
}

use std::future::Future as _;

impl<S> std::fmt::Debug for WebSocketStream<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WebSocketStream")
            .field("role", &self.codec.frame_codec().role())
            .field("close_sent", &self.close_sent)
            .field("close_received", &self.close_received)
            .field("queued", &self.writes.queued)
            .finish_non_exhaustive()
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
        let codec = MessageCodec::with_config(role, config.message.clone());
        let keepalive = config.ping_interval.map(Timer::new);
        let idle = config.idle_timeout.map(Timer::new);
        let waiting = Arc::new(WriteWaiters::default());
        WebSocketStream {
            io,
            codec,
            write_buffer_size: config.write_buffer_size,
            close_timeout: config.close_timeout,
            read_buf: read_ahead,
            writes: WriteQueue::default(),
            pong: None,
            close_sent: false,
            close_received: false,
            failed: false,
            eof: false,
            done: false,
            close_deadline: None,
            keepalive,
            idle,
            idle_active: false,
            keepalive_active: false,
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

    /// The subprotocol agreed in the handshake, if any.
    pub fn protocol(&self) -> Option<&str> {
        self.protocol.as_deref()
    }

    /// The role of this end.
    pub fn role(&self) -> Role {
        self.codec.frame_codec().role()
    }

    /// The message limits in force.
    pub fn message_config(&self) -> &tether_message::MessageConfig {
        self.codec.config()
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

    /// Whether a Close has been sent.
    pub fn is_close_sent(&self) -> bool {
        self.close_sent
    }

    /// Bytes of frames queued and not yet written.
    pub fn queued_bytes(&self) -> usize {
        self.writes.queued
    }

    // ----- sending -----

    fn queue_control(&mut self, frame: Frame) -> Result<(), Error> {
        let encoded = self
            .codec
            .frame_codec_mut()
            .encode_frame(frame)
            .map_err(tether_message::Error::Frame)?;
        self.writes.push_control(encoded);
        Ok(())
    }

    /// Queues a Close behind every queued data frame (it ends the stream:
    /// nothing may follow it), and stops answering pings.
    fn queue_close(&mut self, close: Option<&CloseFrame>) -> Result<(), Error> {
        let frame = Frame::close(close).map_err(tether_message::Error::Frame)?;
        let encoded = self
            .codec
            .frame_codec_mut()
            .encode_frame(frame)
            .map_err(tether_message::Error::Frame)?;
        self.writes.push_data(encoded);
        self.close_sent = true;
        self.pong = None;
        self.arm_close_deadline();
        Ok(())
    }

    fn arm_close_deadline(&mut self) {
        if self.close_deadline.is_none() {
            self.close_deadline = Some(Box::pin(tokio::time::sleep(self.close_timeout)));
        }
    }

    fn queue_message(&mut self, message: Message) -> Result<(), Error> {
        if self.close_sent {
            return Err(Error::ConnectionClosed);
        }
        match message {
            Message::Ping(p) => self.queue_control(Frame::ping(p)),
            Message::Pong(p) => self.queue_control(Frame::pong(p)),
            Message::Close(c) => self.queue_close(c.as_ref()),
            data => {
                // Fragmented per the message config, payloads not copied.
                let writes = &mut self.writes;
                self.codec
                    .encode_frames(data, |frame| writes.push_data(frame))
                    .map_err(Error::Protocol)
            }
        }
    }

    /// Writes queued frames until the queue is empty or the transport is
    /// full. `side` says who is polling; the transport is polled with the
    /// waker that wakes both sides.
    fn poll_write_queue(&mut self, cx: &mut Context<'_>, side: Side) -> Poll<io::Result<()>> {
        if self.writes.is_empty() && self.pong.is_none() {
            // Nothing to write (the common case on the reading side): no
            // waker to register, no lock taken.
            return Poll::Ready(Ok(()));
        }
        self.waiting.register(side, cx.waker());
        let mut wcx = Context::from_waker(&self.write_waker);
        let result = loop {
            // The pending pong goes into the queue only when it is next to
            // be written; until then a newer ping replaces it.
            if self.pong.is_some() && self.writes.control_is_next() {
                if let Some(payload) = self.pong.take().filter(|_| !self.close_sent) {
                    let pong = self
                        .codec
                        .frame_codec_mut()
                        .encode_frame(Frame::pong(payload));
                    if let Ok(encoded) = pong {
                        self.writes.push_control(encoded);
                    }
                }
            }
            if self.writes.is_empty() {
                break Poll::Ready(Ok(()));
            }
            let mut slices = [IoSlice::new(&[]); MAX_SLICES];
            let n = self.writes.slices(&mut slices);
            let slices = slices.get(..n).unwrap_or_default();
            match Pin::new(&mut self.io).poll_write_vectored(&mut wcx, slices) {
                Poll::Ready(Ok(0)) => {
                    break Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
                }
                Poll::Ready(Ok(written)) => self.writes.advance(written),
                Poll::Ready(Err(e)) => break Poll::Ready(Err(e)),
                Poll::Pending => break Poll::Pending,
            }
        };
        if self.writes.is_empty() {
            self.writes.release();
        }
        result
    }

    fn poll_flush_all(&mut self, cx: &mut Context<'_>, side: Side) -> Poll<io::Result<()>> {
        std::task::ready!(self.poll_write_queue(cx, side))?;
        let mut wcx = Context::from_waker(&self.write_waker);
        Pin::new(&mut self.io).poll_flush(&mut wcx)
    }

    // ----- receiving -----

    /// Reads more bytes into the read buffer; `Ok(0)` at end of stream.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.read_buf.capacity() - self.read_buf.len() == 0 && self.read_buf.is_empty() {
            let mut stack = [0u8; STACK_READ];
            let mut rb = ReadBuf::new(&mut stack);
            std::task::ready!(Pin::new(&mut self.io).poll_read(cx, &mut rb))?;
            let filled = rb.filled();
            self.read_buf.extend_from_slice(filled);
            return Poll::Ready(Ok(filled.len()));
        }
        if self.read_buf.capacity() - self.read_buf.len() < READ_CHUNK / 4 {
            self.read_buf.reserve(READ_CHUNK);
        }
        tokio_util::io::poll_read_buf(Pin::new(&mut self.io), cx, &mut self.read_buf)
    }

    /// Fails the connection: queues a Close with `code` (unless one was
    /// sent) and marks it failed, so it closes without waiting.
    fn fail(&mut self, code: Option<CloseCode>) {
        if !self.close_sent {
            // Failing the connection: queued data that has not started to go
            // out is dropped, so the Close goes next.
            self.writes.drop_unstarted_data();
            let close = code.map(|c| CloseFrame::new(c, ""));
            let _ = self.queue_close(close.as_ref());
        }
        self.failed = true;
    }

    /// Drives the end of the connection after the close handshake (or a
    /// failure): flush, then close the transport (a client first waits for
    /// the server to close, at most until the deadline). Ready when done.
    fn poll_finish(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        if self.done {
            return Poll::Ready(());
        }
        let timed_out = self
            .close_deadline
            .as_mut()
            .is_some_and(|d| d.as_mut().poll(cx).is_ready());
        match self.poll_flush_all(cx, Side::Reader) {
            Poll::Ready(Ok(())) => {}
            Poll::Ready(Err(_)) => {
                self.done = true;
                return Poll::Ready(());
            }
            Poll::Pending if !timed_out => return Poll::Pending,
            Poll::Pending => {}
        }
        let wait_for_server =
            self.role() == Role::Client && !self.failed && !self.eof && !timed_out;
        if wait_for_server {
            // RFC 6455 section 7.1.1: the server closes TCP first.
            loop {
                match self.poll_fill(cx) {
                    Poll::Ready(Ok(0)) | Poll::Ready(Err(_)) => {
                        self.eof = true;
                        break;
                    }
                    Poll::Ready(Ok(_)) => self.read_buf.clear(),
                    Poll::Pending => return Poll::Pending,
                }
            }
        }
        self.waiting.register(Side::Reader, cx.waker());
        let mut wcx = Context::from_waker(&self.write_waker);
        match Pin::new(&mut self.io).poll_shutdown(&mut wcx) {
            Poll::Pending if !timed_out => Poll::Pending,
            _ => {
                self.done = true;
                self.read_buf = BytesMut::new();
                Poll::Ready(())
            }
        }
    }

    /// Keepalive and idle timers: whether the connection must fail now.
    ///
    /// Each timer fires once per period; it acts only if nothing was read
    /// during the period that just ended, so a ping goes out after one to
    /// two periods of silence and the idle timeout hits after one to two
    /// timeouts, without touching a timer on every read.
    fn poll_timers(&mut self, cx: &mut Context<'_>) -> Result<(), Error> {
        if let Some(idle) = self.idle.as_mut() {
            if idle.fired(cx) && !std::mem::take(&mut self.idle_active) {
                self.fail(Some(CloseCode::GoingAway));
                return Err(Error::IdleTimeout);
            }
        }
        let ping = self
            .keepalive
            .as_mut()
            .is_some_and(|k| k.fired(cx) && !std::mem::take(&mut self.keepalive_active));
        if ping && !self.close_sent {
            let _ = self.queue_control(Frame::ping(Bytes::new()));
            let _ = self.poll_write_queue(cx, Side::Reader);
        }
        Ok(())
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Stream for WebSocketStream<S> {
    type Item = Result<Message, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        let this = &mut *self;
        loop {
            if this.done {
                return Poll::Ready(None);
            }
            if this.failed || this.close_received || (this.close_sent && this.eof) {
                std::task::ready!(this.poll_finish(cx));
                return Poll::Ready(None);
            }
            if this.close_sent {
                // Waiting for the peer's Close, at most until the deadline.
                let expired = this
                    .close_deadline
                    .as_mut()
                    .is_some_and(|d| d.as_mut().poll(cx).is_ready());
                if expired {
                    this.failed = true;
                    continue;
                }
            }
            // Answer pings and write queued control frames as we go.
            let _ = this.poll_write_queue(cx, Side::Reader);
            match this.codec.decode(&mut this.read_buf) {
                Ok(Some(message)) => {
                    match &message {
                        Message::Ping(p) if !this.close_sent => {
                            this.pong = Some(p.clone());
                            let _ = this.poll_write_queue(cx, Side::Reader);
                        }
                        Message::Close(close) => {
                            this.close_received = true;
                            if !this.close_sent {
                                // Echo the status code (RFC 6455 5.5.1).
                                let echo = close.as_ref().map(|c| CloseFrame::new(c.code, ""));
                                let _ = this.queue_close(echo.as_ref());
                            }
                            this.arm_close_deadline();
                            let _ = this.poll_write_queue(cx, Side::Reader);
                        }
                        _ => {}
                    }
                    return Poll::Ready(Some(Ok(message)));
                }
                Ok(None) => {}
                Err(e) => {
                    this.fail(e.close_code());
                    return Poll::Ready(Some(Err(Error::Protocol(e))));
                }
            }
            if this.eof {
                return match this.codec.decode_eof(&mut this.read_buf) {
                    Ok(Some(message)) => Poll::Ready(Some(Ok(message))),
                    _ => {
                        this.failed = true;
                        Poll::Ready(Some(Err(Error::ResetWithoutClose)))
                    }
                };
            }
            if let Err(e) = this.poll_timers(cx) {
                return Poll::Ready(Some(Err(e)));
            }
            match this.poll_fill(cx) {
                Poll::Ready(Ok(0)) => this.eof = true,
                Poll::Ready(Ok(_)) => {
                    this.idle_active = true;
                    this.keepalive_active = true;
                }
                Poll::Ready(Err(e)) => {
                    this.failed = true;
                    this.done = true;
                    return Poll::Ready(Some(Err(Error::Io(e))));
                }
                Poll::Pending => {
                    if this.read_buf.is_empty() {
                        // Idle: keep no read buffer (an empty one may still
                        // hold a reference to a large allocation).
                        this.read_buf = BytesMut::new();
                        this.codec.release_buffers();
                    }
                    return Poll::Pending;
                }
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> Sink<Message> for WebSocketStream<S> {
    type Error = Error;

    fn poll_ready(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = &mut *self;
        if this.close_sent || this.done {
            return Poll::Ready(Err(Error::ConnectionClosed));
        }
        if this.writes.queued >= this.write_buffer_size {
            match this.poll_write_queue(cx, Side::Writer) {
                Poll::Ready(Err(e)) => return Poll::Ready(Err(Error::Io(e))),
                Poll::Ready(Ok(())) => {}
                Poll::Pending if this.writes.queued >= this.write_buffer_size => {
                    return Poll::Pending
                }
                Poll::Pending => {}
            }
        }
        Poll::Ready(Ok(()))
    }

    fn start_send(mut self: Pin<&mut Self>, message: Message) -> Result<(), Error> {
        if self.done {
            return Err(Error::ConnectionClosed);
        }
        self.queue_message(message)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        self.poll_flush_all(cx, Side::Writer).map_err(Error::Io)
    }

    fn poll_close(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<(), Error>> {
        let this = &mut *self;
        if !this.close_sent && !this.done {
            this.queue_close(Some(&CloseFrame::new(CloseCode::Normal, "")))?;
        }
        // Wait for the peer's Close, discarding what arrives before it.
        while !this.close_received && !this.failed && !this.done && !this.eof {
            match Pin::new(&mut *this).poll_next(cx) {
                Poll::Ready(Some(_)) => {}
                Poll::Ready(None) => break,
                Poll::Pending => return Poll::Pending,
            }
        }
        std::task::ready!(this.poll_finish(cx));
        Poll::Ready(Ok(()))
    }
}

/// Frames waiting to be written: control frames, then data frames, each
/// kept as its header and payload (no copy of the payload).
#[derive(Default)]
struct WriteQueue {
    control: VecDeque<EncodedFrame>,
    data: VecDeque<EncodedFrame>,
    /// Whether the front data frame has been partly written (control frames
    /// must then wait behind it).
    data_started: bool,
    queued: usize,
}

impl WriteQueue {
    fn push_control(&mut self, frame: EncodedFrame) {
        self.queued += frame.remaining();
        self.control.push_back(frame);
    }

    fn push_data(&mut self, frame: EncodedFrame) {
        self.queued += frame.remaining();
        self.data.push_back(frame);
    }

    fn is_empty(&self) -> bool {
        self.queued == 0
    }

    /// Drops the data frames that have not started to be written.
    fn drop_unstarted_data(&mut self) {
        let keep = usize::from(self.data_started);
        for frame in self.data.drain(keep..) {
            self.queued -= frame.remaining();
        }
    }

    /// Whether a control frame queued now would be the next thing written.
    fn control_is_next(&self) -> bool {
        self.control.is_empty() && !self.data_started
    }

    fn release(&mut self) {
        if self.control.capacity() > 8 {
            self.control = VecDeque::new();
        }
        if self.data.capacity() > 8 {
            self.data = VecDeque::new();
        }
    }

    /// The order of writing: the partly written data frame, then control
    /// frames, then the other data frames.
    fn ordered(&self) -> impl Iterator<Item = &EncodedFrame> {
        let first = self.data.front().filter(|_| self.data_started);
        let rest = self.data.iter().skip(usize::from(self.data_started));
        first.into_iter().chain(self.control.iter()).chain(rest)
    }

    fn slices<'a>(&'a self, dst: &mut [IoSlice<'a>]) -> usize {
        let mut n = 0;
        for frame in self.ordered() {
            if n >= dst.len() {
                break;
            }
            n += frame.chunks_vectored(dst.get_mut(n..).unwrap_or_default());
        }
        n
    }

    fn advance(&mut self, mut written: usize) {
        self.queued -= written;
        while written > 0 {
            let from_data = self.data_started || self.control.is_empty();
            let queue = if from_data {
                &mut self.data
            } else {
                &mut self.control
            };
            let Some(front) = queue.front_mut() else {
                break;
            };
            let take = front.remaining().min(written);
            front.advance(take);
            written -= take;
            if front.remaining() == 0 {
                queue.pop_front();
                if from_data {
                    self.data_started = false;
                }
            } else if from_data {
                self.data_started = true;
            }
        }
    }
}
