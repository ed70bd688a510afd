//! The Socket.IO workloads, and `tether-socketio`'s drivers for them; the
//! socketioxide drivers are in [`crate::sio_peer`].
//!
//! Every driver starts from what its transport layer hands it (a shared,
//! already received message: `Utf8Bytes` for tether, `Str` for
//! socketioxide, both a reference-count bump to clone) and does what a
//! server does with a packet before its handler runs:
//!
//! * tether decodes and **validates the whole packet** (header, JSON syntax
//!   and the per-type payload rules, placeholders) in one pass, and reads
//!   the event name;
//! * socketioxide's `decode_str` reads the header only (the JSON is not
//!   checked), then its server's `read_event` scans the array for the event
//!   name. So tether does strictly more work per packet in these rows.

use bytes::{Bytes, BytesMut};
use serde::Serialize;
use tether_engineio::{decode_payload, encode_payload, EnginePacket, PayloadConfig, Utf8Bytes};
use tether_socketio::{Binary, Packet, PacketDecoder};

pub use crate::sio_peer::{File, Small};

/// The small event's argument.
pub fn small() -> Small {
    Small {
        name: "alice".into(),
        id: 7,
        tags: vec!["a".into(), "b".into()],
        score: 1.5,
    }
}

/// A small event with a JSON object, as a Socket.IO packet (the text of an
/// Engine.IO message, without its `4`).
pub const SMALL_EVENT: &str = r#"2["msg",{"name":"alice","id":7,"tags":["a","b"],"score":1.5}]"#;

/// The binary event's header: one attachment, in an object.
pub const BINARY_HEADER: &str = r#"51-["file",{"name":"x","data":{"_placeholder":true,"num":0}}]"#;

/// The binary event's attachment: 64 KiB.
pub fn attachment() -> Bytes {
    (0..64 * 1024)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into()
}

