//! The connection as users hold it: `tether_ws::WebSocketStream` against the
//! peers' own connection types, sending and receiving whole messages over the
//! in-memory transport of [`mock`](crate::mock).
//!
//! | driver | connection | send (one iteration) | receive |
//! |---|---|---|---|
//! | [`Tether`] | `WebSocketStream::from_raw_parts(io, role, WebSocketConfig::default(), BytesMut::new())` | `SinkExt::feed(Message::binary(payload.clone()))` per message, one `flush` | `StreamExt::next`: text, binary and ping messages (it writes the pong) |
//! | [`TokioTungstenite`] | `tokio_tungstenite::WebSocketStream::from_raw_socket(io, role, None)` | `feed(Message::Binary(payload.clone()))`, one `flush` | `next`: text, binary and ping messages (it writes the pong) |
//! | [`FastWebSockets`] | `WebSocket::after_handshake(io, role)`, defaults (auto pong and auto close on); receiving through `FragmentCollector` | `write_frame(Frame::binary(Payload::Borrowed(&payload)))` per message, one `flush` | `read_frame`: whole text and binary messages; pings are answered and not handed out |
//! | [`TokioWebSockets`] | `ClientBuilder::new().take_over(io)` / `ServerBuilder::new().serve(io)`, defaults | `feed(Message::binary(payload.clone()))`, one `flush` | `next`: text, binary and ping messages (it writes the pong) |
//!
//! Every implementation runs with its default configuration, as a new user
//! would start. The payload of the send groups is one shared `Bytes` built
//! once (a user who keeps a buffer): a client must not mask it in place, so
//! each client makes a masked copy of it per message (tether, fastwebsockets
//! with a borrowed payload and tokio-websockets alike; tungstenite copies it
//! into its write buffer and masks there).
//!
//! Sending writes into a [`VecSink`] (cleared at the start of each
//! iteration, keeping its capacity); receiving reads pre-cut chunks from a
//! [`Duplex`], whose writes (the pongs) are counted and dropped. Neither is
//! ever `Pending`, so one `block_on` per iteration drives the whole batch.
//!
//! [`check_send`] and [`check_recv`] run each implementation once before it
//! is timed: the bytes sent parse back (with the reference parser of
//! [`workload`](crate::workload)) to exactly the expected frames, masked for
//! a client and unmasked for a server; the messages received are exactly the
//! expected ones, every byte was read, and a pong was written for every ping.

use std::cell::Cell;

use bytes::{Bytes, BytesMut};
use futures::{SinkExt, StreamExt};
use tether_ws::Role;

use crate::block_on;
use crate::messages::{Expect, Item, MessageWorkload};
use crate::mock::{Cursor, Duplex, VecSink};
use crate::workload::{parse_binary_frames, size_label, Chunking, SplitMix64, Workload};

/// The payload sizes of the send groups: 16 B, 128 B, 1 KiB and 16 KiB.
pub const SEND_SIZES: [usize; 4] = [16, 128, 1 << 10, 16 << 10];

/// About this many payload bytes are sent per iteration of a send group.
pub const SEND_PAYLOAD_PER_ITERATION: usize = 256 << 10;

/// The fewest messages sent per iteration of a send group.
pub const MIN_SEND_MESSAGES: usize = 256;

/// The payload sizes of the binary cells of `stream_recv`: 16 B, 1 KiB and
/// 16 KiB.
pub const RECV_BINARY_SIZES: [usize; 3] = [16, 1 << 10, 16 << 10];

/// What one iteration of a send group sends: `count` binary messages, each
/// carrying `payload`.
#[derive(Clone, Debug)]
pub struct SendWorkload {
    /// The payload of every message: one buffer, shared.
    pub payload: Bytes,
    /// Messages per iteration.
    pub count: usize,
}

impl SendWorkload {
    /// The workload for `len`-byte messages: enough of them for
    /// [`SEND_PAYLOAD_PER_ITERATION`] bytes, at least [`MIN_SEND_MESSAGES`].
    pub fn new(len: usize) -> SendWorkload {
        SendWorkload::with_count(
            len,
            (SEND_PAYLOAD_PER_ITERATION / len.max(1)).max(MIN_SEND_MESSAGES),
        )
    }

