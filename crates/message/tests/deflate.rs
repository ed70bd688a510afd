//! permessage-deflate (RFC 7692) through `MessageCodec`: the examples of
//! RFC 7692 section 7.2.3 byte for byte, round trips at every read split,
//! random messages and parameters, the decompression bomb (1009), the RSV1
//! rules (1002) and invalid UTF-8 inside compressed text (1007, fail-fast).
//! Then the same through `MessageStreamCodec` (the `stream_*` tests), chunk
//! for chunk against `MessageCodec`'s messages.
#![cfg(feature = "deflate")]

mod common;

use bytes::{Bytes, BytesMut};
use common::{every_byte, feed, join_stream, peer, run, ChunkedCodec, DeferredCodec};
use proptest::prelude::*;
use tether_frame::{CloseCode, Frame, FrameCodec, OpCode, Role, Rsv};
use tether_message::{
    DataKind, DeflateParams, Error, Fragment, Message, MessageChunk, MessageCodec, MessageConfig,
    MessageStreamCodec,
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

// ---------------------------------------------------------------------------
// MessageStreamCodec with permessage-deflate.

/// No chunk of a compressed message is larger (documented by
/// `MessageStreamCodec`).
const STEP: usize = 64 << 10;

fn stream_codec(role: Role, config: &MessageConfig) -> MessageStreamCodec {
    MessageStreamCodec::new(role, config.clone())
}

fn deflate_config(params: DeflateParams) -> MessageConfig {
    MessageConfig::default()
        .with_deflate(Some(params))
        .with_max_fragments(1 << 20)
}

/// The data chunks of a message that had not ended when the stream
/// failed are dropped (controls between its chunks are kept), so that
/// `join_stream` gives the messages completed before the error.
fn completed(chunks: &[MessageChunk]) -> Vec<Message> {
    let open_from = chunks.iter().rposition(|c| match c {
        MessageChunk::Text { first, .. } | MessageChunk::Binary { first, .. } => *first,
        MessageChunk::Control(_) => false,
    });
    let ended = |c: &MessageChunk| {
        matches!(
            c,
            MessageChunk::Text { last: true, .. } | MessageChunk::Binary { last: true, .. }
        )
    };
    let mut kept: Vec<MessageChunk> = chunks.to_vec();
    if let Some(from) = open_from {
        if !chunks[from..].iter().any(ended) {
            kept = chunks[..from].to_vec();
            kept.extend(
                chunks[from..]
                    .iter()
                    .filter(|c| matches!(c, MessageChunk::Control(_)))
                    .cloned(),
            );
        }
    }
    join_stream(&kept)
}

/// The largest data chunk.
fn largest_chunk(chunks: &[MessageChunk]) -> usize {
    chunks
        .iter()
        .map(|c| match c {
            MessageChunk::Text { data, .. } => data.len(),
            MessageChunk::Binary { data, .. } => data.len(),
            MessageChunk::Control(_) => 0,
        })
        .max()
        .unwrap_or(0)
}

/// Decodes `wire` cut at `cuts` with `MessageCodec` and with
/// `MessageStreamCodec` (same role and configuration): the chunks must join
/// to `MessageCodec`'s messages and the errors must be the same. Returns
/// `MessageCodec`'s outcome and the chunks.
fn both(
    role: Role,
    config: &MessageConfig,
    wire: &[u8],
    cuts: &[usize],
) -> (Vec<Message>, Option<Error>, Vec<MessageChunk>) {
    let whole = run(
        &mut MessageCodec::with_config(role, config.clone()),
        wire,
        cuts,
    );
    let stream = run(&mut stream_codec(role, config), wire, cuts);
    match (&whole.error, &stream.error) {
        (None, None) => assert_eq!(join_stream(&stream.items), whole.items),
        (Some(a), Some(b)) => {
            assert_eq!(format!("{a:?}"), format!("{b:?}"), "different errors");
            assert_eq!(completed(&stream.items), whole.items);
        }
        (a, b) => panic!("MessageCodec: {a:?}, MessageStreamCodec: {b:?}"),
    }
    (whole.items, whole.error, stream.items)
}

/// Asserts that `wire` decodes to `expected` through both codecs, with no
/// error.
fn decodes_to(
    role: Role,
    config: &MessageConfig,
    wire: &[u8],
    cuts: &[usize],
    expected: &[Message],
) {
    let (messages, error, chunks) = both(role, config, wire, cuts);
    assert!(error.is_none(), "{error:?}");
    assert_eq!(messages, expected);
    assert!(largest_chunk(&chunks) <= STEP, "{}", largest_chunk(&chunks));
}

#[test]
fn stream_rfc_7692_examples() {
    let wires: Vec<(&[u8], usize)> = vec![
        (HELLO, 1),
        (
            &[
                0x41, 0x03, 0xf2, 0x48, 0xcd, 0x80, 0x04, 0xc9, 0xc9, 0x07, 0x00,
            ],
            1,
        ),
        (&[0xc1, 0x05, 0xf2, 0x00, 0x11, 0x00, 0x00], 0),
        (
            &[
                0xc1, 0x0b, 0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c, 0x6f, 0x00,
            ],
            1,
        ),
        (
            &[0xc1, 0x08, 0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00],
            1,
        ),
        (
            &[
                0xc1, 0x0d, 0xf2, 0x48, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff, 0xca, 0xc9, 0xc9, 0x07,
                0x00,
            ],
            1,
        ),
    ];
    let config = deflate_config(params());
    for (wire, standalone) in wires {
        // The context takeover example (7.2.3.2) only decodes after the
        // first "Hello".
        let wire = if standalone == 1 {
            wire.to_vec()
        } else {
            [HELLO, wire].concat()
        };
        let expected = vec![hello(); 2 - standalone];
        for cut in 0..=wire.len() {
            decodes_to(Role::Client, &config, &wire, &[cut], &expected);
        }
        decodes_to(
            Role::Client,
            &config,
            &wire,
            &every_byte(wire.len()),
            &expected,
        );
        // Twice in a row: context takeover and the BFINAL reset.
        let twice = [&wire[..], &wire[..]].concat();
        if standalone == 1 {
            let out = run(&mut stream_codec(Role::Client, &config), &twice, &[]);
            assert!(out.error.is_none(), "{:02x?}: {:?}", wire, out.error);
            assert_eq!(join_stream(&out.items), vec![hello(), hello()]);
        }
    }
}

/// A conversation of compressed and uncompressed messages (below the
/// threshold), fragmented and whole, with control frames between the
/// fragments of a compressed streamed message; with context takeover and
/// without, at every two-way split and byte by byte.
#[test]
fn stream_decodes_as_message_codec_at_every_split() {
    let json = "{\"event\":\"tick\",\"data\":[1,2,3],\"ok\":true} ".repeat(40);
    for (role, fragment, no_takeover) in [
        (Role::Client, Some(50), false),
        (Role::Server, None, false),
        (Role::Client, None, true),
        (Role::Server, Some(7), true),
    ] {
        let p = DeflateParams::default()
            .with_client_no_context_takeover(no_takeover)
            .with_server_no_context_takeover(no_takeover);
        let config = deflate_config(p).with_fragment_size(fragment);
        let mut sender = MessageCodec::with_config(role, config.clone());
        let mut wire = BytesMut::new();
        let mut messages = vec![
            Message::text(json.as_str()),
            Message::Ping("p".into()),
            Message::binary(vec![7u8; 700]),
            Message::text("short"),
            Message::text("héllo wörld ".repeat(30)),
            Message::binary(Bytes::new()),
            Message::text(json.as_str()),
        ];
        for m in &messages {
            sender.encode(m.clone(), &mut wire).unwrap();
        }
        sender
            .encode(
                Fragment::Start(DataKind::Text, Bytes::from("ab€")),
                &mut wire,
            )
            .unwrap();
        sender.encode(Message::Pong("q".into()), &mut wire).unwrap();
        sender
            .encode(Fragment::Continue(Bytes::from(json.clone())), &mut wire)
            .unwrap();
        sender.encode(Message::Ping("r".into()), &mut wire).unwrap();
        sender
            .encode(Fragment::End(Bytes::from("😀")), &mut wire)
            .unwrap();
        messages.push(Message::Pong("q".into()));
        messages.push(Message::Ping("r".into()));
        messages.push(Message::text(format!("ab€{json}😀")));
        let receiver = peer(role);
        decodes_to(receiver, &config, &wire, &every_byte(wire.len()), &messages);
        for cut in 0..=wire.len() {
            decodes_to(receiver, &config, &wire, &[cut], &messages);
        }
    }
}

/// With deferred validation (what tether-ws sets), a compressed frame still
/// arriving is inflated in batches of compressed bytes, and whenever the
/// driver is about to wait (`validate_buffered`): the same messages whatever
/// the reads, and an error as soon as the driver would wait for more.
#[test]
fn deferred_inflation_batches_and_fails_when_the_driver_waits() {
    let messages = vec![
        sized_message(300_000, false, false),
        sized_message(1 << 20, true, true),
        Message::text("x"),
        sized_message(600_000, true, false),
        sized_message(70_000, false, true),
    ];
    for fragment in [None, Some(100_000)] {
        let config = MessageConfig::default()
            .with_deflate(Some(params()))
            .with_fragment_size(fragment);
        let wire = encode_all(
            &mut MessageCodec::with_config(Role::Server, config),
            &messages,
        );
        let reads: [Vec<usize>; 3] = [
            vec![],
            (4096..wire.len()).step_by(4096).collect(),
            (1000..wire.len()).step_by(65_537).collect(),
        ];
        for cuts in reads {
            let out = run(
                &mut DeferredCodec::new(codec(Role::Client, params())),
                &wire,
                &cuts,
            );
            assert!(out.error.is_none(), "{:?}", out.error);
            assert_eq!(out.items, messages);
        }
    }

    // Invalid text in the part of the frame that came: held for a batch by
    // `decode`, reported by `validate_buffered`.
    let mut text = "a".repeat(10_000).into_bytes();
    text.push(0xff);
    let compressed = raw_deflate(&[&text, &vec![b'b'; 100_000]]);
    let wire = server_wire(&[Frame::new(OpCode::Text, compressed).with_rsv(Rsv::RSV1)]);
    let first = raw_deflate(&[&text]).len() + 4;
    let mut client = codec(Role::Client, params());
    client.set_deferred_validation(true);
    let mut buf = BytesMut::from(&wire[..4 + first]);
    assert!(matches!(client.decode(&mut buf), Ok(None)));
    assert!(!buf.is_empty(), "held for the batch");
    let e = client.validate_buffered(&mut buf).expect_err("invalid");
    assert!(
        matches!(
            e,
            Error::InvalidUtf8 {
                valid_up_to: 10_000
            }
        ),
        "{e:?}"
    );

    // A bomb (about 1 MiB on the wire, under the limit): over the limit
    // at the batch, or when the driver waits.
    let limit = 4 << 20;
    let wire = server_wire(&[Frame::new(OpCode::Binary, bomb()).with_rsv(Rsv::RSV1)]);
    for (held, waits) in [(300 << 10, false), (100 << 10, true)] {
        let config = MessageConfig::default()
            .with_deflate(Some(params()))
            .with_max_message_size(limit);
        let mut client = MessageCodec::with_config(Role::Client, config);
        client.set_deferred_validation(true);
        let mut buf = BytesMut::from(&wire[..held]);
        let e = if waits {
            assert!(matches!(client.decode(&mut buf), Ok(None)));
            client.validate_buffered(&mut buf).expect_err("over")
        } else {
            client.decode(&mut buf).expect_err("over")
        };
        assert!(
            matches!(e, Error::MessageTooBig { max, .. } if max == limit),
            "{e:?}"
        );
    }
}

fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed.max(1);
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

/// A message of `len` bytes: text or binary, compressible or not (text
/// from random code points of 1 to 4 bytes, cut to whole ones).
fn sized_message(len: usize, text: bool, compressible: bool) -> Message {
    let mut next = xorshift(len as u64 ^ 0x5eed);
    match (text, compressible) {
        (true, true) => {
            let s: String = "{\"user\":\"jöhn\",\"price\":\"12€\",\"mood\":\"😀\"} "
                .chars()
                .cycle()
                .scan(0, |n, c| {
                    *n += c.len_utf8();
                    (*n <= len).then_some(c)
                })
                .collect();
            Message::text(s)
        }
        (true, false) => {
            let mut s = String::with_capacity(len);
            let alphabet = ['a', 'Z', '7', 'é', 'ß', '€', '中', '😀', '🦀', '\u{10ffff}'];
            loop {
                let c = alphabet[(next() % alphabet.len() as u64) as usize];
                if s.len() + c.len_utf8() > len {
                    break;
                }
                s.push(c);
            }
            Message::text(s)
        }
        (false, true) => {
            Message::binary((0..len).map(|i| (i / 1000 % 7) as u8).collect::<Vec<u8>>())
        }
        (false, false) => Message::binary((0..len).map(|_| next() as u8).collect::<Vec<u8>>()),
    }
}

/// 0 B to 1 MiB, text and binary, compressible and not, in one frame and
/// fragmented, with context takeover and without: the same messages from
/// both codecs in one read, in odd-sized reads and byte by byte (up to
/// 64 KiB), no chunk larger than one inflate step, and compression on the
/// wire.
#[test]
fn stream_sizes_up_to_1_mib() {
    let sizes = [0usize, 1, 125, 126, 65_535, 65_537, 300_000, 1 << 20];
    for no_takeover in [false, true] {
        for fragment in [None, Some(16_000)] {
            let p = params()
                .with_server_no_context_takeover(no_takeover)
                .with_client_no_context_takeover(no_takeover);
            let config = deflate_config(p).with_fragment_size(fragment);
            for &len in &sizes {
                // A new connection per size: the receivers start afresh.
                let mut sender = MessageCodec::with_config(Role::Server, config.clone());
                let messages: Vec<Message> =
                    [(true, true), (true, false), (false, true), (false, false)]
                        .iter()
                        .map(|&(text, compressible)| sized_message(len, text, compressible))
                        .collect();
                let wire = encode_all(&mut sender, &messages);
                if len == 1 << 20 {
                    // The compressible ones went compressed.
                    assert!(wire.len() < 3 * len, "{}", wire.len());
                }
                for cuts in [
                    vec![],
                    (4093..wire.len()).step_by(4093).collect(),
                    (65_539..wire.len()).step_by(65_539).collect(),
                ] {
                    decodes_to(Role::Client, &config, &wire, &cuts, &messages);
                }
                if len <= 65_537 {
                    decodes_to(
                        Role::Client,
                        &config,
                        &wire,
                        &every_byte(wire.len()),
                        &messages,
                    );
                }
            }
        }
    }
}

fn any_stream_message() -> impl Strategy<Value = Message> {
    prop_oneof![
        4 => any_message(),
        1 => (0usize..200_000, any::<bool>(), any::<bool>())
            .prop_map(|(len, text, compressible)| sized_message(len, text, compressible)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random parameters, messages (up to 200 KB), fragmentation and read
    /// boundaries: `MessageStreamCodec`'s chunks join to the messages sent
    /// and to what `MessageCodec` decodes; byte by byte too for short
    /// wires.
    #[test]
    fn stream_random_messages_any_split(
        p in any_params(),
        messages in proptest::collection::vec(any_stream_message(), 1..8),
        fragment in proptest::option::of(1usize..3000),
        client_sends in any::<bool>(),
        lengths in proptest::collection::vec(1usize..5000, 1..30),
    ) {
        let sender_role = if client_sends { Role::Client } else { Role::Server };
        let config = deflate_config(p).with_fragment_size(fragment);
        let mut sender = MessageCodec::with_config(sender_role, config.clone());
        let wire = encode_all(&mut sender, &messages);
        let mut cuts = Vec::new();
        let mut at = 0;
        for len in lengths.iter().cycle() {
            at += len;
            if at >= wire.len() {
                break;
            }
            cuts.push(at);
        }
        let (got, error, _) = both(peer(sender_role), &config, &wire, &cuts);
        prop_assert!(error.is_none(), "{:?}", error);
        prop_assert_eq!(&got, &messages);
        if wire.len() <= 20_000 {
            let (got, error, _) = both(peer(sender_role), &config, &wire, &every_byte(wire.len()));
            prop_assert!(error.is_none(), "{:?}", error);
            prop_assert_eq!(&got, &messages);
        }
    }
}

/// Control frames between the fragments of compressed messages (hand-made
/// fragments of one DEFLATE stream, cut anywhere, even inside a code point
/// of the inflated text) come out at once, the message around them intact.
#[test]
fn stream_control_frames_between_compressed_fragments() {
    let text = "aé€😀 ".repeat(3000);
    let compressed = raw_deflate(&[text.as_bytes()]);
    let n = compressed.len();
    let cuts = [0, 1, n / 3, n / 2, n - 1];
    let mut frames = vec![Frame::ping("before")];
    let mut expected = vec![Message::Ping("before".into())];
    for (i, pair) in cuts.windows(2).enumerate() {
        let opcode = if i == 0 {
            OpCode::Text
        } else {
            OpCode::Continuation
        };
        let frame = Frame::new(opcode, compressed[pair[0]..pair[1]].to_vec()).with_fin(false);
        frames.push(if i == 0 {
            frame.with_rsv(Rsv::RSV1)
        } else {
            frame
        });
        let control = if i % 2 == 0 {
            Message::Ping(format!("p{i}").into())
        } else {
            Message::Pong(format!("q{i}").into())
        };
        frames.push(match &control {
            Message::Ping(p) => Frame::ping(p.clone()),
            Message::Pong(p) => Frame::pong(p.clone()),
            _ => unreachable!(),
        });
        expected.push(control);
    }
    frames.push(Frame::continuation(compressed[n - 1..].to_vec(), true));
    frames.push(Frame::close(None).unwrap());
    expected.push(Message::text(text.as_str()));
    expected.push(Message::Close(None));
    let wire = server_wire(&frames);
    let config = deflate_config(params());
    for cuts in [
        vec![],
        every_byte(wire.len()),
        (1..wire.len()).step_by(97).collect(),
    ] {
        decodes_to(Role::Client, &config, &wire, &cuts, &expected);
        // The controls come out between the message's chunks, in order.
        let out = run(&mut stream_codec(Role::Client, &config), &wire, &cuts);
        let at = |m: &str| {
            out.items
                .iter()
                .position(|c| matches!(c, MessageChunk::Control(Message::Ping(p) | Message::Pong(p)) if p == m.as_bytes()))
                .unwrap()
        };
        let first_text = out
            .items
            .iter()
            .position(|c| matches!(c, MessageChunk::Text { .. }))
            .unwrap();
        assert!(at("before") < first_text);
        assert!(first_text < at("q1") && at("p0") < at("q1") && at("q1") < at("p2"));
    }
}

/// RSV1 on a control frame, on a continuation (after a compressed first
/// frame, after an uncompressed one, with no message open), or without the
/// extension: the same errors as `MessageCodec`, 1002, at any split.
#[test]
fn stream_rsv1_rules_are_protocol_errors() {
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
                Frame::pong("between").with_rsv(Rsv::RSV1),
            ],
            |e| matches!(e, Error::CompressedControlFrame),
        ),
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
    let config = deflate_config(params());
    for (frames, want) in cases {
        let wire = server_wire(&frames);
        for cuts in [vec![], every_byte(wire.len())] {
            let (_, error, _) = both(Role::Client, &config, &wire, &cuts);
            let e = error.expect("an error");
            assert!(want(&e), "{frames:?}: {e:?}");
            assert_eq!(close_code(&e), Some(CloseCode::ProtocolError));
        }
    }
    // RSV1 without the extension.
    let plain = MessageConfig::default();
    let e = run(&mut stream_codec(Role::Client, &plain), HELLO, &[])
        .error
        .expect("an error");
    assert!(
        matches!(e, Error::Frame(tether_frame::Error::ReservedBits(0x40))),
        "{e:?}"
    );
    // Turned off after a handshake, and on.
    let mut off = stream_codec(Role::Client, &config);
    assert_eq!(off.deflate(), Some(&params()));
    off.set_deflate(None);
    assert_eq!(off.deflate(), None);
    assert!(!off.config().frame.allowed_rsv.rsv1());
    assert!(run(&mut off, HELLO, &[]).error.is_some());
    let mut on = stream_codec(Role::Client, &plain);
    on.set_deflate(Some(params()));
    assert!(on.config().frame.allowed_rsv.rsv1());
    let out = run(&mut on, HELLO, &[]);
    assert!(out.error.is_none(), "{:?}", out.error);
    assert_eq!(join_stream(&out.items), vec![hello()]);
}

/// 16 MiB of zeros compressed (about 16 KiB) against a 1 MiB limit, and
/// the 1 GiB bomb against 2 MiB, in one read and in 4 KiB reads: 1009 at the limit, the
/// chunks handed out before it hold at most the limit, none over one step,
/// and the error comes before the end of the wire is read.
#[test]
fn stream_decompression_bomb_ends_with_1009() {
    let limit: u64 = 1 << 20;
    let mut sender = codec(Role::Server, params().with_compression_level(9));
    let zeros = encode_all(&mut sender, &[Message::binary(vec![0u8; 16 << 20])]);
    assert!(zeros.len() < 64 << 10, "{}", zeros.len());
    let gib = server_wire(&[Frame::new(OpCode::Text, bomb()).with_rsv(Rsv::RSV1)]);
    // The 1 GiB bomb is itself over 1 MiB compressed (refused from its
    // header at 1 MiB): 2 MiB for it.
    for (wire, limit) in [(zeros, limit), (gib, 2 * limit)] {
        let config = deflate_config(params()).with_max_message_size(limit);
        for read in [usize::MAX, 4096] {
            let mut stream = stream_codec(Role::Client, &config);
            let mut buf = BytesMut::new();
            let mut handed_out = 0u64;
            let mut largest = 0;
            let mut fed = 0;
            let error = 'feed: {
                for piece in wire.chunks(read.min(wire.len())) {
                    buf.extend_from_slice(piece);
                    fed += piece.len();
                    loop {
                        match stream.decode(&mut buf) {
                            Ok(Some(chunk)) => {
                                let len = largest_chunk(std::slice::from_ref(&chunk));
                                handed_out += len as u64;
                                largest = largest.max(len);
                            }
                            Ok(None) => break,
                            Err(e) => break 'feed e,
                        }
                    }
                }
                panic!("no error");
            };
            assert!(
                matches!(error, Error::MessageTooBig { size, max } if max == limit && size == limit + 1),
                "{error:?}"
            );
            assert_eq!(close_code(&error), Some(CloseCode::MessageTooBig));
            assert!(handed_out <= limit, "{handed_out}");
            assert!(largest <= STEP, "{largest}");
            if read == 4096 {
                assert!(fed < wire.len() / 2, "{fed} of {}", wire.len());
            }
        }
    }
}

