//! `tether_engineio::EnginePacket::decode_text` on arbitrary text, and
//! `EngineCodec<MessageCodec>` on the same text sent as one WebSocket
//! message.
//!
//! Input: the raw bytes; inputs that are not UTF-8 are tried as a binary
//! message only.
//!
//! Checks:
//! * no panic; every error is a peer error with HTTP status 400 and a
//!   WebSocket close code;
//! * a decoded packet re-encodes (text form and WebSocket form) to bytes
//!   that decode to the same packet; the text form is the input itself,
//!   except for an open packet (whose JSON is rewritten in document order)
//!   and unpadded base64;
//! * the WebSocket codec gives the same result as `decode_text`.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use tether_engineio::{EngineCodec, EnginePacket, MessageData, Utf8Bytes};
use tether_message::{Message, MessageCodec, Role};
use tokio_util::codec::{Decoder, Encoder};

fn via_websocket(message: Message) -> Result<Option<EnginePacket>, String> {
    let mut wire = BytesMut::new();
    MessageCodec::new(Role::Client)
        .encode(message, &mut wire)
        .expect("encodes");
    let mut codec = EngineCodec::new(MessageCodec::new(Role::Server));
    codec.decode(&mut wire).map_err(|e| e.to_string())
}

fuzz_target!(|data: &[u8]| {
    let binary = Bytes::copy_from_slice(data);
    assert_eq!(
        via_websocket(Message::Binary(binary.clone())),
        Ok(Some(EnginePacket::Binary(binary)))
    );
    let Ok(text) = Utf8Bytes::try_from(Bytes::copy_from_slice(data)) else {
        return;
    };
    let decoded = EnginePacket::decode_text(text.clone());
    assert_eq!(
        via_websocket(Message::Text(text.clone())),
        decoded.as_ref().map(|p| Some(p.clone())).map_err(|e| e.to_string())
    );
    let packet = match decoded {
        Ok(packet) => packet,
        Err(e) => {
            assert!(e.is_peer_error(), "{e:?}");
            assert_eq!(e.http_status(), Some(400), "{e:?}");
            assert!(e.close_code().is_some(), "{e:?}");
            return;
        }
    };
    let mut out = BytesMut::new();
    packet.write_text(&mut out).expect("re-encodes");
    let again = EnginePacket::decode_text(Utf8Bytes::try_from(out.clone().freeze()).expect("utf8"))
        .expect("re-encoded text decodes");
    assert_eq!(again, packet);
    let exact = !matches!(packet, EnginePacket::Open(_) | EnginePacket::Binary(_));
    if exact {
        assert_eq!(&out[..], data, "text form is the input");
    }
    let ws = packet.to_message_data().expect("websocket form");
    let back = ws.clone().decode().expect("websocket form decodes");
    assert_eq!(back, packet);
    if let (MessageData::Text(t), true) = (&ws, exact) {
        assert_eq!(t.as_bytes(), data);
    }
});
