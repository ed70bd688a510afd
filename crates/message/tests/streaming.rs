//! Streaming receive: messages handed out in chunks as their bytes arrive,
//! text cut on code point boundaries and validated.

mod common;

use bytes::BytesMut;
use common::{client_wire, data, every_byte, feed, join_stream, run, text};
use tether_frame::{Frame, OpCode, Role};
use tether_message::{Error, Message, MessageChunk, MessageConfig, MessageStreamCodec};

fn stream() -> MessageStreamCodec {
    MessageStreamCodec::new(Role::Server, MessageConfig::default())
}

#[test]
fn chunks_are_handed_out_as_they_arrive() {
    let payload = vec![0xA5u8; 100_000];
    let wire = client_wire(&[data(OpCode::Binary, true, &payload)]);
    let mut codec = stream();
    let mut buf = BytesMut::new();
    let half = wire.len() / 2;
    let chunks = feed(&mut codec, &mut buf, &wire[..half]).expect("ok");
    let got: usize = chunks
        .iter()
        .map(|c| match c {
            MessageChunk::Binary { data, first, last } => {
                assert!(*first && !*last);
                data.len()
            }
            other => panic!("{other:?}"),
        })
        .sum();
    // Everything after the 14-byte header is out already; nothing is held.
    assert_eq!(got, half - 14);
    assert!(buf.is_empty());
    let rest = feed(&mut codec, &mut buf, &wire[half..]).expect("ok");
    let mut all = chunks;
    all.extend(rest);
    assert_eq!(join_stream(&all), vec![Message::Binary(payload.into())]);
}

#[test]
fn text_chunks_end_on_code_point_boundaries() {
    let message = "aé€😀".repeat(50);
    let bytes = message.as_bytes();
    // Fragments cut at awkward places, a ping between two of them.
    let frames = [
        data(OpCode::Text, false, &bytes[..3]),
        data(OpCode::Continuation, false, &bytes[3..9]),
        Frame::ping("mid"),
        data(OpCode::Continuation, false, &bytes[9..10]),
        data(OpCode::Continuation, true, &bytes[10..]),
    ];
    let wire = client_wire(&frames);
    let expected = vec![Message::Ping("mid".into()), text(&message)];
    for cuts in [
        vec![],
        every_byte(wire.len()),
        (1..wire.len()).step_by(7).collect(),
    ] {
        let out = run(&mut stream(), &wire, &cuts);
        assert!(out.error.is_none(), "{:?}", out.error);
        // join_stream checks each text chunk is UTF-8 on its own, and the
        // first/last flags.
        assert_eq!(join_stream(&out.items), expected);
    }
}

#[test]
fn invalid_text_fails_fast_in_the_stream() {
    let mut wire = client_wire(&[data(OpCode::Text, false, "ok é".as_bytes())]);
    wire.extend(client_wire(&[data(
        OpCode::Continuation,
        false,
        b"\xe2\x28\xa1",
    )]));
    let out = run(&mut stream(), &wire, &every_byte(wire.len()));
    let err = out.error.expect("error");
    assert!(
        matches!(err, Error::InvalidUtf8 { valid_up_to: 5 }),
        "{err:?}"
    );
    assert_eq!(err.close_code().map(u16::from), Some(1007));
    // What was valid was handed out before the error.
    let text: String = out
        .items
        .iter()
        .map(|c| match c {
            MessageChunk::Text { data, .. } => data.to_string(),
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(text, "ok é");
}

#[test]
fn a_stream_that_ends_inside_a_code_point_is_invalid() {
    let wire = client_wire(&[data(OpCode::Text, true, b"abc\xf0\x9f")]);
    let err = run(&mut stream(), &wire, &[]).error.expect("error");
    assert!(matches!(err, Error::IncompleteUtf8));
}

#[test]
fn order_errors_in_the_stream() {
    let wire = client_wire(&[data(OpCode::Continuation, true, b"x")]);
    let err = run(&mut stream(), &wire, &[]).error.expect("error");
    assert!(matches!(err, Error::UnexpectedContinuation));
    let wire = client_wire(&[
        data(OpCode::Binary, false, b"x"),
        data(OpCode::Text, true, b"y"),
    ]);
    let out = run(&mut stream(), &wire, &[]);
    assert!(matches!(out.error, Some(Error::MessageInProgress)));
}

#[test]
fn empty_messages_and_fragments_are_delivered() {
    let wire = client_wire(&[
        data(OpCode::Text, true, b""),
        data(OpCode::Binary, false, b""),
        data(OpCode::Continuation, true, b""),
    ]);
    let out = run(&mut stream(), &wire, &[]);
    assert!(out.error.is_none());
    assert_eq!(
        join_stream(&out.items),
        vec![text(""), Message::Binary(Default::default())]
    );
}
