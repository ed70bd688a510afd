//! Server-side decoding of masked binary frames: one driver per
//! implementation, each used the way an application uses it.
//!
//! | driver | how | per frame |
//! |---|---|---|
//! | [`TetherFramedRead`] | `tokio_util::codec::FramedRead<_, FrameCodec>` over the async mock, `StreamExt::next` | `Frame` (payload `Bytes` split from the read buffer, unmasked) |
//! | [`TetherDecoder`] | sans-IO: each chunk appended to a `BytesMut`, then `Decoder::decode` until `Ok(None)` | `Frame` |
//! | [`Tungstenite`] | `WebSocket::from_raw_socket(_, Role::Server, _)` over the sync mock, `read` | `Message::Binary(Bytes)` |
//! | [`FastWebSockets`] | `WebSocket::after_handshake(_, Role::Server)`, auto close and auto pong off, `read_frame` | `Frame` (payload `BytesMut`) |
//! | [`TokioWebSockets`] | `ServerBuilder::serve` (the raw-socket constructor, server role), `StreamExt::next` | `Message` |
//!
//! tungstenite's frame-level API (`protocol::frame::FrameSocket`) is public
//! but does not unmask (its codec is called with `unmask = false`), so the
//! message API is the fair one; for single-frame binary messages it adds no
//! copy. Every implementation is configured to accept frames and messages of
//! up to [`MAX_FRAME_SIZE`] (16 MiB).

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use tether_frame::{FrameCodec, FrameConfig, OpCode, Role};
use tokio_util::codec::{Decoder, FramedRead};

use crate::block_on;
use crate::mock::{ChunkedReader, Cursor};
use crate::workload::{Workload, MAX_FRAME_SIZE};

/// A server reading frames from a [`ChunkedReader`].
pub trait Decode {
    /// The implementation's name in benchmark ids.
    const NAME: &'static str;

    /// Reads the next `n` frames, handing each payload to `on_payload`.
    ///
    /// # Panics
    ///
    /// If the implementation reports an error or a frame that is not a
    /// binary frame: the input is valid, so that is a broken path.
    fn decode_frames<F: FnMut(&[u8])>(&mut self, n: usize, on_payload: F);
}

/// Decodes the workload once (from the start of `chunks`, which `decoder`'s
/// reader reads through `cursor`) and checks that `decoder` produced exactly
/// the expected payloads and consumed every byte.
///
/// # Panics
///
/// On any difference, naming the implementation and the frame.
pub fn check<D: Decode>(decoder: &mut D, workload: &Workload, chunks: &[Bytes], cursor: &Cursor) {
    cursor.rewind();
    let mut seen = 0usize;
    decoder.decode_frames(workload.frames(), |payload| {
        let want = &workload.payloads[seen];
        assert!(
            payload == &want[..],
            "{}: frame {seen} of {}: payload of {} bytes differs from the expected {} bytes",
            D::NAME,
            workload.frames(),
            payload.len(),
            want.len()
        );
        seen += 1;
    });
    assert_eq!(seen, workload.frames(), "{}: frame count", D::NAME);
    assert!(cursor.is_at_end(chunks), "{}: bytes left unread", D::NAME);
}

fn tether_config() -> FrameConfig {
    FrameConfig::default().with_max_frame_size(MAX_FRAME_SIZE as u64)
}

/// tether: `FramedRead<_, FrameCodec>`, as in `Framed<TcpStream, FrameCodec>`.
#[derive(Debug)]
pub struct TetherFramedRead<'a> {
    inner: FramedRead<ChunkedReader<'a>, FrameCodec>,
}

impl<'a> TetherFramedRead<'a> {
    /// A server codec over `reader`.
    pub fn new(reader: ChunkedReader<'a>) -> Self {
        TetherFramedRead {
            inner: FramedRead::new(
                reader,
                FrameCodec::with_config(Role::Server, tether_config()),
            ),
        }
    }
}

impl Decode for TetherFramedRead<'_> {
    const NAME: &'static str = "tether";

    fn decode_frames<F: FnMut(&[u8])>(&mut self, n: usize, mut on_payload: F) {
        let inner = &mut self.inner;
        block_on(async {
            for _ in 0..n {
                let frame = inner
                    .next()
                    .await
                    .expect("tether: end of stream")
                    .expect("tether: decode error");
                assert_eq!(frame.opcode, OpCode::Binary);
                on_payload(&frame.payload);
            }
        });
    }
}

/// tether, sans-IO: every chunk appended to a `BytesMut`, then
/// `Decoder::decode` until it asks for more.
#[derive(Debug)]
pub struct TetherDecoder<'a> {
    codec: FrameCodec,
    buf: BytesMut,
    source: ChunkedReader<'a>,
}

impl<'a> TetherDecoder<'a> {
    /// A server codec fed from `source`.
    pub fn new(source: ChunkedReader<'a>) -> Self {
        TetherDecoder {
            codec: FrameCodec::with_config(Role::Server, tether_config()),
            buf: BytesMut::with_capacity(8 << 10),
            source,
        }
    }
}

impl Decode for TetherDecoder<'_> {
    const NAME: &'static str = "tether-decode";

    fn decode_frames<F: FnMut(&[u8])>(&mut self, n: usize, mut on_payload: F) {
        let mut done = 0;
        while done < n {
            match self.codec.decode(&mut self.buf) {
                Ok(Some(frame)) => {
                    assert_eq!(frame.opcode, OpCode::Binary);
                    on_payload(&frame.payload);
                    done += 1;
                }
                Ok(None) => {
                    let piece = self.source.next_piece(usize::MAX);
                    assert!(!piece.is_empty(), "tether-decode: end of input");
                    self.buf.extend_from_slice(piece);
                }
                Err(e) => panic!("tether-decode: {e}"),
            }
        }
    }
}

