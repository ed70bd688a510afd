//! One test per rule of message reassembly: each error, with its close code,
//! reported as early as the bytes allow, and the valid data before it intact.

mod common;

use bytes::BytesMut;
use common::{client_wire, data, every_byte, feed, run, text};
use tether_frame::{CloseCode, CloseFrame, Frame, OpCode, Role};
use tether_message::{Error, Message, MessageCodec, MessageConfig, MessageStreamCodec};

fn server() -> MessageCodec {
    MessageCodec::new(Role::Server)
}

fn close_code(e: &Error) -> Option<u16> {
    e.close_code().map(u16::from)
}

/// The header of a masked client frame declaring `len` payload bytes, with
/// key 0 (so payload bytes go on the wire as they are).
fn masked_header(b0: u8, len: u64) -> Vec<u8> {
    let mut h = vec![b0];
    match len {
        0..=125 => h.push(0x80 | len as u8),
        126..=0xFFFF => {
            h.push(0x80 | 126);
            h.extend_from_slice(&(len as u16).to_be_bytes());
        }
        _ => {
            h.push(0x80 | 127);
            h.extend_from_slice(&len.to_be_bytes());
        }
    }
    h.extend_from_slice(&[0, 0, 0, 0]);
    h
}

#[test]
fn continuation_with_no_message_open_is_a_protocol_error() {
    let wire = client_wire(&[data(OpCode::Continuation, true, b"orphan")]);
    let out = run(&mut server(), &wire, &[]);
    let err = out.error.expect("error");
    assert!(matches!(err, Error::UnexpectedContinuation), "{err:?}");
    assert_eq!(close_code(&err), Some(1002));
    assert!(out.items.is_empty());

    // Known from the header alone: the payload need not arrive.
    let mut buf = BytesMut::new();
    let err = feed(&mut server(), &mut buf, &masked_header(0x80, 1000)).expect_err("at once");
    assert!(matches!(err, Error::UnexpectedContinuation), "{err:?}");
}

#[test]
fn a_new_data_frame_while_a_message_is_open_is_a_protocol_error() {
    for second in [OpCode::Text, OpCode::Binary] {
        for first in [OpCode::Text, OpCode::Binary] {
            let wire = client_wire(&[data(first, false, b"open"), data(second, true, b"new")]);
            let out = run(&mut server(), &wire, &[]);
            let err = out.error.expect("error");
            assert!(matches!(err, Error::MessageInProgress), "{err:?}");
            assert_eq!(close_code(&err), Some(1002));
            assert!(out.items.is_empty());
        }
    }
    // Known from the header of the second frame alone.
    let mut codec = server();
    let mut buf = BytesMut::new();
    let first = client_wire(&[data(OpCode::Binary, false, b"open")]);
    assert!(feed(&mut codec, &mut buf, &first).expect("ok").is_empty());
    let err = feed(&mut codec, &mut buf, &masked_header(0x82, 5000)).expect_err("at once");
    assert!(matches!(err, Error::MessageInProgress), "{err:?}");
}

#[test]
fn control_frames_between_fragments_are_delivered_at_once() {
    let frames = [
        data(OpCode::Text, false, "hé".as_bytes()),
        Frame::ping("p1"),
        data(OpCode::Continuation, false, "llo ".as_bytes()),
        Frame::pong("p2"),
        Frame::ping(""),
        data(OpCode::Continuation, true, "wörld".as_bytes()),
    ];
    let mut codec = server();
    let mut buf = BytesMut::new();
    let mut got = Vec::new();
    for frame in &frames {
        got.push(
            feed(
                &mut codec,
                &mut buf,
                &client_wire(std::slice::from_ref(frame)),
            )
            .expect("ok"),
        );
    }
    assert_eq!(
        got,
        vec![
            vec![],
            vec![Message::Ping("p1".into())],
            vec![],
            vec![Message::Pong("p2".into())],
            vec![Message::Ping("".into())],
            vec![text("héllo wörld")],
        ]
    );
    assert!(buf.is_empty());
}

#[test]
fn a_close_between_fragments_is_delivered() {
    let close = CloseFrame::new(CloseCode::Normal, "bye");
    let wire = client_wire(&[
        data(OpCode::Binary, false, b"abc"),
        Frame::close(Some(&close)).expect("valid"),
    ]);
    let out = run(&mut server(), &wire, &[]);
    assert_eq!(out.items, vec![Message::Close(Some(close))]);
    // The stream ends inside the message: decode_eof reports it.
    assert!(out.error.is_some());
}

