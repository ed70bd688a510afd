//! Property tests: arbitrary nested values with binary leaves survive
//! encode → decode exactly, and arbitrary input never panics the decoder.

use std::fmt;

use bytes::Bytes;
use proptest::prelude::*;
use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::Value;
use tether_socketio::{Packet, PacketDecoder, PacketType, SocketConfig, Utf8Bytes};

/// A JSON value that may hold binary leaves.
mod common;
use common::Tv;

/// Decodes exactly the shape of the expected value, asking for bytes the
/// three ways users do (`Bytes`, `serde_bytes::ByteBuf`, plain `Vec<u8>`).
struct Guided<'a>(&'a Tv);

impl<'de> DeserializeSeed<'de> for Guided<'_> {
    type Value = Tv;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Tv, D::Error> {
        match self.0 {
            Tv::Null => <()>::deserialize(d).map(|()| Tv::Null),
            Tv::Bool(_) => bool::deserialize(d).map(Tv::Bool),
            Tv::Int(_) => i64::deserialize(d).map(Tv::Int),
            Tv::Float(_) => f64::deserialize(d).map(Tv::Float),
            Tv::Str(_) => String::deserialize(d).map(Tv::Str),
            Tv::Bin(b) => match b.len() % 3 {
                0 => Bytes::deserialize(d).map(Tv::Bin),
                1 => serde_bytes::ByteBuf::deserialize(d).map(|v| Tv::Bin(v.into_vec().into())),
                _ => Vec::<u8>::deserialize(d).map(|v| Tv::Bin(v.into())),
            },
            Tv::Arr(items) => d.deserialize_seq(ArrVisitor(items)),
            Tv::Obj(entries) => d.deserialize_map(ObjVisitor(entries)),
        }
    }
}

struct ArrVisitor<'a>(&'a [Tv]);

impl<'de> Visitor<'de> for ArrVisitor<'_> {
    type Value = Tv;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of {}", self.0.len())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Tv, A::Error> {
        let mut out = Vec::new();
        for (i, item) in self.0.iter().enumerate() {
            out.push(
                seq.next_element_seed(Guided(item))?
                    .ok_or_else(|| de::Error::invalid_length(i, &self))?,
            );
        }
        if seq.next_element::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("extra element"));
        }
        Ok(Tv::Arr(out))
    }
}

struct ObjVisitor<'a>(&'a [(String, Tv)]);

impl<'de> Visitor<'de> for ObjVisitor<'_> {
    type Value = Tv;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an object of {}", self.0.len())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Tv, A::Error> {
        let mut out = Vec::new();
        for (key, value) in self.0 {
            let got: String = map
                .next_key()?
                .ok_or_else(|| de::Error::custom("missing key"))?;
            if &got != key {
                return Err(de::Error::custom(format!("key {got:?}, expected {key:?}")));
            }
            out.push((got, map.next_value_seed(Guided(value))?));
        }
        if map.next_key::<IgnoredAny>()?.is_some() {
            return Err(de::Error::custom("extra key"));
        }
        Ok(Tv::Obj(out))
    }
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("num".to_string()),
        Just("_placeholder".to_string()),
        Just("a".to_string()),
        Just("k\"\\é".to_string()),
        "[a-z_]{0,6}",
    ]
}

fn tv() -> impl Strategy<Value = Tv> {
    let leaf = prop_oneof![
        Just(Tv::Null),
        any::<bool>().prop_map(Tv::Bool),
        any::<i64>().prop_map(Tv::Int),
        (-1000i32..1000).prop_map(|i| Tv::Float(f64::from(i) / 8.0)),
        "\\PC{0,8}".prop_map(Tv::Str),
        proptest::collection::vec(any::<u8>(), 0..24).prop_map(|v| Tv::Bin(v.into())),
    ];
    leaf.prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..6).prop_map(Tv::Arr),
            proptest::collection::vec((key(), inner), 0..6).prop_map(|entries| {
                let mut seen = std::collections::HashSet::new();
                Tv::Obj(
                    entries
                        .into_iter()
                        .filter(|(k, _)| seen.insert(k.clone()))
                        .map(|(k, v)| {
                            // `"_placeholder": true` is reserved in binary packets.
                            if k == "_placeholder" && v == Tv::Bool(true) {
                                (k, Tv::Bool(false))
                            } else {
                                (k, v)
                            }
                        })
                        .collect(),
                )
            }),
        ]
    })
}

fn args() -> impl Strategy<Value = Vec<Tv>> {
    proptest::collection::vec(tv(), 0..5).prop_map(|mut args| {
        let mut left = 10;
        args.iter_mut().for_each(|a| a.cap_binaries(&mut left));
        args
    })
}

