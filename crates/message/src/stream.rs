//! [`MessageStreamCodec`]: messages in chunks, as their bytes arrive.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use tether_frame::{
    CloseFrame, FrameChunk, FrameHeader, FrameStreamCodec, OpCode, Role, Utf8Bytes, Utf8Validator,
};
use tokio_util::codec::Decoder;

use crate::{DataKind, Error, Message, MessageConfig};

/// A piece of a message from [`MessageStreamCodec`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageChunk {
    /// Part of a text message: whole code points, validated.
    Text {
        /// The text of this chunk (may be empty on the last chunk).
        data: Utf8Bytes,
        /// The first chunk of its message.
        first: bool,
        /// The last chunk of its message.
        last: bool,
    },
    /// Part of a binary message.
    Binary {
        /// The bytes of this chunk (may be empty).
        data: Bytes,
        /// The first chunk of its message.
        first: bool,
        /// The last chunk of its message.
        last: bool,
    },
    /// A whole control message (ping, pong or close), which may arrive
    /// between the chunks of a data message.
    Control(Message),
}

/// Decodes messages as a stream of [`MessageChunk`]s, for users who forward
/// large payloads without buffering them.
///
/// Same rules as [`MessageCodec`](crate::MessageCodec) (message order,
/// fail-fast UTF-8, size and fragment limits; control messages whole and at
/// once), but no message is assembled: each data chunk is handed out as it
/// arrives. Text chunks end on code point boundaries: the bytes of a code
/// point cut by a read are held back (at most 3) and handed out with the
/// bytes that complete it, as a chunk of their own.
///
/// | state | on text/binary | on continuation | on control |
/// |---|---|---|---|
/// | idle | a first chunk (FIN: also the last); RSV1: compressed | error 1002 | `Control` |
/// | receiving | error 1002 | chunks; FIN: the last, idle; RSV1: error 1002 | `Control` |
///
/// What is left of [`MessageConfig::max_message_size`] is the frame
/// layer's limit for the next header (within the configured frame limit),
/// as in `MessageCodec`: a frame that would make the message too large is
/// refused from its header (1009), even from the first bytes of a header
/// still arriving, before the order and fragment rules (1002, 1009) are
/// checked.
///
/// # permessage-deflate
///
/// With the `deflate` feature, once permessage-deflate (RFC 7692) is in
/// force (`MessageConfig::deflate` when the codec is made, or
/// `MessageStreamCodec::set_deflate` after a handshake),
/// a message whose first frame has RSV1 is inflated as its compressed bytes
/// arrive, and its chunks carry the inflated bytes, with the same `first`
/// and `last` flags and the same UTF-8 rules (text validated fail-fast as it
/// inflates). RSV1 on a continuation or a control frame is a protocol error
/// (1002), invalid DEFLATE data is 1007, as in `MessageCodec`.
///
/// The inflated size counts against [`MessageConfig::max_message_size`] as
/// it is produced (a decompression bomb ends with
/// [`Error::MessageTooBig`], 1009, at the limit); each frame's compressed
/// length is held, from its header, to what is left of the limit after the
/// bytes inflated so far, as `MessageCodec` does. A chunk of a compressed message holds at most
/// 64 KiB. The compressed bytes of a read are inflated a slice at a time,
/// each slice sized from the ratio seen so far to inflate to about 64 KiB
/// (starting at 64 bytes, which cannot inflate to much more), and the
/// chunks of a slice are handed out before the next is inflated: what the
/// codec holds is usually about 64 KiB of output, and never more than what
/// is left of `max_message_size` plus one inflate step.
#[derive(Debug)]
pub struct MessageStreamCodec {
    frames: FrameStreamCodec,
    config: MessageConfig,
    /// The data message being received.
    current: Option<Receiving>,
    /// Whether the next data chunk is the message's first.
    first: bool,
    utf8: Utf8Validator,
    /// Whether the data frame in progress has been checked and counted
    /// (from its header, or from its first chunk).
    frame_started: bool,
    ready: VecDeque<MessageChunk>,
    /// permessage-deflate state, when in force (boxed: one pointer when
    /// off).
    #[cfg(feature = "deflate")]
    inflation: Option<Box<Inflation>>,
}