#[test]
fn invalid_utf8_is_reported_mid_frame_before_the_frame_completes() {
    // A 1000-byte text frame of which 10 bytes arrive; byte 5 is never valid.
    let mut wire = masked_header(0x81, 1000);
    wire.extend_from_slice(b"hello\xffworl");
    let mut codec = server();
    let mut buf = BytesMut::new();
    let err = feed(&mut codec, &mut buf, &wire).expect_err("fail fast");
    assert!(
        matches!(err, Error::InvalidUtf8 { valid_up_to: 5 }),
        "{err:?}"
    );
    assert_eq!(close_code(&err), Some(1007));

    // The same byte by byte: reported on the read that brings the 0xFF.
    let mut codec = server();
    let mut buf = BytesMut::new();
    let header_len = wire.len() - 10;
    for (i, byte) in wire.iter().enumerate() {
        let result = feed(&mut codec, &mut buf, &[*byte]);
        if i < header_len + 5 {
            assert!(result.expect("not yet").is_empty(), "byte {i}");
        } else {
            assert!(matches!(result, Err(Error::InvalidUtf8 { valid_up_to: 5 })));
            break;
        }
    }
}

#[test]
fn an_invalid_first_fragment_is_reported_though_the_rest_never_arrives() {
    let wire = client_wire(&[data(OpCode::Text, false, b"ab\xc0\xafcd")]);
    let mut buf = BytesMut::new();
    let err = feed(&mut server(), &mut buf, &wire).expect_err("at once");
    assert!(
        matches!(err, Error::InvalidUtf8 { valid_up_to: 2 }),
        "{err:?}"
    );
    assert_eq!(close_code(&err), Some(1007));
}

#[test]
fn invalid_utf8_in_a_later_fragment_counts_message_bytes() {
    // A surrogate (ED A0 80) whose first byte ends fragment 1: the proof is
    // the first byte of fragment 2, at message position 4.
    let wire = client_wire(&[
        data(OpCode::Text, false, b"abc\xed"),
        data(OpCode::Continuation, false, b"\xa0\x80"),
    ]);
    for cuts in [vec![], every_byte(wire.len())] {
        let out = run(&mut server(), &wire, &cuts);
        let err = out.error.expect("error");
        assert!(
            matches!(err, Error::InvalidUtf8 { valid_up_to: 3 }),
            "{err:?}"
        );
    }
}

#[test]
fn a_four_byte_character_split_across_three_fragments_is_valid() {
    let smile = "😀".as_bytes(); // F0 9F 98 80
    let frames = [
        data(OpCode::Text, false, &[b'<', smile[0]]),
        data(OpCode::Continuation, false, &smile[1..3]),
        Frame::ping("between"),
        data(OpCode::Continuation, true, &[smile[3], b'>']),
    ];
    let wire = client_wire(&frames);
    let expected = vec![Message::Ping("between".into()), text("<😀>")];
    assert_eq!(run(&mut server(), &wire, &[]).items, expected);
    let out = run(&mut server(), &wire, &every_byte(wire.len()));
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(out.items, expected);
    // Every two-way split of the byte stream.
    for cut in 0..=wire.len() {
        let out = run(&mut server(), &wire, &[cut]);
        assert_eq!(out.items, expected, "cut {cut}");
    }
}

#[test]
fn a_text_message_that_ends_inside_a_code_point_is_invalid() {
    let single = client_wire(&[data(OpCode::Text, true, b"ab\xe2\x82")]);
    let fragmented = client_wire(&[
        data(OpCode::Text, false, b"ab"),
        data(OpCode::Continuation, true, b"\xe2\x82"),
    ]);
    for wire in [single, fragmented] {
        for cuts in [vec![], every_byte(wire.len())] {
            let err = run(&mut server(), &wire, &cuts).error.expect("error");
            assert!(matches!(err, Error::IncompleteUtf8), "{err:?}");
            assert_eq!(close_code(&err), Some(1007));
        }
    }
}

#[test]
fn the_message_size_is_checked_from_the_headers_before_buffering() {
    let config = MessageConfig::default().with_max_message_size(1000);
    // One frame declaring 1001 bytes: rejected from its header.
    let mut codec = MessageCodec::with_config(Role::Server, config.clone());
    let mut buf = BytesMut::new();
    let err = feed(&mut codec, &mut buf, &masked_header(0x82, 1001)).expect_err("too big");
    assert!(
        matches!(
            err,
            Error::MessageTooBig {
                size: 1001,
                max: 1000
            }
        ),
        "{err:?}"
    );
    assert_eq!(close_code(&err), Some(1009));

    // A fragmented message: 600 bytes in, then a header declaring 500 more.
    let mut codec = MessageCodec::with_config(Role::Server, config.clone());
    let mut buf = BytesMut::new();
    let first = client_wire(&[data(OpCode::Binary, false, &[7; 600])]);
    assert!(feed(&mut codec, &mut buf, &first).expect("ok").is_empty());
    let err = feed(&mut codec, &mut buf, &masked_header(0x80, 500)).expect_err("too big");
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
    assert!(buf.capacity() < 1024, "nothing reserved for the 500 bytes");

    // Exactly at the limit, in three fragments, is fine.
    let wire = client_wire(&[
        data(OpCode::Binary, false, &[1; 400]),
        data(OpCode::Continuation, false, &[2; 400]),
        data(OpCode::Continuation, true, &[3; 200]),
    ]);
    let out = run(
        &mut MessageCodec::with_config(Role::Server, config.clone()),
        &wire,
        &[],
    );
    assert!(out.error.is_none());
    assert_eq!(out.items[0].len(), 1000);

    // The streaming decoder applies the same limit.
    let mut stream = MessageStreamCodec::new(Role::Server, config);
    let mut buf = BytesMut::new();
    assert!(feed(&mut stream, &mut buf, &first).is_ok());
    let err = feed(&mut stream, &mut buf, &masked_header(0x80, 500)).expect_err("too big");
    assert!(matches!(err, Error::MessageTooBig { .. }), "{err:?}");
}

