//! `tether_socketio::PacketDecoder` on a sequence of Engine.IO message
//! payloads, text and binary, as a connection receives them.
//!
//! Input: `[config, message..]`, each message `[kind, len (u16 LE), bytes]`
//! (the last one cut short where the input ends). `kind` even: a text
//! message (skipped unless UTF-8); odd: a binary message. `config` bits
//! 0-1: `max_attachments` from `MAX_ATTACHMENTS`; bit 2: small size limits
//! (`SMALL`: packet 64, attachment 8, attachments 12 bytes).
//!
//! Checks:
//! * no panic; every error is a peer error, after which the decoder is
//!   idle (no attachment pending) and, reset, goes on decoding;
//! * never more attachments pending or delivered than `max_attachments`,
//!   and a delivered packet within the size limits; binary if and only if
//!   it has attachments;
//! * a decoded packet re-encodes (`encode`) to the text it came from (with
//!   a `,` after a namespace that had none) and its attachments, which
//!   decode to an equal packet;
//! * its payload is JSON by serde_json's own reading (`IgnoredAny`, which
//!   like the reference's `JSON.parse` takes lone surrogates and numbers
//!   out of `f64` range) and, read as a `serde_json::Value`, has the shape
//!   of its packet type (CONNECT an object, CONNECT_ERROR an object or a
//!   string, events a non-empty array whose first element is a number or a
//!   string that is not a reserved name, acks an array);
//! * its payload into `serde_json::Value` (and an event's name and
//!   arguments) never panics, fails only with a data error, and gives the
//!   same value for the re-decoded packet.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use serde::de::IgnoredAny;
use serde_json::Value;
use tether_socketio::{
    is_reserved_event_name, ErrorKind, Packet, PacketDecoder, PacketType, SocketConfig, Utf8Bytes,
};

/// `max_attachments` by config bits 0-1: the default, none, one, three.
const MAX_ATTACHMENTS: [usize; 4] = [SocketConfig::DEFAULT_MAX_ATTACHMENTS, 0, 1, 3];

/// Config bit 2: `max_packet_size`, `max_attachment_size`,
/// `max_total_attachment_size`.
const SMALL: (usize, usize, usize) = (64, 8, 12);

fn config(byte: u8) -> SocketConfig {
    let config =
        SocketConfig::default().with_max_attachments(MAX_ATTACHMENTS[usize::from(byte & 3)]);
    if byte & 4 == 0 {
        return config;
    }
    config
        .with_max_packet_size(SMALL.0)
        .with_max_attachment_size(SMALL.1)
        .with_max_total_attachment_size(SMALL.2)
}

enum Message {
    Text(Utf8Bytes),
    Binary(Bytes),
}

fn messages(mut data: &[u8]) -> Vec<Message> {
    let mut out = Vec::new();
    while let [kind, rest @ ..] = data {
        let (len, rest) = match rest {
            [a, b, rest @ ..] => (usize::from(u16::from_le_bytes([*a, *b])), rest),
            _ => (rest.len(), &[][..]),
        };
        let (body, rest) = rest.split_at(len.min(rest.len()));
        data = rest;
        let body = Bytes::copy_from_slice(body);
        if kind % 2 == 1 {
            out.push(Message::Binary(body));
        } else if let Ok(text) = Utf8Bytes::try_from(body) {
            out.push(Message::Text(text));
        }
    }
    out
}

/// The payload and an event's or ack's arguments as untyped values: a
/// data error at most (a lone surrogate, nesting past serde_json's limit).
fn values(packet: &Packet) -> Option<Value> {
    let whole = match packet.data::<Value>() {
        Ok(v) => v,
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::Data, "{e:?}");
            return None;
        }
    };
    if packet.is_event() {
        let _ = packet.event_name();
        if let Err(e) = packet.args::<Vec<Value>>() {
            assert_eq!(e.kind(), ErrorKind::Data, "{e:?}");
        }
    }
    if packet.is_ack() {
        if let Err(e) = packet.ack_args::<Vec<Value>>() {
            assert_eq!(e.kind(), ErrorKind::Data, "{e:?}");
        }
    }
    whole
}

