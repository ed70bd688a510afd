//! [`SocketCodec`]: Socket.IO packets over any Engine.IO packet codec.

use bytes::BytesMut;
use tether_engineio::EnginePacket;
use tokio_util::codec::{Decoder, Encoder};

use crate::{Error, Packet, PacketDecoder, SocketConfig};

/// What [`SocketCodec`] decodes: a whole Socket.IO packet (with its
/// attachments), or an Engine.IO packet that is not a message (open, ping,
/// pong, close, upgrade, noop), passed on for the session to act on.
#[derive(Clone, Debug, PartialEq)]
pub enum Inbound {
    /// A complete Socket.IO packet.
    Packet(Packet),
    /// An Engine.IO packet other than a message.
    Engine(EnginePacket),
}

/// Socket.IO packets over an Engine.IO packet codec: each Socket.IO packet
/// is the text of one Engine.IO message, followed, for a binary packet, by
/// one binary message per attachment.
///
/// `E` is any codec of [`EnginePacket`]s, such as
/// [`tether_engineio::EngineCodec`] over a WebSocket message codec, so
/// `Framed<TcpStream, SocketCodec<EngineCodec<MessageCodec>>>` after a
/// WebSocket handshake is a whole Socket.IO client or server transport
/// (see the `node_client` example):
///
/// ```
/// use bytes::BytesMut;
/// use tether_engineio::EngineCodec;
/// use tether_message::{MessageCodec, Role};
/// use tether_socketio::{Inbound, Packet, SocketCodec};
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut client = SocketCodec::new(EngineCodec::new(MessageCodec::new(Role::Client)));
/// let mut server = SocketCodec::new(EngineCodec::new(MessageCodec::new(Role::Server)));
///
/// let mut wire = BytesMut::new();
/// let bin = bytes::Bytes::from_static(&[1, 2, 3]);
/// client.encode(Packet::event_with_ack("/", "upload", &("a.bin", bin.clone()), 1)?, &mut wire)?;
///
/// // One text message and one binary message on the wire; one packet out.
/// let Some(Inbound::Packet(packet)) = server.decode(&mut wire)? else { panic!() };
/// let (name, data): (String, bytes::Bytes) = packet.args()?;
/// assert_eq!((name.as_str(), data, packet.ack_id()), ("a.bin", bin, Some(1)));
/// # Ok::<(), tether_socketio::Error>(())
/// ```
///
/// The attachment limits of [`SocketConfig`] apply as the packets arrive;
/// Engine.IO packets between a binary packet and its attachments (a ping)
/// are passed on at once.
#[derive(Debug, Default)]
pub struct SocketCodec<E> {
    inner: E,
    decoder: PacketDecoder,
}

impl<E> SocketCodec<E> {
    /// Socket.IO over `inner`, with the default limits.
    pub fn new(inner: E) -> SocketCodec<E> {
        SocketCodec::with_config(inner, SocketConfig::default())
    }

    /// Socket.IO over `inner`, with the limits of `config`.
    pub fn with_config(inner: E, config: SocketConfig) -> SocketCodec<E> {
        SocketCodec {
            inner,
            decoder: PacketDecoder::with_config(config),
        }
    }

    /// The Engine.IO codec.
    pub fn inner(&self) -> &E {
        &self.inner
    }

    /// The Engine.IO codec, mutably.
    pub fn inner_mut(&mut self) -> &mut E {
        &mut self.inner
    }

    /// The Engine.IO codec back.
    pub fn into_inner(self) -> E {
        self.inner
    }

    /// The packet decoder (its limits, the attachments still awaited).
    pub fn decoder(&self) -> &PacketDecoder {
        &self.decoder
    }

    fn take(&mut self, packet: EnginePacket) -> Result<Option<Inbound>, Error> {
        Ok(match packet {
            EnginePacket::Message(text) => self.decoder.decode_text(text)?.map(Inbound::Packet),
            EnginePacket::Binary(data) => self.decoder.decode_binary(data)?.map(Inbound::Packet),
            other => Some(Inbound::Engine(other)),
        })
    }
}

impl<E> Decoder for SocketCodec<E>
where
    E: Decoder<Item = EnginePacket>,
    Error: From<E::Error>,
{
    type Item = Inbound;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Inbound>, Error> {
        loop {
            let Some(packet) = self.inner.decode(src)? else {
                return Ok(None);
            };
            if let Some(item) = self.take(packet)? {
                return Ok(Some(item));
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Inbound>, Error> {
        loop {
            let Some(packet) = self.inner.decode_eof(src)? else {
                return Ok(None);
            };
            if let Some(item) = self.take(packet)? {
                return Ok(Some(item));
            }
        }
    }
}

impl<E> Encoder<&Packet> for SocketCodec<E>
where
    E: Encoder<EnginePacket>,
    Error: From<E::Error>,
{
    type Error = Error;

    /// Encodes `packet` as one Engine.IO text message, then one binary
    /// message per attachment.
    fn encode(&mut self, packet: &Packet, dst: &mut BytesMut) -> Result<(), Error> {
        self.inner
            .encode(EnginePacket::Message(packet.encode_text()), dst)?;
        for attachment in packet.attachments() {
            self.inner
                .encode(EnginePacket::Binary(attachment.clone()), dst)?;
        }
        Ok(())
    }
}

impl<E> Encoder<Packet> for SocketCodec<E>
where
    E: Encoder<EnginePacket>,
    Error: From<E::Error>,
{
    type Error = Error;

    /// Encodes `packet` as one Engine.IO text message, then one binary
    /// message per attachment.
    fn encode(&mut self, packet: Packet, dst: &mut BytesMut) -> Result<(), Error> {
        self.encode(&packet, dst)
    }
}

impl<E> Encoder<EnginePacket> for SocketCodec<E>
where
    E: Encoder<EnginePacket>,
    Error: From<E::Error>,
{
    type Error = Error;

    /// Passes an Engine.IO packet (a pong, a close) through.
    fn encode(&mut self, packet: EnginePacket, dst: &mut BytesMut) -> Result<(), Error> {
        self.inner.encode(packet, dst)?;
        Ok(())
    }
}
