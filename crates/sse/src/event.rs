//! The event: what a decoder dispatches and what an encoder writes.

use std::time::Duration;

use bytes::{Bytes, BytesMut};

use crate::{Error, Utf8Bytes};

/// One event of a `text/event-stream`: an event block on the wire.
///
/// The same type goes both ways:
///
/// * **Decoded** by [`EventStreamDecoder`](crate::EventStreamDecoder), it is
///   what an `EventSource` dispatches as a `MessageEvent`: `data` is always
///   `Some` (a block without a `data` line dispatches nothing), `id` is always
///   `Some` (the last event ID string at dispatch, empty if never set),
///   `event` is `None` for the default type `message`, `retry` is the
///   reconnection time a `retry` field of this block set, and `comment` is
///   `None` (comments are ignored).
/// * **Encoded** by [`encode`](crate::encode), each field that is `Some`
///   becomes lines of the block: `comment` (one `:` line per line of text),
///   `event`, `id`, `retry`, then `data` (one `data:` line per line of text;
///   `Some("")` is one empty `data:` line, which dispatches an event with
///   empty data, while `None` writes no `data` line, so the block only sets
///   the id or reconnection time or carries a comment, and dispatches
///   nothing).
///
/// Decoding an encoded event gives it back, up to these transformations of
/// the format: line breaks in `data` (CRLF, CR or LF) become LF, an empty or
/// `None` `event` both mean `message`, comments are dropped, and `id` on the
/// decoded side is the last event ID in force.
///
/// `#[non_exhaustive]`: build one with [`Event::new`] or
/// [`Event::default`] and the `with_*` setters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub struct Event {
    /// The `event` field: the event type. `None` (or empty) is the default
    /// type, `message`; see [`Event::event_type`].
    pub event: Option<Utf8Bytes>,
    /// The event data: the `data` values joined with LF. `None` is no `data`
    /// line at all; see [`Event::data`].
    pub data: Option<Utf8Bytes>,
    /// The `id` field. Encoding: `Some` writes it (`Some("")` resets the
    /// receiver's last event ID), `None` leaves the receiver's as it is.
    /// Decoded: the last event ID string when the event was dispatched.
    pub id: Option<Utf8Bytes>,
    /// The `retry` field: the reconnection time, in whole milliseconds on the
    /// wire (encoding drops sub-millisecond precision).
    pub retry: Option<Duration>,
    /// A comment (lines starting with `:`), which receivers ignore; used for
    /// keep-alive. Never set on decoded events.
    pub comment: Option<Utf8Bytes>,
}

impl Event {
    /// An event of the default type with `data`.
    pub fn new(data: impl Into<Utf8Bytes>) -> Event {
        Event {
            data: Some(data.into()),
            ..Event::default()
        }
    }

    /// Sets [`Event::data`].
    pub fn with_data(mut self, data: impl Into<Utf8Bytes>) -> Event {
        self.data = Some(data.into());
        self
    }

    /// Sets [`Event::event`], the event type.
    pub fn with_event(mut self, event: impl Into<Utf8Bytes>) -> Event {
        self.event = Some(event.into());
        self
    }

    /// Sets [`Event::id`].
    pub fn with_id(mut self, id: impl Into<Utf8Bytes>) -> Event {
        self.id = Some(id.into());
        self
    }

    /// Sets [`Event::retry`].
    pub fn with_retry(mut self, retry: Duration) -> Event {
        self.retry = Some(retry);
        self
    }

    /// Sets [`Event::comment`].
    pub fn with_comment(mut self, comment: impl Into<Utf8Bytes>) -> Event {
        self.comment = Some(comment.into());
        self
    }

    /// The event type as an `EventSource` reports it: the `event` field, or
    /// `message` when it is absent or empty.
    pub fn event_type(&self) -> &str {
        match &self.event {
            Some(t) if !t.is_empty() => t,
            _ => "message",
        }
    }

    /// The data (empty when [`Event::data`] is `None`).
    pub fn data(&self) -> &str {
        self.data.as_deref().unwrap_or("")
    }

    /// The last event ID (empty when [`Event::id`] is `None`).
    pub fn last_event_id(&self) -> &str {
        self.id.as_deref().unwrap_or("")
    }

    /// The event encoded as one block, as [`encode`](crate::encode) writes it.
    ///
    /// # Errors
    ///
    /// As [`encode`](crate::encode): [`Error::InvalidId`] or
    /// [`Error::InvalidEventType`].
    pub fn to_bytes(&self) -> Result<Bytes, Error> {
        let mut dst = BytesMut::new();
        crate::encode(self, &mut dst)?;
        Ok(dst.freeze())
    }
}