#[test]
fn the_fragment_count_is_limited() {
    let config = MessageConfig::default().with_max_fragments(4);
    let mut frames = vec![data(OpCode::Binary, false, b"")];
    frames.extend((0..3).map(|_| data(OpCode::Continuation, false, b"")));
    let mut four = frames.clone();
    four.push(data(OpCode::Continuation, true, b""));
    // Four fragments, the last with FIN: one too many.
    let out = run(
        &mut MessageCodec::with_config(Role::Server, config.clone()),
        &client_wire(&four),
        &[],
    );
    let err = out.error.expect("error");
    assert!(matches!(err, Error::TooManyFragments { max: 4 }), "{err:?}");
    assert_eq!(close_code(&err), Some(1009));
    let out = run(
        &mut MessageStreamCodec::new(Role::Server, config.clone()),
        &client_wire(&four),
        &[],
    );
    assert!(matches!(
        out.error,
        Some(Error::TooManyFragments { max: 4 })
    ));

    // Exactly four is fine, and empty fragments make an empty message.
    frames[3] = data(OpCode::Continuation, true, b"");
    let out = run(
        &mut MessageCodec::with_config(Role::Server, config),
        &client_wire(&frames),
        &[],
    );
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(out.items, vec![Message::Binary(Default::default())]);
}

#[test]
fn messages_before_an_error_in_the_same_read_are_delivered_in_order() {
    let wire = client_wire(&[
        data(OpCode::Text, true, b"one"),
        data(OpCode::Binary, true, b"two"),
        Frame::ping("three"),
        data(OpCode::Continuation, true, b"bad"),
        data(OpCode::Text, true, b"never"),
    ]);
    let mut buf = BytesMut::from(&wire[..]);
    let mut codec = server();
    let mut got = Vec::new();
    let err = loop {
        match tokio_util::codec::Decoder::decode(&mut codec, &mut buf) {
            Ok(Some(m)) => got.push(m),
            Ok(None) => panic!("the whole stream is buffered"),
            Err(e) => break e,
        }
    };
    assert_eq!(
        got,
        vec![
            text("one"),
            Message::Binary("two".into()),
            Message::Ping("three".into())
        ]
    );
    assert!(matches!(err, Error::UnexpectedContinuation));
}

#[test]
fn frame_errors_keep_their_close_codes() {
    // An unmasked frame to a server (1002) and an invalid close code (1002)
    // and a non-UTF-8 close reason (1007) pass through the message layer.
    let unmasked = [0x81, 0x02, b'h', b'i'];
    let err = run(&mut server(), &unmasked, &[]).error.expect("error");
    assert!(matches!(err, Error::Frame(_)));
    assert_eq!(close_code(&err), Some(1002));

    // Masked with key 0: the payload goes on the wire as it is.
    let bad_close = [&masked_header(0x88, 2)[..], b"\x03\xed"].concat();
    let err = run(&mut server(), &bad_close, &[]).error.expect("error");
    assert_eq!(close_code(&err), Some(1002));

    let bad_reason = [&masked_header(0x88, 3)[..], b"\x03\xe8\xff"].concat();
    let err = run(&mut server(), &bad_reason, &[]).error.expect("error");
    assert_eq!(close_code(&err), Some(1007));
}

#[test]
fn a_single_frame_message_is_not_copied() {
    let wire = client_wire(&[
        data(OpCode::Text, true, "zero copy é".as_bytes()),
        data(OpCode::Binary, true, &[9; 300]),
    ]);
    let mut buf = BytesMut::from(&wire[..]);
    let range = buf.as_ptr() as usize..buf.as_ptr() as usize + buf.len();
    let mut codec = server();
    for _ in 0..2 {
        let message = tokio_util::codec::Decoder::decode(&mut codec, &mut buf)
            .expect("valid")
            .expect("complete");
        let ptr = match &message {
            Message::Text(t) => t.as_bytes().as_ptr(),
            Message::Binary(b) => b.as_ptr(),
            other => panic!("{other:?}"),
        } as usize;
        assert!(
            range.contains(&ptr),
            "payload was copied out of the read buffer"
        );
    }
}