    /// `count` messages of `len` random bytes (the same bytes in each).
    pub fn with_count(len: usize, count: usize) -> SendWorkload {
        let mut payload = vec![0u8; len];
        SplitMix64::new(0x5e4d ^ len as u64).fill(&mut payload);
        SendWorkload {
            payload: Bytes::from(payload),
            count,
        }
    }

    /// The row label: `16B`, `1KiB`, ...
    pub fn label(&self) -> String {
        size_label(self.payload.len())
    }

    /// The payload bytes per iteration: what criterion's `Throughput::Bytes`
    /// counts.
    pub fn payload_bytes(&self) -> usize {
        self.payload.len() * self.count
    }
}

/// One end of a connection sending binary messages into a [`VecSink`].
pub trait SendMessages {
    /// The implementation's name in benchmark ids.
    const NAME: &'static str;

    /// Clears the sink, then sends `count` binary messages carrying
    /// `payload` and flushes once. Returns the bytes written to the sink.
    ///
    /// # Panics
    ///
    /// If the implementation reports an error.
    fn send_batch(&mut self, payload: &Bytes, count: usize) -> usize;

    /// A copy of what the last [`send_batch`](Self::send_batch) wrote.
    fn output(&self) -> Vec<u8>;
}

/// Sends the workload once and checks the output with the reference parser:
/// exactly `count` final binary frames carrying the payload, masked if
/// `role` is the client, unmasked if it is the server.
///
/// # Panics
///
/// On any difference, naming the implementation and the frame.
pub fn check_send<S: SendMessages>(sender: &mut S, role: Role, workload: &SendWorkload) {
    let written = sender.send_batch(&workload.payload, workload.count);
    let output = sender.output();
    assert_eq!(written, output.len(), "{}: reported length", S::NAME);
    let frames = parse_binary_frames(&output, role == Role::Client)
        .unwrap_or_else(|e| panic!("{} ({role:?}): {e}", S::NAME));
    assert_eq!(frames.len(), workload.count, "{}: frame count", S::NAME);
    for (i, frame) in frames.iter().enumerate() {
        assert!(
            frame[..] == workload.payload[..],
            "{}: payload of frame {i} differs",
            S::NAME
        );
    }
}

/// One end of a connection receiving messages from a [`Duplex`].
pub trait RecvMessages {
    /// The implementation's name in benchmark ids.
    const NAME: &'static str;

    /// Whether received pings are handed to the application (all but
    /// fastwebsockets, whose automatic pong consumes them).
    const YIELDS_PINGS: bool;

