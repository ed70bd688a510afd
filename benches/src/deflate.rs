//! permessage-deflate (RFC 7692): tether against the Rust crates that have
//! it, yawc 0.5 and sockudo-ws 3.1, on the same JSON-like text, with the same settings: zlib level
//! 6, 15-bit windows both ways, context takeover both ways (the RFC's
//! defaults, and what a browser gets when it offers
//! `permessage-deflate; client_max_window_bits`).
//!
//! | driver | connection | decode (server receives) | encode (server sends) |
//! |---|---|---|---|
//! | [`Tether`] | `tether_ws::WebSocketStream::from_raw_parts(io, Role::Server, WebSocketConfig::default().with_message_config(MessageConfig::default().with_deflate(Some(DeflateParams::default()))), ..)` (deflate in force, as after a handshake that agreed it) | `next()` | `feed(Message::text(..))` per message, one `flush` |
//! | [`Yawc`] | `WebSocket::from_stream_with_extensions(io, Role::Server, Some("permessage-deflate"), Options::default().with_compression_level(6).with_utf8())` | `next()` | `feed(Frame::text(..))`, one `flush` |
//! | [`Sockudo`] | `CompressedWebSocketStream::server(io, Config::default(), DeflateConfig::default())` | `next()` | `feed(Message::Text(..))`, one `flush` |
//!
//! Decode input is built here, by a compressor written for the benches
//! (flate2's raw deflate, level 6, 15-bit window, one compression context
//! for the whole stream, `Z_SYNC_FLUSH` after each message and its
//! `00 00 ff ff` tail removed), not by any implementation under test: masked
//! client text frames with RSV1, one frame per message. Because the stream
//! starts from an empty window, replaying it on a connection whose inflate
//! window holds the previous iteration's text decodes to the same messages:
//! nothing in it refers back before its first byte.
//!
//! Encoders keep their compression context across iterations, as a
//! long-lived connection does. [`check_encode`] inflates what each wrote with
//! a reference inflater (one context, as a peer would) and compares it with
//! the messages; [`check_decode`] checks every message decoded. Each
//! encoder's output is also decoded by tether and by every peer decoder
//! (`tests` below and the bench's checks).

use std::future::Future;

use bytes::Bytes;
use flate2::{Compress, Compression, Decompress, FlushCompress, FlushDecompress, Status};
use futures::{SinkExt, StreamExt};
use tether_message::{DeflateParams, Message, MessageConfig, Role};

use crate::mock::{ChunkedReader, Cursor, VecSink};
use crate::workload::{size_label, SplitMix64};

/// The message sizes: 1 KiB, 16 KiB and 1 MiB.
pub const SIZES: [usize; 3] = [1 << 10, 16 << 10, 1 << 20];

/// About this many payload bytes per iteration.
pub const PAYLOAD_PER_ITERATION: usize = 1 << 20;

/// The zlib level every implementation compresses with.
pub const LEVEL: u32 = 6;

/// The LZ77 window, both directions.
pub const WINDOW_BITS: u8 = 15;

/// The largest message every implementation is configured to accept.
pub const MAX_MESSAGE: usize = 64 << 20;

/// The RFC 7692 tail a sender removes and a receiver restores.
pub const TAIL: [u8; 4] = [0x00, 0x00, 0xff, 0xff];

const NAMES: [&str; 12] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy", "mallory",
    "oscar",
];
const CITIES: [&str; 8] = [
    "Zürich",
    "São Paulo",
    "Kraków",
    "Tokyo",
    "Montréal",
    "Lagos",
    "Reykjavík",
    "Austin",
];
const TAGS: [&str; 10] = [
    "urgent", "billing", "mobile", "web", "beta", "vip", "eu", "us", "trial", "renewal",
];
const EVENTS: [&str; 6] = [
    "order.created",
    "order.paid",
    "cart.updated",
    "user.login",
    "user.logout",
    "price.tick",
];

