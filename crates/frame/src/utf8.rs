//! [`Utf8Bytes`]: shared bytes known to be UTF-8.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use bytes::Bytes;

/// Cheaply cloneable bytes that are valid UTF-8 and deref to `&str`.
///
/// Validated once when built from bytes (with SIMD: AVX-512 when the CPU
/// has it, else `simdutf8`), never again:
/// cloning and slicing share the buffer, and the `&str` view costs nothing.
/// Close frame reasons (and, in `tether-message`, text messages) use it.
///
/// Every value holds valid UTF-8: the constructors validate, take a `str`,
/// or are the validating buffers ([`Utf8Buf`](crate::Utf8Buf), [`Utf8Validator::feed_bytes`](crate::Utf8Validator::feed_bytes)), which only wrap
/// bytes they own and have validated themselves.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Utf8Bytes(Bytes);

/// The bytes given to [`Utf8Bytes::try_from`] were not UTF-8.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("invalid UTF-8 after {valid_up_to} valid bytes")]
pub struct Utf8Error {
    valid_up_to: usize,
    bytes: Bytes,
}

impl Utf8Error {
    /// The length of the longest valid UTF-8 prefix.
    pub fn valid_up_to(&self) -> usize {
        self.valid_up_to
    }

    /// The bytes that failed validation, returned unchanged.
    pub fn into_bytes(self) -> Bytes {
        self.bytes
    }
}

impl Utf8Bytes {
    /// Wraps bytes already known to be UTF-8. Only for `crate::validate`,
    /// whose callers own the bytes and have validated every one of them.
    #[inline]
    pub(crate) fn from_validated(bytes: Bytes) -> Utf8Bytes {
        debug_assert!(std::str::from_utf8(&bytes).is_ok());
        Utf8Bytes(bytes)
    }

    /// An empty string.
    pub const fn new() -> Utf8Bytes {
        Utf8Bytes(Bytes::new())
    }

    /// Wraps a static string without copying.
    pub const fn from_static(s: &'static str) -> Utf8Bytes {
        Utf8Bytes(Bytes::from_static(s.as_bytes()))
    }

    /// The string.
    #[inline]
    pub fn as_str(&self) -> &str {
        crate::fast::str_from_validated(&self.0)
    }

    /// The UTF-8 bytes.
    #[inline]
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// The underlying shared bytes.
    #[inline]
    pub fn into_bytes(self) -> Bytes {
        self.0
    }

    /// A borrowed view of the underlying bytes.
    #[inline]
    pub fn as_shared_bytes(&self) -> &Bytes {
        &self.0
    }

    /// The byte range `range` of the string, sharing the buffer (no copy,
    /// no second validation).
    ///
    /// Returns `None` if the range is out of bounds, reversed, or does not
    /// start and end on character boundaries.
    #[inline]
    pub fn slice(&self, range: std::ops::Range<usize>) -> Option<Utf8Bytes> {
        let s = self.as_str();
        if range.start <= range.end
            && range.end <= s.len()
            && s.is_char_boundary(range.start)
            && s.is_char_boundary(range.end)
        {
            Some(Utf8Bytes(self.0.slice(range)))
        } else {
            None
        }
    }

    /// The part of the string that `subset` (a `&str` borrowed from
    /// [`as_str`](Self::as_str)) covers, sharing the buffer.
    ///
    /// Returns `None` if `subset` does not lie inside this string.
    #[inline]
    pub fn slice_ref(&self, subset: &str) -> Option<Utf8Bytes> {
        if subset.is_empty() {
            return Some(Utf8Bytes::new());
        }
        let base = self.0.as_ptr() as usize;
        let start = (subset.as_ptr() as usize).checked_sub(base)?;
        let end = start.checked_add(subset.len())?;
        self.slice(start..end)
    }
}

impl TryFrom<Bytes> for Utf8Bytes {
    type Error = Utf8Error;

    /// Validates `bytes` as UTF-8 (SIMD-accelerated, short inputs included)
    /// without copying them.
    fn try_from(bytes: Bytes) -> Result<Utf8Bytes, Utf8Error> {
        match crate::validate::is_utf8(&bytes) {
            true => Ok(Utf8Bytes(bytes)),
            false => {
                // Only the slow error path pays for locating the error.
                let valid_up_to = simdutf8::compat::from_utf8(&bytes)
                    .err()
                    .map_or(bytes.len(), |e| e.valid_up_to());
                Err(Utf8Error { valid_up_to, bytes })
            }
        }
    }
}

impl TryFrom<Vec<u8>> for Utf8Bytes {
    type Error = Utf8Error;

    fn try_from(bytes: Vec<u8>) -> Result<Utf8Bytes, Utf8Error> {
        Utf8Bytes::try_from(Bytes::from(bytes))
    }
}

impl From<String> for Utf8Bytes {
    fn from(s: String) -> Utf8Bytes {
        Utf8Bytes(Bytes::from(s))
    }
}

impl From<&str> for Utf8Bytes {
    fn from(s: &str) -> Utf8Bytes {
        Utf8Bytes(Bytes::copy_from_slice(s.as_bytes()))
    }
}

impl From<Utf8Bytes> for Bytes {
    fn from(s: Utf8Bytes) -> Bytes {
        s.0
    }
}

impl Deref for Utf8Bytes {
    type Target = str;

    #[inline]
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<str> for Utf8Bytes {
    fn as_ref(&self) -> &str {
        self.as_str()
    }
}

impl AsRef<[u8]> for Utf8Bytes {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl Borrow<str> for Utf8Bytes {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for Utf8Bytes {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for Utf8Bytes {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Debug for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.as_str(), f)
    }
}

impl fmt::Display for Utf8Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self.as_str(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_once_and_views() {
        let s = Utf8Bytes::try_from(Bytes::from_static("héllo".as_bytes())).expect("utf8");
        assert_eq!(&*s, "héllo");
        assert_eq!(s, "héllo");
        let err = Utf8Bytes::try_from(Bytes::from_static(b"ab\xe2\x82")).expect_err("cut");
        assert_eq!(err.valid_up_to(), 2);
        assert_eq!(&err.into_bytes()[..], b"ab\xe2\x82");
        assert_eq!(Utf8Bytes::from("x").as_bytes(), b"x");
        assert_eq!(Utf8Bytes::from_static("").len(), 0);
    }

    #[test]
    fn slices_share_and_respect_boundaries() {
        let s = Utf8Bytes::from_static("aé€b");
        assert_eq!(s.slice(1..3).as_deref(), Some("é"));
        assert_eq!(s.slice(2..3), None, "inside é");
        #[allow(clippy::reversed_empty_ranges)]
        let reversed = 3..1;
        assert_eq!(s.slice(reversed), None);
        assert_eq!(s.slice(0..99), None);
        let sub = &s.as_str()[3..6];
        let part = s.slice_ref(sub).expect("inside");
        assert_eq!(part, "€");
        assert_eq!(part.as_ptr(), sub.as_ptr(), "no copy");
        assert_eq!(s.slice_ref("elsewhere"), None);
        assert_eq!(s.slice_ref(""), Some(Utf8Bytes::new()));
    }
}
