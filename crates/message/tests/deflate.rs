//! permessage-deflate (RFC 7692) through `MessageCodec`: the examples of
//! RFC 7692 section 7.2.3 byte for byte, round trips at every read split,
//! random messages and parameters, the decompression bomb (1009), the RSV1
//! rules (1002) and invalid UTF-8 inside compressed text (1007, fail-fast).
#![cfg(feature = "deflate")]

mod common;

use bytes::{Bytes, BytesMut};
use common::{every_byte, feed, join_stream, peer, run, ChunkedCodec};
use proptest::prelude::*;
use tether_frame::{CloseCode, Frame, FrameCodec, OpCode, Role, Rsv};
use tether_message::{
    DataKind, DeflateParams, Error, Fragment, Message, MessageCodec, MessageConfig,
};
use tokio_util::codec::{Decoder, Encoder};

/// Default parameters with no threshold (every message compressed).
fn params() -> DeflateParams {
    DeflateParams::default().with_threshold(0)
}

fn codec(role: Role, params: DeflateParams) -> MessageCodec {
    MessageCodec::with_config(role, MessageConfig::default().with_deflate(Some(params)))
}

fn encode_all(codec: &mut MessageCodec, messages: &[Message]) -> Vec<u8> {
    let mut dst = BytesMut::new();
    for m in messages {
        codec.encode(m.clone(), &mut dst).unwrap();
    }
    dst.to_vec()
}

fn hello() -> Message {
    Message::text("Hello")
}

// RFC 7692 section 7.2.3.1: "Hello" compressed in one frame.
const HELLO: &[u8] = &[0xc1, 0x07, 0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00];

#[test]
fn rfc_7692_7_2_3_1_hello_compressed() {
    let mut server = codec(Role::Server, params());
    assert_eq!(encode_all(&mut server, &[hello()]), HELLO);
    let mut client = codec(Role::Client, params());
    let out = run(&mut client, HELLO, &[]);
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(out.items, vec![hello()]);
}

#[test]
fn rfc_7692_7_2_3_1_two_fragments() {
    let wire: &[u8] = &[
        0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00,
    ];
    for cut in 0..=wire.len() {
        let mut client = codec(Role::Client, params());
        let out = run(&mut client, wire, &[cut]);
        assert!(out.error.is_none(), "cut {cut}: {:?}", out.error);
        assert_eq!(out.items, vec![hello()], "cut {cut}");
    }
}

#[test]
fn rfc_7692_7_2_3_2_context_takeover() {
    let second: &[u8] = &[0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00];
    let mut server = codec(Role::Server, params());
    let wire = encode_all(&mut server, &[hello(), hello()]);
    assert_eq!(&wire[..HELLO.len()], HELLO);
    assert_eq!(&wire[HELLO.len()..], second);
    let mut client = codec(Role::Client, params());
    let out = run(&mut client, &wire, &every_byte(wire.len()));
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(out.items, vec![hello(), hello()]);
}

#[test]
fn rfc_7692_7_2_3_2_no_context_takeover() {
    let p = params().with_server_no_context_takeover(true);
    let mut server = codec(Role::Server, p.clone());
    let wire = encode_all(&mut server, &[hello(), hello()]);
    assert_eq!(wire, [HELLO, HELLO].concat());
    let mut client = codec(Role::Client, p);
    let out = run(&mut client, &wire, &[]);
    assert_eq!(out.items, vec![hello(), hello()]);
}

#[test]
fn rfc_7692_7_2_3_3_uncompressed_deflate_block() {
    let wire: &[u8] = &[
        0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
    ];
    let mut client = codec(Role::Client, params());
    let out = run(&mut client, wire, &every_byte(wire.len()));
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(out.items, vec![hello()]);
}

#[test]
fn rfc_7692_7_2_3_4_bfinal_block() {
    let wire: &[u8] = &[0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00];
    let mut client = codec(Role::Client, params());
    // Twice: the context starts again after a final block.
    let twice = [wire, wire].concat();
    let out = run(&mut client, &twice, &[]);
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(out.items, vec![hello(), hello()]);
}

#[test]
fn rfc_7692_7_2_3_5_two_deflate_blocks() {
    let wire: &[u8] = &[
        0xc1, 0x0d, 0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07, 0x00,
    ];
    let mut client = codec(Role::Client, params());
    let out = run(&mut client, wire, &[]);
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(out.items, vec![hello()]);
}

