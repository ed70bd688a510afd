//! Engine.IO v4 packets: one packet per WebSocket message, or one segment of
//! a long-polling payload.

use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig};
use base64::engine::DecodePaddingMode;
use base64::Engine as _;
use bytes::{BufMut, Bytes, BytesMut};
use serde::{Deserialize, Serialize};
use tether_message::Utf8Bytes;

use crate::Error;

/// Standard base64 alphabet; padding written, and accepted present or absent
/// (the reference parser decodes with `Buffer.from(.., "base64")`, which does
/// not insist on it).
const BASE64: GeneralPurpose = GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_encode_padding(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// The seven Engine.IO packet types, with their wire digit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum PacketType {
    /// `0`: the server's handshake, first packet of a session.
    Open,
    /// `1`: close the transport.
    Close,
    /// `2`: heartbeat request (the server sends it in v4), or `2probe` during
    /// an upgrade.
    Ping,
    /// `3`: heartbeat reply, or `3probe` during an upgrade.
    Pong,
    /// `4`: application data (text; binary travels as raw bytes or `b`).
    Message,
    /// `5`: completes the upgrade to the new transport.
    Upgrade,
    /// `6`: flushes a pending long-polling request during an upgrade.
    Noop,
}

impl PacketType {
    /// The wire digit, `b'0'`..=`b'6'`.
    pub const fn as_byte(self) -> u8 {
        match self {
            PacketType::Open => b'0',
            PacketType::Close => b'1',
            PacketType::Ping => b'2',
            PacketType::Pong => b'3',
            PacketType::Message => b'4',
            PacketType::Upgrade => b'5',
            PacketType::Noop => b'6',
        }
    }

    /// The type of a wire digit, if it is one.
    pub const fn from_byte(byte: u8) -> Option<PacketType> {
        Some(match byte {
            b'0' => PacketType::Open,
            b'1' => PacketType::Close,
            b'2' => PacketType::Ping,
            b'3' => PacketType::Pong,
            b'4' => PacketType::Message,
            b'5' => PacketType::Upgrade,
            b'6' => PacketType::Noop,
            _ => return None,
        })
    }
}

/// The handshake the server sends in its open packet
/// (`0{"sid":..,"upgrades":[..],"pingInterval":..,"pingTimeout":..,"maxPayload":..}`).
///
/// Decoding accepts the keys in any order and ignores unknown ones, so a
/// newer server's extra fields do not break a client; encoding writes them
/// in the order of the protocol document. Times are in milliseconds.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct OpenPacket {
    /// The session id.
    pub sid: String,
    /// The transports the client may upgrade to (`["websocket"]` over
    /// long-polling, `[]` over WebSocket). An early v4 example omits the
    /// key; it then reads as `[]`.
    #[serde(default)]
    pub upgrades: Vec<String>,
    /// How often the server pings, in milliseconds.
    pub ping_interval: u64,
    /// How long the server waits for a pong, in milliseconds.
    pub ping_timeout: u64,
    /// The largest payload (long-polling body or WebSocket message) the
    /// server accepts, in bytes. Servers before Engine.IO 6 omit it; it then
    /// reads as the reference default, 1,000,000.
    #[serde(default = "default_max_payload")]
    pub max_payload: u64,
}

fn default_max_payload() -> u64 {
    1_000_000
}

impl OpenPacket {
    /// A handshake for session `sid` with the reference server's defaults:
    /// upgrades `["websocket"]`, pingInterval 25 s, pingTimeout 20 s,
    /// maxPayload 1,000,000 bytes.
    pub fn new(sid: impl Into<String>) -> OpenPacket {
        OpenPacket {
            sid: sid.into(),
            upgrades: vec!["websocket".to_owned()],
            ping_interval: 25_000,
            ping_timeout: 20_000,
            max_payload: default_max_payload(),
        }
    }

    /// Sets the transports offered for an upgrade.
    pub fn with_upgrades<I, S>(mut self, upgrades: I) -> OpenPacket
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.upgrades = upgrades.into_iter().map(Into::into).collect();
        self
    }

    /// Sets pingInterval and pingTimeout, in milliseconds.
    pub fn with_heartbeat(mut self, ping_interval: u64, ping_timeout: u64) -> OpenPacket {
        self.ping_interval = ping_interval;
        self.ping_timeout = ping_timeout;
        self
    }

    /// Sets maxPayload, in bytes.
    pub fn with_max_payload(mut self, max_payload: u64) -> OpenPacket {
        self.max_payload = max_payload;
        self
    }
}