    /// Receives the next `n` items (messages, and pings if
    /// [`YIELDS_PINGS`](Self::YIELDS_PINGS)), handing each to `on_item`.
    ///
    /// # Panics
    ///
    /// On an error, the end of the stream, or an unexpected kind of
    /// message: the input is valid.
    fn recv_items<F: FnMut(Item<'_>)>(&mut self, n: usize, on_item: F);
}

/// The items of `workload` that `R` hands out, in order.
pub fn expected_items<R: RecvMessages>(workload: &MessageWorkload) -> Vec<&Expect> {
    workload
        .items
        .iter()
        .filter(|e| R::YIELDS_PINGS || !matches!(e, Expect::Ping(_)))
        .collect()
}

/// The bytes of the pongs a server writes in answer to the pings of
/// `workload`: an unmasked two-byte header and the ping's payload each.
pub fn pong_bytes(workload: &MessageWorkload) -> usize {
    workload
        .items
        .iter()
        .map(|e| match e {
            Expect::Ping(p) => 2 + p.len(),
            _ => 0,
        })
        .sum()
}

/// Receives the workload once from the start and checks every item, that
/// every byte was read, and that exactly one pong per ping was written (the
/// pings are separated by data frames, so none may be coalesced).
///
/// # Panics
///
/// On any difference, naming the implementation and the item.
pub fn check_recv<R: RecvMessages>(
    receiver: &mut R,
    workload: &MessageWorkload,
    chunks: &[Bytes],
    cursor: &Cursor,
    written: &Cell<usize>,
) {
    let expected = expected_items::<R>(workload);
    cursor.rewind();
    written.set(0);
    let mut seen = 0usize;
    receiver.recv_items(expected.len(), |item| {
        assert!(
            expected[seen].matches(item),
            "{}: {}: item {seen} differs from the expected one",
            R::NAME,
            workload.label
        );
        seen += 1;
    });
    assert_eq!(seen, expected.len(), "{}: item count", R::NAME);
    assert!(cursor.is_at_end(chunks), "{}: bytes left unread", R::NAME);
    assert_eq!(
        written.get(),
        pong_bytes(workload),
        "{}: {}: bytes written (pongs)",
        R::NAME,
        workload.label
    );
}

/// The binary messages of a frame [`Workload`] (one final frame each) as a
/// message workload labelled `binary-<size>`.
pub fn binary_messages(workload: &Workload) -> MessageWorkload {
    MessageWorkload {
        label: format!("binary-{}", size_label(workload.payload_len)),
        message_len: workload.payload_len,
        text: false,
        items: workload
            .payloads
            .iter()
            .map(|p| Expect::Binary(p.clone()))
            .collect(),
        wire: workload.wire.clone(),
    }
}

/// One cell of `stream_recv`.
#[derive(Clone, Debug)]
pub struct RecvCell {
    /// The row label: the workload's, then the chunking's
    /// (`binary-16B-whole`, `text-1MiB-x64-random`).
    pub label: String,
    /// What is received.
    pub workload: MessageWorkload,
    /// How the bytes arrive.
    pub chunking: Chunking,
}

/// The cells of `stream_recv`: binary messages of 16 B, 1 KiB and 16 KiB
/// (about 1 MiB per iteration) in whole input, 4 KiB reads and random reads;
/// 64 KiB mixed text messages in whole input and random reads; two 1 MiB
/// text messages in 64 fragments with a ping between fragments 32 and 33,
/// in 4 KiB reads and random reads.
pub fn recv_cells() -> Vec<RecvCell> {
    let [whole, k4, random] = Chunking::all();
    let mut cells = Vec::new();
    let mut push = |workload: &MessageWorkload, (name, chunking): (&str, Chunking)| {
        cells.push(RecvCell {
            label: format!("{}-{name}", workload.label),
            workload: workload.clone(),
            chunking,
        });
    };
    for size in RECV_BINARY_SIZES {
        let workload = binary_messages(&Workload::new(size));
        for chunking in [whole, k4, random] {
            push(&workload, chunking);
        }
    }
    let text = MessageWorkload::single_text(64 << 10);
    push(&text, whole);
    push(&text, random);
    let fragmented = MessageWorkload::fragmented(true, 1 << 20);
    push(&fragmented, k4);
    push(&fragmented, random);
    cells
}

// ----- tether -----

/// `tether_ws::WebSocketStream`.
#[derive(Debug)]
pub struct Tether<S> {
    ws: tether_ws::WebSocketStream<S>,
}

impl<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin> Tether<S> {
    /// A connection over `io` with the default configuration and nothing
    /// read ahead.
    pub fn new(io: S, role: Role) -> Self {
        Tether {
            ws: tether_ws::WebSocketStream::from_raw_parts(
                io,
                role,
                tether_ws::WebSocketConfig::default(),
                BytesMut::new(),
            ),
        }
    }
}

impl SendMessages for Tether<VecSink<'_>> {
    const NAME: &'static str = "tether";

    fn send_batch(&mut self, payload: &Bytes, count: usize) -> usize {
        self.ws.get_ref().clear();
        let ws = &mut self.ws;
        block_on(async {
            for _ in 0..count {
                ws.feed(tether_ws::Message::binary(payload.clone()))
                    .await
                    .expect("tether: feed");
            }
            ws.flush().await.expect("tether: flush");
        });
        self.ws.get_ref().len()
    }

    fn output(&self) -> Vec<u8> {
        self.ws.get_ref().contents()
    }
}

/// `tether_ws::WebSocketStream` sending each message copied from the
/// caller's buffer (`feed_binary(&[u8])`), without a `Bytes` per message.
#[derive(Debug)]
pub struct TetherCopied<S> {
    ws: tether_ws::WebSocketStream<S>,
}

impl<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin> TetherCopied<S> {
    /// A connection over `io` with the default configuration.
    pub fn new(io: S, role: Role) -> Self {
        TetherCopied {
            ws: Tether::new(io, role).ws,
        }
    }
}

