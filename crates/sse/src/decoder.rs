//! The event-stream decoder: HTML Living Standard, section 9.2.5 "Parsing an
//! event stream" and 9.2.6 "Interpreting an event stream".

use std::time::Duration;

use bytes::{Buf, BufMut, BytesMut};
use memchr::{memchr, memchr2};

use crate::{DecoderConfig, Error, Event, Utf8Bytes};

/// The smallest buffer allocated for joining multi-line data.
const MIN_JOINED: usize = 4 << 10;

/// The UTF-8 byte order mark, stripped once at the start of a stream.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// A streaming `text/event-stream` decoder: bytes in, [`Event`]s out.
///
/// Sans-IO: [`decode`](EventStreamDecoder::decode) takes whatever bytes have
/// arrived, in a [`BytesMut`] the caller appends reads to, and returns the
/// next event once its blank line has arrived; it is also a
/// [`tokio_util::codec::Decoder`], so `FramedRead::new(body, decoder)` is a
/// `Stream` of events. Events are the same whatever the read boundaries.
///
/// It follows the WHATWG rules to the letter:
///
/// * the stream is UTF-8: one leading BOM is stripped (a later U+FEFF is
///   kept), and invalid bytes become U+FFFD (maximal subparts), never an
///   error;
/// * lines end with CRLF, LF or a lone CR, also when the CR ends one read and
///   the LF starts the next;
/// * a line starting with `:` is a comment; otherwise the field name runs to
///   the first colon and one leading space is removed from the value (a line
///   without a colon is a field with an empty value);
/// * `data` appends its value and a LF to the data buffer, `event` sets the
///   type, `id` sets the last event ID buffer unless the value contains NUL,
///   `retry` with ASCII digits only sets the reconnection time at once
///   ([`reconnection_time`](EventStreamDecoder::reconnection_time)); other
///   fields are ignored;
/// * a blank line sets the last event ID
///   ([`last_event_id`](EventStreamDecoder::last_event_id)), then dispatches
///   an event unless the data buffer is empty (one trailing LF removed from
///   the data, type `message` by default);
/// * at the end of the stream an unfinished event is dropped: nothing is
///   ever dispatched by [`decode_eof`](EventStreamDecoder::decode_eof) that
///   [`decode`](EventStreamDecoder::decode) would not have dispatched.
///
/// # States
///
/// | state | in | out |
/// |---|---|---|
/// | stream start | `EF BB BF` (possibly split across reads) | stripped; line state |
/// | stream start | anything else | line state, bytes kept |
/// | line | bytes without CR or LF | buffered (searched once: the search resumes where it stopped), [`Error::LineTooLong`] past the limit |
/// | line | LF, or CR followed by LF | line interpreted |
/// | line | CR at the end of the buffer | line interpreted; "after CR" |
/// | after CR | LF | skipped (the rest of the CRLF); line state |
/// | after CR | anything else | line state |
/// | any | end of stream ([`decode_eof`](EventStreamDecoder::decode_eof)) | unfinished line and event dropped; stream start |
///
/// # Performance
///
/// Time is linear in the input whatever the read boundaries: each byte is
/// searched for a line end once (8 bytes at a time for the first 32 bytes
/// of a line, SIMD `memchr2` beyond), the search resuming where the last
/// read ended; a line's field is told from its first bytes (no search for
/// the colon); each value is validated once (ASCII check, or SIMD UTF-8
/// validation). No allocation per event in the common cases:
///
/// * values of up to [`Utf8Bytes::INLINE_CAPACITY`] bytes (ids, types, small
///   data) are copied inline;
/// * a longer value on a single `data` line (or an `event` or `id`) is a
///   slice of the read buffer ([`BytesMut::split_to`]), not a copy;
/// * several `data` lines are joined in a buffer that the next events reuse
///   once the previous event's data has been dropped, sized after the last
///   such event.
///
/// A slice keeps the read buffer it came from alive until dropped (as any
/// [`bytes::Bytes`] does): hold on to many events and their buffers stay.
#[derive(Debug)]
pub struct EventStreamDecoder {
    config: DecoderConfig,
    /// Bytes at the start of the buffer already searched for a line end: the
    /// start of the current line.
    searched: usize,
    /// The last line ended with a CR that was the last byte of the buffer: a
    /// LF starting the next read is the rest of that line end.
    after_cr: bool,
    /// Nothing of the stream has been consumed yet: a BOM may follow.
    at_start: bool,
    /// What the data buffer holds.
    data: Data,
    /// The value of the first `data` line (written in place: short values
    /// are copied into it, long ones share the read buffer).
    first_data: Utf8Bytes,
    /// The values of a multi-line data buffer, joined with LF (raw bytes,
    /// decoded at dispatch); its spare capacity is reused.
    joined: BytesMut,
    /// The size of the last multi-line data (at most `max_event_size`).
    joined_hint: usize,
    /// The last event type decoded, shared by later events of that type.
    type_cache: Option<Utf8Bytes>,
    /// The event type buffer (written in place).
    event_type: Utf8Bytes,
    /// The last event ID buffer when `id_pending` (an `id` field set it
    /// since the last blank line); otherwise the buffer is `last_event_id`.
    /// Written in place.
    id_buffer: Utf8Bytes,
    id_pending: bool,
    /// The last event ID string (set from the buffer at each blank line).
    last_event_id: Utf8Bytes,
    /// The reconnection time a `retry` field of the current block set.
    block_retry: Option<Duration>,
    /// The reconnection time the stream set last.
    reconnection_time: Option<Duration>,
    /// Bytes handed to the line-end search (for the linear-time test).
    #[cfg(test)]
    bytes_searched: u64,
}

