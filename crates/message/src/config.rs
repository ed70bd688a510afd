//! Limits and options.

use tether_frame::FrameConfig;

/// Limits and options of a [`MessageCodec`](crate::MessageCodec).
///
/// `#[non_exhaustive]`: start from [`MessageConfig::default`] and use the
/// `with_*` setters.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct MessageConfig {
    /// The frame layer's configuration (maximum frame size, allowed RSV bits).
    pub frame: FrameConfig,

    /// The largest message that will be assembled.
    ///
    /// Default: 64 MiB. Range: 0 to `usize::MAX`. Checked against the declared
    /// length of each frame as its header arrives, before its payload is
    /// buffered (close code 1009): a fragmented message buffers at most this
    /// much per connection.
    pub max_message_size: u64,

    /// The largest number of frames one message may have.
    ///
    /// Default: 65,536. Range: 1 to `usize::MAX`. Bounds the work a peer can
    /// cause with many tiny or empty fragments (close code 1009). A 16 MiB
    /// message sent in 64-byte fragments has 262,144 of them; raise this to
    /// accept such traffic.
    pub max_fragments: usize,

    /// When set, outgoing text and binary messages longer than this are sent
    /// as several frames of at most this many payload bytes.
    ///
    /// Default: `None` (one frame per message). Range: 1 to `usize::MAX`.
    pub fragment_size: Option<usize>,

    /// permessage-deflate (RFC 7692): the parameters in force, or `None`
    /// (no compression; a frame with RSV1 is then a protocol error, 1002).
    ///
    /// Default: `None`. With `Some`, the codec sets RSV1 as allowed in its
    /// frame layer, compresses what it sends (above the threshold) and
    /// decompresses messages that arrive with RSV1, from the start
    /// ([`MessageStreamCodec`](crate::MessageStreamCodec) too, chunk by
    /// chunk). Use [`MessageCodec::set_deflate`](crate::MessageCodec::set_deflate)
    /// (or [`MessageStreamCodec::set_deflate`](crate::MessageStreamCodec::set_deflate))
    /// once a handshake has negotiated it.
    #[cfg(feature = "deflate")]
    pub deflate: Option<crate::DeflateParams>,
}

impl MessageConfig {
    /// The default [`MessageConfig::max_message_size`]: 64 MiB.
    pub const DEFAULT_MAX_MESSAGE_SIZE: u64 = 64 << 20;
    /// The default [`MessageConfig::max_fragments`].
    pub const DEFAULT_MAX_FRAGMENTS: usize = 1 << 16;

    /// Sets [`MessageConfig::frame`].
    pub fn with_frame_config(mut self, frame: FrameConfig) -> Self {
        self.frame = frame;
        self
    }

    /// Sets [`MessageConfig::max_message_size`].
    pub fn with_max_message_size(mut self, max: u64) -> Self {
        self.max_message_size = max;
        self
    }

    /// Sets the frame layer's maximum frame size.
    pub fn with_max_frame_size(mut self, max: u64) -> Self {
        self.frame = self.frame.with_max_frame_size(max);
        self
    }

    /// Sets [`MessageConfig::max_fragments`] (at least 1).
    pub fn with_max_fragments(mut self, max: usize) -> Self {
        self.max_fragments = max.max(1);
        self
    }

    /// Sets [`MessageConfig::fragment_size`] (`Some(0)` is taken as `Some(1)`).
    pub fn with_fragment_size(mut self, size: Option<usize>) -> Self {
        self.fragment_size = size.map(|n| n.max(1));
        self
    }

    /// Sets [`MessageConfig::deflate`].
    #[cfg(feature = "deflate")]
    pub fn with_deflate(mut self, deflate: Option<crate::DeflateParams>) -> Self {
        self.deflate = deflate;
        self
    }
}

impl Default for MessageConfig {
    fn default() -> Self {
        MessageConfig {
            frame: FrameConfig::default(),
            max_message_size: Self::DEFAULT_MAX_MESSAGE_SIZE,
            max_fragments: Self::DEFAULT_MAX_FRAGMENTS,
            fragment_size: None,
            #[cfg(feature = "deflate")]
            deflate: None,
        }
    }
}