/// The data message being received.
#[derive(Debug, Clone, Copy)]
struct Receiving {
    kind: DataKind,
    /// Payload bytes of the message so far: declared by the headers of its
    /// frames seen so far or, if it is compressed, inflated so far.
    size: u64,
    /// Frames of the message whose header has been checked.
    fragments: usize,
    /// RSV1 on its first frame, with permessage-deflate in force.
    compressed: bool,
}

/// The receiving half of permessage-deflate and the compressed bytes not
/// yet inflated.
#[cfg(feature = "deflate")]
#[derive(Debug)]
struct Inflation {
    deflate: crate::deflate::Deflate,
    /// Compressed bytes of the message that have arrived and are not yet
    /// inflated (a piece of the read buffer).
    input: Bytes,
    /// The message ends with `input`: its removed tail is inflated after it.
    end: bool,
    /// How many compressed bytes the next inflate call is given.
    slice: usize,
}

/// What one inflate call should produce, about: the output of a slice of
/// compressed bytes, held until its chunks are handed out.
#[cfg(feature = "deflate")]
const SLICE_OUTPUT: u64 = 64 << 10;
/// The smallest slice, and the first: DEFLATE inflates at most about 1032
/// times its input, so 64 bytes never inflate to much more than 64 KiB.
#[cfg(feature = "deflate")]
const SLICE_MIN: usize = 64;
/// The largest slice.
#[cfg(feature = "deflate")]
const SLICE_MAX: usize = 64 << 10;

#[cfg(feature = "deflate")]
impl Inflation {
    fn new(deflate: crate::deflate::Deflate) -> Inflation {
        Inflation {
            deflate,
            input: Bytes::new(),
            end: false,
            slice: SLICE_MIN,
        }
    }

    /// Whether compressed bytes (or the end of a message) wait to be
    /// inflated.
    fn has_work(&self) -> bool {
        !self.input.is_empty() || self.end
    }

    /// The next slice from the ratio of the last one: `consumed` bytes
    /// inflated to `produced`. It shrinks at once and at most doubles.
    fn adapt(&mut self, consumed: usize, produced: u64) {
        let consumed = consumed as u64;
        let fit = SLICE_OUTPUT.saturating_mul(consumed) / produced.max(1);
        let fit = usize::try_from(fit).unwrap_or(usize::MAX);
        self.slice = fit
            .min(self.slice.saturating_mul(2))
            .clamp(SLICE_MIN, SLICE_MAX);
    }
}

/// The most inflated bytes one chunk holds.
#[cfg(feature = "deflate")]
const CHUNK_MAX: usize = 64 << 10;

/// Where the first chunk of `data`, inflated bytes, ends: all of it, or
/// `CHUNK_MAX` bytes (for text, backed up to the start of a code point if
/// that cuts one; the validator carries a cut all the same, so invalid
/// text is reported where it is wherever this cuts).
#[cfg(feature = "deflate")]
fn chunk_end(data: &[u8], kind: DataKind) -> usize {
    if data.len() <= CHUNK_MAX {
        return data.len();
    }
    let mut end = CHUNK_MAX;
    if kind == DataKind::Text {
        let continuation = |at: usize| data.get(at).is_some_and(|b| b & 0xc0 == 0x80);
        while end > CHUNK_MAX - 3 && continuation(end) {
            end -= 1;
        }
    }
    end
}

