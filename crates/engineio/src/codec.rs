//! [`EngineCodec`]: Engine.IO packets over any WebSocket message codec.

use bytes::{Bytes, BytesMut};
use tether_message::{CloseFrame, Message, MessageCodec, MessageConfig, Role, Utf8Bytes};
use tokio_util::codec::{Decoder, Encoder};

use crate::{EnginePacket, Error, MessageData};

/// A WebSocket message as [`EngineCodec`] sees it: text, binary, a control
/// message it passes over, or the close that ends the transport.
///
/// Implemented for [`tether_message::Message`]. To put `EngineCodec` over
/// another crate's WebSocket codec, implement it for that codec's item type
/// (through a newtype if both are foreign), and make
/// [`Error`](crate::Error) `From` its error type (with
/// [`Error::transport`](crate::Error::transport)).
pub trait WebSocketMessage: Sized {
    /// A text message.
    fn from_text(text: Utf8Bytes) -> Self;
    /// A binary message.
    fn from_binary(data: Bytes) -> Self;
    /// What this message is.
    fn into_kind(self) -> MessageKind;
}

/// The kinds of WebSocket message, for [`WebSocketMessage::into_kind`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageKind {
    /// A data message: text or binary.
    Data(MessageData),
    /// A ping or pong: the WebSocket layer's business, skipped.
    Control,
    /// A close: the transport ends.
    Close(Option<CloseFrame>),
}

impl WebSocketMessage for Message {
    fn from_text(text: Utf8Bytes) -> Message {
        Message::Text(text)
    }

    fn from_binary(data: Bytes) -> Message {
        Message::Binary(data)
    }

    fn into_kind(self) -> MessageKind {
        match self {
            Message::Text(t) => MessageKind::Data(MessageData::Text(t)),
            Message::Binary(b) => MessageKind::Data(MessageData::Binary(b)),
            Message::Ping(_) | Message::Pong(_) => MessageKind::Control,
            Message::Close(frame) => MessageKind::Close(frame),
        }
    }
}

/// Engine.IO packets over a WebSocket message codec: one packet per data
/// message, in both directions (the WebSocket transport of Engine.IO v4).
///
/// `C` is any codec that decodes WebSocket messages (its
/// `Decoder::Item` implements [`WebSocketMessage`]) and encodes the same
/// type, such as [`tether_message::MessageCodec`]:
///
/// ```
/// use bytes::BytesMut;
/// use tether_engineio::{EngineCodec, EnginePacket};
/// use tether_message::{MessageCodec, Role};
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut client = EngineCodec::new(MessageCodec::new(Role::Client));
/// let mut server = EngineCodec::new(MessageCodec::new(Role::Server));
/// let mut wire = BytesMut::new();
/// client.encode(EnginePacket::message("hello"), &mut wire).unwrap();
/// client.encode(EnginePacket::binary(vec![1, 2, 3]), &mut wire).unwrap();
/// assert_eq!(server.decode(&mut wire).unwrap(), Some(EnginePacket::message("hello")));
/// assert_eq!(server.decode(&mut wire).unwrap(), Some(EnginePacket::binary(vec![1, 2, 3])));
/// ```
///
/// Pings and pongs of the WebSocket layer are skipped (answering them is
/// the connection's job, as `tether-ws` does). A WebSocket close ends the
/// packets: `decode` returns `Ok(None)` from then on and
/// [`peer_close`](Self::peer_close) tells what the peer sent.
///
/// Engine.IO's `maxPayload` (default 1,000,000 bytes, the reference's) is
/// enforced here: a larger message is [`Error::PayloadTooLarge`] (close
/// 1009). [`EngineCodec::websocket`] also sets tether's message codec to
/// the same limit, so such a message is refused before it is buffered;
/// over another codec, set that codec's own limit too.
#[derive(Debug)]
pub struct EngineCodec<C> {
    inner: C,
    peer_close: Option<Option<CloseFrame>>,
    max_payload: u64,
}

impl<C: Default> Default for EngineCodec<C> {
    fn default() -> EngineCodec<C> {
        EngineCodec::new(C::default())
    }
}