/// Invalid UTF-8 inside compressed text: 1007 at its offset, as
/// `MessageCodec` reports it, before the frame is complete (the rest never
/// comes), after handing out the valid text before it; in one frame and
/// fragmented; a code point cut at the end of the message is 1007 too.
#[test]
fn stream_invalid_utf8_in_compressed_text_fails_fast() {
    let mut text = "a".repeat(10_000).into_bytes();
    text.push(0xff);
    let compressed = raw_deflate(&[&text, &vec![b'b'; 100_000]]);
    let config = deflate_config(params());
    let wire = server_wire(&[Frame::new(OpCode::Text, compressed.clone()).with_rsv(Rsv::RSV1)]);
    for cuts in [vec![], every_byte(wire.len())] {
        let (_, error, chunks) = both(Role::Client, &config, &wire, &cuts);
        let e = error.expect("an error");
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
        let got: String = chunks
            .iter()
            .map(|c| match c {
                MessageChunk::Text { data, .. } => data.to_string(),
                other => panic!("{other:?}"),
            })
            .collect();
        assert!(
            got.len() <= 10_000 && got.bytes().all(|b| b == b'a'),
            "{}",
            got.len()
        );
    }
    // After another text message: the offset is the message's own.
    let after_hello = [HELLO, &wire[..]].concat();
    let (messages, error, _) = both(Role::Client, &config, &after_hello, &[]);
    assert_eq!(messages, vec![hello()]);
    assert!(
        matches!(
            error,
            Some(Error::InvalidUtf8 {
                valid_up_to: 10_000
            })
        ),
        "{error:?}"
    );
    // Fail-fast: the frame's first part (through the first flush) is enough.
    let first = raw_deflate(&[&text]).len() + 4;
    let mut stream = stream_codec(Role::Client, &config);
    let mut buf = BytesMut::new();
    let e = feed(&mut stream, &mut buf, &wire[..4 + first]).expect_err("fails before the end");
    assert!(
        matches!(
            e,
            Error::InvalidUtf8 {
                valid_up_to: 10_000
            }
        ),
        "{e:?}"
    );
    // Fragmented.
    let frames = [
        Frame::new(OpCode::Text, compressed[..first].to_vec())
            .with_fin(false)
            .with_rsv(Rsv::RSV1),
        Frame::continuation(compressed[first..].to_vec(), true),
    ];
    let wire = server_wire(&frames);
    let (_, error, _) = both(Role::Client, &config, &wire, &[]);
    assert!(
        matches!(
            error,
            Some(Error::InvalidUtf8 {
                valid_up_to: 10_000
            })
        ),
        "{error:?}"
    );
    // A code point cut at the end of the message, whole or byte by byte.
    let wire = server_wire(&[Frame::new(
        OpCode::Text,
        raw_deflate(&["é".as_bytes().get(..1).unwrap()]),
    )
    .with_rsv(Rsv::RSV1)]);
    for cuts in [vec![], every_byte(wire.len())] {
        let (_, error, _) = both(Role::Client, &config, &wire, &cuts);
        assert!(matches!(error, Some(Error::IncompleteUtf8)), "{error:?}");
    }
}

