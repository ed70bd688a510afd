//! The serde bridge: byte strings ⇄ placeholders and attachments, typed
//! arguments, key order.

use std::borrow::Cow;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tether_socketio::{
    Error, ErrorKind, EventName, Packet, PacketDecoder, PacketType, Payload, Utf8Bytes,
};

fn decode(text: &str, attachments: &[Bytes]) -> Packet {
    let mut decoder = PacketDecoder::new();
    let mut packet = decoder.decode_text(Utf8Bytes::from(text)).expect(text);
    for data in attachments {
        packet = decoder.decode_binary(data.clone()).expect("attachment");
    }
    packet.expect("complete")
}

fn b(s: &'static [u8]) -> Bytes {
    Bytes::from_static(s)
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Y(Bytes, Z);

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Z {
    z: Bytes,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Doc {
    x: Bytes,
    y: Y,
}

/// The reference encoder (`deconstructPacket`) numbers binary values
/// depth-first, pre-order: for `["a", {x: b0, y: [b1, {z: b2}]}, b3]`, the
/// text below (what socket.io-parser 4.2 writes for that data).
const NESTED: &str = r#"54-["ev","a",{"x":{"_placeholder":true,"num":0},"y":[{"_placeholder":true,"num":1},{"z":{"_placeholder":true,"num":2}}]},{"_placeholder":true,"num":3}]"#;

#[test]
fn attachments_depth_first_like_the_reference() {
    let doc = Doc {
        x: b(b"b0"),
        y: Y(b(b"b1"), Z { z: b(b"b2") }),
    };
    let packet = Packet::event("/", "ev", &("a", &doc, b(b"b3"))).expect("event");
    let (text, attachments) = packet.encode();
    assert_eq!(text, NESTED);
    assert_eq!(attachments, [b(b"b0"), b(b"b1"), b(b"b2"), b(b"b3")]);

    // And back, from the reference's bytes.
    let received = decode(NESTED, &attachments);
    let (a, got, b3): (String, Doc, Bytes) = received.args().expect("args");
    assert_eq!((a.as_str(), got, b3), ("a", doc, b(b"b3")));
}

#[test]
fn placeholders_put_back_by_number_not_by_order() {
    let text = r#"53-["ev",{"_placeholder":true,"num":2},[{"num":0,"_placeholder":true}],{"k":{"_placeholder":true,"num":1}}]"#;
    let packet = decode(text, &[b(b"zero"), b(b"one"), b(b"two")]);
    #[derive(Deserialize)]
    struct K {
        k: Bytes,
    }
    let (first, second, third): (Bytes, Vec<Bytes>, K) = packet.args().expect("args");
    assert_eq!(
        (&first[..], &second[0][..], &third.k[..]),
        (&b"two"[..], &b"zero"[..], &b"one"[..])
    );
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Upload {
    name: String,
    #[serde(with = "serde_bytes")]
    body: Vec<u8>,
    parts: Vec<Part>,
    thumb: Option<Bytes>,
    meta: Value,
}

#[derive(Serialize, Deserialize, Debug, PartialEq)]
struct Part {
    index: u32,
    data: serde_bytes::ByteBuf,
}

#[test]
fn typed_args_round_trip() {
    let upload = Upload {
        name: "f".into(),
        body: vec![1, 2, 3],
        parts: vec![
            Part {
                index: 0,
                data: serde_bytes::ByteBuf::from(vec![4]),
            },
            Part {
                index: 1,
                data: serde_bytes::ByteBuf::from(vec![]),
            },
        ],
        thumb: Some(b(b"\x89PNG")),
        meta: json!({"z": 1, "a": [null, true]}),
    };
    let args = ("title", b(b"raw"), &upload, 7u8);
    let packet = Packet::event_with_ack("/up", "upload", &args, 3).expect("event");
    assert_eq!(packet.packet_type(), PacketType::BinaryEvent);
    let (text, attachments) = packet.encode();
    assert_eq!(attachments.len(), 5);
    assert!(text.starts_with("55-/up,3[\"upload\",\"title\",{\"_placeholder\":true,\"num\":0},"));

    let received = decode(&text, &attachments);
    assert_eq!(received, packet);
    let (title, raw, got, n): (String, Bytes, Upload, u8) = received.args().expect("args");
    assert_eq!((title.as_str(), raw, n), ("title", b(b"raw"), 7));
    assert_eq!(got, upload);

    // A Vec<u8> without serde_bytes is a sequence of numbers on the way out,
    // but takes an attachment on the way in.
    let (_, raw): (String, Vec<u8>) = received.args().expect("plain Vec<u8> from an attachment");
    assert_eq!(raw, b"raw");
    let plain = Packet::event("/", "x", &(vec![1u8, 2],)).expect("plain");
    assert_eq!(plain.encode_text(), r#"2["x",[1,2]]"#);

    // The same through an ack.
    let ack = Packet::ack("/up", 3, &(b(b"ok"), "done")).expect("ack");
    let (text, attachments) = ack.encode();
    assert_eq!(text, r#"61-/up,3[{"_placeholder":true,"num":0},"done"]"#);
    let (ok, done): (serde_bytes::ByteBuf, String) =
        decode(&text, &attachments).ack_args().expect("ack args");
    assert_eq!((ok.as_slice(), done.as_str()), (&b"ok"[..], "done"));
}

#[test]
fn args_shapes() {
    let packet = decode(r#"2["ev","a",2,{"k":[true]},null]"#, &[]);
    let all: Vec<Value> = packet.args().expect("vec");
    assert_eq!(
        all,
        vec![json!("a"), json!(2), json!({"k": [true]}), Value::Null]
    );
    let (a,): (String,) = packet.args().expect("fewer: the rest is ignored");
    assert_eq!(a, "a");
    #[derive(Deserialize, Debug)]
    struct AsSeq {
        a: String,
        n: u32,
    }
    let seq: AsSeq = packet.args().expect("struct as a sequence");
    assert_eq!((seq.a.as_str(), seq.n), ("a", 2));
    let borrowed: (&str, u32) = packet.args().expect("borrowed from the message");
    assert_eq!(borrowed, ("a", 2));
    let err = packet.args::<(u32,)>().expect_err("wrong type");
    assert!(matches!(err, Error::Deserialize(_)));
    assert_eq!(err.kind(), ErrorKind::Data);
    assert!(
        packet.args::<(String, u32, Value, Value, u8)>().is_err(),
        "too few arguments"
    );
    assert!(matches!(
        packet.ack_args::<Vec<Value>>(),
        Err(Error::WrongPacketType {
            packet_type: PacketType::Event
        })
    ));
    let whole: Vec<Value> = packet.data().expect("data").expect("some");
    assert_eq!(whole.len(), 5);

    let none = decode(r#"2["ev"]"#, &[]);
    let empty: Vec<Value> = none.args().expect("no args");
    assert!(empty.is_empty());

    let ack = decode("31[1,2]", &[]);
    let (x, y): (u8, u8) = ack.ack_args().expect("ack");
    assert_eq!((x, y), (1, 2));
    assert!(matches!(
        ack.args::<Vec<u8>>(),
        Err(Error::WrongPacketType { .. })
    ));
    assert!(ack.event_name().is_none());
}

#[test]
fn event_names() {
    let name = |text: &str| decode(text, &[]).event_name().expect("name").into_owned();
    assert_eq!(
        name(r#"2["chat",1]"#),
        EventName::Str(Cow::Borrowed("chat"))
    );
    assert!(matches!(
        decode(r#"2["chat"]"#, &[]).event_name(),
        Some(EventName::Str(Cow::Borrowed(_)))
    ));
    let packet = decode(r#"2[ "chat" ,1]"#, &[]);
    assert_eq!(
        packet
            .event_name()
            .and_then(|n| n.as_str().map(String::from))
            .as_deref(),
        Some("chat")
    );
    assert!(matches!(
        decode(r#"2["a\"b"]"#, &[]).event_name(),
        Some(EventName::Str(Cow::Owned(s))) if s == "a\"b"
    ));
    assert_eq!(name("2[42,\"x\"]"), EventName::Number(42.into()));
    assert_eq!(
        name("2[-1.5]"),
        EventName::Number(serde_json::Number::from_f64(-1.5).expect("finite"))
    );
    assert!(
        decode(r#"51-["bin",{"_placeholder":true,"num":0}]"#, &[b(b"")])
            .event_name()
            .is_some()
    );
    assert!(decode("0", &[]).event_name().is_none());
}

#[test]
fn connect_and_connect_error_data() {
    #[derive(Deserialize, Serialize, Debug, PartialEq)]
    struct Auth {
        token: String,
    }
    let packet = decode(r#"0/admin,{"token":"secret"}"#, &[]);
    assert_eq!(
        packet.data::<Auth>().expect("auth"),
        Some(Auth {
            token: "secret".into()
        })
    );
    assert_eq!(decode("0", &[]).data::<Auth>().expect("none"), None);
    let built = Packet::connect_with(
        "/admin",
        &Auth {
            token: "secret".into(),
        },
    )
    .expect("built");
    assert_eq!(built, packet);
    // CONNECT has no attachments: bytes are written as numbers.
    let with_bytes = Packet::connect_with("/", &json!({"k": 1})).expect("c");
    assert!(with_bytes.attachments().is_empty());
    #[derive(Serialize)]
    struct Raw {
        b: Bytes,
    }
    let raw = Packet::connect_with("/", &Raw { b: b(b"\x01\x02") }).expect("raw");
    assert_eq!(raw.encode_text(), r#"0{"b":[1,2]}"#);

    #[derive(Deserialize, Debug, PartialEq)]
    struct Refusal {
        message: String,
        data: Option<Value>,
    }
    let refused = decode(r#"4{"message":"not authorized","data":{"code":4}}"#, &[]);
    assert_eq!(
        refused.data::<Refusal>().expect("refusal"),
        Some(Refusal {
            message: "not authorized".into(),
            data: Some(json!({"code": 4}))
        })
    );
    let text = decode(r#"4"old style""#, &[]);
    assert_eq!(
        text.data::<String>().expect("string").as_deref(),
        Some("old style")
    );
}

#[test]
fn key_order_survives_decode_and_encode() {
    let text = r#"2/k,["keys",{"z":1,"a":{"y":[{"q":0,"b":1}],"c":null},"m":"s"},{"_placeholder":true,"num":0}]"#;
    let packet = decode(text, &[]);
    assert_eq!(packet.encode_text(), text, "text kept as is");
    // Through serde_json::Value (preserve_order) and back.
    let args: Vec<Value> = packet.args().expect("values");
    let rebuilt = Packet::event("/k", "keys", &args).expect("rebuilt");
    assert_eq!(rebuilt.encode_text(), text);
    // Formatting survives too: the payload is never re-serialized.
    let spaced = "2[\"keys\", {\"z\" : 1,\n \"a\":2} ]";
    assert_eq!(decode(spaced, &[]).encode_text(), spaced);

    // Binary packet through Value: attachments become arrays of numbers
    // (serde_json::Value has no bytes), key order is kept around them.
    let text = r#"51-["keys",{"z":{"_placeholder":true,"num":0},"a":1}]"#;
    let packet = decode(text, &[b(b"\x07\x08")]);
    let (value,): (Value,) = packet.args().expect("value");
    assert_eq!(
        serde_json::to_string(&value).expect("json"),
        r#"{"z":[7,8],"a":1}"#
    );
}

#[test]
fn payload_directly() {
    let payload = Payload::from_serialize(&json!({"b": [1, {"c": "d"}], "a": null})).expect("p");
    assert_eq!(payload.json(), r#"{"b":[1,{"c":"d"}],"a":null}"#);
    assert!(payload.attachments().is_empty());
    let back: Value = payload.deserialize().expect("value");
    assert_eq!(back, json!({"b": [1, {"c": "d"}], "a": null}));

    let payload = Payload::from_serialize(&[Some(b(b"1")), None, Some(b(b"2"))]).expect("bin");
    assert_eq!(
        payload.json(),
        r#"[{"_placeholder":true,"num":0},null,{"_placeholder":true,"num":1}]"#
    );
    let back: Vec<Option<Bytes>> = payload.deserialize().expect("options");
    assert_eq!(back, [Some(b(b"1")), None, Some(b(b"2"))]);
}

#[test]
fn untagged_and_tagged_enums_reach_bytes() {
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    #[serde(untagged)]
    enum Arg {
        Text(String),
        Number(u64),
        Binary(Bytes),
    }
    #[derive(Serialize, Deserialize, Debug, PartialEq)]
    #[serde(tag = "kind")]
    enum Msg {
        File { data: Bytes },
        Note { text: String },
    }
    let args = (
        vec![Arg::Text("t".into()), Arg::Binary(b(b"bb")), Arg::Number(3)],
        Msg::File { data: b(b"ff") },
        Msg::Note { text: "n".into() },
    );
    let packet = Packet::event("/", "mixed", &args).expect("event");
    let (text, attachments) = packet.encode();
    assert_eq!(attachments, [b(b"bb"), b(b"ff")]);
    let got: (Vec<Arg>, Msg, Msg) = decode(&text, &attachments).args().expect("args");
    assert_eq!(got, args);
}
