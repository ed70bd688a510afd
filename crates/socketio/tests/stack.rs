//! Socket.IO packets through the whole stack,
//! `SocketCodec<EngineCodec<MessageCodec>>`, client to server: arbitrary
//! packets of all seven types, with Engine.IO packets between them and
//! between a binary packet's text and its attachments, over any chunking of
//! the byte stream and any WebSocket fragmentation. Then the attachment
//! limits, errors and Engine.IO pass-through on the same stack.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use tether_engineio::{CloseCode, EngineCodec, EnginePacket, OpenPacket};
use tether_message::{MessageCodec, MessageConfig, Role};
use tether_socketio::{
    Error, Inbound, Packet, PacketType, SocketCodec, SocketConfig, MAX_ACK_ID, RESERVED_EVENT_NAMES,
};
use tokio_util::codec::{Decoder, Encoder};

type Stack = SocketCodec<EngineCodec<MessageCodec>>;

fn client(fragment: Option<usize>) -> Stack {
    let config = MessageConfig::default().with_fragment_size(fragment);
    SocketCodec::new(EngineCodec::new(MessageCodec::with_config(
        Role::Client,
        config,
    )))
}

fn server(config: SocketConfig) -> Stack {
    SocketCodec::with_config(EngineCodec::new(MessageCodec::new(Role::Server)), config)
}

mod common;
use common::Tv;

/// Text with multi-byte characters (2, 3 and 4 bytes in UTF-8), quotes,
/// backslashes and control characters that JSON escapes.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,8}",
        "[a-z\u{e9}\u{20ac}\u{1F600}\"\\\\\n\u{1}]{0,8}",
    ]
}

fn tv() -> impl Strategy<Value = Tv> {
    let leaf = prop_oneof![
        Just(Tv::Null),
        any::<bool>().prop_map(Tv::Bool),
        any::<i64>().prop_map(Tv::Int),
        text().prop_map(Tv::Str),
        // Binary leaves twice as likely, so that packets reach 10.
        proptest::collection::vec(any::<u8>(), 0..40).prop_map(|v| Tv::Bin(v.into())),
        proptest::collection::vec(any::<u8>(), 0..3).prop_map(|v| Tv::Bin(v.into())),
    ];
    leaf.prop_recursive(5, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Tv::Arr),
            proptest::collection::vec((text(), inner), 0..6).prop_map(|entries| {
                let mut seen = std::collections::HashSet::new();
                Tv::Obj(
                    entries
                        .into_iter()
                        .filter(|(k, _)| seen.insert(k.clone()))
                        .collect(),
                )
            }),
        ]
    })
}

/// Event or ack arguments with 0..=10 binary leaves at any depth.
fn args() -> impl Strategy<Value = Vec<Tv>> {
    proptest::collection::vec(tv(), 0..5).prop_map(|mut args| {
        let mut left = 10;
        args.iter_mut().for_each(|a| a.cap_binaries(&mut left));
        args
    })
}

/// Arguments without binary leaves (CONNECT, CONNECT_ERROR data).
fn plain() -> impl Strategy<Value = Vec<(String, Tv)>> {
    proptest::collection::vec((text(), tv()), 0..4).prop_map(|entries| {
        let mut seen = std::collections::HashSet::new();
        entries
            .into_iter()
            .filter(|(k, _)| seen.insert(k.clone()))
            .map(|(k, mut v)| {
                v.cap_binaries(&mut 0);
                (k, v)
            })
            .collect()
    })
}

fn namespace() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("/".to_string()),
        Just("/admin".to_string()),
        "/[a-z0-9/_\u{e9}\u{20ac}\u{1F600}-]{0,8}",
    ]
}

fn event_name() -> impl Strategy<Value = String> {
    text().prop_filter("reserved", |n| !RESERVED_EVENT_NAMES.contains(&n.as_str()))
}

