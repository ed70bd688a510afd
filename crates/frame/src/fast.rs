//! The only module of this crate with `unsafe` code, and the reason each
//! block is sound.
//!
//! Two things live here:
//!
//! 1. Runtime dispatch of the masking loop to the widest XOR the CPU has: an
//!    AVX-512 loop (unaligned 512-bit loads and stores), or the safe word
//!    loop of [`crate::mask`] compiled with AVX2 enabled. Calling either is
//!    sound once the CPU has been seen to support the feature; the loads and
//!    stores stay inside the 64-byte blocks they are given. Tests compare
//!    every variant the CPU supports with the plain byte loop for every
//!    length 0..=1024 at every offset and alignment.
//! 2. The `&str` view of [`Utf8Bytes`](crate::Utf8Bytes), which skips a
//!    second validation. Every `Utf8Bytes` holds valid UTF-8: its public
//!    constructors validate or take a `str`, and the crate-private
//!    `from_validated` is only called by `validate.rs` on bytes that its
//!    incremental validator checked while they could not change (shared
//!    `Bytes`, or a buffer `Utf8Buf` owns and only appends validated pieces
//!    to). No other crate can build a `Utf8Bytes` without validation.
#![allow(unsafe_code)]

/// Masks `buf` with the 4-byte `key` (already rotated to `buf[0]`'s position),
/// with the widest XOR the CPU has: AVX-512, AVX2, else the SSE2 words.
#[inline]
pub(crate) fn mask_bulk(buf: &mut [u8], key: [u8; 4]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU supports AVX-512F (checked on the line above),
            // the one requirement of calling this
            // `#[target_feature(enable = "avx512f")]` function.
            unsafe { mask_avx512(buf, key) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: `mask_avx2` only differs from the safe `mask_words` in
            // being compiled with AVX2 enabled; the line above checked that
            // this CPU supports AVX2, which is the one requirement of calling
            // a `#[target_feature(enable = "avx2")]` function.
            unsafe { mask_avx2(buf, key) };
            return;
        }
    }
    crate::mask::mask_words(buf, key);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn mask_avx2(buf: &mut [u8], key: [u8; 4]) {
    crate::mask::mask_words(buf, key);
}

/// The bytes before the first 64-byte boundary with the word loop, then
/// aligned 64-byte blocks with one 512-bit XOR each (four per loop
/// iteration), then the rest (under 64 bytes) with the word loop.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn mask_avx512(buf: &mut [u8], key: [u8; 4]) {
    use std::arch::x86_64::{
        __m512i, _mm512_loadu_si512, _mm512_set1_epi32, _mm512_storeu_si512, _mm512_xor_si512,
    };
    // Up to the first 64-byte boundary with the word loop, so that every
    // 512-bit access below is aligned (an access that straddles two cache
    // lines costs about twice as much).
    let lead = buf.as_ptr().align_offset(64).min(buf.len());
    let (head, buf) = buf.split_at_mut(lead);
    crate::mask::mask_words(head, key);
    let key = crate::mask::rotate_key(key, lead);
    // Every 4-byte lane holds the key bytes in order.
    let wide = _mm512_set1_epi32(i32::from_ne_bytes(key));
    let (quads, rest) = buf.as_chunks_mut::<256>();
    for quad in quads {
        let p = quad.as_mut_ptr().cast::<__m512i>();
        // SAFETY: `p` points at 256 bytes (four `__m512i`) of `quad`, a
        // `&mut [u8; 256]`, so every offset 0..4 is in bounds, readable and
        // writable, and nothing else aliases it; the unaligned load and
        // store have no alignment requirement.
        unsafe {
            let a = _mm512_loadu_si512(p);
            let b = _mm512_loadu_si512(p.add(1));
            let c = _mm512_loadu_si512(p.add(2));
            let d = _mm512_loadu_si512(p.add(3));
            _mm512_storeu_si512(p, _mm512_xor_si512(a, wide));
            _mm512_storeu_si512(p.add(1), _mm512_xor_si512(b, wide));
            _mm512_storeu_si512(p.add(2), _mm512_xor_si512(c, wide));
            _mm512_storeu_si512(p.add(3), _mm512_xor_si512(d, wide));
        }
    }
    // 256 is a multiple of 4: the key phase is unchanged for the rest.
    let (blocks, rest) = rest.as_chunks_mut::<64>();
    for block in blocks {
        let p = block.as_mut_ptr().cast::<__m512i>();
        // SAFETY: `p` points at the 64 bytes of `block`, a `&mut [u8; 64]`:
        // in bounds, readable, writable, not aliased; unaligned access.
        unsafe { _mm512_storeu_si512(p, _mm512_xor_si512(_mm512_loadu_si512(p), wide)) };
    }
    crate::mask::mask_words(rest, key);
}

/// Views bytes as `&str` without validating them again.
///
/// Only called by `Utf8Bytes`, whose every constructor either validated its
/// bytes as UTF-8 (at once, or piece by piece in `validate.rs`) or took them
/// from a `&str`/`String`.
#[inline]
pub(crate) fn str_from_validated(bytes: &[u8]) -> &str {
    debug_assert!(std::str::from_utf8(bytes).is_ok());
    // SAFETY: `Utf8Bytes` (the only caller) holds bytes that were validated
    // as UTF-8 by `simdutf8` (whole, or piece by piece by the validator of
    // `validate.rs` while the bytes were shared or owned by `Utf8Buf`), or
    // came from a `str`; it never exposes a way to change them; see the
    // constructors in `utf8.rs` and the callers of `from_validated`.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

#[cfg(test)]
mod tests {
    use crate::mask::{apply_mask_scalar, mask_words, rotate_key};

    /// Every variant this CPU can run, against the byte loop, for every
    /// length 0..=1024, start alignment and key phase.
    #[test]
    fn every_variant_matches_the_byte_loop() {
        type Masker = fn(&mut [u8], [u8; 4]);
        let mut variants: Vec<(&str, Masker)> =
            vec![("words", mask_words), ("dispatch", super::mask_bulk)];
        #[cfg(target_arch = "x86_64")]
        {
            if std::arch::is_x86_feature_detected!("avx2") {
                // SAFETY: AVX2 is supported (checked above).
                variants.push(("avx2", |b, k| unsafe { super::mask_avx2(b, k) }));
            }
            if std::arch::is_x86_feature_detected!("avx512f") {
                // SAFETY: AVX-512F is supported (checked above).
                variants.push(("avx512", |b, k| unsafe { super::mask_avx512(b, k) }));
            }
        }
        let key = [0x9c, 0x01, 0x7f, 0xe3];
        let backing: Vec<u8> = (0..1024 + 64).map(|i| (i * 131 + 17) as u8).collect();
        for (name, variant) in variants {
            for len in 0..=1024usize {
                for start in [0usize, 1, 3, 7, 32, 63] {
                    for offset in 0..4 {
                        let mut fast = backing.clone();
                        let mut plain = backing.clone();
                        variant(&mut fast[start..start + len], rotate_key(key, offset));
                        apply_mask_scalar(&mut plain[start..start + len], key, offset);
                        assert_eq!(
                            fast, plain,
                            "{name}: len {len} start {start} offset {offset}"
                        );
                    }
                }
            }
        }
    }
}