/// Queues the validated chunks of a piece of text; returns whether any
/// chunk was queued (a piece that only holds part of a code point queues
/// nothing).
fn queue_text(
    utf8: &mut Utf8Validator,
    ready: &mut VecDeque<MessageChunk>,
    data: Bytes,
    first: bool,
    last: bool,
) -> Result<bool, Error> {
    let pieces = utf8.feed_bytes(data).map_err(|e| Error::InvalidUtf8 {
        valid_up_to: e.valid_up_to,
    })?;
    if last && !utf8.is_complete() {
        return Err(Error::IncompleteUtf8);
    }
    let mut first = first;
    let mut queued = false;
    if let Some(carried) = pieces.carried {
        // The carried code point is complete: hand it out on its own.
        let is_last = last && pieces.body.is_empty();
        ready.push_back(MessageChunk::Text {
            data: carried,
            first,
            last: is_last,
        });
        if is_last {
            return Ok(true);
        }
        first = false;
        queued = true;
    }
    if !pieces.body.is_empty() || last {
        ready.push_back(MessageChunk::Text {
            data: pieces.body,
            first,
            last,
        });
        queued = true;
    }
    Ok(queued)
}

impl MessageStreamCodec {
    /// A streaming decoder for `role` with `config` (with the `deflate`
    /// feature, permessage-deflate is in force from the start if
    /// `MessageConfig::deflate` is set, as `set_deflate` would put it).
    pub fn new(role: Role, config: MessageConfig) -> MessageStreamCodec {
        #[cfg(feature = "deflate")]
        let deflate = config.deflate.clone();
        #[cfg_attr(not(feature = "deflate"), allow(unused_mut))]
        let mut codec = MessageStreamCodec {
            frames: FrameStreamCodec::new(role, config.frame.clone()),
            config,
            current: None,
            first: true,
            utf8: Utf8Validator::default(),
            frame_started: false,
            ready: VecDeque::new(),
            #[cfg(feature = "deflate")]
            inflation: None,
        };
        #[cfg(feature = "deflate")]
        codec.set_deflate(deflate);
        codec
    }

    /// The configuration.
    pub fn config(&self) -> &MessageConfig {
        &self.config
    }

    /// Puts permessage-deflate (RFC 7692) in force with `params`, as
    /// negotiated by a handshake, or turns it off with `None`: RSV1 is
    /// allowed (or no longer) in the frame layer, and the messages received
    /// from now on with RSV1 on their first frame are inflated per `params`
    /// and this codec's role (a server decompresses with the `client_*`
    /// parameters, a client with the `server_*` ones), as
    /// [`MessageCodec::set_deflate`](crate::MessageCodec::set_deflate) does.
    ///
    /// Call it between messages (right after the handshake); the
    /// decompression context starts empty.
    #[cfg(feature = "deflate")]
    pub fn set_deflate(&mut self, params: Option<crate::DeflateParams>) {
        let role = self.frames.role();
        let rsv = crate::deflate::allowed_rsv(self.frames.config().allowed_rsv, params.is_some());
        self.frames.set_allowed_rsv(rsv);
        self.config.frame.allowed_rsv = rsv;
        self.config.deflate = params.clone();
        self.inflation =
            params.map(|p| Box::new(Inflation::new(crate::deflate::Deflate::new(p, role))));
    }

    /// The permessage-deflate parameters in force, if any.
    #[cfg(feature = "deflate")]
    pub fn deflate(&self) -> Option<&crate::DeflateParams> {
        self.config.deflate.as_ref()
    }

    /// Frees the zlib state of the decompressor kept between messages with
    /// context takeover, for a connection gone idle, keeping only its
    /// window (at most `2^bits` bytes, see
    /// [`DeflateParams`](crate::DeflateParams)): the next compressed message
    /// primes a new state with it, so the context is not lost (priming the
    /// decompressor costs about 2 µs), as
    /// [`MessageCodec::release_compression_state`](crate::MessageCodec::release_compression_state)
    /// does.
    ///
    /// A message being inflated keeps its state. Returns whether anything
    /// was freed; without compression in force it does nothing.
    #[cfg(feature = "deflate")]
    pub fn release_compression_state(&mut self) -> bool {
        self.inflation
            .as_deref_mut()
            .is_some_and(|i| i.deflate.release())
    }