impl SendMessages for TetherCopied<VecSink<'_>> {
    const NAME: &'static str = "tether-copied";

    fn send_batch(&mut self, payload: &Bytes, count: usize) -> usize {
        self.ws.get_ref().clear();
        let ws = &mut self.ws;
        block_on(async {
            for _ in 0..count {
                ws.feed_binary(payload).await.expect("tether: feed_binary");
            }
            ws.flush().await.expect("tether: flush");
        });
        self.ws.get_ref().len()
    }

    fn output(&self) -> Vec<u8> {
        self.ws.get_ref().contents()
    }
}

impl RecvMessages for Tether<Duplex<'_>> {
    const NAME: &'static str = "tether";
    const YIELDS_PINGS: bool = true;

    fn recv_items<F: FnMut(Item<'_>)>(&mut self, n: usize, mut on_item: F) {
        let ws = &mut self.ws;
        block_on(async {
            for _ in 0..n {
                let message = match ws.next().await {
                    Some(Ok(message)) => message,
                    Some(Err(e)) => panic!("tether: {e}"),
                    None => panic!("tether: end of stream"),
                };
                match &message {
                    tether_ws::Message::Text(t) => on_item(Item::Text(t.as_bytes())),
                    tether_ws::Message::Binary(b) => on_item(Item::Binary(b)),
                    tether_ws::Message::Ping(p) => on_item(Item::Ping(p)),
                    other => panic!("tether: unexpected {other:?}"),
                }
            }
        });
    }
}

// ----- tokio-tungstenite -----

/// `tokio_tungstenite::WebSocketStream` (tungstenite underneath).
#[derive(Debug)]
pub struct TokioTungstenite<S> {
    ws: tokio_tungstenite::WebSocketStream<S>,
}

impl<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin> TokioTungstenite<S> {
    /// A connection over `io` with the default configuration.
    pub fn new(io: S, role: Role) -> Self {
        let role = match role {
            Role::Client => tokio_tungstenite::tungstenite::protocol::Role::Client,
            Role::Server => tokio_tungstenite::tungstenite::protocol::Role::Server,
        };
        TokioTungstenite {
            ws: block_on(tokio_tungstenite::WebSocketStream::from_raw_socket(
                io, role, None,
            )),
        }
    }
}

impl SendMessages for TokioTungstenite<VecSink<'_>> {
    const NAME: &'static str = "tokio-tungstenite";

    fn send_batch(&mut self, payload: &Bytes, count: usize) -> usize {
        self.ws.get_ref().clear();
        let ws = &mut self.ws;
        block_on(async {
            for _ in 0..count {
                ws.feed(tokio_tungstenite::tungstenite::Message::Binary(
                    payload.clone(),
                ))
                .await
                .expect("tokio-tungstenite: feed");
            }
            ws.flush().await.expect("tokio-tungstenite: flush");
        });
        self.ws.get_ref().len()
    }

    fn output(&self) -> Vec<u8> {
        self.ws.get_ref().contents()
    }
}

impl RecvMessages for TokioTungstenite<Duplex<'_>> {
    const NAME: &'static str = "tokio-tungstenite";
    const YIELDS_PINGS: bool = true;

    fn recv_items<F: FnMut(Item<'_>)>(&mut self, n: usize, mut on_item: F) {
        use tokio_tungstenite::tungstenite::Message;
        let ws = &mut self.ws;
        block_on(async {
            for _ in 0..n {
                let message = match ws.next().await {
                    Some(Ok(message)) => message,
                    Some(Err(e)) => panic!("tokio-tungstenite: {e}"),
                    None => panic!("tokio-tungstenite: end of stream"),
                };
                match &message {
                    Message::Text(t) => on_item(Item::Text(t.as_bytes())),
                    Message::Binary(b) => on_item(Item::Binary(b)),
                    Message::Ping(p) => on_item(Item::Ping(p)),
                    other => panic!("tokio-tungstenite: unexpected {other:?}"),
                }
            }
        });
    }
}

// ----- fastwebsockets -----

fn fastws_role(role: Role) -> fastwebsockets::Role {
    match role {
        Role::Client => fastwebsockets::Role::Client,
        Role::Server => fastwebsockets::Role::Server,
    }
}

/// fastwebsockets' `WebSocket` (sending); see [`FastWebSocketsRecv`] for
/// receiving through its `FragmentCollector`.
pub struct FastWebSockets<'a> {
    ws: fastwebsockets::WebSocket<VecSink<'a>>,
    sink: VecSink<'a>,
}

