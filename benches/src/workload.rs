//! The input: masked client frames, their expected payloads, and the chunk
//! boundaries at which the transport delivers them.
//!
//! Everything here is deterministic (a fixed-seed SplitMix64), and the wire
//! bytes are built by [`push_masked_frame`], an encoder written for the
//! benches, so a bug in an implementation under test cannot shape its own
//! input.

use bytes::Bytes;

/// The payload sizes of the decode and encode groups: 16 B, 128 B, 1 KiB,
/// 16 KiB and 1 MiB.
pub const PAYLOAD_SIZES: [usize; 5] = [16, 128, 1 << 10, 16 << 10, 1 << 20];

/// About this many payload bytes are decoded or encoded per iteration, so
/// the per-iteration overhead (rewinding the mock, entering the executor) is
/// spread over many frames: 65 536 frames of 16 B, 64 frames of 16 KiB.
pub const PAYLOAD_PER_ITERATION: usize = 1 << 20;

/// The largest frame every implementation is configured to accept (tether's
/// default; above the 1 MiB frames of the largest workload).
pub const MAX_FRAME_SIZE: usize = 16 << 20;

/// The seed of the random chunk boundaries.
pub const CHUNK_SEED: u64 = 0x7e7e_7e7e_0000_6455;

/// The number of frames per iteration for `payload_len`-byte payloads: enough
/// for [`PAYLOAD_PER_ITERATION`] bytes, and at least 2 (two 1 MiB frames).
pub fn frames_per_iteration(payload_len: usize) -> usize {
    (PAYLOAD_PER_ITERATION / payload_len.max(1)).max(2)
}

/// The label of a payload size in benchmark ids: `16B`, `1KiB`, `1MiB`.
pub fn size_label(len: usize) -> String {
    if len >= 1 << 20 && len.is_multiple_of(1 << 20) {
        format!("{}MiB", len >> 20)
    } else if len >= 1 << 10 && len.is_multiple_of(1 << 10) {
        format!("{}KiB", len >> 10)
    } else {
        format!("{len}B")
    }
}

/// The inverse of [`size_label`].
pub fn parse_size_label(label: &str) -> Option<usize> {
    let (digits, unit) = label.split_at(label.find(|c: char| !c.is_ascii_digit())?);
    let n: usize = digits.parse().ok()?;
    match unit {
        "B" => Some(n),
        "KiB" => n.checked_mul(1 << 10),
        "MiB" => n.checked_mul(1 << 20),
        _ => None,
    }
}

/// SplitMix64: a tiny deterministic generator, enough for test data.
#[derive(Clone, Debug)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    /// A generator starting from `seed`.
    pub fn new(seed: u64) -> Self {
        SplitMix64(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A value in `lo..=hi`.
    pub fn in_range(&mut self, lo: usize, hi: usize) -> usize {
        let span = (hi - lo) as u64 + 1;
        lo + (self.next_u64() % span) as usize
    }

    /// Fills `buf` with random bytes.
    pub fn fill(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let word = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&word[..chunk.len()]);
        }
    }
}

/// One workload: `frames` binary frames of `payload_len` bytes each, as a
/// client sends them (masked, each with its own key).
#[derive(Clone, Debug)]
pub struct Workload {
    /// The payload size of every frame.
    pub payload_len: usize,
    /// The expected (unmasked) payloads, one per frame; slices of one buffer.
    pub payloads: Vec<Bytes>,
    /// All the frames, back to back, as they arrive at a server.
    pub wire: Bytes,
}

impl Workload {
    /// The workload of the benches for `payload_len`, with
    /// [`frames_per_iteration`] frames.
    pub fn new(payload_len: usize) -> Workload {
        Workload::with_frames(payload_len, frames_per_iteration(payload_len))
    }

