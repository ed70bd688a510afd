//! Limits.

/// Limits of a [`PacketDecoder`](crate::PacketDecoder).
///
/// `#[non_exhaustive]`: start from [`SocketConfig::default`] and use the
/// `with_*` setters.
///
/// Under the default stack the Engine.IO layer refuses any message over
/// `maxPayload` (1,000,000 bytes, `tether_engineio::EngineCodec`'s
/// default, enforced there; `EngineCodec::websocket` refuses it before
/// buffering). These limits are this layer's own and are generous: they
/// bound what it holds for one connection when it runs with a raised
/// `maxPayload` or over another transport. A pending binary packet keeps at
/// most `max_packet_size + max_total_attachment_size` bytes, in at most
/// `max_attachments` buffers.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct SocketConfig {
    /// The most attachments one binary packet may announce.
    ///
    /// Default: 10 (the reference parser's `maxAttachments`). Range: 0 to
    /// `usize::MAX` (0 refuses every binary packet). Checked from the packet
    /// header before any attachment is buffered: a peer cannot make the
    /// decoder reserve or wait for an unbounded number of buffers.
    pub max_attachments: usize,

    /// The largest text packet, in bytes.
    ///
    /// Default: 16 MiB. Range: 0 to `usize::MAX`. Bounds the JSON validation
    /// work per packet and the text a pending binary packet holds while its
    /// attachments arrive.
    pub max_packet_size: usize,

    /// The largest single attachment, in bytes.
    ///
    /// Default: 16 MiB. Range: 0 to `usize::MAX`. Checked as each binary
    /// message arrives, before it is kept.
    pub max_attachment_size: usize,

    /// The largest sum of the attachments of one packet, in bytes.
    ///
    /// Default: 64 MiB. Range: 0 to `usize::MAX`. Bounds the memory one
    /// pending binary packet holds (ten attachments of the maximum size would
    /// otherwise keep 160 MiB per connection).
    pub max_total_attachment_size: usize,
}

impl SocketConfig {
    /// The default [`SocketConfig::max_attachments`]: 10.
    pub const DEFAULT_MAX_ATTACHMENTS: usize = 10;
    /// The default [`SocketConfig::max_packet_size`]: 16 MiB.
    pub const DEFAULT_MAX_PACKET_SIZE: usize = 16 << 20;
    /// The default [`SocketConfig::max_attachment_size`]: 16 MiB.
    pub const DEFAULT_MAX_ATTACHMENT_SIZE: usize = 16 << 20;
    /// The default [`SocketConfig::max_total_attachment_size`]: 64 MiB.
    pub const DEFAULT_MAX_TOTAL_ATTACHMENT_SIZE: usize = 64 << 20;

    /// Sets [`SocketConfig::max_attachments`] (default 10; 0 refuses binary
    /// packets). Guards against a header that makes the decoder wait for
    /// and buffer any number of attachments.
    pub fn with_max_attachments(mut self, max: usize) -> Self {
        self.max_attachments = max;
        self
    }

    /// Sets [`SocketConfig::max_packet_size`] (default 16 MiB). Guards
    /// against oversized JSON texts.
    pub fn with_max_packet_size(mut self, max: usize) -> Self {
        self.max_packet_size = max;
        self
    }

    /// Sets [`SocketConfig::max_attachment_size`] (default 16 MiB). Guards
    /// against one huge attachment.
    pub fn with_max_attachment_size(mut self, max: usize) -> Self {
        self.max_attachment_size = max;
        self
    }

    /// Sets [`SocketConfig::max_total_attachment_size`] (default 64 MiB).
    /// Guards against many large attachments held for one packet.
    pub fn with_max_total_attachment_size(mut self, max: usize) -> Self {
        self.max_total_attachment_size = max;
        self
    }
}

impl Default for SocketConfig {
    fn default() -> Self {
        SocketConfig {
            max_attachments: Self::DEFAULT_MAX_ATTACHMENTS,
            max_packet_size: Self::DEFAULT_MAX_PACKET_SIZE,
            max_attachment_size: Self::DEFAULT_MAX_ATTACHMENT_SIZE,
            max_total_attachment_size: Self::DEFAULT_MAX_TOTAL_ATTACHMENT_SIZE,
        }
    }
}