/// The packets of the polling payload: 100 small events, ids 0..100.
pub fn payload_packets() -> Vec<String> {
    (0..100)
        .map(|i| format!(r#"2["msg",{{"name":"alice","id":{i},"tags":["a","b"],"score":1.5}}]"#))
        .collect()
}

/// The polling payload: each packet as an Engine.IO message (`4` +
/// packet), separated by 0x1E.
pub fn payload_body() -> Bytes {
    crate::sio_peer::payload_of(&payload_packets())
}

/// The binary argument as tether's docs tell an application to write it
/// for zero copy: [`Binary`] instead of `Bytes`.
#[derive(Serialize, serde::Deserialize)]
pub struct TetherFile {
    /// The file name.
    pub name: String,
    /// The attachment, shared with the received message.
    pub data: Binary,
}

#[derive(Serialize)]
struct FileRef<'a> {
    name: &'a str,
    data: &'a Binary,
}

/// Decodes a text packet and reads its event name; returns the name's length.
pub fn decode_routed(decoder: &mut PacketDecoder, text: &Utf8Bytes) -> usize {
    let packet = decoder
        .decode_text(text.clone())
        .expect("tether: decode")
        .expect("complete");
    packet
        .event_name()
        .and_then(|n| n.as_str().map(str::len))
        .expect("event name")
}

/// Decodes a text packet and its argument into [`Small`].
pub fn decode_small(decoder: &mut PacketDecoder, text: &Utf8Bytes) -> Small {
    let packet = decoder
        .decode_text(text.clone())
        .expect("tether: decode")
        .expect("complete");
    let (small,): (Small,) = packet.args().expect("tether: args");
    small
}

/// Decodes a binary event (header, then its attachments).
pub fn decode_binary(
    decoder: &mut PacketDecoder,
    header: &Utf8Bytes,
    attachments: &[Bytes],
) -> Packet {
    let mut done = decoder.decode_text(header.clone()).expect("tether: decode");
    for a in attachments {
        assert!(done.is_none(), "header announced fewer attachments");
        done = decoder
            .decode_binary(a.clone())
            .expect("tether: decode_binary");
    }
    done.expect("complete")
}

/// [`decode_binary`] and the argument into [`TetherFile`].
pub fn decode_binary_file(
    decoder: &mut PacketDecoder,
    header: &Utf8Bytes,
    attachments: &[Bytes],
) -> TetherFile {
    let packet = decode_binary(decoder, header, attachments);
    let (file,): (TetherFile,) = packet.args().expect("tether: args");
    file
}

/// Encodes `["msg", small]` on `/`: the packet text.
pub fn encode_small(small: &Small) -> Utf8Bytes {
    Packet::event("/", "msg", &(small,))
        .expect("tether: event")
        .encode_text()
}

/// Encodes `["file", {"name":"x","data":<payload>}]` on `/`: the header and
/// the attachment.
pub fn encode_binary(payload: &Binary) -> (Utf8Bytes, Vec<Bytes>) {
    Packet::event(
        "/",
        "file",
        &(FileRef {
            name: "x",
            data: payload,
        },),
    )
    .expect("tether: event")
    .encode()
}

/// Decodes a polling body: the Engine.IO payload, then every message as a
/// Socket.IO packet (validated, event name read). Returns how many.
pub fn decode_payload_packets(decoder: &mut PacketDecoder, body: &Bytes) -> usize {
    let config = PayloadConfig::default().with_max_payload(u64::MAX);
    let mut n = 0;
    for packet in decode_payload(body.clone(), &config).expect("tether: payload") {
        match packet.expect("tether: engine packet") {
            EnginePacket::Message(text) => {
                let p = decoder
                    .decode_text(text)
                    .expect("tether: decode")
                    .expect("complete");
                assert!(p.event_name().is_some());
                n += 1;
            }
            other => panic!("unexpected {other:?}"),
        }
    }
    n
}

/// Encodes already encoded Socket.IO packets into one polling body.
pub fn encode_payload_packets(packets: &[EnginePacket], out: &mut BytesMut) -> usize {
    out.clear();
    encode_payload(packets, out).expect("tether: encode payload");
    out.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sio_peer;

    #[test]
    fn both_sides_agree_on_every_workload() {
        let mut d = PacketDecoder::new();
        let text = Utf8Bytes::from_static(SMALL_EVENT);
        assert_eq!(decode_routed(&mut d, &text), 3);
        assert_eq!(decode_small(&mut d, &text), small());
        assert_eq!(sio_peer::decode_args_small(SMALL_EVENT), small());
        assert_eq!(encode_small(&small()), SMALL_EVENT);
        let peer_small = sio_peer::encode_small(&small());
        let (peer_text, _) = sio_peer::parts(&peer_small);
        assert_eq!(peer_text, SMALL_EVENT);

        let att = attachment();
        let header = Utf8Bytes::from_static(BINARY_HEADER);
        let file = decode_binary_file(&mut d, &header, std::slice::from_ref(&att));
        assert_eq!(file.data.0, att);
        assert_eq!(file.data.as_ptr(), att.as_ptr(), "zero copy");
        assert_eq!(
            sio_peer::decode_binary_file(BINARY_HEADER, std::slice::from_ref(&att)).data,
            att
        );
        let (h, atts) = encode_binary(&Binary(att.clone()));
        assert_eq!(atts[0].as_ptr(), att.as_ptr(), "zero copy");
        assert_eq!(h, BINARY_HEADER);
        assert_eq!(atts, std::slice::from_ref(&att));
        let peer = sio_peer::encode_binary(&att);
        let (ph, patts) = sio_peer::parts(&peer);
        assert_eq!(ph, BINARY_HEADER);
        assert_eq!(patts.map(|v| v.len()), Some(1));

        let body = payload_body();
        assert_eq!(decode_payload_packets(&mut d, &body), 100);
        assert_eq!(sio_peer::decode_payload(&body).len(), 100);
        let packets: Vec<EnginePacket> = payload_packets()
            .into_iter()
            .map(EnginePacket::message)
            .collect();
        let mut out = BytesMut::new();
        encode_payload_packets(&packets, &mut out);
        assert_eq!(out.freeze(), body);
        let peer_values: Vec<_> = payload_packets()
            .into_iter()
            .map(|p| socketioxide_core::Value::Str(p.into(), None))
            .collect();
        assert_eq!(sio_peer::encode_payload(&peer_values), body);
    }
}
