//! socketioxide as the peer of `tether-socketio`: drivers that run
//! socketioxide's default packet parser (`socketioxide-parser-common`'s
//! [`CommonParser`], on the types of `socketioxide-core`) and
//! `engineioxide-core`'s long-polling payload decoder and encoder on given
//! inputs, each returning something a benchmark can `black_box`.
//!
//! What socketioxide's decode does and does not do (read from its source,
//! parser-common 0.17.3 / core 0.20.0):
//!
//! * [`Parse::decode_str`] parses only the header: type digit, attachment
//!   count (`5`/`6`), namespace (up to `,`), ack id (digits up to `[` or
//!   `{`). The payload is kept as a [`Str`] sub-slice of the input (a
//!   `Bytes` slice, no copy) and is **not** parsed or validated as JSON:
//!   `42[not json` decodes fine. The event name is not read either.
//! * [`Parse::read_event`] (what the server calls to route an event) parses
//!   the first array element as a *borrowed* `&str` and skips the rest with
//!   `IgnoredAny`, so it checks the JSON syntax of the array but not what
//!   follows its closing bracket. An event name containing a JSON escape
//!   fails there (a borrowed `&str` cannot be unescaped).
//! * [`Parse::decode_value`] runs `serde_json` over the payload when a
//!   handler asks for typed data: lazy, once per extraction, and with
//!   `with_event = true` it skips the event name. A non-tuple `T` takes the
//!   first argument only; a tuple takes them all.
//! * Binary attachments: `decode_str` on a `5`/`6` header stores the packet in
//!   the [`ParserState`] and returns [`ParseError::NeedsMoreBinaryData`];
//!   every [`Parse::decode_bin`] **copies** its attachment
//!   (`Bytes::copy_from_slice`) and the last one returns the packet.
//!   Placeholders are then filled in order of appearance (the `num` field is
//!   read but not used as an index).
//! * Encoding: [`Parse::encode_value`] serializes `[event, ...args]` with
//!   `serde_json`, replacing every `serialize_bytes` with a placeholder and
//!   **copying** the bytes into the attachment list; [`Parse::encode`] then
//!   copies the JSON again into a new buffer behind the header.
//!
//! [`Str`] is engineioxide's UTF-8 `Bytes` wrapper. In a real server the
//! engine.io layer hands the parser a `Str` that already owns the received
//! message, so [`decode_text_str`] (refcount bump) is the faithful driver;
//! [`decode_text`] adds one copy of the input to get there from a `&str`.

use std::collections::VecDeque;

use bytes::Bytes;
use engineioxide_core::{payload, Packet as EioPacket, PacketBuf, ProtocolVersion};
use futures::StreamExt as _;
use http_body_util::Full;
use serde::{Deserialize, Serialize};
use socketioxide_core::packet::{Packet, PacketData};
use socketioxide_core::parser::{Parse, ParseConfig, ParseError, ParserState};
use socketioxide_core::{Str, Value};
use socketioxide_parser_common::CommonParser;

/// The small typed argument: `["msg", {"name":..,"id":..,"tags":[..],"score":..}]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Small {
    /// A short string.
    pub name: String,
    /// An integer.
    pub id: u64,
    /// A few short strings.
    pub tags: Vec<String>,
    /// A float.
    pub score: f64,
}

/// The binary argument of the `file` event: `{"name": "x", "data": <bytes>}`.
///
/// `data` is serialized by `serialize_bytes` (the `serde` feature of
/// `bytes`), which is what makes socketioxide emit a placeholder and an
/// attachment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct File {
    /// The file name.
    pub name: String,
    /// The attachment.
    pub data: Bytes,
}

#[derive(Serialize)]
struct FileRef<'a> {
    name: &'a str,
    data: &'a Bytes,
}

/// Decodes one text packet (no attachments) from a `&str`: one copy of the
/// input into a [`Str`], then [`decode_text_str`].
pub fn decode_text(input: &str) -> Packet {
    decode_text_str(Str::copy_from_slice(input))
}

