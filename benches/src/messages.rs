//! Message-level decoding: tether-message against the message APIs of the
//! peers, on text and fragmented workloads, with `simdutf8` alone on the
//! same text as the reference for the cost of validation.
//!
//! | driver | how | per item |
//! |---|---|---|
//! | [`TetherFramedRead`] | `FramedRead<_, MessageCodec>` (server), `StreamExt::next` | `Message` (single-frame payloads split from the read buffer) |
//! | [`TetherDecoder`] | sans-IO: each chunk appended to a `BytesMut`, `Decoder::decode` until `Ok(None)` | `Message` |
//! | [`Tungstenite`] | `WebSocket::from_raw_socket(_, Role::Server, _)`, `read` | `Message` (it queues a pong for each ping) |
//! | [`FastWebSockets`] | `FragmentCollector` over `WebSocket::after_handshake(_, Role::Server)`, auto pong and close off, `read_frame` | `Frame` (whole message) |
//! | [`TokioWebSockets`] | `ServerBuilder::serve`, `StreamExt::next` | `Message` (it queues a pong for each ping) |
//! | [`Simdutf8`] | `simdutf8::basic::from_utf8` on each text message's bytes, already in memory | nothing decoded: the floor for validating that text |
//!
//! Every implementation validates text as UTF-8 (that is part of receiving a
//! text message), and every one is checked, once before timing, to return
//! exactly the expected messages and pings in order.

use std::cell::Cell;

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use tether_frame::Role;
use tether_message::{Message, MessageCodec, MessageConfig};
use tokio_util::codec::{Decoder, FramedRead};

use crate::block_on;
use crate::mock::{ChunkedReader, Cursor, Duplex};
use crate::workload::{frames_per_iteration, push_masked, size_label, SplitMix64, MAX_FRAME_SIZE};

/// The largest message every implementation is configured to accept.
pub const MAX_MESSAGE_SIZE: usize = 64 << 20;

/// The number of fragments of the fragmented workloads.
pub const FRAGMENTS: usize = 64;

/// What a receiver must see, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expect {
    /// A text message with these bytes.
    Text(Bytes),
    /// A binary message.
    Binary(Bytes),
    /// A ping.
    Ping(Bytes),
}