/// Data that is not DEFLATE, from the first byte or after a valid start
/// in a later fragment: `InvalidCompressedData`, 1007, as `MessageCodec`.
#[test]
fn stream_invalid_compressed_data_is_1007() {
    let valid = raw_deflate(&[&[b'x'; 5000]]);
    let cases = [
        vec![Frame::new(OpCode::Binary, vec![0xff; 20]).with_rsv(Rsv::RSV1)],
        vec![
            Frame::new(OpCode::Binary, valid.clone())
                .with_fin(false)
                .with_rsv(Rsv::RSV1),
            Frame::ping("between"),
            Frame::continuation(vec![0xff; 20], true),
        ],
        vec![Frame::new(OpCode::Text, [&valid[..], &[0xff; 3]].concat()).with_rsv(Rsv::RSV1)],
    ];
    let config = deflate_config(params());
    for frames in cases {
        let wire = server_wire(&frames);
        for cuts in [vec![], every_byte(wire.len())] {
            let (_, error, _) = both(Role::Client, &config, &wire, &cuts);
            let e = error.expect("an error");
            assert!(matches!(e, Error::InvalidCompressedData { .. }), "{e:?}");
            assert_eq!(close_code(&e), Some(CloseCode::InvalidPayload));
        }
    }
}

/// The decompressor's state, kept between messages with context takeover,
/// can be released when idle without losing the context; without context
/// takeover none is kept.
#[test]
fn stream_release_compression_state_keeps_the_context() {
    let messages: Vec<Message> = (0..6)
        .map(|i| {
            Message::text(format!(
                "{{\"n\":{i},\"text\":\"{}\"}}",
                "repeat me ".repeat(50)
            ))
        })
        .collect();
    for no_takeover in [false, true] {
        let p = params().with_server_no_context_takeover(no_takeover);
        let config = deflate_config(p);
        let wire = encode_all(
            &mut MessageCodec::with_config(Role::Server, config.clone()),
            &messages,
        );
        let mut stream = stream_codec(Role::Client, &config);
        assert!(!stream.holds_compression_state());
        let mut buf = BytesMut::from(&wire[..]);
        let mut got = Vec::new();
        let mut released = 0;
        while let Some(chunk) = stream.decode(&mut buf).unwrap() {
            let end = matches!(chunk, MessageChunk::Text { last: true, .. });
            got.push(chunk);
            if end {
                assert_eq!(stream.holds_compression_state(), !no_takeover);
                if stream.release_compression_state() {
                    released += 1;
                }
                assert!(!stream.holds_compression_state());
            }
        }
        assert_eq!(join_stream(&got), messages);
        assert_eq!(released, if no_takeover { 0 } else { messages.len() });
    }
}