/// What the data buffer (without its trailing LF) holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Data {
    /// No `data` line yet: nothing to dispatch.
    Empty,
    /// One `data` line: its value is `first_data`.
    One,
    /// Several `data` lines: their values joined with LF, in `joined`.
    Many,
}

/// The fields the decoder acts on.
#[derive(Clone, Copy)]
enum Field {
    Data,
    Event,
    Id,
    Retry,
    Other,
}

impl Default for EventStreamDecoder {
    fn default() -> Self {
        EventStreamDecoder::new()
    }
}

impl EventStreamDecoder {
    /// A decoder with the default limits ([`DecoderConfig::default`]).
    pub fn new() -> EventStreamDecoder {
        EventStreamDecoder::with_config(DecoderConfig::default())
    }

    /// A decoder with the given limits.
    pub fn with_config(config: DecoderConfig) -> EventStreamDecoder {
        EventStreamDecoder {
            config,
            searched: 0,
            after_cr: false,
            at_start: true,
            data: Data::Empty,
            first_data: Utf8Bytes::new(),
            joined: BytesMut::new(),
            joined_hint: 0,
            type_cache: None,
            event_type: Utf8Bytes::new(),
            id_buffer: Utf8Bytes::new(),
            id_pending: false,
            last_event_id: Utf8Bytes::new(),
            block_retry: None,
            reconnection_time: None,
            #[cfg(test)]
            bytes_searched: 0,
        }
    }

    /// The limits in force.
    pub fn config(&self) -> &DecoderConfig {
        &self.config
    }

    /// The last event ID string: the value of the last `id` field (without
    /// NUL) that a blank line has confirmed, or empty. This is what a client
    /// sends as `Last-Event-ID` when it reconnects. An `id` field in an event
    /// block that the stream never finished does not count.
    pub fn last_event_id(&self) -> &str {
        &self.last_event_id
    }

    /// Sets the last event ID (and its buffer), as when resuming a stream
    /// after a reconnection: events without an `id` field carry it.
    pub fn set_last_event_id(&mut self, id: impl Into<Utf8Bytes>) {
        self.last_event_id = id.into();
        self.id_pending = false;
    }

    /// The reconnection time the stream asked for with its last valid
    /// `retry` field, as soon as that line is decoded (not only when an event
    /// is dispatched); `None` until then.
    pub fn reconnection_time(&self) -> Option<Duration> {
        self.reconnection_time
    }

    /// Starts a new stream, as a reconnection does: the unfinished line and
    /// event are dropped and a BOM is stripped again, while
    /// [`last_event_id`](EventStreamDecoder::last_event_id) and
    /// [`reconnection_time`](EventStreamDecoder::reconnection_time) are kept.
    /// [`decode_eof`](EventStreamDecoder::decode_eof) does this when it
    /// returns `Ok(None)`. The caller starts with an empty buffer.
    pub fn reset(&mut self) {
        self.searched = 0;
        self.after_cr = false;
        self.at_start = true;
        self.data = Data::Empty;
        self.first_data = Utf8Bytes::new();
        self.joined.clear();
        self.event_type = Utf8Bytes::new();
        self.id_pending = false;
        self.block_retry = None;
    }