/// One item as a driver saw it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item<'a> {
    /// A text message.
    Text(&'a [u8]),
    /// A binary message.
    Binary(&'a [u8]),
    /// A ping.
    Ping(&'a [u8]),
}

impl Expect {
    /// Whether `item` is this message or ping.
    pub fn matches(&self, item: Item<'_>) -> bool {
        match (self, item) {
            (Expect::Text(a), Item::Text(b))
            | (Expect::Binary(a), Item::Binary(b))
            | (Expect::Ping(a), Item::Ping(b)) => &a[..] == b,
            _ => false,
        }
    }
}

/// Text of exactly `len` bytes mixing ASCII (about 40 % of the bytes) with
/// 2-, 3- and 4-byte characters.
pub fn mixed_text(rng: &mut SplitMix64, len: usize) -> String {
    const WIDE: [&str; 6] = ["é", "ñ", "€", "中", "😀", "ß"];
    let mut s = String::with_capacity(len);
    while s.len() < len {
        let r = rng.next_u64();
        let wide = WIDE[(r >> 8) as usize % WIDE.len()];
        if r % 8 < 5 || len - s.len() < wide.len() {
            s.push(char::from(b'a' + (r >> 16) as u8 % 26));
        } else {
            s.push_str(wide);
        }
    }
    s
}

/// One message workload: masked client frames and what they must decode to.
#[derive(Clone, Debug)]
pub struct MessageWorkload {
    /// The row label: `text-16B`, `binary-1MiB-x64`, ...
    pub label: String,
    /// The size of each data message.
    pub message_len: usize,
    /// Whether the data messages are text.
    pub text: bool,
    /// What the receiver must see, in order.
    pub items: Vec<Expect>,
    /// The frames, back to back.
    pub wire: Bytes,
}

impl MessageWorkload {
    /// The workloads of the message groups: text messages of 16 B, 1 KiB and
    /// 64 KiB in one frame each, and a 1 MiB binary and a 1 MiB text message
    /// in 64 fragments with a ping between fragments 32 and 33.
    pub fn all() -> Vec<MessageWorkload> {
        vec![
            MessageWorkload::single_text(16),
            MessageWorkload::single_text(1 << 10),
            MessageWorkload::single_text(64 << 10),
            MessageWorkload::fragmented(false, 1 << 20),
            MessageWorkload::fragmented(true, 1 << 20),
        ]
    }

    /// Single-frame text messages of `len` bytes, about 1 MiB of them.
    pub fn single_text(len: usize) -> MessageWorkload {
        MessageWorkload::single_text_n(len, frames_per_iteration(len))
    }

    /// `count` single-frame text messages of `len` bytes.
    pub fn single_text_n(len: usize, count: usize) -> MessageWorkload {
        let mut rng = SplitMix64::new(0x7e47 ^ len as u64);
        let mut wire = Vec::with_capacity(count * (len + 14));
        let mut items = Vec::with_capacity(count);
        for _ in 0..count {
            let text = Bytes::from(mixed_text(&mut rng, len));
            push_masked(&mut wire, 0x81, &text, key(&mut rng));
            items.push(Expect::Text(text));
        }
        MessageWorkload {
            label: format!("text-{}", size_label(len)),
            message_len: len,
            text: true,
            items,
            wire: Bytes::from(wire),
        }
    }

    /// Two messages of `len` bytes, each in [`FRAGMENTS`] equal fragments
    /// (text cut at byte positions, so code points straddle fragments),
    /// with a ping between fragments 32 and 33.
    pub fn fragmented(text: bool, len: usize) -> MessageWorkload {
        MessageWorkload::fragmented_n(text, len, 2)
    }

    /// `count` fragmented messages of `len` bytes.
    pub fn fragmented_n(text: bool, len: usize, count: usize) -> MessageWorkload {
        let mut rng = SplitMix64::new(0xf7a6 ^ len as u64 ^ u64::from(text));
        let mut wire = Vec::with_capacity(count * (len + FRAGMENTS * 14 + 12));
        let mut items = Vec::new();
        let piece = len.div_ceil(FRAGMENTS).max(1);
        for m in 0..count {
            let payload = if text {
                Bytes::from(mixed_text(&mut rng, len))
            } else {
                let mut v = vec![0u8; len];
                rng.fill(&mut v);
                Bytes::from(v)
            };
            let ping = Bytes::from(format!("ping {m}"));
            let pieces: Vec<&[u8]> = payload.chunks(piece).collect();
            let last = pieces.len() - 1;
            for (i, p) in pieces.iter().enumerate() {
                let opcode = match (i, text) {
                    (0, true) => 0x1,
                    (0, false) => 0x2,
                    _ => 0x0,
                };
                let fin = if i == last { 0x80 } else { 0 };
                push_masked(&mut wire, fin | opcode, p, key(&mut rng));
                if i + 1 == FRAGMENTS / 2 && i != last {
                    push_masked(&mut wire, 0x89, &ping, key(&mut rng));
                    items.push(Expect::Ping(ping.clone()));
                }
            }
            items.push(if text {
                Expect::Text(payload)
            } else {
                Expect::Binary(payload)
            });
        }
        MessageWorkload {
            label: format!(
                "{}-{}-x{FRAGMENTS}",
                if text { "text" } else { "binary" },
                size_label(len)
            ),
            message_len: len,
            text,
            items,
            wire: Bytes::from(wire),
        }
    }

    /// Data messages plus pings.
    pub fn items(&self) -> usize {
        self.items.len()
    }

    /// The bytes of the data messages (pings not counted): what criterion's
    /// `Throughput::Bytes` counts.
    pub fn payload_bytes(&self) -> usize {
        self.items
            .iter()
            .map(|e| match e {
                Expect::Text(b) | Expect::Binary(b) => b.len(),
                Expect::Ping(_) => 0,
            })
            .sum()
    }

    /// The text messages' bytes, one per message.
    pub fn texts(&self) -> Vec<Bytes> {
        self.items
            .iter()
            .filter_map(|e| match e {
                Expect::Text(b) => Some(b.clone()),
                _ => None,
            })
            .collect()
    }
}

fn key(rng: &mut SplitMix64) -> [u8; 4] {
    (rng.next_u64() as u32).to_le_bytes()
}

/// A server reading messages and pings.
pub trait DecodeMessages {
    /// The implementation's name in benchmark ids.
    const NAME: &'static str;

    /// Reads the next `n` items (data messages and pings), handing each to
    /// `on_item`.
    ///
    /// # Panics
    ///
    /// On an error or an unexpected kind of message: the input is valid.
    fn decode_items<F: FnMut(Item<'_>)>(&mut self, n: usize, on_item: F);
}

/// Decodes the workload once from the start and checks every item.
///
/// # Panics
///
/// On any difference, naming the implementation and the item.
pub fn check<D: DecodeMessages>(
    decoder: &mut D,
    workload: &MessageWorkload,
    chunks: &[Bytes],
    cursor: &Cursor,
) {
    cursor.rewind();
    let mut seen = 0usize;
    decoder.decode_items(workload.items(), |item| {
        let want = &workload.items[seen];
        assert!(
            want.matches(item),
            "{}: {}: item {seen} differs from the expected one",
            D::NAME,
            workload.label
        );
        seen += 1;
    });
    assert_eq!(seen, workload.items(), "{}: item count", D::NAME);
    assert!(cursor.is_at_end(chunks), "{}: bytes left unread", D::NAME);
}

fn tether_config() -> MessageConfig {
    MessageConfig::default()
        .with_max_frame_size(MAX_FRAME_SIZE as u64)
        .with_max_message_size(MAX_MESSAGE_SIZE as u64)
}

fn tether_item(message: &Message) -> Item<'_> {
    match message {
        Message::Text(t) => Item::Text(t.as_bytes()),
        Message::Binary(b) => Item::Binary(b),
        Message::Ping(p) => Item::Ping(p),
        other => panic!("tether: unexpected {other:?}"),
    }
}

/// tether-message: `FramedRead<_, MessageCodec>`.
#[derive(Debug)]
pub struct TetherFramedRead<'a> {
    inner: FramedRead<Duplex<'a>, MessageCodec>,
}

impl<'a> TetherFramedRead<'a> {
    /// A server codec over `io`.
    pub fn new(io: Duplex<'a>) -> Self {
        TetherFramedRead {
            inner: FramedRead::new(io, MessageCodec::with_config(Role::Server, tether_config())),
        }
    }
}

impl DecodeMessages for TetherFramedRead<'_> {
    const NAME: &'static str = "tether";

    fn decode_items<F: FnMut(Item<'_>)>(&mut self, n: usize, mut on_item: F) {
        let inner = &mut self.inner;
        block_on(async {
            for _ in 0..n {
                let message = inner
                    .next()
                    .await
                    .expect("tether: end of stream")
                    .expect("tether: decode error");
                on_item(tether_item(&message));
            }
        });
    }
}

