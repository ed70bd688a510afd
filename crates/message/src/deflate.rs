//! permessage-deflate (RFC 7692): the parameters in force and the
//! compressor/decompressor of one connection.
//!
//! Negotiation (the `Sec-WebSocket-Extensions` header) is not done here: it
//! produces a [`DeflateParams`], which a [`MessageCodec`](crate::MessageCodec)
//! is given with [`MessageConfig::with_deflate`](crate::MessageConfig::with_deflate)
//! or [`MessageCodec::set_deflate`](crate::MessageCodec::set_deflate).

use bytes::{Bytes, BytesMut};
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use tether_frame::Rsv;

use crate::{Error, Role};

/// The permessage-deflate parameters in force on a connection after
/// negotiation (RFC 7692 section 7.1), and local sending options that are not
/// negotiated.
///
/// [`DeflateParams::default`] is the RFC's default: context takeover in both
/// directions and 15-bit (32 KiB) windows, level 6 and a 64-byte threshold.
///
/// The [`Role`](crate::Role) of the codec decides which half applies to which
/// direction: a server compresses with the `server_*` parameters and
/// decompresses with the `client_*` ones; a client the opposite.
///
/// # Memory per connection
///
/// Measured with a counting allocator (`tests/deflate_memory.rs`, zlib-rs
/// through flate2, level 6); the window size is `2^bits` bytes:
///
/// | window bits | compressor | decompressor |
/// |---|---|---|
/// | 8, 9 | 251,520 | 48,064 |
/// | 10 | 254,080 | 48,576 |
/// | 11 | 258,176 | 48,576 |
/// | 12 | 266,368 | 48,576 |
/// | 13 | 282,752 | 48,576 |
/// | 14 | 315,520 | 48,576 |
/// | 15 | 381,056 | 48,576 |
///
/// (after one 1 KiB message, the copy of the window included: it grows with
/// the data up to `2^bits` bytes.)
///
/// Without context takeover (`*_no_context_takeover`), the state of that
/// direction is allocated for each message and freed at its end, so an idle
/// connection keeps none.
///
/// With context takeover the state is kept between messages, and a copy of
/// the direction's window (the last `2^bits` bytes of its uncompressed data,
/// at most 32 KiB) is kept beside it.
/// [`MessageCodec::release_compression_state`](crate::MessageCodec::release_compression_state)
/// frees the zlib state of an idle connection and keeps only the windows:
/// at most `2^bits` bytes per direction (64 KiB for both at 15 bits, less
/// when less was sent), against about 428 KB. The next message primes a new
/// state with the window, so the peer sees one unbroken context (the
/// compressor's back-references stay within the data the peer's window
/// holds); priming the compressor costs hashing the window again (about
/// 120 µs at 15 bits), so release only connections idle for a while
/// (tether-ws does it after `DeflateConfig::release_after`).
///
/// # Window bits 8
///
/// zlib (and zlib-rs) cannot compress raw deflate with an 8-bit window; a
/// compressor whose window is negotiated to 8 bits uses 9. That is still
/// valid for the peer: zlib never emits a distance over `window - 262`
/// bytes, 250 for a 512-byte window, within the 256 bytes the peer keeps.
/// The decompressor cannot be opened with 8 bits either (flate2 takes 9 to
/// 15), so it uses 9: it accepts every stream a peer with a 256-byte window
/// sends, and is lenient with a peer that (like zlib before 1.2.9 did when
/// asked for 8) refers back up to 512 bytes; it costs 256 bytes more.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeflateParams {
    /// `server_no_context_takeover`: the server resets its compression
    /// context after each message (the client may then drop its
    /// decompression context between messages). Default: `false`.
    pub server_no_context_takeover: bool,
    /// `client_no_context_takeover`: the client resets its compression
    /// context after each message. Default: `false`.
    pub client_no_context_takeover: bool,
    /// `server_max_window_bits`: the base-2 logarithm of the LZ77 window the
    /// server compresses with. Default: 15. Range: 8 to 15.
    pub server_max_window_bits: u8,
    /// `client_max_window_bits`: the base-2 logarithm of the LZ77 window the
    /// client compresses with. Default: 15. Range: 8 to 15.
    pub client_max_window_bits: u8,
    /// Local, not negotiated: the zlib compression level used to send.
    /// Default: 6 (zlib's default). Range: 0 (stored) to 9 (best).
    pub compression_level: u32,
    /// Local, not negotiated: text and binary messages shorter than this
    /// many bytes are sent uncompressed (RSV1 clear). Default: 64. Streamed
    /// messages ([`Fragment`](crate::Fragment)) do not know their length
    /// when they start and are always compressed.
    pub threshold: usize,
}