/// Decodes one text packet (no attachments) from a [`Str`] the caller already
/// owns, as the engine.io layer hands it to socketioxide (no copy).
pub fn decode_text_str(input: Str) -> Packet {
    // A fresh state per packet costs nothing (a `Mutex` and an atomic, no
    // allocation); the server keeps one per socket.
    let state = ParserState::default();
    CommonParser
        .decode_str(&ParseConfig::default(), &state, input)
        .expect("socketioxide: decode_str")
}

/// [`decode_text`] plus [`Parse::read_event`], which is what the socketioxide
/// server does before it picks a handler: the header is parsed and the
/// payload array is scanned (event name borrowed, the rest skipped).
pub fn decode_text_routed(input: &str) -> (Packet, usize) {
    let packet = decode_text(input);
    let event_len = CommonParser
        .read_event(payload_value(&packet))
        .expect("socketioxide: read_event")
        .len();
    (packet, event_len)
}

/// [`decode_text_routed`] from a [`Str`] the caller owns (no copy).
pub fn decode_text_routed_str(input: Str) -> (Packet, usize) {
    let packet = decode_text_str(input);
    let event_len = CommonParser
        .read_event(payload_value(&packet))
        .expect("socketioxide: read_event")
        .len();
    (packet, event_len)
}

/// [`decode_args_small`] from a [`Str`] the caller owns (no copy).
pub fn decode_args_small_str(input: Str) -> Small {
    let mut packet = decode_text_str(input);
    CommonParser
        .decode_value(payload_value_mut(&mut packet), true)
        .expect("socketioxide: decode_value::<Small>")
}

/// Decodes a binary event: its header (`5<n>-...`) as text, then the `n`
/// attachments one by one, as engine.io delivers them.
pub fn decode_binary(header: &str, attachments: &[Bytes]) -> Packet {
    let state = ParserState::default();
    let config = ParseConfig::default();
    match CommonParser.decode_str(&config, &state, Str::copy_from_slice(header)) {
        Ok(packet) => {
            assert!(attachments.is_empty(), "header announced no attachments");
            return packet;
        }
        Err(ParseError::NeedsMoreBinaryData) => {}
        Err(e) => panic!("socketioxide: decode_str: {e}"),
    }
    for (i, bin) in attachments.iter().enumerate() {
        match CommonParser.decode_bin(&config, &state, bin.clone()) {
            Ok(packet) => {
                assert_eq!(i + 1, attachments.len(), "attachments left over");
                return packet;
            }
            Err(ParseError::NeedsMoreBinaryData) => {}
            Err(e) => panic!("socketioxide: decode_bin: {e}"),
        }
    }
    panic!("socketioxide: binary packet still incomplete after all attachments");
}

/// [`decode_binary`] then [`Parse::decode_value`] into [`File`]: the
/// placeholder is replaced by the attachment (moved, not copied again).
pub fn decode_binary_file(header: &str, attachments: &[Bytes]) -> File {
    let mut packet = decode_binary(header, attachments);
    CommonParser
        .decode_value(payload_value_mut(&mut packet), true)
        .expect("socketioxide: decode_value::<File>")
}

/// Decodes an event packet and deserializes its first argument into
/// [`Small`] (the event name is skipped by `with_event = true`).
pub fn decode_args_small(input: &str) -> Small {
    let mut packet = decode_text(input);
    CommonParser
        .decode_value(payload_value_mut(&mut packet), true)
        .expect("socketioxide: decode_value::<Small>")
}

/// Encodes the event `["msg", small]` on `/` without ack id.
///
/// Returns [`Value::Str`] holding the whole socket.io packet text
/// (`2["msg",{...}]`) and no attachments.
pub fn encode_small(small: &Small) -> Value {
    let value = CommonParser
        .encode_value(small, Some("msg"))
        .expect("socketioxide: encode_value");
    CommonParser.encode(Packet::event("/", value))
}

