//! The only module of this crate with `unsafe` code, and the reason each
//! block is sound.
//!
//! Three things live here:
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
//! 3. An AVX-512 UTF-8 validator ([`is_utf8_avx512`]), the lookup algorithm
//!    of Keiser and Lemire ("Validating UTF-8 In Less Than One Instruction
//!    Per Byte", 2021) on 64-byte blocks, used by `validate::is_utf8` when
//!    the CPU has AVX-512F, BW and VBMI (detected once, at run time).
//!    Calling it is sound once the CPU has been seen to support them; its
//!    only other unsafe code is loading blocks: unaligned 64-byte loads that
//!    stay inside the `&[u8; 64]` or `&[u8; 67]` they are given, and masked
//!    loads of the bytes of a shorter slice (a masked-off byte is not
//!    accessed, so it cannot fault). Its answer is trusted by the `&str`
//!    view above. Tests compare it with `std::str::from_utf8` at every
//!    length 0..=1024 and alignment, on every single-byte corruption around
//!    block boundaries, on the classic invalid forms, on every two-byte pair
//!    and on random input.
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
    // as UTF-8 by `validate::is_utf8` (the AVX-512 kernel below, tested
    // against the standard library, or `simdutf8`; whole, or piece by piece
    // by the validator of `validate.rs` while the bytes were shared or owned
    // by `Utf8Buf`), or
    // came from a `str`; it never exposes a way to change them; see the
    // constructors in `utf8.rs` and the callers of `from_validated`.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}

/// Whether `bytes` is UTF-8, by the AVX-512 kernel; `None` if this CPU (or
/// target) cannot run it, and the caller must use another validator.
#[inline]
pub(crate) fn is_utf8_avx512(bytes: &[u8]) -> Option<bool> {
    #[cfg(target_arch = "x86_64")]
    {
        if utf8::supported() {
            // SAFETY: `supported` saw that this CPU has AVX-512F, AVX-512BW
            // and AVX-512VBMI, the one requirement of calling this
            // `#[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]`
            // function.
            return Some(unsafe { utf8::validate(bytes) });
        }
    }
    let _ = bytes;
    None
}

/// The AVX-512 UTF-8 validator.
///
/// Each 64-byte block is checked against the three bytes before it
/// (`prev1`, `prev2`, `prev3`: the same bytes one, two and three positions
/// earlier in the text, zero before its start). Three 16-entry tables,
/// looked up by the high nibble of `prev1`, the low nibble of `prev1` and
/// the high nibble of the byte itself, give for each byte the error classes
/// its pair with `prev1` may belong to; the AND of the three is the set it
/// does belong to. Every class is an error except "two continuation bytes
/// in a row", which is required exactly where `prev2` starts a 3- or 4-byte
/// sequence or `prev3` a 4-byte one (XOR with that condition). A block of
/// ASCII skips the lookups; it only has to check that the text before it
/// does not end inside a code point. A tail under 64 bytes is loaded with
/// zeros after it (ASCII, which keeps valid text valid and makes a
/// truncated sequence fail); a text that ends on a block boundary has its
/// last three bytes checked for a truncated sequence.
///
/// The previous bytes are unaligned loads 1, 2 and 3 bytes before the block
/// rather than byte shifts across the previous block: loads are cheap, and
/// the four shuffles of a shift would compete with the three lookups for
/// the vector shuffle unit. Only the first block, which has nothing before
/// it in memory, is shifted.
#[cfg(target_arch = "x86_64")]
mod utf8 {
    use std::arch::x86_64::{
        __m512i, _mm512_alignr_epi64, _mm512_alignr_epi8, _mm512_loadu_si512,
        _mm512_maskz_loadu_epi8, _mm512_movepi8_mask, _mm512_or_si512, _mm512_permutexvar_epi8,
        _mm512_set1_epi8, _mm512_set4_epi64, _mm512_setzero_si512, _mm512_srli_epi16,
        _mm512_subs_epu8, _mm512_ternarylogic_epi32, _mm512_test_epi8_mask, _mm512_xor_si512,
    };
    use std::sync::atomic::{AtomicU8, Ordering};