/// One Engine.IO v4 packet.
///
/// Over WebSocket each packet is one message: a text message holds the type
/// digit and the data, a binary message is a [`EnginePacket::Binary`]
/// message packet as raw bytes. In a long-polling payload, packets are
/// separated by the record separator `0x1E` and binary data is written `b`
/// followed by its base64 (see [`crate::payload`]).
///
/// | packet | wire (text) |
/// |---|---|
/// | `Open(handshake)` | `0{"sid":"..",..}` |
/// | `Close` | `1` |
/// | `Ping(data)` | `2`, `2probe` |
/// | `Pong(data)` | `3`, `3probe` |
/// | `Message(text)` | `4hello` |
/// | `Binary(bytes)` | raw bytes over WebSocket; `bAQID` in a payload |
/// | `Upgrade` | `5` |
/// | `Noop` | `6` |
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EnginePacket {
    /// The server's handshake.
    Open(OpenPacket),
    /// Close the transport.
    Close,
    /// A ping with its data: empty for a heartbeat, `probe` during an upgrade.
    Ping(Utf8Bytes),
    /// A pong with its data: empty for a heartbeat, `probe` during an upgrade.
    Pong(Utf8Bytes),
    /// A text message.
    Message(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
    /// The upgrade is complete.
    Upgrade,
    /// No operation.
    Noop,
}

impl EnginePacket {
    /// The `probe` data of `2probe` / `3probe`.
    pub const PROBE: &'static str = "probe";

    /// A heartbeat ping, `2`.
    pub fn ping() -> EnginePacket {
        EnginePacket::Ping(Utf8Bytes::new())
    }

    /// A heartbeat pong, `3`.
    pub fn pong() -> EnginePacket {
        EnginePacket::Pong(Utf8Bytes::new())
    }

    /// The upgrade probe a client sends over the new transport, `2probe`.
    pub fn ping_probe() -> EnginePacket {
        EnginePacket::Ping(Utf8Bytes::from_static(Self::PROBE))
    }

    /// The server's answer to the probe, `3probe`.
    pub fn pong_probe() -> EnginePacket {
        EnginePacket::Pong(Utf8Bytes::from_static(Self::PROBE))
    }

    /// A text message packet.
    pub fn message(text: impl Into<Utf8Bytes>) -> EnginePacket {
        EnginePacket::Message(text.into())
    }

    /// A binary message packet.
    pub fn binary(data: impl Into<Bytes>) -> EnginePacket {
        EnginePacket::Binary(data.into())
    }

    /// Whether this is `2probe` or `3probe`.
    pub fn is_probe(&self) -> bool {
        matches!(self, EnginePacket::Ping(d) | EnginePacket::Pong(d) if d == Self::PROBE)
    }

    /// The packet's type (`Binary` is a [`PacketType::Message`]).
    pub fn packet_type(&self) -> PacketType {
        match self {
            EnginePacket::Open(_) => PacketType::Open,
            EnginePacket::Close => PacketType::Close,
            EnginePacket::Ping(_) => PacketType::Ping,
            EnginePacket::Pong(_) => PacketType::Pong,
            EnginePacket::Message(_) | EnginePacket::Binary(_) => PacketType::Message,
            EnginePacket::Upgrade => PacketType::Upgrade,
            EnginePacket::Noop => PacketType::Noop,
        }
    }

    /// Decodes one packet from its text form: a WebSocket text message, or
    /// one segment of a long-polling payload. `b` followed by base64 is a
    /// binary message (the reference parser accepts it on either transport).
    ///
    /// Data is shared with `text`, not copied.
    ///
    /// # Errors
    ///
    /// [`Error::EmptyPacket`], [`Error::UnknownPacketType`],
    /// [`Error::UnexpectedData`] (close, upgrade and noop carry none),
    /// [`Error::InvalidOpen`] and [`Error::InvalidBase64`].
    pub fn decode_text(text: Utf8Bytes) -> Result<EnginePacket, Error> {
        let Some(&first) = text.as_bytes().first() else {
            return Err(Error::EmptyPacket);
        };
        let data = || text.slice(1..text.len()).unwrap_or_default();
        if first == b'b' {
            return decode_base64(text.as_bytes().get(1..).unwrap_or_default())
                .map(EnginePacket::Binary);
        }
        let Some(packet_type) = PacketType::from_byte(first) else {
            return Err(Error::UnknownPacketType { byte: first });
        };
        let rest = text.len() - 1;
        let no_data = |packet: EnginePacket| {
            if rest == 0 {
                Ok(packet)
            } else {
                Err(Error::UnexpectedData {
                    packet_type: first - b'0',
                    len: rest,
                })
            }
        };
        match packet_type {
            PacketType::Open => {
                let json = text.as_str().get(1..).unwrap_or_default();
                serde_json::from_str(json)
                    .map(EnginePacket::Open)
                    .map_err(|e| Error::InvalidOpen {
                        line: e.line(),
                        column: e.column(),
                    })
            }
            PacketType::Close => no_data(EnginePacket::Close),
            PacketType::Ping => Ok(EnginePacket::Ping(data())),
            PacketType::Pong => Ok(EnginePacket::Pong(data())),
            PacketType::Message => Ok(EnginePacket::Message(data())),
            PacketType::Upgrade => no_data(EnginePacket::Upgrade),
            PacketType::Noop => no_data(EnginePacket::Noop),
        }
    }

    /// The packet as one WebSocket message: text, or raw binary for
    /// [`EnginePacket::Binary`] (Engine.IO v4 sends binary unprefixed).
    ///
    /// # Errors
    ///
    /// [`Error::Unencodable`] if an open packet's handshake does not
    /// serialize (it always does for the fields of [`OpenPacket`]).
    pub fn to_message_data(&self) -> Result<MessageData, Error> {
        match self {
            EnginePacket::Binary(data) => Ok(MessageData::Binary(data.clone())),
            EnginePacket::Close => Ok(MessageData::Text(Utf8Bytes::from_static("1"))),
            EnginePacket::Upgrade => Ok(MessageData::Text(Utf8Bytes::from_static("5"))),
            EnginePacket::Noop => Ok(MessageData::Text(Utf8Bytes::from_static("6"))),
            EnginePacket::Ping(d) if d.is_empty() => {
                Ok(MessageData::Text(Utf8Bytes::from_static("2")))
            }
            EnginePacket::Pong(d) if d.is_empty() => {
                Ok(MessageData::Text(Utf8Bytes::from_static("3")))
            }
            EnginePacket::Open(open) => {
                let json = serde_json::to_string(open).map_err(|_| Error::Unencodable {
                    reason: "open handshake does not serialize",
                })?;
                Ok(MessageData::Text(Utf8Bytes::from(prefixed('0', &json))))
            }
            // Built as a `String` from a type digit and text already known to
            // be UTF-8: no second validation.
            EnginePacket::Ping(d) => Ok(MessageData::Text(Utf8Bytes::from(prefixed('2', d)))),
            EnginePacket::Pong(d) => Ok(MessageData::Text(Utf8Bytes::from(prefixed('3', d)))),
            EnginePacket::Message(d) => Ok(MessageData::Text(Utf8Bytes::from(prefixed('4', d)))),
        }
    }

    /// Appends the packet's text form to `dst`: the type digit and its
    /// data, with binary written `b` + base64 (the long-polling form).
    ///
    /// # Errors
    ///
    /// [`Error::Unencodable`] if an open packet's handshake does not
    /// serialize.
    pub fn write_text(&self, dst: &mut BytesMut) -> Result<(), Error> {
        match self {
            EnginePacket::Open(open) => {
                dst.put_u8(b'0');
                serde_json::to_writer(dst.writer(), open).map_err(|_| Error::Unencodable {
                    reason: "open handshake does not serialize",
                })?;
            }
            EnginePacket::Close => dst.put_u8(b'1'),
            EnginePacket::Ping(data) => {
                dst.put_u8(b'2');
                dst.extend_from_slice(data.as_bytes());
            }
            EnginePacket::Pong(data) => {
                dst.put_u8(b'3');
                dst.extend_from_slice(data.as_bytes());
            }
            EnginePacket::Message(text) => {
                dst.put_u8(b'4');
                dst.extend_from_slice(text.as_bytes());
            }
            EnginePacket::Binary(data) => {
                dst.put_u8(b'b');
                let start = dst.len();
                let len = base64::encoded_len(data.len(), true).ok_or(Error::Unencodable {
                    reason: "binary packet too large for base64",
                })?;
                dst.resize(start + len, 0);
                let written = BASE64
                    .encode_slice(data, dst.get_mut(start..).unwrap_or_default())
                    .map_err(|_| Error::Unencodable {
                        reason: "base64 length mismatch",
                    })?;
                dst.truncate(start + written);
            }
            EnginePacket::Upgrade => dst.put_u8(b'5'),
            EnginePacket::Noop => dst.put_u8(b'6'),
        }
        Ok(())
    }

    /// A cheap upper-bound guess of the text form's length (exact except for
    /// the open packet).
    pub(crate) fn text_len_hint(&self) -> usize {
        1 + match self {
            EnginePacket::Open(open) => 96 + open.sid.len(),
            EnginePacket::Ping(d) | EnginePacket::Pong(d) | EnginePacket::Message(d) => d.len(),
            EnginePacket::Binary(b) => b.len().div_ceil(3) * 4,
            EnginePacket::Close | EnginePacket::Upgrade | EnginePacket::Noop => 0,
        }
    }
}

/// The content of one WebSocket data message, as Engine.IO sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageData {
    /// A text message.
    Text(Utf8Bytes),
    /// A binary message.
    Binary(Bytes),
}

