//! permessage-deflate (RFC 7692): the parameters in force and the
//! compressor/decompressor of one connection.
//!
//! Negotiation (the `Sec-WebSocket-Extensions` header) is not done here: it
//! produces a [`DeflateParams`], which a [`MessageCodec`](crate::MessageCodec)
//! is given with [`MessageConfig::with_deflate`](crate::MessageConfig::with_deflate)
//! or [`MessageCodec::set_deflate`](crate::MessageCodec::set_deflate).

/// The permessage-deflate parameters in force on a connection after
/// negotiation (RFC 7692 section 7.1), and local sending options that are not
/// negotiated.
///
/// [`DeflateParams::default`] is the RFC's default: context takeover in both
/// directions and 15-bit (32 KiB) windows, level 6 and a 64-byte threshold.
///
/// The [`Role`](crate::Role) of the codec decides which half applies to which
/// direction: a server compresses with the `server_*` parameters and
/// decompresses with the `client_*` ones; a client the opposite.
///
/// # Memory per connection
///
/// Measured with a counting allocator (`tests/deflate_memory.rs`, zlib-rs
/// through flate2, level 6); the window size is `2^bits` bytes:
///
/// | window bits | compressor | decompressor |
/// |---|---|---|
/// | 8  | see `docs/ARCHITECTURE.md` | |
///
/// With context takeover the state is kept for the life of the connection;
/// without it (`*_no_context_takeover`), the state of that direction is
/// allocated for each message and freed at its end, so an idle connection
/// keeps none.
///
/// # Window bits 8
///
/// zlib (and zlib-rs) cannot compress raw deflate with an 8-bit window; a
/// compressor whose window is negotiated to 8 bits uses 9. That is still
/// valid for the peer: zlib never emits a distance over `window - 262`
/// bytes, 250 for a 512-byte window, within the 256 bytes the peer keeps.
/// The decompressor uses the negotiated 8 bits.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DeflateParams {
    /// `server_no_context_takeover`: the server resets its compression
    /// context after each message (the client may then drop its
    /// decompression context between messages). Default: `false`.
    pub server_no_context_takeover: bool,
    /// `client_no_context_takeover`: the client resets its compression
    /// context after each message. Default: `false`.
    pub client_no_context_takeover: bool,
    /// `server_max_window_bits`: the base-2 logarithm of the LZ77 window the
    /// server compresses with. Default: 15. Range: 8 to 15.
    pub server_max_window_bits: u8,
    /// `client_max_window_bits`: the base-2 logarithm of the LZ77 window the
    /// client compresses with. Default: 15. Range: 8 to 15.
    pub client_max_window_bits: u8,
    /// Local, not negotiated: the zlib compression level used to send.
    /// Default: 6 (zlib's default). Range: 0 (stored) to 9 (best).
    pub compression_level: u32,
    /// Local, not negotiated: text and binary messages shorter than this
    /// many bytes are sent uncompressed (RSV1 clear). Default: 64. Streamed
    /// messages ([`Fragment`](crate::Fragment)) do not know their length
    /// when they start and are always compressed.
    pub threshold: usize,
}

impl DeflateParams {
    /// The default window bits (RFC 7692: 15, a 32 KiB window).
    pub const DEFAULT_WINDOW_BITS: u8 = 15;
    /// The default [`DeflateParams::compression_level`]: 6.
    pub const DEFAULT_COMPRESSION_LEVEL: u32 = 6;
    /// The default [`DeflateParams::threshold`]: 64 bytes.
    pub const DEFAULT_THRESHOLD: usize = 64;

    /// Sets [`DeflateParams::server_no_context_takeover`].
    pub fn with_server_no_context_takeover(mut self, on: bool) -> Self {
        self.server_no_context_takeover = on;
        self
    }

    /// Sets [`DeflateParams::client_no_context_takeover`].
    pub fn with_client_no_context_takeover(mut self, on: bool) -> Self {
        self.client_no_context_takeover = on;
        self
    }

    /// Sets [`DeflateParams::server_max_window_bits`], clamped to 8..=15.
    pub fn with_server_max_window_bits(mut self, bits: u8) -> Self {
        self.server_max_window_bits = bits.clamp(8, 15);
        self
    }

    /// Sets [`DeflateParams::client_max_window_bits`], clamped to 8..=15.
    pub fn with_client_max_window_bits(mut self, bits: u8) -> Self {
        self.client_max_window_bits = bits.clamp(8, 15);
        self
    }

    /// Sets [`DeflateParams::compression_level`], clamped to 0..=9.
    pub fn with_compression_level(mut self, level: u32) -> Self {
        self.compression_level = level.min(9);
        self
    }

    /// Sets [`DeflateParams::threshold`].
    pub fn with_threshold(mut self, threshold: usize) -> Self {
        self.threshold = threshold;
        self
    }
}

impl Default for DeflateParams {
    fn default() -> Self {
        DeflateParams {
            server_no_context_takeover: false,
            client_no_context_takeover: false,
            server_max_window_bits: Self::DEFAULT_WINDOW_BITS,
            client_max_window_bits: Self::DEFAULT_WINDOW_BITS,
            compression_level: Self::DEFAULT_COMPRESSION_LEVEL,
            threshold: Self::DEFAULT_THRESHOLD,
        }
    }
}

/// The compressor and decompressor of one connection (filled in below).
#[derive(Debug)]
#[allow(dead_code)] // The API commit; the implementation follows.
pub(crate) struct Deflate {
    params: DeflateParams,
    role: crate::Role,
}

impl Deflate {
    pub(crate) fn new(params: DeflateParams, role: crate::Role) -> Deflate {
        Deflate { params, role }
    }
}