/// A conversation with compressed and uncompressed messages, fragmented,
/// with control frames, decoded the same at every two-way split, byte by
/// byte, and through `decode_chunk`.
#[test]
fn round_trip_at_every_split() {
    let json = "{\"event\":\"tick\",\"data\":[1,2,3],\"ok\":true} ".repeat(40);
    let messages = vec![
        Message::text(json.as_str()),
        Message::Ping("p".into()),
        Message::binary(vec![7u8; 700]),
        Message::text("short"),
        Message::text("héllo wörld ".repeat(30)),
        Message::binary(Bytes::new()),
        Message::text(json.as_str()),
    ];
    for (role, fragment) in [
        (Role::Client, Some(50)),
        (Role::Server, None),
        (Role::Client, None),
    ] {
        let config = MessageConfig::default()
            .with_deflate(Some(DeflateParams::default()))
            .with_fragment_size(fragment);
        let mut sender = MessageCodec::with_config(role, config);
        let wire = encode_all(&mut sender, &messages);
        let receiver = || codec(peer(role), DeflateParams::default());
        let out = run(&mut receiver(), &wire, &every_byte(wire.len()));
        assert!(out.error.is_none(), "{:?}", out.error);
        assert_eq!(out.items, messages);
        for cut in 0..=wire.len() {
            let out = run(&mut receiver(), &wire, &[cut]);
            assert!(out.error.is_none(), "cut {cut}: {:?}", out.error);
            assert_eq!(out.items, messages, "cut {cut}");
        }
        for pattern in [u64::MAX, 0x5555_5555_5555_5555, 0x0f0f_0f0f_0f0f_0f0f] {
            let mut chunked = ChunkedCodec::new(receiver(), pattern);
            let out = run(&mut chunked, &wire, &every_byte(wire.len()));
            assert!(out.error.is_none(), "{:?}", out.error);
            assert_eq!(join_stream(&out.items), messages);
        }
    }
}

#[test]
fn threshold_and_opt_out_leave_rsv1_clear() {
    let mut server = codec(Role::Server, DeflateParams::default());
    let mut dst = BytesMut::new();
    server.encode(Message::text("tiny"), &mut dst).unwrap();
    let long = Message::text("x".repeat(200));
    server.encode(long.clone(), &mut dst).unwrap();
    server.encode_uncompressed(long.clone(), &mut dst).unwrap();
    server.next_uncompressed();
    let mut frames = Vec::new();
    server
        .encode_frames(long.clone(), |f| frames.push(f))
        .unwrap();
    for f in frames {
        dst.extend_from_slice(f.header());
        dst.extend_from_slice(f.payload());
    }
    server.encode(long.clone(), &mut dst).unwrap();
    let mut plain = FrameCodec::new(Role::Client);
    plain.set_allowed_rsv(Rsv::RSV1);
    let mut got = Vec::new();
    while let Some(frame) = plain.decode(&mut dst).unwrap() {
        got.push(frame.rsv.rsv1());
    }
    assert_eq!(got, vec![false, true, false, false, true]);
}

