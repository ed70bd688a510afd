//! Incremental UTF-8 validation, and this crate's only `unsafe` code.
//!
//! [`Utf8Validator`] checks a text message piece by piece as its bytes
//! arrive (across reads, frames and fragments), reporting an invalid
//! sequence as soon as the bytes that prove it are fed, and never looking at
//! a byte twice (at most the three bytes of a code point cut by a piece
//! boundary are copied aside). The bulk of each piece goes through
//! `simdutf8`.
//!
//! Because every byte of a message has passed the validator by the time the
//! message is complete, the message is wrapped as [`Utf8Bytes`] without a
//! second validation: [`validated_text`] is the one `unsafe` call, and it
//! checks (cheaply) that the validator saw a whole message.
#![allow(unsafe_code)]

use bytes::Bytes;
use tether_frame::Utf8Bytes;

/// A sequence of bytes that can never be UTF-8 was fed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct InvalidUtf8 {
    /// Bytes of the message that were valid before the error.
    pub(crate) valid_up_to: usize,
}

/// The result of feeding one piece.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fed {
    /// `piece[..head]` completed a code point cut by the previous piece.
    pub(crate) head: usize,
    /// `piece[tail..]` starts a code point the piece cut; it is carried.
    pub(crate) tail: usize,
    /// The code point carried from the previous piece was completed by
    /// `piece[..head]`.
    pub(crate) carried_done: bool,
}

/// Validates UTF-8 fed in pieces. Carries at most 3 bytes between pieces.
#[derive(Clone, Debug, Default)]
pub(crate) struct Utf8Validator {
    pending: [u8; 4],
    pending_len: u8,
    /// Bytes fed since the last reset.
    fed: usize,
}

/// The length of the code point whose first byte is `lead`; only called on
/// bytes that `simdutf8` reported as the start of an incomplete sequence.
fn width(lead: u8) -> usize {
    match lead {
        0xC2..=0xDF => 2,
        0xE0..=0xEF => 3,
        _ => 4,
    }
}

impl Utf8Validator {
    /// Starts a new message.
    pub(crate) fn reset(&mut self) {
        *self = Utf8Validator::default();
    }

    /// Whether the bytes fed so far end on a code point boundary.
    pub(crate) fn is_complete(&self) -> bool {
        self.pending_len == 0
    }

    /// The bytes of the cut code point being carried.
    pub(crate) fn pending(&self) -> &[u8] {
        self.pending
            .get(..usize::from(self.pending_len))
            .unwrap_or_default()
    }

    /// Bytes fed since the last reset.
    pub(crate) fn fed(&self) -> usize {
        self.fed
    }

    /// Validates the next piece of the message.
    pub(crate) fn feed(&mut self, piece: &[u8]) -> Result<Fed, InvalidUtf8> {
        let start = self.fed;
        let mut head = 0;
        let mut carried_done = false;
        if self.pending_len > 0 {
            let have = usize::from(self.pending_len);
            let need = width(self.pending[0]) - have;
            head = need.min(piece.len());
            for (slot, byte) in self.pending.iter_mut().skip(have).zip(piece) {
                *slot = *byte;
            }
            let total = have + head;
            let candidate = self.pending.get(..total).unwrap_or_default();
            match simdutf8::compat::from_utf8(candidate) {
                Ok(_) => {
                    self.pending_len = 0;
                    carried_done = true;
                }
                Err(e) if e.error_len().is_none() => {
                    // Still cut: the piece was shorter than the code point.
                    self.pending_len = total as u8;
                    self.fed += piece.len();
                    return Ok(Fed {
                        head: piece.len(),
                        tail: piece.len(),
                        carried_done: false,
                    });
                }
                Err(_) => {
                    return Err(InvalidUtf8 {
                        valid_up_to: start - have,
                    })
                }
            }
        }
        let rest = piece.get(head..).unwrap_or_default();
        // Validate up to the start of a code point the piece cuts (found by
        // looking back at most 3 bytes), so a cut costs no second pass.
        let boundary = incomplete_tail_start(rest);
        let (body, cut) = rest.split_at(boundary);
        if !is_utf8(body) {
            // Invalid: only now find where, for the error.
            let valid = simdutf8::compat::from_utf8(body).map_or_else(|e| e.valid_up_to(), |_| 0);
            return Err(InvalidUtf8 {
                valid_up_to: start + head + valid,
            });
        }
        if !cut.is_empty() {
            // The cut bytes must be the start of some code point: fail fast
            // on a prefix no continuation can complete (E0 80, F5, ...).
            match simdutf8::compat::from_utf8(cut) {
                Err(e) if e.error_len().is_none() => {
                    self.pending_len = cut.len() as u8;
                    for (slot, byte) in self.pending.iter_mut().zip(cut) {
                        *slot = *byte;
                    }
                }
                _ => {
                    return Err(InvalidUtf8 {
                        valid_up_to: start + head + boundary,
                    })
                }
            }
        }
        self.fed += piece.len();
        Ok(Fed {
            head,
            tail: head + boundary,
            carried_done,
        })
    }
}

