//! The wire format: reference vectors, every header and payload rule, and
//! the encoders' own checks.

use bytes::Bytes;
use tether_socketio::{
    Error, ErrorKind, Packet, PacketDecoder, PacketType, SocketConfig, Utf8Bytes, MAX_ACK_ID,
    RESERVED_EVENT_NAMES,
};

fn hex(s: &str) -> Bytes {
    let digits = s.as_bytes();
    digits
        .chunks(2)
        .map(|pair| u8::from_str_radix(std::str::from_utf8(pair).expect("ascii"), 16).expect("hex"))
        .collect::<Vec<_>>()
        .into()
}

/// Decodes a whole packet: the text, then its attachments.
fn decode(text: &str, attachments: &[Bytes]) -> Result<Packet, Error> {
    let mut decoder = PacketDecoder::new();
    let mut packet = decoder.decode_text(Utf8Bytes::from(text))?;
    for data in attachments {
        assert!(packet.is_none(), "attachment after a complete packet");
        packet = decoder.decode_binary(data.clone())?;
    }
    Ok(packet.expect("complete"))
}

fn decode_err(text: &str) -> Error {
    let err = PacketDecoder::new()
        .decode_text(Utf8Bytes::from(text))
        .expect_err(text);
    assert!(err.is_peer_error(), "{text}: {err:?}");
    err
}

#[test]
fn reference_vectors_round_trip() {
    let vectors = include_str!("core_vectors.txt");
    let mut count = 0;
    for line in vectors
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
    {
        let mut fields = line.split('\t');
        let text = fields.next().expect("text");
        let attachments: Vec<Bytes> = fields.map(hex).collect();
        let packet = decode(text, &attachments).unwrap_or_else(|e| panic!("{text}: {e}"));
        assert_eq!(packet.attachments(), attachments.as_slice(), "{text}");
        assert_eq!(packet.packet_type().is_binary(), !attachments.is_empty());
        let (encoded, encoded_attachments) = packet.encode();
        assert_eq!(encoded, text, "re-encoded");
        assert_eq!(packet.text_len(), text.len());
        assert_eq!(encoded_attachments, attachments);
        count += 1;
    }
    assert!(count >= 35, "{count} vectors");
}

#[test]
fn header_fields_of_reference_packets() {
    let p = decode(
        "61-/admin,1[{\"_placeholder\":true,\"num\":0}]",
        &[hex("ff")],
    )
    .expect("ok");
    assert_eq!(p.packet_type(), PacketType::BinaryAck);
    assert_eq!(p.namespace(), "/admin");
    assert_eq!(p.ack_id(), Some(1));
    let (b,): (Bytes,) = p.ack_args().expect("args");
    assert_eq!(&b[..], b"\xff");

    let p = decode("212[\"foo\"]", &[]).expect("ok");
    assert_eq!(
        (p.packet_type(), p.namespace().as_str(), p.ack_id()),
        (PacketType::Event, "/", Some(12))
    );
    assert_eq!(
        p.event_name()
            .and_then(|n| n.as_str().map(String::from))
            .as_deref(),
        Some("foo")
    );
}

#[test]
fn both_namespace_forms() {
    for text in ["0/admin,", "0/admin"] {
        let p = decode(text, &[]).expect(text);
        assert_eq!(p.namespace(), "/admin");
        assert!(p.payload().is_none());
        assert_eq!(p.encode_text(), "0/admin,", "canonical form");
    }
    assert_eq!(
        decode("0/admin", &[]).expect("a"),
        decode("0/admin,", &[]).expect("b")
    );
    let p = decode("2/admin,[\"x\"]", &[]).expect("event");
    assert_eq!(p.namespace(), "/admin");
    // A namespace runs to the first comma, whatever it holds.
    let p = decode("1/a/b?c=d", &[]).expect("odd namespace");
    assert_eq!(p.namespace(), "/a/b?c=d");
    // No comma: everything is namespace, so an event has no payload.
    assert!(matches!(
        decode_err("2/admin[\"x\"]"),
        Error::InvalidPayload { .. }
    ));
    let p = decode("0/", &[]).expect("main namespace written out");
    assert_eq!(p.namespace(), "/");
    assert_eq!(p.encode_text(), "0");
    // Namespace slices share the message's bytes.
    let text = Utf8Bytes::from("2/chat,[\"x\"]");
    let p = PacketDecoder::new()
        .decode_text(text.clone())
        .expect("ok")
        .expect("packet");
    assert_eq!(
        p.namespace().as_ptr(),
        text.as_str()[1..].as_ptr(),
        "zero copy namespace"
    );
    let json = p.payload().expect("payload").json();
    assert_eq!(
        json.as_ptr(),
        text.as_str()[7..].as_ptr(),
        "zero copy payload"
    );
}