#[test]
fn all_encode_paths_compress_and_decode() {
    let message = Message::text("abc".repeat(100));
    let config = MessageConfig::default()
        .with_deflate(Some(DeflateParams::default()))
        .with_fragment_size(Some(40));
    let mut client = MessageCodec::with_config(Role::Client, config);
    let mut dst = BytesMut::new();
    client.encode(message.clone(), &mut dst).unwrap();
    let mut frames = Vec::new();
    client
        .encode_frames(message.clone(), |f| frames.push(f))
        .unwrap();
    for f in frames {
        dst.extend_from_slice(f.header());
        dst.extend_from_slice(f.payload());
    }
    let mut large = Vec::new();
    client
        .encode_into(message.clone(), &mut dst, 16, |_, l| large.push(l))
        .unwrap();
    // Frames handed back by reference go right after `dst`'s end; this
    // test only checks the small ones, which are all copied.
    assert!(large.iter().all(Option::is_none));
    client
        .encode_slice_into(
            DataKind::Text,
            "abc".repeat(100).as_bytes(),
            &mut dst,
            1 << 20,
            |_, _| {},
        )
        .unwrap();
    // Streamed, compressed piece by piece.
    client
        .encode(
            Fragment::Start(DataKind::Binary, Bytes::from_static(b"abcabc")),
            &mut dst,
        )
        .unwrap();
    client
        .encode(Message::Ping("between".into()), &mut dst)
        .unwrap();
    client
        .encode(Fragment::Continue(Bytes::from(vec![b'z'; 500])), &mut dst)
        .unwrap();
    client
        .encode(Fragment::End(Bytes::from_static(b"end")), &mut dst)
        .unwrap();
    let mut server = codec(Role::Server, DeflateParams::default());
    let out = run(&mut server, &dst, &every_byte(dst.len()));
    assert!(out.error.is_none(), "{:?}", out.error);
    let mut streamed = b"abcabc".to_vec();
    streamed.extend(vec![b'z'; 500]);
    streamed.extend(b"end");
    assert_eq!(
        out.items,
        vec![
            message.clone(),
            message.clone(),
            message.clone(),
            message,
            Message::Ping("between".into()),
            Message::binary(streamed)
        ]
    );
}

fn close_code(e: &Error) -> Option<CloseCode> {
    e.close_code()
}

fn server_wire(frames: &[Frame]) -> Vec<u8> {
    let mut codec = FrameCodec::new(Role::Server);
    let mut dst = BytesMut::new();
    for f in frames {
        codec.encode(f.clone(), &mut dst).unwrap();
    }
    dst.to_vec()
}

#[test]
fn rsv1_rules_are_protocol_errors() {
    let compressed = Bytes::from_static(&[0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00]);
    type Case = (Vec<Frame>, fn(&Error) -> bool);
    let cases: Vec<Case> = vec![
        (vec![Frame::ping("x").with_rsv(Rsv::RSV1)], |e| {
            matches!(e, Error::CompressedControlFrame)
        }),
        (
            vec![
                Frame::new(OpCode::Text, compressed.slice(..3))
                    .with_fin(false)
                    .with_rsv(Rsv::RSV1),
                Frame::continuation(compressed.slice(3..), true).with_rsv(Rsv::RSV1),
            ],
            |e| matches!(e, Error::CompressedContinuation),
        ),
        (
            vec![
                Frame::new(OpCode::Text, "He").with_fin(false),
                Frame::continuation("llo", true).with_rsv(Rsv::RSV1),
            ],
            |e| matches!(e, Error::CompressedContinuation),
        ),
        (
            vec![Frame::continuation("llo", true).with_rsv(Rsv::RSV1)],
            |e| matches!(e, Error::CompressedContinuation),
        ),
    ];
    for (frames, want) in cases {
        let wire = server_wire(&frames);
        for chunked in [false, true] {
            let client = codec(Role::Client, params());
            let out = if chunked {
                run(&mut ChunkedCodec::new(client, u64::MAX), &wire, &[]).error
            } else {
                let mut client = client;
                run(&mut client, &wire, &[]).error
            };
            let e = out.expect("an error");
            assert!(want(&e), "{frames:?}: {e:?}");
            assert_eq!(close_code(&e), Some(CloseCode::ProtocolError));
        }
    }
    // RSV1 without the extension.
    let mut client = MessageCodec::new(Role::Client);
    let e = run(&mut client, HELLO, &[]).error.expect("an error");
    assert!(
        matches!(e, Error::Frame(tether_frame::Error::ReservedBits(0x40))),
        "{e:?}"
    );
    assert_eq!(close_code(&e), Some(CloseCode::ProtocolError));
    // Turned off again after a handshake.
    let mut client = codec(Role::Client, params());
    client.set_deflate(None);
    assert!(run(&mut client, HELLO, &[]).error.is_some());
}

#[test]
fn garbage_deflate_data_is_1007() {
    let wire = server_wire(&[Frame::new(OpCode::Binary, vec![0xff; 20]).with_rsv(Rsv::RSV1)]);
    let mut client = codec(Role::Client, params());
    let e = run(&mut client, &wire, &[]).error.expect("an error");
    assert!(matches!(e, Error::InvalidCompressedData { .. }), "{e:?}");
    assert_eq!(close_code(&e), Some(CloseCode::InvalidPayload));
}

