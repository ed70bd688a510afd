//! Client-side encoding, with masking, of the same binary messages: one driver
//! per implementation, each writing into a [`VecSink`] (or, for
//! [`TetherEncoder`], into its own `BytesMut`).
//!
//! | driver | how | copies of a payload |
//! |---|---|---|
//! | [`TetherFramedWrite`] | `FramedWrite<_, FrameCodec>`, `SinkExt::feed` each frame, `flush` at the end | encoder buffer (masked while copied), then sink |
//! | [`TetherEncoder`] | `Encoder<Frame>::encode` into a `BytesMut` that is the output | one (masked while copied) |
//! | [`TetherVectored`] | `FrameCodec::encode_frame`, then a vectored `write_all_buf` of header + payload | a masked copy (the payload `Bytes` is shared with the caller), then sink |
//! | [`Tungstenite`] | `WebSocket::from_raw_socket(_, Role::Client, _)`, `write` each message, `flush` at the end | write buffer (then masked), then sink |
//! | [`FastWebSockets`] | `WebSocket::after_handshake(_, Role::Client)`, `write_frame` with a borrowed payload, `flush` | a masked copy (`Payload::Borrowed` is copied to be masked), then sink |
//! | [`TokioWebSockets`] | `ClientBuilder::take_over` (raw socket, client role), `SinkExt::feed` each message, `flush` | a masked copy, then a vectored write into the sink |
//!
//! The caller keeps its payloads (they are `Bytes` clones or borrows of the
//! workload), so no implementation may mask them in place. Every client picks
//! a fresh random masking key per frame, as RFC 6455 requires.

use bytes::{Bytes, BytesMut};
use futures::SinkExt;
use tether_frame::{Frame, FrameCodec, Role};
use tokio::io::AsyncWriteExt;
use tokio_util::codec::{Encoder, FramedWrite};

use crate::block_on;
use crate::mock::VecSink;
use crate::workload::{parse_masked_frames, Workload, MAX_FRAME_SIZE};

/// A client writing binary messages.
pub trait Encode {
    /// The implementation's name in benchmark ids.
    const NAME: &'static str;

    /// Clears the output, then writes one single-frame binary message per
    /// payload, flushed. Returns the number of bytes written.
    ///
    /// # Panics
    ///
    /// If the implementation reports an error.
    fn encode_frames(&mut self, payloads: &[Bytes]) -> usize;

    /// A copy of the output of the last [`encode_frames`](Self::encode_frames).
    fn output(&self) -> Vec<u8>;
}

/// Encodes the workload's payloads once and checks the output with the
/// reference decoder: exactly the expected masked binary frames.
///
/// # Panics
///
/// On any difference, naming the implementation and the frame.
pub fn check<E: Encode>(encoder: &mut E, workload: &Workload) {
    let written = encoder.encode_frames(&workload.payloads);
    let output = encoder.output();
    assert_eq!(written, output.len(), "{}: reported length", E::NAME);
    let frames = parse_masked_frames(&output).unwrap_or_else(|e| panic!("{}: {e}", E::NAME));
    assert_eq!(frames.len(), workload.frames(), "{}: frame count", E::NAME);
    for (i, (got, want)) in frames.iter().zip(&workload.payloads).enumerate() {
        assert!(
            got[..] == want[..],
            "{}: payload of frame {i} differs",
            E::NAME
        );
    }
}

/// tether: `FramedWrite<_, FrameCodec>`, as in `Framed<TcpStream, FrameCodec>`.
#[derive(Debug)]
pub struct TetherFramedWrite<'a> {
    inner: FramedWrite<VecSink<'a>, FrameCodec>,
}

impl<'a> TetherFramedWrite<'a> {
    /// A client codec writing to `sink`.
    pub fn new(sink: VecSink<'a>) -> Self {
        TetherFramedWrite {
            inner: FramedWrite::new(sink, FrameCodec::new(Role::Client)),
        }
    }
}