impl EngineCodec<MessageCodec> {
    /// The Engine.IO WebSocket transport over tether's message codec for
    /// `role`, with the message size limit at the default `maxPayload`
    /// (1,000,000 bytes): a larger message fails with 1009 at its header,
    /// before its payload is buffered.
    pub fn websocket(role: Role) -> EngineCodec<MessageCodec> {
        EngineCodec::websocket_with_max_payload(
            role,
            EngineCodec::<MessageCodec>::DEFAULT_MAX_PAYLOAD,
        )
    }

    /// As [`EngineCodec::websocket`], with `maxPayload` = `max_payload`.
    pub fn websocket_with_max_payload(role: Role, max_payload: u64) -> EngineCodec<MessageCodec> {
        let config = MessageConfig::default().with_max_message_size(max_payload);
        EngineCodec::new(MessageCodec::with_config(role, config)).with_max_payload(max_payload)
    }
}

impl<C> EngineCodec<C> {
    /// The default `maxPayload`: 1,000,000 bytes, as the reference server's
    /// `maxHttpBufferSize`.
    pub const DEFAULT_MAX_PAYLOAD: u64 = 1_000_000;

    /// Engine.IO over `inner`, `maxPayload` 1,000,000 bytes.
    pub fn new(inner: C) -> EngineCodec<C> {
        EngineCodec {
            inner,
            peer_close: None,
            max_payload: Self::DEFAULT_MAX_PAYLOAD,
        }
    }

    /// Sets `maxPayload`, the largest message accepted, in bytes (default
    /// 1,000,000). Bounds what one packet can make the layers above hold.
    pub fn with_max_payload(mut self, max_payload: u64) -> EngineCodec<C> {
        self.max_payload = max_payload;
        self
    }

    /// The `maxPayload` enforced.
    pub fn max_payload(&self) -> u64 {
        self.max_payload
    }

    /// The WebSocket codec.
    pub fn inner(&self) -> &C {
        &self.inner
    }

    /// The WebSocket codec, mutably.
    pub fn inner_mut(&mut self) -> &mut C {
        &mut self.inner
    }

    /// The WebSocket codec back.
    pub fn into_inner(self) -> C {
        self.inner
    }

    /// `Some` once the peer's WebSocket close arrived, with its status.
    pub fn peer_close(&self) -> Option<&Option<CloseFrame>> {
        self.peer_close.as_ref()
    }

    fn take<M: WebSocketMessage>(&mut self, message: M) -> Result<Option<EnginePacket>, Error> {
        match message.into_kind() {
            MessageKind::Data(data) => {
                let size = match &data {
                    MessageData::Text(t) => t.len(),
                    MessageData::Binary(b) => b.len(),
                } as u64;
                if size > self.max_payload {
                    return Err(Error::PayloadTooLarge {
                        size,
                        max: self.max_payload,
                    });
                }
                data.decode().map(Some)
            }
            MessageKind::Control => Ok(None),
            MessageKind::Close(frame) => {
                self.peer_close = Some(frame);
                Ok(None)
            }
        }
    }
}

impl<C> Decoder for EngineCodec<C>
where
    C: Decoder,
    C::Item: WebSocketMessage,
    Error: From<C::Error>,
{
    type Item = EnginePacket;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<EnginePacket>, Error> {
        while self.peer_close.is_none() {
            let Some(message) = self.inner.decode(src)? else {
                return Ok(None);
            };
            if let Some(packet) = self.take(message)? {
                return Ok(Some(packet));
            }
        }
        Ok(None)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<EnginePacket>, Error> {
        while self.peer_close.is_none() {
            let Some(message) = self.inner.decode_eof(src)? else {
                return Ok(None);
            };
            if let Some(packet) = self.take(message)? {
                return Ok(Some(packet));
            }
        }
        Ok(None)
    }
}

impl<C> Encoder<EnginePacket> for EngineCodec<C>
where
    C: Decoder + Encoder<<C as Decoder>::Item>,
    C::Item: WebSocketMessage,
    Error: From<<C as Encoder<<C as Decoder>::Item>>::Error>,
{
    type Error = Error;

    /// Encodes `packet` as one WebSocket message.
    fn encode(&mut self, packet: EnginePacket, dst: &mut BytesMut) -> Result<(), Error> {
        let message = match packet {
            EnginePacket::Binary(data) => C::Item::from_binary(data),
            packet => match packet.to_message_data()? {
                MessageData::Text(t) => C::Item::from_text(t),
                MessageData::Binary(b) => C::Item::from_binary(b),
            },
        };
        self.inner.encode(message, dst)?;
        Ok(())
    }
}
