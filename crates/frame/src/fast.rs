//! The only module of this crate with `unsafe` code, and the reason each
//! block is sound.
//!
//! Two things live here:
//!
//! 1. Runtime dispatch of the masking loop to a copy compiled with AVX2
//!    enabled. The loop itself is safe Rust ([`crate::mask`]); the only unsafe
//!    operation is calling the AVX2-compiled copy, which is sound once the CPU
//!    has been seen to support AVX2. Tests compare it with the plain byte loop
//!    for every length 0..=1024 at every offset.
//! 2. The `&str` view of [`Utf8Bytes`](crate::Utf8Bytes), whose constructors
//!    validate (or, for `from_bytes_unchecked`, are promised bytes validated
//!    by the caller), so the view skips a second validation.
//!
//! (`Utf8Bytes::from_bytes_unchecked` is declared `unsafe fn` in `utf8.rs`;
//! it contains no unsafe operation, it only passes the obligation on.)
#![allow(unsafe_code)]

/// Masks `buf` with the 4-byte `key` (already rotated to `buf[0]`'s position),
/// using AVX2 when the CPU has it.
#[inline]
pub(crate) fn mask_bulk(buf: &mut [u8], key: [u8; 4]) {
    #[cfg(target_arch = "x86_64")]
    {
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

/// Views bytes as `&str` without validating them again.
///
/// Only called by `Utf8Bytes`, whose every safe constructor either validated
/// its bytes as UTF-8 or took them from a `&str`/`String`; its one unsafe
/// constructor, `from_bytes_unchecked`, puts the duty on its caller.
#[inline]
pub(crate) fn str_from_validated(bytes: &[u8]) -> &str {
    debug_assert!(std::str::from_utf8(bytes).is_ok());
    // SAFETY: `Utf8Bytes` (the only caller) holds bytes that were validated
    // as UTF-8 by `simdutf8`, came from a `str`, or were promised valid by
    // the caller of the unsafe `from_bytes_unchecked`; it never exposes a way
    // to change them; see the constructors in `utf8.rs`.
    unsafe { std::str::from_utf8_unchecked(bytes) }
}