    /// Whether [`release_compression_state`](MessageStreamCodec::release_compression_state)
    /// would free anything now.
    #[cfg(feature = "deflate")]
    pub fn holds_compression_state(&self) -> bool {
        self.inflation
            .as_deref()
            .is_some_and(|i| i.deflate.holds_releasable_state())
    }

    /// Whether a frame with this header starts a compressed message (or is
    /// a continuation or control frame wrongly marked as compressed).
    #[inline]
    fn rsv1_in_force(&self, header: &FrameHeader) -> bool {
        #[cfg(feature = "deflate")]
        {
            header.rsv.rsv1() && self.inflation.is_some()
        }
        #[cfg(not(feature = "deflate"))]
        {
            let _ = header;
            false
        }
    }

    fn on_chunk(&mut self, chunk: FrameChunk) -> Result<(), Error> {
        let header = chunk.header;
        let opcode = header.opcode;
        if opcode.is_control() {
            if self.rsv1_in_force(&header) {
                return Err(Error::CompressedControlFrame);
            }
            let message = match opcode {
                OpCode::Ping => Message::Ping(chunk.data),
                OpCode::Pong => Message::Pong(chunk.data),
                _ => Message::Close(CloseFrame::parse(&chunk.data)?),
            };
            self.ready.push_back(MessageChunk::Control(message));
            return Ok(());
        }
        if chunk.is_first() && !self.frame_started {
            self.start_frame(&header)?;
        }
        self.frame_started = !chunk.is_last();
        let Some(m) = self.current else {
            return Err(Error::UnexpectedContinuation);
        };
        let last = header.fin && chunk.is_last();
        #[cfg(feature = "deflate")]
        if m.compressed {
            // Inflated a slice at a time by `decode`, before the next frame.
            let Some(inflation) = self.inflation.as_deref_mut() else {
                return Err(Error::UnexpectedContinuation);
            };
            inflation.input = chunk.data;
            inflation.end = last;
            return Ok(());
        }
        let first = self.first;
        let queued = match m.kind {
            DataKind::Binary => {
                self.ready.push_back(MessageChunk::Binary {
                    data: chunk.data,
                    first,
                    last,
                });
                true
            }
            DataKind::Text => queue_text(&mut self.utf8, &mut self.ready, chunk.data, first, last)?,
        };
        if queued {
            self.first = last;
        }
        if last {
            self.current = None;
        }
        Ok(())
    }

    /// Checks a data frame's header against the message in progress (its
    /// size was checked by the frame layer's limit): the order, RSV1 and
    /// the fragment count; opens a message for a text or binary frame.
    fn start_frame(&mut self, header: &FrameHeader) -> Result<(), Error> {
        let (opcode, len) = (header.opcode, header.payload_len);
        let compressed = self.rsv1_in_force(header);
        match (opcode, &mut self.current) {
            (OpCode::Text | OpCode::Binary, Some(_)) => Err(Error::MessageInProgress),
            // RFC 7692 section 6.1: RSV1 on the first frame only.
            (OpCode::Continuation, _) if compressed => Err(Error::CompressedContinuation),
            (OpCode::Continuation, None) => Err(Error::UnexpectedContinuation),
            (OpCode::Continuation, Some(m)) => {
                if m.fragments >= self.config.max_fragments {
                    return Err(Error::TooManyFragments {
                        max: self.config.max_fragments,
                    });
                }
                m.fragments += 1;
                if !m.compressed {
                    m.size = m.size.saturating_add(len);
                }
                Ok(())
            }
            (_, current) => {
                let kind = if opcode == OpCode::Text {
                    DataKind::Text
                } else {
                    DataKind::Binary
                };
                *current = Some(Receiving {
                    kind,
                    size: if compressed { 0 } else { len },
                    fragments: 1,
                    compressed,
                });
                self.first = true;
                self.utf8.reset();
                Ok(())
            }
        }
    }

