//! The input: JSON-like texts, the masked compressed client frames that
//! carry them, and the reference compressor and inflater that make and check
//! compressed frames.
//!
//! Everything is deterministic (a fixed-seed xorshift generator), and the
//! compressed wire is made here, with flate2 directly, not by tether or
//! ratchet: a bug in an implementation under test cannot shape its own input
//! or pass its own check.

use bytes::Bytes;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};

/// The message sizes: 1 KiB, 16 KiB and 1 MiB (those of tether-benches'
/// `deflate` bench).
pub const SIZES: [usize; 3] = [1 << 10, 16 << 10, 1 << 20];

/// About this many bytes of text per iteration: 1024, 64 and 1 messages.
pub const TEXT_PER_ITERATION: usize = 1 << 20;

/// The zlib level both implementations compress with.
pub const LEVEL: u32 = 6;

/// The LZ77 window, both directions.
pub const WINDOW_BITS: u8 = 15;

/// The largest message both implementations are configured to accept.
pub const MAX_MESSAGE: usize = 64 << 20;

/// The empty stored block that ends a `Z_SYNC_FLUSH`: RFC 7692 section
/// 7.2.1 has the sender remove it and the receiver put it back.
pub const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

/// The first header byte of every data frame here: FIN, RSV1 (compressed),
/// opcode text.
pub const COMPRESSED_TEXT: u8 = 0x80 | 0x40 | 0x1;

/// xorshift64*: a small deterministic generator for test data.
#[derive(Clone, Debug)]
pub struct Xorshift(u64);

impl Xorshift {
    /// A generator from `seed` (any value: zero is replaced).
    pub fn new(seed: u64) -> Xorshift {
        Xorshift(if seed == 0 {
            0x2545_f491_4f6c_dd1d
        } else {
            seed
        })
    }

