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

/// `MessageCodec::decode_chunk`: the same chunked delivery as
/// `MessageStreamCodec`, on the codec that also assembles whole messages.
mod message_codec_chunks {
    use super::*;
    use common::ChunkedCodec;
    use tether_message::MessageCodec;
    use tokio_util::codec::Decoder;

    fn chunked(pattern: u64) -> ChunkedCodec {
        ChunkedCodec::new(MessageCodec::new(Role::Server), pattern)
    }

    #[test]
    fn data_comes_out_as_it_arrives_without_holding_it() {
        let payload = vec![0x5Au8; 100_000];
        let wire = client_wire(&[data(OpCode::Binary, true, &payload)]);
        let mut codec = MessageCodec::new(Role::Server);
        let mut buf = BytesMut::new();
        let mut got = 0;
        for piece in wire.chunks(1000) {
            buf.extend_from_slice(piece);
            while let Some(chunk) = codec.decode_chunk(&mut buf).expect("valid") {
                match chunk {
                    MessageChunk::Binary { data, first, last } => {
                        assert_eq!(first, got == 0);
                        got += data.len();
                        assert_eq!(last, got == payload.len());
                    }
                    other => panic!("{other:?}"),
                }
            }
            // Nothing of the frame is held but a header not yet complete.
            assert!(buf.len() < 14, "{}", buf.len());
        }
        assert_eq!(got, payload.len());
    }

    #[test]
    fn a_message_decode_started_is_taken_over() {
        let message = "fragments é€😀 ".repeat(20);
        let bytes = message.as_bytes();
        let wire = client_wire(&[
            data(OpCode::Text, false, &bytes[..7]),
            data(OpCode::Continuation, false, &bytes[7..18]),
            data(OpCode::Continuation, true, &bytes[18..]),
        ]);
        let mut codec = MessageCodec::new(Role::Server);
        let mut buf = BytesMut::from(&wire[..wire.len() - 5]);
        // `decode` assembles the first two fragments and part of the third.
        assert_eq!(codec.decode(&mut buf).expect("valid"), None);
        assert!(codec.is_receiving_fragments() && !codec.is_receiving_chunks());
        let mut chunks = Vec::new();
        while let Some(chunk) = codec.decode_chunk(&mut buf).expect("valid") {
            chunks.push(chunk);
        }
        assert!(codec.is_receiving_chunks());
        assert!(matches!(
            codec.decode(&mut buf),
            Err(Error::ChunkedMessageInProgress)
        ));
        buf.extend_from_slice(&wire[wire.len() - 5..]);
        while let Some(chunk) = codec.decode_chunk(&mut buf).expect("valid") {
            chunks.push(chunk);
        }
        assert_eq!(join_stream(&chunks), vec![text(&message)]);
        // Whole messages again after the last chunk.
        buf.extend_from_slice(&client_wire(&[data(OpCode::Text, true, b"next")]));
        assert_eq!(codec.decode(&mut buf).expect("valid"), Some(text("next")));
    }

    #[test]
    fn invalid_text_fails_fast_in_chunks() {
        let mut wire = client_wire(&[data(OpCode::Text, false, "ok é".as_bytes())]);
        wire.extend(client_wire(&[data(
            OpCode::Continuation,
            false,
            b"\xe2\x28\xa1",
        )]));
        for pattern in [u64::MAX, 0xAAAA_AAAA_AAAA_AAAA] {
            let out = run(&mut chunked(pattern), &wire, &every_byte(wire.len()));
            let err = out.error.expect("error");
            assert!(
                matches!(err, Error::InvalidUtf8 { valid_up_to: 5 }),
                "{err:?}"
            );
        }
        // Fail-fast inside one large frame whose end never comes.
        let mut frame = client_wire(&[data(OpCode::Text, true, &[b'a'; 4096])]);
        frame[8 + 10] ^= 0xFF ^ 0x61; // byte 10 of the payload becomes 0xFF after unmasking
        let mut codec = MessageCodec::new(Role::Server);
        let mut buf = BytesMut::from(&frame[..200]);
        let mut outcome = Ok(None);
        for _ in 0..4 {
            outcome = codec.decode_chunk(&mut buf);
            if outcome.is_err() {
                break;
            }
        }
        assert!(
            matches!(outcome, Err(Error::InvalidUtf8 { valid_up_to: 10 })),
            "{outcome:?}"
        );
    }

    /// Found by the `message_decode` fuzz target: a stream that ends
    /// inside a frame whose bytes were all handed out is still truncated.
    #[test]
    fn a_chunked_stream_that_ends_inside_a_frame_is_truncated() {
        let wire = client_wire(&[data(OpCode::Binary, true, &[7u8; 100])]);
        let out = run(&mut chunked(u64::MAX), &wire[..50], &[]);
        assert!(
            matches!(
                out.error,
                Some(Error::Frame(tether_frame::Error::Truncated { .. }))
            ),
            "{:?}",
            out.error
        );
    }

    #[test]
    fn limits_apply_to_chunked_messages() {
        let config = MessageConfig::default()
            .with_max_message_size(1000)
            .with_max_fragments(3);
        let wire = client_wire(&[
            data(OpCode::Binary, false, &[1; 600]),
            data(OpCode::Continuation, true, &[2; 500]),
        ]);
        let mut codec = ChunkedCodec::new(
            MessageCodec::with_config(Role::Server, config.clone()),
            u64::MAX,
        );
        let err = run(&mut codec, &wire, &[]).error.expect("too big");
        assert!(
            matches!(
                err,
                Error::MessageTooBig {
                    size: 1100,
                    max: 1000
                }
            ),
            "{err:?}"
        );
        let wire = client_wire(&[
            data(OpCode::Binary, false, b"a"),
            data(OpCode::Continuation, false, b"b"),
            data(OpCode::Continuation, false, b"c"),
            data(OpCode::Continuation, true, b"d"),
        ]);
        let mut codec =
            ChunkedCodec::new(MessageCodec::with_config(Role::Server, config), u64::MAX);
        let err = run(&mut codec, &wire, &[]).error.expect("too many");
        assert!(matches!(err, Error::TooManyFragments { max: 3 }), "{err:?}");
    }
}
