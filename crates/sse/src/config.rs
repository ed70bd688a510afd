//! Limits of the decoder.

/// Limits of an [`EventStreamDecoder`](crate::EventStreamDecoder).
///
/// The WHATWG rules put no bound on a line or an event, so a peer could make
/// a decoder buffer without end; these two limits are the only decode errors.
/// Together they bound what one decoder holds: at most `max_line_len` bytes of
/// an unterminated line in the caller's buffer, plus the data of one event
/// (at most `max_event_size` bytes, in a buffer of at most twice that
/// capacity, as it grows by doubling), plus the event type and last event ID
/// (one line at most each).
///
/// `#[non_exhaustive]`: start from [`DecoderConfig::default`] and use the
/// `with_*` setters.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecoderConfig {
    /// The longest line accepted, in bytes, not counting its line end.
    ///
    /// Default: 1 MiB ([`DecoderConfig::DEFAULT_MAX_LINE_LEN`]). Range: 0 to
    /// `usize::MAX` (0 accepts only blank lines). A line is buffered whole
    /// before it is interpreted, so this bounds what a peer can make the
    /// decoder hold by never sending a line end ([`Error::LineTooLong`]).
    /// 1 MiB is far above what real streams put on one line (a JSON payload
    /// per `data` line is typically well under 64 KiB), while a connection
    /// that streams megabytes without a line end is broken or hostile.
    ///
    /// [`Error::LineTooLong`]: crate::Error::LineTooLong
    pub max_line_len: usize,

    /// The largest event data accepted, in bytes: the `data` values of one
    /// event joined with LF (the length of the dispatched [`Event::data`]).
    ///
    /// Default: 16 MiB ([`DecoderConfig::DEFAULT_MAX_EVENT_SIZE`]). Range: 0
    /// to `usize::MAX` (0 accepts only events with empty data). Bounds the
    /// data buffer a peer can grow with many `data` lines and no blank line
    /// ([`Error::EventTooBig`]). Larger than the line limit so that an event
    /// may carry several long lines (pretty-printed JSON, a document split
    /// into lines), yet a bound on memory per connection.
    ///
    /// [`Event::data`]: crate::Event::data
    /// [`Error::EventTooBig`]: crate::Error::EventTooBig
    pub max_event_size: usize,
}

impl DecoderConfig {
    /// The default [`DecoderConfig::max_line_len`]: 1 MiB.
    pub const DEFAULT_MAX_LINE_LEN: usize = 1 << 20;
    /// The default [`DecoderConfig::max_event_size`]: 16 MiB.
    pub const DEFAULT_MAX_EVENT_SIZE: usize = 16 << 20;

    /// Sets [`DecoderConfig::max_line_len`].
    pub fn with_max_line_len(mut self, max: usize) -> Self {
        self.max_line_len = max;
        self
    }

    /// Sets [`DecoderConfig::max_event_size`].
    pub fn with_max_event_size(mut self, max: usize) -> Self {
        self.max_event_size = max;
        self
    }
}

impl Default for DecoderConfig {
    fn default() -> Self {
        DecoderConfig {
            max_line_len: Self::DEFAULT_MAX_LINE_LEN,
            max_event_size: Self::DEFAULT_MAX_EVENT_SIZE,
        }
    }
}