fn receive(decoder: &mut PacketDecoder, text: Utf8Bytes, attachments: &[Bytes]) -> Packet {
    let mut packet = decoder.decode_text(text).expect("text");
    assert_eq!(decoder.attachments_pending(), attachments.len());
    for data in attachments {
        assert!(packet.is_none());
        packet = decoder.decode_binary(data.clone()).expect("attachment");
    }
    packet.expect("complete")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn event_round_trip(args in args(), nsp in prop_oneof![Just("/"), Just("/room")], ack in proptest::option::of(0u64..=tether_socketio::MAX_ACK_ID)) {
        let packet = match ack {
            Some(id) => Packet::event_with_ack(nsp, "ev", &args, id),
            None => Packet::event(nsp, "ev", &args),
        }.expect("valid");
        let mut expected_bins = Vec::new();
        args.iter().for_each(|a| a.binaries(&mut expected_bins));
        prop_assert!(expected_bins.len() <= 10);
        let (text, attachments) = packet.encode();
        prop_assert_eq!(attachments.iter().collect::<Vec<_>>(), expected_bins);
        prop_assert_eq!(packet.packet_type() == PacketType::BinaryEvent, !attachments.is_empty());

        let mut decoder = PacketDecoder::new();
        let received = receive(&mut decoder, text.clone(), &attachments);
        prop_assert_eq!(&received, &packet);
        prop_assert_eq!(received.encode_text(), text);
        prop_assert_eq!(received.ack_id(), ack);

        // Typed, guided by the expected shape.
        let mut whole = vec![Tv::Str("ev".into())];
        whole.extend(args.iter().cloned());
        let whole = Tv::Arr(whole);
        let got = received.payload().expect("payload").deserialize_seed(Guided(&whole)).expect("guided");
        prop_assert_eq!(got, whole);

        // Untyped: binary becomes arrays of numbers, key order kept.
        let values: Vec<Value> = received.args().expect("values");
        prop_assert_eq!(&values, &args.iter().map(Tv::to_value).collect::<Vec<_>>());
        let (v_text, _) = Packet::event(nsp, "ev", &values).expect("from values").encode();
        let plain: Vec<Value> = serde_json::from_str::<Vec<Value>>(&v_text[v_text.find('[').expect("array")..]).expect("json")[1..].to_vec();
        prop_assert_eq!(plain, values);
    }

    #[test]
    fn ack_round_trip(args in args(), id in 0u64..1000) {
        let packet = Packet::ack("/", id, &args).expect("ack");
        let (text, attachments) = packet.encode();
        let received = receive(&mut PacketDecoder::new(), text, &attachments);
        prop_assert_eq!(&received, &packet);
        let whole = Tv::Arr(args.clone());
        let got = received.payload().expect("payload").deserialize_seed(Guided(&whole)).expect("guided");
        prop_assert_eq!(got, whole);
    }

    /// Headers and payloads assembled from protocol pieces and junk: the
    /// decoder never panics, and whatever it accepts re-encodes to a text
    /// that decodes to the same packet.
    #[test]
    fn arbitrary_input(
        header in prop_oneof![
            "[0-7]?([0-9]{0,2}-)?(/[a-z,]{0,3})?[0-9]{0,3}",
            prop_oneof![Just("0"), Just("1/a,"), Just("2"), Just("2/a,7"), Just("31"), Just("4"), Just("51-"), Just("61-/b,0"), Just("52-9")]
                .prop_map(String::from),
        ],
        body in prop_oneof![
            "[\\[\\]{}\",:0-9a-z_ \\-.]{0,24}",
            tv().prop_map(|v| serde_json::to_string(&v).expect("json")),
            Just(r#"["x",{"_placeholder":true,"num":0}]"#.to_string()),
            Just(r#"[{"num":1,"_placeholder":true}]"#.to_string()),
        ],
        binaries in proptest::collection::vec(proptest::collection::vec(any::<u8>(), 0..4), 0..4),
        limit in 0usize..4,
    ) {
        let text = format!("{header}{body}");
        let config = SocketConfig::default().with_max_attachments(limit);
        let mut decoder = PacketDecoder::with_config(config.clone());
        let mut got = decoder.decode_text(Utf8Bytes::from(text.as_str()));
        for data in binaries {
            if got.as_ref().is_ok_and(|p| p.is_none()) {
                got = decoder.decode_binary(data.into());
            } else {
                prop_assert!(decoder.decode_binary(data.into()).is_err() || decoder.attachments_pending() == 0);
            }
        }
        match got {
            Ok(Some(packet)) => {
                let (again, attachments) = packet.encode();
                let mut fresh = PacketDecoder::with_config(config);
                let decoded = receive(&mut fresh, again, &attachments);
                prop_assert_eq!(decoded, packet);
            }
            Ok(None) => prop_assert!(decoder.attachments_pending() > 0),
            Err(e) => prop_assert!(e.is_peer_error()),
        }
    }
}