/// Encodes the event `["file", {"name":"x","data": <payload>}]` on `/`.
///
/// Returns [`Value::Str`] with the header
/// `51-["file",{"name":"x","data":{"_placeholder":true,"num":0}}]` and one
/// attachment, a copy of `payload`.
pub fn encode_binary(payload: &Bytes) -> Value {
    let file = FileRef {
        name: "x",
        data: payload,
    };
    let value = CommonParser
        .encode_value(&file, Some("file"))
        .expect("socketioxide: encode_value");
    CommonParser.encode(Packet::event("/", value))
}

/// The engine.io framing engineioxide puts on an encoded socket.io text
/// packet before it goes out as a WebSocket text message: `4` + packet (a
/// new `String`).
pub fn engineio_message(packet: &Value) -> Bytes {
    let text = packet.as_str().expect("text packet").clone();
    Bytes::from(EioPacket::Message(text))
}

/// Builds an engine.io v4 long-polling body: every socket.io packet as an
/// engine.io message (`4` + packet), separated by 0x1E.
pub fn payload_of<S: AsRef<str>>(packets: &[S]) -> Bytes {
    let mut body = Vec::new();
    for (i, p) in packets.iter().enumerate() {
        if i > 0 {
            body.push(0x1e);
        }
        body.push(b'4');
        body.extend_from_slice(p.as_ref().as_bytes());
    }
    Bytes::from(body)
}

/// Decodes a long-polling payload (engine.io v4, packets separated by 0x1E)
/// with `engineioxide_core::payload::decoder`, the decoder engineioxide's
/// polling transport uses, then every engine.io message with socketioxide's
/// parser. Returns the socket.io packets.
///
/// The payload decoder copies every packet out of the body into a new
/// `Vec<u8>` and validates it as UTF-8 (`String::from_utf8`) before
/// `Packet::parse` slices off the engine.io type byte.
pub fn decode_payload(body: &Bytes) -> Vec<Packet> {
    let stream = payload::decoder(Full::new(body.clone()), None, ProtocolVersion::V4, u64::MAX);
    let state = ParserState::default();
    let config = ParseConfig::default();
    crate::block_on(async {
        let mut stream = std::pin::pin!(stream);
        let mut out = Vec::new();
        while let Some(packet) = stream.next().await {
            match packet.expect("engineioxide: payload decoder") {
                EioPacket::Message(text) => out.push(
                    CommonParser
                        .decode_str(&config, &state, text)
                        .expect("socketioxide: decode_str"),
                ),
                other => panic!("unexpected engine.io packet {other:?}"),
            }
        }
        out
    })
}

/// [`decode_payload`] and [`Parse::read_event`] on every packet, as the
/// server routes them: returns how many packets, and the total length of
/// their event names.
pub fn decode_payload_routed(body: &Bytes) -> (usize, usize) {
    let packets = decode_payload(body);
    let names = packets
        .iter()
        .map(|p| {
            CommonParser
                .read_event(payload_value(p))
                .expect("socketioxide: read_event")
                .len()
        })
        .sum();
    (packets.len(), names)
}

/// Encodes socket.io packets (already encoded as text, e.g. by
/// [`encode_small`]) into one long-polling payload with
/// `engineioxide_core::payload::encoder`: each becomes an engine.io message,
/// joined by 0x1E.
pub fn encode_payload(packets: &[Value]) -> Bytes {
    let bufs: Vec<PacketBuf> = packets
        .iter()
        .map(|p| {
            let mut buf = PacketBuf::new();
            buf.push(EioPacket::Message(p.as_str().expect("text packet").clone()));
            buf
        })
        .collect();
    let rx = futures::stream::iter(bufs);
    crate::block_on(payload::encoder(rx, ProtocolVersion::V4, false, u64::MAX)).data
}

