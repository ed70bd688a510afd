//! Limits and options.

use std::time::Duration;

use tether_message::MessageConfig;

/// Limits of the opening handshake.
///
/// `#[non_exhaustive]`: start from [`HandshakeConfig::default`] and use the
/// `with_*` setters.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct HandshakeConfig {
    /// The largest HTTP head (request or response line and headers) read.
    ///
    /// Default: 16 KiB. A browser's request with cookies is typically under
    /// 4 KiB. Protects against a peer that sends an endless head to make the
    /// other end buffer it (answered 431 by a server).
    pub max_header_bytes: usize,

    /// The most header lines parsed.
    ///
    /// Default: 64. Bounds the parser's work and memory per request
    /// (answered 431 by a server).
    pub max_headers: usize,

    /// How long the whole handshake may take, from accepting the connection
    /// (or connecting) to the end of the head.
    ///
    /// Default: 10 s. A slow client cannot hold a connection open for free:
    /// a server answers 408 and closes the connection.
    pub timeout: Duration,

    /// Server side: the subprotocols this server speaks, in its order of
    /// preference. Without a callback that decides, the first of the
    /// client's offers (in the client's order) that is in this list is
    /// chosen; none if there is no match.
    ///
    /// Default: empty (no subprotocol is chosen).
    pub protocols: Vec<String>,

    /// Whether and how permessage-deflate (RFC 7692) is offered (client)
    /// or accepted (server).
    ///
    /// Default: refused ([`DeflateConfig::default`](crate::DeflateConfig)).
    #[cfg(feature = "deflate")]
    pub deflate: crate::DeflateConfig,
}

impl HandshakeConfig {
    /// Sets [`HandshakeConfig::protocols`].
    pub fn with_protocols<I, S>(mut self, protocols: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.protocols = protocols.into_iter().map(Into::into).collect();
        self
    }

    /// Sets [`HandshakeConfig::deflate`].
    #[cfg(feature = "deflate")]
    pub fn with_deflate(mut self, deflate: crate::DeflateConfig) -> Self {
        self.deflate = deflate;
        self
    }

    /// Sets [`HandshakeConfig::max_header_bytes`] (at least 64).
    pub fn with_max_header_bytes(mut self, max: usize) -> Self {
        self.max_header_bytes = max.max(64);
        self
    }

    /// Sets [`HandshakeConfig::max_headers`] (at least 1).
    pub fn with_max_headers(mut self, max: usize) -> Self {
        self.max_headers = max.max(1);
        self
    }

    /// Sets [`HandshakeConfig::timeout`].
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

impl Default for HandshakeConfig {
    fn default() -> Self {
        HandshakeConfig {
            max_header_bytes: 16 << 10,
            max_headers: 64,
            timeout: Duration::from_secs(10),
            protocols: Vec::new(),
            #[cfg(feature = "deflate")]
            deflate: crate::DeflateConfig::default(),
        }
    }
}

/// Limits and options of a [`WebSocketStream`](crate::WebSocketStream).
///
/// `#[non_exhaustive]`: start from [`WebSocketConfig::default`] and use the
/// `with_*` setters.
///
/// ```
/// use std::time::Duration;
/// use tether_ws::WebSocketConfig;
/// let config = WebSocketConfig::default()
///     .with_max_message_size(16 << 20)
///     .with_ping_interval(Some(Duration::from_secs(20)))
///     .with_idle_timeout(Some(Duration::from_secs(60)));
/// assert_eq!(config.message.max_message_size, 16 << 20);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebSocketConfig {
    /// Message limits (message size 64 MiB, frame size 16 MiB, fragments
    /// 65,536) and outgoing fragmentation; see [`MessageConfig`].
    pub message: MessageConfig,

    /// The opening handshake's limits.
    pub handshake: HandshakeConfig,

    /// How many bytes of outgoing frames may wait to be written before
    /// [`Sink::poll_ready`](futures_sink::Sink::poll_ready) returns
    /// `Pending` (while it writes them out).
    ///
    /// Default: 128 KiB. Bounds the memory a slow reader at the other end
    /// can make this end hold per connection; a single message larger than
    /// this is still accepted whole (it is queued without copying when the
    /// connection is a server).
    pub write_buffer_size: usize,

    /// Send a ping when nothing has been received for this long (the peer's
    /// pongs and other traffic count), to keep intermediaries from dropping
    /// an idle connection and to notice a dead peer.
    ///
    /// Default: `None`.
    pub ping_interval: Option<Duration>,

    /// Fail the connection (close code 1001) when nothing has been received
    /// for this long.
    ///
    /// Default: `None`. With `ping_interval`, set it to a few intervals.
    pub idle_timeout: Option<Duration>,

    /// How long to wait for the peer's Close after sending ours, and for a
    /// server to close TCP after the close handshake (client side), before
    /// closing anyway.
    ///
    /// Default: 5 s.
    pub close_timeout: Duration,
}

impl WebSocketConfig {
    /// Sets [`WebSocketConfig::message`].
    pub fn with_message_config(mut self, message: MessageConfig) -> Self {
        self.message = message;
        self
    }

    /// Sets the largest message accepted (close code 1009 beyond).
    pub fn with_max_message_size(mut self, max: u64) -> Self {
        self.message = self.message.with_max_message_size(max);
        self
    }

    /// Sets the largest frame accepted (close code 1009 beyond).
    pub fn with_max_frame_size(mut self, max: u64) -> Self {
        self.message = self.message.with_max_frame_size(max);
        self
    }

    /// Sets [`WebSocketConfig::handshake`].
    pub fn with_handshake_config(mut self, handshake: HandshakeConfig) -> Self {
        self.handshake = handshake;
        self
    }

    /// Sets the permessage-deflate configuration of the handshake
    /// ([`HandshakeConfig::deflate`]).
    #[cfg(feature = "deflate")]
    pub fn with_deflate(mut self, deflate: crate::DeflateConfig) -> Self {
        self.handshake.deflate = deflate;
        self
    }

    /// Sets [`WebSocketConfig::write_buffer_size`] (at least 1).
    pub fn with_write_buffer_size(mut self, size: usize) -> Self {
        self.write_buffer_size = size.max(1);
        self
    }

    /// Sets [`WebSocketConfig::ping_interval`].
    pub fn with_ping_interval(mut self, interval: Option<Duration>) -> Self {
        self.ping_interval = interval;
        self
    }

    /// Sets [`WebSocketConfig::idle_timeout`].
    pub fn with_idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Sets [`WebSocketConfig::close_timeout`].
    pub fn with_close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }
}

impl Default for WebSocketConfig {
    fn default() -> Self {
        WebSocketConfig {
            message: MessageConfig::default(),
            handshake: HandshakeConfig::default(),
            write_buffer_size: 128 << 10,
            ping_interval: None,
            idle_timeout: None,
            close_timeout: Duration::from_secs(5),
        }
    }
}