/// One JSON object like an API or a feed sends: ids, timestamps, names,
/// numbers, nested objects and arrays, a little non-ASCII text.
fn push_record(out: &mut String, rng: &mut SplitMix64, seq: u64) {
    use std::fmt::Write;
    let user = NAMES[rng.in_range(0, NAMES.len() - 1)];
    let city = CITIES[rng.in_range(0, CITIES.len() - 1)];
    let event = EVENTS[rng.in_range(0, EVENTS.len() - 1)];
    let ts = 1_764_600_000_000u64 + seq * 37 + rng.in_range(0, 999) as u64;
    let _ = write!(
        out,
        r#"{{"id":"{:016x}","seq":{seq},"type":"{event}","ts":{ts},"user":{{"name":"{user}","id":{},"city":"{city}","verified":{}}},"#,
        rng.next_u64(),
        rng.in_range(1000, 99_999),
        rng.next_u64() & 1 == 0,
    );
    let items = rng.in_range(1, 4);
    out.push_str(r#""items":["#);
    for i in 0..items {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(
            out,
            r#"{{"sku":"SKU-{:05}","qty":{},"price":{}.{:02}}}"#,
            rng.in_range(0, 99_999),
            rng.in_range(1, 9),
            rng.in_range(1, 999),
            rng.in_range(0, 99),
        );
    }
    out.push_str(r#"],"tags":["#);
    let tags = rng.in_range(0, 3);
    for i in 0..tags {
        if i > 0 {
            out.push(',');
        }
        let _ = write!(out, r#""{}""#, TAGS[rng.in_range(0, TAGS.len() - 1)]);
    }
    let _ = write!(
        out,
        r#"],"score":{:.4},"note":null}}"#,
        rng.in_range(0, 1_000_000) as f64 / 1e4
    );
}

/// A JSON array of records, padded with spaces to exactly `len` bytes
/// (valid JSON, valid UTF-8). The seed makes each message different.
pub fn json_message(len: usize, seed: u64) -> String {
    let mut rng = SplitMix64::new(0x6a73_6f6e ^ seed.wrapping_mul(0x9E37_79B9));
    let mut out = String::with_capacity(len + 512);
    out.push('[');
    let mut seq = seed * 100_000;
    loop {
        let mark = out.len();
        if mark > 1 {
            out.push(',');
        }
        push_record(&mut out, &mut rng, seq);
        seq += 1;
        if out.len() + 1 > len {
            out.truncate(mark);
            break;
        }
    }
    out.push(']');
    while out.len() < len {
        out.push(' ');
    }
    out
}

/// One workload: `count` different JSON messages of `len` bytes, and the
/// masked compressed client frames that carry them.
#[derive(Clone, Debug)]
pub struct DeflateWorkload {
    /// The message texts.
    pub messages: Vec<Bytes>,
    /// Masked client text frames with RSV1, compressed with one context.
    pub wire: Bytes,
}

impl DeflateWorkload {
    /// The workload for `len`-byte messages: enough of them for
    /// [`PAYLOAD_PER_ITERATION`] bytes.
    pub fn new(len: usize) -> DeflateWorkload {
        DeflateWorkload::with_count(len, (PAYLOAD_PER_ITERATION / len).max(1))
    }

    /// `count` messages of `len` bytes.
    pub fn with_count(len: usize, count: usize) -> DeflateWorkload {
        let messages: Vec<Bytes> = (0..count as u64)
            .map(|i| Bytes::from(json_message(len, i + len as u64)))
            .collect();
        let mut compressor = RefCompressor::new(false);
        let mut wire = Vec::new();
        let mut rng = SplitMix64::new(0x006b_6579);
        for message in &messages {
            let compressed = compressor.compress(message);
            let key = (rng.next_u64() as u32).to_le_bytes();
            crate::workload::push_masked(&mut wire, 0x80 | 0x40 | 0x1, &compressed, key);
        }
        DeflateWorkload {
            messages,
            wire: Bytes::from(wire),
        }
    }

    /// The row label.
    pub fn label(&self) -> String {
        size_label(self.messages[0].len())
    }

    /// Payload bytes per iteration (uncompressed).
    pub fn payload_bytes(&self) -> usize {
        self.messages.iter().map(Bytes::len).sum()
    }
}

/// The reference compressor of the benches: raw deflate, level
/// [`LEVEL`], [`WINDOW_BITS`], one context unless `no_context_takeover`.
pub struct RefCompressor {
    compress: Compress,
    reset: bool,
}

impl RefCompressor {
    /// A compressor; `no_context_takeover` resets it after each message.
    pub fn new(no_context_takeover: bool) -> RefCompressor {
        RefCompressor {
            compress: Compress::new_with_window_bits(Compression::new(LEVEL), false, WINDOW_BITS),
            reset: no_context_takeover,
        }
    }

    /// One message's compressed payload, tail removed.
    pub fn compress(&mut self, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(data.len() / 2 + 64);
        let start_in = self.compress.total_in();
        loop {
            let consumed = (self.compress.total_in() - start_in) as usize;
            if out.capacity() - out.len() < 64 {
                out.reserve(out.capacity().max(4096));
            }
            let before = out.len();
            self.compress
                .compress_vec(&data[consumed..], &mut out, FlushCompress::Sync)
                .expect("reference deflate");
            let done = (self.compress.total_in() - start_in) as usize == data.len();
            if done && out.len() < out.capacity() && out.len() >= before {
                break;
            }
        }
        assert!(out.ends_with(&TAIL), "sync flush ends with the empty block");
        out.truncate(out.len() - 4);
        if self.reset {
            self.compress.reset();
        }
        out
    }
}

/// The reference inflater: one context for the stream.
pub struct RefInflater {
    inflate: Decompress,
}

impl Default for RefInflater {
    fn default() -> Self {
        RefInflater {
            inflate: Decompress::new_with_window_bits(false, WINDOW_BITS),
        }
    }
}

impl RefInflater {
    /// Inflates one message (its tail restored).
    pub fn inflate(&mut self, data: &[u8]) -> Vec<u8> {
        let mut input = data.to_vec();
        input.extend_from_slice(&TAIL);
        let mut out = Vec::with_capacity(data.len() * 4 + 64);
        let start_in = self.inflate.total_in();
        loop {
            if out.capacity() - out.len() < 1024 {
                out.reserve(out.capacity().max(4096));
            }
            let consumed = (self.inflate.total_in() - start_in) as usize;
            let status = self
                .inflate
                .decompress_vec(&input[consumed..], &mut out, FlushDecompress::Sync)
                .expect("reference inflate");
            let consumed = (self.inflate.total_in() - start_in) as usize;
            if consumed == input.len() && out.len() < out.capacity() {
                break;
            }
            assert!(status != Status::StreamEnd || consumed == input.len());
        }
        out
    }
}

/// Parses unmasked server frames (as an encoder under test wrote them) and
/// inflates every compressed message with one reference context: the text
/// of each message, in order.
///
/// # Errors
///
/// A description of the first frame that is not a final text frame.
pub fn inflate_server_frames(mut wire: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    let mut inflater = RefInflater::default();
    let mut out = Vec::new();
    while !wire.is_empty() {
        let b0 = wire[0];
        if b0 & 0x8f != 0x81 {
            return Err(format!("frame {}: header byte {b0:#04x}", out.len()));
        }
        let b1 = *wire.get(1).ok_or("short header")?;
        if b1 & 0x80 != 0 {
            return Err("a server frame is masked".into());
        }
        let (len, header) = match b1 & 0x7f {
            126 => (u16::from_be_bytes([wire[2], wire[3]]) as usize, 4),
            127 => (
                u64::from_be_bytes(wire[2..10].try_into().unwrap()) as usize,
                10,
            ),
            n => (n as usize, 2),
        };
        let payload = wire
            .get(header..header + len)
            .ok_or("frame runs past the end")?;
        if b0 & 0x40 != 0 {
            out.push(inflater.inflate(payload));
        } else {
            out.push(payload.to_vec());
        }
        wire = &wire[header + len..];
    }
    Ok(out)
}

/// A single-threaded tokio runtime with timers (sockudo-ws and yawc expect
/// tokio's context); the mock transports are never `Pending`.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// Runs `future` on `rt`.
pub fn run<F: Future>(rt: &tokio::runtime::Runtime, future: F) -> F::Output {
    rt.block_on(future)
}

/// A server end receiving compressed messages.
pub trait DecodeCompressed {
    /// The implementation's name in benchmark ids.
    const NAME: &'static str;

    /// Receives `n` text messages, handing each one's text to `on_message`.
    fn decode(&mut self, rt: &tokio::runtime::Runtime, n: usize, on_message: &mut dyn FnMut(&[u8]));
}

/// A server end sending compressed messages into a [`VecSink`].
pub trait EncodeCompressed {
    /// The implementation's name in benchmark ids.
    const NAME: &'static str;

    /// Clears the sink, sends every message as text, flushes once; returns
    /// the bytes written.
    fn encode(&mut self, rt: &tokio::runtime::Runtime, messages: &[Bytes]) -> usize;

    /// What the last [`encode`](Self::encode) wrote.
    fn output(&self) -> Vec<u8>;
}

/// Decodes the whole workload once from the start and checks every message
/// and that every byte was read.
///
/// # Panics
///
/// On any difference.
pub fn check_decode<D: DecodeCompressed>(
    decoder: &mut D,
    rt: &tokio::runtime::Runtime,
    workload: &DeflateWorkload,
    chunks: &[Bytes],
    cursor: &Cursor,
) {
    cursor.rewind();
    let mut seen = 0;
    decoder.decode(rt, workload.messages.len(), &mut |text| {
        assert!(
            text == &workload.messages[seen][..],
            "{}: message {seen} of {} differs",
            D::NAME,
            workload.label()
        );
        seen += 1;
    });
    assert_eq!(seen, workload.messages.len(), "{}: message count", D::NAME);
    assert!(cursor.is_at_end(chunks), "{}: bytes left unread", D::NAME);
}

/// Encodes the workload once and checks, with the reference inflater, that
/// the output is exactly the messages, compressed (RSV1 on every frame).
/// Returns the output.
///
/// # Panics
///
/// On any difference.
pub fn check_encode<E: EncodeCompressed>(
    encoder: &mut E,
    rt: &tokio::runtime::Runtime,
    messages: &[Bytes],
) -> Vec<u8> {
    let written = encoder.encode(rt, messages);
    let output = encoder.output();
    assert_eq!(written, output.len(), "{}: reported length", E::NAME);
    let texts = inflate_server_frames(&output).unwrap_or_else(|e| panic!("{}: {e}", E::NAME));
    assert_eq!(texts.len(), messages.len(), "{}: message count", E::NAME);
    for (i, (text, message)) in texts.iter().zip(messages).enumerate() {
        assert!(text[..] == message[..], "{}: message {i} differs", E::NAME);
    }
    let mut at = 0;
    while at < output.len() {
        assert!(output[at] & 0x40 != 0, "{}: a frame without RSV1", E::NAME);
        let b1 = output[at + 1] & 0x7f;
        let (len, header) = match b1 {
            126 => (
                u16::from_be_bytes([output[at + 2], output[at + 3]]) as usize,
                4,
            ),
            127 => (
                u64::from_be_bytes(output[at + 2..at + 10].try_into().unwrap()) as usize,
                10,
            ),
            n => (n as usize, 2),
        };
        at += header + len;
    }
    output
}

/// tether's parameters: the RFC defaults (context takeover, 15-bit windows),
/// level 6, threshold 64 (every message here is larger).
pub fn tether_params() -> DeflateParams {
    DeflateParams::default()
        .with_compression_level(LEVEL)
        .with_server_max_window_bits(WINDOW_BITS)
        .with_client_max_window_bits(WINDOW_BITS)
}

fn tether_config(params: DeflateParams) -> MessageConfig {
    MessageConfig::default()
        .with_max_message_size(MAX_MESSAGE as u64)
        .with_max_frame_size(MAX_MESSAGE as u64)
        .with_deflate(Some(params))
}

/// tether-ws's `WebSocketStream` with deflate in force (as after a
/// handshake that agreed it), over the same in-memory transport as the
/// peers' streams: what an application holds. Its `MessageCodec` inflates
/// with deferred validation, as the stream sets it up.
pub struct Tether<'a> {
    ws: tether_ws::WebSocketStream<Io<'a>>,
    sink: VecSink<'a>,
}

impl<'a> Tether<'a> {
    fn over(io: Io<'a>) -> Self {
        let config = tether_ws::WebSocketConfig::default()
            .with_message_config(tether_config(tether_params()));
        Tether {
            ws: tether_ws::WebSocketStream::from_raw_parts(
                io,
                Role::Server,
                config,
                bytes::BytesMut::new(),
            ),
            sink: io.sink,
        }
    }

    /// A server decoder reading from `io`.
    pub fn decoder(io: Io<'a>) -> Self {
        Tether::over(io)
    }

    /// A server encoder into `sink`.
    pub fn encoder(sink: VecSink<'a>) -> Self {
        Tether::over(Io::new(None, sink))
    }
}

impl DecodeCompressed for Tether<'_> {
    const NAME: &'static str = "tether";

    fn decode(
        &mut self,
        rt: &tokio::runtime::Runtime,
        n: usize,
        on_message: &mut dyn FnMut(&[u8]),
    ) {
        let ws = &mut self.ws;
        run(rt, async {
            for _ in 0..n {
                match ws.next().await {
                    Some(Ok(Message::Text(text))) => on_message(text.as_bytes()),
                    other => panic!("tether: {other:?}"),
                }
            }
        });
    }
}

impl EncodeCompressed for Tether<'_> {
    const NAME: &'static str = "tether";

    fn encode(&mut self, rt: &tokio::runtime::Runtime, messages: &[Bytes]) -> usize {
        let (ws, sink) = (&mut self.ws, self.sink);
        sink.clear();
        run(rt, async {
            for message in messages {
                let text = tether_message::Utf8Bytes::try_from(message.clone()).expect("UTF-8");
                SinkExt::<Message>::feed(ws, Message::Text(text))
                    .await
                    .expect("tether: send");
            }
            ws.flush().await.expect("tether: flush");
        });
        sink.len()
    }

    fn output(&self) -> Vec<u8> {
        self.sink.contents()
    }
}

