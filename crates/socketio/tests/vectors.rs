//! The Socket.IO v5 packets of the protocol document, the reference
//! parser's tests and the server compliance suite (data:
//! `tests/vectors/socketio-v5.json`, provenance in `tests/vectors/README.md`):
//! decoded by [`PacketDecoder`] and compared field by field, re-encoded
//! byte for byte, and decoded through the whole stack
//! `SocketCodec<EngineCodec<MessageCodec>>` from a client's WebSocket
//! frames, whole, at every two-way split and byte by byte.
//!
//! Where the reference decoder is lenient and tether is strict, the vector
//! is named in `STRICTER` with the reason, and must be refused. Every other
//! valid vector decodes exactly as shown; every invalid one is refused with
//! a peer error.

use std::fmt;

use bytes::{Bytes, BytesMut};
use serde::de::{self, Deserialize, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde_json::Value;
use tether_engineio::{EngineCodec, EnginePacket};
use tether_message::{MessageCodec, MessageConfig, Role};
use tether_socketio::{Error, Inbound, Packet, PacketDecoder, SocketCodec, Utf8Bytes};
use tokio_util::codec::{Decoder, Encoder};

/// Vectors the reference accepts (all `lenient: true`) and tether refuses,
/// and why. Each rule is in the "Stricter than the reference parser" list
/// of `Packet`'s docs or is the document's own rule.
const STRICTER: &[(&str, &str)] = &[
    (
        "empty string decodes as CONNECT",
        "an empty message has no packet type (EmptyPacket)",
    ),
    (
        "space before the payload is read as ack id 0",
        "whitespace before the payload is invalid JSON here, not ack id 0",
    ),
    (
        "namespace without comma swallows the payload",
        "the namespace runs to the end as in the reference, leaving an EVENT \
         without the payload the document requires",
    ),
    (
        "EVENT without payload",
        "the document requires an EVENT payload (a non-empty array)",
    ),
    (
        "ack id on a CONNECT",
        "an ack id only on EVENT, ACK and their binary forms",
    ),
];

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/socketio-v5.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("vector file")).expect("JSON")
}

fn name(v: &Value) -> &str {
    v["name"].as_str().expect("name")
}

fn stricter(v: &Value) -> bool {
    STRICTER.iter().any(|(n, _)| *n == name(v))
}

fn hex(s: &str) -> Bytes {
    assert!(s.len().is_multiple_of(2), "hex {s}");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect::<Vec<_>>()
        .into()
}

/// A JSON value in which byte strings (attachments put back in place) stay
/// bytes, so that a binary leaf is told from an array of numbers.
#[derive(Clone, Debug, PartialEq)]
enum V {
    Null,
    Bool(bool),
    Int(i128),
    Float(f64),
    Str(String),
    Bytes(Vec<u8>),
    Arr(Vec<V>),
    /// In order.
    Obj(Vec<(String, V)>),
}

impl<'de> Deserialize<'de> for V {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<V, D::Error> {
        d.deserialize_any(VVisitor)
    }
}

struct VVisitor;

impl<'de> Visitor<'de> for VVisitor {
    type Value = V;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value or bytes")
    }

    fn visit_unit<E: de::Error>(self) -> Result<V, E> {
        Ok(V::Null)
    }

    fn visit_bool<E: de::Error>(self, b: bool) -> Result<V, E> {
        Ok(V::Bool(b))
    }

    fn visit_u64<E: de::Error>(self, n: u64) -> Result<V, E> {
        Ok(V::Int(n.into()))
    }

    fn visit_i64<E: de::Error>(self, n: i64) -> Result<V, E> {
        Ok(V::Int(n.into()))
    }

    fn visit_f64<E: de::Error>(self, n: f64) -> Result<V, E> {
        Ok(V::Float(n))
    }

    fn visit_str<E: de::Error>(self, s: &str) -> Result<V, E> {
        Ok(V::Str(s.to_owned()))
    }

    fn visit_bytes<E: de::Error>(self, b: &[u8]) -> Result<V, E> {
        Ok(V::Bytes(b.to_vec()))
    }

    fn visit_byte_buf<E: de::Error>(self, b: Vec<u8>) -> Result<V, E> {
        Ok(V::Bytes(b))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<V, A::Error> {
        let mut out = Vec::new();
        while let Some(item) = seq.next_element()? {
            out.push(item);
        }
        Ok(V::Arr(out))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<V, A::Error> {
        let mut out = Vec::new();
        while let Some(entry) = map.next_entry()? {
            out.push(entry);
        }
        Ok(V::Obj(out))
    }
}

/// Deserializes the shape of an expected [`V`]: `Bytes` where it has bytes
/// (the bridge hands an attachment to a byte type as bytes), an untyped
/// [`V`] past its shape (so an extra element or key still shows). Asked for
/// an untyped value (`deserialize_any`), the bridge gives an attachment as
/// a sequence of `u8`, as for `serde_json::Value`: the same as an array of
/// numbers, which [`v_to_value`] and the `Value` comparison check.
struct Guided<'a>(&'a V);