impl DeflateParams {
    /// The default window bits (RFC 7692: 15, a 32 KiB window).
    pub const DEFAULT_WINDOW_BITS: u8 = 15;
    /// The default [`DeflateParams::compression_level`]: 6.
    pub const DEFAULT_COMPRESSION_LEVEL: u32 = 6;
    /// The default [`DeflateParams::threshold`]: 64 bytes.
    pub const DEFAULT_THRESHOLD: usize = 64;

    /// Sets [`DeflateParams::server_no_context_takeover`].
    pub fn with_server_no_context_takeover(mut self, on: bool) -> Self {
        self.server_no_context_takeover = on;
        self
    }

    /// Sets [`DeflateParams::client_no_context_takeover`].
    pub fn with_client_no_context_takeover(mut self, on: bool) -> Self {
        self.client_no_context_takeover = on;
        self
    }

    /// Sets [`DeflateParams::server_max_window_bits`], clamped to 8..=15.
    pub fn with_server_max_window_bits(mut self, bits: u8) -> Self {
        self.server_max_window_bits = bits.clamp(8, 15);
        self
    }

    /// Sets [`DeflateParams::client_max_window_bits`], clamped to 8..=15.
    pub fn with_client_max_window_bits(mut self, bits: u8) -> Self {
        self.client_max_window_bits = bits.clamp(8, 15);
        self
    }

    /// Sets [`DeflateParams::compression_level`], clamped to 0..=9.
    pub fn with_compression_level(mut self, level: u32) -> Self {
        self.compression_level = level.min(9);
        self
    }

    /// Sets [`DeflateParams::threshold`].
    pub fn with_threshold(mut self, threshold: usize) -> Self {
        self.threshold = threshold;
        self
    }
}

impl Default for DeflateParams {
    fn default() -> Self {
        DeflateParams {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: Self::DEFAULT_WINDOW_BITS,
            client_max_window_bits: Self::DEFAULT_WINDOW_BITS,
            compression_level: Self::DEFAULT_COMPRESSION_LEVEL,
            threshold: Self::DEFAULT_THRESHOLD,
        }
    }
}

/// `allowed` (the frame layer's allowed RSV bits) with RSV1 added when
/// permessage-deflate is `on`, removed otherwise: what `set_deflate` of
/// both message codecs gives the frame layer.
pub(crate) fn allowed_rsv(allowed: Rsv, on: bool) -> Rsv {
    if on {
        allowed | Rsv::RSV1
    } else {
        Rsv::from_header_byte(allowed.bits() & !Rsv::RSV1.bits())
    }
}

/// The empty stored block a sync flush ends with (RFC 7692 section 7.2.1),
/// removed after compressing and put back before inflating.
pub(crate) const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The most a single inflate step writes before its output is handed on
/// (validated, counted against the limit). Large on purpose: zlib copies a
/// match that reaches back into the output of the same call straight from
/// it, but one that reaches into an earlier call's output from its window,
/// a slower path, so few large steps inflate faster than many small ones
/// (1 MiB messages: 0.82 GiB/s in 64 KiB steps, 1.1 GiB/s in one).
const INFLATE_CHUNK: usize = 4 << 20;

/// The compressor and decompressor of one connection, each created when
/// first needed; without context takeover in a direction, that direction's
/// state is dropped at the end of each message.
#[derive(Debug)]
pub(crate) struct Deflate {
    level: u32,
    threshold: usize,
    /// The window bits zlib compresses with (at least 9, see
    /// [`DeflateParams`]) and whether the context is reset per message.
    send_bits: u8,
    send_reset: bool,
    recv_bits: u8,
    recv_reset: bool,
    compressor: Option<Compress>,
    decompressor: Option<Decompress>,
    /// With context takeover: the last bytes compressed (sent) and inflated
    /// (received), the dictionary a released state is primed with.
    send_window: Window,
    recv_window: Window,
    /// A message is being compressed (a streamed one) or inflated: its
    /// state cannot be released until it ends.
    send_open: bool,
    recv_open: bool,
    /// The message being inflated held a final block (BFINAL): the rest of
    /// its data is ignored and the context starts again after it.
    ended: bool,
}

