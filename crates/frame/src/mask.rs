//! Payload masking (RFC 6455 section 5.3).
//!
//! Masking and unmasking are the same XOR with the 4-byte key, where byte
//! `i` of the payload is XORed with `key[i % 4]`. [`apply_mask`] takes the
//! position of the first byte within the payload, so a frame can be unmasked
//! piece by piece as its bytes arrive, each byte exactly once.

/// Below this length the word loop is used directly, without the dispatch to
/// the wide (AVX2) copy.
const SMALL: usize = 64;

/// XORs `buf` with the masking `key`, where `buf[0]` is the byte at position
/// `offset` of the frame payload.
///
/// Applying it twice with the same arguments restores the input. Uses wide
/// XORs (AVX2 when the CPU has it, detected at run time, else 64-bit words
/// the compiler vectorises with SSE2).
///
/// ```
/// use tether_frame::mask::apply_mask;
/// let key = [0x37, 0xfa, 0x21, 0x3d];
/// let mut payload = *b"Hello";
/// apply_mask(&mut payload, key, 0);
/// assert_eq!(payload, [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
/// // Unmasking in two pieces, resumed at position 2:
/// let (a, b) = payload.split_at_mut(2);
/// apply_mask(a, key, 0);
/// apply_mask(b, key, 2);
/// assert_eq!(&payload, b"Hello");
/// ```
#[inline]
pub fn apply_mask(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let key = rotate_key(key, offset);
    if buf.len() < SMALL {
        mask_words(buf, key);
    } else {
        crate::fast::mask_bulk(buf, key);
    }
}

/// The reference implementation: one byte at a time. Same contract as
/// [`apply_mask`]; kept public so tests and fuzzers can compare against it.
pub fn apply_mask_scalar(buf: &mut [u8], key: [u8; 4], offset: usize) {
    let key = rotate_key(key, offset);
    for (byte, k) in buf.iter_mut().zip(key.iter().cycle()) {
        *byte ^= *k;
    }
}

/// The key as seen from position `offset` of the payload.
#[inline]
pub(crate) fn rotate_key(key: [u8; 4], offset: usize) -> [u8; 4] {
    let word = u32::from_le_bytes(key);
    // Little-endian: rotating right by 8 bits moves key[1] into byte 0.
    let shift = ((offset % 4) * 8) as u32;
    word.rotate_right(shift).to_le_bytes()
}

/// The word loop, in safe Rust: 32-byte blocks of four 64-bit XORs (one
/// 256-bit XOR once compiled with AVX2, two 128-bit ones with SSE2), then
/// 8-byte words, a 4-byte word, then the last 0-3 bytes. `crate::fast` also compiles it
/// with AVX2 enabled.
#[inline(always)]
pub(crate) fn mask_words(buf: &mut [u8], key: [u8; 4]) {
    let [k0, k1, k2, k3] = key;
    let k64 = u64::from_ne_bytes([k0, k1, k2, k3, k0, k1, k2, k3]);
    let (blocks, rest) = buf.as_chunks_mut::<32>();
    for block in blocks {
        let (words, _) = block.as_chunks_mut::<8>();
        for word in words {
            *word = (u64::from_ne_bytes(*word) ^ k64).to_ne_bytes();
        }
    }
    // 32 and 8 are multiples of 4: the key phase is unchanged for the rest.
    let (words, tail) = rest.as_chunks_mut::<8>();
    for word in words {
        *word = (u64::from_ne_bytes(*word) ^ k64).to_ne_bytes();
    }
    let (quad, last) = tail.as_chunks_mut::<4>();
    for word in quad {
        *word = (u32::from_ne_bytes(*word) ^ u32::from_ne_bytes(key)).to_ne_bytes();
    }
    for (b, k) in last.iter_mut().zip(key) {
        *b ^= k;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 + 7) as u8).collect()
    }

    #[test]
    fn fast_path_matches_byte_loop_for_every_length_and_offset() {
        let key = [0x12, 0x9a, 0xfe, 0x01];
        // An oversized backing buffer lets every start address (alignment)
        // be tried too.
        let backing = pattern(1024 + 64);
        for len in 0..=1024usize {
            for start in 0..8usize {
                for offset in 0..4usize {
                    let mut fast = backing.clone();
                    let mut plain = backing.clone();
                    apply_mask(&mut fast[start..start + len], key, offset);
                    apply_mask_scalar(&mut plain[start..start + len], key, offset);
                    assert_eq!(fast, plain, "len {len} start {start} offset {offset}");
                }
            }
        }
    }

    #[test]
    fn resumed_unmasking_at_every_split_point() {
        let key = [0xde, 0xad, 0xbe, 0xef];
        let original = pattern(300);
        let mut whole = original.clone();
        apply_mask_scalar(&mut whole, key, 0);
        for split in 0..=original.len() {
            let mut pieces = original.clone();
            let (a, b) = pieces.split_at_mut(split);
            apply_mask(a, key, 0);
            apply_mask(b, key, split);
            assert_eq!(pieces, whole, "split {split}");
        }
        // Three pieces, the middle one of every length at every position.
        for first in [0usize, 1, 2, 3, 5, 64, 67] {
            for mid in [0usize, 1, 3, 4, 31, 32, 33, 100] {
                let mut pieces = original.clone();
                let (a, rest) = pieces.split_at_mut(first);
                let (b, c) = rest.split_at_mut(mid);
                apply_mask(a, key, 0);
                apply_mask(b, key, first);
                apply_mask(c, key, first + mid);
                assert_eq!(pieces, whole, "first {first} mid {mid}");
            }
        }
    }

    #[test]
    fn rotation() {
        let key = [1, 2, 3, 4];
        assert_eq!(rotate_key(key, 0), [1, 2, 3, 4]);
        assert_eq!(rotate_key(key, 1), [2, 3, 4, 1]);
        assert_eq!(rotate_key(key, 6), [3, 4, 1, 2]);
        assert_eq!(rotate_key(key, 7), [4, 1, 2, 3]);
    }
}