#[test]
fn ack_ids() {
    assert_eq!(decode("20[\"x\"]", &[]).expect("0").ack_id(), Some(0));
    assert_eq!(decode("2/a,0[\"x\"]", &[]).expect("0").ack_id(), Some(0));
    let max = format!("2{MAX_ACK_ID}[\"x\"]");
    assert_eq!(decode(&max, &[]).expect("max").ack_id(), Some(MAX_ACK_ID));
    assert_eq!(decode(&max, &[]).expect("max").encode_text(), max.as_str());
    let over = format!("2{}[\"x\"]", MAX_ACK_ID + 1);
    assert!(matches!(decode_err(&over), Error::InvalidAckId));
    assert!(matches!(
        decode_err("2999999999999999999999999999[\"x\"]"),
        Error::InvalidAckId
    ));
    assert!(matches!(decode_err("201[\"x\"]"), Error::InvalidAckId));
    assert!(matches!(decode_err("300[]"), Error::InvalidAckId));
    // Garbage where an id or a payload would be.
    assert!(matches!(
        decode_err("2a1[\"x\"]"),
        Error::InvalidJson { offset: 1 }
    ));
    assert!(matches!(
        decode_err("2/a,x1[\"x\"]"),
        Error::InvalidJson { offset: 4 }
    ));
    assert!(matches!(
        decode_err("2-1[\"x\"]"),
        Error::InvalidPayload { .. }
    ));
    // Whitespace, which the reference would read as ack id 0.
    assert!(matches!(
        decode_err("2 [\"x\"]"),
        Error::InvalidJson { offset: 1 }
    ));
    assert!(matches!(
        decode_err("212\t[\"x\"]"),
        Error::InvalidJson { offset: 3 }
    ));
    // Only events and acks carry ids; acks must.
    for (text, packet_type) in [
        ("01", PacketType::Connect),
        ("0/a,1{}", PacketType::Connect),
        ("11", PacketType::Disconnect),
        ("41\"x\"", PacketType::ConnectError),
    ] {
        assert!(
            matches!(decode_err(text), Error::UnexpectedAckId { packet_type: t } if t == packet_type),
            "{text}"
        );
    }
    assert!(matches!(
        decode_err("3[]"),
        Error::MissingAckId {
            packet_type: PacketType::Ack
        }
    ));
    assert!(matches!(
        decode_err("61-[{\"_placeholder\":true,\"num\":0}]"),
        Error::MissingAckId {
            packet_type: PacketType::BinaryAck
        }
    ));
    assert_eq!(decode("31[]", &[]).expect("ack").ack_id(), Some(1));
}

#[test]
fn packet_types() {
    assert!(matches!(decode_err(""), Error::EmptyPacket));
    for (text, byte) in [
        ("7", b'7'),
        ("9[]", b'9'),
        ("a", b'a'),
        ("/", b'/'),
        ("é", 0xc3),
    ] {
        assert!(
            matches!(decode_err(text), Error::UnknownPacketType { byte: b } if b == byte),
            "{text}"
        );
    }
}

#[test]
fn attachment_counts() {
    for text in [
        "5[\"x\"]",
        "5-[\"x\"]",
        "50-[\"x\"]",
        "501-[\"x\",{\"_placeholder\":true,\"num\":0}]",
        "5a-[\"x\"]",
        "51[\"x\"]",
        "51",
        "5",
        "6-1[]",
        "51/a,-[\"x\"]",
    ] {
        assert!(
            matches!(decode_err(text), Error::InvalidAttachmentCount),
            "{text}"
        );
    }
    assert!(matches!(
        decode_err("511-[\"x\"]"),
        Error::TooManyAttachments { count: 11, max: 10 }
    ));
    assert!(matches!(
        decode_err("5999999999999999999999999-[\"x\"]"),
        Error::TooManyAttachments {
            count: u64::MAX,
            max: 10
        }
    ));
    // At the limit is fine.
    let json: Vec<String> = (0..10)
        .map(|i| format!("{{\"_placeholder\":true,\"num\":{i}}}"))
        .collect();
    let text = format!("510-[\"x\",{}]", json.join(","));
    let attachments: Vec<Bytes> = (0..10u8).map(|i| Bytes::from(vec![i])).collect();
    let p = decode(&text, &attachments).expect("ten");
    assert_eq!(p.attachments().len(), 10);
    assert_eq!(p.encode_text(), text.as_str());
    for (text, packet_type) in [
        ("21-[\"x\"]", PacketType::Event),
        ("31-1[]", PacketType::Ack),
        ("01-", PacketType::Connect),
        ("10-", PacketType::Disconnect),
    ] {
        assert!(
            matches!(decode_err(text), Error::UnexpectedAttachmentCount { packet_type: t } if t == packet_type),
            "{text}"
        );
    }
    // A binary header is rejected before anything is buffered.
    let mut decoder = PacketDecoder::with_config(SocketConfig::default().with_max_attachments(1));
    assert!(decoder.decode_text("52-[\"x\"]".into()).is_err());
    assert_eq!(decoder.attachments_pending(), 0);
}