/// Raw deflate of `data` as one compressed message (sync flush, tail
/// removed), with flate2 directly.
fn raw_deflate(chunks: &[&[u8]]) -> Vec<u8> {
    let mut c = flate2::Compress::new(flate2::Compression::new(9), false);
    let mut out = Vec::new();
    for chunk in chunks {
        let mut buf = vec![0; chunk.len() + 1024];
        let before = c.total_out();
        c.compress(chunk, &mut buf, flate2::FlushCompress::Sync)
            .unwrap();
        buf.truncate((c.total_out() - before) as usize);
        out.extend(buf);
    }
    assert!(out.ends_with(&[0, 0, 0xff, 0xff]));
    out.truncate(out.len() - 4);
    out
}

#[test]
fn invalid_utf8_in_compressed_text_fails_fast() {
    let mut text = "a".repeat(10_000).into_bytes();
    text.push(0xff);
    let compressed = raw_deflate(&[&text, &vec![b'b'; 100_000]]);
    let wire = server_wire(&[Frame::new(OpCode::Text, compressed.clone()).with_rsv(Rsv::RSV1)]);
    // Whole: 1007 at byte 10,000.
    let mut client = codec(Role::Client, params());
    let e = run(&mut client, &wire, &[]).error.expect("an error");
    assert!(
        matches!(
            e,
            Error::InvalidUtf8 {
                valid_up_to: 10_000
            }
        ),
        "{e:?}"
    );
    assert_eq!(close_code(&e), Some(CloseCode::InvalidPayload));
    // Fail-fast: the frame's first part (through the first flush) is
    // enough, the rest never comes.
    let first = raw_deflate(&[&text]).len() + 4;
    let mut client = codec(Role::Client, params());
    let mut buf = BytesMut::new();
    let e = feed(&mut client, &mut buf, &wire[..4 + first]).expect_err("fails before the end");
    assert!(
        matches!(
            e,
            Error::InvalidUtf8 {
                valid_up_to: 10_000
            }
        ),
        "{e:?}"
    );
    // Fragmented, through decode_chunk too.
    let frames = [
        Frame::new(OpCode::Text, compressed[..first].to_vec())
            .with_fin(false)
            .with_rsv(Rsv::RSV1),
        Frame::continuation(compressed[first..].to_vec(), true),
    ];
    let wire = server_wire(&frames);
    let mut client = ChunkedCodec::new(codec(Role::Client, params()), u64::MAX);
    let e = run(&mut client, &wire, &[]).error.expect("an error");
    assert!(matches!(e, Error::InvalidUtf8 { .. }), "{e:?}");
    // A code point cut at the end of the message: 1007.
    let wire = server_wire(&[Frame::new(
        OpCode::Text,
        raw_deflate(&["é".as_bytes().get(..1).unwrap()]),
    )
    .with_rsv(Rsv::RSV1)]);
    let mut client = codec(Role::Client, params());
    let e = run(&mut client, &wire, &[]).error.expect("an error");
    assert!(matches!(e, Error::IncompleteUtf8), "{e:?}");
}

/// A compressed message that inflates to 1 GiB: 1 MiB of zeros, then the
/// same 1 MiB-of-zeros flush 1023 more times (each refers back only to
/// zeros), about 1 MiB on the wire.
pub fn bomb() -> Vec<u8> {
    let mut c = flate2::Compress::new(flate2::Compression::new(9), false);
    let zeros = vec![0u8; 1 << 20];
    let piece = |c: &mut flate2::Compress| {
        let mut buf = vec![0; 1 << 16];
        let before = c.total_out();
        c.compress(&zeros, &mut buf, flate2::FlushCompress::Sync)
            .unwrap();
        buf.truncate((c.total_out() - before) as usize);
        buf
    };
    let first = piece(&mut c);
    let next = piece(&mut c);
    let mut out = first;
    for _ in 0..1023 {
        out.extend_from_slice(&next);
    }
    out.truncate(out.len() - 4);
    out
}

