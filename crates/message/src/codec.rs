//! [`MessageCodec`]: frames to messages and back.

use bytes::{Bytes, BytesMut};
use tether_frame::{CloseFrame, EncodedFrame, Frame, FrameCodec, OpCode, Role};
use tokio_util::codec::{Decoder, Encoder};

use crate::utf8::{validated_text, Utf8Validator};
use crate::{DataKind, Error, Message, MessageConfig};

/// Decodes RFC 6455 frames into [`Message`]s and encodes messages as frames.
///
/// Wraps a [`FrameCodec`]; works over any read boundaries (one read holding
/// the end of one message and three more, or one message over a thousand
/// reads decode the same).
///
/// # Receiving
///
/// * A message in a single frame is handed out as that frame's payload, split
///   from the read buffer: no copy. A fragmented message is assembled in one
///   buffer sized from the frame headers.
/// * Control frames between fragments are returned at once; the message being
///   assembled is untouched.
/// * Text is validated as its bytes arrive, inside partial frames and across
///   fragments and reads, each byte once; an invalid sequence fails the
///   message (1007) as soon as the bytes that prove it are in, even if the
///   rest of the message never comes.
/// * Limits: the message size is checked against each frame's declared
///   length before its payload is buffered, and the fragment count per
///   message is bounded ([`MessageConfig`]).
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
    /// The fragmented message being received.
    incoming: Option<Assembly>,
    /// The buffer of the last assembled message (its spare capacity, and
    /// its whole allocation once the application drops that message).
    spare: BytesMut,
    /// Validation state of the incoming text message.
    utf8: Utf8Validator,
    /// Payload bytes of the current (partial) text frame already validated.
    frame_validated: usize,
    /// The streamed message being sent, with its text validator.
    outgoing: Option<(DataKind, Utf8Validator)>,
}

/// The largest assembly buffer kept for the next fragmented message.
const SPARE_MAX: usize = 4 << 20;

/// The fragments of a message being received, copied into one buffer as
/// they complete (so the read buffer they came from is free to be reused at
/// once; keeping the fragments' `Bytes` instead would pin read buffers and
/// make every read allocate fresh memory).
#[derive(Debug)]
struct Assembly {
    kind: DataKind,
    buf: BytesMut,
    fragments: usize,
}

impl Assembly {
    /// Starts a message in `buf` (empty; its spare capacity is reused).
    fn new(kind: DataKind, buf: BytesMut) -> Assembly {
        Assembly {
            kind,
            buf,
            fragments: 0,
        }
    }

    fn len(&self) -> usize {
        self.buf.len()
    }

    fn push(&mut self, payload: &[u8]) {
        self.fragments += 1;
        if self.buf.capacity() - self.buf.len() < payload.len() {
            // At least double: each regrowth copies what is there.
            let want = payload.len().max(self.buf.len());
            self.buf.reserve(want);
        }
        self.buf.extend_from_slice(payload);
    }

    /// The message, and the buffer's spare capacity for the next one: once
    /// the application drops this message, the next assembly reuses its
    /// memory instead of allocating (and faulting in) fresh pages.
    fn finish(mut self) -> (Bytes, BytesMut) {
        let message = self.buf.split().freeze();
        (message, self.buf)
    }
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

impl MessageCodec {
    /// A codec for `role` with the default configuration.
    pub fn new(role: Role) -> MessageCodec {
        MessageCodec::with_config(role, MessageConfig::default())
    }

