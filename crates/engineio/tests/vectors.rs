//! The example packets and payloads of the Engine.IO v4 protocol document
//! and the reference parser's tests (data: `tests/vectors/engineio-v4.json`,
//! provenance in `tests/vectors/README.md`), decoded whole, at every two-way
//! split of a payload and byte by byte, and re-encoded byte for byte.
//!
//! Where the reference parser is lenient and tether is strict, the vector is
//! named in `STRICTER` with the reason, and must be refused.

use bytes::{Bytes, BytesMut};
use serde_json::Value;
use tether_engineio::{
    decode_payload, encode_payload, EnginePacket, Error, MessageData, PayloadCodec, PayloadConfig,
    Utf8Bytes,
};
use tokio_util::codec::Decoder;

/// Vectors the reference accepts and tether refuses, and why.
const STRICTER: &[(&str, &str)] = &[
    (
        "binary message, base64 with a stray character",
        "only the standard base64 alphabet (Node.js skips other characters)",
    ),
    (
        "binary message, URL-safe base64 alphabet",
        "only the standard alphabet, which every encoder writes",
    ),
    (
        "binary message, data after padding",
        "nothing may follow the padding",
    ),
    (
        "close with trailing data",
        "close, upgrade and noop carry no data",
    ),
    (
        "all text packet types",
        "an open packet must carry its handshake JSON",
    ),
];

fn vectors() -> Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/engineio-v4.json"
    );
    serde_json::from_str(&std::fs::read_to_string(path).expect("vector file")).expect("JSON")
}

fn hex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn wire(v: &Value) -> Vec<u8> {
    match (v.get("wire_text"), v.get("wire_hex")) {
        (Some(Value::String(t)), _) => t.as_bytes().to_vec(),
        (_, Some(Value::String(h))) => hex(h),
        _ => panic!("vector without wire: {v}"),
    }
}

fn name(v: &Value) -> &str {
    v["name"].as_str().expect("name")
}

fn stricter(v: &Value) -> bool {
    STRICTER.iter().any(|(n, _)| *n == name(v))
}

/// The packet a vector's `expect` describes.
fn expected(e: &Value) -> EnginePacket {
    let data = || {
        Utf8Bytes::from(
            e.get("data")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
        )
    };
    match e["type"].as_str().expect("type") {
        "open" => EnginePacket::Open(serde_json::from_value(e["json"].clone()).expect("open JSON")),
        "close" => EnginePacket::Close,
        "ping" => EnginePacket::Ping(data()),
        "pong" => EnginePacket::Pong(data()),
        "message" => match (e.get("text"), e.get("binary_hex")) {
            (Some(Value::String(t)), _) => EnginePacket::message(t.clone()),
            (_, Some(Value::String(h))) => EnginePacket::binary(hex(h)),
            _ => panic!("message without data: {e}"),
        },
        "upgrade" => EnginePacket::Upgrade,
        "noop" => EnginePacket::Noop,
        t => panic!("unknown type {t}"),
    }
}

fn decode_one(v: &Value) -> Result<EnginePacket, Error> {
    let bytes = Bytes::from(wire(v));
    if v.get("wire_hex").is_some() {
        MessageData::Binary(bytes).decode()
    } else {
        EnginePacket::decode_text(Utf8Bytes::try_from(bytes).expect("UTF-8 vector"))
    }
}