/// The payload [`Value`] of an event or ack packet.
fn payload_value(packet: &Packet) -> &Value {
    match &packet.inner {
        PacketData::Event(v, _)
        | PacketData::EventAck(v, _)
        | PacketData::BinaryEvent(v, _)
        | PacketData::BinaryAck(v, _) => v,
        other => panic!("not an event or ack: {other:?}"),
    }
}

fn payload_value_mut(packet: &mut Packet) -> &mut Value {
    match &mut packet.inner {
        PacketData::Event(v, _)
        | PacketData::EventAck(v, _)
        | PacketData::BinaryEvent(v, _)
        | PacketData::BinaryAck(v, _) => v,
        other => panic!("not an event or ack: {other:?}"),
    }
}

/// The text and the attachments of an encoded [`Value`].
pub fn parts(value: &Value) -> (&str, Option<&VecDeque<Bytes>>) {
    match value {
        Value::Str(s, bins) => (s.as_str(), bins.as_ref()),
        Value::Bytes(_) => panic!("the common parser only produces text"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"42["msg",{"name":"alice","id":7,"tags":["a","b"],"score":1.5}]"#;

    fn small() -> Small {
        Small {
            name: "alice".into(),
            id: 7,
            tags: vec!["a".into(), "b".into()],
            score: 1.5,
        }
    }

    #[test]
    fn text_decode_keeps_the_payload_unparsed() {
        let p = decode_text(r#"2/admin,12["event",{"a":1}]"#);
        assert_eq!(p.ns, "/admin");
        match &p.inner {
            PacketData::Event(Value::Str(s, None), Some(12)) => {
                assert_eq!(s.as_str(), r#"["event",{"a":1}]"#)
            }
            other => panic!("{other:?}"),
        }
        // No JSON validation in decode_str ...
        let p = decode_text("2[not json");
        assert!(matches!(p.inner, PacketData::Event(_, None)));
        // ... only read_event looks at it.
        assert!(CommonParser.read_event(payload_value(&p)).is_err());
        assert_eq!(decode_text_routed(r#"2["event",1]"#).1, 5);
        // A borrowed event name cannot hold an escape.
        let p = decode_text(r#"2["ev\"x",1]"#);
        assert!(CommonParser.read_event(payload_value(&p)).is_err());
    }

    #[test]
    fn typed_args_round_trip() {
        // The engine.io `4` is not part of the socket.io packet.
        assert_eq!(decode_args_small(&SMALL[1..]), small());
        let encoded = encode_small(&small());
        let (text, bins) = parts(&encoded);
        assert_eq!(text, &SMALL[1..]);
        assert!(bins.is_none());
        assert_eq!(
            &engineio_message(&encode_small(&small()))[..],
            SMALL.as_bytes()
        );
    }

    #[test]
    fn binary_round_trip() {
        let data = Bytes::from(vec![0xab; 64 * 1024]);
        let encoded = encode_binary(&data);
        let (header, bins) = parts(&encoded);
        assert_eq!(
            header,
            r#"51-["file",{"name":"x","data":{"_placeholder":true,"num":0}}]"#
        );
        let bins: Vec<Bytes> = bins.unwrap().iter().cloned().collect();
        assert_eq!(bins, vec![data.clone()]);
        let p = decode_binary(header, &bins);
        assert!(matches!(p.inner, PacketData::BinaryEvent(_, None)));
        let f = decode_binary_file(header, &bins);
        assert_eq!(f.name, "x");
        assert_eq!(f.data, data);
    }

    #[test]
    fn payload_round_trip() {
        let packets: Vec<String> = (0..100)
            .map(|i| format!(r#"2["msg",{{"i":{i}}}]"#))
            .collect();
        let body = payload_of(&packets);
        let decoded = decode_payload(&body);
        assert_eq!(decoded.len(), 100);
        let values: Vec<Value> = decoded
            .into_iter()
            .map(|p| match p.inner {
                PacketData::Event(v, None) => {
                    let text = format!("2{}", v.as_str().unwrap().as_str());
                    Value::Str(Str::from(text), None)
                }
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(encode_payload(&values), body);
    }
}
