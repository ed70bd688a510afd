//! Shared harness of the tether fuzz targets (see `README.md` for the input
//! layouts and how to run them).
//!
//! The targets are thin: they parse their input with [`SplitInput`] (or take
//! the first byte as a config selector), then call the drivers and checks of
//! this module, which panic on the first violated property.
//!
//! Everything here may panic: a panic is how a fuzz target reports a finding.
#![forbid(unsafe_code)]

use bytes::{Buf, BytesMut};
use tether_frame::{
    CloseFrame, Error, ErrorKind, Frame, FrameChunk, FrameCodec, FrameConfig, FrameHeader, OpCode,
    Role, Rsv, MAX_PAYLOAD_LEN,
};
use tokio_util::codec::{Decoder, Encoder};

/// `max_frame_size` values the config byte chooses from: the default, and
/// small limits around the length-form and control-frame boundaries so that
/// `FrameTooLarge` is reachable with short inputs.
pub const MAX_FRAME_SIZES: [u64; 8] = [
    FrameConfig::DEFAULT_MAX_FRAME_SIZE,
    0,
    1,
    7,
    125,
    126,
    0xFFFF,
    0x1_0000,
];

/// The input of `frame_decode` and `frame_stream_decode`:
///
/// | byte | meaning |
/// |---|---|
/// | 0 | config: bit 0 role (0 server, 1 client); bits 1-3 index into [`MAX_FRAME_SIZES`]; bits 4-5 select `allowed_rsv` ([`rsv_set`]); bit 6 set: `require_minimal_length(false)`; bit 7 set: `max_frame_size` 2^63 - 1 ([`HUGE`], the largest the config allows) instead |
/// | 1 | low 4 bits: `k`, the number of chunk sizes that follow (high bits ignored) |
/// | 2 .. 2+k | chunk sizes, 0-255 each, used in a cycle; 0 is an empty read |
/// | rest | the bytes on the wire |
#[derive(Debug)]
pub struct SplitInput<'a> {
    /// The config byte.
    pub config_byte: u8,
    /// The chunk sizes (possibly empty: then only the whole and byte-by-byte
    /// runs are made).
    pub chunk_sizes: Vec<usize>,
    /// The wire bytes.
    pub wire: &'a [u8],
}

impl<'a> SplitInput<'a> {
    /// Splits a fuzz input into its parts; `None` if it is too short.
    pub fn parse(data: &'a [u8]) -> Option<SplitInput<'a>> {
        let (&config_byte, rest) = data.split_first()?;
        let (&k, rest) = rest.split_first()?;
        let k = usize::from(k & 0x0F);
        if rest.len() < k {
            return None;
        }
        let (sizes, wire) = rest.split_at(k);
        Some(SplitInput {
            config_byte,
            chunk_sizes: sizes.iter().map(|&b| usize::from(b)).collect(),
            wire,
        })
    }

    /// The role and config the config byte selects.
    pub fn role_and_config(&self) -> (Role, FrameConfig) {
        let b = self.config_byte;
        let role = if b & 1 == 0 {
            Role::Server
        } else {
            Role::Client
        };
        let rsv = rsv_set(usize::from((b >> 4) & 3));
        let max = if self.huge_limit() {
            HUGE
        } else {
            MAX_FRAME_SIZES[usize::from((b >> 1) & 7)]
        };
        let config = FrameConfig::default()
            .with_max_frame_size(max)
            .with_allowed_rsv(rsv)
            .with_require_minimal_length(b & 0x40 == 0);
        (role, config)
    }

    /// Whether bit 7 (limit 2^63 - 1) is set.
    pub fn huge_limit(&self) -> bool {
        self.config_byte & 0x80 != 0
    }

    /// The wire cut into chunks by the chunk sizes, cycled; `None` if there
    /// are no chunk sizes.
    pub fn chunks(&self) -> Option<Vec<&'a [u8]>> {
        if self.chunk_sizes.is_empty() {
            return None;
        }
        let mut sizes = self.chunk_sizes.clone();
        if sizes.iter().all(|&s| s == 0) {
            // Empty reads only would never make progress.
            sizes.push(1);
        }
        let mut out = Vec::new();
        let mut rest = self.wire;
        for &size in sizes.iter().cycle() {
            if rest.is_empty() {
                break;
            }
            let (chunk, tail) = rest.split_at(size.min(rest.len()));
            out.push(chunk);
            rest = tail;
        }
        Some(out)
    }
}

/// The `allowed_rsv` sets the config byte chooses from: 0 none, 1 RSV1
/// (permessage-deflate), 2 all, 3 RSV2|RSV3.
pub fn rsv_set(index: usize) -> Rsv {
    match index & 3 {
        0 => Rsv::NONE,
        1 => Rsv::RSV1,
        2 => Rsv::ALL,
        _ => Rsv::RSV2 | Rsv::RSV3,
    }
}

