//! [`PacketDecoder`]: Engine.IO messages in, Socket.IO packets out.

use bytes::Bytes;

use crate::{Error, Packet, SocketConfig, Utf8Bytes};

/// The sans-IO Socket.IO decoder of one connection: feed it the payloads of
/// the Engine.IO message packets as they arrive (text and binary), get
/// packets back.
///
/// A binary packet's text announces `n` attachments; the decoder keeps it
/// until the next `n` binary messages have arrived, then hands it out whole.
///
/// | state | input | result | next state |
/// |---|---|---|---|
/// | idle | text, not binary | `Ok(Some(packet))` | idle |
/// | idle | text, binary, `n` attachments | `Ok(None)` | awaiting `n` |
/// | idle | binary | `Err(UnexpectedBinary)` | idle |
/// | awaiting `k` | binary, `k > 1` | `Ok(None)` | awaiting `k - 1` |
/// | awaiting `1` | binary | `Ok(Some(packet))` | idle |
/// | awaiting `k` | text | `Err(UnexpectedText)` | idle |
/// | any | input breaking a rule or a limit | `Err(..)` | idle |
///
/// Every error is a peer error ([`Error::is_peer_error`]): the connection
/// is to be closed. The half-assembled packet, if any, is dropped first,
/// so the decoder is idle again (as after [`PacketDecoder::reset`]).
///
/// Limits ([`SocketConfig`]) are checked before anything is kept: the
/// attachment count from the text header, each attachment's size and the
/// running total as it arrives.
#[derive(Debug, Default)]
pub struct PacketDecoder {
    config: SocketConfig,
    pending: Option<Pending>,
}

#[derive(Debug)]
struct Pending {
    packet: Packet,
    remaining: usize,
    total_size: usize,
}

impl PacketDecoder {
    /// A decoder with the default limits.
    pub fn new() -> PacketDecoder {
        PacketDecoder::default()
    }

    /// A decoder with the given limits.
    pub fn with_config(config: SocketConfig) -> PacketDecoder {
        PacketDecoder {
            config,
            pending: None,
        }
    }

    /// The limits.
    pub fn config(&self) -> &SocketConfig {
        &self.config
    }

    /// Decodes a text message. Returns the packet, or `None` if it is a
    /// binary packet now awaiting its attachments.
    ///
    /// The namespace and payload share `text`'s bytes; the payload is
    /// validated here, in one pass, and not parsed again until asked for
    /// typed data.
    ///
    /// # Errors
    ///
    /// [`Error::UnexpectedText`] if attachments are pending;
    /// [`Error::PacketTooLarge`]; and for a malformed packet
    /// [`Error::EmptyPacket`], [`Error::UnknownPacketType`],
    /// [`Error::InvalidAttachmentCount`], [`Error::UnexpectedAttachmentCount`],
    /// [`Error::TooManyAttachments`], [`Error::InvalidAckId`],
    /// [`Error::UnexpectedAckId`], [`Error::MissingAckId`],
    /// [`Error::InvalidPayload`], [`Error::ReservedEventName`],
    /// [`Error::InvalidJson`] or [`Error::IllegalPlaceholder`].
    #[inline]
    pub fn decode_text(&mut self, text: Utf8Bytes) -> Result<Option<Packet>, Error> {
        if let Some(pending) = self.pending.take() {
            return Err(Error::UnexpectedText {
                pending: pending.remaining,
            });
        }
        let max = self.config.max_packet_size;
        if text.len() > max {
            return Err(Error::PacketTooLarge {
                size: text.len(),
                max,
            });
        }
        let (packet, attachments) = Packet::parse(&text, self.config.max_attachments)?;
        if attachments == 0 {
            return Ok(Some(packet));
        }
        self.pending = Some(Pending {
            packet,
            remaining: attachments,
            total_size: 0,
        });
        Ok(None)
    }