/// The last `cap` bytes of a stream of data (a ring once full), allocated
/// as the data comes, up to `cap`.
#[derive(Debug)]
struct Window {
    buf: Vec<u8>,
    /// Where the oldest byte is, once the ring is full.
    head: usize,
    cap: usize,
}

impl Window {
    fn new(bits: u8) -> Window {
        Window {
            buf: Vec::new(),
            head: 0,
            cap: 1 << bits,
        }
    }

    fn push(&mut self, mut data: &[u8]) {
        let cap = self.cap;
        if data.len() >= cap {
            self.buf.clear();
            self.buf
                .extend_from_slice(data.get(data.len() - cap..).unwrap_or_default());
            self.head = 0;
            return;
        }
        if self.buf.len() < cap {
            let n = (cap - self.buf.len()).min(data.len());
            let need = self.buf.len() + n;
            if need > self.buf.capacity() {
                // Grow by doubling, never past the window.
                let target = need.max(self.buf.capacity() * 2).min(cap);
                self.buf.reserve_exact(target - self.buf.len());
            }
            let (now, rest) = data.split_at(n);
            self.buf.extend_from_slice(now);
            data = rest;
            if data.is_empty() {
                return;
            }
            self.head = 0;
        }
        // Full: overwrite the oldest bytes.
        let first = (cap - self.head).min(data.len());
        let (a, b) = data.split_at(first);
        if let Some(dst) = self.buf.get_mut(self.head..self.head + first) {
            dst.copy_from_slice(a);
        }
        if let Some(dst) = self.buf.get_mut(..b.len()) {
            dst.copy_from_slice(b);
        }
        self.head = (self.head + data.len()) % cap;
    }

    /// The bytes in order, oldest first.
    fn linear(&mut self) -> &[u8] {
        if self.head != 0 {
            self.buf.rotate_left(self.head);
            self.head = 0;
        }
        &self.buf
    }

    /// Keeps only the bytes (for an idle connection).
    fn shrink(&mut self) {
        let _ = self.linear();
        self.buf.shrink_to_fit();
    }

    fn clear(&mut self) {
        self.buf = Vec::new();
        self.head = 0;
    }
}

fn compress_failed(e: flate2::CompressError) -> Error {
    Error::Frame(tether_frame::Error::Io(std::io::Error::other(e)))
}

impl Deflate {
    pub(crate) fn new(params: DeflateParams, role: Role) -> Deflate {
        let server = (
            params.server_max_window_bits.clamp(8, 15),
            params.server_no_context_takeover,
        );
        let client = (
            params.client_max_window_bits.clamp(8, 15),
            params.client_no_context_takeover,
        );
        let (send, recv) = match role {
            Role::Server => (server, client),
            Role::Client => (client, server),
        };
        Deflate {
            level: params.compression_level.min(9),
            threshold: params.threshold,
            send_bits: send.0.max(9),
            send_reset: send.1,
            // flate2 takes 9 to 15 (see `DeflateParams`, window bits 8).
            recv_bits: recv.0.max(9),
            recv_reset: recv.1,
            compressor: None,
            decompressor: None,
            send_window: Window::new(send.0.max(9)),
            recv_window: Window::new(recv.0.max(9)),
            send_open: false,
            recv_open: false,
            ended: false,
        }
    }

    /// Frees the compressor and the decompressor between messages (a
    /// direction in the middle of a message keeps its state), keeping the
    /// windows that prime the next ones. Returns whether anything was freed.
    pub(crate) fn release(&mut self) -> bool {
        let mut freed = false;
        if !self.send_open && self.compressor.take().is_some() {
            self.send_window.shrink();
            freed = true;
        }
        if !self.recv_open && self.decompressor.take().is_some() {
            self.recv_window.shrink();
            freed = true;
        }
        freed
    }

    /// Whether [`release`](Deflate::release) would free anything now.
    pub(crate) fn holds_releasable_state(&self) -> bool {
        (!self.send_open && self.compressor.is_some())
            || (!self.recv_open && self.decompressor.is_some())
    }