    /// Consumes complete lines from `src` until an event is dispatched.
    ///
    /// Returns `Ok(None)` when `src` holds no more complete lines; what is
    /// left in `src` is the start of the next line (already searched: the
    /// next call resumes the search where this one stopped).
    ///
    /// # Errors
    ///
    /// [`Error::LineTooLong`] once more than
    /// [`DecoderConfig::max_line_len`] bytes of a line are in `src`;
    /// [`Error::EventTooBig`] when a `data` line would make the event data
    /// longer than [`DecoderConfig::max_event_size`] (or U+FFFD in place of
    /// invalid bytes does, found at the blank line). Either ends the stream;
    /// the decoder's state is then unspecified.
    pub fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Event>, Error> {
        // Lines are consumed by moving `at`; the buffer is advanced once.
        let mut at = 0;
        let result = self.decode_at(src, &mut at);
        src.advance(at);
        result
    }

    /// [`decode`](EventStreamDecoder::decode) of `src[*at..]`, moving `*at`
    /// past the bytes consumed.
    fn decode_at(&mut self, src: &mut BytesMut, at: &mut usize) -> Result<Option<Event>, Error> {
        loop {
            if self.after_cr {
                match src.get(*at) {
                    None => return Ok(None),
                    Some(b'\n') => *at += 1,
                    Some(_) => {}
                }
                self.after_cr = false;
            }
            if self.at_start {
                let rest = src.get(*at..).unwrap_or_default();
                let n = rest.len().min(BOM.len());
                if rest.get(..n) == BOM.get(..n) {
                    if n < BOM.len() {
                        return Ok(None);
                    }
                    *at += n;
                }
                self.at_start = false;
            }
            let rest = src.get(*at + self.searched..).unwrap_or_default();
            let found = find_line_end(rest);
            #[cfg(test)]
            {
                // The search stops at the line end it finds.
                self.bytes_searched += found.map_or(rest.len(), |pos| pos + 1) as u64;
            }
            let Some(pos) = found else {
                self.searched = src.len() - *at;
                if self.searched > self.config.max_line_len {
                    return Err(Error::LineTooLong {
                        max: self.config.max_line_len,
                    });
                }
                return Ok(None);
            };
            let len = self.searched + pos;
            self.searched = 0;
            if len > self.config.max_line_len {
                return Err(Error::LineTooLong {
                    max: self.config.max_line_len,
                });
            }
            let end = *at + len;
            let eol = match src.get(end..end + 2) {
                Some(b"\r\n") => 2,
                Some(_) => 1,
                None => {
                    // The line end is the last byte: a CR may be the first
                    // half of a CRLF whose LF is still to come.
                    self.after_cr = src.get(end) == Some(&b'\r');
                    1
                }
            };
            if let Some(event) = self.line(src, at, len, eol)? {
                return Ok(Some(event));
            }
        }
    }

    /// [`decode`](EventStreamDecoder::decode) at the end of the stream: after
    /// the last complete event, the unfinished line and event are dropped
    /// (never dispatched), `src` is cleared, and the decoder is
    /// [`reset`](EventStreamDecoder::reset) for a new stream.
    ///
    /// # Errors
    ///
    /// As [`decode`](EventStreamDecoder::decode).
    pub fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Event>, Error> {
        if let Some(event) = self.decode(src)? {
            return Ok(Some(event));
        }
        src.clear();
        self.reset();
        Ok(None)
    }