/// What a decoder produced from one way of feeding it the input.
#[derive(Debug)]
pub struct Run<T> {
    /// The items, in order.
    pub items: Vec<T>,
    /// For each item, how many wire bytes the decoder had consumed (removed
    /// from its buffer) right after returning it.
    pub consumed_after: Vec<usize>,
    /// The error that ended the run, if any (`decode_eof`'s `Truncated`
    /// included).
    pub error: Option<Error>,
    /// Wire bytes consumed when the run ended.
    pub consumed_at_end: usize,
}

impl<T> Run<T> {
    /// Where the last item ended on the wire (0 if there was none). For a
    /// run of whole frames, where the frame that ended the run (the one that
    /// failed or was cut off) starts.
    pub fn end_of_last(&self) -> usize {
        self.consumed_after.last().copied().unwrap_or(0)
    }
}

/// Feeds `chunks` to `decoder` as a tokio-util `Framed` would: after each
/// read, `decode` until it returns `Ok(None)`; at the end, `decode_eof` until
/// it does. Stops at the first error.
pub fn run_decoder<'c, D>(
    mut decoder: D,
    chunks: impl IntoIterator<Item = &'c [u8]>,
) -> Run<D::Item>
where
    D: Decoder<Error = Error>,
{
    let mut src = BytesMut::new();
    let mut fed = 0usize;
    let mut run = Run {
        items: Vec::new(),
        consumed_after: Vec::new(),
        error: None,
        consumed_at_end: 0,
    };
    for chunk in chunks {
        src.extend_from_slice(chunk);
        fed += chunk.len();
        loop {
            match decoder.decode(&mut src) {
                Ok(Some(item)) => {
                    run.items.push(item);
                    run.consumed_after.push(fed - src.len());
                }
                Ok(None) => break,
                Err(e) => {
                    run.error = Some(e);
                    run.consumed_at_end = fed - src.len();
                    return run;
                }
            }
        }
    }
    loop {
        match decoder.decode_eof(&mut src) {
            Ok(Some(item)) => {
                run.items.push(item);
                run.consumed_after.push(fed - src.len());
            }
            Ok(None) => break,
            Err(e) => {
                run.error = Some(e);
                break;
            }
        }
    }
    run.consumed_at_end = fed - src.len();
    run
}

/// The full identity of an error for comparisons (`Error` has no
/// `PartialEq`: it can hold an `io::Error`). Variants carry numbers only, so
/// the `Debug` form is exact.
pub fn error_id(e: &Error) -> String {
    format!("{e:?}")
}

/// Checks what every decode error must satisfy: a peer error, with a close
/// code unless the stream was cut off.
pub fn check_decode_error(e: &Error) {
    assert_eq!(
        e.kind(),
        ErrorKind::Peer,
        "decode error not a peer error: {e:?}"
    );
    match e {
        Error::Truncated { .. } => assert!(e.close_code().is_none(), "{e:?}"),
        _ => {
            let code = e
                .close_code()
                .unwrap_or_else(|| panic!("no close code: {e:?}"));
            assert!(
                matches!(code.as_u16(), 1002 | 1007 | 1009),
                "unexpected close code {code} for {e:?}"
            );
        }
    }
}

/// Checks the header-level rules on a decoded frame's fields under `config`.
pub fn check_frame_fields(
    fin: bool,
    rsv: Rsv,
    opcode: OpCode,
    payload_len: u64,
    config: &FrameConfig,
) {
    assert!(
        rsv.outside(config.allowed_rsv).is_empty(),
        "RSV {:#x} outside allowed {:#x}",
        rsv.bits(),
        config.allowed_rsv.bits()
    );
    // The limit is for data frames; control frames are capped at 125.
    assert!(
        opcode.is_control() || payload_len <= config.max_frame_size,
        "payload {payload_len} over max_frame_size {}",
        config.max_frame_size
    );
    if opcode.is_control() {
        assert!(payload_len <= 125, "{opcode:?} with {payload_len} bytes");
        assert!(fin, "{opcode:?} without FIN");
    }
}

/// Checks a whole decoded frame: header rules, and a close payload parses.
pub fn check_frame(frame: &Frame, config: &FrameConfig) {
    check_frame_fields(
        frame.fin,
        frame.rsv,
        frame.opcode,
        frame.payload.len() as u64,
        config,
    );
    if frame.opcode == OpCode::Close {
        if let Err(e) = CloseFrame::parse(&frame.payload) {
            panic!("decoded close frame does not parse: {e:?}");
        }
        frame
            .close_frame()
            .expect("close_frame agrees with CloseFrame::parse");
    }
    frame.validate().expect("a decoded frame may be sent back");
}