/// A data frame declaring more than is left of the message limit is
/// refused from the first bytes of its header (before its masking key, and
/// before the order rules), as `MessageCodec` refuses it: for a compressed
/// message, what is left is the limit less the bytes inflated so far.
/// (Found by the `message_deflate` fuzz target,
/// `regress-stream-header-prefix-over-limit`.)
#[test]
fn stream_a_frame_over_what_is_left_is_refused_from_its_header() {
    let zero = deflate_config(params()).with_max_message_size(0);
    // A continuation (no message open) of 120 bytes, masked: 3 bytes of
    // its header.
    let prefix = [0x80, 0xf8, 0xff];
    for stream in [true, false] {
        let mut buf = BytesMut::new();
        let e = if stream {
            feed(&mut stream_codec(Role::Server, &zero), &mut buf, &prefix)
                .expect_err("refused from the header")
        } else {
            let mut codec = MessageCodec::with_config(Role::Server, zero.clone());
            feed(&mut codec, &mut buf, &prefix).expect_err("refused from the header")
        };
        assert!(
            matches!(e, Error::MessageTooBig { size: 120, max: 0 }),
            "{e:?}"
        );
    }
    // 1000 bytes inflated of a 1100-byte limit: a continuation of 101
    // compressed bytes is refused from its header; one of 100 passes it
    // (and its bytes, not DEFLATE, fail as such).
    let first = raw_deflate(&[&[b'a'; 1000]]);
    let limit = deflate_config(params()).with_max_message_size(1100);
    for len in [100, 101] {
        let frames = [
            Frame::new(OpCode::Text, first.clone())
                .with_fin(false)
                .with_rsv(Rsv::RSV1),
            Frame::continuation(vec![0xff; len], true),
        ];
        let wire = server_wire(&frames);
        // Up to the second header, without its payload; and byte by byte.
        for cuts in [vec![wire.len() - len], every_byte(wire.len())] {
            let (_, error, _) = both(Role::Client, &limit, &wire, &cuts);
            if len == 100 {
                assert!(
                    matches!(error, Some(Error::InvalidCompressedData { .. })),
                    "{error:?}"
                );
            } else {
                assert!(
                    matches!(
                        error,
                        Some(Error::MessageTooBig {
                            size: 1101,
                            max: 1100
                        })
                    ),
                    "{error:?}"
                );
            }
        }
        // Refused as soon as the header is in, the payload still to come.
        if len == 101 {
            let mut stream = stream_codec(Role::Client, &limit);
            let mut buf = BytesMut::new();
            let e = feed(&mut stream, &mut buf, &wire[..wire.len() - len])
                .expect_err("refused from the header");
            assert!(
                matches!(e, Error::MessageTooBig { size: 1101, .. }),
                "{e:?}"
            );
        }
    }
}