impl<'de> DeserializeSeed<'de> for Guided<'_> {
    type Value = V;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<V, D::Error> {
        match self.0 {
            V::Bytes(_) => Bytes::deserialize(d).map(|b| V::Bytes(b.to_vec())),
            V::Arr(items) => d.deserialize_seq(GuidedArr(items)),
            V::Obj(entries) => d.deserialize_map(GuidedObj(entries)),
            _ => V::deserialize(d),
        }
    }
}

struct GuidedArr<'a>(&'a [V]);

impl<'de> Visitor<'de> for GuidedArr<'_> {
    type Value = V;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of {}", self.0.len())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<V, A::Error> {
        let mut out = Vec::new();
        for item in self.0 {
            match seq.next_element_seed(Guided(item))? {
                Some(v) => out.push(v),
                None => return Ok(V::Arr(out)),
            }
        }
        while let Some(extra) = seq.next_element()? {
            out.push(extra);
        }
        Ok(V::Arr(out))
    }
}

struct GuidedObj<'a>(&'a [(String, V)]);

impl<'de> Visitor<'de> for GuidedObj<'_> {
    type Value = V;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object of {}", self.0.len())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<V, A::Error> {
        let mut out = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            let value = match self.0.iter().find(|(k, _)| *k == key) {
                Some((_, shape)) => map.next_value_seed(Guided(shape))?,
                None => map.next_value()?,
            };
            out.push((key, value));
        }
        Ok(V::Obj(out))
    }
}

/// A vector's attachments. The document shows one BINARY_ACK's attachment
/// as `<binary>` (`attachments_hex: null`, `$binary_hex: null`): any frame
/// completes it, so `$binary_hex` nulls get `b0`, `b1`.. in document order.
fn attachments(v: &Value) -> Vec<Bytes> {
    match &v["attachments_hex"] {
        Value::Array(list) => list
            .iter()
            .map(|h| hex(h.as_str().expect("hex string")))
            .collect(),
        Value::Null => {
            let mut n = 0;
            count_unknown_binaries(&v["expect"]["data"], &mut n);
            (0..n).map(|i| Bytes::from(vec![0xb0 + i])).collect()
        }
        other => panic!("attachments_hex {other}"),
    }
}

fn binary_hex(v: &Value) -> Option<&Value> {
    match v {
        Value::Object(m) if m.len() == 1 => m.get("$binary_hex"),
        _ => None,
    }
}

fn count_unknown_binaries(v: &Value, n: &mut u8) {
    match (binary_hex(v), v) {
        (Some(Value::Null), _) => *n += 1,
        (Some(_), _) => {}
        (None, Value::Array(items)) => items.iter().for_each(|i| count_unknown_binaries(i, n)),
        (None, Value::Object(m)) => m.values().for_each(|i| count_unknown_binaries(i, n)),
        _ => {}
    }
}