/// Whether `bytes` is UTF-8, with SIMD whatever the length: `simdutf8`
/// hands inputs under 64 bytes to the standard library's byte loop, so a
/// short input is checked for ASCII first, then padded with zeros (ASCII,
/// which keeps valid input valid and invalid input invalid) to 64 bytes.
#[inline]
fn is_utf8(bytes: &[u8]) -> bool {
    const SIMD_MIN: usize = 64;
    if bytes.len() >= SIMD_MIN {
        return simdutf8::basic::from_utf8(bytes).is_ok();
    }
    if bytes.is_ascii() {
        return true;
    }
    let mut padded = [0u8; SIMD_MIN];
    if let Some(head) = padded.get_mut(..bytes.len()) {
        head.copy_from_slice(bytes);
    }
    simdutf8::basic::from_utf8(&padded).is_ok()
}

/// Where a code point cut off by the end of `bytes` starts (`bytes.len()`
/// if the last code point looks whole). Looks at the last 3 bytes at most;
/// whether the bytes are valid is checked by the caller.
#[inline]
fn incomplete_tail_start(bytes: &[u8]) -> usize {
    let len = bytes.len();
    // Going back over at most 3 continuation bytes (10xxxxxx) to a lead.
    for back in 1..=len.min(4) {
        let at = len - back;
        let byte = bytes.get(at).copied().unwrap_or(0);
        if byte & 0xC0 != 0x80 {
            let width = match byte {
                0x00..=0x7F => 1,
                0xC0..=0xDF => 2,
                0xE0..=0xEF => 3,
                0xF0..=0xF7 => 4,
                // Never a lead: the validator rejects it in the body.
                _ => return len,
            };
            return if back < width { at } else { len };
        }
    }
    // Four continuation bytes in a row: invalid, reported from the body.
    len
}

/// Wraps a whole text message whose every byte went through `validator`, in
/// order, since its last reset.
///
/// Returns `None` if the validator is not at a code point boundary or saw a
/// different number of bytes (a caller bug; the message is then rejected,
/// never wrapped unvalidated).
pub(crate) fn validated_text(validator: &Utf8Validator, bytes: Bytes) -> Option<Utf8Bytes> {
    if !validator.is_complete() || validator.fed() != bytes.len() {
        return None;
    }
    debug_assert!(std::str::from_utf8(&bytes).is_ok());
    // SAFETY: every byte of `bytes` was fed, in order, to `validator` (the
    // callers in this crate feed each frame's payload as it arrives and
    // wrap exactly those bytes; the length check above guards against a
    // mismatch), the validator accepted them all (an error ends the
    // message), and it ends on a code point boundary. So `bytes` is valid
    // UTF-8, which is what `from_bytes_unchecked` requires.
    Some(unsafe { Utf8Bytes::from_bytes_unchecked(bytes) })
}