    // The error classes of a byte and the byte before it (`prev1`), one bit
    // each, as in the paper. Bit 6 is shared by two classes that never
    // overlap in a table.
    /// A lead byte not followed by a continuation byte.
    const TOO_SHORT: u8 = 1 << 0;
    /// A continuation byte after an ASCII byte.
    const TOO_LONG: u8 = 1 << 1;
    /// `E0` followed by `80..=9F` (a 3-byte form of a 2-byte code point).
    const OVERLONG_3: u8 = 1 << 2;
    /// `F4` followed by `90..=BF`, or `F5..=FF` by `90..=BF`: above U+10FFFF.
    const TOO_LARGE: u8 = 1 << 3;
    /// `ED` followed by `A0..=BF`: U+D800..=U+DFFF.
    const SURROGATE: u8 = 1 << 4;
    /// `C0` or `C1` followed by a continuation byte.
    const OVERLONG_2: u8 = 1 << 5;
    /// `F5..=FF` followed by `80..=8F` (the rest of `F5..=FF` is `TOO_LARGE`).
    const TOO_LARGE_1000: u8 = 1 << 6;
    /// `F0` followed by `80..=8F` (a 4-byte form of a 3-byte code point).
    const OVERLONG_4: u8 = 1 << 6;
    /// Two continuation bytes in a row: an error unless required.
    const TWO_CONTS: u8 = 1 << 7;
    /// The classes decided by the high nibbles alone.
    const CARRY: u8 = TOO_SHORT | TOO_LONG | TWO_CONTS;

    /// By the high nibble of `prev1`.
    const PREV1_HIGH: [u8; 16] = [
        // 0..=7: ASCII
        TOO_LONG,
        TOO_LONG,
        TOO_LONG,
        TOO_LONG,
        TOO_LONG,
        TOO_LONG,
        TOO_LONG,
        TOO_LONG,
        // 8..=B: continuation
        TWO_CONTS,
        TWO_CONTS,
        TWO_CONTS,
        TWO_CONTS,
        // C: 2-byte lead (C0, C1 overlong)
        TOO_SHORT | OVERLONG_2,
        // D: 2-byte lead
        TOO_SHORT,
        // E: 3-byte lead (E0 overlong, ED surrogates)
        TOO_SHORT | OVERLONG_3 | SURROGATE,
        // F: 4-byte lead (F0 overlong, F4 and up too large)
        TOO_SHORT | TOO_LARGE | TOO_LARGE_1000 | OVERLONG_4,
    ];
    /// By the low nibble of `prev1`.
    const PREV1_LOW: [u8; 16] = [
        CARRY | OVERLONG_2 | OVERLONG_3 | OVERLONG_4,   // _0
        CARRY | OVERLONG_2,                             // _1
        CARRY,                                          // _2
        CARRY,                                          // _3
        CARRY | TOO_LARGE,                              // _4
        CARRY | TOO_LARGE | TOO_LARGE_1000,             // _5
        CARRY | TOO_LARGE | TOO_LARGE_1000,             // _6
        CARRY | TOO_LARGE | TOO_LARGE_1000,             // _7
        CARRY | TOO_LARGE | TOO_LARGE_1000,             // _8
        CARRY | TOO_LARGE | TOO_LARGE_1000,             // _9
        CARRY | TOO_LARGE | TOO_LARGE_1000,             // _A
        CARRY | TOO_LARGE | TOO_LARGE_1000,             // _B
        CARRY | TOO_LARGE | TOO_LARGE_1000,             // _C
        CARRY | TOO_LARGE | TOO_LARGE_1000 | SURROGATE, // _D
        CARRY | TOO_LARGE | TOO_LARGE_1000,             // _E
        CARRY | TOO_LARGE | TOO_LARGE_1000,             // _F
    ];
    /// By the high nibble of the byte itself.
    const BYTE_HIGH: [u8; 16] = [
        // 0..=7: ASCII
        TOO_SHORT,
        TOO_SHORT,
        TOO_SHORT,
        TOO_SHORT,
        TOO_SHORT,
        TOO_SHORT,
        TOO_SHORT,
        TOO_SHORT,
        // 8: 80..=8F
        TOO_LONG | TWO_CONTS | OVERLONG_2 | OVERLONG_3 | TOO_LARGE_1000 | OVERLONG_4,
        // 9: 90..=9F
        TOO_LONG | TWO_CONTS | OVERLONG_2 | OVERLONG_3 | TOO_LARGE,
        // A, B: A0..=BF
        TOO_LONG | TWO_CONTS | OVERLONG_2 | SURROGATE | TOO_LARGE,
        TOO_LONG | TWO_CONTS | OVERLONG_2 | SURROGATE | TOO_LARGE,
        // C..=F: leads
        TOO_SHORT,
        TOO_SHORT,
        TOO_SHORT,
        TOO_SHORT,
    ];