#[test]
fn packets_decode_and_reencode_byte_for_byte() {
    let all = vectors();
    let packets = all["packets"].as_array().expect("packets");
    assert!(packets.len() >= 25, "{} packet vectors", packets.len());
    for v in packets {
        let got = decode_one(v);
        if stricter(v) {
            let err = got.expect_err(name(v));
            assert!(err.is_peer_error(), "{}: {err:?}", name(v));
            continue;
        }
        let packet = got.unwrap_or_else(|e| panic!("{}: {e}", name(v)));
        assert_eq!(packet, expected(&v["expect"]), "{}", name(v));
        if v.get("reencode") == Some(&Value::Bool(false)) {
            continue;
        }
        // Open packets are rewritten in document order with every field: exact
        // when the vector has all five.
        if let EnginePacket::Open(_) = packet {
            if v["expect"]["json"].as_object().expect("object").len() < 5 {
                continue;
            }
        }
        let ws = packet.to_message_data().expect("encodes");
        let ws_bytes: &[u8] = match &ws {
            MessageData::Text(t) => t.as_bytes(),
            MessageData::Binary(b) => b,
        };
        // Over WebSocket, binary is raw bytes and everything else its text;
        // a `b` + base64 vector is the long-polling form only.
        if v.get("wire_hex").is_some() || !matches!(packet, EnginePacket::Binary(_)) {
            assert_eq!(ws_bytes, &wire(v)[..], "{}", name(v));
        }
        if v.get("wire_text").is_some() {
            let mut text = BytesMut::new();
            packet.write_text(&mut text).expect("encodes");
            assert_eq!(&text[..], &wire(v)[..], "{}", name(v));
        }
    }
}

#[test]
fn invalid_packets_are_refused() {
    let all = vectors();
    for v in all["invalid_packets"].as_array().expect("invalid") {
        let err = decode_one(v).expect_err(name(v));
        assert!(err.is_peer_error(), "{}: {err:?}", name(v));
    }
}

fn streamed(body: &[u8], cuts: &[usize]) -> Result<Vec<EnginePacket>, String> {
    let mut codec = PayloadCodec::new();
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    let mut last = 0;
    for &cut in cuts.iter().chain([&body.len()]) {
        buf.extend_from_slice(&body[last..cut]);
        last = cut;
        while let Some(p) = codec.decode(&mut buf).map_err(|e| e.to_string())? {
            out.push(p);
        }
    }
    while let Some(p) = codec.decode_eof(&mut buf).map_err(|e| e.to_string())? {
        out.push(p);
    }
    Ok(out)
}

fn whole(body: &[u8]) -> Result<Vec<EnginePacket>, String> {
    decode_payload(Bytes::copy_from_slice(body), &PayloadConfig::default())
        .map_err(|e| e.to_string())?
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| e.to_string())
}

#[test]
fn payloads_decode_whole_split_and_byte_by_byte() {
    let all = vectors();
    let payloads = all["payloads"].as_array().expect("payloads");
    assert!(payloads.len() >= 10);
    for v in payloads {
        let body = wire(v);
        let got = whole(&body);
        if stricter(v) {
            assert!(got.is_err(), "{}", name(v));
            continue;
        }
        let want: Vec<EnginePacket> = v["expect"]
            .as_array()
            .expect("expect")
            .iter()
            .map(expected)
            .collect();
        assert_eq!(got.as_ref(), Ok(&want), "{}", name(v));
        assert_eq!(streamed(&body, &[]).as_ref(), Ok(&want), "{}", name(v));
        for i in 0..=body.len() {
            assert_eq!(
                streamed(&body, &[i]).as_ref(),
                Ok(&want),
                "{} split {i}",
                name(v)
            );
        }
        let every: Vec<usize> = (1..body.len()).collect();
        assert_eq!(
            streamed(&body, &every).as_ref(),
            Ok(&want),
            "{} bytewise",
            name(v)
        );
        if v.get("reencode") != Some(&Value::Bool(false)) {
            let mut out = BytesMut::new();
            encode_payload(&want, &mut out).expect("encodes");
            assert_eq!(&out[..], &body[..], "{}", name(v));
        }
    }
}

#[test]
fn invalid_payloads_are_refused_keeping_the_packets_before() {
    let all = vectors();
    for v in all["invalid_payloads"].as_array().expect("invalid") {
        let body = wire(v);
        assert!(whole(&body).is_err(), "{}", name(v));
        for i in 0..=body.len() {
            assert!(streamed(&body, &[i]).is_err(), "{} split {i}", name(v));
        }
    }
    // The packets before the bad one are handed out first.
    let mut codec = PayloadCodec::new();
    let mut buf = BytesMut::from(&b"4a\x1ez\x1e4b"[..]);
    assert_eq!(
        codec.decode(&mut buf).expect("first"),
        Some(EnginePacket::message("a"))
    );
    assert!(codec.decode(&mut buf).is_err());
}