#[test]
fn the_decoder_is_the_same_for_a_client() {
    // Server frames are unmasked; a client codec rejects masked ones.
    let wire = common::wire(
        Role::Server,
        &[
            data(OpCode::Text, false, "dé".as_bytes()),
            data(OpCode::Continuation, true, "jà".as_bytes()),
        ],
    );
    let out = run(&mut MessageCodec::new(Role::Client), &wire, &[]);
    assert_eq!(out.items, vec![text("déjà")]);
    let masked = client_wire(&[data(OpCode::Text, true, b"x")]);
    let err = run(&mut MessageCodec::new(Role::Client), &masked, &[])
        .error
        .expect("error");
    assert_eq!(close_code(&err), Some(1002));
}

#[test]
fn the_fragment_limit_is_reported_before_the_payload_at_any_split() {
    // A second fragment that breaks the limit of 1 and holds invalid UTF-8:
    // the limit (known from its header) is the error, however the bytes
    // arrive (a fuzz finding: byte by byte used to report the UTF-8 first).
    let config = MessageConfig::default().with_max_fragments(1);
    let wire = client_wire(&[
        data(OpCode::Text, false, b"ok"),
        data(OpCode::Continuation, true, b"\xff\xfe"),
    ]);
    for cuts in [vec![], every_byte(wire.len())] {
        let out = run(
            &mut MessageCodec::with_config(Role::Server, config.clone()),
            &wire,
            &cuts,
        );
        let err = out.error.expect("error");
        assert!(matches!(err, Error::TooManyFragments { max: 1 }), "{err:?}");
    }
}

/// Deferred validation (what a connection uses, validating when it would
/// wait for the network) fails exactly as fast: on the read that brings
/// the proof, though the frame's end never comes.
#[test]
fn deferred_validation_fails_as_fast_at_every_read() {
    use common::DeferredCodec;
    let mut wire = masked_header(0x81, 1000);
    wire.extend_from_slice(b"hello\xffworl");
    let header_len = wire.len() - 10;
    let mut codec = DeferredCodec::new(server());
    let mut buf = BytesMut::new();
    for (i, byte) in wire.iter().enumerate() {
        let result = feed(&mut codec, &mut buf, &[*byte]);
        if i < header_len + 5 {
            assert!(result.expect("not yet").is_empty(), "byte {i}");
        } else {
            assert!(matches!(result, Err(Error::InvalidUtf8 { valid_up_to: 5 })));
            break;
        }
    }
    let wire = client_wire(&[
        data(OpCode::Text, false, b"abc\xed"),
        data(OpCode::Continuation, false, b"\xa0\x80"),
    ]);
    for cuts in [vec![], every_byte(wire.len())] {
        let out = run(&mut DeferredCodec::new(server()), &wire, &cuts);
        assert!(
            matches!(out.error, Some(Error::InvalidUtf8 { valid_up_to: 3 })),
            "{:?}",
            out.error
        );
    }
}

/// A single-frame message that arrives over several reads is handed out
/// from the read buffer too (no assembly copy), in both validation modes.
#[test]
fn a_single_frame_message_over_several_reads_is_not_copied() {
    for text in [false, true] {
        for deferred in [false, true] {
            let payload = if text {
                "é".repeat(3000).into_bytes()
            } else {
                vec![7u8; 6000]
            };
            let opcode = if text { OpCode::Text } else { OpCode::Binary };
            let wire = client_wire(&[data(opcode, true, &payload)]);
            let mut codec = server();
            codec.set_deferred_validation(deferred);
            // Room for the frame and the slack the decoder keeps: no reallocation.
            let mut buf = BytesMut::with_capacity(wire.len() + (16 << 10));
            let base = buf.as_ptr() as usize;
            let mut got = None;
            for piece in wire.chunks(1000) {
                buf.extend_from_slice(piece);
                if let Some(m) =
                    tokio_util::codec::Decoder::decode(&mut codec, &mut buf).expect("valid")
                {
                    got = Some(m);
                }
            }
            let message = got.expect("complete");
            let ptr = match &message {
                Message::Text(t) => t.as_bytes().as_ptr(),
                Message::Binary(b) => b.as_ptr(),
                other => panic!("{other:?}"),
            } as usize;
            assert!(
                (base..base + wire.len()).contains(&ptr),
                "text {text} deferred {deferred}: copied out of the read buffer"
            );
            assert_eq!(message.len(), payload.len());
        }
    }
}