#[test]
fn payload_rules_per_type() {
    use PacketType::*;
    let invalid = [
        ("0[]", Connect),
        ("0\"x\"", Connect),
        ("0null", Connect),
        ("0true", Connect),
        ("0/a,[]", Connect),
        ("1{}", Disconnect),
        ("1[]", Disconnect),
        ("1/a,{}", Disconnect),
        ("1x", Disconnect),
        ("2", Event),
        ("2/a,", Event),
        ("2[]", Event),
        ("2{}", Event),
        ("2\"x\"", Event),
        ("2[null]", Event),
        ("2[true]", Event),
        ("2[[\"x\"]]", Event),
        ("2[{\"x\":1}]", Event),
        ("31", Ack),
        ("31{}", Ack),
        ("31\"x\"", Ack),
        ("4", ConnectError),
        ("4/a,", ConnectError),
        ("4[]", ConnectError),
        ("41", ConnectError),
        ("4null", ConnectError),
        ("51-", BinaryEvent),
        ("51-[]", BinaryEvent),
        ("51-{}", BinaryEvent),
        ("61-1", BinaryAck),
        ("61-1{}", BinaryAck),
    ];
    for (text, packet_type) in invalid {
        let err = decode_err(text);
        let expected = if text == "41" {
            // An id on CONNECT_ERROR is refused first.
            matches!(err, Error::UnexpectedAckId { .. })
        } else {
            matches!(err, Error::InvalidPayload { packet_type: t } if t == packet_type)
        };
        assert!(expected, "{text}: {err:?}");
    }
    let valid = [
        "0",
        "0{}",
        "0{\"token\":\"abc\",\"n\":[1,{\"x\":null}]}",
        "1",
        "2[\"x\"]",
        "2[1]",
        "2[-1.5e3,\"y\"]",
        "2[\"\"]",
        "31[]",
        "31[[],{},null]",
        "4\"refused\"",
        "4{\"message\":\"m\",\"data\":{\"a\":1}}",
        "2[\"x\"] \n",
    ];
    for text in valid {
        decode(text, &[]).unwrap_or_else(|e| panic!("{text}: {e}"));
    }
}

#[test]
fn reserved_event_names() {
    for name in RESERVED_EVENT_NAMES {
        let text = format!("2[\"{name}\",1]");
        assert!(
            matches!(decode_err(&text), Error::ReservedEventName),
            "{text}"
        );
        let text = format!("51-[\"{name}\",{{\"_placeholder\":true,\"num\":0}}]");
        assert!(
            matches!(decode_err(&text), Error::ReservedEventName),
            "{text}"
        );
        assert!(matches!(
            Packet::event("/", name, &()),
            Err(Error::OutgoingReservedEventName)
        ));
    }
    // Escaped, still reserved; case matters; later arguments may use the names.
    assert!(matches!(
        decode_err("2[\"disc\\u006fnnect\"]"),
        Error::ReservedEventName
    ));
    decode("2[\"Connect\"]", &[]).expect("case-sensitive");
    decode("2[\"x\",\"connect\"]", &[]).expect("argument");
    decode("31[\"disconnect\"]", &[]).expect("ack argument");
}

#[test]
fn invalid_json_and_trailing_garbage() {
    for (text, offset) in [
        ("2[\"x\"", 5),
        ("2[\"x\"]x", 6),
        ("2[\"x\"]]", 6),
        ("2[\"x\"][]", 6),
        ("2[\"x\",]", 6),
        ("0{\"a\":}", 6),
        ("0/admin,{\"a\" 1}", 13),
        ("2[\"x\",tru]", 9),
        ("4'x'", 1),
        ("2[\"\u{1}\"]", 3),
    ] {
        let err = decode_err(text);
        assert!(
            matches!(err, Error::InvalidJson { offset: o } if o == offset),
            "{text}: {err:?}"
        );
    }
}