/// Wraps a piece of a message that the validator accepted and that ends on a
/// code point boundary (`piece[head..tail]`, or a carried code point).
pub(crate) fn validated_piece(bytes: Bytes) -> Utf8Bytes {
    debug_assert!(std::str::from_utf8(&bytes).is_ok());
    // SAFETY: only called by `stream.rs` with `piece[head..tail]` of a piece
    // the validator accepted (`Fed` guarantees that range holds whole code
    // points) or with a carried code point the validator just completed.
    unsafe { Utf8Bytes::from_bytes_unchecked(bytes) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `bytes` cut at every position in `cuts`; returns the outcome.
    fn run(bytes: &[u8], cuts: &[usize]) -> Result<bool, usize> {
        let mut v = Utf8Validator::default();
        let mut at = 0;
        for &cut in cuts.iter().chain(std::iter::once(&bytes.len())) {
            v.feed(&bytes[at..cut]).map_err(|e| e.valid_up_to)?;
            at = cut;
        }
        Ok(v.is_complete())
    }

    #[test]
    fn agrees_with_std_at_every_two_and_three_way_split() {
        let samples: Vec<Vec<u8>> = vec![
            "plain ascii".into(),
            "é€😀 mixed ñ".into(),
            "😀😀".into(),
            b"\xf0\x9f\x98".to_vec(),     // cut 4-byte
            b"ab\xc3".to_vec(),           // cut 2-byte
            b"\xed\xa0\x80".to_vec(),     // surrogate
            b"\xf4\x90\x80\x80".to_vec(), // above U+10FFFF
            b"\xc0\xaf".to_vec(),         // overlong
            b"\xe0\x80\xaf".to_vec(),     // overlong 3-byte
            b"ok\xff".to_vec(),           // never valid
            b"\xce\xba\xe1\xbd\xb9\xcf\x83\xce\xbc\xce\xb5\xed\xa0\x80edited".to_vec(),
        ];
        for s in &samples {
            let expected = match std::str::from_utf8(s) {
                Ok(_) => Ok(true),
                Err(e) if e.error_len().is_none() => Ok(false),
                Err(e) => Err(e.valid_up_to()),
            };
            assert_eq!(run(s, &[]), expected, "{s:?}");
            for i in 0..=s.len() {
                assert_eq!(run(s, &[i]), expected, "{s:?} at {i}");
                for j in i..=s.len() {
                    assert_eq!(run(s, &[i, j]), expected, "{s:?} at {i},{j}");
                }
            }
        }
    }

    #[test]
    fn fails_as_soon_as_the_proof_arrives() {
        let mut v = Utf8Validator::default();
        v.feed(b"abc\xf0").expect("cut, not yet invalid");
        // F0 followed by 0x80 is an overlong form: invalid at once.
        assert_eq!(v.feed(b"\x80"), Err(InvalidUtf8 { valid_up_to: 3 }));
        let mut v = Utf8Validator::default();
        v.feed(b"\xe2\x82").expect("cut");
        v.feed(b"\xac").expect("completes the euro sign");
        assert!(v.is_complete());
    }

    #[test]
    fn fed_reports_the_cut_code_points() {
        let mut v = Utf8Validator::default();
        let fed = |head, tail, carried_done| Fed {
            head,
            tail,
            carried_done,
        };
        assert_eq!(
            v.feed("a€".as_bytes()[..2].as_ref()).expect("ok"),
            fed(0, 1, false)
        );
        assert_eq!(v.pending(), &[0xE2]);
        assert_eq!(v.feed(&[0x82]).expect("ok"), fed(1, 1, false));
        assert_eq!(v.feed(&[0xAC, b'b']).expect("ok"), fed(1, 2, true));
        assert!(v.is_complete());
        let text = validated_text(&v, Bytes::from("a€b"));
        assert_eq!(text.as_deref(), Some("a€b"));
        assert!(
            validated_text(&v, Bytes::from("a€bc")).is_none(),
            "length mismatch"
        );
    }
}