/// tether-message, sans-IO.
#[derive(Debug)]
pub struct TetherDecoder<'a> {
    codec: MessageCodec,
    buf: BytesMut,
    source: ChunkedReader<'a>,
}

impl<'a> TetherDecoder<'a> {
    /// A server codec fed from `io`'s reader.
    pub fn new(io: Duplex<'a>) -> Self {
        TetherDecoder {
            codec: MessageCodec::with_config(Role::Server, tether_config()),
            buf: BytesMut::with_capacity(8 << 10),
            source: io.reader(),
        }
    }
}

impl DecodeMessages for TetherDecoder<'_> {
    const NAME: &'static str = "tether-decode";

    fn decode_items<F: FnMut(Item<'_>)>(&mut self, n: usize, mut on_item: F) {
        let mut done = 0;
        while done < n {
            match self.codec.decode(&mut self.buf) {
                Ok(Some(message)) => {
                    on_item(tether_item(&message));
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

/// tungstenite's `WebSocket::read`.
#[derive(Debug)]
pub struct Tungstenite<'a> {
    ws: tungstenite::WebSocket<Duplex<'a>>,
}

impl<'a> Tungstenite<'a> {
    /// A server socket over `io`.
    pub fn new(io: Duplex<'a>) -> Self {
        let config = tungstenite::protocol::WebSocketConfig::default()
            .max_frame_size(Some(MAX_FRAME_SIZE))
            .max_message_size(Some(MAX_MESSAGE_SIZE));
        Tungstenite {
            ws: tungstenite::WebSocket::from_raw_socket(
                io,
                tungstenite::protocol::Role::Server,
                Some(config),
            ),
        }
    }
}

impl DecodeMessages for Tungstenite<'_> {
    const NAME: &'static str = "tungstenite";

    fn decode_items<F: FnMut(Item<'_>)>(&mut self, n: usize, mut on_item: F) {
        for _ in 0..n {
            match self.ws.read() {
                Ok(tungstenite::Message::Text(t)) => on_item(Item::Text(t.as_bytes())),
                Ok(tungstenite::Message::Binary(b)) => on_item(Item::Binary(&b)),
                Ok(tungstenite::Message::Ping(p)) => on_item(Item::Ping(&p)),
                Ok(other) => panic!("tungstenite: unexpected {other:?}"),
                Err(e) => panic!("tungstenite: {e}"),
            }
        }
    }
}

/// fastwebsockets' `FragmentCollector`.
pub struct FastWebSockets<'a> {
    ws: fastwebsockets::FragmentCollector<Duplex<'a>>,
}

impl<'a> FastWebSockets<'a> {
    /// A server socket over `io`.
    pub fn new(io: Duplex<'a>) -> Self {
        let mut ws = fastwebsockets::WebSocket::after_handshake(io, fastwebsockets::Role::Server);
        ws.set_auto_close(false);
        ws.set_auto_pong(false);
        ws.set_max_message_size(MAX_MESSAGE_SIZE);
        FastWebSockets {
            ws: fastwebsockets::FragmentCollector::new(ws),
        }
    }
}

impl DecodeMessages for FastWebSockets<'_> {
    const NAME: &'static str = "fastwebsockets";

    fn decode_items<F: FnMut(Item<'_>)>(&mut self, n: usize, mut on_item: F) {
        let ws = &mut self.ws;
        block_on(async {
            for _ in 0..n {
                let frame = match ws.read_frame().await {
                    Ok(frame) => frame,
                    Err(e) => panic!("fastwebsockets: {e}"),
                };
                match frame.opcode {
                    fastwebsockets::OpCode::Text => on_item(Item::Text(&frame.payload)),
                    fastwebsockets::OpCode::Binary => on_item(Item::Binary(&frame.payload)),
                    fastwebsockets::OpCode::Ping => on_item(Item::Ping(&frame.payload)),
                    other => panic!("fastwebsockets: unexpected {other:?}"),
                }
            }
        });
    }
}