#[test]
fn decompression_bomb_ends_with_1009() {
    let bomb = bomb();
    assert!(bomb.len() < 8 << 20, "{}", bomb.len());
    let limit = 1 << 20;
    let wire = server_wire(&[Frame::new(OpCode::Binary, bomb).with_rsv(Rsv::RSV1)]);
    for chunked in [false, true] {
        let config = MessageConfig::default()
            .with_deflate(Some(params()))
            .with_max_message_size(limit);
        let client = MessageCodec::with_config(Role::Client, config);
        let e = if chunked {
            run(&mut ChunkedCodec::new(client, u64::MAX), &wire, &[]).error
        } else {
            let mut client = client;
            // In 4 KiB reads: the frame is inflated as it arrives.
            let cuts: Vec<usize> = (4096..wire.len()).step_by(4096).collect();
            run(&mut client, &wire, &cuts).error
        }
        .expect("an error");
        assert!(
            matches!(e, Error::MessageTooBig { max, .. } if max == limit),
            "{e:?}"
        );
        assert_eq!(close_code(&e), Some(CloseCode::MessageTooBig));
    }
}

fn any_params() -> impl Strategy<Value = DeflateParams> {
    (
        any::<bool>(),
        any::<bool>(),
        8u8..=15,
        8u8..=15,
        0u32..=9,
        0usize..100,
    )
        .prop_map(|(snct, cnct, sb, cb, level, threshold)| {
            DeflateParams::default()
                .with_server_no_context_takeover(snct)
                .with_client_no_context_takeover(cnct)
                .with_server_max_window_bits(sb)
                .with_client_max_window_bits(cb)
                .with_compression_level(level)
                .with_threshold(threshold)
        })
}

fn any_message() -> impl Strategy<Value = Message> {
    prop_oneof![
        "[a-c é€😀]{0,300}".prop_map(Message::text),
        proptest::collection::vec(0u8..4, 0..2000).prop_map(Message::binary),
        proptest::collection::vec(any::<u8>(), 0..700).prop_map(Message::binary),
        (0usize..3).prop_map(|n| Message::Ping(vec![n as u8; n].into())),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn random_messages_round_trip(
        p in any_params(),
        messages in proptest::collection::vec(any_message(), 1..12),
        fragment in proptest::option::of(1usize..200),
        client_sends in any::<bool>(),
        cuts in proptest::collection::vec(0usize..20_000, 0..8),
        pattern in any::<u64>(),
    ) {
        let sender_role = if client_sends { Role::Client } else { Role::Server };
        let config = MessageConfig::default()
            .with_deflate(Some(p.clone()))
            .with_fragment_size(fragment)
            .with_max_fragments(1 << 20);
        let mut sender = MessageCodec::with_config(sender_role, config.clone());
        let wire = encode_all(&mut sender, &messages);
        let mut cuts = cuts;
        cuts.sort_unstable();
        let mut receiver = MessageCodec::with_config(peer(sender_role), config.clone());
        let out = run(&mut receiver, &wire, &cuts);
        prop_assert!(out.error.is_none(), "{:?}", out.error);
        prop_assert_eq!(&out.items, &messages);
        let receiver = MessageCodec::with_config(peer(sender_role), config);
        let mut chunked = ChunkedCodec::new(receiver, pattern);
        let out = run(&mut chunked, &wire, &cuts);
        prop_assert!(out.error.is_none(), "{:?}", out.error);
        prop_assert_eq!(join_stream(&out.items), messages);
    }
}

/// Found by the `message_deflate` fuzz target: stored blocks (level 0)
/// with context takeover, read one byte at a time.
#[test]
fn fuzz_stored_blocks_byte_by_byte() {
    let p = params().with_compression_level(0);
    let messages = vec![
        Message::binary(vec![0xc9, 0x00]),
        Message::text(""),
        Message::binary(vec![0xc9, 0x00]),
        Message::text(""),
    ];
    let wire = encode_all(&mut codec(Role::Server, p.clone()), &messages);
    // The empty text message is one 0x00 octet (RFC 7692 7.2.3.6).
    assert!(
        wire.windows(3).any(|w| w == [0xc1, 0x01, 0x00]),
        "{wire:02x?}"
    );
    let mut rx = codec(Role::Client, p);
    let mut buf = BytesMut::new();
    let mut got = Vec::new();
    for b in &wire {
        buf.extend_from_slice(&[*b]);
        while let Some(m) = rx.decode(&mut buf).expect("decodes") {
            got.push(m);
        }
    }
    assert_eq!(got, messages);
}