    /// The next 64 bits.
    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A value below `n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// One of `items`.
    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const LOGINS: [&str; 10] = [
    "amara", "bjorn", "chen", "dolores", "emeka", "fatima", "gustav", "hana", "ines", "jonas",
];
const PLACES: [&str; 9] = [
    "Göteborg",
    "Łódź",
    "Málaga",
    "Île-de-France",
    "Ørsted",
    "Ciudad de México",
    "Köln",
    "Nantes",
    "Porto",
];
const KINDS: [&str; 7] = [
    "invoice.issued",
    "invoice.settled",
    "session.started",
    "session.ended",
    "stock.moved",
    "quote.updated",
    "message.posted",
];
const CURRENCIES: [&str; 4] = ["EUR", "USD", "GBP", "CHF"];
const LABELS: [&str; 8] = [
    "priority",
    "retail",
    "wholesale",
    "android",
    "ios",
    "desktop",
    "pilot",
    "archived",
];

/// Appends one event of a JSON feed: a hex id, an ISO timestamp, a nested
/// actor with a place name (some non-ASCII), an amount with line items,
/// labels, booleans and a null.
fn push_event(out: &mut String, rng: &mut Xorshift, n: u64) {
    use std::fmt::Write;
    let second = 1_700_000_000 + n * 3 + rng.below(3) as u64;
    let (day, rest) = (second / 86_400 % 28 + 1, second % 86_400);
    let _ = write!(
        out,
        r#"{{"event":"{}","id":"ev_{:012x}","n":{n},"at":"2026-11-{day:02}T{:02}:{:02}:{:02}.{:03}Z","#,
        rng.pick(&KINDS),
        rng.next_u64() >> 16,
        rest / 3600,
        rest / 60 % 60,
        rest % 60,
        rng.below(1000),
    );
    let _ = write!(
        out,
        r#""actor":{{"login":"{}","uid":{},"place":"{}","staff":{}}},"#,
        rng.pick(&LOGINS),
        10_000 + rng.below(90_000),
        rng.pick(&PLACES),
        rng.below(4) == 0,
    );
    let _ = write!(
        out,
        r#""amount":{{"value":{}.{:02},"currency":"{}"}},"lines":["#,
        rng.below(5000),
        rng.below(100),
        rng.pick(&CURRENCIES),
    );
    for i in 0..1 + rng.below(3) {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            r#"{{"item":"P{:06}","count":{},"unit":{}.{:02}}}"#,
            rng.below(1_000_000),
            1 + rng.below(12),
            rng.below(300),
            rng.below(100),
        );
    }
    out.push_str(r#"],"labels":["#);
    for i in 0..rng.below(4) {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, r#""{}""#, rng.pick(&LABELS));
    }
    let _ = write!(
        out,
        r#"],"ratio":{:.3},"parent":null}}"#,
        rng.below(100_000) as f64 / 1000.0
    );
}

/// A JSON array of events, padded with spaces to exactly `len` bytes (still
/// valid JSON and UTF-8: only whole events are kept). `seed` makes each
/// message different.
pub fn json_text(len: usize, seed: u64) -> String {
    let mut rng = Xorshift::new(0x6576_656e_7473 ^ seed.wrapping_mul(0x9e37_79b9_7f4a_7c15));
    let mut out = String::with_capacity(len + 1024);
    out.push('[');
    let mut n = seed * 1_000_000;
    loop {
        let before = out.len();
        if before > 1 {
            out.push(',');
        }
        push_event(&mut out, &mut rng, n);
        n += 1;
        if out.len() + 1 > len {
            out.truncate(before);
            break;
        }
    }
    out.push(']');
    while out.len() < len {
        out.push(' ');
    }
    out
}

/// The length of an unmasked frame header for a `len`-byte payload.
pub fn server_header_len(len: usize) -> usize {
    match len {
        0..=125 => 2,
        126..=0xffff => 4,
        _ => 10,
    }
}

/// Appends a masked frame with first header byte `b0`, the shortest length
/// form, and `payload` masked with `key`.
pub fn push_masked(dst: &mut Vec<u8>, b0: u8, payload: &[u8], key: [u8; 4]) {
    dst.push(b0);
    let len = payload.len();
    match u16::try_from(len) {
        Ok(short) if short < 126 => dst.push(0x80 | short as u8),
        Ok(short) => {
            dst.push(0x80 | 126);
            dst.extend_from_slice(&short.to_be_bytes());
        }
        Err(_) => {
            dst.push(0x80 | 127);
            dst.extend_from_slice(&(len as u64).to_be_bytes());
        }
    }
    dst.extend_from_slice(&key);
    dst.extend(payload.iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k));
}

/// One workload: `count` different texts of `len` bytes, and the masked
/// compressed client frames that carry them.
#[derive(Clone, Debug)]
pub struct DeflateWorkload {
    /// The texts.
    pub messages: Vec<Bytes>,
    /// Masked client frames (FIN, RSV1, text), one per message, compressed
    /// by [`RefCompressor`] with one context for the whole sequence.
    pub wire: Bytes,
    /// Each message's compressed length (tail removed) from the same
    /// compressor: what a server with context takeover, level [`LEVEL`] and
    /// [`WINDOW_BITS`] writes, from a fresh context.
    pub compressed: Vec<usize>,
}

impl DeflateWorkload {
    /// The workload of `len`-byte texts: enough of them for
    /// [`TEXT_PER_ITERATION`] bytes.
    pub fn new(len: usize) -> DeflateWorkload {
        DeflateWorkload::with_count(len, (TEXT_PER_ITERATION / len).max(1))
    }

    /// `count` texts of `len` bytes.
    pub fn with_count(len: usize, count: usize) -> DeflateWorkload {
        let messages: Vec<Bytes> = (0..count as u64)
            .map(|i| Bytes::from(json_text(len, i * 7 + len as u64)))
            .collect();
        let mut compressor = RefCompressor::new();
        let mut keys = Xorshift::new(0x6d61_736b);
        let mut wire = Vec::new();
        let mut compressed = Vec::with_capacity(count);
        for message in &messages {
            let payload = compressor.compress(message);
            compressed.push(payload.len());
            let key = (keys.next_u64() as u32).to_le_bytes();
            push_masked(&mut wire, COMPRESSED_TEXT, &payload, key);
        }
        DeflateWorkload {
            messages,
            wire: Bytes::from(wire),
            compressed,
        }
    }

    /// The row label: `1KiB`, `16KiB`, `1MiB`.
    pub fn label(&self) -> String {
        let len = self.messages.first().map_or(0, Bytes::len);
        if len >= 1 << 20 && len.is_multiple_of(1 << 20) {
            format!("{}MiB", len >> 20)
        } else if len >= 1 << 10 && len.is_multiple_of(1 << 10) {
            format!("{}KiB", len >> 10)
        } else {
            format!("{len}B")
        }
    }

    /// Bytes of text per iteration.
    pub fn text_bytes(&self) -> usize {
        self.messages.iter().map(Bytes::len).sum()
    }

    /// The bytes of unmasked server frames the reference compressor's
    /// payloads make: what a server sending these texts with the same
    /// settings writes, give or take zlib's own choices.
    pub fn server_frames_len(&self) -> usize {
        self.compressed
            .iter()
            .map(|&n| server_header_len(n) + n)
            .sum()
    }

    /// The wire cut into chunks of `size` bytes (the last one shorter):
    /// what each read call of the transport hands out at most.
    pub fn chunks(&self, size: usize) -> Vec<Bytes> {
        cut(&self.wire, size)
    }
}

/// `wire` cut into chunks of `size` bytes (sharing its buffer).
pub fn cut(wire: &Bytes, size: usize) -> Vec<Bytes> {
    let size = size.max(1);
    (0..wire.len())
        .step_by(size)
        .map(|at| wire.slice(at..(at + size).min(wire.len())))
        .collect()
}

/// The reference compressor: raw deflate, level [`LEVEL`], [`WINDOW_BITS`],
/// one context for every message, `Z_SYNC_FLUSH` after each and the
/// [`TAIL`] removed (RFC 7692 section 7.2.1).
#[derive(Debug)]
pub struct RefCompressor {
    z: Compress,
}

impl Default for RefCompressor {
    fn default() -> Self {
        RefCompressor::new()
    }
}

impl RefCompressor {
    /// A compressor with an empty window.
    pub fn new() -> RefCompressor {
        RefCompressor {
            z: Compress::new_with_window_bits(Compression::new(LEVEL), false, WINDOW_BITS),
        }
    }

    /// One message's compressed payload.
    ///
    /// # Panics
    ///
    /// If zlib reports an error or the flush does not end with [`TAIL`].
    pub fn compress(&mut self, text: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(text.len() / 3 + 64);
        let start = self.z.total_in();
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(4096));
            }
            let used = (self.z.total_in() - start) as usize;
            self.z
                .compress_vec(&text[used..], &mut out, FlushCompress::Sync)
                .expect("reference deflate");
            let used = (self.z.total_in() - start) as usize;
            // zlib finished the flush if it left output room.
            if used == text.len() && out.len() < out.capacity() {
                break;
            }
        }
        assert!(
            out.ends_with(&TAIL),
            "a sync flush ends with the empty block"
        );
        out.truncate(out.len() - TAIL.len());
        out
    }
}

/// The reference inflater: raw inflate, [`WINDOW_BITS`], one context for
/// every message (a peer of a sender with context takeover).
#[derive(Debug)]
pub struct RefInflater {
    z: Decompress,
}

impl Default for RefInflater {
    fn default() -> Self {
        RefInflater {
            z: Decompress::new_with_window_bits(false, WINDOW_BITS),
        }
    }
}

impl RefInflater {
    /// One message's text from its compressed payload (tail removed).
    ///
    /// # Errors
    ///
    /// zlib's error, or a payload that ends the deflate stream.
    pub fn inflate(&mut self, payload: &[u8]) -> Result<Vec<u8>, String> {
        let mut input = Vec::with_capacity(payload.len() + TAIL.len());
        input.extend_from_slice(payload);
        input.extend_from_slice(&TAIL);
        let mut out = Vec::with_capacity(payload.len() * 6 + 64);
        let start = self.z.total_in();
        loop {
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(4096));
            }
            let used = (self.z.total_in() - start) as usize;
            let status = self
                .z
                .decompress_vec(&input[used..], &mut out, FlushDecompress::Sync)
                .map_err(|e| format!("inflate: {e}"))?;
            if status == Status::StreamEnd {
                return Err("a message ends the deflate stream (BFINAL)".into());
            }
            let used = (self.z.total_in() - start) as usize;
            if used == input.len() && out.len() < out.capacity() {
                return Ok(out);
            }
        }
    }
}

/// One frame split off the front of a byte string.
struct Frame<'a> {
    /// The first header byte (FIN, RSV, opcode).
    b0: u8,
    /// The masking key, if the frame is masked.
    key: Option<[u8; 4]>,
    /// The payload, still masked.
    payload: &'a [u8],
}

/// The first frame of `wire` and the bytes after it; `None` if `wire` ends
/// inside it.
fn split_frame(wire: &[u8]) -> Option<(Frame<'_>, &[u8])> {
    let (&b0, rest) = wire.split_first()?;
    let (&b1, mut rest) = rest.split_first()?;
    let len = match b1 & 0x7f {
        126 => {
            let (len, after) = rest.split_at_checked(2)?;
            rest = after;
            usize::from(u16::from_be_bytes(len.try_into().ok()?))
        }
        127 => {
            let (len, after) = rest.split_at_checked(8)?;
            rest = after;
            usize::try_from(u64::from_be_bytes(len.try_into().ok()?)).ok()?
        }
        n => usize::from(n),
    };
    let key = if b1 & 0x80 != 0 {
        let (key, after) = rest.split_at_checked(4)?;
        rest = after;
        Some(key.try_into().ok()?)
    } else {
        None
    };
    let (payload, rest) = rest.split_at_checked(len)?;
    Some((Frame { b0, key, payload }, rest))
}

/// Parses unmasked server frames as an encoder under test wrote them, each
/// of which must be a final compressed text frame, and inflates them in
/// order with one [`RefInflater`]: the texts.
///
/// # Errors
///
/// A description of the first frame that is not such a frame or does not
/// inflate.
pub fn inflate_server_frames(mut wire: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut inflater = RefInflater::default();
    let mut texts = Vec::new();
    while !wire.is_empty() {
        let n = texts.len();
        let (Frame { b0, key, payload }, rest) =
            split_frame(wire).ok_or_else(|| format!("frame {n}: cut short"))?;
        if b0 != COMPRESSED_TEXT {
            return Err(format!(
                "frame {n}: header byte {b0:#04x}, not {COMPRESSED_TEXT:#04x}"
            ));
        }
        if key.is_some() {
            return Err(format!("frame {n}: a server frame is masked"));
        }
        texts.push(
            inflater
                .inflate(payload)
                .map_err(|e| format!("frame {n}: {e}"))?,
        );
        wire = rest;
    }
    Ok(texts)
}

/// Re-frames unmasked server frames as masked client frames (header byte
/// kept), so one implementation's output can be fed to the server decoders.
///
/// # Panics
///
/// If `wire` is not a sequence of whole unmasked frames.
pub fn server_to_client_frames(mut wire: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(wire.len() + wire.len() / 32);
    let mut keys = Xorshift::new(0x7265_6d61_736b);
    while !wire.is_empty() {
        let (Frame { b0, key, payload }, rest) = split_frame(wire).expect("whole frames");
        assert!(key.is_none(), "server frames are unmasked");
        push_masked(
            &mut out,
            b0,
            payload,
            (keys.next_u64() as u32).to_le_bytes(),
        );
        wire = rest;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn texts_are_json_of_the_exact_size_and_compress_like_json() {
        for len in SIZES {
            let text = json_text(len, 5);
            assert_eq!(text.len(), len);
            assert!(text.starts_with("[{\"event\":\""));
            assert!(text.trim_end().ends_with("}]"));
            let ratio = len as f64 / RefCompressor::new().compress(text.as_bytes()).len() as f64;
            assert!((2.5..12.0).contains(&ratio), "{len}: ratio {ratio}");
        }
        assert_ne!(json_text(1024, 1), json_text(1024, 2));
    }

    #[test]
    fn the_wire_inflates_back_to_the_texts() {
        let workload = DeflateWorkload::with_count(16 << 10, 6);
        let mut inflater = RefInflater::default();
        let mut wire = &workload.wire[..];
        for (message, &len) in workload.messages.iter().zip(&workload.compressed) {
            let (Frame { b0, key, payload }, rest) = split_frame(wire).expect("frame");
            assert_eq!(b0, COMPRESSED_TEXT);
            assert_eq!(payload.len(), len);
            let key = key.expect("client frames are masked");
            let unmasked: Vec<u8> = payload
                .iter()
                .zip(key.iter().cycle())
                .map(|(b, k)| b ^ k)
                .collect();
            assert_eq!(inflater.inflate(&unmasked).expect("inflate"), message[..]);
            wire = rest;
        }
        assert!(wire.is_empty());
    }

    #[test]
    fn chunks_cover_the_wire() {
        let workload = DeflateWorkload::with_count(1 << 10, 30);
        let chunks = workload.chunks(4096);
        assert!(chunks.iter().all(|c| c.len() <= 4096));
        assert_eq!(chunks.concat(), workload.wire[..]);
    }
}