impl<'a> FastWebSockets<'a> {
    /// A connection writing to `sink`, with the default options.
    pub fn new(sink: VecSink<'a>, role: Role) -> Self {
        FastWebSockets {
            ws: fastwebsockets::WebSocket::after_handshake(sink, fastws_role(role)),
            sink,
        }
    }
}

impl SendMessages for FastWebSockets<'_> {
    const NAME: &'static str = "fastwebsockets";

    fn send_batch(&mut self, payload: &Bytes, count: usize) -> usize {
        self.sink.clear();
        let ws = &mut self.ws;
        block_on(async {
            for _ in 0..count {
                // A client masks a borrowed payload in an owned copy
                // (`Payload::to_mut`); a server writes it as it is.
                let frame =
                    fastwebsockets::Frame::binary(fastwebsockets::Payload::Borrowed(payload));
                ws.write_frame(frame)
                    .await
                    .expect("fastwebsockets: write_frame");
            }
            ws.flush().await.expect("fastwebsockets: flush");
        });
        self.sink.len()
    }

    fn output(&self) -> Vec<u8> {
        self.sink.contents()
    }
}

/// fastwebsockets' `FragmentCollector` over `WebSocket::after_handshake`,
/// with the default options (auto pong and auto close on).
pub struct FastWebSocketsRecv<'a> {
    ws: fastwebsockets::FragmentCollector<Duplex<'a>>,
}

impl<'a> FastWebSocketsRecv<'a> {
    /// A connection over `io`.
    pub fn new(io: Duplex<'a>, role: Role) -> Self {
        let ws = fastwebsockets::WebSocket::after_handshake(io, fastws_role(role));
        FastWebSocketsRecv {
            ws: fastwebsockets::FragmentCollector::new(ws),
        }
    }
}

impl RecvMessages for FastWebSocketsRecv<'_> {
    const NAME: &'static str = "fastwebsockets";
    const YIELDS_PINGS: bool = false;

    fn recv_items<F: FnMut(Item<'_>)>(&mut self, n: usize, mut on_item: F) {
        let ws = &mut self.ws;
        block_on(async {
            for _ in 0..n {
                let frame = match ws.read_frame().await {
                    Ok(frame) => frame,
                    Err(e) => panic!("fastwebsockets: {e}"),
                };
                assert!(frame.fin, "fastwebsockets: not a whole message");
                match frame.opcode {
                    fastwebsockets::OpCode::Text => on_item(Item::Text(&frame.payload)),
                    fastwebsockets::OpCode::Binary => on_item(Item::Binary(&frame.payload)),
                    other => panic!("fastwebsockets: unexpected {other:?}"),
                }
            }
        });
    }
}

// ----- tokio-websockets -----

/// `tokio_websockets::WebSocketStream`.
#[derive(Debug)]
pub struct TokioWebSockets<S> {
    ws: tokio_websockets::WebSocketStream<S>,
}

impl<S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin> TokioWebSockets<S> {
    /// A connection over `io` with the default configuration:
    /// `ClientBuilder::take_over` for a client, `ServerBuilder::serve` for a
    /// server.
    pub fn new(io: S, role: Role) -> Self {
        let ws = match role {
            Role::Client => tokio_websockets::ClientBuilder::new().take_over(io),
            Role::Server => tokio_websockets::ServerBuilder::new().serve(io),
        };
        TokioWebSockets { ws }
    }
}

impl SendMessages for TokioWebSockets<VecSink<'_>> {
    const NAME: &'static str = "tokio-websockets";

    fn send_batch(&mut self, payload: &Bytes, count: usize) -> usize {
        self.ws.get_ref().clear();
        let ws = &mut self.ws;
        block_on(async {
            for _ in 0..count {
                ws.feed(tokio_websockets::Message::binary(payload.clone()))
                    .await
                    .expect("tokio-websockets: feed");
            }
            ws.flush().await.expect("tokio-websockets: flush");
        });
        self.ws.get_ref().len()
    }

    fn output(&self) -> Vec<u8> {
        self.ws.get_ref().contents()
    }
}

