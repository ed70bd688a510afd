//! The encoder: messages to frames, automatic fragmentation, and streamed
//! sends with control frames between the fragments.

mod common;

use bytes::{Bytes, BytesMut};
use common::{frames_of, text};
use tether_frame::{CloseCode, CloseFrame, Frame, OpCode, Role};
use tether_message::{DataKind, Error, Fragment, Message, MessageCodec, MessageConfig};
use tokio_util::codec::Encoder;

fn shape(frames: &[Frame]) -> Vec<(OpCode, bool, Vec<u8>)> {
    frames
        .iter()
        .map(|f| (f.opcode, f.fin, f.payload.to_vec()))
        .collect()
}

#[test]
fn each_message_is_one_frame_by_default() {
    let mut codec = MessageCodec::new(Role::Server);
    let mut dst = BytesMut::new();
    let close = CloseFrame::new(CloseCode::GoingAway, "later");
    for m in [
        text("héllo"),
        Message::Binary(Bytes::from(vec![1; 70_000])),
        Message::Ping("p".into()),
        Message::Pong("q".into()),
        Message::Close(Some(close.clone())),
        Message::Close(None),
    ] {
        codec.encode(m, &mut dst).expect("valid");
    }
    let frames = frames_of(Role::Client, &dst);
    let got: Vec<_> = frames
        .iter()
        .map(|f| (f.opcode, f.fin, f.payload.len()))
        .collect();
    assert_eq!(
        got,
        vec![
            (OpCode::Text, true, 6),
            (OpCode::Binary, true, 70_000),
            (OpCode::Ping, true, 1),
            (OpCode::Pong, true, 1),
            (OpCode::Close, true, 7),
            (OpCode::Close, true, 0),
        ]
    );
    assert_eq!(frames[4].close_frame().expect("valid"), Some(close));
}

#[test]
fn automatic_fragmentation_at_the_configured_size() {
    let config = MessageConfig::default().with_fragment_size(Some(4));
    let mut codec = MessageCodec::with_config(Role::Client, config);
    let mut dst = BytesMut::new();
    codec
        .encode(Message::binary(&b"0123456789"[..]), &mut dst)
        .expect("ok");
    codec
        .encode(Message::binary(&b"0123"[..]), &mut dst)
        .expect("ok");
    codec
        .encode(Message::Ping("not split".into()), &mut dst)
        .expect("ok");
    // Text is cut at byte positions: fragments need not be valid alone.
    codec.encode(text("€€"), &mut dst).expect("ok");
    let frames = frames_of(Role::Server, &dst);
    assert_eq!(
        shape(&frames),
        vec![
            (OpCode::Binary, false, b"0123".to_vec()),
            (OpCode::Continuation, false, b"4567".to_vec()),
            (OpCode::Continuation, true, b"89".to_vec()),
            (OpCode::Binary, true, b"0123".to_vec()),
            (OpCode::Ping, true, b"not split".to_vec()),
            (OpCode::Text, false, "€€".as_bytes()[..4].to_vec()),
            (OpCode::Continuation, true, "€€".as_bytes()[4..].to_vec()),
        ]
    );
    // And the other end puts them back together.
    let mut server = MessageCodec::new(Role::Server);
    let out = common::run(&mut server, &dst, &[]);
    assert_eq!(
        out.items,
        vec![
            Message::binary(&b"0123456789"[..]),
            Message::binary(&b"0123"[..]),
            Message::Ping("not split".into()),
            text("€€"),
        ]
    );
}

#[test]
fn a_streamed_send_lets_control_frames_go_between_fragments() {
    let mut codec = MessageCodec::new(Role::Server);
    let mut dst = BytesMut::new();
    let smile = "😀".as_bytes();
    codec
        .encode(
            Fragment::Start(DataKind::Text, Bytes::copy_from_slice(&smile[..1])),
            &mut dst,
        )
        .expect("a piece may end inside a code point");
    assert!(codec.is_sending_fragments());
    codec
        .encode(Message::Pong("keepalive".into()), &mut dst)
        .expect("control between");
    codec
        .encode(
            Fragment::Continue(Bytes::copy_from_slice(&smile[1..])),
            &mut dst,
        )
        .expect("completes it");
    codec
        .encode(Message::Ping("".into()), &mut dst)
        .expect("control between");
    codec
        .encode(Fragment::End(Bytes::from_static(b"!")), &mut dst)
        .expect("end");
    assert!(!codec.is_sending_fragments());
    let frames = frames_of(Role::Client, &dst);
    assert_eq!(
        shape(&frames),
        vec![
            (OpCode::Text, false, smile[..1].to_vec()),
            (OpCode::Pong, true, b"keepalive".to_vec()),
            (OpCode::Continuation, false, smile[1..].to_vec()),
            (OpCode::Ping, true, vec![]),
            (OpCode::Continuation, true, b"!".to_vec()),
        ]
    );
    let out = common::run(&mut MessageCodec::new(Role::Client), &dst, &[]);
    assert_eq!(
        out.items,
        vec![
            Message::Pong("keepalive".into()),
            Message::Ping("".into()),
            text("😀!")
        ]
    );
}