/// A transport that reads like a [`ChunkedReader`] and writes into a
/// [`VecSink`]: the stream types of the peers need both halves.
#[derive(Clone, Copy, Debug)]
pub struct Io<'a> {
    reader: Option<ChunkedReader<'a>>,
    sink: VecSink<'a>,
}

impl<'a> Io<'a> {
    /// Reads from `reader` (end of stream if `None`), writes into `sink`.
    pub fn new(reader: Option<ChunkedReader<'a>>, sink: VecSink<'a>) -> Io<'a> {
        Io { reader, sink }
    }
}

impl tokio::io::AsyncRead for Io<'_> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        match self.reader.as_mut() {
            Some(reader) => std::pin::Pin::new(reader).poll_read(cx, buf),
            None => std::task::Poll::Ready(Ok(())),
        }
    }
}

impl tokio::io::AsyncWrite for Io<'_> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.sink).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.sink).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }

    fn poll_shutdown(
        self: std::pin::Pin<&mut Self>,
        _: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::task::Poll::Ready(Ok(()))
    }
}

/// yawc's options: level 6, 15-bit windows (its default with `zlib`),
/// UTF-8 validation on (tether and sockudo-ws validate text), limits that
/// admit the 1 MiB messages.
pub fn yawc_options() -> yawc::Options {
    yawc::Options::default()
        .with_compression_level(yawc::CompressionLevel::new(LEVEL))
        .with_limits(MAX_MESSAGE, MAX_MESSAGE)
        .with_utf8()
}