    /// A workload of `frames` frames of `payload_len` bytes.
    pub fn with_frames(payload_len: usize, frames: usize) -> Workload {
        let mut rng = SplitMix64::new(0x00c0_ffee ^ ((payload_len as u64) << 20) ^ (frames as u64));
        let mut all = vec![0u8; payload_len * frames];
        rng.fill(&mut all);
        let all = Bytes::from(all);
        let payloads: Vec<Bytes> = (0..frames)
            .map(|i| all.slice(i * payload_len..(i + 1) * payload_len))
            .collect();
        let mut wire = Vec::with_capacity(frames * (payload_len + 14));
        for payload in &payloads {
            let key = (rng.next_u64() as u32).to_le_bytes();
            push_masked_frame(&mut wire, payload, key);
        }
        Workload {
            payload_len,
            payloads,
            wire: Bytes::from(wire),
        }
    }

    /// The number of frames.
    pub fn frames(&self) -> usize {
        self.payloads.len()
    }

    /// The total payload bytes: what criterion's `Throughput::Bytes` counts.
    pub fn payload_bytes(&self) -> usize {
        self.payloads.iter().map(Bytes::len).sum()
    }
}

/// Appends a final binary frame with `payload` masked with `key`, with the
/// length in its shortest form (RFC 6455 section 5.2).
pub fn push_masked_frame(dst: &mut Vec<u8>, payload: &[u8], key: [u8; 4]) {
    push_masked(dst, 0x82, payload, key);
}

/// Appends a masked frame whose first header byte (FIN, RSV, opcode) is
/// `b0`, with the length in its shortest form.
pub fn push_masked(dst: &mut Vec<u8>, b0: u8, payload: &[u8], key: [u8; 4]) {
    dst.push(b0);
    let len = payload.len();
    if len < 126 {
        dst.push(0x80 | len as u8);
    } else if len <= 0xFFFF {
        dst.push(0x80 | 126);
        dst.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        dst.push(0x80 | 127);
        dst.extend_from_slice(&(len as u64).to_be_bytes());
    }
    dst.extend_from_slice(&key);
    dst.extend(payload.iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k));
}

/// Parses `wire` as final, masked binary frames in the shortest length form
/// and returns their unmasked payloads: the reference decoder that checks
/// what the encoders wrote.
///
/// # Errors
///
/// A description of the first thing that is not such a frame.
pub fn parse_masked_frames(wire: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    parse_binary_frames(wire, true)
}

/// Parses `wire` as final binary frames in the shortest length form, masked
/// (as a client sends them) if `masked`, else unmasked (as a server sends
/// them), and returns their payloads, unmasked.
///
/// # Errors
///
/// A description of the first thing that is not such a frame.
pub fn parse_binary_frames(mut wire: &[u8], masked: bool) -> Result<Vec<Vec<u8>>, String> {
    let mut payloads = Vec::new();
    while !wire.is_empty() {
        let at = payloads.len();
        let [b0, b1, rest @ ..] = wire else {
            return Err(format!("frame {at}: truncated header"));
        };
        if *b0 != 0x82 {
            return Err(format!(
                "frame {at}: first byte {b0:#04x}, not a final binary frame"
            ));
        }
        if (b1 & 0x80 != 0) != masked {
            return Err(format!(
                "frame {at}: {}",
                if masked { "not masked" } else { "masked" }
            ));
        }
        let (len, rest) = match b1 & 0x7F {
            126 => {
                let (n, rest) = rest.split_at_checked(2).ok_or("truncated length")?;
                let len = usize::from(u16::from_be_bytes([n[0], n[1]]));
                if len < 126 {
                    return Err(format!("frame {at}: 16-bit length {len}"));
                }
                (len, rest)
            }
            127 => {
                let (n, rest) = rest.split_at_checked(8).ok_or("truncated length")?;
                let len = u64::from_be_bytes(n.try_into().map_err(|_| "length")?);
                if len <= 0xFFFF {
                    return Err(format!("frame {at}: 64-bit length {len}"));
                }
                (usize::try_from(len).map_err(|_| "length")?, rest)
            }
            n => (usize::from(n), rest),
        };
        let (key, rest) = if masked {
            rest.split_at_checked(4).ok_or("truncated key")?
        } else {
            (&[0u8; 4][..], rest)
        };
        let (payload, rest) = rest
            .split_at_checked(len)
            .ok_or_else(|| format!("frame {at}: truncated payload"))?;
        payloads.push(
            payload
                .iter()
                .zip(key.iter().cycle())
                .map(|(b, k)| b ^ k)
                .collect(),
        );
        wire = rest;
    }
    Ok(payloads)
}

