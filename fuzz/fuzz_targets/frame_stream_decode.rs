//! `FrameStreamCodec`, fed the same bytes three ways, against `FrameCodec`.
//!
//! Input: see `tether_fuzz::SplitInput`. With config bit 7 (limit 2^63 - 1,
//! which the streaming decoder is meant to handle) only the streaming runs
//! are compared with each other, not with `FrameCodec`: `FrameCodec`
//! reserves a frame's declared length when its header arrives, which with
//! such a limit fails the allocation (the `frame_decode` finding
//! `regress-huge-limit-reserve`, see fuzz/README.md). Properties:
//!
//! * no panic;
//! * the chunks of each frame continue each other (same header, contiguous
//!   offsets, `is_first`/`is_last` right, no empty chunk of a non-empty
//!   frame, control frames in one chunk), and every header obeys the config;
//! * the frames reassembled from the chunks, where they end on the wire, the
//!   unfinished frame at the end and the error are the same for every way
//!   of splitting the reads;
//! * the reassembled frames and the error are those of `FrameCodec` with the
//!   same role and config (`Truncated` counts its buffered bytes differently:
//!   the streaming decoder has handed out what arrived, so only the variant
//!   is compared).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tether_frame::{Error, FrameCodec, FrameStreamCodec};
use tether_fuzz::{assemble, check_decode_error, check_frame, error_id, run_decoder, SplitInput};

fuzz_target!(|data: &[u8]| {
    let Some(input) = SplitInput::parse(data) else {
        return;
    };
    let (role, config) = input.role_and_config();
    let codec = || FrameStreamCodec::new(role, config.clone());

    let whole = run_decoder(codec(), [input.wire]);
    if let Some(e) = &whole.error {
        check_decode_error(e);
    }
    let reference = assemble(&whole, role, &config);
    for frame in &reference.frames {
        check_frame(frame, &config);
    }

    let mut runs = vec![("byte by byte", run_decoder(codec(), input.wire.chunks(1)))];
    if let Some(chunks) = input.chunks() {
        runs.push(("chunked", run_decoder(codec(), chunks)));
    }
    for (what, run) in &runs {
        let assembled = assemble(run, role, &config);
        assert_eq!(assembled.frames, reference.frames, "{what}: frames differ");
        assert_eq!(
            assembled.consumed_after, reference.consumed_after,
            "{what}: frame ends differ"
        );
        assert_eq!(
            assembled.partial, reference.partial,
            "{what}: unfinished frame differs"
        );
        assert_eq!(
            run.error.as_ref().map(error_id),
            whole.error.as_ref().map(error_id),
            "{what}: errors differ"
        );
        assert_eq!(
            run.consumed_at_end, whole.consumed_at_end,
            "{what}: end position differs"
        );
    }

    if input.huge_limit() {
        return;
    }
    let frames = run_decoder(FrameCodec::with_config(role, config.clone()), [input.wire]);
    assert_eq!(
        frames.items, reference.frames,
        "FrameStreamCodec vs FrameCodec: frames"
    );
    assert_eq!(
        frames.consumed_after, reference.consumed_after,
        "FrameStreamCodec vs FrameCodec: frame ends"
    );
    match (&frames.error, &whole.error) {
        (Some(Error::Truncated { .. }), Some(Error::Truncated { .. })) => {}
        (a, b) => assert_eq!(
            a.as_ref().map(error_id),
            b.as_ref().map(error_id),
            "FrameStreamCodec vs FrameCodec: errors"
        ),
    }
});