    /// 0: not detected yet, 1: absent, 2: present.
    static SUPPORTED: AtomicU8 = AtomicU8::new(0);

    /// Whether this CPU has AVX-512F, BW and VBMI (detected once).
    #[inline]
    pub(super) fn supported() -> bool {
        match SUPPORTED.load(Ordering::Relaxed) {
            0 => {
                let yes = std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512vbmi");
                SUPPORTED.store(if yes { 2 } else { 1 }, Ordering::Relaxed);
                yes
            }
            seen => seen == 2,
        }
    }

    /// A 16-entry table repeated in every 16 bytes, so that an index's bits
    /// above the low four do not matter to `vpermb` (which reads six).
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn table(t: [u8; 16]) -> __m512i {
        let [l0, l1, l2, l3, l4, l5, l6, l7, h0, h1, h2, h3, h4, h5, h6, h7] = t;
        let lo = i64::from_le_bytes([l0, l1, l2, l3, l4, l5, l6, l7]);
        let hi = i64::from_le_bytes([h0, h1, h2, h3, h4, h5, h6, h7]);
        _mm512_set4_epi64(hi, lo, hi, lo)
    }

    #[target_feature(enable = "avx512f,avx512bw")]
    #[inline]
    fn splat(byte: u8) -> __m512i {
        _mm512_set1_epi8(i8::from_ne_bytes([byte]))
    }