/// tokio-websockets' `WebSocketStream`.
#[derive(Debug)]
pub struct TokioWebSockets<'a> {
    ws: tokio_websockets::WebSocketStream<Duplex<'a>>,
}

impl<'a> TokioWebSockets<'a> {
    /// A server stream over `io`.
    pub fn new(io: Duplex<'a>) -> Self {
        let limits = tokio_websockets::Limits::default().max_payload_len(Some(MAX_MESSAGE_SIZE));
        TokioWebSockets {
            ws: tokio_websockets::ServerBuilder::new()
                .limits(limits)
                .serve(io),
        }
    }
}

impl DecodeMessages for TokioWebSockets<'_> {
    const NAME: &'static str = "tokio-websockets";

    fn decode_items<F: FnMut(Item<'_>)>(&mut self, n: usize, mut on_item: F) {
        let ws = &mut self.ws;
        block_on(async {
            for _ in 0..n {
                let message = match ws.next().await {
                    Some(Ok(message)) => message,
                    Some(Err(e)) => panic!("tokio-websockets: {e}"),
                    None => panic!("tokio-websockets: end of stream"),
                };
                if message.is_text() {
                    on_item(Item::Text(message.as_payload()));
                } else if message.is_binary() {
                    on_item(Item::Binary(message.as_payload()));
                } else if message.is_ping() {
                    on_item(Item::Ping(message.as_payload()));
                } else {
                    panic!("tokio-websockets: unexpected {message:?}");
                }
            }
        });
    }
}