/// tungstenite: `WebSocket::from_raw_socket(_, Role::Server, _)` and `read`.
#[derive(Debug)]
pub struct Tungstenite<'a> {
    ws: tungstenite::WebSocket<ChunkedReader<'a>>,
}

impl<'a> Tungstenite<'a> {
    /// A server socket over `reader` (default read buffer of 128 KiB).
    pub fn new(reader: ChunkedReader<'a>) -> Self {
        let config = tungstenite::protocol::WebSocketConfig::default()
            .max_frame_size(Some(MAX_FRAME_SIZE))
            .max_message_size(Some(MAX_FRAME_SIZE));
        Tungstenite {
            ws: tungstenite::WebSocket::from_raw_socket(
                reader,
                tungstenite::protocol::Role::Server,
                Some(config),
            ),
        }
    }
}

impl Decode for Tungstenite<'_> {
    const NAME: &'static str = "tungstenite";

    fn decode_frames<F: FnMut(&[u8])>(&mut self, n: usize, mut on_payload: F) {
        for _ in 0..n {
            match self.ws.read() {
                Ok(tungstenite::Message::Binary(payload)) => on_payload(&payload),
                Ok(other) => panic!("tungstenite: unexpected {other:?}"),
                Err(e) => panic!("tungstenite: {e}"),
            }
        }
    }
}

/// fastwebsockets: `WebSocket::after_handshake(_, Role::Server)` and
/// `read_frame`, with automatic close and pong replies off.
pub struct FastWebSockets<'a> {
    ws: fastwebsockets::WebSocket<ChunkedReader<'a>>,
}

impl<'a> FastWebSockets<'a> {
    /// A server socket over `reader`.
    pub fn new(reader: ChunkedReader<'a>) -> Self {
        let mut ws =
            fastwebsockets::WebSocket::after_handshake(reader, fastwebsockets::Role::Server);
        ws.set_auto_close(false);
        ws.set_auto_pong(false);
        ws.set_max_message_size(MAX_FRAME_SIZE);
        FastWebSockets { ws }
    }
}

impl Decode for FastWebSockets<'_> {
    const NAME: &'static str = "fastwebsockets";

    fn decode_frames<F: FnMut(&[u8])>(&mut self, n: usize, mut on_payload: F) {
        let ws = &mut self.ws;
        block_on(async {
            for _ in 0..n {
                let frame = match ws.read_frame().await {
                    Ok(frame) => frame,
                    Err(e) => panic!("fastwebsockets: {e}"),
                };
                assert!(frame.fin && frame.opcode == fastwebsockets::OpCode::Binary);
                on_payload(&frame.payload);
            }
        });
    }
}

/// tokio-websockets: `ServerBuilder::serve` (raw socket, server role) and
/// `StreamExt::next`.
#[derive(Debug)]
pub struct TokioWebSockets<'a> {
    ws: tokio_websockets::WebSocketStream<ChunkedReader<'a>>,
}

impl<'a> TokioWebSockets<'a> {
    /// A server stream over `reader`.
    pub fn new(reader: ChunkedReader<'a>) -> Self {
        let limits = tokio_websockets::Limits::default().max_payload_len(Some(MAX_FRAME_SIZE));
        TokioWebSockets {
            ws: tokio_websockets::ServerBuilder::new()
                .limits(limits)
                .serve(reader),
        }
    }
}

impl Decode for TokioWebSockets<'_> {
    const NAME: &'static str = "tokio-websockets";

    fn decode_frames<F: FnMut(&[u8])>(&mut self, n: usize, mut on_payload: F) {
        let ws = &mut self.ws;
        block_on(async {
            for _ in 0..n {
                let message = match ws.next().await {
                    Some(Ok(message)) => message,
                    Some(Err(e)) => panic!("tokio-websockets: {e}"),
                    None => panic!("tokio-websockets: end of stream"),
                };
                assert!(message.is_binary());
                on_payload(message.as_payload());
            }
        });
    }
}

/// The physical reference: every chunk read from the same mock into one
/// reused buffer, and nothing else. It decodes nothing; its time is the floor
/// that moving the bytes out of the transport costs every implementation.
///
/// The buffer holds the largest chunk, capped at [`Memcpy::MAX_READ`] (64 KiB,
/// a typical read buffer), so with the `whole` chunking it copies 64 KiB per
/// read into a cache-resident buffer rather than the whole input at once.
#[derive(Debug)]
pub struct Memcpy<'a> {
    source: ChunkedReader<'a>,
    buf: Vec<u8>,
}

impl<'a> Memcpy<'a> {
    /// The name in benchmark ids.
    pub const NAME: &'static str = "memcpy";

    /// The largest read.
    pub const MAX_READ: usize = 64 << 10;

    /// A copier reading from `source`, with a buffer the size of the largest
    /// chunk up to [`Memcpy::MAX_READ`].
    pub fn new(source: ChunkedReader<'a>) -> Self {
        let len = source.max_chunk_len().min(Self::MAX_READ);
        Memcpy {
            source,
            buf: vec![0; len],
        }
    }

    /// Reads to the end, returning the number of bytes copied.
    #[inline]
    pub fn copy_all(&mut self) -> usize {
        let mut total = 0;
        loop {
            let piece = self.source.next_piece(self.buf.len());
            if piece.is_empty() {
                return total;
            }
            self.buf[..piece.len()].copy_from_slice(piece);
            total += std::hint::black_box(&self.buf[..piece.len()]).len();
        }
    }
}
