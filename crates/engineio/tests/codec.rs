//! Engine.IO packets through `EngineCodec<MessageCodec>` and `PayloadCodec`
//! with any chunking of the byte stream.

use bytes::BytesMut;
use proptest::prelude::*;
use tether_engineio::{EngineCodec, EnginePacket, Error, OpenPacket, PayloadCodec};
use tether_message::{Message, MessageCodec, MessageConfig, Role};
use tokio_util::codec::{Decoder, Encoder};

fn packet() -> impl Strategy<Value = EnginePacket> {
    prop_oneof![
        (
            "[a-zA-Z0-9_-]{1,20}",
            0u64..100_000,
            0u64..100_000,
            1u64..10_000_000
        )
            .prop_map(|(sid, interval, timeout, max)| EnginePacket::Open(
                OpenPacket::new(sid)
                    .with_heartbeat(interval, timeout)
                    .with_max_payload(max)
            )),
        Just(EnginePacket::Close),
        Just(EnginePacket::ping()),
        Just(EnginePacket::pong()),
        Just(EnginePacket::ping_probe()),
        Just(EnginePacket::pong_probe()),
        // Any text but the record separator, which a payload cannot carry.
        "[^\u{1e}]{0,40}".prop_map(EnginePacket::message),
        proptest::collection::vec(any::<u8>(), 0..300).prop_map(EnginePacket::binary),
        Just(EnginePacket::Upgrade),
        Just(EnginePacket::Noop),
    ]
}

/// Splits `wire` at the given cut points (each taken modulo the length).
fn chunks(wire: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut points: Vec<usize> = cuts.iter().map(|c| c % (wire.len() + 1)).collect();
    points.sort_unstable();
    let mut out = Vec::new();
    let mut last = 0;
    for p in points.into_iter().chain([wire.len()]) {
        out.push(wire[last..p].to_vec());
        last = p;
    }
    out
}

fn decode_all<D>(codec: &mut D, parts: &[Vec<u8>]) -> Result<Vec<EnginePacket>, Error>
where
    D: Decoder<Item = EnginePacket, Error = Error>,
{
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for part in parts {
        buf.extend_from_slice(part);
        while let Some(p) = codec.decode(&mut buf)? {
            out.push(p);
        }
    }
    while let Some(p) = codec.decode_eof(&mut buf)? {
        out.push(p);
    }
    Ok(out)
}

proptest! {
    #[test]
    fn websocket_stack_any_chunking(
        packets in proptest::collection::vec(packet(), 0..20),
        fragment in proptest::option::of(1usize..64),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        let config = MessageConfig::default().with_fragment_size(fragment);
        let mut client = EngineCodec::new(MessageCodec::with_config(Role::Client, config));
        let mut wire = BytesMut::new();
        for p in &packets {
            client.encode(p.clone(), &mut wire).unwrap();
        }
        let mut server = EngineCodec::new(MessageCodec::new(Role::Server));
        let got = decode_all(&mut server, &chunks(&wire, &cuts)).unwrap();
        prop_assert_eq!(got, packets);
    }

    #[test]
    fn polling_payload_any_chunking(
        packets in proptest::collection::vec(packet(), 1..20),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        let mut encoder = PayloadCodec::new();
        let mut body = BytesMut::new();
        for p in &packets {
            encoder.encode(p, &mut body).unwrap();
        }
        let got = decode_all(&mut PayloadCodec::new(), &chunks(&body, &cuts)).unwrap();
        prop_assert_eq!(got, packets);
    }
}

#[test]
fn websocket_control_messages_are_skipped_and_close_ends_the_packets() {
    let mut client = MessageCodec::new(Role::Client);
    let mut wire = BytesMut::new();
    client.encode(Message::text("4a"), &mut wire).unwrap();
    client.encode(Message::Ping("x".into()), &mut wire).unwrap();
    client.encode(Message::text("2"), &mut wire).unwrap();
    client.encode(Message::Close(None), &mut wire).unwrap();
    client
        .encode(Message::text("4after close"), &mut wire)
        .unwrap();
    let mut server = EngineCodec::new(MessageCodec::new(Role::Server));
    let got = decode_all(&mut server, &[wire.to_vec()]).unwrap();
    assert_eq!(got, [EnginePacket::message("a"), EnginePacket::ping()]);
    assert_eq!(server.peer_close(), Some(&None));
}