/// Whether `v` is a payload a packet of `t` may carry.
fn has_shape(t: PacketType, v: &Value) -> bool {
    match t {
        PacketType::Connect => v.is_object(),
        PacketType::ConnectError => v.is_object() || v.is_string(),
        PacketType::Event | PacketType::BinaryEvent => match v.as_array().and_then(|a| a.first()) {
            Some(Value::Number(_)) => true,
            Some(Value::String(name)) => !is_reserved_event_name(name),
            _ => false,
        },
        PacketType::Ack | PacketType::BinaryAck => v.is_array(),
        PacketType::Disconnect => false,
    }
}

/// The text as `encode` writes it back: the same, except that the main
/// namespace written out (`/,` or a bare `/`) is left out, and another
/// namespace that ran to the end gets its `,`.
fn rewritten(packet: &Packet, text: &str) -> String {
    let header = if packet.packet_type().is_binary() {
        2 + packet.attachments().len().to_string().len()
    } else {
        1
    };
    let (head, after) = text.split_at(header);
    let nsp = packet.namespace().as_str();
    let after = if nsp == "/" {
        after
            .strip_prefix("/,")
            .or_else(|| (after == "/").then_some(""))
            .unwrap_or(after)
            .to_owned()
    } else {
        let post = after.strip_prefix(nsp).expect("namespace after the header");
        if post.starts_with(',') {
            after.to_owned()
        } else {
            assert!(post.is_empty(), "{text:?}");
            format!("{nsp},")
        }
    };
    format!("{head}{after}")
}

fn check(packet: &Packet, text: &Utf8Bytes, config: &SocketConfig) {
    let attachments = packet.attachments();
    assert!(attachments.len() <= config.max_attachments);
    assert_eq!(packet.packet_type().is_binary(), !attachments.is_empty());
    assert!(text.len() <= config.max_packet_size);
    assert!(attachments
        .iter()
        .all(|a| a.len() <= config.max_attachment_size));
    let total: usize = attachments.iter().map(Bytes::len).sum();
    assert!(total <= config.max_total_attachment_size);

    match packet.payload() {
        None => assert!(matches!(
            packet.packet_type(),
            PacketType::Connect | PacketType::Disconnect
        )),
        Some(payload) => {
            let json = payload.json().as_str();
            if let Err(e) = serde_json::from_str::<IgnoredAny>(json) {
                panic!("accepted {json:?}, which serde_json refuses: {e}");
            }
            if let Ok(v) = serde_json::from_str::<Value>(json) {
                assert!(has_shape(packet.packet_type(), &v), "{json:?}");
            }
        }
    }

    let (again, again_attachments) = packet.encode();
    assert_eq!(again_attachments, attachments);
    assert_eq!(again.len(), packet.text_len());
    assert_eq!(again.as_str(), rewritten(packet, text), "{text:?}");

    // The re-encoded form decodes to the same packet (its text may be one
    // byte longer than the limit, for that comma).
    let mut fresh = PacketDecoder::with_config(
        config
            .clone()
            .with_max_packet_size(config.max_packet_size.saturating_add(1)),
    );
    let mut decoded = fresh.decode_text(again).expect("re-encoded text decodes");
    for a in again_attachments {
        assert!(decoded.is_none());
        decoded = fresh
            .decode_binary(a)
            .expect("re-encoded attachment decodes");
    }
    let decoded = decoded.expect("re-encoded packet is whole");
    assert_eq!(&decoded, packet);
    assert_eq!(values(&decoded), values(packet));
}

fuzz_target!(|data: &[u8]| {
    let Some((&byte, rest)) = data.split_first() else {
        return;
    };
    let config = config(byte);
    let mut decoder = PacketDecoder::with_config(config.clone());
    let mut text = None;
    for message in messages(rest) {
        let result = match message {
            Message::Text(t) => {
                text = Some(t.clone());
                decoder.decode_text(t)
            }
            Message::Binary(b) => decoder.decode_binary(b),
        };
        assert!(decoder.attachments_pending() <= config.max_attachments);
        match result {
            Ok(Some(packet)) => check(&packet, text.as_ref().expect("a text came first"), &config),
            Ok(None) => assert!(decoder.attachments_pending() > 0),
            Err(e) => {
                assert!(e.is_peer_error(), "{e:?}");
                assert_eq!(decoder.attachments_pending(), 0, "idle after {e:?}");
                decoder.reset();
            }
        }
    }
});