    /// Interprets the line of `len` bytes at `src[*at..]` and consumes it
    /// with its `eol` bytes of line end.
    fn line(
        &mut self,
        src: &mut BytesMut,
        at: &mut usize,
        len: usize,
        eol: usize,
    ) -> Result<Option<Event>, Error> {
        let line = src.get(*at..*at + len).unwrap_or_default();
        if line.is_empty() {
            *at += eol;
            return self.dispatch();
        }
        let (field, value_at) = field(line);
        let value = line.get(value_at..).unwrap_or_default();
        match field {
            Field::Data => return self.data_line(src, at, value_at, len, eol).map(|()| None),
            Field::Event => {
                if let Some(cached) = self.type_cache.as_ref().filter(|t| t.as_bytes() == value) {
                    // Most streams repeat a few types: share the last one.
                    self.event_type.clone_from(cached);
                } else {
                    set_value(&mut self.event_type, src, at, value_at, len, eol);
                    self.type_cache = Some(self.event_type.clone());
                    return Ok(None);
                }
            }
            Field::Id => {
                if memchr(0, value).is_none() {
                    set_value(&mut self.id_buffer, src, at, value_at, len, eol);
                    self.id_pending = true;
                    return Ok(None);
                }
            }
            Field::Retry => {
                if !value.is_empty() && value.iter().all(u8::is_ascii_digit) {
                    let ms = value.iter().fold(0u64, |ms, digit| {
                        ms.saturating_mul(10)
                            .saturating_add(u64::from(digit - b'0'))
                    });
                    let retry = Duration::from_millis(ms);
                    self.reconnection_time = Some(retry);
                    self.block_retry = Some(retry);
                }
            }
            // Comments and unknown fields.
            Field::Other => {}
        }
        *at += len + eol;
        Ok(None)
    }

    /// Appends the value of a `data` line to the data buffer.
    fn data_line(
        &mut self,
        src: &mut BytesMut,
        at: &mut usize,
        value_at: usize,
        len: usize,
        eol: usize,
    ) -> Result<(), Error> {
        let value_len = len - value_at;
        let size = match self.data {
            Data::Empty => value_len,
            Data::One => self.first_data.len() + 1 + value_len,
            Data::Many => self
                .joined
                .len()
                .saturating_add(1)
                .saturating_add(value_len),
        };
        if size > self.config.max_event_size {
            return Err(self.too_big());
        }
        match self.data {
            Data::Empty => {
                // The first line: kept as a slice of the buffer.
                set_value(&mut self.first_data, src, at, value_at, len, eol);
                self.data = Data::One;
                return Ok(());
            }
            Data::One => {
                // Joined in a buffer that later events reuse (what the last
                // event still holds is left to it), with room for as much
                // as the last such event had: one allocation per event at
                // most, none once the previous event's data is dropped.
                let want = size.max(MIN_JOINED).max(self.joined_hint);
                if self.joined.capacity() < want {
                    self.joined.reserve(want);
                }
                self.joined.extend_from_slice(self.first_data.as_bytes());
                self.first_data = Utf8Bytes::new();
                self.data = Data::Many;
            }
            Data::Many => {
                let spare = self.joined.capacity() - self.joined.len();
                if spare < value_len + 1 {
                    // At least double: linear time whatever the reuse.
                    self.joined.reserve((value_len + 1).max(self.joined.len()));
                }
            }
        }
        // Raw bytes: decoded at dispatch. The values are separated by LF, an
        // ASCII byte, so decoding the joined buffer once equals joining the
        // decoded values.
        self.joined.put_u8(b'\n');
        self.joined
            .extend_from_slice(src.get(*at + value_at..*at + len).unwrap_or_default());
        *at += len + eol;
        Ok(())
    }

    fn too_big(&self) -> Error {
        Error::EventTooBig {
            max: self.config.max_event_size,
        }
    }

    /// A blank line: the last event ID is set, then the event (if any) is
    /// dispatched and the buffers other than the last event ID are reset.
    fn dispatch(&mut self) -> Result<Option<Event>, Error> {
        if self.id_pending {
            // The buffer becomes the last event ID; the old one's storage
            // is the next buffer.
            std::mem::swap(&mut self.last_event_id, &mut self.id_buffer);
            self.id_pending = false;
        }
        let retry = self.block_retry.take();
        let event = Some(std::mem::take(&mut self.event_type)).filter(|t| !t.is_empty());
        let data = match std::mem::replace(&mut self.data, Data::Empty) {
            Data::Empty => return Ok(None),
            Data::One => std::mem::take(&mut self.first_data),
            Data::Many => {
                self.joined_hint = self.joined.len();
                Utf8Bytes::from_utf8_lossy(self.joined.split().freeze())
            }
        };
        // The lines were checked as received; U+FFFD (3 bytes) in place of
        // invalid bytes may have made the data longer.
        if data.len() > self.config.max_event_size {
            return Err(self.too_big());
        }
        Ok(Some(Event {
            event,
            data: Some(data),
            id: Some(self.last_event_id.clone()),
            retry,
            comment: None,
        }))
    }