/// yawc 0.5's `WebSocket`.
pub struct Yawc<'a> {
    ws: yawc::WebSocket<Io<'a>>,
    sink: VecSink<'a>,
}

impl<'a> Yawc<'a> {
    /// A server over `io` with permessage-deflate agreed (no parameters: context
    /// takeover, 15-bit windows).
    pub fn new(io: Io<'a>) -> Self {
        let ws = yawc::WebSocket::from_stream_with_extensions(
            io,
            yawc::Role::Server,
            Some("permessage-deflate"),
            yawc_options(),
        )
        .expect("yawc");
        Yawc { ws, sink: io.sink }
    }
}

impl DecodeCompressed for Yawc<'_> {
    const NAME: &'static str = "yawc";

    fn decode(
        &mut self,
        rt: &tokio::runtime::Runtime,
        n: usize,
        on_message: &mut dyn FnMut(&[u8]),
    ) {
        let ws = &mut self.ws;
        run(rt, async {
            for _ in 0..n {
                let frame = ws.next_frame().await.expect("yawc: read");
                assert_eq!(frame.opcode(), yawc::frame::OpCode::Text, "yawc: opcode");
                on_message(frame.payload());
            }
        });
    }
}

impl EncodeCompressed for Yawc<'_> {
    const NAME: &'static str = "yawc";

    fn encode(&mut self, rt: &tokio::runtime::Runtime, messages: &[Bytes]) -> usize {
        self.sink.clear();
        let ws = &mut self.ws;
        run(rt, async {
            for message in messages {
                ws.feed(yawc::frame::Frame::text(message.clone()))
                    .await
                    .expect("yawc: send");
            }
            ws.flush().await.expect("yawc: flush");
        });
        self.sink.len()
    }

    fn output(&self) -> Vec<u8> {
        self.sink.contents()
    }
}