    /// Messages shorter than this are sent uncompressed.
    #[inline]
    pub(crate) fn threshold(&self) -> usize {
        self.threshold
    }

    /// Whether any zlib state is held (for tests of idle memory).
    #[cfg(test)]
    pub(crate) fn holds_state(&self) -> (bool, bool) {
        (self.compressor.is_some(), self.decompressor.is_some())
    }

    /// Compresses `input` with a sync flush. At the end of a message
    /// (`end`), the trailing empty block is removed and the context is
    /// dropped if it is not taken over.
    pub(crate) fn compress(&mut self, mut input: &[u8], end: bool) -> Result<Bytes, Error> {
        let all = input;
        let compressor = match &mut self.compressor {
            Some(c) => c,
            none => {
                let mut c = Compress::new_with_window_bits(
                    Compression::new(self.level),
                    false,
                    self.send_bits,
                );
                // A released context: the peer still holds the window.
                if !self.send_window.buf.is_empty() {
                    c.set_dictionary(self.send_window.linear())
                        .map_err(compress_failed)?;
                }
                none.insert(c)
            }
        };
        let mut out = BytesMut::new();
        // Stored blocks cost 5 bytes per 64 KiB; a sync flush up to 10 more.
        let mut want = input.len() + input.len() / 1024 + 64;
        loop {
            let start = out.len();
            out.resize(start + want, 0);
            let (in0, out0) = (compressor.total_in(), compressor.total_out());
            let status = compressor.compress(
                input,
                out.get_mut(start..).unwrap_or_default(),
                FlushCompress::Sync,
            );
            let consumed = usize::try_from(compressor.total_in() - in0).unwrap_or(usize::MAX);
            let produced = usize::try_from(compressor.total_out() - out0).unwrap_or(usize::MAX);
            out.truncate(start + produced);
            status.map_err(compress_failed)?;
            input = input.get(consumed..).unwrap_or_default();
            if input.is_empty() && produced < want {
                break;
            }
            want = want.saturating_mul(2);
        }
        if !self.send_reset {
            self.send_window.push(all);
        }
        self.send_open = !end;
        if end {
            if out.ends_with(&TAIL) {
                out.truncate(out.len() - TAIL.len());
            } else if out.is_empty() {
                // Nothing new since the last flush (an empty message, or an
                // empty last piece): zlib writes nothing, but the receiver
                // appends the tail and needs the block header before it:
                // an empty stored block, tail removed, is one 0x00 octet
                // (RFC 7692 sections 7.2.1 and 7.2.3.6).
                out.extend_from_slice(&[0x00]);
            }
            if self.send_reset {
                self.compressor = None;
            }
        }
        Ok(out.freeze())
    }