/// Asserts two runs of the whole-frame decoder over the same bytes agree:
/// same frames, consumed at the same positions, same error.
pub fn assert_same_frames(what: &str, a: &Run<Frame>, b: &Run<Frame>) {
    assert_eq!(a.items, b.items, "{what}: frames differ");
    assert_eq!(
        a.consumed_after, b.consumed_after,
        "{what}: frame ends differ"
    );
    assert_eq!(
        a.error.as_ref().map(error_id),
        b.error.as_ref().map(error_id),
        "{what}: errors differ"
    );
    assert_eq!(
        a.consumed_at_end, b.consumed_at_end,
        "{what}: end position differs"
    );
}

/// Re-encodes each frame of a whole-input run and checks it against the
/// bytes it was decoded from, then decodes the re-encoding back.
///
/// * `FrameHeader::parse` on the frame's own wire bytes gives its header;
/// * `encode_with_mask` with that header's masking key reproduces the wire
///   bytes exactly when the length was minimally encoded;
/// * the re-encoding decodes back to the same frame under the same role and
///   config;
/// * the `Encoder` impls and `encode_frame` of both roles agree with it
///   (a client's random key is undone by a server decoder).
pub fn check_round_trip(wire: &[u8], run: &Run<Frame>, role: Role, config: &FrameConfig) {
    let mut start = 0;
    for (frame, &end) in run.items.iter().zip(&run.consumed_after) {
        let own = &wire[start..end];
        start = end;
        let (header, header_len) = match FrameHeader::parse(own) {
            Ok(Some(parsed)) => parsed,
            other => panic!("FrameHeader::parse of a decoded frame's bytes: {other:?}"),
        };
        assert_eq!(
            (header.fin, header.rsv, header.opcode, header.payload_len),
            (
                frame.fin,
                frame.rsv,
                frame.opcode,
                frame.payload.len() as u64
            ),
            "header of the frame's own bytes"
        );
        assert_eq!(
            header_len + frame.payload.len(),
            own.len(),
            "frame length on the wire"
        );
        assert_eq!(header.mask.is_some(), role == Role::Server, "mask vs role");

        let mut again = BytesMut::new();
        FrameCodec::encode_with_mask(frame, header.mask, &mut again)
            .unwrap_or_else(|e| panic!("re-encoding a decoded frame: {e:?}"));
        if header_len == header.encoded_len() {
            assert_eq!(
                &again[..],
                own,
                "re-encoding differs from the original bytes"
            );
        } else {
            assert!(
                !config.require_minimal_length,
                "non-minimal length accepted"
            );
            assert!(
                again.len() < own.len(),
                "minimal re-encoding is not shorter"
            );
        }
        let back = run_decoder(FrameCodec::with_config(role, config.clone()), [&again[..]]);
        assert!(
            back.error.is_none(),
            "re-encoding fails to decode: {:?}",
            back.error
        );
        assert_eq!(
            back.items,
            std::slice::from_ref(frame),
            "re-encoding decodes differently"
        );

        check_encoders(frame, config);
    }
}

/// The encoder entry points on one valid frame.
fn check_encoders(frame: &Frame, config: &FrameConfig) {
    // Server side: unmasked, all three paths byte-identical.
    let mut reference = BytesMut::new();
    FrameCodec::encode_with_mask(frame, None, &mut reference).expect("valid frame");
    let mut server = FrameCodec::new(Role::Server);
    let mut by_value = BytesMut::new();
    server
        .encode(frame.clone(), &mut by_value)
        .expect("valid frame");
    assert_eq!(by_value, reference, "Encoder<Frame> (server)");
    let mut by_ref = BytesMut::new();
    server.encode(frame, &mut by_ref).expect("valid frame");
    assert_eq!(by_ref, reference, "Encoder<&Frame> (server)");
    let encoded = server.encode_frame(frame.clone()).expect("valid frame");
    assert_eq!(
        encoded.header().len() + encoded.payload().len(),
        reference.len()
    );
    assert_eq!(collect_buf(encoded), reference, "encode_frame (server)");

    // Client side: a random key; a server decoder must undo it. Both the
    // shared-payload (copy) and the unique-payload (in place) paths.
    let server_config = config.clone().with_require_minimal_length(true);
    let mut client = FrameCodec::new(Role::Client);
    let mut masked = BytesMut::new();
    client.encode(frame, &mut masked).expect("valid frame");
    let unique = Frame {
        payload: bytes::Bytes::from(frame.payload.to_vec()),
        ..frame.clone()
    };
    let shared = frame.clone();
    for encoded in [
        client.encode_frame(unique).expect("valid frame"),
        client.encode_frame(shared).expect("valid frame"),
    ] {
        masked.extend_from_slice(&collect_buf(encoded));
    }
    let back = run_decoder(
        FrameCodec::with_config(Role::Server, server_config),
        [&masked[..]],
    );
    assert!(
        back.error.is_none(),
        "client encoding fails to decode: {:?}",
        back.error
    );
    assert_eq!(back.items.len(), 3, "client encodings");
    for item in &back.items {
        assert_eq!(item, frame, "client encoding decodes differently");
    }
    // The caller's payload is never masked in place.
    let mut check = BytesMut::new();
    FrameCodec::encode_with_mask(frame, None, &mut check).expect("valid frame");
    assert_eq!(check, reference, "the caller's payload was modified");
}