impl RecvMessages for TokioWebSockets<Duplex<'_>> {
    const NAME: &'static str = "tokio-websockets";
    const YIELDS_PINGS: bool = true;

    fn recv_items<F: FnMut(Item<'_>)>(&mut self, n: usize, mut on_item: F) {
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

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::*;
    use crate::messages::duplex;

    fn check_senders(role: Role, workload: &SendWorkload) {
        let sinks: [RefCell<Vec<u8>>; 5] = Default::default();
        let mut tether = Tether::new(VecSink::new(&sinks[0]), role);
        let mut copied = TetherCopied::new(VecSink::new(&sinks[4]), role);
        let mut tungstenite = TokioTungstenite::new(VecSink::new(&sinks[1]), role);
        let mut fastws = FastWebSockets::new(VecSink::new(&sinks[2]), role);
        let mut tokiows = TokioWebSockets::new(VecSink::new(&sinks[3]), role);
        // Twice each: the second batch goes over a connection that already
        // sent one, as in the timed loop.
        for _ in 0..2 {
            check_send(&mut tether, role, workload);
            check_send(&mut copied, role, workload);
            check_send(&mut tungstenite, role, workload);
            check_send(&mut fastws, role, workload);
            check_send(&mut tokiows, role, workload);
        }
    }

    #[test]
    fn every_sender_writes_the_frames_of_its_role() {
        for role in [Role::Client, Role::Server] {
            for len in [0, 1, 16, 125, 126, 1024, 1025, 0xFFFF, 0x1_0000] {
                check_senders(role, &SendWorkload::with_count(len, 40));
            }
            // More than the 128 KiB write buffers, so they fill up and drain
            // in the middle of a batch.
            check_senders(role, &SendWorkload::with_count(16 << 10, 20));
            check_senders(role, &SendWorkload::with_count(16, 20_000));
        }
    }

    fn check_receivers(workload: &MessageWorkload, chunking: Chunking) {
        let chunks = chunking.cut(&workload.wire);
        let cursor = Cursor::new();
        let written = Cell::new(0);
        let io = duplex(&chunks, &cursor, &written);
        let mut tether = Tether::new(io, Role::Server);
        let mut tungstenite = TokioTungstenite::new(io, Role::Server);
        let mut fastws = FastWebSocketsRecv::new(io, Role::Server);
        let mut tokiows = TokioWebSockets::new(io, Role::Server);
        for _ in 0..2 {
            check_recv(&mut tether, workload, &chunks, &cursor, &written);
            check_recv(&mut tungstenite, workload, &chunks, &cursor, &written);
            check_recv(&mut fastws, workload, &chunks, &cursor, &written);
            check_recv(&mut tokiows, workload, &chunks, &cursor, &written);
        }
    }

    #[test]
    fn every_receiver_reads_every_workload_in_every_chunking() {
        let workloads = [
            binary_messages(&Workload::with_frames(16, 50)),
            binary_messages(&Workload::with_frames(70_000, 3)),
            MessageWorkload::single_text_n(1000, 5),
            MessageWorkload::fragmented_n(true, 70_000, 2),
            MessageWorkload::fragmented_n(false, 70_000, 2),
        ];
        for workload in &workloads {
            for (_, chunking) in Chunking::all() {
                check_receivers(workload, chunking);
            }
            check_receivers(workload, Chunking::Fixed(1));
        }
    }

    #[test]
    fn recv_cells_are_the_documented_ones() {
        let labels: Vec<String> = recv_cells().into_iter().map(|c| c.label).collect();
        assert_eq!(
            labels,
            [
                "binary-16B-whole",
                "binary-16B-4k",
                "binary-16B-random",
                "binary-1KiB-whole",
                "binary-1KiB-4k",
                "binary-1KiB-random",
                "binary-16KiB-whole",
                "binary-16KiB-4k",
                "binary-16KiB-random",
                "text-64KiB-whole",
                "text-64KiB-random",
                "text-1MiB-x64-4k",
                "text-1MiB-x64-random",
            ]
        );
        let fragmented = &recv_cells()[11].workload;
        assert_eq!(pong_bytes(fragmented), 2 * (2 + "ping 0".len()));
    }

    #[test]
    fn send_batches_are_at_least_256_messages() {
        for len in SEND_SIZES {
            let w = SendWorkload::new(len);
            assert!(w.count >= MIN_SEND_MESSAGES);
            assert!(w.payload_bytes() >= SEND_PAYLOAD_PER_ITERATION);
        }
    }
}