    /// The 64 bytes of `block`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn load(block: &[u8; 64]) -> __m512i {
        // SAFETY: `block` is 64 readable bytes, exactly what the unaligned
        // 512-bit load reads; it has no alignment requirement.
        unsafe { _mm512_loadu_si512(block.as_ptr().cast()) }
    }

    /// The first `min(bytes.len(), 64)` bytes of `bytes`, then zeros.
    #[target_feature(enable = "avx512f,avx512bw")]
    #[inline]
    fn load_prefix(bytes: &[u8]) -> __m512i {
        let mask = match bytes.len() {
            0 => 0,
            len @ 1..64 => u64::MAX >> (64 - len),
            _ => u64::MAX,
        };
        // SAFETY: the mask selects the first `min(bytes.len(), 64)` bytes,
        // all inside `bytes`; a masked load does not access (and cannot
        // fault on) the bytes its mask leaves out, which it reads as zero.
        unsafe { _mm512_maskz_loadu_epi8(mask, bytes.as_ptr().cast()) }
    }

    /// The block at `window[3..]` and the same block 1, 2 and 3 bytes
    /// earlier: `[input, prev1, prev2, prev3]`.
    #[target_feature(enable = "avx512f")]
    #[inline]
    fn load_with_prev(window: &[u8; 67]) -> [__m512i; 4] {
        let p = window.as_ptr();
        // SAFETY: each unaligned 512-bit load reads the 64 bytes at offset
        // 3, 2, 1 or 0 of the 67-byte array `window`, so it ends at byte 67
        // at the latest: in bounds and readable.
        unsafe {
            [
                _mm512_loadu_si512(p.add(3).cast()),
                _mm512_loadu_si512(p.add(2).cast()),
                _mm512_loadu_si512(p.add(1).cast()),
                _mm512_loadu_si512(p.cast()),
            ]
        }
    }

    #[target_feature(enable = "avx512f,avx512bw")]
    #[inline]
    fn is_ascii(block: __m512i) -> bool {
        _mm512_movepi8_mask(block) == 0
    }

    /// `prev1`, `prev2` and `prev3` of `input` when `before` is the block
    /// before it (in registers: by byte shifts across the two).
    #[target_feature(enable = "avx512f,avx512bw")]
    #[inline]
    fn shifted(input: __m512i, before: __m512i) -> [__m512i; 3] {
        // Each 16-byte lane of `lanes` is the lane before it in `input`
        // (the first one the last lane of `before`).
        let lanes = _mm512_alignr_epi64::<6>(input, before);
        [
            _mm512_alignr_epi8::<15>(input, lanes),
            _mm512_alignr_epi8::<14>(input, lanes),
            _mm512_alignr_epi8::<13>(input, lanes),
        ]
    }

    /// The error bits of every byte of `input` (zero where it is fine).
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    #[inline]
    fn errors(input: __m512i, prev1: __m512i, prev2: __m512i, prev3: __m512i) -> __m512i {
        // `vpermb` reads the low six bits of each index and the tables
        // repeat every 16 bytes: a 16-bit shift by 4 gives each byte's high
        // nibble in its low four bits, whatever its neighbour put above.
        let high1 = _mm512_permutexvar_epi8(_mm512_srli_epi16::<4>(prev1), table(PREV1_HIGH));
        let low1 = _mm512_permutexvar_epi8(prev1, table(PREV1_LOW));
        let high = _mm512_permutexvar_epi8(_mm512_srli_epi16::<4>(input), table(BYTE_HIGH));
        // AND of the three.
        let classes = _mm512_ternarylogic_epi32::<0x80>(high1, low1, high);
        // Bit 7 where a continuation byte is required here: `prev2` is
        // E0..=FF or `prev3` F0..=FF (saturating subtraction leaves bit 7 set
        // exactly then).
        let third = _mm512_subs_epu8(prev2, splat(0xE0 - 0x80));
        let fourth = _mm512_subs_epu8(prev3, splat(0xF0 - 0x80));
        // (third | fourth) & 0x80
        let required = _mm512_ternarylogic_epi32::<0xA8>(third, fourth, splat(0x80));
        // TWO_CONTS cancels where it is required; bit 7 is left set where a
        // continuation was required but is missing, or not required but
        // found.
        _mm512_xor_si512(classes, required)
    }

    /// Whether `before` ends inside a code point: its last byte starts a
    /// 2-, 3- or 4-byte sequence, the one before a 3- or 4-byte one, or the
    /// third last a 4-byte one.
    #[inline]
    fn ends_cut(before: &[u8]) -> bool {
        let back = |n: usize| {
            before
                .len()
                .checked_sub(n)
                .and_then(|at| before.get(at))
                .copied()
                .unwrap_or(0)
        };
        back(1) >= 0xC0 || back(2) >= 0xE0 || back(3) >= 0xF0
    }

    /// Where the ASCII from `at` on ends, two blocks at a time: the first
    /// offset from `at` by a multiple of 128 bytes that is not followed by
    /// 128 bytes of ASCII.
    #[target_feature(enable = "avx512f,avx512bw")]
    #[inline]
    fn skip_ascii(bytes: &[u8], mut at: usize) -> usize {
        while let Some(pair) = bytes.get(at..at + 128).and_then(|w| w.first_chunk::<128>()) {
            let (Some(a), Some(b)) = (pair.first_chunk::<64>(), pair.last_chunk::<64>()) else {
                break;
            };
            if !is_ascii(_mm512_or_si512(load(a), load(b))) {
                break;
            }
            at += 128;
        }
        at
    }

    /// Whether `bytes` is UTF-8.
    #[target_feature(enable = "avx512f,avx512bw,avx512vbmi")]
    pub(super) fn validate(bytes: &[u8]) -> bool {
        let zero = _mm512_setzero_si512();
        let Some(first) = bytes.first_chunk::<64>() else {
            // Under 64 bytes: one zero-padded block after nothing.
            let input = load_prefix(bytes);
            if is_ascii(input) {
                return true;
            }
            let [prev1, prev2, prev3] = shifted(input, zero);
            return _mm512_test_epi8_mask(errors(input, prev1, prev2, prev3), splat(0xFF)) == 0;
        };
        let input = load(first);
        let mut error = zero;
        // `bytes[..at]` has been checked (its errors are in `error`).
        let mut at = 64;
        if is_ascii(input) {
            at = skip_ascii(bytes, at);
        } else {
            let [prev1, prev2, prev3] = shifted(input, zero);
            error = errors(input, prev1, prev2, prev3);
        }
        loop {
            // Text that is not ASCII: two blocks per iteration.
            while let Some(pair) = bytes
                .get(at - 3..at + 128)
                .and_then(|w| w.first_chunk::<131>())
            {
                let (Some(first), Some(second)) =
                    (pair.first_chunk::<67>(), pair.last_chunk::<67>())
                else {
                    break;
                };
                let [input, prev1, prev2, prev3] = load_with_prev(first);
                if is_ascii(input) {
                    break;
                }
                error = _mm512_or_si512(error, errors(input, prev1, prev2, prev3));
                let [input, prev1, prev2, prev3] = load_with_prev(second);
                if is_ascii(input) {
                    at += 64;
                    break;
                }
                error = _mm512_or_si512(error, errors(input, prev1, prev2, prev3));
                at += 128;
            }
            // One block: ASCII, or one of the last under 128 bytes.
            let Some(window) = bytes
                .get(at - 3..at + 64)
                .and_then(|w| w.first_chunk::<67>())
            else {
                break;
            };
            let [input, prev1, prev2, prev3] = load_with_prev(window);
            if !is_ascii(input) {
                error = _mm512_or_si512(error, errors(input, prev1, prev2, prev3));
                at += 64;
                continue;
            }
            // ASCII: what came before must not end inside a code point;
            // then skip ASCII two blocks at a time.
            if ends_cut(bytes.get(..at).unwrap_or_default()) {
                return false;
            }
            at = skip_ascii(bytes, at + 64);
        }
        // At most 63 bytes are left after `at` (64 <= at <= bytes.len()).
        let ok = match bytes.get(at - 3..) {
            // Ends on a block boundary: a truncated sequence has no byte
            // after it in the text to fail on.
            Some(window) if window.len() == 3 => !ends_cut(bytes),
            // A tail of 1..=63 bytes, zero-padded, with the real bytes
            // before it (a padding byte fails a truncated sequence).
            Some(window) if window.len() < 67 => {
                let tail = |skip: usize| load_prefix(window.get(skip..).unwrap_or_default());
                error = _mm512_or_si512(error, errors(tail(3), tail(2), tail(1), tail(0)));
                true
            }
            // Not reached; fail closed.
            _ => false,
        };
        ok && _mm512_test_epi8_mask(error, splat(0xFF)) == 0
    }
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

    /// A deterministic generator for test inputs.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        }

        fn below(&mut self, n: u64) -> u64 {
            self.next() % n
        }

        /// A character of 1 to 4 bytes, the edges of each range included.
        fn char(&mut self) -> char {
            const EDGES: [char; 12] = [
                '\u{7F}',
                '\u{80}',
                '\u{7FF}',
                '\u{800}',
                '\u{FFF}',
                '\u{1000}',
                '\u{D7FF}',
                '\u{E000}',
                '\u{FFFF}',
                '\u{10000}',
                '\u{3FFFF}',
                '\u{10FFFF}',
            ];
            let (lo, hi) = match self.below(9) {
                0..=3 => (0x20, 0x7F),
                4 => (0x80, 0x800),
                5 => (0x800, 0x10000),
                6 => (0x10000, 0x110000),
                7 => return EDGES[self.below(EDGES.len() as u64) as usize],
                _ => (0, 0x20),
            };
            loop {
                if let Some(c) = char::from_u32((lo + self.below(hi - lo)) as u32) {
                    return c;
                }
            }
        }

        /// Valid text of exactly `len` bytes mixing 1- to 4-byte characters
        /// (ASCII fills what a wider one would overrun).
        fn text(&mut self, len: usize) -> Vec<u8> {
            let mut s = String::with_capacity(len);
            while s.len() < len {
                let c = self.char();
                s.push(if s.len() + c.len_utf8() <= len {
                    c
                } else {
                    'a'
                });
            }
            s.into_bytes()
        }
    }

    /// The AVX-512 UTF-8 kernel, if this CPU can run it. The development
    /// machine and CI have AVX-512F, BW and VBMI, so there these tests run
    /// the kernel itself (`the_utf8_kernel_runs_where_the_cpu_has_avx512`
    /// checks that dispatch picks it); elsewhere they check nothing more
    /// than the fallback tests of `validate.rs`.
    fn kernel() -> Option<fn(&[u8]) -> bool> {
        super::is_utf8_avx512(b"")?;
        Some(|b| super::is_utf8_avx512(b).expect("detected"))
    }

    /// The kernel agrees with the standard library on `bytes`.
    #[track_caller]
    fn agrees(kernel: fn(&[u8]) -> bool, bytes: &[u8]) {
        assert_eq!(
            kernel(bytes),
            std::str::from_utf8(bytes).is_ok(),
            "{} bytes: {bytes:02x?}",
            bytes.len()
        );
    }

    #[test]
    fn the_utf8_kernel_runs_where_the_cpu_has_avx512() {
        #[cfg(target_arch = "x86_64")]
        let has = std::arch::is_x86_feature_detected!("avx512f")
            && std::arch::is_x86_feature_detected!("avx512bw")
            && std::arch::is_x86_feature_detected!("avx512vbmi");
        #[cfg(not(target_arch = "x86_64"))]
        let has = false;
        assert_eq!(kernel().is_some(), has);
        assert_eq!(super::is_utf8_avx512("é".as_bytes()), has.then_some(true));
        if !has {
            eprintln!("no AVX-512F/BW/VBMI here: the AVX-512 UTF-8 kernel is not tested");
        }
    }

    /// Valid text of every length 0..=1024 at every alignment, surrounded
    /// by `FF` bytes (so a read outside the slice would fail it).
    #[test]
    fn utf8_valid_text_of_every_length_at_every_alignment() {
        let Some(kernel) = kernel() else { return };
        let mut rng = Rng(1);
        let mut buf = vec![0xFFu8; 1024 + 3 * 64];
        let base = buf.as_ptr().align_offset(64);
        for len in 0..=1024 {
            let text = rng.text(len);
            for align in 0..64 {
                let start = base + align;
                buf[start..start + len].copy_from_slice(&text);
                let slice = &buf[start..start + len];
                assert!(kernel(slice), "len {len} align {align}: {slice:02x?}");
                buf[start..start + len].fill(0xFF);
            }
        }
    }

    /// Replacement bytes for the corruption tests: each class of byte and
    /// the edges of the ranges the tables tell apart.
    const BYTES: [u8; 24] = [
        0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1,
        0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xF8, 0xFF,
    ];

    /// Every single-byte corruption of valid text (mixed, and ASCII) at
    /// every position, for lengths around the block boundaries and the
    /// kernel's two-block loop.
    #[test]
    fn utf8_every_single_byte_corruption() {
        let Some(kernel) = kernel() else { return };
        let mut rng = Rng(2);
        let lens = [
            1, 2, 3, 4, 62, 63, 64, 65, 67, 127, 128, 129, 131, 191, 192, 193, 195, 256, 259, 320,
            387,
        ];
        for len in lens {
            for text in [rng.text(len), vec![b'x'; len]] {
                agrees(kernel, &text);
                for at in 0..len {
                    let mut bad = text.clone();
                    for byte in BYTES.into_iter().chain([rng.next() as u8]) {
                        bad[at] = byte;
                        agrees(kernel, &bad);
                    }
                }
            }
        }
    }

    /// The classic invalid forms (and the valid edges next to them) at
    /// every offset in ASCII and in mixed text, and at the end.
    #[test]
    fn utf8_classic_forms_everywhere() {
        let Some(kernel) = kernel() else { return };
        let forms: &[&[u8]] = &[
            // Overlong forms of each length.
            b"\xC0\x80",
            b"\xC1\xBF",
            b"\xE0\x80\x80",
            b"\xE0\x9F\xBF",
            b"\xF0\x80\x80\x80",
            b"\xF0\x8F\xBF\xBF",
            // Surrogates, alone and paired.
            b"\xED\xA0\x80",
            b"\xED\xBF\xBF",
            b"\xED\xA0\x80\xED\xB0\x80",
            // Above U+10FFFF.
            b"\xF4\x90\x80\x80",
            b"\xF4\xBF\xBF\xBF",
            b"\xF5\x80\x80\x80",
            b"\xF7\xBF\xBF\xBF",
            // Bytes that never appear.
            b"\xF5",
            b"\xF8",
            b"\xFB",
            b"\xFC",
            b"\xFE",
            b"\xFF",
            // 5- and 6-byte forms.
            b"\xF8\x88\x80\x80\x80",
            b"\xFC\x84\x80\x80\x80\x80",
            // Lone and extra continuation bytes.
            b"\x80",
            b"\xBF",
            b"\x80\x80",
            b"\xC2\x80\x80",
            b"\xE2\x82\xAC\x80",
            b"\xF0\x9F\x98\x80\x80",
            // Truncated sequences.
            b"\xC2",
            b"\xE2",
            b"\xE2\x82",
            b"\xF0",
            b"\xF0\x9F",
            b"\xF0\x9F\x98",
            b"\xC2\x41",
            b"\xE2\x82\x41",
            b"\xF0\x9F\x98\x41",
            // Valid edges: U+0080, U+07FF, U+0800, U+D7FF, U+E000, U+FFFF,
            // U+10000, U+10FFFF.
            b"\xC2\x80",
            b"\xDF\xBF",
            b"\xE0\xA0\x80",
            b"\xED\x9F\xBF",
            b"\xEE\x80\x80",
            b"\xEF\xBF\xBF",
            b"\xF0\x90\x80\x80",
            b"\xF4\x8F\xBF\xBF",
        ];
        let mut rng = Rng(3);
        let mixed = rng.text(300);
        let boundaries: Vec<usize> = (0..=mixed.len())
            .filter(|&i| std::str::from_utf8(&mixed[..i]).is_ok())
            .collect();
        for form in forms {
            for at in 0..=260 {
                // In ASCII, with text after it and at the end.
                let mut ascii = vec![b'a'; 260];
                ascii.splice(at..at, form.iter().copied());
                agrees(kernel, &ascii);
                agrees(kernel, &ascii[..at + form.len()]);
            }
            for &at in &boundaries {
                let mut text = mixed.clone();
                text.splice(at..at, form.iter().copied());
                agrees(kernel, &text);
                agrees(kernel, &text[..at + form.len()]);
            }
        }
    }

    /// Every two-byte pair, and every pair followed by each continuation
    /// class, across a block boundary, in the tail and at the start.
    #[test]
    fn utf8_every_pair_of_bytes() {
        let Some(kernel) = kernel() else { return };
        let mut buf = [b'a'; 200];
        for first in 0..=255u8 {
            for second in 0..=255u8 {
                for at in [0, 63, 127, 196] {
                    buf[at] = first;
                    buf[at + 1] = second;
                    buf[at + 2] = 0x80;
                    buf[at + 3] = 0xBF;
                    for end in [at + 2, at + 3, at + 4, 200] {
                        agrees(kernel, &buf[..end]);
                    }
                    buf[at..at + 4].fill(b'a');
                }
            }
        }
    }

    /// Random bytes, and valid text with random bytes here and there.
    #[test]
    fn utf8_random_input() {
        let Some(kernel) = kernel() else { return };
        let mut rng = Rng(4);
        for _ in 0..3000 {
            let len = rng.below(700) as usize;
            let mut bytes = rng.text(len);
            match rng.below(3) {
                0 => bytes.iter_mut().for_each(|b| *b = rng.next() as u8),
                1 => {}
                _ => {
                    for _ in 0..=rng.below(3) {
                        if let Some(b) = bytes.get_mut(rng.below(len.max(1) as u64) as usize) {
                            *b = rng.next() as u8;
                        }
                    }
                }
            }
            agrees(kernel, &bytes);
        }
    }
}
