//! Incremental UTF-8 validation of text that arrives in pieces.
//!
//! A text message reaches a receiver across reads, partial frames and
//! fragments. RFC 6455 section 8.1 requires failing the connection on
//! invalid UTF-8, and an invalid sequence can be reported as soon as the
//! bytes that prove it have arrived, long before the end of the message.
//!
//! * [`Utf8Validator`] checks pieces of one text in order, never looking at
//!   a byte twice: at most the three bytes of a code point cut by a piece
//!   boundary are carried to the next piece. It reports an invalid sequence
//!   as soon as it is fed, including a cut prefix that no continuation could
//!   complete (`E0 80`, `F5`).
//! * [`Utf8Validator::feed_bytes`] validates a shared piece and hands out its
//!   whole code points as [`Utf8Bytes`] without copying, for chunked
//!   delivery.
//! * [`Utf8Buf`] is a buffer that owns the text appended to it and validates
//!   each piece as it is appended; a whole text comes out as [`Utf8Bytes`]
//!   with no second validation. Pieces split from the same read buffer are
//!   joined without a copy.
//!
//! All three are safe to use with any input: the only bytes ever wrapped as
//! [`Utf8Bytes`] are bytes these types validated while they could not be
//! changed (shared [`Bytes`], or a buffer only they can write).

use bytes::{Bytes, BytesMut};

use crate::Utf8Bytes;

/// A sequence of bytes that can never be UTF-8 was fed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, thiserror::Error)]
#[error("invalid UTF-8 after {valid_up_to} valid bytes")]
pub struct InvalidUtf8 {
    /// Bytes of the text (since the validator's last reset) that were valid
    /// before the error.
    pub valid_up_to: usize,
}

/// Where the code points of a fed piece lie.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Fed {
    /// `piece[..head]` completed a code point cut by the previous piece.
    head: usize,
    /// `piece[tail..]` starts a code point the piece cut; it is carried.
    tail: usize,
    /// The code point carried from the previous piece was completed by
    /// `piece[..head]`.
    carried_done: bool,
}

/// Validates UTF-8 fed in pieces. Carries at most 3 bytes between pieces;
/// 16 bytes in all.
///
/// ```
/// use tether_frame::Utf8Validator;
/// let mut v = Utf8Validator::new();
/// v.feed("a€".as_bytes()[..2].as_ref()).unwrap(); // cut inside the euro sign
/// assert!(!v.is_complete());
/// v.feed(&[0x82, 0xAC]).unwrap();
/// assert!(v.is_complete());
/// // F0 80 can never start a code point: rejected as soon as it is fed.
/// let mut v = Utf8Validator::new();
/// assert_eq!(v.feed(b"ok\xF0\x80").unwrap_err().valid_up_to, 2);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Utf8Validator {
    pending: [u8; 4],
    pending_len: u8,
    /// Bytes fed since the last reset.
    fed: usize,
}