#[test]
fn streamed_sends_are_checked() {
    let mut codec = MessageCodec::new(Role::Client);
    let mut dst = BytesMut::new();
    // Continue or End with no message open.
    for f in [
        Fragment::Continue(Bytes::new()),
        Fragment::End(Bytes::new()),
    ] {
        let err = codec.encode(f, &mut dst).expect_err("order");
        assert!(matches!(err, Error::OutgoingFragmentOrder));
        assert_eq!(err.close_code(), None);
    }
    codec
        .encode(
            Fragment::Start(DataKind::Binary, Bytes::from_static(b"a")),
            &mut dst,
        )
        .expect("start");
    let written = dst.len();
    // A second Start, or a whole data message, while one is open.
    let err = codec
        .encode(Fragment::Start(DataKind::Binary, Bytes::new()), &mut dst)
        .expect_err("order");
    assert!(matches!(err, Error::OutgoingFragmentOrder));
    let err = codec.encode(text("whole"), &mut dst).expect_err("order");
    assert!(matches!(err, Error::OutgoingFragmentOrder));
    assert_eq!(dst.len(), written, "nothing written on error");
    codec
        .encode(Fragment::End(Bytes::new()), &mut dst)
        .expect("end");

    // Invalid text, and text that ends inside a code point.
    let mut codec = MessageCodec::new(Role::Client);
    codec
        .encode(
            Fragment::Start(DataKind::Text, Bytes::from_static(b"ok")),
            &mut dst,
        )
        .expect("start");
    let err = codec
        .encode(Fragment::Continue(Bytes::from_static(b"x\xff")), &mut dst)
        .expect_err("invalid");
    assert!(
        matches!(err, Error::OutgoingInvalidUtf8 { valid_up_to: 3 }),
        "{err:?}"
    );
    assert!(codec.is_sending_fragments(), "the message stays open");
    let err = codec
        .encode(Fragment::End(Bytes::from_static(b"\xe2\x82")), &mut dst)
        .expect_err("incomplete");
    assert!(matches!(err, Error::OutgoingIncompleteUtf8));
    codec
        .encode(Fragment::End(Bytes::from_static("€".as_bytes())), &mut dst)
        .expect("fine");
}

#[test]
fn control_messages_are_validated_on_send() {
    let mut codec = MessageCodec::new(Role::Server);
    let mut dst = BytesMut::new();
    let err = codec
        .encode(Message::Ping(Bytes::from(vec![0; 126])), &mut dst)
        .expect_err("too long");
    assert_eq!(err.close_code(), None);
    let err = codec
        .encode(
            Message::Close(Some(CloseFrame::new(CloseCode::from(1005), ""))),
            &mut dst,
        )
        .expect_err("1005 may not be sent");
    assert!(matches!(err, Error::Frame(_)));
    assert!(dst.is_empty());
}

#[test]
fn a_client_does_not_modify_a_shared_payload() {
    let payload = Bytes::from(vec![0x55u8; 1000]);
    let mut codec = MessageCodec::with_config(
        Role::Client,
        MessageConfig::default().with_fragment_size(Some(300)),
    );
    let mut dst = BytesMut::new();
    codec
        .encode(Message::Binary(payload.clone()), &mut dst)
        .expect("ok");
    assert!(payload.iter().all(|b| *b == 0x55));
    let out = common::run(&mut MessageCodec::new(Role::Server), &dst, &[]);
    assert_eq!(out.items, vec![Message::Binary(payload)]);
}

#[test]
fn encode_frames_gives_the_frames_the_encoder_writes() {
    // The zero-copy path (header and payload apart) and the Encoder path
    // fragment alike and put the same bytes on the wire.
    let config = MessageConfig::default().with_fragment_size(Some(300));
    let messages = [
        Message::Binary(Bytes::from(vec![0x33u8; 1000])),
        text("short"),
        Message::Ping("p".into()),
        Message::Close(Some(CloseFrame::new(CloseCode::Normal, "bye"))),
    ];
    let mut framed = MessageCodec::with_config(Role::Server, config.clone());
    let mut zero_copy = MessageCodec::with_config(Role::Server, config);
    let (mut a, mut b) = (BytesMut::new(), BytesMut::new());
    let mut pieces = Vec::new();
    for m in messages {
        framed.encode(m.clone(), &mut a).expect("valid");
        zero_copy
            .encode_frames(m, |frame| pieces.push(frame))
            .expect("valid");
    }
    for frame in pieces {
        let (header, payload) = frame.into_parts();
        b.extend_from_slice(&header);
        b.extend_from_slice(&payload);
    }
    assert_eq!(a, b);
    // 1000 bytes in 300-byte pieces: four frames; then text, ping, close.
    assert_eq!(frames_of(Role::Client, &b).len(), 4 + 3);

    // A client masks a copy of a shared payload, never the caller's bytes.
    let shared = Bytes::from(vec![0x55u8; 100]);
    let mut client = MessageCodec::new(Role::Client);
    let mut out = Vec::new();
    client
        .encode_frames(Message::Binary(shared.clone()), |f| out.push(f))
        .expect("valid");
    assert!(shared.iter().all(|b| *b == 0x55));
    assert_ne!(&out[0].payload()[..], &shared[..]);
}
