//! Property tests: the messages decoded from a byte stream do not depend on
//! where the reads fall, and no input makes the decoders panic.

mod common;

use bytes::{Bytes, BytesMut};
use common::{every_byte, join_stream, peer, run, wire, ChunkedCodec, DeferredCodec};
use proptest::prelude::*;
use proptest::sample::Index;
use tether_frame::{Frame, OpCode, Role};
use tether_message::{Message, MessageCodec, MessageConfig, MessageStreamCodec};
use tokio_util::codec::Encoder;

/// One item of the generated conversation.
#[derive(Clone, Debug)]
enum Item {
    /// A ping or pong on its own.
    Control(Message),
    /// A data message, cut into fragments at `cuts` (byte positions, so a
    /// cut may fall inside a code point), with an optional control message
    /// after each fragment but the last.
    Data {
        text: bool,
        payload: Vec<u8>,
        cuts: Vec<Index>,
        between: Vec<Option<Message>>,
    },
}

fn control() -> impl Strategy<Value = Message> {
    (
        any::<bool>(),
        proptest::collection::vec(any::<u8>(), 0..=125),
    )
        .prop_map(|(ping, p)| {
            if ping {
                Message::Ping(p.into())
            } else {
                Message::Pong(p.into())
            }
        })
}

fn payload() -> impl Strategy<Value = (bool, Vec<u8>)> {
    prop_oneof![
        4 => "[a-z é€😀\u{10FFFF}\u{80}\u{7FF}\u{800}\u{FFFF}]{0,120}"
            .prop_map(|s| (true, s.into_bytes())),
        3 => proptest::collection::vec(any::<u8>(), 0..300).prop_map(|v| (false, v)),
        1 => Just((true, Vec::new())),
        1 => Just((false, Vec::new())),
        // Around the 16-bit length form, multi-byte text too.
        1 => (0usize..3000, any::<bool>()).prop_map(|(n, text)| {
            if text {
                (true, "ü€😀".repeat(n / 9 + 14).into_bytes())
            } else {
                (false, (0..n + 65_000).map(|i| i as u8).collect())
            }
        }),
    ]
}

fn item() -> impl Strategy<Value = Item> {
    prop_oneof![
        1 => control().prop_map(Item::Control),
        4 => (
            payload(),
            proptest::collection::vec(any::<Index>(), 0..6),
            proptest::collection::vec(proptest::option::of(control()), 6),
        )
            .prop_map(|((text, payload), cuts, between)| Item::Data {
                text,
                payload,
                cuts,
                between,
            }),
    ]
}

/// The frames of the conversation, and the messages a receiver must see.
fn frames_and_messages(items: &[Item]) -> (Vec<Frame>, Vec<Message>) {
    let mut frames = Vec::new();
    let mut messages = Vec::new();
    for item in items {
        match item {
            Item::Control(m) => {
                frames.push(control_frame(m));
                messages.push(m.clone());
            }
            Item::Data {
                text,
                payload,
                cuts,
                between,
            } => {
                let mut at: Vec<usize> = cuts.iter().map(|i| i.index(payload.len() + 1)).collect();
                at.sort_unstable();
                at.push(payload.len());
                let mut start = 0;
                let last = at.len() - 1;
                for (n, end) in at.into_iter().enumerate() {
                    let opcode = match (n, text) {
                        (0, true) => OpCode::Text,
                        (0, false) => OpCode::Binary,
                        _ => OpCode::Continuation,
                    };
                    let piece = Bytes::copy_from_slice(&payload[start..end]);
                    frames.push(Frame::new(opcode, piece).with_fin(n == last));
                    start = end;
                    if n < last {
                        if let Some(Some(c)) = between.get(n) {
                            frames.push(control_frame(c));
                            messages.push(c.clone());
                        }
                    }
                }
                messages.push(if *text {
                    let s = String::from_utf8(payload.clone()).expect("generated text");
                    Message::Text(s.into())
                } else {
                    Message::Binary(payload.clone().into())
                });
            }
        }
    }
    (frames, messages)
}

fn control_frame(m: &Message) -> Frame {
    match m {
        Message::Ping(p) => Frame::ping(p.clone()),
        Message::Pong(p) => Frame::pong(p.clone()),
        other => unreachable!("not generated: {other:?}"),
    }
}

/// Ascending cut positions from arbitrary chunk lengths, cycled.
fn cuts_from(lengths: &[usize], total: usize) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut at = 0;
    for len in lengths.iter().cycle() {
        at += len;
        if at >= total {
            break;
        }
        cuts.push(at);
    }
    cuts
}

