//! [`MessageCodec`]: frames to messages and back.

use bytes::{Bytes, BytesMut};
use tether_frame::{
    CloseFrame, EncodedFrame, Frame, FrameCodec, FrameHeader, OpCode, Role, Rsv, Utf8Buf,
    Utf8Bytes, Utf8Validator,
};
use tokio_util::codec::{Decoder, Encoder};

use crate::{DataKind, Error, Message, MessageChunk, MessageConfig};

/// Decodes RFC 6455 frames into [`Message`]s and encodes messages as frames.
///
/// Wraps a [`FrameCodec`]; works over any read boundaries (one read holding
/// the end of one message and three more, or one message over a thousand
/// reads decode the same).
///
/// # Receiving
///
/// * A message in a single frame is handed out as that frame's payload, split
///   from the read buffer: no copy (a text frame that arrives over several
///   reads is joined back without a copy too, as long as the read buffer
///   was not reallocated in between). A fragmented message is assembled in
///   one buffer sized from the frame headers.
/// * Control frames between fragments are returned at once; the message being
///   assembled is untouched.
/// * Text is validated as its bytes arrive, inside partial frames and across
///   fragments and reads; an invalid sequence fails the message (1007) as
///   soon as the bytes that prove it are in, even if the rest of the
///   message never comes. A frame that arrives over several reads is
///   checked in the read buffer as it comes, then validated again whole
///   once complete (the buffer is the caller's, so what was checked there
///   could change before the frame is handed out). With deferred
///   validation ([`set_deferred_validation`](MessageCodec::set_deferred_validation),
///   what `tether-ws` uses) the bytes are instead split off the read buffer
///   and validated once, in 64 KiB batches and whenever the driver is about
///   to wait.
/// * Limits: the message size is checked against each frame's declared
///   length before its payload is buffered, and the fragment count per
///   message is bounded ([`MessageConfig`]).
/// * [`decode_chunk`](MessageCodec::decode_chunk) hands out the data of a
///   message in chunks as they arrive instead, with the same rules, for
///   messages too large to hold; it can take over in the middle of a
///   message that `decode` started.
///
/// | state | on text/binary | on continuation | on control |
/// |---|---|---|---|
/// | idle | FIN: message; else open a message | error 1002 | message |
/// | assembling | error 1002 | append; FIN: message, idle | message |
///
/// Per-connection state beyond the frame codec: the open message's buffer
/// (a single-frame message never uses it), a 4-byte UTF-8 carry, and
/// counters. Between messages the buffer of the last fragmented one is kept
/// for reuse if it is at most 4 MiB (its memory is shared with that message
/// until the application drops it);
/// [`release_buffers`](MessageCodec::release_buffers) drops it.
///
/// # Sending
///
/// [`Encoder<Message>`] writes a message as one frame, or as several of at
/// most [`MessageConfig::fragment_size`] bytes. [`Encoder<Fragment>`] sends a
/// large message piece by piece, so control messages (a pong, a close) can be
/// encoded between its fragments.
#[derive(Debug)]
pub struct MessageCodec {
    frames: FrameCodec,
    config: MessageConfig,
    /// The data message being received, once its first frame is known.
    incoming: Option<Incoming>,
    /// Binary fragments assembled so far (its capacity kept between
    /// messages, up to a bound).
    binary: BytesMut,
    /// The text of the incoming text message so far: fragments, and the
    /// pieces of the frame still arriving, validated as they came in.
    text: Utf8Buf,
    /// A second chunk produced by the same step (a carried code point goes
    /// out on its own, then the rest of the piece).
    ready: Option<MessageChunk>,
    /// The streamed message being sent, with its text validator.
    outgoing: Option<(DataKind, Utf8Validator)>,
    /// Text of a frame still arriving is validated in batches; see
    /// [`set_deferred_validation`](MessageCodec::set_deferred_validation).
    defer_validation: bool,
    /// Without deferral: the text frame still arriving is checked in the
    /// read buffer as its bytes come (to fail fast), by a copy of the
    /// message's validator; `probed` of its payload bytes are checked. The
    /// check that the message is handed out on is made again on the whole
    /// frame once it is complete (the read buffer is the caller's: what
    /// was checked there may change).
    probe: Utf8Validator,
    probed: usize,
    /// permessage-deflate state, when in force (boxed: off the hot path and
    /// one pointer when off).
    #[cfg(feature = "deflate")]
    deflate: Option<Box<crate::deflate::Deflate>>,
    /// The next data message (or streamed message) goes out uncompressed.
    uncompressed_next: bool,
    /// Whether the streamed message being sent is compressed.
    #[cfg(feature = "deflate")]
    outgoing_compressed: bool,
}

/// With deferred validation, text still arriving is validated once this
/// much of it is buffered.
const VALIDATE_BATCH: usize = 64 << 10;

/// With deferred validation, the compressed bytes of a frame still
/// arriving are inflated once this much of them is buffered (or the frame
/// is complete): inflating in few large calls is faster than once per read
/// (see `deflate::INFLATE_CHUNK`).
#[cfg(feature = "deflate")]
const INFLATE_BATCH: usize = 256 << 10;

/// The largest assembly buffer kept for the next fragmented message.
const SPARE_MAX: usize = 4 << 20;

/// The data message being received.
#[derive(Debug, Clone, Copy)]
struct Incoming {
    kind: DataKind,
    /// Frames of the message whose header has been checked (the one in
    /// progress included).
    fragments: usize,
    /// Payload bytes of the message so far (completed frames, and the
    /// pieces of the frame in progress already taken).
    size: u64,
    /// Whether the header of the frame in progress has been checked and
    /// counted.
    frame_checked: bool,
    /// Whether bytes of the (text) frame in progress were taken out of the
    /// read buffer: the rest must follow them the same way.
    frame_taken: bool,
    /// Whether the frame in progress is the message's last (FIN).
    last_frame: bool,
    /// Whether the message is being handed out in chunks, and if so whether
    /// the next chunk is its first.
    chunked: Option<bool>,
    /// Whether the message is compressed (RSV1 on its first frame, with
    /// permessage-deflate in force): `size` then counts inflated bytes.
    compressed: bool,
}

/// A piece of a message sent in several frames with
/// [`Encoder<Fragment>`](MessageCodec#impl-Encoder<Fragment>-for-MessageCodec).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Fragment {
    /// The first piece: the message's kind and its first bytes.
    Start(DataKind, Bytes),
    /// A middle piece.
    Continue(Bytes),
    /// The last piece (may be empty).
    End(Bytes),
}

fn invalid_utf8(e: tether_frame::InvalidUtf8) -> Error {
    Error::InvalidUtf8 {
        valid_up_to: e.valid_up_to,
    }
}

impl MessageCodec {
    /// A codec for `role` with the default configuration.
    pub fn new(role: Role) -> MessageCodec {
        MessageCodec::with_config(role, MessageConfig::default())
    }