impl MessageData {
    /// Decodes the Engine.IO packet this message carries.
    ///
    /// # Errors
    ///
    /// As [`EnginePacket::decode_text`] for text; binary never fails.
    pub fn decode(self) -> Result<EnginePacket, Error> {
        match self {
            MessageData::Text(text) => EnginePacket::decode_text(text),
            MessageData::Binary(data) => Ok(EnginePacket::Binary(data)),
        }
    }
}

impl From<Utf8Bytes> for MessageData {
    fn from(text: Utf8Bytes) -> MessageData {
        MessageData::Text(text)
    }
}

impl From<String> for MessageData {
    fn from(text: String) -> MessageData {
        MessageData::Text(text.into())
    }
}

impl From<&'static str> for MessageData {
    fn from(text: &'static str) -> MessageData {
        MessageData::Text(Utf8Bytes::from_static(text))
    }
}

impl From<Bytes> for MessageData {
    fn from(data: Bytes) -> MessageData {
        MessageData::Binary(data)
    }
}

impl From<Vec<u8>> for MessageData {
    fn from(data: Vec<u8>) -> MessageData {
        MessageData::Binary(data.into())
    }
}

/// `digit` followed by `text`, in one allocation of the exact size.
fn prefixed(digit: char, text: &str) -> String {
    let mut s = String::with_capacity(1 + text.len());
    s.push(digit);
    s.push_str(text);
    s
}

