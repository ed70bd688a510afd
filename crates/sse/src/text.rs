//! Shared, immutable UTF-8 text over `Bytes`, and the WHATWG "UTF-8 decode"
//! of a run of bytes.

use std::borrow::Borrow;
use std::fmt;
use std::ops::Deref;

use arrayvec::ArrayString;
use bytes::Bytes;
use bytestring::ByteString;

/// Cheaply cloned, immutable UTF-8 text: short text inline, longer text
/// shared over [`Bytes`].
///
/// Text of up to [`Utf8Bytes::INLINE_CAPACITY`] bytes is stored in place
/// (no allocation, no reference count; cloning copies it). Longer decoded
/// fields are slices of the read buffer (no copy when the bytes are ASCII;
/// one copy when they hold other characters, validated with SIMD), shared by
/// clones. Dereferences to `str`; compares, orders and hashes as its text.
#[derive(Clone)]
pub struct Utf8Bytes(Repr);

#[derive(Clone)]
enum Repr {
    Inline(ArrayString<INLINE>),
    Shared(ByteString),
}

/// The inline capacity: chosen so that `Utf8Bytes` is as large as `Bytes`
/// plus a tag.
const INLINE: usize = 28;

/// Up to this length, text is checked twice rather than shared twice.
const SHORT: usize = 1 << 10;

impl Utf8Bytes {
    /// Text of at most this many bytes is stored inline.
    pub const INLINE_CAPACITY: usize = INLINE;

    /// The empty text (no allocation).
    pub const fn new() -> Utf8Bytes {
        Utf8Bytes(Repr::Inline(ArrayString::new_const()))
    }

    /// Text borrowing a static string (no allocation, no copy).
    pub const fn from_static(s: &'static str) -> Utf8Bytes {
        Utf8Bytes(Repr::Shared(ByteString::from_static(s)))
    }

    /// Decodes `bytes` as the WHATWG Encoding Standard's "UTF-8 decode
    /// without BOM" does: each maximal invalid subpart becomes one U+FFFD.
    ///
    /// No copy when `bytes` is ASCII and longer than
    /// [`Utf8Bytes::INLINE_CAPACITY`]; one copy otherwise.
    pub fn from_utf8_lossy(bytes: Bytes) -> Utf8Bytes {
        if bytes.len() <= INLINE {
            return Utf8Bytes::from_slice_lossy(&bytes);
        }
        if bytes.len() <= SHORT {
            if bytes.is_ascii() {
                // ASCII is UTF-8: the conversion cannot fail (the default is
                // never used). It checks again: cheaper, for short text, than
                // a second handle on the bytes.
                return Utf8Bytes(Repr::Shared(
                    ByteString::try_from(bytes).unwrap_or_default(),
                ));
            }
        } else if bytes.get(..64).is_some_and(<[u8]>::is_ascii) {
            // Likely ASCII: a single check (an ASCII pass, then std
            // validation from the first other byte, fast on mostly-ASCII
            // text).
            if let Ok(s) = ByteString::try_from(bytes.clone()) {
                return Utf8Bytes(Repr::Shared(s));
            }
        }
        // Other text: SIMD validation and a copy beat std validation.
        match simdutf8::basic::from_utf8(&bytes) {
            Ok(s) => Utf8Bytes(Repr::Shared(ByteString::from(s))),
            Err(_) => Utf8Bytes::from(String::from_utf8_lossy(&bytes).into_owned()),
        }
    }

    /// [`Utf8Bytes::from_utf8_lossy`] of borrowed bytes (always a copy).
    #[inline(always)]
    pub(crate) fn from_slice_lossy(bytes: &[u8]) -> Utf8Bytes {
        match std::str::from_utf8(bytes) {
            Ok(s) => Utf8Bytes::from(s),
            Err(_) => Utf8Bytes::from(String::from_utf8_lossy(bytes).into_owned()),
        }
    }