    /// The data frame limit for the next header: what is left of the
    /// message budget, within the configured frame limit.
    #[inline]
    fn update_frame_limit(&mut self) {
        let left = self
            .config
            .max_message_size
            .saturating_sub(self.current.map_or(0, |m| m.size));
        self.frames
            .set_max_frame_size(left.min(self.config.frame.max_frame_size));
    }

    /// A frame declared over the frame limit: `MessageTooBig` if it makes
    /// the message larger than its limit, as in `MessageCodec`.
    fn map_frame_error(&self, e: tether_frame::Error) -> Error {
        match e {
            tether_frame::Error::FrameTooLarge { len, .. }
                if self.current.map_or(0, |m| m.size).saturating_add(len)
                    > self.config.max_message_size =>
            {
                Error::MessageTooBig {
                    size: self.current.map_or(0, |m| m.size).saturating_add(len),
                    max: self.config.max_message_size,
                }
            }
            other => Error::Frame(other),
        }
    }
}

/// permessage-deflate (RFC 7692): inflating the compressed message being
/// received.
#[cfg(feature = "deflate")]
impl MessageStreamCodec {
    /// Inflates the next slice of the compressed bytes waiting (and the
    /// tail, at the end of the message) into chunks, validated and counted
    /// against `max_message_size` step by step.
    fn inflate_slice(&mut self) -> Result<(), Error> {
        let (Some(m), Some(inflation)) = (self.current.as_mut(), self.inflation.as_deref_mut())
        else {
            return Err(Error::UnexpectedContinuation);
        };
        let max = self.config.max_message_size;
        let take = inflation.slice.min(inflation.input.len());
        let input = inflation.input.split_to(take);
        let end = inflation.end && inflation.input.is_empty();
        let kind = m.kind;
        let (first, utf8, ready) = (&mut self.first, &mut self.utf8, &mut self.ready);
        // Each step's output becomes chunks of at most `CHUNK_MAX` bytes
        // (text: whole code points, validated).
        let mut sink = |out: &mut BytesMut| -> Result<(), Error> {
            let mut data = out.split().freeze();
            while !data.is_empty() {
                let piece = data.split_to(chunk_end(&data, kind));
                let queued = match kind {
                    DataKind::Binary => {
                        ready.push_back(MessageChunk::Binary {
                            data: piece,
                            first: *first,
                            last: false,
                        });
                        true
                    }
                    DataKind::Text => queue_text(utf8, ready, piece, *first, false)?,
                };
                if queued {
                    *first = false;
                }
            }
            Ok(())
        };
        let mut out = BytesMut::new();
        if !input.is_empty() {
            let left = max.saturating_sub(m.size);
            let produced = inflation
                .deflate
                .inflate(&input, &mut out, left, m.size, &mut sink)?;
            m.size = m.size.saturating_add(produced);
            inflation.adapt(input.len(), produced);
        }
        if !end {
            return Ok(());
        }
        inflation.end = false;
        let left = max.saturating_sub(m.size);
        let produced = inflation
            .deflate
            .finish_inflate(&mut out, left, m.size, &mut sink)?;
        m.size = m.size.saturating_add(produced);
        self.end_compressed(kind)
    }

    /// The compressed message is inflated whole: its last chunk is the last
    /// one queued (all of them are this message's: a slice is inflated only
    /// once the chunks before it are out), or an empty one.
    fn end_compressed(&mut self, kind: DataKind) -> Result<(), Error> {
        if kind == DataKind::Text && !self.utf8.is_complete() {
            return Err(Error::IncompleteUtf8);
        }
        match self.ready.back_mut() {
            Some(MessageChunk::Text { last, .. } | MessageChunk::Binary { last, .. }) => {
                *last = true;
            }
            _ => {
                let first = self.first;
                self.ready.push_back(match kind {
                    DataKind::Text => MessageChunk::Text {
                        data: Utf8Bytes::new(),
                        first,
                        last: true,
                    },
                    DataKind::Binary => MessageChunk::Binary {
                        data: Bytes::new(),
                        first,
                        last: true,
                    },
                });
            }
        }
        self.first = true;
        self.current = None;
        Ok(())
    }
}