/// sockudo-ws's configuration: defaults, limits that admit the 1 MiB
/// messages, no idle timeout.
pub fn sockudo_config() -> sockudo_ws::Config {
    sockudo_ws::Config {
        max_message_size: MAX_MESSAGE,
        max_frame_size: MAX_MESSAGE,
        idle_timeout: 0,
        auto_ping: false,
        ..Default::default()
    }
}

/// sockudo-ws's deflate parameters: its defaults (level 6, 15-bit windows,
/// context takeover; threshold 32, below every message here).
pub fn sockudo_deflate() -> sockudo_ws::DeflateConfig {
    let config = sockudo_ws::DeflateConfig::default();
    assert_eq!(config.compression_level, LEVEL);
    config
}

/// sockudo-ws 3.1's `CompressedWebSocketStream`.
pub struct Sockudo<'a> {
    ws: sockudo_ws::CompressedWebSocketStream<Io<'a>>,
    sink: VecSink<'a>,
}

impl<'a> Sockudo<'a> {
    /// A server over `io`.
    pub fn new(io: Io<'a>) -> Self {
        Sockudo {
            ws: sockudo_ws::CompressedWebSocketStream::server(
                io,
                sockudo_config(),
                sockudo_deflate(),
            ),
            sink: io.sink,
        }
    }
}