/// How the wire bytes are cut into the chunks that the transport hands out,
/// one per read call.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chunking {
    /// All the bytes in one chunk (a reader still gets at most as many as its
    /// buffer has room for).
    Whole,
    /// Chunks of this many bytes (the last one shorter).
    Fixed(usize),
    /// Chunks of a length drawn uniformly from `min..=max`, from a
    /// SplitMix64 seeded with `seed`: the same boundaries for everyone.
    Random {
        /// The shortest chunk.
        min: usize,
        /// The longest chunk.
        max: usize,
        /// The seed.
        seed: u64,
    },
}

impl Chunking {
    /// The three chunkings of the decode groups, with their names:
    /// `whole`, `4k` (4 KiB chunks) and `random` (1..=1500-byte chunks).
    pub fn all() -> [(&'static str, Chunking); 3] {
        [
            ("whole", Chunking::Whole),
            ("4k", Chunking::Fixed(4096)),
            (
                "random",
                Chunking::Random {
                    min: 1,
                    max: 1500,
                    seed: CHUNK_SEED,
                },
            ),
        ]
    }

    /// Cuts `wire` into chunks (cheap: they share `wire`'s buffer).
    pub fn cut(&self, wire: &Bytes) -> Vec<Bytes> {
        let mut chunks = Vec::new();
        let mut rng = match *self {
            Chunking::Random { seed, .. } => SplitMix64::new(seed),
            _ => SplitMix64::new(0),
        };
        let mut at = 0;
        while at < wire.len() {
            let len = match *self {
                Chunking::Whole => wire.len(),
                Chunking::Fixed(n) => n.max(1),
                Chunking::Random { min, max, .. } => rng.in_range(min.max(1), max.max(min)),
            };
            let end = (at + len).min(wire.len());
            chunks.push(wire.slice(at..end));
            at = end;
        }
        chunks
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_round_trip() {
        for size in PAYLOAD_SIZES.into_iter().chain([0, 1, 1000, 1536]) {
            assert_eq!(parse_size_label(&size_label(size)), Some(size));
        }
        assert_eq!(size_label(1 << 20), "1MiB");
        assert_eq!(size_label(16 << 10), "16KiB");
    }

    #[test]
    fn reference_codec_round_trips() {
        for size in [0, 1, 125, 126, 0xFFFF, 0x1_0000] {
            let w = Workload::with_frames(size, 3);
            let payloads = parse_masked_frames(&w.wire).expect("valid");
            assert_eq!(payloads.len(), 3);
            for (got, want) in payloads.iter().zip(&w.payloads) {
                assert_eq!(&got[..], &want[..]);
            }
        }
    }

    #[test]
    fn reference_parser_tells_server_frames_from_client_frames() {
        let server = [0x82, 3, 1, 2, 3, 0x82, 0];
        assert_eq!(
            parse_binary_frames(&server, false).expect("valid"),
            vec![vec![1, 2, 3], vec![]]
        );
        assert!(parse_binary_frames(&server, true).is_err());
        let client = Workload::with_frames(200, 2);
        assert!(parse_binary_frames(&client.wire, false).is_err());
    }

    #[test]
    fn chunks_cover_the_wire_and_are_deterministic() {
        let w = Workload::with_frames(1000, 50);
        for (_, chunking) in Chunking::all() {
            let a = chunking.cut(&w.wire);
            let b = chunking.cut(&w.wire);
            assert_eq!(a, b);
            assert_eq!(a.concat(), &w.wire[..]);
            if let Chunking::Random { min, max, .. } = chunking {
                assert!(a[..a.len() - 1]
                    .iter()
                    .all(|c| (min..=max).contains(&c.len())));
            }
        }
    }
}
