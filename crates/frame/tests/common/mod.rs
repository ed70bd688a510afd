//! Helpers shared by the integration tests.
#![allow(dead_code)]

use bytes::BytesMut;
use tether_frame::{Error, Frame, FrameChunk, FrameCodec, FrameStreamCodec};
use tokio_util::codec::Decoder;

/// What a decoder produced from a byte stream: the items, then the error
/// that ended it (as its Debug text, so outcomes compare across runs).
#[derive(Debug, PartialEq)]
pub(crate) struct Outcome<T> {
    pub(crate) items: Vec<T>,
    pub(crate) error: Option<String>,
}

/// Feeds `bytes` to `codec`, cut at `cuts` (ascending positions), calling
/// `decode` until it returns `Ok(None)` after each piece, then `decode_eof`.
pub(crate) fn run<D>(codec: &mut D, bytes: &[u8], cuts: &[usize]) -> Outcome<D::Item>
where
    D: Decoder<Error = Error>,
{
    let mut items = Vec::new();
    let mut buf = BytesMut::new();
    let mut start = 0;
    let ends = cuts.iter().copied().chain(std::iter::once(bytes.len()));
    for end in ends {
        let end = end.clamp(start, bytes.len());
        buf.extend_from_slice(&bytes[start..end]);
        start = end;
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(item)) => items.push(item),
                Ok(None) => break,
                Err(e) => {
                    return Outcome {
                        items,
                        error: Some(format!("{e:?}")),
                    }
                }
            }
        }
    }
    loop {
        match codec.decode_eof(&mut buf) {
            Ok(Some(item)) => items.push(item),
            Ok(None) => break,
            Err(e) => {
                return Outcome {
                    items,
                    error: Some(format!("{e:?}")),
                }
            }
        }
    }
    Outcome { items, error: None }
}

/// Cut positions for 1-byte chunks.
pub(crate) fn every_byte(len: usize) -> Vec<usize> {
    (1..len).collect()
}

/// Joins streamed chunks back into whole frames, checking the chunk
/// bookkeeping (offsets contiguous, first/last flags).
pub(crate) fn join_chunks(chunks: &[FrameChunk]) -> Vec<Frame> {
    let mut frames = Vec::new();
    let mut open: Option<(FrameChunk, BytesMut)> = None;
    for chunk in chunks {
        if chunk.is_first() {
            assert!(open.is_none(), "a new frame started inside another");
            open = Some((chunk.clone(), BytesMut::new()));
        }
        let (first, data) = open.as_mut().expect("chunk outside a frame");
        assert_eq!(chunk.header, first.header);
        assert_eq!(chunk.offset, data.len() as u64, "offsets are contiguous");
        data.extend_from_slice(&chunk.data);
        if chunk.is_last() {
            let (first, data) = open.take().expect("open frame");
            frames.push(Frame {
                fin: first.header.fin,
                rsv: first.header.rsv,
                opcode: first.header.opcode,
                payload: data.freeze(),
            });
        }
    }
    frames
}

/// Decodes with a fresh whole-frame codec made by `make`.
pub(crate) fn frames(
    make: impl Fn() -> FrameCodec,
    bytes: &[u8],
    cuts: &[usize],
) -> Outcome<Frame> {
    run(&mut make(), bytes, cuts)
}

/// Decodes with a fresh streaming codec and joins the chunks into frames.
pub(crate) fn streamed(
    make: impl Fn() -> FrameStreamCodec,
    bytes: &[u8],
    cuts: &[usize],
) -> Outcome<Frame> {
    let out = run(&mut make(), bytes, cuts);
    Outcome {
        items: join_chunks(&out.items),
        error: out.error,
    }
}