    /// A codec for `role` with `config`.
    pub fn with_config(role: Role, config: MessageConfig) -> MessageCodec {
        #[cfg(feature = "deflate")]
        let deflate = config.deflate.clone();
        #[cfg_attr(not(feature = "deflate"), allow(unused_mut))]
        let mut codec = MessageCodec {
            frames: FrameCodec::with_config(role, config.frame.clone()),
            config,
            incoming: None,
            binary: BytesMut::new(),
            text: Utf8Buf::new(),
            ready: None,
            outgoing: None,
            defer_validation: false,
            probe: Utf8Validator::new(),
            probed: 0,
            #[cfg(feature = "deflate")]
            deflate: None,
            uncompressed_next: false,
            #[cfg(feature = "deflate")]
            outgoing_compressed: false,
        };
        #[cfg(feature = "deflate")]
        codec.set_deflate(deflate);
        codec
    }

    /// Puts permessage-deflate (RFC 7692) in force with `params`, as
    /// negotiated by a handshake, or turns it off with `None`: RSV1 is
    /// allowed (or no longer) in the frame layer, and what is sent and
    /// received from now on is compressed per `params` and this codec's
    /// role (a server compresses with the `server_*` parameters and
    /// decompresses with the `client_*` ones; a client the opposite).
    ///
    /// Call it between messages (right after the handshake); the
    /// compression contexts start empty.
    #[cfg(feature = "deflate")]
    pub fn set_deflate(&mut self, params: Option<crate::DeflateParams>) {
        let role = self.frames.role();
        let rsv = crate::deflate::allowed_rsv(self.frames.config().allowed_rsv, params.is_some());
        self.frames.set_allowed_rsv(rsv);
        self.config.frame.allowed_rsv = rsv;
        self.config.deflate = params.clone();
        self.deflate = params.map(|p| Box::new(crate::deflate::Deflate::new(p, role)));
    }

    /// The permessage-deflate parameters in force, if any.
    #[cfg(feature = "deflate")]
    pub fn deflate(&self) -> Option<&crate::DeflateParams> {
        self.config.deflate.as_ref()
    }

    /// The per-message opt-out of compression: the next text or binary
    /// message, whichever encode method sends it (`encode`,
    /// [`encode_frames`](MessageCodec::encode_frames),
    /// [`encode_into`](MessageCodec::encode_into),
    /// [`encode_slice_into`](MessageCodec::encode_slice_into)), or the next
    /// streamed message ([`Fragment::Start`]), is sent uncompressed (RSV1
    /// clear), as for secret data that must not share a compression
    /// context with attacker-chosen data. Control messages do not use it
    /// up. Without permessage-deflate in force (or without the `deflate`
    /// feature) messages are uncompressed anyway and this only has to be
    /// used up.
    pub fn next_uncompressed(&mut self) {
        self.uncompressed_next = true;
    }

    /// Encodes `message` as `Encoder<Message>` does, uncompressed (see
    /// [`next_uncompressed`](MessageCodec::next_uncompressed)).
    ///
    /// # Errors
    ///
    /// As the [`Encoder<Message>`](#impl-Encoder<Message>-for-MessageCodec)
    /// impl.
    pub fn encode_uncompressed(
        &mut self,
        message: Message,
        dst: &mut BytesMut,
    ) -> Result<(), Error> {
        let data = !message.is_control();
        self.uncompressed_next |= data;
        let result = self.encode(message, dst);
        if data {
            self.uncompressed_next = false;
        }
        result
    }

    /// The configuration.
    pub fn config(&self) -> &MessageConfig {
        &self.config
    }

    /// The frame codec underneath.
    pub fn frame_codec(&self) -> &FrameCodec {
        &self.frames
    }

    /// The frame codec underneath, for changes after negotiation (RSV bits).
    pub fn frame_codec_mut(&mut self) -> &mut FrameCodec {
        &mut self.frames
    }

    /// Drops the memory kept for assembling the next fragmented message
    /// (the buffer of the last one), for a connection going idle. Costs
    /// nothing if there is none; the next fragmented message allocates.
    #[inline]
    pub fn release_buffers(&mut self) {
        if self.incoming.is_none() {
            // Even an empty view (capacity 0) may hold on to the buffer of
            // the last message, which a piece was split off (an inflated
            // text message split off its inflate buffer, say): replace them
            // whatever their capacity; dropping an unallocated one is free.
            self.binary = BytesMut::new();
            self.text = Utf8Buf::new();
        }
    }

    /// Frees the permessage-deflate zlib state kept between messages with
    /// context takeover, for a connection gone idle: about 428 KB at 15-bit
    /// windows, of which only the windows are kept (at most `2^bits` bytes
    /// per direction, see [`DeflateParams`](crate::DeflateParams)). The
    /// context is not lost: the next message in each direction primes a new
    /// state with its window. Priming the compressor costs hashing the
    /// window again (bench `deflate_release`: a 1 KiB JSON message took
    /// 46 µs to compress after a release of full 15-bit windows, 15 µs
    /// with the state kept; priming the decompressor costs about 2 µs), so
    /// call it for connections idle for a while, not between every two
    /// messages.
    ///
    /// A direction in the middle of a message keeps its state. Returns
    /// whether anything was freed; without compression in force it does
    /// nothing.
    #[cfg(feature = "deflate")]
    pub fn release_compression_state(&mut self) -> bool {
        self.deflate.as_deref_mut().is_some_and(|d| d.release())
    }

    /// Whether [`release_compression_state`](MessageCodec::release_compression_state)
    /// would free anything now.
    #[cfg(feature = "deflate")]
    pub fn holds_compression_state(&self) -> bool {
        self.deflate
            .as_deref()
            .is_some_and(|d| d.holds_releasable_state())
    }

    /// Whether a data message is being received (some of its frames or
    /// bytes have arrived, not its end).
    pub fn is_receiving_fragments(&self) -> bool {
        self.incoming.is_some()
    }

    /// Whether the message being received is being handed out in chunks by
    /// [`decode_chunk`](MessageCodec::decode_chunk) (`decode` must not be
    /// called until it ends).
    pub fn is_receiving_chunks(&self) -> bool {
        self.incoming.is_some_and(|m| m.chunked.is_some()) || self.ready.is_some()
    }

    /// Whether a streamed message is being sent.
    pub fn is_sending_fragments(&self) -> bool {
        self.outgoing.is_some()
    }

    /// Payload bytes of the incoming message before the frame in progress.
    fn message_size(&self) -> u64 {
        self.incoming.map_or(0, |m| m.size)
    }

    /// The data frame limit for the next header: what is left of the message
    /// budget, within the frame limit.
    #[inline]
    fn update_frame_limit(&mut self) {
        let left = self
            .config
            .max_message_size
            .saturating_sub(self.message_size());
        self.frames
            .set_max_frame_size(left.min(self.config.frame.max_frame_size));
    }