fn packet() -> impl Strategy<Value = Packet> {
    let ack = proptest::option::of(prop_oneof![0..=MAX_ACK_ID, 0u64..100]);
    prop_oneof![
        (namespace(), proptest::option::of(plain())).prop_map(|(nsp, data)| match data {
            None => Packet::connect(nsp).expect("connect"),
            Some(d) => Packet::connect_with(nsp, &Tv::Obj(d)).expect("connect_with"),
        }),
        namespace().prop_map(|nsp| Packet::disconnect(nsp).expect("disconnect")),
        (namespace(), event_name(), args(), ack.clone()).prop_map(|(nsp, name, args, ack)| {
            match ack {
                Some(id) => Packet::event_with_ack(nsp, &name, &args, id),
                None => Packet::event(nsp, &name, &args),
            }
            .expect("event")
        }),
        (namespace(), 0..=MAX_ACK_ID, args())
            .prop_map(|(nsp, id, args)| Packet::ack(nsp, id, &args).expect("ack")),
        (namespace(), text(), proptest::option::of(plain())).prop_map(|(nsp, msg, data)| {
            match data {
                None => Packet::connect_error(nsp, &msg),
                Some(d) => Packet::connect_error_with(nsp, &Tv::Obj(d)),
            }
            .expect("connect_error")
        }),
        (namespace(), text())
            .prop_map(|(nsp, s)| Packet::connect_error_with(nsp, &s).expect("string")),
    ]
}

/// Engine.IO packets that may come between Socket.IO messages.
fn engine() -> impl Strategy<Value = EnginePacket> {
    prop_oneof![
        3 => Just(EnginePacket::ping()),
        1 => Just(EnginePacket::ping_probe()),
        1 => Just(EnginePacket::pong()),
        1 => Just(EnginePacket::Noop),
    ]
}

