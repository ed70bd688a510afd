//! `FrameCodec` as a tokio-util `Decoder`, fed the same bytes three ways.
//!
//! Input: see `tether_fuzz::SplitInput` (config byte, chunk sizes, wire).
//! The wire bytes are decoded in one read, one byte per read, and (if the
//! input gives chunk sizes) in reads of those sizes, each followed by
//! `decode_eof`. Properties:
//!
//! * no panic;
//! * all runs give the same frames, ending at the same wire positions, and
//!   the same error (variant and numbers), whatever the reads;
//! * every error is a peer error with a close code (1002, 1007, 1009), or
//!   `Truncated` at the end of the input;
//! * every frame obeys the config: data payload <= `max_frame_size`, RSV bits
//!   allowed, control frames <= 125 bytes with FIN, close payloads parse;
//! * each frame re-encodes (with the masking key of its own header) to its
//!   own wire bytes when its length was minimally encoded, and decodes back
//!   to itself; the `Encoder` impls and `encode_frame` agree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tether_frame::FrameCodec;
use tether_fuzz::{
    assert_same_frames, check_decode_error, check_frame, check_round_trip, run_decoder, SplitInput,
};

fuzz_target!(|data: &[u8]| {
    let Some(input) = SplitInput::parse(data) else {
        return;
    };
    let (role, config) = input.role_and_config();
    let codec = || FrameCodec::with_config(role, config.clone());

    let whole = run_decoder(codec(), [input.wire]);
    if let Some(e) = &whole.error {
        check_decode_error(e);
    }
    for frame in &whole.items {
        check_frame(frame, &config);
    }

    let bytewise = run_decoder(codec(), input.wire.chunks(1));
    assert_same_frames("one read vs byte by byte", &whole, &bytewise);
    if let Some(chunks) = input.chunks() {
        let split = run_decoder(codec(), chunks);
        assert_same_frames("one read vs chunked", &whole, &split);
    }

    check_round_trip(input.wire, &whole, role, &config);
});