    /// Decodes a binary message: the next attachment of the pending binary
    /// packet. Returns the packet once this was its last attachment.
    ///
    /// # Errors
    ///
    /// [`Error::UnexpectedBinary`] if no attachment is pending;
    /// [`Error::AttachmentTooLarge`]; [`Error::AttachmentsTooLarge`].
    pub fn decode_binary(&mut self, data: Bytes) -> Result<Option<Packet>, Error> {
        let mut pending = self.pending.take().ok_or(Error::UnexpectedBinary)?;
        let max = self.config.max_attachment_size;
        if data.len() > max {
            return Err(Error::AttachmentTooLarge {
                size: data.len(),
                max,
            });
        }
        let total = pending.total_size.saturating_add(data.len());
        let max = self.config.max_total_attachment_size;
        if total > max {
            return Err(Error::AttachmentsTooLarge { size: total, max });
        }
        pending.packet.push_attachment(data);
        pending.total_size = total;
        pending.remaining = pending.remaining.saturating_sub(1);
        if pending.remaining == 0 {
            return Ok(Some(pending.packet));
        }
        self.pending = Some(pending);
        Ok(None)
    }

    /// How many attachments the pending binary packet still awaits (0 when
    /// idle).
    pub fn attachments_pending(&self) -> usize {
        self.pending.as_ref().map_or(0, |p| p.remaining)
    }

    /// Drops a half-assembled binary packet, if any.
    pub fn reset(&mut self) {
        self.pending = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assembles_binary_packets() {
        let mut decoder = PacketDecoder::new();
        let text = r#"52-["up",{"_placeholder":true,"num":1},{"_placeholder":true,"num":0}]"#;
        assert!(decoder.decode_text(text.into()).expect("header").is_none());
        assert_eq!(decoder.attachments_pending(), 2);
        assert!(decoder
            .decode_binary(Bytes::from_static(b"a"))
            .expect("first")
            .is_none());
        let packet = decoder
            .decode_binary(Bytes::from_static(b"b"))
            .expect("second")
            .expect("complete");
        assert_eq!(decoder.attachments_pending(), 0);
        let (x, y): (Bytes, Bytes) = packet.args().expect("args");
        assert_eq!((&x[..], &y[..]), (&b"b"[..], &b"a"[..]));
        assert_eq!(packet.encode_text(), text);
    }

    #[test]
    fn out_of_order_messages() {
        let mut decoder = PacketDecoder::new();
        assert!(matches!(
            decoder.decode_binary(Bytes::new()),
            Err(Error::UnexpectedBinary)
        ));
        decoder
            .decode_text(r#"51-["x",{"_placeholder":true,"num":0}]"#.into())
            .expect("header");
        assert!(matches!(
            decoder.decode_text(r#"2["x"]"#.into()),
            Err(Error::UnexpectedText { pending: 1 })
        ));
        // The half packet was dropped.
        assert_eq!(decoder.attachments_pending(), 0);
        assert!(decoder
            .decode_text(r#"2["x"]"#.into())
            .expect("ok")
            .is_some());
    }

    #[test]
    fn limits() {
        let config = SocketConfig::default()
            .with_max_attachments(2)
            .with_max_packet_size(80)
            .with_max_attachment_size(4)
            .with_max_total_attachment_size(6);
        let mut decoder = PacketDecoder::with_config(config);
        assert!(matches!(
            decoder.decode_text(r#"53-["x"]"#.into()),
            Err(Error::TooManyAttachments { count: 3, max: 2 })
        ));
        let long = format!(r#"2["{}"]"#, "x".repeat(76));
        assert!(matches!(
            decoder.decode_text(long.into()),
            Err(Error::PacketTooLarge { size: 81, max: 80 })
        ));
        let two = r#"52-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
        decoder.decode_text(two.into()).expect("header");
        assert!(matches!(
            decoder.decode_binary(Bytes::from_static(b"12345")),
            Err(Error::AttachmentTooLarge { size: 5, max: 4 })
        ));
        assert_eq!(decoder.attachments_pending(), 0);
        decoder.decode_text(two.into()).expect("header");
        decoder
            .decode_binary(Bytes::from_static(b"1234"))
            .expect("first");
        assert!(matches!(
            decoder.decode_binary(Bytes::from_static(b"123")),
            Err(Error::AttachmentsTooLarge { size: 7, max: 6 })
        ));
        decoder.decode_text(two.into()).expect("header");
        decoder.reset();
        assert_eq!(decoder.attachments_pending(), 0);
        let none = PacketDecoder::with_config(SocketConfig::default().with_max_attachments(0))
            .decode_text(r#"51-["x",{"_placeholder":true,"num":0}]"#.into());
        assert!(matches!(
            none,
            Err(Error::TooManyAttachments { count: 1, max: 0 })
        ));
    }
}
