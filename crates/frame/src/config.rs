//! Role and configuration.

use crate::header::{Rules, MAX_PAYLOAD_LEN};
use crate::Rsv;

/// Which end of the connection this codec is.
///
/// RFC 6455 section 5.1: a client masks every frame it sends and rejects
/// masked frames; a server rejects unmasked frames and never masks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The end that sent the opening handshake request.
    Client,
    /// The end that answered it.
    Server,
}

/// Limits and negotiated options of a frame codec.
///
/// `#[non_exhaustive]`: build it with [`FrameConfig::default`] and the
/// `with_*` setters.
///
/// ```
/// use tether_frame::{FrameConfig, Rsv};
/// let config = FrameConfig::default()
///     .with_max_frame_size(64 << 20)
///     .with_allowed_rsv(Rsv::RSV1); // permessage-deflate was negotiated
/// assert_eq!(config.max_frame_size, 64 << 20);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct FrameConfig {
    /// The largest payload a received data frame (text, binary,
    /// continuation) may declare. Control frames are limited to 125 bytes by
    /// RFC 6455 whatever this is, so pings and closes always get through.
    ///
    /// Default: 16 MiB ([`FrameConfig::DEFAULT_MAX_FRAME_SIZE`]). Range:
    /// 0 to 2^63 - 1. Protects against a peer that declares a huge frame to
    /// make the receiver buffer it: the whole-frame [`FrameCodec`](crate::FrameCodec)
    /// buffers up to this many bytes per connection, and rejects a larger
    /// declared length from the header alone (close code 1009), before
    /// anything is allocated. The streaming decoder
    /// ([`FrameStreamCodec`](crate::FrameStreamCodec)) never buffers a whole
    /// payload, so it can be given a much larger limit.
    pub max_frame_size: u64,

    /// The RSV bits that negotiated extensions define; a received frame with
    /// any other RSV bit set is a protocol error (1002).
    ///
    /// Default: none ([`Rsv::NONE`]). Set [`Rsv::RSV1`] once
    /// permessage-deflate (RFC 7692) has been negotiated.
    pub allowed_rsv: Rsv,

    /// Reject payload lengths that are not encoded in the minimal number of
    /// bytes (RFC 6455 section 5.2: "the minimal number of bytes MUST be used
    /// to encode the length").
    ///
    /// Default: `true` (strict). Turn off to accept peers that pad lengths.
    pub require_minimal_length: bool,
}

impl FrameConfig {
    /// The default [`FrameConfig::max_frame_size`]: 16 MiB.
    pub const DEFAULT_MAX_FRAME_SIZE: u64 = 16 << 20;

    /// Sets [`FrameConfig::max_frame_size`], clamped to 2^63 - 1.
    pub fn with_max_frame_size(mut self, max: u64) -> Self {
        self.max_frame_size = max.min(MAX_PAYLOAD_LEN);
        self
    }

    /// Sets [`FrameConfig::allowed_rsv`].
    pub fn with_allowed_rsv(mut self, rsv: Rsv) -> Self {
        self.allowed_rsv = rsv;
        self
    }

    /// Sets [`FrameConfig::require_minimal_length`].
    pub fn with_require_minimal_length(mut self, on: bool) -> Self {
        self.require_minimal_length = on;
        self
    }

    #[inline]
    pub(crate) fn rules(&self, role: Role) -> Rules {
        Rules {
            role: Some(role),
            allowed_rsv: self.allowed_rsv,
            max_payload_len: self.max_frame_size.min(MAX_PAYLOAD_LEN),
            require_minimal_length: self.require_minimal_length,
        }
    }
}

impl Default for FrameConfig {
    fn default() -> Self {
        FrameConfig {
            max_frame_size: Self::DEFAULT_MAX_FRAME_SIZE,
            allowed_rsv: Rsv::NONE,
            require_minimal_length: true,
        }
    }
}
