//! Property tests: the decoders' output does not depend on where the reads
//! fall, and no input makes them panic.

mod common;

use bytes::{Bytes, BytesMut};
use common::{every_byte, frames, run, streamed};
use proptest::prelude::*;
use tether_frame::{
    CloseCode, CloseFrame, Frame, FrameCodec, FrameConfig, FrameStreamCodec, OpCode, Role, Rsv,
};
use tokio_util::codec::Encoder;

fn payload(max: usize) -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        8 => proptest::collection::vec(any::<u8>(), 0..=max.min(130)),
        // Sizes around the 7-bit / 16-bit / 64-bit length boundaries.
        1 => prop_oneof![Just(125usize), Just(126), Just(127), Just(0xFFFF), Just(0x10000), Just(0x10001)]
            .prop_filter("fits", move |n| *n <= max)
            .prop_flat_map(|n| (Just(n), any::<u8>()))
            .prop_map(|(n, b)| vec![b; n]),
    ]
}

fn close_frame() -> impl Strategy<Value = Frame> {
    prop_oneof![
        Just(Frame::close(None).expect("empty close")),
        (
            prop_oneof![1000u16..=1003, 1007u16..=1014, 3000u16..=4999],
            "[a-zé€😀 ]{0,30}"
        )
            .prop_map(|(code, reason)| {
                let close = CloseFrame::new(CloseCode::from(code), reason);
                Frame::close(Some(&close)).expect("valid close")
            }),
    ]
}

fn frame() -> impl Strategy<Value = Frame> {
    prop_oneof![
        6 => (
            prop_oneof![Just(OpCode::Text), Just(OpCode::Binary), Just(OpCode::Continuation)],
            any::<bool>(),
            payload(0x10001),
        )
            .prop_map(|(op, fin, p)| Frame::new(op, p).with_fin(fin)),
        2 => (prop_oneof![Just(OpCode::Ping), Just(OpCode::Pong)], payload(125))
            .prop_map(|(op, p)| Frame::new(op, p)),
        1 => close_frame(),
    ]
}

/// Ascending cut positions from arbitrary chunk lengths.
fn cuts_from(lengths: &[usize], total: usize) -> Vec<usize> {
    let mut cuts = Vec::new();
    let mut at = 0;
    for len in lengths.iter().cycle().take(total) {
        at += len;
        if at >= total {
            break;
        }
        cuts.push(at);
    }
    cuts
}

fn encode_all(role: Role, frames: &[Frame]) -> Bytes {
    let mut codec = FrameCodec::new(role);
    let mut out = BytesMut::new();
    for f in frames {
        codec.encode(f.clone(), &mut out).expect("valid frame");
    }
    out.freeze()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_frames_any_chunking_same_frames(
        frames_in in proptest::collection::vec(frame(), 0..12),
        chunk_lengths in proptest::collection::vec(1usize..1500, 1..40),
        client_to_server in any::<bool>(),
    ) {
        let (sender, receiver) = if client_to_server {
            (Role::Client, Role::Server)
        } else {
            (Role::Server, Role::Client)
        };
        let wire = encode_all(sender, &frames_in);
        let config = FrameConfig::default().with_max_frame_size(1 << 20);
        let make = || FrameCodec::with_config(receiver, config.clone());

        let whole = frames(make, &wire, &[]);
        prop_assert_eq!(whole.error.as_deref(), None);
        prop_assert_eq!(&whole.items, &frames_in);

        let random = frames(make, &wire, &cuts_from(&chunk_lengths, wire.len()));
        prop_assert_eq!(&random, &whole);

        // Byte by byte only for small streams (it is quadratic in debug builds
        // only through the test harness, not the decoder).
        if wire.len() <= 4096 {
            let bytewise = frames(make, &wire, &every_byte(wire.len()));
            prop_assert_eq!(&bytewise, &whole);
        }

        let make_stream = || FrameStreamCodec::new(receiver, config.clone());
        let streamed_random = streamed(make_stream, &wire, &cuts_from(&chunk_lengths, wire.len()));
        prop_assert_eq!(&streamed_random, &whole);
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_do_not_depend_on_chunking(
        bytes in proptest::collection::vec(any::<u8>(), 0..600),
        chunk_lengths in proptest::collection::vec(1usize..64, 1..20),
        server in any::<bool>(),
        allowed in 0u8..8,
        max in prop_oneof![Just(0u64), Just(125), Just(300), Just(1 << 20)],
        minimal in any::<bool>(),
    ) {
        let role = if server { Role::Server } else { Role::Client };
        let config = FrameConfig::default()
            .with_max_frame_size(max)
            .with_allowed_rsv(
                [Rsv::NONE, Rsv::RSV1, Rsv::RSV2, Rsv::RSV3, Rsv::RSV1 | Rsv::RSV2, Rsv::RSV1 | Rsv::RSV3, Rsv::RSV2 | Rsv::RSV3, Rsv::ALL][usize::from(allowed)],
            )
            .with_require_minimal_length(minimal);
        let make = || FrameCodec::with_config(role, config.clone());
        let whole = frames(make, &bytes, &[]);
        let split = frames(make, &bytes, &cuts_from(&chunk_lengths, bytes.len()));
        prop_assert_eq!(&split, &whole);
        let bytewise = frames(make, &bytes, &every_byte(bytes.len()));
        prop_assert_eq!(&bytewise, &whole);
        for f in &whole.items {
            prop_assert!(f.opcode.is_control() || f.payload.len() as u64 <= max);
            if f.opcode.is_control() {
                prop_assert!(f.fin && f.payload.len() <= 125);
            }
            prop_assert!(f.rsv.outside(config.allowed_rsv).is_empty());
        }
        let streamed = streamed(|| FrameStreamCodec::new(role, config.clone()), &bytes, &cuts_from(&chunk_lengths, bytes.len()));
        prop_assert_eq!(&streamed.items, &whole.items);
        prop_assert_eq!(streamed.error.is_some(), whole.error.is_some());
        // The streaming decoder's raw run never panics byte by byte either.
        let _ = run(&mut FrameStreamCodec::new(role, config.clone()), &bytes, &every_byte(bytes.len()));
    }
}