fn role(client_to_server: bool) -> (Role, Role) {
    if client_to_server {
        (Role::Client, Role::Server)
    } else {
        (Role::Server, Role::Client)
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn any_conversation_any_chunking_same_messages(
        items in proptest::collection::vec(item(), 0..10),
        chunk_lengths in proptest::collection::vec(1usize..1500, 1..40),
        client_to_server in any::<bool>(),
        pattern in any::<u64>(),
    ) {
        let (sender, receiver) = role(client_to_server);
        let (frames, expected) = frames_and_messages(&items);
        let bytes = wire(sender, &frames);

        let whole = run(&mut MessageCodec::new(receiver), &bytes, &[]);
        prop_assert!(whole.error.is_none(), "{:?}", whole.error);
        prop_assert_eq!(&whole.items, &expected);

        let cuts = cuts_from(&chunk_lengths, bytes.len());
        let random = run(&mut MessageCodec::new(receiver), &bytes, &cuts);
        prop_assert!(random.error.is_none(), "{:?}", random.error);
        prop_assert_eq!(&random.items, &expected);

        // Deferred validation, validated when the reader would wait.
        let deferred = run(&mut DeferredCodec::new(MessageCodec::new(receiver)), &bytes, &cuts);
        prop_assert!(deferred.error.is_none(), "{:?}", deferred.error);
        prop_assert_eq!(&deferred.items, &expected);

        if bytes.len() <= 8192 {
            let bytewise = run(&mut MessageCodec::new(receiver), &bytes, &every_byte(bytes.len()));
            prop_assert!(bytewise.error.is_none(), "{:?}", bytewise.error);
            prop_assert_eq!(&bytewise.items, &expected);
        }

        let streamed = run(&mut MessageStreamCodec::new(receiver, MessageConfig::default()), &bytes, &cuts);
        prop_assert!(streamed.error.is_none(), "{:?}", streamed.error);
        prop_assert_eq!(join_stream(&streamed.items), expected.clone());

        // MessageCodec's own chunked delivery, always and switched in and
        // out call by call (a message `decode` started is taken over).
        for pattern in [u64::MAX, pattern] {
            let chunked = run(&mut ChunkedCodec::new(MessageCodec::new(receiver), pattern), &bytes, &cuts);
            prop_assert!(chunked.error.is_none(), "{:?}", chunked.error);
            prop_assert_eq!(join_stream(&chunked.items), expected.clone());
        }
    }

    #[test]
    fn the_encoder_round_trips_with_any_fragment_size(
        items in proptest::collection::vec(item(), 0..10),
        fragment_size in prop_oneof![Just(None), (1usize..400).prop_map(Some)],
        chunk_lengths in proptest::collection::vec(1usize..1500, 1..40),
        client_to_server in any::<bool>(),
    ) {
        let (sender, receiver) = role(client_to_server);
        let (_, messages) = frames_and_messages(&items);
        let config = MessageConfig::default().with_fragment_size(fragment_size);
        let mut encoder = MessageCodec::with_config(sender, config);
        let mut bytes = BytesMut::new();
        for m in &messages {
            encoder.encode(m.clone(), &mut bytes).expect("valid message");
        }
        let cuts = cuts_from(&chunk_lengths, bytes.len());
        // A large payload in 1-byte fragments may have more fragments than
        // the default limit allows; the limit is not what is tested here.
        let unlimited = MessageConfig::default().with_max_fragments(usize::MAX);
        let out = run(&mut MessageCodec::with_config(receiver, unlimited), &bytes, &cuts);
        prop_assert!(out.error.is_none(), "{:?}", out.error);
        prop_assert_eq!(&out.items, &messages);
        prop_assert_eq!(peer(sender), receiver);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_do_not_depend_on_chunking(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        chunk_lengths in proptest::collection::vec(1usize..64, 1..20),
        server in any::<bool>(),
        max_message in prop_oneof![Just(0u64), Just(10), Just(300), Just(1 << 20)],
        max_fragments in 1usize..5,
    ) {
        let receiver = if server { Role::Server } else { Role::Client };
        let config = MessageConfig::default()
            .with_max_message_size(max_message)
            .with_max_fragments(max_fragments);
        let make = || MessageCodec::with_config(receiver, config.clone());
        let whole = run(&mut make(), &bytes, &[]);
        let split = run(&mut make(), &bytes, &cuts_from(&chunk_lengths, bytes.len()));
        let bytewise = run(&mut make(), &bytes, &every_byte(bytes.len()));
        prop_assert_eq!(&split.items, &whole.items);
        prop_assert_eq!(&bytewise.items, &whole.items);
        prop_assert_eq!(format!("{:?}", split.error), format!("{:?}", whole.error));
        prop_assert_eq!(format!("{:?}", bytewise.error), format!("{:?}", whole.error));
        for m in &whole.items {
            if let Message::Text(t) = m {
                prop_assert!(std::str::from_utf8(t.as_bytes()).is_ok());
            }
            if !m.is_control() {
                prop_assert!(m.len() as u64 <= max_message);
            }
        }
        let streamed = run(
            &mut MessageStreamCodec::new(receiver, config.clone()),
            &bytes,
            &cuts_from(&chunk_lengths, bytes.len()),
        );
        if whole.error.is_none() {
            prop_assert!(streamed.error.is_none(), "{:?}", streamed.error);
            prop_assert_eq!(join_stream(&streamed.items), whole.items.clone());
        } else {
            prop_assert!(streamed.error.is_some());
        }
    }
}