/// One packet and the Engine.IO packets sent before each of its messages
/// (its text, then each attachment).
fn step() -> impl Strategy<Value = (Packet, Vec<Vec<EnginePacket>>)> {
    (
        packet(),
        proptest::collection::vec(proptest::collection::vec(engine(), 0..3), 11),
    )
        .prop_map(|(packet, mut before)| {
            before.truncate(1 + packet.attachments().len());
            (packet, before)
        })
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

/// Feeds `parts` to `codec` in order: what came out before the first
/// error, and that error.
fn decode_all(codec: &mut Stack, parts: &[Vec<u8>]) -> (Vec<Inbound>, Option<Error>) {
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for part in parts {
        buf.extend_from_slice(part);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(item)) => out.push(item),
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    loop {
        match codec.decode_eof(&mut buf) {
            Ok(Some(item)) => out.push(item),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn packets_and_engine_packets_any_chunking_and_fragmentation(
        steps in proptest::collection::vec(step(), 0..6),
        trailing in proptest::collection::vec(engine(), 0..3),
        fragment in proptest::option::of(1usize..48),
        cuts in proptest::collection::vec(any::<usize>(), 0..12),
    ) {
        let mut tx = client(fragment);
        let mut wire = BytesMut::new();
        let mut want = Vec::new();
        for (packet, before) in &steps {
            if before.iter().skip(1).all(Vec::is_empty) {
                // Nothing between the messages: the packet encoder.
                for e in before.first().into_iter().flatten() {
                    tx.encode(e.clone(), &mut wire).unwrap();
                    want.push(Inbound::Engine(e.clone()));
                }
                tx.encode(packet, &mut wire).unwrap();
            } else {
                let (text, attachments) = packet.encode();
                let messages = std::iter::once(EnginePacket::Message(text))
                    .chain(attachments.into_iter().map(EnginePacket::Binary));
                for (message, engine) in messages.zip(before) {
                    for e in engine {
                        tx.encode(e.clone(), &mut wire).unwrap();
                        want.push(Inbound::Engine(e.clone()));
                    }
                    tx.encode(message, &mut wire).unwrap();
                }
            }
            want.push(Inbound::Packet(packet.clone()));
        }
        for e in &trailing {
            tx.encode(e.clone(), &mut wire).unwrap();
            want.push(Inbound::Engine(e.clone()));
        }

        let mut rx = server(SocketConfig::default());
        let (got, err) = decode_all(&mut rx, &chunks(&wire, &cuts));
        prop_assert!(err.is_none(), "{:?}", err);
        prop_assert_eq!(rx.decoder().attachments_pending(), 0);
        prop_assert_eq!(&got, &want);
        for (packet, _) in &steps {
            prop_assert_eq!(packet.packet_type().is_binary(), !packet.attachments().is_empty());
            prop_assert!(packet.attachments().len() <= 10);
        }
    }

    /// The generator reaches every type and the full attachment range.
    #[test]
    fn binary_leaves_become_attachments(args in args(), name in event_name()) {
        let leaves: usize = args.iter().map(Tv::binary_count).sum();
        prop_assert!(leaves <= 10);
        let packet = Packet::event("/", &name, &args).unwrap();
        prop_assert_eq!(packet.attachments().len(), leaves);
    }
}

#[test]
fn generators_cover_all_types_and_ten_attachments() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;
    let mut runner = TestRunner::deterministic();
    let mut types = std::collections::HashSet::new();
    let mut most = 0;
    for _ in 0..2000 {
        let p = packet().new_tree(&mut runner).unwrap().current();
        types.insert(p.packet_type());
        most = most.max(p.attachments().len());
    }
    assert_eq!(types.len(), 7, "{types:?}");
    assert_eq!(most, 10);
}

fn bin(n: usize) -> Packet {
    let args: Vec<Bytes> = (0..n).map(|i| Bytes::from(vec![i as u8; 3])).collect();
    Packet::event("/", "up", &args).unwrap()
}

fn wire_of(items: &[Result<Packet, EnginePacket>]) -> Vec<u8> {
    let mut tx = client(None);
    let mut wire = BytesMut::new();
    for item in items {
        match item {
            Ok(p) => tx.encode(p, &mut wire).unwrap(),
            Err(e) => tx.encode(e.clone(), &mut wire).unwrap(),
        }
    }
    wire.to_vec()
}

#[test]
fn attachment_limits_through_the_stack() {
    let config = SocketConfig::default().with_max_attachments(2);
    let wire = wire_of(&[Ok(bin(2)), Ok(bin(3)), Ok(bin(1))]);
    let (got, err) = decode_all(&mut server(config.clone()), &[wire]);
    assert_eq!(got, [Inbound::Packet(bin(2))]);
    let err = err.expect("refused");
    assert!(
        matches!(err, Error::TooManyAttachments { count: 3, max: 2 }),
        "{err:?}"
    );
    assert!(err.is_peer_error() && err.is_limit_exceeded());
    assert_eq!(err.close_code(), Some(CloseCode::MessageTooBig));

    // Refused from the header: the attachments need not have arrived.
    let (text, _) = bin(3).encode();
    let wire = wire_of(&[Err(EnginePacket::Message(text))]);
    let mut rx = server(config);
    let (got, err) = decode_all(&mut rx, &[wire]);
    assert!(got.is_empty());
    assert!(matches!(err, Some(Error::TooManyAttachments { .. })));
    assert_eq!(rx.decoder().attachments_pending(), 0);

    // 0 refuses every binary packet, and nothing else.
    let none = SocketConfig::default().with_max_attachments(0);
    let plain = Packet::event("/", "x", &(1,)).unwrap();
    let wire = wire_of(&[Ok(plain.clone()), Ok(bin(1))]);
    let (got, err) = decode_all(&mut server(none), &[wire]);
    assert_eq!(got, [Inbound::Packet(plain)]);
    assert!(matches!(
        err,
        Some(Error::TooManyAttachments { count: 1, max: 0 })
    ));

    // Sizes, as each attachment arrives.
    let sizes = SocketConfig::default()
        .with_max_attachment_size(3)
        .with_max_total_attachment_size(5);
    let wire = wire_of(&[Ok(bin(1)), Ok(bin(2))]);
    let (got, err) = decode_all(&mut server(sizes), &[wire]);
    assert_eq!(got, [Inbound::Packet(bin(1))]);
    assert!(matches!(
        err,
        Some(Error::AttachmentsTooLarge { size: 6, max: 5 })
    ));
}

#[test]
fn an_error_leaves_the_packets_before_it_delivered() {
    let first = Packet::event_with_ack("/chat", "a\u{e9}", &("\u{1F600}",), 7).unwrap();
    let second = bin(2);
    let wire = wire_of(&[
        Ok(first.clone()),
        Err(EnginePacket::ping()),
        Ok(second.clone()),
        Err(EnginePacket::message(r#"2{}"#)),
        Ok(first.clone()),
    ]);
    let want = [
        Inbound::Packet(first),
        Inbound::Engine(EnginePacket::ping()),
        Inbound::Packet(second),
    ];
    for cut in 0..=wire.len() {
        let (got, err) = decode_all(&mut server(SocketConfig::default()), &chunks(&wire, &[cut]));
        assert_eq!(got, want, "split {cut}");
        let err = err.expect("refused");
        assert!(
            matches!(
                err,
                Error::InvalidPayload {
                    packet_type: PacketType::Event
                }
            ),
            "{err:?}"
        );
        assert_eq!(err.close_code(), Some(CloseCode::ProtocolError));
    }

    // An Engine.IO error below is a peer error too, after the packets
    // before it.
    let mut tx = MessageCodec::new(Role::Client);
    let mut wire = BytesMut::from(&wire_of(&[Ok(bin(1))])[..]);
    tx.encode(tether_message::Message::text("9"), &mut wire)
        .unwrap();
    let (got, err) = decode_all(&mut server(SocketConfig::default()), &[wire.to_vec()]);
    assert_eq!(got, [Inbound::Packet(bin(1))]);
    let err = err.expect("refused");
    assert!(
        matches!(err, Error::Engine(_)) && err.is_peer_error(),
        "{err:?}"
    );
}

#[test]
fn engine_packets_pass_through() {
    let open = EnginePacket::Open(
        OpenPacket::new("sid\u{e9}")
            .with_upgrades(["websocket"])
            .with_heartbeat(25_000, 20_000)
            .with_max_payload(1_000_000),
    );
    let (text, attachments) = bin(2).encode();
    let mut tx = client(Some(2));
    let mut wire = BytesMut::new();
    let sent = [
        open.clone(),
        EnginePacket::Noop,
        EnginePacket::Message(text),
        EnginePacket::Noop,
        EnginePacket::Binary(attachments[0].clone()),
        EnginePacket::Upgrade,
        EnginePacket::pong_probe(),
        EnginePacket::Binary(attachments[1].clone()),
        EnginePacket::Close,
    ];
    for e in &sent {
        tx.encode(e.clone(), &mut wire).unwrap();
    }
    let want = [
        Inbound::Engine(open),
        Inbound::Engine(EnginePacket::Noop),
        Inbound::Engine(EnginePacket::Noop),
        Inbound::Engine(EnginePacket::Upgrade),
        Inbound::Engine(EnginePacket::pong_probe()),
        Inbound::Packet(bin(2)),
        Inbound::Engine(EnginePacket::Close),
    ];
    let every: Vec<usize> = (1..wire.len()).collect();
    for cuts in [vec![], every] {
        let mut rx = server(SocketConfig::default());
        let (got, err) = decode_all(&mut rx, &chunks(&wire, &cuts));
        assert!(err.is_none(), "{err:?}");
        assert_eq!(got, want);
    }
}