impl Encode for TetherFramedWrite<'_> {
    const NAME: &'static str = "tether";

    fn encode_frames(&mut self, payloads: &[Bytes]) -> usize {
        self.inner.get_ref().clear();
        let inner = &mut self.inner;
        block_on(async {
            for payload in payloads {
                inner
                    .feed(Frame::binary(payload.clone()))
                    .await
                    .expect("tether: encode");
            }
            SinkExt::<Frame>::flush(inner).await.expect("tether: flush");
        });
        self.inner.get_ref().len()
    }

    fn output(&self) -> Vec<u8> {
        self.inner.get_ref().contents()
    }
}

/// tether: `Encoder<Frame>::encode` into a `BytesMut`, which is the output
/// (no transport).
#[derive(Debug)]
pub struct TetherEncoder {
    codec: FrameCodec,
    dst: BytesMut,
}

impl TetherEncoder {
    /// A client codec with an empty output buffer.
    pub fn new() -> Self {
        TetherEncoder {
            codec: FrameCodec::new(Role::Client),
            dst: BytesMut::new(),
        }
    }
}

impl Default for TetherEncoder {
    fn default() -> Self {
        TetherEncoder::new()
    }
}

impl Encode for TetherEncoder {
    const NAME: &'static str = "tether-encoder";

    fn encode_frames(&mut self, payloads: &[Bytes]) -> usize {
        self.dst.clear();
        for payload in payloads {
            self.codec
                .encode(Frame::binary(payload.clone()), &mut self.dst)
                .expect("tether-encoder: encode");
        }
        self.dst.len()
    }

    fn output(&self) -> Vec<u8> {
        self.dst.to_vec()
    }
}

/// tether: `FrameCodec::encode_frame` and a vectored write of the
/// `EncodedFrame` (header and payload as two slices).
#[derive(Debug)]
pub struct TetherVectored<'a> {
    codec: FrameCodec,
    sink: VecSink<'a>,
}

impl<'a> TetherVectored<'a> {
    /// A client codec writing to `sink`.
    pub fn new(sink: VecSink<'a>) -> Self {
        TetherVectored {
            codec: FrameCodec::new(Role::Client),
            sink,
        }
    }
}

impl Encode for TetherVectored<'_> {
    const NAME: &'static str = "tether-vectored";

    fn encode_frames(&mut self, payloads: &[Bytes]) -> usize {
        self.sink.clear();
        let (codec, sink) = (&mut self.codec, &mut self.sink);
        block_on(async {
            for payload in payloads {
                let mut frame = codec
                    .encode_frame(Frame::binary(payload.clone()))
                    .expect("tether-vectored: encode");
                sink.write_all_buf(&mut frame)
                    .await
                    .expect("tether-vectored: write");
            }
            sink.flush().await.expect("tether-vectored: flush");
        });
        self.sink.len()
    }

    fn output(&self) -> Vec<u8> {
        self.sink.contents()
    }
}

/// tungstenite: `WebSocket::from_raw_socket(_, Role::Client, _)`, `write`
/// then `flush`.
#[derive(Debug)]
pub struct Tungstenite<'a> {
    ws: tungstenite::WebSocket<VecSink<'a>>,
}

impl<'a> Tungstenite<'a> {
    /// A client socket writing to `sink` (default 128 KiB write buffer).
    pub fn new(sink: VecSink<'a>) -> Self {
        let config = tungstenite::protocol::WebSocketConfig::default()
            .max_frame_size(Some(MAX_FRAME_SIZE))
            .max_message_size(Some(MAX_FRAME_SIZE));
        Tungstenite {
            ws: tungstenite::WebSocket::from_raw_socket(
                sink,
                tungstenite::protocol::Role::Client,
                Some(config),
            ),
        }
    }
}