#[test]
fn websocket_errors_keep_the_packets_before_them() {
    let mut client = MessageCodec::new(Role::Client);
    let mut wire = BytesMut::new();
    client.encode(Message::text("4ok"), &mut wire).unwrap();
    client.encode(Message::text("9bad"), &mut wire).unwrap();
    let mut server = EngineCodec::new(MessageCodec::new(Role::Server));
    let mut buf = BytesMut::from(&wire[..]);
    assert_eq!(
        server.decode(&mut buf).unwrap(),
        Some(EnginePacket::message("ok"))
    );
    let err = server.decode(&mut buf).unwrap_err();
    assert!(matches!(err, Error::UnknownPacketType { byte: b'9' }));
    assert_eq!(
        err.close_code(),
        Some(tether_engineio::CloseCode::ProtocolError)
    );
}

#[test]
fn message_layer_limits_surface_with_their_close_code() {
    let mut client = EngineCodec::new(MessageCodec::new(Role::Client));
    let mut wire = BytesMut::new();
    client
        .encode(EnginePacket::message("x".repeat(100)), &mut wire)
        .unwrap();
    let config = MessageConfig::default().with_max_message_size(50);
    let mut server = EngineCodec::new(MessageCodec::with_config(Role::Server, config));
    let err = server.decode(&mut wire).unwrap_err();
    assert!(matches!(err, Error::Message(_)));
    assert!(err.is_peer_error());
    assert_eq!(
        err.close_code(),
        Some(tether_engineio::CloseCode::MessageTooBig)
    );
}

#[test]
fn max_payload_is_enforced_by_default() {
    use tether_message::CloseCode;
    let mut client = MessageCodec::new(Role::Client);
    let mut wire = BytesMut::new();
    let at_limit = format!("4{}", "a".repeat(999_999));
    let over = format!("4{}", "b".repeat(1_000_000));
    client
        .encode(Message::text(at_limit.clone()), &mut wire)
        .unwrap();
    client
        .encode(Message::text(over.clone()), &mut wire)
        .unwrap();

    // Over a codec with its own (64 MiB) limit, EngineCodec refuses the
    // message once decoded.
    let mut server = EngineCodec::new(MessageCodec::new(Role::Server));
    assert_eq!(server.max_payload(), 1_000_000);
    let mut src = wire.clone();
    assert_eq!(
        server.decode(&mut src).unwrap(),
        Some(EnginePacket::message(&at_limit[1..]))
    );
    let e = server.decode(&mut src).unwrap_err();
    assert!(
        matches!(
            e,
            Error::PayloadTooLarge {
                size: 1_000_001,
                max: 1_000_000
            }
        ),
        "{e:?}"
    );
    assert_eq!(e.close_code(), Some(CloseCode::MessageTooBig));

    // `EngineCodec::websocket` refuses it at the frame header, before the
    // payload is buffered.
    let mut server = EngineCodec::websocket(Role::Server);
    let mut src = wire.clone();
    assert!(server.decode(&mut src).unwrap().is_some());
    let mut head = BytesMut::from(&src[..14]);
    let e = server.decode(&mut head).unwrap_err();
    assert_eq!(e.close_code(), Some(CloseCode::MessageTooBig));

    // A raised limit lets it through.
    let mut server = EngineCodec::new(MessageCodec::new(Role::Server)).with_max_payload(2_000_000);
    let mut src = wire;
    assert!(server.decode(&mut src).unwrap().is_some());
    assert_eq!(
        server.decode(&mut src).unwrap(),
        Some(EnginePacket::message(&over[1..]))
    );
}