#[test]
fn placeholder_rules() {
    let ok = |text: &str, n: usize| {
        let attachments: Vec<Bytes> = (0..n).map(|i| Bytes::from(vec![i as u8])).collect();
        decode(text, &attachments).unwrap_or_else(|e| panic!("{text}: {e}"))
    };
    ok(r#"51-["x",{"num":0,"_placeholder":true}]"#, 1);
    ok(
        r#"52-["x",[{"a":[{"_placeholder":true,"num":1}]}],{"_placeholder":true,"num":0}]"#,
        2,
    );
    ok(
        r#"51-["x",{"_placeholder":false,"num":0},{"_placeholder":true,"num":0}]"#,
        1,
    );
    ok(
        r#"51-["x",{"_placeholder":"yes","num":99,"z":1},{"_placeholder":true,"num":0}]"#,
        1,
    );
    // Unused or reused attachments are the reference's behaviour too.
    ok(
        r#"52-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":0}]"#,
        2,
    );
    for text in [
        r#"51-["x",{"_placeholder":true,"num":1}]"#,
        r#"51-["x",{"_placeholder":true,"num":-1}]"#,
        r#"51-["x",{"_placeholder":true,"num":0.0}]"#,
        r#"51-["x",{"_placeholder":true,"num":null}]"#,
        r#"51-["x",{"_placeholder":true}]"#,
        r#"51-["x",{"_placeholder":true,"num":0,"extra":1}]"#,
        r#"51-["x",{"extra":1,"num":0,"_placeholder":true}]"#,
        r#"51-["x",{"a":{"b":[{"_placeholder":true,"num":7}]}}]"#,
        r#"61-3[{"_placeholder":true,"num":1}]"#,
    ] {
        assert!(
            matches!(decode_err(text), Error::IllegalPlaceholder),
            "{text}"
        );
    }
    // Outside binary packets, an ordinary object.
    let p = decode(r#"2["x",{"_placeholder":true,"num":3}]"#, &[]).expect("plain");
    let (v,): (serde_json::Value,) = p.args().expect("value");
    assert_eq!(v, serde_json::json!({"_placeholder": true, "num": 3}));
}

#[test]
fn decoder_sequencing() {
    let mut decoder = PacketDecoder::new();
    assert!(matches!(
        decoder.decode_binary(Bytes::new()),
        Err(Error::UnexpectedBinary)
    ));
    let text = r#"52-["x",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#;
    assert!(decoder.decode_text(text.into()).expect("header").is_none());
    assert_eq!(decoder.attachments_pending(), 2);
    assert!(decoder
        .decode_binary(Bytes::new())
        .expect("empty attachment")
        .is_none());
    assert_eq!(decoder.attachments_pending(), 1);
    let err = decoder
        .decode_text("2[\"x\"]".into())
        .expect_err("text while pending");
    assert!(matches!(err, Error::UnexpectedText { pending: 1 }));
    assert_eq!(decoder.attachments_pending(), 0, "dropped");
    // After an error the decoder starts afresh.
    assert!(decoder
        .decode_text("2[\"y\"]".into())
        .expect("fresh")
        .is_some());
    assert!(matches!(
        decoder.decode_binary(Bytes::new()),
        Err(Error::UnexpectedBinary)
    ));
    // Errors in a header leave the decoder idle too.
    assert!(decoder.decode_text("5x".into()).is_err());
    assert_eq!(decoder.attachments_pending(), 0);
}

#[derive(serde::Serialize)]
struct NotASequence {
    a: u8,
}

#[test]
fn encoders_validate() {
    for nsp in ["", "admin", "/a,b", ","] {
        assert!(
            matches!(Packet::connect(nsp), Err(Error::InvalidNamespace)),
            "{nsp}"
        );
        assert!(matches!(
            Packet::event(nsp, "x", &()),
            Err(Error::InvalidNamespace)
        ));
        assert!(matches!(
            Packet::ack(nsp, 1, &()),
            Err(Error::InvalidNamespace)
        ));
        assert!(matches!(
            Packet::disconnect(nsp),
            Err(Error::InvalidNamespace)
        ));
        assert!(matches!(
            Packet::connect_error(nsp, "m"),
            Err(Error::InvalidNamespace)
        ));
    }
    for args in [
        Packet::event("/", "x", &NotASequence { a: 1 }),
        Packet::event("/", "x", &"str"),
        Packet::event("/", "x", &1),
        Packet::event("/", "x", &Bytes::from_static(b"b")),
    ] {
        let err = args.expect_err("not a sequence");
        assert!(matches!(
            err,
            Error::OutgoingInvalidPayload {
                packet_type: PacketType::Event
            }
        ));
        assert_eq!(err.kind(), ErrorKind::Caller);
    }
    assert!(matches!(
        Packet::ack("/", 1, &NotASequence { a: 1 }),
        Err(Error::OutgoingInvalidPayload {
            packet_type: PacketType::Ack
        })
    ));
    assert!(matches!(
        Packet::event_with_ack("/", "x", &(), MAX_ACK_ID + 1),
        Err(Error::OutgoingInvalidAckId)
    ));
    assert!(matches!(
        Packet::ack("/", MAX_ACK_ID + 1, &()),
        Err(Error::OutgoingInvalidAckId)
    ));
    assert!(matches!(
        Packet::connect_with("/", &[1]),
        Err(Error::OutgoingInvalidPayload {
            packet_type: PacketType::Connect
        })
    ));
    assert!(matches!(
        Packet::connect_error_with("/", &5),
        Err(Error::OutgoingInvalidPayload {
            packet_type: PacketType::ConnectError
        })
    ));
}

#[test]
fn encoders_write_the_reference_forms() {
    let text = |p: Result<Packet, Error>| p.expect("valid").encode_text().to_string();
    assert_eq!(text(Packet::connect("/")), "0");
    assert_eq!(text(Packet::connect("/admin")), "0/admin,");
    assert_eq!(
        text(Packet::connect_with(
            "/admin",
            &serde_json::json!({"sid": "oSO0OpakMV_3jnilAAAA"})
        )),
        r#"0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}"#
    );
    assert_eq!(
        text(Packet::connect_error("/", "Not authorized")),
        r#"4{"message":"Not authorized"}"#
    );
    assert_eq!(text(Packet::connect_error_with("/a", &"no")), r#"4/a,"no""#);
    assert_eq!(text(Packet::disconnect("/")), "1");
    assert_eq!(text(Packet::disconnect("/admin")), "1/admin,");
    assert_eq!(text(Packet::event("/", "foo", &())), r#"2["foo"]"#);
    assert_eq!(
        text(Packet::event("/", "foo", &Vec::<u8>::new())),
        r#"2["foo"]"#
    );
    assert_eq!(
        text(Packet::event("/admin", "bar", &())),
        r#"2/admin,["bar"]"#
    );
    assert_eq!(
        text(Packet::event("/", "hey", &("Jude",))),
        r#"2["hey","Jude"]"#
    );
    assert_eq!(
        text(Packet::event("/", "a\"b", &[1, 2])),
        r#"2["a\"b",1,2]"#
    );
    assert_eq!(
        text(Packet::event_with_ack("/", "foo", &(), 12)),
        r#"212["foo"]"#
    );
    assert_eq!(
        text(Packet::ack("/admin", 13, &("bar",))),
        r#"3/admin,13["bar"]"#
    );
    assert_eq!(text(Packet::ack("/", 0, &())), "30[]");
    let p = Packet::ack("/", 15, &("bar", Bytes::from_static(&[1, 2, 3, 4]))).expect("binary");
    assert_eq!(p.packet_type(), PacketType::BinaryAck);
    let (t, a) = p.encode();
    assert_eq!(t, r#"61-15["bar",{"_placeholder":true,"num":0}]"#);
    assert_eq!(a, [Bytes::from_static(&[1, 2, 3, 4])]);
    let p = Packet::event(
        "/admin",
        "baz",
        &(Bytes::from_static(&[1, 2]), Bytes::from_static(&[3, 4])),
    )
    .expect("binary");
    assert_eq!(
        p.encode_text(),
        r#"52-/admin,["baz",{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]"#
    );
    assert_eq!(p.text_len(), p.encode_text().len());
    let mut out = String::from("4");
    p.write_text(&mut out);
    assert!(out.starts_with("452-/admin,"));
}

#[test]
fn built_packets_decode_to_themselves() {
    let packets = [
        Packet::connect("/").expect("a"),
        Packet::connect_with("/x", &serde_json::json!({"token": 1})).expect("b"),
        Packet::disconnect("/x").expect("c"),
        Packet::event_with_ack("/x", "e", &(1, "two", [3]), 9).expect("d"),
        Packet::ack("/", 4, &(Bytes::from_static(b"z"),)).expect("e"),
        Packet::connect_error("/x", "nope").expect("f"),
    ];
    for packet in packets {
        let (text, attachments) = packet.encode();
        assert_eq!(
            decode(&text, &attachments).expect("decodes"),
            packet,
            "{text}"
        );
    }
}