/// Drains a `Buf` through `chunk`/`advance` and through `chunks_vectored`,
/// checking both see the same bytes.
fn collect_buf(mut buf: impl Buf) -> BytesMut {
    let mut vectored = Vec::new();
    {
        let mut slices = [std::io::IoSlice::new(&[]); 4];
        let n = buf.chunks_vectored(&mut slices);
        for s in &slices[..n] {
            vectored.extend_from_slice(s);
        }
    }
    let mut out = BytesMut::new();
    let mut step = 1;
    while buf.has_remaining() {
        let chunk = buf.chunk();
        assert!(
            !chunk.is_empty(),
            "empty chunk with {} remaining",
            buf.remaining()
        );
        // Advance by odd amounts to cross the header/payload boundary.
        let n = chunk.len().min(step);
        out.extend_from_slice(&chunk[..n]);
        buf.advance(n);
        step = step * 3 + 1;
    }
    assert_eq!(&vectored[..], &out[..], "chunks_vectored vs chunk/advance");
    out
}

/// A frame reassembled from [`FrameChunk`]s, and the frame in progress when
/// the chunks ran out.
#[derive(Debug, Default)]
pub struct Assembled {
    /// Complete frames.
    pub frames: Vec<Frame>,
    /// Wire bytes consumed when each frame's last chunk was returned.
    pub consumed_after: Vec<usize>,
    /// A frame whose last chunk never came: its header and the bytes so far.
    pub partial: Option<(FrameHeader, BytesMut)>,
}

/// Reassembles the chunks of a streaming run, checking on the way that each
/// chunk continues the frame in progress: same header, offsets contiguous,
/// data non-empty unless the frame is empty, control frames in one chunk,
/// header rules of `role` and `config`.
pub fn assemble(run: &Run<FrameChunk>, role: Role, config: &FrameConfig) -> Assembled {
    let mut out = Assembled::default();
    for (chunk, &consumed) in run.items.iter().zip(&run.consumed_after) {
        let h = chunk.header;
        match &mut out.partial {
            None => {
                assert_eq!(
                    chunk.offset, 0,
                    "first chunk of a frame at offset {}",
                    chunk.offset
                );
                assert!(chunk.is_first());
                assert_eq!(h.mask.is_some(), role == Role::Server, "mask vs role");
                check_frame_fields(h.fin, h.rsv, h.opcode, h.payload_len, config);
                out.partial = Some((h, BytesMut::new()));
            }
            Some((header, data)) => {
                assert_eq!(&h, header, "header changed inside a frame");
                assert_eq!(chunk.offset, data.len() as u64, "chunk offset");
                assert!(!chunk.is_first());
            }
        }
        assert!(
            !chunk.data.is_empty() || h.payload_len == 0,
            "empty chunk of a {}-byte frame",
            h.payload_len
        );
        let end = chunk.offset + chunk.data.len() as u64;
        assert!(end <= h.payload_len, "chunk past the end of its frame");
        assert_eq!(chunk.is_last(), end == h.payload_len);
        if h.opcode.is_control() {
            assert!(
                chunk.is_first() && chunk.is_last(),
                "control frame in pieces"
            );
        }
        let Some((_, data)) = &mut out.partial else {
            unreachable!("set above")
        };
        data.extend_from_slice(&chunk.data);
        if chunk.is_last() {
            let Some((header, data)) = out.partial.take() else {
                unreachable!("set above")
            };
            let frame = Frame {
                fin: header.fin,
                rsv: header.rsv,
                opcode: header.opcode,
                payload: data.freeze(),
            };
            if frame.opcode == OpCode::Close {
                CloseFrame::parse(&frame.payload).expect("delivered close frame parses");
            }
            out.frames.push(frame);
            out.consumed_after.push(consumed);
        }
    }
    if out.partial.is_some() {
        assert!(
            matches!(run.error, Some(Error::Truncated { .. })),
            "a frame was left unfinished without Truncated: {:?}",
            run.error
        );
    }
    out
}

/// The largest `max_frame_size` (2^63 - 1).
pub const HUGE: u64 = MAX_PAYLOAD_LEN;