impl DecodeCompressed for Sockudo<'_> {
    const NAME: &'static str = "sockudo-ws";

    fn decode(
        &mut self,
        rt: &tokio::runtime::Runtime,
        n: usize,
        on_message: &mut dyn FnMut(&[u8]),
    ) {
        let ws = &mut self.ws;
        run(rt, async {
            for _ in 0..n {
                match ws.next().await {
                    Some(Ok(sockudo_ws::Message::Text(text))) => on_message(&text),
                    other => panic!("sockudo-ws: {other:?}"),
                }
            }
        });
    }
}

impl EncodeCompressed for Sockudo<'_> {
    const NAME: &'static str = "sockudo-ws";

    fn encode(&mut self, rt: &tokio::runtime::Runtime, messages: &[Bytes]) -> usize {
        self.sink.clear();
        let ws = &mut self.ws;
        run(rt, async {
            for message in messages {
                ws.feed(sockudo_ws::Message::Text(message.clone()))
                    .await
                    .expect("sockudo-ws: send");
            }
            ws.flush().await.expect("sockudo-ws: flush");
        });
        self.sink.len()
    }

    fn output(&self) -> Vec<u8> {
        self.sink.contents()
    }
}

/// Re-frames unmasked server frames as masked client frames (same header
/// byte, RSV1 kept), so one implementation's compressed output can be
/// decoded by the server decoders of the others.
pub fn server_to_client_frames(mut wire: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(wire.len() + wire.len() / 64);
    let mut rng = SplitMix64::new(0x0072_656d);
    while !wire.is_empty() {
        let b0 = wire[0];
        let (len, header) = match wire[1] & 0x7f {
            126 => (u16::from_be_bytes([wire[2], wire[3]]) as usize, 4),
            127 => (
                u64::from_be_bytes(wire[2..10].try_into().unwrap()) as usize,
                10,
            ),
            n => (n as usize, 2),
        };
        let key = (rng.next_u64() as u32).to_le_bytes();
        crate::workload::push_masked(&mut out, b0, &wire[header..header + len], key);
        wire = &wire[header + len..];
    }
    out
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;

    #[test]
    fn the_corpus_is_json_like_and_compresses_like_json() {
        let text = json_message(16 << 10, 3);
        assert_eq!(text.len(), 16 << 10);
        assert!(text.starts_with("[{\"id\":"));
        let compressed = RefCompressor::new(true).compress(text.as_bytes());
        let ratio = text.len() as f64 / compressed.len() as f64;
        assert!((2.5..12.0).contains(&ratio), "ratio {ratio}");
    }

    #[test]
    fn every_decoder_reads_the_reference_wire_and_every_encoder_output() {
        let rt = runtime();
        let workload = DeflateWorkload::with_count(1 << 10, 20);
        // The encoders' outputs, then the reference wire, each decoded by
        // every decoder.
        let mut wires = vec![workload.wire.clone()];
        let sinks: Vec<RefCell<Vec<u8>>> = (0..3).map(|_| RefCell::default()).collect();
        let mut t = Tether::encoder(VecSink::new(&sinks[0]));
        let mut y = Yawc::new(Io::new(None, VecSink::new(&sinks[1])));
        let mut s = Sockudo::new(Io::new(None, VecSink::new(&sinks[2])));
        wires.push(server_to_client_frames(&check_encode(&mut t, &rt, &workload.messages)).into());
        wires.push(server_to_client_frames(&check_encode(&mut y, &rt, &workload.messages)).into());
        wires.push(server_to_client_frames(&check_encode(&mut s, &rt, &workload.messages)).into());
        // (A second pass continues each encoder's context; the bench checks
        // it after the first, `bench_encoder` in benches/deflate.rs.)
        for wire in &wires {
            let chunks = crate::workload::Chunking::Fixed(4096).cut(wire);
            let cursor = Cursor::new();
            let sink = RefCell::default();
            let reader = || Some(ChunkedReader::new(&chunks, &cursor));
            let mut td = Tether::decoder(Io::new(reader(), VecSink::new(&sink)));
            let mut yd = Yawc::new(Io::new(reader(), VecSink::new(&sink)));
            let mut sd = Sockudo::new(Io::new(reader(), VecSink::new(&sink)));
            check_decode(&mut td, &rt, &workload, &chunks, &cursor);
            check_decode(&mut yd, &rt, &workload, &chunks, &cursor);
            check_decode(&mut sd, &rt, &workload, &chunks, &cursor);
        }
    }
}