    fn map_frame_error(&self, e: tether_frame::Error) -> Error {
        match e {
            tether_frame::Error::FrameTooLarge { len, .. }
                if self.message_size().saturating_add(len) > self.config.max_message_size =>
            {
                Error::MessageTooBig {
                    size: self.message_size().saturating_add(len),
                    max: self.config.max_message_size,
                }
            }
            other => Error::Frame(other),
        }
    }

    /// Checks a data frame's header against the message in progress (order,
    /// fragment count), once per frame, and opens a message for a text or
    /// binary frame. The size was checked by the frame codec's limit.
    fn check_header(&mut self, header: &FrameHeader) -> Result<(), Error> {
        if self.incoming.is_some_and(|m| m.frame_checked) {
            return Ok(());
        }
        match (header.opcode, &mut self.incoming) {
            (OpCode::Ping | OpCode::Pong | OpCode::Close, _) => Ok(()),
            (OpCode::Text | OpCode::Binary, Some(_)) => Err(Error::MessageInProgress),
            (OpCode::Continuation, None) => {
                #[cfg(feature = "deflate")]
                if header.rsv.rsv1() && self.deflate.is_some() {
                    return Err(Error::CompressedContinuation);
                }
                Err(Error::UnexpectedContinuation)
            }
            (OpCode::Continuation, Some(m)) => {
                #[cfg(feature = "deflate")]
                if header.rsv.rsv1() && self.deflate.is_some() {
                    return Err(Error::CompressedContinuation);
                }
                if m.fragments >= self.config.max_fragments {
                    return Err(Error::TooManyFragments {
                        max: self.config.max_fragments,
                    });
                }
                m.fragments += 1;
                m.frame_checked = true;
                m.last_frame = header.fin;
                self.probe = self.text.validator().clone();
                self.probed = 0;
                Ok(())
            }
            (opcode @ (OpCode::Text | OpCode::Binary), None) => {
                let kind = if opcode == OpCode::Text {
                    DataKind::Text
                } else {
                    DataKind::Binary
                };
                self.start_message(kind);
                #[cfg(feature = "deflate")]
                let compressed = header.rsv.rsv1() && self.deflate.is_some();
                #[cfg(not(feature = "deflate"))]
                let compressed = false;
                if let Some(m) = self.incoming.as_mut() {
                    m.frame_checked = true;
                    m.last_frame = header.fin;
                    m.compressed = compressed;
                }
                self.probe = Utf8Validator::new();
                self.probed = 0;
                Ok(())
            }
        }
    }

    fn start_message(&mut self, kind: DataKind) {
        self.incoming = Some(Incoming {
            kind,
            fragments: 1,
            size: 0,
            frame_checked: false,
            frame_taken: false,
            last_frame: false,
            chunked: None,
            compressed: false,
        });
        match kind {
            DataKind::Text => self.text.clear(),
            DataKind::Binary => self.binary.clear(),
        }
    }

    /// The frame in progress is complete.
    fn end_frame(&mut self, len: usize) {
        if let Some(m) = self.incoming.as_mut() {
            m.frame_checked = false;
            m.size = m.size.saturating_add(len as u64);
        }
    }

    /// The message is complete: keep its buffer's spare room, within bound.
    fn end_message(&mut self) {
        self.incoming = None;
        if self.binary.capacity() > SPARE_MAX {
            self.binary = BytesMut::new();
        }
        if self.text.capacity() > SPARE_MAX {
            self.text = Utf8Buf::new();
        }
    }

    fn finish_text(&mut self) -> Result<Message, Error> {
        let text = self.text.take_text().ok_or(Error::IncompleteUtf8);
        self.end_message();
        text.map(Message::Text)
    }

    fn finish_binary(&mut self) -> Message {
        let data = self.binary.split().freeze();
        self.end_message();
        Message::Binary(data)
    }

    /// Takes the bytes of the text frame in progress that are in `src`,
    /// validating them as they come out of the read buffer. Returns the
    /// message if they completed it.
    fn take_text(&mut self, src: &mut BytesMut) -> Result<Option<Message>, Error> {
        let Some((header, piece, complete)) = self.frames.take_partial_payload(src) else {
            return Ok(None);
        };
        let len = piece.len();
        self.text.push(piece).map_err(invalid_utf8)?;
        if let Some(m) = self.incoming.as_mut() {
            m.size = m.size.saturating_add(len as u64);
            m.frame_taken = !complete;
            m.frame_checked = !complete;
        }
        if !complete {
            return Ok(None);
        }
        if header.fin {
            return self.finish_text().map(Some);
        }
        Ok(None)
    }

    /// A data frame still arriving: checks its header at once (order,
    /// fragment count), and takes the bytes of a text frame to validate
    /// them as they arrive.
    fn on_partial(&mut self, src: &mut BytesMut) -> Result<Option<Message>, Error> {
        let Some(header) = self.frames.frame_in_progress().copied() else {
            return Ok(None);
        };
        if header.opcode.is_control() {
            // Checked whole when complete; the message around it is untouched.
            return Ok(None);
        }
        self.check_header(&header)?;
        #[cfg(feature = "deflate")]
        if self.incoming.is_some_and(|m| m.compressed) {
            return self.inflate_partial(src, self.defer_validation);
        }
        match self.incoming {
            // Deferred: validated in batches, or when the driver is about to
            // wait (`validate_buffered`).
            Some(m)
                if m.kind == DataKind::Text
                    && self.defer_validation
                    && (m.frame_taken || src.len() >= VALIDATE_BATCH) =>
            {
                self.take_text(src)
            }
            Some(m) if m.kind == DataKind::Text && !self.defer_validation => {
                self.probe_text(src).map(|()| None)
            }
            // Binary payloads are not looked at before they are complete.
            _ => Ok(None),
        }
    }

    /// Checks the new bytes of the text frame still arriving where they are,
    /// to fail as soon as they prove the text invalid.
    fn probe_text(&mut self, src: &mut BytesMut) -> Result<(), Error> {
        let Some((_, prefix)) = self.frames.partial_payload(src) else {
            return Ok(());
        };
        if let Some(fresh) = prefix.get(self.probed..) {
            if !fresh.is_empty() {
                self.probe.feed(fresh).map_err(invalid_utf8)?;
                self.probed = prefix.len();
            }
        }
        Ok(())
    }

    /// The control message at the front of `src`, if a whole one is there
    /// and nothing comes before it (between frames; a chunk already
    /// decoded would go first); data frames are left untouched. For a
    /// driver that must answer pings while the application only sends.
    ///
    /// # Errors
    ///
    /// As `decode` (a malformed control frame, such as a bad close code).
    pub fn decode_control(&mut self, src: &mut BytesMut) -> Result<Option<Message>, Error> {
        if self.ready.is_some() || !self.frames.next_is_control(src) {
            return Ok(None);
        }
        if self.is_receiving_chunks() {
            return match self.decode_chunk(src)? {
                Some(MessageChunk::Control(message)) => Ok(Some(message)),
                // Cannot happen: a control frame is next and nothing is
                // held; keep the chunk for the next call all the same.
                Some(other) => {
                    self.ready = Some(other);
                    Ok(None)
                }
                None => Ok(None),
            };
        }
        self.decode(src)
    }

