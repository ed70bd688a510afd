//! The event-stream encoder.

use std::fmt::Write as _;

use bytes::{BufMut, BytesMut};
use memchr::{memchr2, memchr3};

use crate::{Error, Event};

/// Writes `event` to `dst` as one event block, ended by a blank line.
///
/// The lines, in this order, each ended by LF:
///
/// | field | lines |
/// |---|---|
/// | `comment` | `: <line>` per line of the comment (`:` for an empty line) |
/// | `event` | `event: <type>`, unless `None` or empty (the default type) |
/// | `id` | `id: <id>` (`id:` for the empty id, which resets the receiver's) |
/// | `retry` | `retry: <milliseconds>` |
/// | `data` | `data: <line>` per line of the data (`data:` for an empty line); `Some("")` is one `data:` line (an event with empty data), `None` no line (no event) |
///
/// Text is split into lines at CRLF, LF and lone CR, the line ends the
/// format knows, so no text can start a field of its own.
///
/// # Errors
///
/// Checked before anything is written (`dst` is then unchanged):
/// [`Error::InvalidId`] if `id` contains CR, LF or NUL, and
/// [`Error::InvalidEventType`] if `event` contains CR, LF or NUL.
///
/// # Example
///
/// ```
/// use bytes::BytesMut;
/// use tether_sse::{encode, Event};
///
/// let mut wire = BytesMut::new();
/// encode(&Event::new("a\nb").with_id("7").with_event("tick"), &mut wire).unwrap();
/// assert_eq!(&wire[..], b"event: tick\nid: 7\ndata: a\ndata: b\n\n");
///
/// let newline = Event::new("x").with_id("1\n2");
/// assert!(encode(&newline, &mut wire).is_err());
/// ```
pub fn encode(event: &Event, dst: &mut BytesMut) -> Result<(), Error> {
    if let Some(id) = &event.id {
        if let Some(at) = memchr3(b'\r', b'\n', 0, id.as_bytes()) {
            return Err(Error::InvalidId {
                at,
                byte: id.as_bytes().get(at).copied().unwrap_or_default(),
            });
        }
    }
    if let Some(event_type) = &event.event {
        if let Some(at) = memchr3(b'\r', b'\n', 0, event_type.as_bytes()) {
            return Err(Error::InvalidEventType {
                at,
                byte: event_type.as_bytes().get(at).copied().unwrap_or_default(),
            });
        }
    }
    dst.reserve(encoded_len_hint(event));
    if let Some(comment) = &event.comment {
        put_lines(dst, b":", comment.as_bytes());
    }
    if let Some(event_type) = event.event.as_deref().filter(|t| !t.is_empty()) {
        put_field(dst, b"event", event_type.as_bytes());
    }
    if let Some(id) = &event.id {
        put_field(dst, b"id", id.as_bytes());
    }
    if let Some(retry) = event.retry {
        // Writing to a `BytesMut` cannot fail.
        let _ = writeln!(dst, "retry: {}", retry.as_millis());
    }
    if let Some(data) = &event.data {
        put_lines(dst, b"data", data.as_bytes());
    }
    dst.put_u8(b'\n');
    Ok(())
}

/// Enough room for the block (exact but for line-end sizes).
fn encoded_len_hint(event: &Event) -> usize {
    let text = |t: &Option<crate::Utf8Bytes>| t.as_ref().map_or(0, |t| t.len() + 8);
    text(&event.comment)
        + text(&event.event)
        + text(&event.id)
        + text(&event.data)
        + event.retry.map_or(0, |_| 48)
        + 1
}

/// `name: value\n`, or `name:\n` for an empty value.
fn put_field(dst: &mut BytesMut, name: &[u8], value: &[u8]) {
    dst.put_slice(name);
    if value.is_empty() {
        dst.put_u8(b':');
    } else {
        dst.put_slice(b": ");
        dst.put_slice(value);
    }
    dst.put_u8(b'\n');
}

/// One `name: line` per line of `text`, split at CRLF, LF and lone CR. The
/// comment "name" is `:` itself.
fn put_lines(dst: &mut BytesMut, name: &[u8], mut text: &[u8]) {
    let comment = name == b":";
    loop {
        let (line, rest) = match memchr2(b'\r', b'\n', text) {
            Some(at) => {
                let eol = if text.get(at..at + 2) == Some(b"\r\n") {
                    2
                } else {
                    1
                };
                (
                    text.get(..at).unwrap_or_default(),
                    Some(text.get(at + eol..).unwrap_or_default()),
                )
            }
            None => (text, None),
        };
        if comment {
            dst.put_u8(b':');
            if !line.is_empty() {
                dst.put_u8(b' ');
                dst.put_slice(line);
            }
            dst.put_u8(b'\n');
        } else {
            put_field(dst, name, line);
        }
        match rest {
            Some(rest) => text = rest,
            None => return,
        }
    }
}