    /// A codec for `role` with `config`.
    pub fn with_config(role: Role, config: MessageConfig) -> MessageCodec {
        MessageCodec {
            frames: FrameCodec::with_config(role, config.frame.clone()),
            config,
            incoming: None,
            spare: BytesMut::new(),
            utf8: Utf8Validator::default(),
            frame_validated: 0,
            outgoing: None,
        }
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
    pub fn release_buffers(&mut self) {
        self.spare = BytesMut::new();
    }

    /// Whether a fragmented message is being received.
    pub fn is_receiving_fragments(&self) -> bool {
        self.incoming.is_some()
    }

    /// Whether a streamed message is being sent.
    pub fn is_sending_fragments(&self) -> bool {
        self.outgoing.is_some()
    }

    fn assembled_len(&self) -> u64 {
        self.incoming.as_ref().map_or(0, |a| a.len() as u64)
    }

    /// The data frame limit for the next header: what is left of the message
    /// budget, within the frame limit.
    fn update_frame_limit(&mut self) {
        let left = self
            .config
            .max_message_size
            .saturating_sub(self.assembled_len());
        self.frames
            .set_max_frame_size(left.min(self.config.frame.max_frame_size));
    }

    fn map_frame_error(&self, e: tether_frame::Error) -> Error {
        match e {
            tether_frame::Error::FrameTooLarge { len, .. }
                if self.assembled_len().saturating_add(len) > self.config.max_message_size =>
            {
                Error::MessageTooBig {
                    size: self.assembled_len().saturating_add(len),
                    max: self.config.max_message_size,
                }
            }
            other => Error::Frame(other),
        }
    }

    /// Whether a data frame with this opcode belongs to a text message.
    fn is_text(&self, opcode: OpCode) -> bool {
        match opcode {
            OpCode::Text => true,
            OpCode::Continuation => self
                .incoming
                .as_ref()
                .is_some_and(|a| a.kind == DataKind::Text),
            _ => false,
        }
    }

    /// Checks the frame still arriving: message order at once, and the UTF-8
    /// of its new bytes.
    fn check_partial(&mut self, src: &mut [u8]) -> Result<(), Error> {
        let Some(header) = self.frames.frame_in_progress() else {
            return Ok(());
        };
        let opcode = header.opcode;
        match (opcode, self.incoming.is_some()) {
            (OpCode::Text | OpCode::Binary, true) => return Err(Error::MessageInProgress),
            (OpCode::Continuation, false) => return Err(Error::UnexpectedContinuation),
            _ => {}
        }
        // The fragment limit is known from the header too: report it before
        // anything found in the payload, as for a complete frame.
        if opcode == OpCode::Continuation {
            let max = self.config.max_fragments;
            if self.incoming.as_ref().is_some_and(|a| a.fragments >= max) {
                return Err(Error::TooManyFragments { max });
            }
        }
        if !self.is_text(opcode) {
            // Binary payloads are not looked at before they are complete.
            return Ok(());
        }
        let Some((_, prefix)) = self.frames.partial_payload(src) else {
            return Ok(());
        };
        if opcode == OpCode::Text && self.frame_validated == 0 {
            self.utf8.reset();
        }
        if let Some(fresh) = prefix.get(self.frame_validated..) {
            if !fresh.is_empty() {
                self.utf8.feed(fresh).map_err(|e| Error::InvalidUtf8 {
                    valid_up_to: e.valid_up_to,
                })?;
                self.frame_validated = prefix.len();
            }
        }
        Ok(())
    }

    /// Validates the part of a completed text frame not yet seen.
    fn finish_text_frame(&mut self, opcode: OpCode, payload: &[u8]) -> Result<(), Error> {
        if opcode == OpCode::Text && self.frame_validated == 0 {
            self.utf8.reset();
        }
        let fresh = payload.get(self.frame_validated..).unwrap_or_default();
        self.frame_validated = 0;
        self.utf8.feed(fresh).map_err(|e| Error::InvalidUtf8 {
            valid_up_to: e.valid_up_to,
        })?;
        Ok(())
    }

    fn complete(&mut self, kind: DataKind, payload: Bytes) -> Result<Message, Error> {
        match kind {
            DataKind::Binary => Ok(Message::Binary(payload)),
            DataKind::Text => {
                if !self.utf8.is_complete() {
                    return Err(Error::IncompleteUtf8);
                }
                validated_text(&self.utf8, payload)
                    .map(Message::Text)
                    .ok_or(Error::IncompleteUtf8)
            }
        }
    }

    fn on_frame(&mut self, frame: Frame) -> Result<Option<Message>, Error> {
        let Frame {
            fin,
            opcode,
            payload,
            ..
        } = frame;
        match opcode {
            OpCode::Ping => Ok(Some(Message::Ping(payload))),
            OpCode::Pong => Ok(Some(Message::Pong(payload))),
            OpCode::Close => Ok(Some(Message::Close(CloseFrame::parse(&payload)?))),
            OpCode::Text | OpCode::Binary => {
                if self.incoming.is_some() {
                    return Err(Error::MessageInProgress);
                }
                let kind = if opcode == OpCode::Text {
                    self.finish_text_frame(opcode, &payload)?;
                    DataKind::Text
                } else {
                    DataKind::Binary
                };
                if fin {
                    return self.complete(kind, payload).map(Some);
                }
                let mut assembly = Assembly::new(kind, std::mem::take(&mut self.spare));
                assembly.push(&payload);
                self.incoming = Some(assembly);
                Ok(None)
            }
            OpCode::Continuation => {
                let max_fragments = self.config.max_fragments;
                let Some(assembly) = self.incoming.as_mut() else {
                    return Err(Error::UnexpectedContinuation);
                };
                if assembly.fragments >= max_fragments {
                    return Err(Error::TooManyFragments { max: max_fragments });
                }
                let kind = assembly.kind;
                if kind == DataKind::Text {
                    self.finish_text_frame(opcode, &payload)?;
                }
                let Some(assembly) = self.incoming.as_mut() else {
                    return Err(Error::UnexpectedContinuation);
                };
                assembly.push(&payload);
                if !fin {
                    return Ok(None);
                }
                let (done, spare) = self
                    .incoming
                    .take()
                    .map(Assembly::finish)
                    .unwrap_or_default();
                // Keep the buffer for the next message only up to a bound:
                // one large message must not pin its memory for the life of
                // the connection.
                if spare.capacity() <= SPARE_MAX {
                    self.spare = spare;
                }
                self.complete(kind, done).map(Some)
            }
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
        for frame in data_frames(opcode, payload, self.config.fragment_size) {
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
        // Data frames always validate: nothing can fail after the first.
        for frame in data_frames(frame.0, frame.1, self.config.fragment_size) {
            push(self.frames.encode_frame(frame)?);
        }
        Ok(())
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
        let op = if first { opcode } else { OpCode::Continuation };
        first = false;
        Some(Frame::new(op, piece).with_fin(rest.is_none()))
    })
}

impl Decoder for MessageCodec {
    type Item = Message;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Message>, Error> {
        loop {
            self.update_frame_limit();
            let frame = match self.frames.decode(src) {
                Ok(Some(frame)) => frame,
                Ok(None) => {
                    self.check_partial(src)?;
                    return Ok(None);
                }
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
        if !src.is_empty() || !self.frames.is_between_frames() || self.incoming.is_some() {
            return Err(Error::Frame(tether_frame::Error::Truncated {
                buffered: src.len() + self.incoming.as_ref().map_or(0, Assembly::len),
            }));
        }
        Ok(None)
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
        self.send_frame(Frame::new(opcode, data).with_fin(fin), dst)?;
        self.outgoing = if fin { None } else { Some((kind, validator)) };
        Ok(())
    }
}