    /// Validates the text of a frame still arriving that is in `src` (and
    /// takes it out of the buffer), or inflates the compressed bytes of
    /// one (validating and counting what they inflate to), as `decode` does
    /// when deferred validation is off. A driver that turned deferral on calls this when
    /// the transport has nothing more to read for now, so that invalid text
    /// fails the connection before it waits for more bytes.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidUtf8`], as `decode` would return it.
    pub fn validate_buffered(&mut self, src: &mut BytesMut) -> Result<(), Error> {
        // Bytes that complete the frame are left for `decode`, which hands
        // out the message they complete.
        let completes = self
            .frames
            .remaining_payload()
            .is_none_or(|rest| src.len() >= rest);
        match self.incoming {
            Some(m)
                if m.kind == DataKind::Text
                    && m.frame_checked
                    && m.chunked.is_none()
                    && !m.compressed
                    && !completes =>
            {
                self.take_text(src).map(|_| ())
            }
            // The compressed bytes held back for a batch are inflated now
            // (text validated, size counted); they do not complete the
            // message.
            #[cfg(feature = "deflate")]
            Some(m)
                if m.compressed
                    && m.frame_checked
                    && m.chunked.is_none()
                    && !completes
                    && !src.is_empty() =>
            {
                self.inflate_partial(src, false).map(|_| ())
            }
            _ => Ok(()),
        }
    }

    /// With `true`, `decode` validates the text of a frame still arriving
    /// in batches of 64 KiB (and whole when it completes) instead of on
    /// every call, which is cheaper when reads are small, and inflates a
    /// compressed frame still arriving in batches of 256 KiB of compressed
    /// bytes (zlib inflates faster in fewer, larger calls); the driver must
    /// then call [`validate_buffered`](MessageCodec::validate_buffered)
    /// before it waits for more bytes, to keep failing fast. Off by default
    /// (a `Framed` over this codec has no such hook).
    pub fn set_deferred_validation(&mut self, on: bool) {
        self.defer_validation = on;
    }

    fn on_frame(&mut self, frame: Frame) -> Result<Option<Message>, Error> {
        let Frame {
            fin,
            opcode,
            payload,
            ..
        } = frame;
        #[cfg(feature = "deflate")]
        if frame.rsv.rsv1() && opcode.is_control() && self.deflate.is_some() {
            return Err(Error::CompressedControlFrame);
        }
        match opcode {
            OpCode::Ping => return Ok(Some(Message::Ping(payload))),
            OpCode::Pong => return Ok(Some(Message::Pong(payload))),
            OpCode::Close => return Ok(Some(Message::Close(CloseFrame::parse(&payload)?))),
            _ => {}
        }
        #[cfg(feature = "deflate")]
        if (frame.rsv.rsv1() && self.deflate.is_some())
            || self.incoming.is_some_and(|m| m.compressed)
        {
            return self.on_compressed_frame(fin, frame.rsv, opcode, payload);
        }
        // A whole message in one frame (its header may have been checked
        // while it arrived): no copy, one validation.
        let single = fin
            && opcode != OpCode::Continuation
            && self.incoming.is_none_or(|m| {
                m.frame_checked
                    && m.fragments == 1
                    && m.size == 0
                    && !m.frame_taken
                    && m.chunked.is_none()
            });
        if single {
            self.incoming = None;
            return match opcode {
                OpCode::Text => match Utf8Bytes::try_from(payload) {
                    Ok(text) => Ok(Some(Message::Text(text))),
                    // Only the error path looks again: cut short, or invalid.
                    Err(e) => match Utf8Validator::new().feed(&e.into_bytes()) {
                        Ok(()) => Err(Error::IncompleteUtf8),
                        Err(e) => Err(invalid_utf8(e)),
                    },
                },
                _ => Ok(Some(Message::Binary(payload))),
            };
        }
        let header = FrameHeader {
            fin,
            rsv: frame.rsv,
            opcode,
            mask: None,
            payload_len: payload.len() as u64,
        };
        self.check_header(&header)?;
        let Some(m) = self.incoming else {
            return Err(Error::UnexpectedContinuation);
        };
        match m.kind {
            DataKind::Text => self
                .text
                .extend_from_slice(&payload)
                .map_err(invalid_utf8)?,
            DataKind::Binary => {
                if self.binary.capacity() - self.binary.len() < payload.len() {
                    // At least double: each regrowth copies what is there.
                    let want = payload.len().max(self.binary.len());
                    self.binary.reserve(want);
                }
                self.binary.extend_from_slice(&payload);
            }
        }
        self.end_frame(payload.len());
        if !fin {
            return Ok(None);
        }
        match m.kind {
            DataKind::Text => self.finish_text().map(Some),
            DataKind::Binary => Ok(Some(self.finish_binary())),
        }
    }

    /// Decodes the next piece of a message as it arrives: a data chunk (text
    /// on code point boundaries, validated), or a whole control message.
    ///
    /// The same rules as `decode` apply (message order, fail-fast UTF-8,
    /// the size and fragment limits), but no message is assembled, so a
    /// message of any size within the limits passes through a read buffer of
    /// about one read. Each call returns at most one chunk; a data frame
    /// yields a chunk per call that finds new bytes of it (a cut code point
    /// is held back, at most 3 bytes, and handed out with the bytes that
    /// complete it). If `decode` had started assembling a fragmented
    /// message, its first chunk is what was assembled. Once the last chunk
    /// of a message (`last: true`) is out, `decode` may be called again;
    /// calling it earlier is [`Error::ChunkedMessageInProgress`].
    ///
    /// # Errors
    ///
    /// As `decode`.
    pub fn decode_chunk(&mut self, src: &mut BytesMut) -> Result<Option<MessageChunk>, Error> {
        if let Some(ready) = self.ready.take() {
            return Ok(Some(ready));
        }
        loop {
            if let Some(m) = self.incoming {
                if m.chunked.is_none() {
                    if let Some(chunk) = self.take_assembled() {
                        return Ok(Some(chunk));
                    }
                }
                if m.frame_checked {
                    let Some((header, piece, complete)) = self.frames.take_partial_payload(src)
                    else {
                        return Ok(None);
                    };
                    let last = header.fin && complete;
                    #[cfg(feature = "deflate")]
                    let piece = if m.compressed {
                        self.inflate_chunk(&piece, last)?
                    } else {
                        piece
                    };
                    let chunk = self.data_chunk(piece, last)?;
                    if complete {
                        self.end_chunked_frame(header.fin);
                    }
                    match chunk {
                        Some(chunk) => return Ok(Some(chunk)),
                        None => continue,
                    }
                }
            }
            self.update_frame_limit();
            match self.frames.decode(src) {
                Ok(Some(frame)) => {
                    let Frame {
                        fin,
                        rsv,
                        opcode,
                        payload,
                    } = frame;
                    #[cfg(feature = "deflate")]
                    if rsv.rsv1() && opcode.is_control() && self.deflate.is_some() {
                        return Err(Error::CompressedControlFrame);
                    }
                    let control = match opcode {
                        OpCode::Ping => Message::Ping(payload),
                        OpCode::Pong => Message::Pong(payload),
                        OpCode::Close => Message::Close(CloseFrame::parse(&payload)?),
                        _ => {
                            let header = FrameHeader {
                                fin,
                                rsv,
                                opcode,
                                mask: None,
                                payload_len: payload.len() as u64,
                            };
                            self.check_header(&header)?;
                            self.mark_chunked();
                            // A whole frame: its payload is one chunk (a
                            // copy only for text that must be joined to a
                            // cut code point held back).
                            #[cfg(feature = "deflate")]
                            let chunk = if self.incoming.is_some_and(|m| m.compressed) {
                                let piece = self.inflate_chunk(&payload, fin)?;
                                self.data_chunk(piece, fin)?
                            } else {
                                self.data_chunk(BytesMut::from(payload), fin)?
                            };
                            #[cfg(not(feature = "deflate"))]
                            let chunk = self.data_chunk(BytesMut::from(payload), fin)?;
                            self.end_chunked_frame(fin);
                            match chunk {
                                Some(chunk) => return Ok(Some(chunk)),
                                None => continue,
                            }
                        }
                    };
                    return Ok(Some(MessageChunk::Control(control)));
                }
                Ok(None) => {
                    let Some(header) = self.frames.frame_in_progress().copied() else {
                        return Ok(None);
                    };
                    if header.opcode.is_control() {
                        return Ok(None);
                    }
                    self.check_header(&header)?;
                    self.mark_chunked();
                    if src.is_empty() {
                        return Ok(None);
                    }
                }
                Err(e) => return Err(self.map_frame_error(e)),
            }
        }
    }