/// A [`tokio_util::codec::Encoder`] of [`Event`]s (by value or by reference)
/// that calls [`encode`]; `FramedWrite::new(io, EventStreamEncoder)` is a
/// `Sink` of events.
///
/// # Errors
///
/// As [`encode`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EventStreamEncoder;

impl tokio_util::codec::Encoder<Event> for EventStreamEncoder {
    type Error = Error;

    fn encode(&mut self, event: Event, dst: &mut BytesMut) -> Result<(), Error> {
        encode(&event, dst)
    }
}

impl tokio_util::codec::Encoder<&Event> for EventStreamEncoder {
    type Error = Error;

    fn encode(&mut self, event: &Event, dst: &mut BytesMut) -> Result<(), Error> {
        encode(event, dst)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn wire(event: &Event) -> String {
        let mut dst = BytesMut::new();
        encode(event, &mut dst).unwrap();
        String::from_utf8(dst.to_vec()).unwrap()
    }

    #[test]
    fn fields_in_order() {
        let event = Event::new("d")
            .with_id("i")
            .with_event("e")
            .with_retry(Duration::from_millis(1500))
            .with_comment("c");
        assert_eq!(
            wire(&event),
            ": c\nevent: e\nid: i\nretry: 1500\ndata: d\n\n"
        );
    }

    #[test]
    fn data_lines_split_on_every_line_end() {
        assert_eq!(
            wire(&Event::new("a\r\nb\nc\rd")),
            "data: a\ndata: b\ndata: c\ndata: d\n\n"
        );
        // A lone CR cannot inject a field.
        assert_eq!(wire(&Event::new("x\rid: 9")), "data: x\ndata: id: 9\n\n");
        assert_eq!(wire(&Event::new("\n")), "data:\ndata:\n\n");
        assert_eq!(wire(&Event::new("a\r")), "data: a\ndata:\n\n");
        assert_eq!(wire(&Event::new(" lead")), "data:  lead\n\n");
    }

    #[test]
    fn empty_data_is_one_data_line() {
        assert_eq!(wire(&Event::new("")), "data:\n\n");
        // No data: a block that dispatches nothing.
        assert_eq!(wire(&Event::default().with_id("5")), "id: 5\n\n");
        assert_eq!(wire(&Event::default()), "\n");
    }

    #[test]
    fn empty_id_resets_and_empty_type_is_default() {
        assert_eq!(wire(&Event::new("x").with_id("")), "id:\ndata: x\n\n");
        assert_eq!(wire(&Event::new("x").with_event("")), "data: x\n\n");
    }

    #[test]
    fn comments_split_into_lines() {
        assert_eq!(
            wire(&Event::default().with_comment("a\r\nb\rc\n")),
            ": a\n: b\n: c\n:\n\n"
        );
        assert_eq!(wire(&Event::default().with_comment("")), ":\n\n");
    }

    #[test]
    fn retry_in_whole_milliseconds() {
        let event = Event::default().with_retry(Duration::from_micros(2_999));
        assert_eq!(wire(&event), "retry: 2\n\n");
        let event = Event::default().with_retry(Duration::MAX);
        assert_eq!(
            wire(&event),
            format!("retry: {}\n\n", Duration::MAX.as_millis())
        );
    }

    #[test]
    fn structure_in_id_or_type_is_an_error() {
        let mut dst = BytesMut::from(&b"kept"[..]);
        for (id, at, byte) in [("a\nb", 1, b'\n'), ("\r", 0, b'\r'), ("ab\0", 2, 0)] {
            let e = encode(&Event::new("x").with_id(id), &mut dst).unwrap_err();
            assert!(
                matches!(e, Error::InvalidId { at: a, byte: b } if a == at && b == byte),
                "{e:?}"
            );
            let e = encode(&Event::new("x").with_event(id), &mut dst).unwrap_err();
            assert!(
                matches!(e, Error::InvalidEventType { at: a, byte: b } if a == at && b == byte),
                "{e:?}"
            );
        }
        assert_eq!(&dst[..], b"kept");
        // NUL is harmless in data and comments.
        assert_eq!(
            wire(&Event::new("\0").with_comment("\0")),
            ": \0\ndata: \0\n\n"
        );
    }

    #[test]
    fn codec_impls_agree() {
        use tokio_util::codec::Encoder as _;
        let event = Event::new("x").with_id("1");
        let mut a = BytesMut::new();
        let mut b = BytesMut::new();
        EventStreamEncoder.encode(&event, &mut a).unwrap();
        EventStreamEncoder.encode(event.clone(), &mut b).unwrap();
        assert_eq!(a, b);
        assert_eq!(event.to_bytes().unwrap(), a.freeze());
    }
}