impl Encode for Tungstenite<'_> {
    const NAME: &'static str = "tungstenite";

    fn encode_frames(&mut self, payloads: &[Bytes]) -> usize {
        self.ws.get_ref().clear();
        for payload in payloads {
            self.ws
                .write(tungstenite::Message::Binary(payload.clone()))
                .expect("tungstenite: write");
        }
        self.ws.flush().expect("tungstenite: flush");
        self.ws.get_ref().len()
    }

    fn output(&self) -> Vec<u8> {
        self.ws.get_ref().contents()
    }
}

/// fastwebsockets: `WebSocket::after_handshake(_, Role::Client)`,
/// `write_frame` then `flush`.
pub struct FastWebSockets<'a> {
    ws: fastwebsockets::WebSocket<VecSink<'a>>,
    sink: VecSink<'a>,
}

impl<'a> FastWebSockets<'a> {
    /// A client socket writing to `sink`.
    pub fn new(sink: VecSink<'a>) -> Self {
        FastWebSockets {
            ws: fastwebsockets::WebSocket::after_handshake(sink, fastwebsockets::Role::Client),
            sink,
        }
    }
}

impl Encode for FastWebSockets<'_> {
    const NAME: &'static str = "fastwebsockets";

    fn encode_frames(&mut self, payloads: &[Bytes]) -> usize {
        self.sink.clear();
        let ws = &mut self.ws;
        block_on(async {
            for payload in payloads {
                let frame =
                    fastwebsockets::Frame::binary(fastwebsockets::Payload::Borrowed(payload));
                ws.write_frame(frame).await.expect("fastwebsockets: write");
            }
            ws.flush().await.expect("fastwebsockets: flush");
        });
        self.sink.len()
    }

    fn output(&self) -> Vec<u8> {
        self.sink.contents()
    }
}

/// tokio-websockets: `ClientBuilder::take_over` (raw socket, client role),
/// `SinkExt::feed` then `flush`.
#[derive(Debug)]
pub struct TokioWebSockets<'a> {
    ws: tokio_websockets::WebSocketStream<VecSink<'a>>,
}

impl<'a> TokioWebSockets<'a> {
    /// A client stream writing to `sink` (messages up to 16 MiB in one frame).
    pub fn new(sink: VecSink<'a>) -> Self {
        let config = tokio_websockets::Config::default().frame_size(MAX_FRAME_SIZE);
        TokioWebSockets {
            ws: tokio_websockets::ClientBuilder::new()
                .config(config)
                .take_over(sink),
        }
    }
}

impl Encode for TokioWebSockets<'_> {
    const NAME: &'static str = "tokio-websockets";

    fn encode_frames(&mut self, payloads: &[Bytes]) -> usize {
        self.ws.get_ref().clear();
        let ws = &mut self.ws;
        block_on(async {
            for payload in payloads {
                ws.feed(tokio_websockets::Message::binary(payload.clone()))
                    .await
                    .expect("tokio-websockets: write");
            }
            ws.flush().await.expect("tokio-websockets: flush");
        });
        self.ws.get_ref().len()
    }

    fn output(&self) -> Vec<u8> {
        self.ws.get_ref().contents()
    }
}

/// The physical reference: every payload appended to the sink, no header, no
/// masking.
#[derive(Debug)]
pub struct Memcpy<'a> {
    sink: VecSink<'a>,
}

impl<'a> Memcpy<'a> {
    /// The name in benchmark ids.
    pub const NAME: &'static str = "memcpy";

    /// A copier writing to `sink`.
    pub fn new(sink: VecSink<'a>) -> Self {
        Memcpy { sink }
    }

    /// Clears the sink and appends every payload; returns the bytes written.
    #[inline]
    pub fn copy_all(&mut self, payloads: &[Bytes]) -> usize {
        self.sink.clear();
        for payload in payloads {
            std::io::Write::write_all(&mut self.sink, payload).expect("memcpy");
        }
        self.sink.len()
    }
}