    /// As [`decode_chunk`](MessageCodec::decode_chunk), at the end of the
    /// stream: the next chunk, or, once none is left, an error if the
    /// stream ended inside a frame or a message.
    ///
    /// # Errors
    ///
    /// As `decode_chunk`, and [`tether_frame::Error::Truncated`] for a
    /// stream that ends inside a frame or a message.
    pub fn decode_chunk_eof(&mut self, src: &mut BytesMut) -> Result<Option<MessageChunk>, Error> {
        if let Some(chunk) = self.decode_chunk(src)? {
            return Ok(Some(chunk));
        }
        self.check_end(src).map(|_| None)
    }

    /// At the end of the stream with nothing left to hand out: an error if
    /// it ended inside a frame or a message.
    fn check_end(&self, src: &BytesMut) -> Result<Option<Message>, Error> {
        if !src.is_empty() || !self.frames.is_between_frames() || self.incoming.is_some() {
            let held = self.binary.len() + self.text.len();
            return Err(Error::Frame(tether_frame::Error::Truncated {
                buffered: src.len() + held,
            }));
        }
        Ok(None)
    }

    /// Switches a message that starts now to chunked delivery (one that
    /// `decode` started is switched by `take_assembled`).
    fn mark_chunked(&mut self) {
        if let Some(m) = self.incoming.as_mut() {
            if m.chunked.is_none() && m.size == 0 && m.fragments == 1 {
                m.chunked = Some(true);
            }
        }
    }

    /// What `decode` assembled of a message before chunked delivery took
    /// over, as its first chunk (`None` if nothing was).
    fn take_assembled(&mut self) -> Option<MessageChunk> {
        let m = self.incoming.as_mut()?;
        if m.size == 0 {
            m.chunked = Some(true);
            return None;
        }
        m.chunked = Some(false);
        Some(match m.kind {
            DataKind::Binary => MessageChunk::Binary {
                data: self.binary.split().freeze(),
                first: true,
                last: false,
            },
            // Whole code points; a cut one stays in the buffer and goes out
            // with the bytes that complete it.
            DataKind::Text => {
                let data = self.text.take_complete();
                if data.is_empty() {
                    m.chunked = Some(true);
                    return None;
                }
                MessageChunk::Text {
                    data,
                    first: true,
                    last: false,
                }
            }
        })
    }

    /// A data chunk of the chunked message from `piece` (validated, if
    /// text); `None` if there is nothing to hand out (an empty piece that is
    /// not the last, or one that only holds part of a code point).
    fn data_chunk(&mut self, piece: BytesMut, last: bool) -> Result<Option<MessageChunk>, Error> {
        let Some(m) = self.incoming.as_mut() else {
            return Err(Error::UnexpectedContinuation);
        };
        m.size = m.size.saturating_add(piece.len() as u64);
        let first = m.chunked.unwrap_or(true);
        let kind = m.kind;
        if piece.is_empty() && !last {
            return Ok(None);
        }
        let (one, two) = match kind {
            DataKind::Binary => (
                MessageChunk::Binary {
                    data: piece.freeze(),
                    first,
                    last,
                },
                None,
            ),
            DataKind::Text => {
                let pieces = self.text.push_pieces(piece).map_err(invalid_utf8)?;
                if last && !self.text.is_complete() {
                    return Err(Error::IncompleteUtf8);
                }
                let body = (!pieces.body.is_empty() || last).then_some(pieces.body);
                let (one, two) = match (pieces.carried, body) {
                    (Some(carried), body) => (carried, body),
                    (None, Some(body)) => (body, None),
                    // Only part of a code point: nothing to hand out yet.
                    (None, None) => return Ok(None),
                };
                (
                    MessageChunk::Text {
                        data: one,
                        first,
                        last: last && two.is_none(),
                    },
                    two.map(|data| MessageChunk::Text {
                        data,
                        first: false,
                        last,
                    }),
                )
            }
        };
        if let Some(m) = self.incoming.as_mut() {
            m.chunked = Some(false);
        }
        self.ready = two;
        Ok(Some(one))
    }

    /// The chunked frame in progress is complete; so is the message if it
    /// was the last frame.
    fn end_chunked_frame(&mut self, fin: bool) {
        if let Some(m) = self.incoming.as_mut() {
            m.frame_checked = false;
        }
        if fin {
            self.end_message();
        }
    }

    fn send_frame(&mut self, frame: Frame, dst: &mut BytesMut) -> Result<(), Error> {
        self.frames.encode(frame, dst).map_err(Error::Frame)
    }

    fn send_data(
        &mut self,
        opcode: OpCode,
        payload: Bytes,
        dst: &mut BytesMut,
    ) -> Result<(), Error> {
        if self.outgoing.is_some() {
            return Err(Error::OutgoingFragmentOrder);
        }
        let (payload, rsv) = self.outgoing_payload(payload)?;
        for frame in data_frames(opcode, payload, self.config.fragment_size, rsv) {
            self.send_frame(frame, dst)?;
        }
        Ok(())
    }