    /// Bytes handed to the line-end search so far.
    #[cfg(test)]
    pub(crate) fn bytes_searched(&self) -> u64 {
        self.bytes_searched
    }
}

/// Which field a non-empty line is, and where its value starts.
///
/// The field name runs to the first colon (or is the whole line), so the
/// name is `data` exactly when the line is `data` or starts with `data:`;
/// comments (a colon first) and longer names are `Other`. Compared as bytes:
/// the names are ASCII, and ASCII bytes decode to themselves whatever
/// surrounds them. One space after the colon is not part of the value.
fn field(line: &[u8]) -> (Field, usize) {
    let (field, name): (Field, &[u8]) = match line.first() {
        Some(b'd') => (Field::Data, b"data"),
        Some(b'e') => (Field::Event, b"event"),
        Some(b'i') => (Field::Id, b"id"),
        Some(b'r') => (Field::Retry, b"retry"),
        _ => return (Field::Other, 0),
    };
    if !line.starts_with(name) {
        return (Field::Other, 0);
    }
    match line.get(name.len()) {
        None => (field, name.len()),
        Some(b':') => match line.get(name.len() + 1) {
            Some(b' ') => (field, name.len() + 2),
            _ => (field, name.len() + 1),
        },
        Some(_) => (Field::Other, 0),
    }
}

/// Stores the value `value_at..len` of the line at `src[*at..]` in `slot`,
/// consuming the line and its `eol` bytes of line end: copied into the slot
/// when short, otherwise split off the buffer (no copy).
///
/// The value is bounded by ASCII bytes (a colon or space before it, the line
/// end after it), which end any invalid UTF-8 sequence, so decoding it alone
/// gives what decoding the whole stream would.
#[inline(always)]
fn set_value(
    slot: &mut Utf8Bytes,
    src: &mut BytesMut,
    at: &mut usize,
    value_at: usize,
    len: usize,
    eol: usize,
) {
    if len - value_at <= Utf8Bytes::INLINE_CAPACITY {
        slot.set_lossy(src.get(*at + value_at..*at + len).unwrap_or_default());
        *at += len + eol;
        return;
    }
    src.advance(*at);
    *at = 0;
    let mut value = src.split_to(len + eol).freeze();
    value.truncate(len);
    value.advance(value_at);
    *slot = Utf8Bytes::from_utf8_lossy(value);
}

/// The first CR or LF in `hay`. Lines are often short: the first 32 bytes
/// are searched 8 at a time in registers before the SIMD search (whose
/// setup costs more than a short line).
fn find_line_end(hay: &[u8]) -> Option<usize> {
    const CR: u64 = u64::from_ne_bytes([b'\r'; 8]);
    const LF: u64 = u64::from_ne_bytes([b'\n'; 8]);
    const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
    const HIGHS: u64 = u64::from_ne_bytes([0x80; 8]);
    // Bit 7 of each byte of the result is set where `w` has a zero byte
    // (and possibly above one; never below the first).
    let zero_bytes = |w: u64| w.wrapping_sub(ONES) & !w & HIGHS;
    let mut words = hay.chunks_exact(8);
    for (i, word) in words.by_ref().take(4).enumerate() {
        let Ok(word) = <[u8; 8]>::try_from(word) else {
            break;
        };
        let w = u64::from_le_bytes(word);
        let found = zero_bytes(w ^ CR) | zero_bytes(w ^ LF);
        if found != 0 {
            return Some(i * 8 + (found.trailing_zeros() / 8) as usize);
        }
    }
    let from = (hay.len() - words.remainder().len()).min(32);
    memchr2(b'\r', b'\n', hay.get(from..).unwrap_or_default()).map(|pos| from + pos)
}

impl tokio_util::codec::Decoder for EventStreamDecoder {
    type Item = Event;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Event>, Error> {
        EventStreamDecoder::decode(self, src)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Event>, Error> {
        EventStreamDecoder::decode_eof(self, src)
    }
}

#[cfg(test)]
mod tests;