    /// Inflates `input` (compressed bytes of the message being received,
    /// in order) onto the end of `out`, never letting the message grow past
    /// `left` more bytes: the output is produced in bounded steps, and after
    /// each step `sink(out)` sees it (to validate and move it), so a bomb
    /// costs at most `left` plus one step. Returns the bytes produced.
    ///
    /// `inflated` is the message's size so far, for error reports.
    pub(crate) fn inflate(
        &mut self,
        mut input: &[u8],
        out: &mut BytesMut,
        left: u64,
        inflated: u64,
        mut sink: impl FnMut(&mut BytesMut) -> Result<(), Error>,
    ) -> Result<u64, Error> {
        if self.ended {
            return Ok(0);
        }
        self.recv_open = true;
        let decompressor = match &mut self.decompressor {
            Some(d) => d,
            none => {
                let mut d = Decompress::new_with_window_bits(false, self.recv_bits);
                // A released context: the peer's compressor still refers
                // to the window.
                if !self.recv_window.buf.is_empty() {
                    d.set_dictionary(self.recv_window.linear())
                        .map_err(|_| Error::InvalidCompressedData { inflated })?;
                }
                none.insert(d)
            }
        };
        let track = !self.recv_reset;
        let mut total = 0u64;
        let mut taken = 0usize;
        // Room for what text usually inflates to (4-8x) in one call, so a
        // small message is one call that stays in zlib's fast path.
        // (A large input gets 4x, most of what text inflates to, and the
        // rest sized from the ratio: the output is zeroed before zlib
        // writes it, so room it does not use costs time.)
        let guess = if input.len() > 8 << 10 { 4 } else { 8 };
        let mut step = input.len().saturating_mul(guess).clamp(256, INFLATE_CHUNK);
        // Capacity for 8x, though, so the next steps do not move the bytes.
        let room = usize::try_from(left.saturating_add(1)).unwrap_or(usize::MAX);
        out.reserve(
            input
                .len()
                .saturating_mul(8)
                .clamp(256, INFLATE_CHUNK)
                .min(room),
        );
        loop {
            let room = usize::try_from((left - total).saturating_add(1)).unwrap_or(usize::MAX);
            let want = step.min(room);
            let start = out.len();
            out.resize(start + want, 0);
            let (in0, out0) = (decompressor.total_in(), decompressor.total_out());
            let status = decompressor.decompress(
                input,
                out.get_mut(start..).unwrap_or_default(),
                FlushDecompress::None,
            );
            let consumed = usize::try_from(decompressor.total_in() - in0).unwrap_or(usize::MAX);
            let produced = usize::try_from(decompressor.total_out() - out0).unwrap_or(usize::MAX);
            total = total.saturating_add(produced as u64);
            // What lies within the limit is validated before any error is
            // reported, so the first problem in the message is the one
            // reported, wherever the reads split it.
            let over = total.saturating_sub(left);
            let kept = produced.saturating_sub(usize::try_from(over).unwrap_or(usize::MAX));
            out.truncate(start + kept);
            if kept > 0 {
                if track {
                    self.recv_window.push(out.get(start..).unwrap_or_default());
                }
                sink(out)?;
            }
            if over > 0 {
                return Err(Error::MessageTooBig {
                    size: inflated.saturating_add(total),
                    max: inflated.saturating_add(left),
                });
            }
            input = input.get(consumed..).unwrap_or_default();
            taken = taken.saturating_add(consumed);
            let status = status.map_err(|_| Error::InvalidCompressedData {
                inflated: inflated.saturating_add(total),
            })?;
            if status == Status::StreamEnd {
                // A final block (RFC 7692 section 7.2.3.4): what follows it
                // in this message is padding; the next starts afresh.
                self.ended = true;
                return Ok(total);
            }
            if produced < want {
                if input.is_empty() {
                    return Ok(total);
                }
                if consumed == 0 && produced == 0 {
                    return Err(Error::InvalidCompressedData {
                        inflated: inflated.saturating_add(total),
                    });
                }
            }
            // The output is zeroed before zlib writes it: size the next step
            // from the ratio so far (an eighth over), not by doubling,
            // which zeroes up to twice what the message needs.
            step = if input.is_empty() || taken == 0 {
                step.saturating_mul(2)
            } else {
                let ratio = total as f64 / taken as f64;
                (input.len() as f64 * ratio * 1.125) as usize + 1024
            }
            .clamp(256, INFLATE_CHUNK);
        }
    }

    /// The end of a received compressed message: inflates the removed tail
    /// (as [`inflate`](Deflate::inflate)), then drops or resets the context.
    pub(crate) fn finish_inflate(
        &mut self,
        out: &mut BytesMut,
        left: u64,
        inflated: u64,
        sink: impl FnMut(&mut BytesMut) -> Result<(), Error>,
    ) -> Result<u64, Error> {
        let result = self.inflate(&TAIL, out, left, inflated, sink);
        self.end_message(result)
    }

    /// [`inflate`](Deflate::inflate) of the last piece of a message, then
    /// [`finish_inflate`](Deflate::finish_inflate). A small piece is
    /// inflated with the tail in one call (a copy of at most 16 KiB): a
    /// second call for the 4 tail bytes alone costs a small message about
    /// as much again, in zlib's slow path.
    pub(crate) fn inflate_last(
        &mut self,
        input: &[u8],
        out: &mut BytesMut,
        left: u64,
        inflated: u64,
        mut sink: impl FnMut(&mut BytesMut) -> Result<(), Error>,
    ) -> Result<u64, Error> {
        if input.len() > 16 << 10 {
            let produced = self.inflate(input, out, left, inflated, &mut sink)?;
            let size = inflated.saturating_add(produced);
            return self
                .finish_inflate(out, left.saturating_sub(produced), size, sink)
                .map(|tail| produced.saturating_add(tail));
        }
        let mut whole = Vec::with_capacity(input.len() + TAIL.len());
        whole.extend_from_slice(input);
        whole.extend_from_slice(&TAIL);
        let result = self.inflate(&whole, out, left, inflated, sink);
        self.end_message(result)
    }