impl Decoder for MessageStreamCodec {
    type Item = MessageChunk;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<MessageChunk>, Error> {
        loop {
            if let Some(ready) = self.ready.pop_front() {
                return Ok(Some(ready));
            }
            #[cfg(feature = "deflate")]
            if self.inflation.as_deref().is_some_and(Inflation::has_work) {
                self.inflate_slice()?;
                continue;
            }
            self.update_frame_limit();
            match self.frames.decode(src) {
                Ok(Some(chunk)) => self.on_chunk(chunk)?,
                Ok(None) => {
                    // A data frame whose header is in but none of its
                    // payload: check order and size from the header now.
                    if let Some((header, 0)) = self.frames.frame_in_progress() {
                        let header = *header;
                        if header.opcode.is_data() && !self.frame_started {
                            self.start_frame(&header)?;
                            self.frame_started = true;
                        }
                    }
                    return Ok(None);
                }
                Err(e) => return Err(self.map_frame_error(e)),
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<MessageChunk>, Error> {
        if let Some(chunk) = self.decode(src)? {
            return Ok(Some(chunk));
        }
        if !src.is_empty() || !self.frames.is_between_frames() || self.current.is_some() {
            return Err(Error::Frame(tether_frame::Error::Truncated {
                buffered: src.len(),
            }));
        }
        Ok(None)
    }
}

#[cfg(all(test, feature = "deflate"))]
mod tests {
    use super::*;

    #[test]
    fn chunk_end_keeps_code_points_whole() {
        let short = vec![b'a'; CHUNK_MAX];
        assert_eq!(chunk_end(&short, DataKind::Text), CHUNK_MAX);
        for lead in 0..4 {
            // A code point of 4 bytes starting `lead` bytes before the cut.
            let mut text = "a".repeat(CHUNK_MAX - lead).into_bytes();
            text.extend_from_slice("😀".as_bytes());
            text.extend_from_slice(b"tail");
            let end = chunk_end(&text, DataKind::Text);
            assert_eq!(end, CHUNK_MAX - lead, "lead {lead}");
            assert!(std::str::from_utf8(&text[..end]).is_ok());
            // Binary is cut where the limit falls.
            assert_eq!(chunk_end(&text, DataKind::Binary), CHUNK_MAX);
        }
    }

    #[test]
    fn the_slice_shrinks_at_once_and_at_most_doubles() {
        let params = crate::DeflateParams::default();
        let mut i = Inflation::new(crate::deflate::Deflate::new(params, Role::Client));
        assert_eq!(i.slice, SLICE_MIN);
        // Incompressible: doubles each time up to the largest slice.
        let mut seen = vec![i.slice];
        while i.slice < SLICE_MAX {
            let n = i.slice;
            i.adapt(n, n as u64);
            seen.push(i.slice);
        }
        assert_eq!(
            seen,
            [64, 128, 256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536]
        );
        // Text at 1:5: 64 KiB of output from about 13 KiB.
        i.adapt(SLICE_MAX, 5 * SLICE_MAX as u64);
        assert_eq!(i.slice, SLICE_MAX / 5);
        // A bomb: back to the smallest at once.
        i.adapt(i.slice, 1 << 30);
        assert_eq!(i.slice, SLICE_MIN);
        // Nothing produced (a slice inside a long match): doubles.
        i.adapt(SLICE_MIN, 0);
        assert_eq!(i.slice, 2 * SLICE_MIN);
    }
}