    /// Encodes `message` as frames ready for a vectored write and hands them
    /// to `push` in order: text and binary fragmented per
    /// [`MessageConfig::fragment_size`], each frame's header and payload kept
    /// apart (a server's payload is not copied; a client's is masked as
    /// [`FrameCodec::encode_frame`] does, never the caller's shared bytes).
    ///
    /// For a transport that writes frames itself rather than into one
    /// buffer, such as a connection with a write queue.
    ///
    /// # Errors
    ///
    /// As the [`Encoder<Message>`](#impl-Encoder<Message>-for-MessageCodec)
    /// impl; nothing is pushed on error.
    pub fn encode_frames(
        &mut self,
        message: Message,
        mut push: impl FnMut(EncodedFrame),
    ) -> Result<(), Error> {
        let frame = match message {
            Message::Text(text) => (OpCode::Text, text.into_bytes()),
            Message::Binary(data) => (OpCode::Binary, data),
            Message::Ping(data) => return self.push_frame(Frame::ping(data), push),
            Message::Pong(data) => return self.push_frame(Frame::pong(data), push),
            Message::Close(close) => return self.push_frame(Frame::close(close.as_ref())?, push),
        };
        if self.outgoing.is_some() {
            return Err(Error::OutgoingFragmentOrder);
        }
        let (payload, rsv) = self.outgoing_payload(frame.1)?;
        // Data frames always validate: nothing can fail after the first.
        for frame in data_frames(frame.0, payload, self.config.fragment_size, rsv) {
            push(self.frames.encode_frame(frame)?);
        }
        Ok(())
    }

    /// Encodes `message` for a write queue that copies small frames and
    /// passes large payloads by reference: for each frame (fragmented per
    /// [`MessageConfig::fragment_size`]), its header, and its payload when
    /// at most `copy_max` bytes, are appended to `dst` (a client masks the
    /// copy); then `frame_done(dst, payload)` is called, with the payload to
    /// write right after `dst`'s end for a larger frame (as
    /// [`FrameCodec::encode_frame_into`] returns it), so the queue can note
    /// where the frame ends.
    ///
    /// # Errors
    ///
    /// As the [`Encoder<Message>`](#impl-Encoder<Message>-for-MessageCodec)
    /// impl; nothing is written on error.
    #[inline(always)]
    pub fn encode_into(
        &mut self,
        message: Message,
        dst: &mut BytesMut,
        copy_max: usize,
        mut frame_done: impl FnMut(&mut BytesMut, Option<Bytes>),
    ) -> Result<(), Error> {
        let (opcode, payload) = match message {
            Message::Text(text) => (OpCode::Text, text.into_bytes()),
            Message::Binary(data) => (OpCode::Binary, data),
            Message::Ping(data) => return self.control_into(Frame::ping(data), dst, frame_done),
            Message::Pong(data) => return self.control_into(Frame::pong(data), dst, frame_done),
            Message::Close(close) => {
                return self.control_into(Frame::close(close.as_ref())?, dst, frame_done)
            }
        };
        if self.outgoing.is_some() {
            return Err(Error::OutgoingFragmentOrder);
        }
        #[cfg(feature = "deflate")]
        if self.deflate.is_some() {
            return self.compressed_into(opcode, payload, dst, copy_max, frame_done);
        }
        self.uncompressed_next = false;
        let size = self.config.fragment_size.unwrap_or(usize::MAX);
        if payload.len() <= size.min(copy_max) {
            // The common case: one small frame, copied whole.
            self.frames.encode_data_into(opcode, true, &payload, dst);
            drop(payload);
            frame_done(dst, None);
            return Ok(());
        }
        if payload.len() <= size {
            // Data frames always validate: nothing can fail after the first.
            let large =
                self.frames
                    .encode_frame_into(Frame::new(opcode, payload), dst, copy_max)?;
            frame_done(dst, large);
            return Ok(());
        }
        for frame in data_frames(opcode, payload, self.config.fragment_size, Rsv::NONE) {
            let large = self.frames.encode_frame_into(frame, dst, copy_max)?;
            frame_done(dst, large);
        }
        Ok(())
    }

    /// As [`encode_into`](MessageCodec::encode_into), for a text or binary
    /// message whose payload is borrowed: it is copied (a payload over
    /// `copy_max` bytes into a buffer of its own).
    ///
    /// # Errors
    ///
    /// [`Error::OutgoingFragmentOrder`] while a streamed message is open.
    #[inline]
    pub fn encode_slice_into(
        &mut self,
        kind: DataKind,
        payload: &[u8],
        dst: &mut BytesMut,
        copy_max: usize,
        mut frame_done: impl FnMut(&mut BytesMut, Option<Bytes>),
    ) -> Result<(), Error> {
        if self.outgoing.is_some() {
            return Err(Error::OutgoingFragmentOrder);
        }
        #[cfg(feature = "deflate")]
        let plain = self.deflate.is_none();
        #[cfg(not(feature = "deflate"))]
        let plain = true;
        let size = self.config.fragment_size.unwrap_or(usize::MAX);
        if plain && payload.len() <= size.min(copy_max) {
            self.uncompressed_next = false;
            let opcode = match kind {
                DataKind::Text => OpCode::Text,
                DataKind::Binary => OpCode::Binary,
            };
            self.frames.encode_data_into(opcode, true, payload, dst);
            frame_done(dst, None);
            return Ok(());
        }
        let data = Bytes::copy_from_slice(payload);
        let message = match kind {
            DataKind::Binary => Message::Binary(data),
            // The caller's text was a `str`.
            DataKind::Text => match Utf8Bytes::try_from(data) {
                Ok(text) => Message::Text(text),
                Err(e) => {
                    return Err(Error::OutgoingInvalidUtf8 {
                        valid_up_to: e.valid_up_to(),
                    })
                }
            },
        };
        self.encode_into(message, dst, copy_max, frame_done)
    }

    /// As [`encode_into`](MessageCodec::encode_into), for one piece of a
    /// streamed message, with the checks of the
    /// [`Encoder<Fragment>`](#impl-Encoder<Fragment>-for-MessageCodec) impl.
    ///
    /// # Errors
    ///
    /// As that impl; nothing is written on error.
    pub fn encode_fragment_into(
        &mut self,
        fragment: Fragment,
        dst: &mut BytesMut,
        copy_max: usize,
        mut frame_done: impl FnMut(&mut BytesMut, Option<Bytes>),
    ) -> Result<(), Error> {
        let (frame, next) = self.fragment_frame(fragment)?;
        let frame = self.compress_fragment(frame)?;
        let large = self.frames.encode_frame_into(frame, dst, copy_max)?;
        frame_done(dst, large);
        self.outgoing = next;
        Ok(())
    }

    fn control_into(
        &mut self,
        frame: Frame,
        dst: &mut BytesMut,
        mut frame_done: impl FnMut(&mut BytesMut, Option<Bytes>),
    ) -> Result<(), Error> {
        let large = self.frames.encode_frame_into(frame, dst, usize::MAX)?;
        frame_done(dst, large);
        Ok(())
    }