    /// Drops or resets the receiving context at the end of a message.
    fn end_message(&mut self, result: Result<u64, Error>) -> Result<u64, Error> {
        if self.recv_reset || self.ended || result.is_err() {
            self.decompressor = None;
            if self.ended || result.is_err() {
                // The next message starts a new context.
                self.recv_window.clear();
            }
        }
        self.ended = false;
        self.recv_open = false;
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inflate_all(d: &mut Deflate, data: &[u8]) -> Vec<u8> {
        let mut out = BytesMut::new();
        d.inflate(data, &mut out, u64::MAX / 2, 0, |_| Ok(()))
            .unwrap();
        d.finish_inflate(&mut out, u64::MAX / 2, 0, |_| Ok(()))
            .unwrap();
        out.to_vec()
    }

    #[test]
    fn hello_compresses_as_rfc_7692_section_7_2_3_1() {
        let mut d = Deflate::new(DeflateParams::default(), Role::Server);
        let first = d.compress(b"Hello", true).unwrap();
        assert_eq!(&first[..], &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
        // Context takeover: the second "Hello" refers back to the first.
        let second = d.compress(b"Hello", true).unwrap();
        assert_eq!(&second[..], &[0xf2, 0x00, 0x11, 0x00, 0x00]);
    }

    #[test]
    fn no_context_takeover_drops_the_state_per_message() {
        let params = DeflateParams::default()
            .with_server_no_context_takeover(true)
            .with_client_no_context_takeover(true);
        let mut server = Deflate::new(params.clone(), Role::Server);
        let mut client = Deflate::new(params, Role::Client);
        for _ in 0..2 {
            let data = server.compress(b"Hello", true).unwrap();
            assert_eq!(&data[..], &[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
            assert_eq!(server.holds_state(), (false, false));
            assert_eq!(inflate_all(&mut client, &data), b"Hello");
            assert_eq!(client.holds_state(), (false, false));
        }
    }

    #[test]
    fn window_bits_8_round_trips() {
        let params = DeflateParams::default()
            .with_server_max_window_bits(8)
            .with_client_max_window_bits(8);
        let mut server = Deflate::new(params.clone(), Role::Server);
        let mut client = Deflate::new(params, Role::Client);
        let text: Vec<u8> = (0..20_000u32)
            .map(|i| (i * 7 % 251) as u8 ^ (i / 300) as u8)
            .collect();
        for _ in 0..3 {
            let data = server.compress(&text, true).unwrap();
            assert_eq!(inflate_all(&mut client, &data), text);
        }
    }

    /// Text that compresses with back-references far into the window:
    /// records that repeat earlier ones at varying distances.
    fn records(seed: u32, len: usize) -> Vec<u8> {
        let mut x = seed.wrapping_mul(2_654_435_761).max(1);
        let mut out = Vec::with_capacity(len + 64);
        while out.len() < len {
            x ^= x << 13;
            x ^= x >> 17;
            x ^= x << 5;
            let r = format!(
                "{{\"id\":{},\"user\":\"u{}\",\"n\":{}}},",
                x % 97,
                x % 13,
                x % 1000
            );
            out.extend_from_slice(r.as_bytes());
        }
        out.truncate(len);
        out
    }

    /// A compressor released between messages (and primed again with its
    /// window) writes a stream that one unbroken peer context inflates.
    #[test]
    fn a_released_compressor_keeps_the_peer_context() {
        for bits in [9u8, 12, 15] {
            let params = DeflateParams::default()
                .with_server_max_window_bits(bits)
                .with_client_max_window_bits(bits);
            let mut server = Deflate::new(params, Role::Server);
            let mut peer = Decompress::new_with_window_bits(false, bits);
            for i in 0..40u32 {
                let text = records(i, [10, 300, 5_000, 40_000, 70_000][i as usize % 5]);
                let mut data = server.compress(&text, true).unwrap().to_vec();
                data.extend_from_slice(&TAIL);
                let mut out = Vec::with_capacity(text.len() + 64);
                peer.decompress_vec(&data, &mut out, FlushDecompress::Sync)
                    .unwrap();
                assert_eq!(out, text, "bits {bits}, message {i}");
                if i % 3 != 1 {
                    assert!(server.release());
                    assert_eq!(server.holds_state(), (false, false));
                }
            }
        }
    }

    /// A decompressor released between messages and primed with its window
    /// inflates what one unbroken peer compressor sends.
    #[test]
    fn a_released_decompressor_keeps_the_context() {
        for bits in [9u8, 12, 15] {
            let params = DeflateParams::default()
                .with_server_max_window_bits(bits)
                .with_client_max_window_bits(bits);
            let mut client = Deflate::new(params, Role::Client);
            let mut peer = Compress::new_with_window_bits(Compression::new(6), false, bits);
            let mut repeats = 0;
            for i in 0..40u32 {
                let text = records(i / 2, [10, 300, 5_000, 40_000, 70_000][i as usize % 5]);
                let mut data = Vec::with_capacity(text.len() + 1024);
                peer.compress_vec(&text, &mut data, FlushCompress::Sync)
                    .unwrap();
                assert!(data.ends_with(&TAIL));
                data.truncate(data.len() - TAIL.len());
                if data.len() < text.len() / 3 {
                    repeats += 1;
                }
                assert_eq!(
                    inflate_all(&mut client, &data),
                    text,
                    "bits {bits}, message {i}"
                );
                if i % 3 != 1 {
                    assert!(client.release());
                    assert_eq!(client.holds_state(), (false, false));
                }
            }
            assert!(repeats > 0, "the data never referred back");
        }
    }

    /// Released state is only the windows; nothing to release without
    /// context takeover, or in the middle of a message.
    #[test]
    fn release_keeps_only_the_windows() {
        let mut server = Deflate::new(DeflateParams::default(), Role::Server);
        assert!(!server.release());
        server.compress(&records(1, 100_000), true).unwrap();
        assert!(server.holds_releasable_state());
        assert!(server.release());
        assert_eq!(server.send_window.buf.capacity(), 1 << 15);
        assert!(!server.holds_releasable_state());
        // Primed again from the window: a repeat of the last 10,000 bytes
        // costs back-references of at most 258 bytes each (about 120
        // bytes), as if the state had been kept.
        let tail = records(1, 100_000)[90_000..].to_vec();
        let again = server.compress(&tail, true).unwrap();
        assert!(again.len() < 400, "{} bytes", again.len());
        assert!(server.release());
        // A streamed message keeps its state until its end.
        server.compress(b"first part, ", false).unwrap();
        assert!(!server.release());
        server.compress(b"last part", true).unwrap();
        assert!(server.release());
        let off = DeflateParams::default().with_server_no_context_takeover(true);
        let mut server = Deflate::new(off, Role::Server);
        server.compress(&records(2, 1000), true).unwrap();
        assert!(!server.release());
        assert_eq!(server.send_window.buf.capacity(), 0);
    }

    #[test]
    fn the_window_keeps_the_last_bytes_in_order() {
        let mut w = Window::new(9);
        let mut all = Vec::new();
        for i in 0..200u32 {
            let piece: Vec<u8> = (0..(i * 37 % 700)).map(|j| (i + j) as u8).collect();
            w.push(&piece);
            all.extend_from_slice(&piece);
            let keep = all.len().min(512);
            assert_eq!(w.linear(), &all[all.len() - keep..], "after piece {i}");
            assert!(w.buf.capacity() <= 512);
        }
    }

    #[test]
    fn inflate_stops_at_the_limit() {
        let mut server = Deflate::new(DeflateParams::default(), Role::Server);
        let mut client = Deflate::new(DeflateParams::default(), Role::Client);
        let data = server.compress(&vec![0u8; 1 << 20], true).unwrap();
        let mut out = BytesMut::new();
        let err = client
            .inflate(&data, &mut out, 1000, 0, |_| Ok(()))
            .unwrap_err();
        assert!(
            matches!(
                err,
                Error::MessageTooBig {
                    size: 1001,
                    max: 1000
                }
            ),
            "{err:?}"
        );
        assert!(out.capacity() < 4096);
    }
}