/// The reference for validation: `simdutf8::basic::from_utf8` on each text
/// message, already whole in memory.
#[derive(Debug)]
pub struct Simdutf8 {
    texts: Vec<Bytes>,
}

impl Simdutf8 {
    /// The name in benchmark ids.
    pub const NAME: &'static str = "simdutf8";

    /// Validates the text messages of `workload`.
    pub fn new(workload: &MessageWorkload) -> Simdutf8 {
        Simdutf8 {
            texts: workload.texts(),
        }
    }

    /// Validates every message; returns the bytes validated.
    ///
    /// # Panics
    ///
    /// If a message is not UTF-8 (it always is).
    #[inline]
    pub fn validate_all(&self) -> usize {
        let mut total = 0;
        for t in &self.texts {
            let s = simdutf8::basic::from_utf8(std::hint::black_box(t)).expect("generated text");
            total += s.len();
        }
        total
    }
}

/// A duplex transport over `chunks`, and the counter its writes go to.
pub fn duplex<'a>(chunks: &'a [Bytes], cursor: &'a Cursor, written: &'a Cell<usize>) -> Duplex<'a> {
    Duplex::new(ChunkedReader::new(chunks, cursor), written)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::Chunking;

    #[test]
    fn mixed_text_has_the_exact_length_and_all_widths() {
        let mut rng = SplitMix64::new(1);
        for len in [0, 1, 2, 3, 16, 1000, 65536] {
            let s = mixed_text(&mut rng, len);
            assert_eq!(s.len(), len);
        }
        let s = mixed_text(&mut rng, 4096);
        for w in 1..=4 {
            assert!(s.chars().any(|c| c.len_utf8() == w), "width {w}");
        }
    }

    #[test]
    fn every_decoder_reads_every_workload_in_every_chunking() {
        let workloads = [
            MessageWorkload::single_text_n(16, 20),
            MessageWorkload::single_text_n(1000, 5),
            MessageWorkload::fragmented_n(false, 70_000, 2),
            MessageWorkload::fragmented_n(true, 70_000, 2),
            MessageWorkload::fragmented_n(true, 100, 1),
        ];
        for w in &workloads {
            let pings = w
                .items
                .iter()
                .filter(|e| matches!(e, Expect::Ping(_)))
                .count();
            if w.label.contains("-x") && w.message_len >= FRAGMENTS {
                assert_eq!(pings, w.items.len() / 2, "{}", w.label);
            }
            for (_, chunking) in Chunking::all() {
                let chunks = chunking.cut(&w.wire);
                let cursor = Cursor::new();
                let written = Cell::new(0);
                let io = duplex(&chunks, &cursor, &written);
                for _ in 0..2 {
                    check(&mut TetherFramedRead::new(io), w, &chunks, &cursor);
                    check(&mut TetherDecoder::new(io), w, &chunks, &cursor);
                    check(&mut Tungstenite::new(io), w, &chunks, &cursor);
                    check(&mut FastWebSockets::new(io), w, &chunks, &cursor);
                    check(&mut TokioWebSockets::new(io), w, &chunks, &cursor);
                }
                assert_eq!(
                    Simdutf8::new(w).validate_all(),
                    w.texts().iter().map(Bytes::len).sum::<usize>()
                );
            }
        }
    }
}