    /// The frame of a streamed message's piece, after the order and UTF-8
    /// checks, and the streaming state to keep once it is written.
    #[allow(clippy::type_complexity)]
    fn fragment_frame(
        &self,
        fragment: Fragment,
    ) -> Result<(Frame, Option<(DataKind, Utf8Validator)>), Error> {
        let (kind, validator, opcode, data, fin) = match (&self.outgoing, fragment) {
            (None, Fragment::Start(kind, data)) => {
                let opcode = match kind {
                    DataKind::Text => OpCode::Text,
                    DataKind::Binary => OpCode::Binary,
                };
                (kind, Utf8Validator::default(), opcode, data, false)
            }
            (Some((kind, validator)), Fragment::Continue(data)) => {
                (*kind, validator.clone(), OpCode::Continuation, data, false)
            }
            (Some((kind, validator)), Fragment::End(data)) => {
                (*kind, validator.clone(), OpCode::Continuation, data, true)
            }
            _ => return Err(Error::OutgoingFragmentOrder),
        };
        let mut validator = validator;
        if kind == DataKind::Text {
            validator
                .feed(&data)
                .map_err(|e| Error::OutgoingInvalidUtf8 {
                    valid_up_to: e.valid_up_to,
                })?;
            if fin && !validator.is_complete() {
                return Err(Error::OutgoingIncompleteUtf8);
            }
        }
        let next = if fin { None } else { Some((kind, validator)) };
        Ok((Frame::new(opcode, data).with_fin(fin), next))
    }

    /// `encode_into` with permessage-deflate in force (out of line: the
    /// uncompressed path stays as small as without the feature).
    #[cfg(feature = "deflate")]
    #[cold]
    #[inline(never)]
    fn compressed_into(
        &mut self,
        opcode: OpCode,
        payload: Bytes,
        dst: &mut BytesMut,
        copy_max: usize,
        mut frame_done: impl FnMut(&mut BytesMut, Option<Bytes>),
    ) -> Result<(), Error> {
        let (payload, rsv) = self.outgoing_payload(payload)?;
        for frame in data_frames(opcode, payload, self.config.fragment_size, rsv) {
            let large = self.frames.encode_frame_into(frame, dst, copy_max)?;
            frame_done(dst, large);
        }
        Ok(())
    }

    /// The payload of a text or binary message to send and its RSV bits:
    /// compressed (RSV1) when permessage-deflate is in force, the message is
    /// at least the threshold long and not opted out; as it is otherwise.
    #[inline]
    fn outgoing_payload(&mut self, payload: Bytes) -> Result<(Bytes, Rsv), Error> {
        let opted_out = std::mem::take(&mut self.uncompressed_next);
        #[cfg(feature = "deflate")]
        if let Some(deflate) = self.deflate.as_deref_mut() {
            if !opted_out && payload.len() >= deflate.threshold() {
                return Ok((deflate.compress(&payload, true)?, Rsv::RSV1));
            }
        }
        let _ = opted_out;
        Ok((payload, Rsv::NONE))
    }

    /// A streamed message's frame as it is sent: compressed (RSV1 on the
    /// first) when permessage-deflate is in force and the message was not
    /// opted out when it started. Each piece is compressed with a sync
    /// flush, so what was given is on the wire at once; the last one's
    /// empty-block tail is removed.
    #[inline]
    fn compress_fragment(&mut self, frame: Frame) -> Result<Frame, Error> {
        let first = frame.opcode != OpCode::Continuation;
        let opted_out = first && std::mem::take(&mut self.uncompressed_next);
        #[cfg(feature = "deflate")]
        {
            let mut frame = frame;
            if first {
                self.outgoing_compressed = self.deflate.is_some() && !opted_out;
            }
            if let (true, Some(deflate)) = (self.outgoing_compressed, self.deflate.as_deref_mut()) {
                frame.payload = deflate.compress(&frame.payload, frame.fin)?;
                if first {
                    frame.rsv = Rsv::RSV1;
                }
            }
            Ok(frame)
        }
        #[cfg(not(feature = "deflate"))]
        {
            let _ = opted_out;
            Ok(frame)
        }
    }

    fn push_frame(
        &mut self,
        frame: Frame,
        mut push: impl FnMut(EncodedFrame),
    ) -> Result<(), Error> {
        push(self.frames.encode_frame(frame)?);
        Ok(())
    }
}

/// The frames of a data message: one, or pieces of at most `fragment_size`
/// bytes (a continuation for each after the first, FIN on the last).
fn data_frames(
    opcode: OpCode,
    payload: Bytes,
    fragment_size: Option<usize>,
    rsv: tether_frame::Rsv,
) -> impl Iterator<Item = Frame> {
    let size = fragment_size.unwrap_or(usize::MAX).max(1);
    let mut rest = Some(payload);
    let mut first = true;
    std::iter::from_fn(move || {
        let mut payload = rest.take()?;
        let piece = if payload.len() > size {
            let piece = payload.split_to(size);
            rest = Some(payload);
            piece
        } else {
            payload
        };
        let (op, bits) = if first {
            (opcode, rsv)
        } else {
            (OpCode::Continuation, tether_frame::Rsv::NONE)
        };
        first = false;
        Some(
            Frame::new(op, piece)
                .with_fin(rest.is_none())
                .with_rsv(bits),
        )
    })
}