    /// Replaces the text with the decoding of `bytes` (as
    /// [`Utf8Bytes::from_utf8_lossy`]), in place when it fits inline.
    ///
    /// In place matters: building a value elsewhere and moving it in reads
    /// back bytes just written by a variable-length copy, which stalls the
    /// store-to-load forwarding of current x86 cores.
    #[inline(always)]
    pub(crate) fn set_lossy(&mut self, bytes: &[u8]) {
        match (&mut self.0, std::str::from_utf8(bytes)) {
            (Repr::Inline(inline), Ok(s)) if s.len() <= INLINE => {
                inline.clear();
                // Cannot fail: it fits (checked above).
                let _ = inline.try_push_str(s);
            }
            (_, Ok(s)) => *self = Utf8Bytes::from(s),
            (_, Err(_)) => *self = Utf8Bytes::from(String::from_utf8_lossy(bytes).into_owned()),
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        match &self.0 {
            Repr::Inline(s) => s,
            Repr::Shared(s) => s,
        }
    }

    /// The UTF-8 bytes (no copy unless the text is inline).
    pub fn into_bytes(self) -> Bytes {
        match self.0 {
            Repr::Inline(s) => Bytes::copy_from_slice(s.as_bytes()),
            Repr::Shared(s) => s.into_bytes(),
        }
    }

    /// Whether the text shares storage (`false`: inline).
    #[cfg(test)]
    pub(crate) fn is_shared(&self) -> bool {
        matches!(self.0, Repr::Shared(_))
    }
}

impl Default for Utf8Bytes {
    fn default() -> Self {
        Utf8Bytes::new()
    }
}

impl PartialEq for Utf8Bytes {
    fn eq(&self, other: &Utf8Bytes) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Utf8Bytes {}

impl PartialOrd for Utf8Bytes {
    fn partial_cmp(&self, other: &Utf8Bytes) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Utf8Bytes {
    fn cmp(&self, other: &Utf8Bytes) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl std::hash::Hash for Utf8Bytes {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl TryFrom<Bytes> for Utf8Bytes {
    type Error = std::str::Utf8Error;

    /// Validates `bytes` (no copy).
    ///
    /// # Errors
    ///
    /// When `bytes` is not UTF-8.
    fn try_from(bytes: Bytes) -> Result<Utf8Bytes, Self::Error> {
        if bytes.len() <= INLINE {
            return std::str::from_utf8(&bytes).map(Utf8Bytes::from);
        }
        ByteString::try_from(bytes).map(|s| Utf8Bytes(Repr::Shared(s)))
    }
}

impl From<String> for Utf8Bytes {
    /// Takes over the string's buffer (no copy), or stores short text inline.
    fn from(s: String) -> Utf8Bytes {
        match ArrayString::from(&s) {
            Ok(inline) => Utf8Bytes(Repr::Inline(inline)),
            Err(_) => Utf8Bytes(Repr::Shared(ByteString::from(s))),
        }
    }
}

impl From<&str> for Utf8Bytes {
    /// Copies the string (see [`Utf8Bytes::from_static`] to avoid that).
    #[inline(always)]
    fn from(s: &str) -> Utf8Bytes {
        match ArrayString::from(s) {
            Ok(inline) => Utf8Bytes(Repr::Inline(inline)),
            Err(_) => Utf8Bytes(Repr::Shared(ByteString::from(s))),
        }
    }
}

impl From<Box<str>> for Utf8Bytes {
    fn from(s: Box<str>) -> Utf8Bytes {
        Utf8Bytes::from(String::from(s))
    }
}

impl From<Utf8Bytes> for Bytes {
    fn from(s: Utf8Bytes) -> Bytes {
        s.into_bytes()
    }
}

impl From<Utf8Bytes> for String {
    /// Copies the text.
    fn from(s: Utf8Bytes) -> String {
        s.as_str().to_owned()
    }
}

impl Deref for Utf8Bytes {
    type Target = str;

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
        self.as_str().as_bytes()
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

impl PartialEq<String> for Utf8Bytes {
    fn eq(&self, other: &String) -> bool {
        self.as_str() == other.as_str()
    }
}

impl PartialEq<Utf8Bytes> for str {
    fn eq(&self, other: &Utf8Bytes) -> bool {
        self == other.as_str()
    }
}

impl PartialEq<Utf8Bytes> for &str {
    fn eq(&self, other: &Utf8Bytes) -> bool {
        *self == other.as_str()
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

    fn lossy(bytes: &[u8]) -> String {
        let via_bytes = Utf8Bytes::from_utf8_lossy(Bytes::copy_from_slice(bytes));
        via_bytes.into()
    }

    /// Maximal-subpart replacement, as the WHATWG UTF-8 decoder does (cases
    /// from the Unicode Standard's table 3-8 and the Encoding Standard).
    #[test]
    fn replacement_follows_maximal_subparts() {
        let f = "\u{FFFD}";
        assert_eq!(lossy(b"ok"), "ok");
        assert_eq!(lossy(b"\x80"), f);
        assert_eq!(lossy(b"\xFF\xFE"), f.repeat(2));
        // A truncated sequence is one replacement, the next byte kept.
        assert_eq!(lossy(b"\xE2\x82A"), format!("{f}A"));
        assert_eq!(lossy(b"\xF0\x9F\x98"), f);
        // Overlong and surrogate forms: every byte is its own subpart.
        assert_eq!(lossy(b"\xC0\xAF"), f.repeat(2));
        assert_eq!(lossy(b"\xE0\x80\x80"), f.repeat(3));
        assert_eq!(lossy(b"\xED\xA0\x80"), f.repeat(3));
        assert_eq!(lossy(b"\xF4\x90\x80\x80"), f.repeat(4));
        // Unicode Standard table 3-8.
        assert_eq!(
            lossy(b"\x61\xF1\x80\x80\xE1\x80\xC2\x62\x80\x63\x80\xBF\x64"),
            format!("a{f}{f}{f}b{f}c{f}{f}d")
        );
        // Valid non-ASCII is kept (the copying path).
        assert_eq!(lossy("ok…é".as_bytes()), "ok…é");
    }

    #[test]
    fn long_ascii_is_not_copied_short_text_is_inline() {
        let bytes = Bytes::from_static(b"a line longer than the inline capacity");
        let text = Utf8Bytes::from_utf8_lossy(bytes.clone());
        assert!(text.is_shared());
        assert_eq!(text.as_str().as_ptr(), bytes.as_ptr());
        let short = Utf8Bytes::from_utf8_lossy(Bytes::from_static(b"short"));
        assert!(!short.is_shared());
        assert_eq!(short, "short");
        let limit = "x".repeat(Utf8Bytes::INLINE_CAPACITY);
        assert!(!Utf8Bytes::from(limit.as_str()).is_shared());
        assert!(Utf8Bytes::from(format!("{limit}y")).is_shared());
        assert!(Utf8Bytes::from_static("static").is_shared());
    }

    #[test]
    fn size() {
        assert_eq!(std::mem::size_of::<Utf8Bytes>(), 40);
        assert_eq!(std::mem::size_of::<Option<Utf8Bytes>>(), 40);
    }

    #[test]
    fn equality_is_by_text() {
        use std::collections::hash_map::DefaultHasher;
        use std::hash::{Hash, Hasher};
        let inline = Utf8Bytes::from("same");
        let shared = Utf8Bytes::from_static("same");
        assert_eq!(inline, shared);
        assert_eq!(inline.cmp(&shared), std::cmp::Ordering::Equal);
        let hash = |t: &Utf8Bytes| {
            let mut h = DefaultHasher::new();
            t.hash(&mut h);
            h.finish()
        };
        assert_eq!(hash(&inline), hash(&shared));
        let (a, b) = (Utf8Bytes::from("a"), Utf8Bytes::from_static("b"));
        assert!(a < b);
    }

    #[test]
    fn conversions() {
        let t = Utf8Bytes::from_static("abc");
        assert_eq!(t, "abc");
        assert_eq!("abc", t);
        assert_eq!(t, String::from("abc"));
        assert_eq!(&*t, "abc");
        assert_eq!(format!("{t} {t:?}"), "abc \"abc\"");
        assert_eq!(
            Utf8Bytes::try_from(Bytes::from_static(b"x")).ok(),
            Some("x".into())
        );
        assert!(Utf8Bytes::try_from(Bytes::from_static(b"\xFF")).is_err());
        assert_eq!(Bytes::from(Utf8Bytes::from("y")), Bytes::from_static(b"y"));
        assert!(Utf8Bytes::new().is_empty());
        assert_eq!(Utf8Bytes::default(), "");
        let long = "y".repeat(40);
        assert_eq!(Bytes::from(Utf8Bytes::from(long.as_str())), long.as_bytes());
        assert_eq!(String::from(Utf8Bytes::from(long.clone())), long);
        assert_eq!(Utf8Bytes::from(Box::<str>::from("b")), "b");
    }
}