/// `expect.data` as a [`V`], `{"$binary_hex": h}` as bytes (a null `h` as
/// the next of the synthesized attachments).
fn expected_v(v: &Value, unknown: &mut std::slice::Iter<'_, Bytes>) -> V {
    match (binary_hex(v), v) {
        (Some(Value::String(h)), _) => V::Bytes(hex(h).to_vec()),
        (Some(_), _) => V::Bytes(unknown.next().expect("attachment").to_vec()),
        (None, Value::Null) => V::Null,
        (None, Value::Bool(b)) => V::Bool(*b),
        (None, Value::Number(n)) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => V::Int(u.into()),
            (_, Some(i)) => V::Int(i.into()),
            _ => V::Float(n.as_f64().expect("f64")),
        },
        (None, Value::String(s)) => V::Str(s.clone()),
        (None, Value::Array(items)) => {
            V::Arr(items.iter().map(|i| expected_v(i, unknown)).collect())
        }
        (None, Value::Object(m)) => V::Obj(
            m.iter()
                .map(|(k, i)| (k.clone(), expected_v(i, unknown)))
                .collect(),
        ),
    }
}

/// What a `serde_json::Value` gets: each attachment as an array of numbers.
fn v_to_value(v: &V) -> Value {
    match v {
        V::Null => Value::Null,
        V::Bool(b) => Value::Bool(*b),
        V::Int(i) => serde_json::from_str(&i.to_string()).expect("integer"),
        V::Float(f) => Value::from(*f),
        V::Str(s) => Value::from(s.as_str()),
        V::Bytes(b) => Value::Array(b.iter().map(|&x| Value::from(x)).collect()),
        V::Arr(items) => Value::Array(items.iter().map(v_to_value).collect()),
        V::Obj(entries) => Value::Object(
            entries
                .iter()
                .map(|(k, v)| (k.clone(), v_to_value(v)))
                .collect(),
        ),
    }
}

/// Decodes a whole packet through [`PacketDecoder`]: the text, then the
/// attachments.
fn decode(text: &str, attachments: &[Bytes]) -> Result<Packet, Error> {
    let mut decoder = PacketDecoder::new();
    let mut packet = decoder.decode_text(Utf8Bytes::from(text))?;
    for data in attachments {
        assert!(packet.is_none(), "{text}: attachment after a whole packet");
        packet = decoder.decode_binary(data.clone())?;
    }
    assert_eq!(decoder.attachments_pending(), 0, "{text}");
    Ok(packet.unwrap_or_else(|| panic!("{text}: incomplete")))
}

/// A client's WebSocket frames: the packet text as one Engine.IO message,
/// then each attachment as a binary message.
fn client_wire(messages: &[EnginePacket], fragment: Option<usize>) -> Vec<u8> {
    let config = MessageConfig::default().with_fragment_size(fragment);
    let mut client = EngineCodec::new(MessageCodec::with_config(Role::Client, config));
    let mut wire = BytesMut::new();
    for m in messages {
        client.encode(m.clone(), &mut wire).expect("encodes");
    }
    wire.to_vec()
}

fn messages(text: Option<&str>, attachments: &[Bytes], then: Option<&str>) -> Vec<EnginePacket> {
    let mut out: Vec<EnginePacket> = text.map(EnginePacket::message).into_iter().collect();
    out.extend(attachments.iter().cloned().map(EnginePacket::Binary));
    out.extend(then.map(EnginePacket::message));
    out
}