/// The validated pieces of one [`Utf8Validator::feed_bytes`] call.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TextPieces {
    /// The code point carried from the previous piece, completed by the
    /// first bytes of this one (a copy of at most 4 bytes).
    pub carried: Option<Utf8Bytes>,
    /// The whole code points of this piece after that, sharing its buffer;
    /// a code point the piece cuts at its end is held back by the validator.
    pub body: Utf8Bytes,
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
    /// A validator at the start of a text.
    pub fn new() -> Utf8Validator {
        Utf8Validator::default()
    }

    /// Starts a new text.
    pub fn reset(&mut self) {
        *self = Utf8Validator::default();
    }

    /// Whether the bytes fed so far end on a code point boundary.
    #[inline]
    pub fn is_complete(&self) -> bool {
        self.pending_len == 0
    }

    /// The bytes of the cut code point being carried (0 to 3 bytes).
    pub fn pending(&self) -> &[u8] {
        self.pending
            .get(..usize::from(self.pending_len))
            .unwrap_or_default()
    }

    /// Bytes fed since the last reset.
    #[inline]
    pub fn fed(&self) -> usize {
        self.fed
    }

    /// Validates the next piece of the text.
    ///
    /// # Errors
    ///
    /// [`InvalidUtf8`] as soon as the bytes fed so far cannot be the start
    /// of any UTF-8 text. The validator must then be reset before reuse.
    #[inline]
    pub fn feed(&mut self, piece: &[u8]) -> Result<(), InvalidUtf8> {
        self.feed_inner(piece).map(|_| ())
    }

    /// Validates a shared piece and hands out its whole code points without
    /// copying them (the carried code point it completes, if any, is a copy
    /// of at most 4 bytes).
    ///
    /// # Errors
    ///
    /// As [`Utf8Validator::feed`].
    pub fn feed_bytes(&mut self, piece: Bytes) -> Result<TextPieces, InvalidUtf8> {
        let mut carried = [0u8; 4];
        let carried_len = usize::from(self.pending_len);
        carried.copy_from_slice(&self.pending);
        let fed = self.feed_inner(&piece)?;
        let carried = fed.carried_done.then(|| {
            let mut whole = BytesMut::with_capacity(4);
            whole.extend_from_slice(carried.get(..carried_len).unwrap_or_default());
            whole.extend_from_slice(piece.get(..fed.head).unwrap_or_default());
            // Validated: the carried bytes and `piece[..head]` make the code
            // point that `feed_inner` just accepted whole.
            Utf8Bytes::from_validated(whole.freeze())
        });
        // Validated: `piece[head..tail]` holds the whole code points that
        // `feed_inner` accepted, and `piece` cannot change (shared bytes).
        let body = Utf8Bytes::from_validated(piece.slice(fed.head..fed.tail));
        Ok(TextPieces { carried, body })
    }

    fn feed_inner(&mut self, piece: &[u8]) -> Result<Fed, InvalidUtf8> {
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

/// Whether `bytes` is UTF-8, with SIMD whatever the length: the AVX-512
/// kernel of `fast.rs` when the CPU has AVX-512F, BW and VBMI, else
/// `is_utf8_simdutf8`. Only the answer comes from here: where an error is
/// (`valid_up_to`) is found by `simdutf8::compat` on the error path.
#[inline]
pub(crate) fn is_utf8(bytes: &[u8]) -> bool {
    match crate::fast::is_utf8_avx512(bytes) {
        Some(valid) => valid,
        None => is_utf8_simdutf8(bytes),
    }
}

/// Whether `bytes` is UTF-8, by `simdutf8` (AVX2 or SSE4.2 when present):
/// `simdutf8` hands inputs under 64 bytes to the standard library's byte
/// loop, so a short input is checked for ASCII first, then padded with
/// zeros (ASCII, which keeps valid input valid and invalid input invalid)
/// to 64 bytes.
#[inline]
fn is_utf8_simdutf8(bytes: &[u8]) -> bool {
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

/// A growable text buffer that validates every piece appended to it and
/// hands out its text as [`Utf8Bytes`] without validating it again.
///
/// It owns its bytes: a piece is validated, then moved in ([`push`], no copy
/// when the piece was split from the same buffer right after the text
/// already held) or copied in ([`extend_from_slice`]); nothing else can write
/// to the buffer. An invalid piece is refused and the buffer is emptied
/// (the text it belonged to is dead).
///
/// ```
/// use bytes::BytesMut;
/// use tether_frame::Utf8Buf;
/// let mut read = BytesMut::from("héllo wörld".as_bytes());
/// let mut text = Utf8Buf::new();
/// text.push(read.split_to(2)).unwrap(); // "h" and half of "é"
/// assert!(!text.is_complete());
/// assert_eq!(text.take_complete(), "h"); // whole code points so far
/// text.push(read.split()).unwrap();      // joined without a copy
/// assert_eq!(text.take_text().unwrap(), "éllo wörld");
/// ```
///
/// [`push`]: Utf8Buf::push
/// [`extend_from_slice`]: Utf8Buf::extend_from_slice
#[derive(Debug, Default)]
pub struct Utf8Buf {
    buf: BytesMut,
    validator: Utf8Validator,
}

impl Utf8Buf {
    /// An empty buffer (no allocation).
    pub fn new() -> Utf8Buf {
        Utf8Buf::default()
    }

    /// An empty buffer that reuses the capacity of `spare` (its contents are
    /// discarded).
    pub fn with_buffer(mut spare: BytesMut) -> Utf8Buf {
        spare.clear();
        Utf8Buf {
            buf: spare,
            validator: Utf8Validator::default(),
        }
    }

    /// Bytes held (whole code points and a cut one at the end).
    #[inline]
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether nothing is held.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The capacity of the buffer.
    pub fn capacity(&self) -> usize {
        self.buf.capacity()
    }

    /// Bytes of text appended since the buffer was last emptied by
    /// [`clear`](Utf8Buf::clear), [`take_text`](Utf8Buf::take_text) or an
    /// error (the pieces handed out by `take_complete` included).
    pub fn appended(&self) -> usize {
        self.validator.fed()
    }

    /// Whether the text held ends on a code point boundary.
    #[inline]
    pub fn is_complete(&self) -> bool {
        self.validator.is_complete()
    }

    /// The validator's state after the text appended so far: a copy can
    /// check bytes that continue this text (to fail fast) without taking
    /// them in.
    #[inline]
    pub fn validator(&self) -> &Utf8Validator {
        &self.validator
    }

    /// Reserves room for `additional` more bytes.
    pub fn reserve(&mut self, additional: usize) {
        self.buf.reserve(additional);
    }

    /// Validates `piece` and appends it. No copy if `piece` was split from
    /// the same buffer right after what this buffer holds, or if this buffer
    /// is empty (it then takes over `piece`'s memory).
    ///
    /// # Errors
    ///
    /// [`InvalidUtf8`] (position counted from the start of the text); the
    /// buffer is then emptied.
    #[inline]
    pub fn push(&mut self, piece: BytesMut) -> Result<(), InvalidUtf8> {
        self.check(&piece)?;
        self.buf.unsplit(piece);
        Ok(())
    }

    /// Validates `piece` and copies it in.
    ///
    /// # Errors
    ///
    /// As [`push`](Utf8Buf::push).
    #[inline]
    pub fn extend_from_slice(&mut self, piece: &[u8]) -> Result<(), InvalidUtf8> {
        self.check(piece)?;
        self.buf.extend_from_slice(piece);
        Ok(())
    }

    fn check(&mut self, piece: &[u8]) -> Result<(), InvalidUtf8> {
        self.validator.feed(piece).inspect_err(|_| self.clear())
    }

    /// Validates `piece`, appends it and splits off the whole code points
    /// held, for text handed out in chunks. A cut code point held from
    /// before is completed with the first bytes of `piece` and handed out on
    /// its own in `carried` (a copy of at most 4 bytes) when `piece` does not
    /// directly follow it in memory, so `piece` itself is never copied; the
    /// bytes of a code point that `piece` cuts stay held.
    ///
    /// # Errors
    ///
    /// As [`push`](Utf8Buf::push).
    pub fn push_pieces(&mut self, mut piece: BytesMut) -> Result<TextPieces, InvalidUtf8> {
        let mut carried = None;
        let follows = self.buf.as_ptr().wrapping_add(self.buf.len()) == piece.as_ptr();
        if !self.buf.is_empty() && !follows {
            let held = usize::from(self.validator.pending_len);
            let need = match self.validator.pending.first() {
                Some(lead) if held > 0 => width(*lead) - held,
                _ => 0,
            };
            let head = piece.split_to(need.min(piece.len()));
            self.extend_from_slice(&head)?;
            let done = self.take_complete();
            if !done.is_empty() {
                carried = Some(done);
            }
        }
        self.push(piece)?;
        Ok(TextPieces {
            carried,
            body: self.take_complete(),
        })
    }

    /// The whole text held, if it ends on a code point boundary; the buffer
    /// is then empty (keeping its spare capacity) and ready for a new text.
    /// `None` (and nothing taken) if it ends inside a code point.
    #[inline]
    pub fn take_text(&mut self) -> Option<Utf8Bytes> {
        if !self.validator.is_complete() {
            return None;
        }
        self.validator.reset();
        // Validated: every byte in `buf` was validated on its way in, in
        // order since the last reset, and it ends on a code point boundary.
        Some(Utf8Bytes::from_validated(self.buf.split().freeze()))
    }

    /// The longest prefix of whole code points held, split off without a
    /// copy; the bytes of a cut code point at the end stay, and the text
    /// goes on (what is appended next continues it).
    pub fn take_complete(&mut self) -> Utf8Bytes {
        let whole = self.buf.len() - usize::from(self.validator.pending_len);
        // Validated as in `take_text`; `whole` ends where the cut code point
        // the validator carries begins.
        Utf8Bytes::from_validated(self.buf.split_to(whole).freeze())
    }

    /// Empties the buffer for a new text, keeping its capacity.
    pub fn clear(&mut self) {
        self.buf.clear();
        self.validator.reset();
    }

    /// Empties the buffer and gives back its memory (for reuse elsewhere, or
    /// to drop it).
    pub fn into_buffer(mut self) -> BytesMut {
        self.buf.clear();
        self.buf
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use proptest::sample::Index;

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

    /// The same through `Utf8Buf::push` of pieces split from one buffer,
    /// taking whole code points out between pieces; returns the text.
    fn run_buf(bytes: &[u8], cuts: &[usize]) -> Result<Option<String>, usize> {
        let mut read = BytesMut::from(bytes);
        let mut text = Utf8Buf::new();
        let mut out = String::new();
        let mut at = 0;
        for &cut in cuts.iter().chain(std::iter::once(&bytes.len())) {
            text.push(read.split_to(cut - at))
                .map_err(|e| e.valid_up_to)?;
            out.push_str(&text.take_complete());
            at = cut;
        }
        Ok(text.take_text().map(|rest| out + &rest))
    }

    fn samples() -> Vec<Vec<u8>> {
        vec![
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
        ]
    }

    #[test]
    fn agrees_with_std_at_every_two_and_three_way_split() {
        for s in &samples() {
            let expected = match std::str::from_utf8(s) {
                Ok(_) => Ok(true),
                Err(e) if e.error_len().is_none() => Ok(false),
                Err(e) => Err(e.valid_up_to()),
            };
            let expected_text =
                expected.map(|whole| whole.then(|| String::from_utf8(s.clone()).expect("valid")));
            assert_eq!(run(s, &[]), expected, "{s:?}");
            for i in 0..=s.len() {
                assert_eq!(run(s, &[i]), expected, "{s:?} at {i}");
                assert_eq!(run_buf(s, &[i]), expected_text, "{s:?} at {i}");
                for j in i..=s.len() {
                    assert_eq!(run(s, &[i, j]), expected, "{s:?} at {i},{j}");
                    assert_eq!(run_buf(s, &[i, j]), expected_text, "{s:?} at {i},{j}");
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
    fn feed_bytes_hands_out_whole_code_points() {
        let mut v = Utf8Validator::default();
        let text = Bytes::from("a€b");
        let first = v.feed_bytes(text.slice(0..2)).expect("ok");
        assert_eq!(first.carried, None);
        assert_eq!(first.body, "a");
        assert_eq!(v.pending(), &[0xE2]);
        let second = v.feed_bytes(text.slice(2..3)).expect("ok");
        assert_eq!((second.carried, second.body), (None, Utf8Bytes::new()));
        let third = v.feed_bytes(text.slice(3..)).expect("ok");
        assert_eq!(third.carried.as_deref(), Some("€"));
        assert_eq!(third.body, "b");
        assert_eq!(third.body.as_ptr(), text[4..].as_ptr(), "shared");
        assert!(v.is_complete());
        assert_eq!(v.fed(), text.len());
    }

    /// `push_pieces` of pieces cut anywhere, from one buffer (joined) or
    /// from separate buffers (a cut code point handed out on its own).
    #[test]
    fn pieces_come_out_whole_whatever_the_cuts() {
        for s in &samples() {
            let valid = std::str::from_utf8(s).is_ok();
            for i in 0..=s.len() {
                for j in i..=s.len() {
                    for separate in [false, true] {
                        let mut read = BytesMut::from(&s[..]);
                        let mut text = Utf8Buf::new();
                        let mut out = String::new();
                        let mut failed = false;
                        for len in [i, j - i, s.len() - j] {
                            let piece = if separate {
                                BytesMut::from(&read.split_to(len)[..])
                            } else {
                                read.split_to(len)
                            };
                            match text.push_pieces(piece) {
                                Ok(p) => {
                                    if let Some(c) = p.carried {
                                        assert!(separate && c.chars().count() == 1);
                                        out.push_str(&c);
                                    }
                                    out.push_str(&p.body);
                                }
                                Err(_) => failed = true,
                            }
                            if failed {
                                break;
                            }
                        }
                        if valid {
                            assert!(!failed && text.is_empty(), "{s:?} {i} {j}");
                            assert_eq!(out.as_bytes(), &s[..], "{s:?} {i} {j}");
                        } else {
                            assert!(failed || !text.is_complete(), "{s:?} {i} {j}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn the_buffer_refuses_invalid_pieces_and_joins_split_pieces() {
        let mut read = BytesMut::from(&b"valid \xc3\xa9 then \xff"[..]);
        let start = read.as_ptr();
        let mut text = Utf8Buf::new();
        text.push(read.split_to(7)).expect("cut é");
        text.push(read.split_to(6)).expect("valid");
        assert_eq!(text.take_complete().as_ptr(), start, "no copy");
        assert_eq!(
            text.push(read.split()),
            Err(InvalidUtf8 { valid_up_to: 14 })
        );
        assert!(
            text.is_empty() && text.is_complete(),
            "emptied after an error"
        );
        assert_eq!(text.take_text(), Some(Utf8Bytes::new()));
        let mut text = Utf8Buf::with_buffer(BytesMut::with_capacity(64));
        text.extend_from_slice(b"ab\xe2\x82").expect("cut");
        assert_eq!(text.take_text(), None, "ends inside a code point");
        text.extend_from_slice(b"\xac").expect("completes it");
        assert_eq!(text.take_text().as_deref(), Some("ab€"));
        assert!(text.capacity() > 0, "spare capacity kept");
    }

    /// `is_utf8` (the AVX-512 kernel of `fast.rs` on a CPU with AVX-512F,
    /// BW and VBMI, as the development machine and CI have) and the
    /// `simdutf8` fallback agree with the standard library on the samples
    /// at every length, whatever the bytes after them.
    #[test]
    fn is_utf8_and_its_fallback_agree_with_std() {
        let long: Vec<u8> = "héllo wörld € 😀 ".repeat(20).into_bytes();
        let mut all = samples();
        all.extend(samples().iter().map(|s| [&long[..], s, &long[..]].concat()));
        for s in &all {
            for end in 0..=s.len() {
                let bytes = &s[..end];
                let want = std::str::from_utf8(bytes).is_ok();
                assert_eq!(is_utf8(bytes), want, "{bytes:02x?}");
                assert_eq!(is_utf8_simdutf8(bytes), want, "{bytes:02x?}");
            }
        }
    }

    proptest! {
        /// Random text with up to three random bytes written over it: the
        /// answer, the error position and the validator's verdict are the
        /// standard library's.
        #[test]
        fn random_text_with_random_corruption(
            chars in proptest::collection::vec(any::<char>(), 0..400),
            writes in proptest::collection::vec((any::<Index>(), any::<u8>()), 0..=3),
        ) {
            let mut bytes = String::from_iter(chars).into_bytes();
            for (at, byte) in writes {
                if !bytes.is_empty() {
                    let at = at.index(bytes.len());
                    bytes[at] = byte;
                }
            }
            let want = std::str::from_utf8(&bytes);
            prop_assert_eq!(is_utf8(&bytes), want.is_ok());
            prop_assert_eq!(is_utf8_simdutf8(&bytes), want.is_ok());
            let whole = Utf8Bytes::try_from(Bytes::from(bytes.clone()));
            prop_assert_eq!(
                whole.as_ref().err().map(|e| e.valid_up_to()),
                want.as_ref().err().map(|e| e.valid_up_to())
            );
            let mut v = Utf8Validator::new();
            let fed = v.feed(&bytes);
            match want {
                Ok(_) => prop_assert!(fed.is_ok() && v.is_complete()),
                Err(e) if e.error_len().is_none() => prop_assert!(fed.is_ok() && !v.is_complete()),
                Err(e) => prop_assert_eq!(fed, Err(InvalidUtf8 { valid_up_to: e.valid_up_to() })),
            }
        }
    }
}