fn decode_base64(text: &[u8]) -> Result<Bytes, Error> {
    let mut out = vec![0; base64::decoded_len_estimate(text.len())];
    match BASE64.decode_slice(text, &mut out) {
        Ok(n) => {
            out.truncate(n);
            Ok(Bytes::from(out))
        }
        Err(base64::DecodeSliceError::DecodeError(e)) => Err(Error::InvalidBase64 {
            offset: match e {
                base64::DecodeError::InvalidByte(offset, _)
                | base64::DecodeError::InvalidLastSymbol(offset, _) => offset,
                base64::DecodeError::InvalidLength(len) => len,
                base64::DecodeError::InvalidPadding => text.len(),
            },
        }),
        Err(base64::DecodeSliceError::OutputSliceTooSmall) => {
            Err(Error::InvalidBase64 { offset: text.len() })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Result<EnginePacket, Error> {
        EnginePacket::decode_text(Utf8Bytes::from(s))
    }

    fn wire(p: &EnginePacket) -> String {
        let mut b = BytesMut::new();
        p.write_text(&mut b).expect("encodes");
        String::from_utf8(b.to_vec()).expect("utf8")
    }

    #[test]
    fn every_type_round_trips() {
        for s in [
            "1",
            "2",
            "3",
            "2probe",
            "3probe",
            "4",
            "4hello",
            "4€",
            "5",
            "6",
            "bAQIDBA==",
        ] {
            let p = text(s).expect(s);
            assert_eq!(wire(&p), s);
        }
        assert_eq!(
            text("bAQIDBA==").expect("b64"),
            EnginePacket::binary(vec![1, 2, 3, 4])
        );
        assert!(text("2probe").expect("probe").is_probe());
        assert!(!text("2").expect("ping").is_probe());
    }

    #[test]
    fn open_packet_typed_and_in_document_order() {
        let s = r#"0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],"pingInterval":25000,"pingTimeout":5000,"maxPayload":1000000}"#;
        let EnginePacket::Open(open) = text(s).expect("open") else {
            panic!("not open")
        };
        assert_eq!(open.sid, "lv_VI97HAXpY6yYWAAAC");
        assert_eq!(open.ping_timeout, 5000);
        assert_eq!(wire(&EnginePacket::Open(open)), s);
        // Any key order, unknown keys ignored, maxPayload defaulted.
        let p = text(r#"0{"pingTimeout":1,"extra":[1],"upgrades":[],"sid":"x","pingInterval":2}"#)
            .expect("reordered");
        assert_eq!(
            p,
            EnginePacket::Open(
                OpenPacket::new("x")
                    .with_upgrades(Vec::<String>::new())
                    .with_heartbeat(2, 1)
            )
        );
    }

    #[test]
    fn malformed_packets_are_typed_errors() {
        assert!(matches!(text(""), Err(Error::EmptyPacket)));
        assert!(matches!(
            text("7"),
            Err(Error::UnknownPacketType { byte: b'7' })
        ));
        assert!(matches!(
            text("x4"),
            Err(Error::UnknownPacketType { byte: b'x' })
        ));
        assert!(matches!(
            text("1x"),
            Err(Error::UnexpectedData {
                packet_type: 1,
                len: 1
            })
        ));
        assert!(matches!(
            text("5probe"),
            Err(Error::UnexpectedData { packet_type: 5, .. })
        ));
        assert!(matches!(
            text("6 "),
            Err(Error::UnexpectedData { packet_type: 6, .. })
        ));
        assert!(matches!(text("0"), Err(Error::InvalidOpen { .. })));
        assert!(matches!(
            text("0{\"sid\":1}"),
            Err(Error::InvalidOpen { .. })
        ));
        assert!(matches!(text("0[]"), Err(Error::InvalidOpen { .. })));
        assert!(matches!(
            text("b!!!!"),
            Err(Error::InvalidBase64 { offset: 0 })
        ));
        assert!(matches!(text("bAQI"), Ok(EnginePacket::Binary(_))));
        assert!(matches!(text("bAQIDB"), Err(Error::InvalidBase64 { .. })));
        for e in [text("7").expect_err("bad"), text("1x").expect_err("bad")] {
            assert!(e.is_peer_error());
            assert_eq!(e.http_status(), Some(400));
        }
    }

    #[test]
    fn data_is_shared_not_copied() {
        let src = Utf8Bytes::from("4some text");
        let EnginePacket::Message(m) = EnginePacket::decode_text(src.clone()).expect("msg") else {
            panic!("not a message")
        };
        assert_eq!(m.as_ptr(), src.as_str()[1..].as_ptr());
    }

    #[test]
    fn websocket_form() {
        assert_eq!(
            EnginePacket::binary(vec![1]).to_message_data().expect("ok"),
            MessageData::Binary(Bytes::from_static(&[1]))
        );
        assert_eq!(
            EnginePacket::message("hi").to_message_data().expect("ok"),
            MessageData::Text("4hi".into())
        );
        assert_eq!(
            EnginePacket::pong_probe().to_message_data().expect("ok"),
            MessageData::Text("3probe".into())
        );
        assert_eq!(
            MessageData::Text("2".into()).decode().expect("ping"),
            EnginePacket::ping()
        );
    }
}