/// The server side of the stack fed `wire` in the reads `cuts` make: what
/// came out before the first error, and that error.
fn streamed(wire: &[u8], cuts: &[usize]) -> (Vec<Inbound>, Option<Error>) {
    let mut server = SocketCodec::new(EngineCodec::new(MessageCodec::new(Role::Server)));
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut last = 0;
    for &cut in cuts.iter().chain([&wire.len()]) {
        buf.extend_from_slice(&wire[last..cut]);
        last = cut;
        loop {
            match server.decode(&mut buf) {
                Ok(Some(item)) => out.push(item),
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    loop {
        match server.decode_eof(&mut buf) {
            Ok(Some(item)) => out.push(item),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

/// Every way of reading `wire` this test uses: whole, split in two at every
/// point, byte by byte.
fn splits(wire: &[u8]) -> impl Iterator<Item = (String, Vec<usize>)> {
    let len = wire.len();
    std::iter::once(("whole".to_string(), vec![]))
        .chain((0..=len).map(|i| (format!("split {i}"), vec![i])))
        .chain(std::iter::once((
            "bytewise".to_string(),
            (1..len).collect(),
        )))
}

#[test]
fn valid_packets_decode_exactly_and_reencode_byte_for_byte() {
    let all = vectors();
    let packets = all["packets"].as_array().expect("packets");
    assert_eq!(packets.len(), 67);
    let (mut exact, mut refused) = (0, 0);
    for v in packets {
        let n = name(v);
        let text = v["wire_text"].as_str().expect("wire_text");
        let atts = attachments(v);
        let got = decode(text, &atts);
        if stricter(v) {
            assert_eq!(v["lenient"], Value::Bool(true), "{n}: only lenient ones");
            let err = got.expect_err(n);
            assert!(err.is_peer_error(), "{n}: {err:?}");
            refused += 1;
            continue;
        }
        let packet = got.unwrap_or_else(|e| panic!("{n}: {e}"));
        let e = &v["expect"];
        assert_eq!(
            u64::from(packet.packet_type().digit() - b'0'),
            e["type"].as_u64().expect("type"),
            "{n}"
        );
        assert_eq!(packet.namespace(), e["nsp"].as_str().expect("nsp"), "{n}");
        assert_eq!(packet.ack_id(), e["id"].as_u64(), "{n}");
        assert_eq!(packet.attachments(), atts.as_slice(), "{n}");

        // The data, attachments as bytes in place.
        let want = match &e["data"] {
            Value::Null => None,
            data => Some(expected_v(data, &mut atts.iter())),
        };
        let data = packet.payload().map(|p| {
            p.deserialize_seed(Guided(want.as_ref().unwrap_or(&V::Null)))
                .unwrap_or_else(|e| panic!("{n}: {e}"))
        });
        assert_eq!(data, want, "{n}");
        // And as an untyped value: attachments as arrays of numbers.
        let value: Option<Value> = packet.data().unwrap_or_else(|e| panic!("{n}: {e}"));
        assert_eq!(value, want.as_ref().map(v_to_value), "{n}");

        // Re-encoded: the wire itself, or (where the reference writes
        // something else) a text that decodes to the same packet.
        let (again, again_atts) = packet.encode();
        assert_eq!(again_atts, atts, "{n}");
        if v.get("reencode") == Some(&Value::Bool(false)) {
            assert_eq!(decode(&again, &again_atts).expect(n), packet, "{n}");
        } else {
            assert_eq!(again, text, "{n}");
            assert_eq!(packet.text_len(), text.len(), "{n}");
        }
        exact += 1;
    }
    assert_eq!((exact, refused), (62, STRICTER.len()));
}

#[test]
fn valid_packets_through_the_stack_at_every_split() {
    let all = vectors();
    let mut bytes = 0;
    for v in all["packets"].as_array().expect("packets") {
        let n = name(v);
        let text = v["wire_text"].as_str().expect("wire_text");
        let atts = attachments(v);
        let msgs = messages(Some(text), &atts, None);
        let expected = decode(text, &atts);
        for fragment in [None, Some(3)] {
            let wire = client_wire(&msgs, fragment);
            bytes += wire.len();
            for (how, cuts) in splits(&wire) {
                let (out, err) = streamed(&wire, &cuts);
                match &expected {
                    Ok(packet) => {
                        assert!(err.is_none(), "{n} {how}: {err:?}");
                        assert_eq!(out, [Inbound::Packet(packet.clone())], "{n} {how}");
                    }
                    Err(_) => {
                        assert!(out.is_empty(), "{n} {how}: {out:?}");
                        let err = err.unwrap_or_else(|| panic!("{n} {how}: accepted"));
                        assert!(err.is_peer_error(), "{n} {how}: {err:?}");
                    }
                }
            }
        }
    }
    assert!(bytes > 5000, "{bytes} bytes of frames");
}

/// The reference's error, and the errors of tether that say the same.
fn same_reason(reason: &str, err: &Error) -> bool {
    let ok = match reason {
        r if r.contains("unknown packet type") => matches!(err, Error::UnknownPacketType { .. }),
        r if r.contains("Illegal attachments") => matches!(err, Error::InvalidAttachmentCount),
        r if r.contains("too many attachments") => matches!(err, Error::TooManyAttachments { .. }),
        // The reference checks placeholders when the last attachment
        // arrives, tether from the header.
        r if r.contains("illegal attachments") => matches!(err, Error::IllegalPlaceholder),
        r if r.contains("got binary data") => matches!(err, Error::UnexpectedBinary),
        r if r.contains("got plaintext data") => matches!(err, Error::UnexpectedText { .. }),
        r if r.contains("reserved event name") => matches!(err, Error::ReservedEventName),
        // "invalid payload": the reference's one error for every header and
        // payload rule, where tether names the rule (and checks its stricter
        // header rules first: `3{}` has no ack id).
        r if r.contains("invalid payload") => matches!(
            err,
            Error::InvalidPayload { .. }
                | Error::InvalidJson { .. }
                | Error::ReservedEventName
                | Error::UnexpectedAckId { .. }
                | Error::MissingAckId { .. }
        ),
        _ => false,
    };
    ok && err.is_peer_error()
}

#[test]
fn invalid_packets_are_refused_with_a_peer_error() {
    let all = vectors();
    let invalid = all["invalid_packets"].as_array().expect("invalid_packets");
    assert_eq!(invalid.len(), 40);
    for v in invalid {
        let n = name(v);
        let reason = v["reason"].as_str().expect("reason");
        let text = v["wire_text"].as_str();
        let atts = attachments(v);
        let then = v.get("then_text").and_then(Value::as_str);

        // Through the decoder: some message is refused, and no packet
        // comes out before.
        let mut decoder = PacketDecoder::new();
        let mut result = match text {
            Some(t) => decoder.decode_text(Utf8Bytes::from(t)),
            None => Ok(None),
        };
        for data in &atts {
            if let Ok(None) = result {
                result = decoder.decode_binary(data.clone());
            }
        }
        if let (Ok(None), Some(t)) = (&result, then) {
            result = decoder.decode_text(Utf8Bytes::from(t));
        }
        let err = match result {
            Err(e) => e,
            Ok(p) => panic!("{n}: accepted, {p:?}"),
        };
        assert!(same_reason(reason, &err), "{n}: {err:?} for {reason:?}");
        // The decoder is idle again.
        assert_eq!(decoder.attachments_pending(), 0, "{n}");

        // Through the stack, however the frames are read.
        let wire = client_wire(&messages(text, &atts, then), None);
        for (how, cuts) in splits(&wire) {
            let (out, err) = streamed(&wire, &cuts);
            assert!(out.is_empty(), "{n} {how}: {out:?}");
            let err = err.unwrap_or_else(|| panic!("{n} {how}: accepted"));
            assert!(same_reason(reason, &err), "{n} {how}: {err:?}");
        }
    }
}

#[test]
fn stricter_names_are_vectors() {
    let all = vectors();
    let packets = all["packets"].as_array().expect("packets");
    for (n, reason) in STRICTER {
        assert!(!reason.is_empty());
        assert!(packets.iter().any(|v| name(v) == *n), "no vector {n:?}");
    }
}

/// Raw control characters, which `JSON.parse` (and so the reference) and
/// RFC 8259 refuse in strings, are refused in keys and values, in plain
/// and binary packets alike. (Regression, fuzz seed
/// `regress-control-char-in-key`: binary packets took them in keys.)
#[test]
fn raw_control_characters_in_strings_are_refused() {
    let p0 = r#"{"_placeholder":true,"num":0}"#;
    for text in [
        "2[\"a\u{0}b\"]".to_string(),
        "2[\"x\",{\"a\u{1f}\":1}]".to_string(),
        "0{\"k\u{0}\":1}".to_string(),
        format!("51-[\"x\",\"a\u{0}\",{p0}]"),
        format!("51-[\"x\",{{\"a\u{0}\":1}},{p0}]"),
        format!("51-[\"baz\",{{\"_place\u{0}\\ten\u{0}\":0}},{p0}]"),
        format!("61-1[{{\"\n\":{p0}}}]"),
    ] {
        let err = decode(&text, &[Bytes::from_static(b"x")]).expect_err(&text);
        assert!(
            matches!(err, Error::InvalidJson { .. }),
            "{text:?}: {err:?}"
        );
    }
    // Escaped, they are fine.
    let text = format!("51-[\"x\",{{\"a\\u0000\":\"\\n\"}},{p0}]");
    decode(&text, &[Bytes::from_static(b"x")]).expect("escaped control characters");
}