impl Decoder for MessageCodec {
    type Item = Message;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Message>, Error> {
        if self.is_receiving_chunks() {
            return Err(Error::ChunkedMessageInProgress);
        }
        loop {
            #[cfg(feature = "deflate")]
            if self
                .incoming
                .is_some_and(|m| m.compressed && m.frame_checked)
            {
                match self.inflate_partial(src, self.defer_validation)? {
                    Some(message) => return Ok(Some(message)),
                    None if self.incoming.is_some_and(|m| m.frame_checked) => return Ok(None),
                    None => continue,
                }
            }
            if let Some(m) = self.incoming {
                if m.frame_checked && m.kind == DataKind::Text && m.frame_taken {
                    // A text frame still arriving: its bytes are taken out
                    // and validated as they come.
                    match self.take_text(src)? {
                        Some(message) => return Ok(Some(message)),
                        None if self.incoming.is_some_and(|m| m.frame_checked) => return Ok(None),
                        None => continue,
                    }
                }
            }
            self.update_frame_limit();
            let frame = match self.frames.decode(src) {
                Ok(Some(frame)) => frame,
                Ok(None) => return self.on_partial(src),
                Err(e) => return Err(self.map_frame_error(e)),
            };
            if let Some(message) = self.on_frame(frame)? {
                return Ok(Some(message));
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Message>, Error> {
        if let Some(message) = self.decode(src)? {
            return Ok(Some(message));
        }
        self.check_end(src)
    }
}

impl Encoder<Message> for MessageCodec {
    type Error = Error;

    /// Writes the message as one frame, or fragmented per
    /// [`MessageConfig::fragment_size`]. A client masks what it writes.
    ///
    /// # Errors
    ///
    /// Caller errors (nothing written): a control payload over 125 bytes, an
    /// invalid close status, or a text/binary message while a streamed
    /// message is open ([`Error::OutgoingFragmentOrder`]).
    fn encode(&mut self, message: Message, dst: &mut BytesMut) -> Result<(), Error> {
        match message {
            Message::Text(text) => self.send_data(OpCode::Text, text.into_bytes(), dst),
            Message::Binary(data) => self.send_data(OpCode::Binary, data, dst),
            Message::Ping(data) => self.send_frame(Frame::ping(data), dst),
            Message::Pong(data) => self.send_frame(Frame::pong(data), dst),
            Message::Close(close) => {
                let frame = Frame::close(close.as_ref())?;
                self.send_frame(frame, dst)
            }
        }
    }
}

impl Encoder<Fragment> for MessageCodec {
    type Error = Error;

    /// Writes one piece of a streamed message as one frame. Between pieces,
    /// control messages may be encoded with `Encoder<Message>`.
    ///
    /// # Errors
    ///
    /// [`Error::OutgoingFragmentOrder`] for a `Start` while a message is
    /// open or a `Continue`/`End` while none is; [`Error::OutgoingInvalidUtf8`]
    /// and [`Error::OutgoingIncompleteUtf8`] for text that is not UTF-8 (a
    /// piece may end inside a code point that the next piece completes).
    /// Nothing is written on error, and the streamed message stays open.
    fn encode(&mut self, fragment: Fragment, dst: &mut BytesMut) -> Result<(), Error> {
        let (frame, next) = self.fragment_frame(fragment)?;
        let frame = self.compress_fragment(frame)?;
        self.send_frame(frame, dst)?;
        self.outgoing = next;
        Ok(())
    }
}

/// permessage-deflate (RFC 7692): receiving compressed messages. Reached
/// only for frames with RSV1 (or the continuations of such a message), so
/// the uncompressed paths pay one predictable check.
#[cfg(feature = "deflate")]
impl MessageCodec {
    /// Inflates `input`, compressed bytes of the message being assembled,
    /// into the message: counted against `max_message_size` as they
    /// inflate, text validated as it comes out. At the end of the message
    /// (`last`), the removed tail is inflated too.
    fn inflate_into_message(&mut self, input: &[u8], last: bool) -> Result<(), Error> {
        let (Some(m), Some(deflate)) = (self.incoming.as_mut(), self.deflate.as_deref_mut()) else {
            return Err(Error::UnexpectedContinuation);
        };
        let max = self.config.max_message_size;
        let text = &mut self.text;
        let out = &mut self.binary;
        let left = max.saturating_sub(m.size);
        let size = m.size;
        let produced = match (m.kind, last) {
            (DataKind::Binary, false) => deflate.inflate(input, out, left, size, |_| Ok(())),
            (DataKind::Binary, true) => deflate.inflate_last(input, out, left, size, |_| Ok(())),
            // The text is inflated into the (empty) binary buffer and
            // moved, validated, into the text buffer after each step.
            (DataKind::Text, last) => {
                let sink = |out: &mut BytesMut| text.push(out.split()).map_err(invalid_utf8);
                if last {
                    deflate.inflate_last(input, out, left, size, sink)
                } else {
                    deflate.inflate(input, out, left, size, sink)
                }
            }
        }?;
        m.size = m.size.saturating_add(produced);
        Ok(())
    }

    /// The compressed message is complete.
    fn finish_compressed(&mut self) -> Result<Message, Error> {
        let kind = self.incoming.map(|m| m.kind);
        match kind {
            Some(DataKind::Text) => {
                if !self.text.is_complete() {
                    self.end_message();
                    return Err(Error::IncompleteUtf8);
                }
                self.finish_text()
            }
            _ => Ok(self.finish_binary()),
        }
    }

    /// A whole data frame of a compressed message (or a first frame with
    /// RSV1).
    #[inline(never)]
    fn on_compressed_frame(
        &mut self,
        fin: bool,
        rsv: tether_frame::Rsv,
        opcode: OpCode,
        payload: Bytes,
    ) -> Result<Option<Message>, Error> {
        let header = FrameHeader {
            fin,
            rsv,
            opcode,
            mask: None,
            payload_len: payload.len() as u64,
        };
        self.check_header(&header)?;
        if self
            .incoming
            .is_some_and(|m| m.size == 0 && m.fragments == 1)
        {
            // The text of a compressed message is inflated into `binary`
            // first: it must start empty.
            self.binary.clear();
        }
        self.inflate_into_message(&payload, fin)?;
        if let Some(m) = self.incoming.as_mut() {
            m.frame_checked = false;
        }
        if fin {
            return self.finish_compressed().map(Some);
        }
        Ok(None)
    }

    /// Inflates the bytes of the compressed frame still arriving that are in
    /// `src` (taken out of the read buffer as they come: a compressed frame
    /// is never buffered whole). Returns the message if they completed it.
    ///
    /// With `batch` (deferred validation), they are left in `src` until
    /// [`INFLATE_BATCH`] of them or the rest of the frame is there.
    #[inline(never)]
    fn inflate_partial(
        &mut self,
        src: &mut BytesMut,
        batch: bool,
    ) -> Result<Option<Message>, Error> {
        if batch
            && src.len() < INFLATE_BATCH
            && self
                .frames
                .remaining_payload()
                .is_some_and(|rest| src.len() < rest)
        {
            return Ok(None);
        }
        if self
            .incoming
            .is_some_and(|m| m.size == 0 && m.fragments == 1 && !m.frame_taken)
        {
            self.binary.clear();
        }
        let Some((header, piece, complete)) = self.frames.take_partial_payload(src) else {
            return Ok(None);
        };
        self.inflate_into_message(&piece, header.fin && complete)?;
        if let Some(m) = self.incoming.as_mut() {
            m.frame_taken = !complete;
            m.frame_checked = !complete;
        }
        if complete && header.fin {
            return self.finish_compressed().map(Some);
        }
        Ok(None)
    }

    /// The inflated bytes of `input`, a piece of the compressed message
    /// handed out in chunks (and of the tail, at its end), checked against
    /// what is left of `max_message_size`; `data_chunk` counts and
    /// validates them.
    fn inflate_chunk(&mut self, input: &[u8], last: bool) -> Result<BytesMut, Error> {
        let (Some(m), Some(deflate)) = (self.incoming, self.deflate.as_deref_mut()) else {
            return Err(Error::UnexpectedContinuation);
        };
        let max = self.config.max_message_size;
        let mut out = BytesMut::new();
        let left = max.saturating_sub(m.size);
        let produced = deflate.inflate(input, &mut out, left, m.size, |_| Ok(()))?;
        if last {
            let size = m.size.saturating_add(produced);
            deflate.finish_inflate(&mut out, max.saturating_sub(size), size, |_| Ok(()))?;
        }
        Ok(out)
    }
}
