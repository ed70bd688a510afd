//! [`Message`]: what the application sends and receives.

use bytes::Bytes;
use tether_frame::{CloseFrame, Utf8Bytes};

/// A WebSocket message.
///
/// Text is [`Utf8Bytes`]: validated once on arrival, cheap to clone, and
/// derefs to `&str`. A message that arrived in a single frame shares that
/// frame's buffer (no copy).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Message {
    /// A text message (opcode 0x1 and its continuations).
    Text(Utf8Bytes),
    /// A binary message (opcode 0x2 and its continuations).
    Binary(Bytes),
    /// A ping, with at most 125 bytes of application data.
    Ping(Bytes),
    /// A pong, with at most 125 bytes of application data.
    Pong(Bytes),
    /// A close, with its status if it carried one.
    Close(Option<CloseFrame>),
}

/// Whether a data message is text or binary.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DataKind {
    /// Text: the payload is UTF-8.
    Text,
    /// Binary.
    Binary,
}

impl Message {
    /// A text message.
    pub fn text(text: impl Into<Utf8Bytes>) -> Message {
        Message::Text(text.into())
    }

    /// A binary message.
    pub fn binary(data: impl Into<Bytes>) -> Message {
        Message::Binary(data.into())
    }

    /// Ping, pong or close.
    pub fn is_control(&self) -> bool {
        matches!(
            self,
            Message::Ping(_) | Message::Pong(_) | Message::Close(_)
        )
    }

    /// The payload length in bytes (for a close, the encoded status).
    pub fn len(&self) -> usize {
        match self {
            Message::Text(t) => t.len(),
            Message::Binary(b) | Message::Ping(b) | Message::Pong(b) => b.len(),
            Message::Close(None) => 0,
            Message::Close(Some(c)) => 2 + c.reason.len(),
        }
    }

    /// Whether the payload is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The text, for a text message.
    pub fn as_text(&self) -> Option<&str> {
        match self {
            Message::Text(t) => Some(t),
            _ => None,
        }
    }
}

impl From<String> for Message {
    fn from(s: String) -> Message {
        Message::Text(s.into())
    }
}

impl From<&str> for Message {
    fn from(s: &str) -> Message {
        Message::Text(s.into())
    }
}

impl From<Vec<u8>> for Message {
    fn from(v: Vec<u8>) -> Message {
        Message::Binary(v.into())
    }
}

impl From<Bytes> for Message {
    fn from(b: Bytes) -> Message {
        Message::Binary(b)
    }
}
