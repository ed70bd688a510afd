//! Server-Sent Events workloads and one decoder driver per implementation:
//! tether-sse (sans-IO over a `BytesMut`, and `tokio_util` `FramedRead`),
//! `eventsource-stream` (its `EventStream` over a `Stream` of `Bytes`) and
//! `sse-codec` (its `decode_stream`, a `futures_codec` `FramedRead` over a
//! `futures::io::AsyncRead`).
//!
//! Included by `benches/sse.rs` (`#[path]`), not a module of the library.
//!
//! The wire is built here by hand (not by any implementation under test).
//! Each driver decodes the whole stream per iteration with a fresh decoder,
//! reading the same pre-cut chunks, and returns a [`Summary`] that is checked
//! against the workload once before timing.

use std::convert::Infallible;
use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use tether_benches::mock::{ChunkedReader, Cursor};
use tether_benches::workload::SplitMix64;

/// The seed of the payload text.
const TEXT_SEED: u64 = 0x55e_0000_0000_0001;

/// One input stream.
#[derive(Clone, Debug)]
pub(crate) struct SseWorkload {
    /// Row label.
    pub(crate) label: &'static str,
    /// The bytes on the wire.
    pub(crate) wire: Bytes,
    /// Events in it.
    pub(crate) events: usize,
    /// Total data bytes of its events (as dispatched).
    pub(crate) data_bytes: usize,
}

/// What a driver saw: events, their data bytes, and the last event's id.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub(crate) struct Summary {
    /// Events dispatched.
    pub(crate) events: usize,
    /// Sum of their data lengths.
    pub(crate) data_bytes: usize,
    /// Sum of their id lengths (checks the id reached the event).
    pub(crate) id_bytes: usize,
}

/// JSON-looking printable ASCII of `len` bytes (no CR, LF or colon issues:
/// colons are fine in values).
fn json_text(rng: &mut SplitMix64, len: usize) -> String {
    const WORDS: [&str; 8] = [
        "\"value\":",
        "12345,",
        "true,",
        "\"name\":\"tick\",",
        "{\"n\":",
        "}",
        "[1,2,3],",
        " ",
    ];
    let mut s = String::with_capacity(len + 16);
    while s.len() < len {
        s.push_str(WORDS[rng.in_range(0, WORDS.len() - 1)]);
    }
    s.truncate(len);
    s
}

impl SseWorkload {
    /// `events` small events: `id: <n>\nevent: tick\ndata: {"n":<n>,"ok":true}\n\n`.
    pub(crate) fn small(events: usize) -> SseWorkload {
        let mut wire = String::new();
        let mut data_bytes = 0;
        for n in 0..events {
            let data = format!("{{\"n\":{n},\"ok\":true}}");
            data_bytes += data.len();
            wire.push_str(&format!("id: {n}\nevent: tick\ndata: {data}\n\n"));
        }
        SseWorkload {
            label: "small",
            wire: Bytes::from(wire),
            events,
            data_bytes,
        }
    }

    /// `events` events of `size` data bytes on one `data` line each.
    pub(crate) fn long_line(events: usize, size: usize) -> SseWorkload {
        let mut rng = SplitMix64::new(TEXT_SEED);
        let mut wire = String::new();
        for n in 0..events {
            wire.push_str(&format!("id: {n}\ndata: "));
            wire.push_str(&json_text(&mut rng, size));
            wire.push_str("\n\n");
        }
        SseWorkload {
            label: "64KiB-1-line",
            wire: Bytes::from(wire),
            events,
            data_bytes: events * size,
        }
    }

    /// `events` events of `lines` `data` lines of `line_len` bytes each
    /// (data: the lines joined with LF).
    pub(crate) fn multi_line(events: usize, lines: usize, line_len: usize) -> SseWorkload {
        let mut rng = SplitMix64::new(TEXT_SEED);
        let mut wire = String::new();
        for n in 0..events {
            wire.push_str(&format!("id: {n}\n"));
            for _ in 0..lines {
                wire.push_str("data: ");
                wire.push_str(&json_text(&mut rng, line_len));
                wire.push('\n');
            }
            wire.push('\n');
        }
        SseWorkload {
            label: "64KiB-64-lines",
            wire: Bytes::from(wire),
            events,
            data_bytes: events * (lines * line_len + lines - 1),
        }
    }

    /// The summary a correct decoder gives (ids are `0..events`).
    pub(crate) fn expected(&self) -> Summary {
        Summary {
            events: self.events,
            data_bytes: self.data_bytes,
            id_bytes: (0..self.events).map(|n| n.to_string().len()).sum(),
        }
    }
}

/// One implementation's decoder, driven over the chunks of a workload.
pub(crate) trait DecodeSse {
    /// Column name.
    const NAME: &'static str;
    /// Decodes the whole stream (fresh decoder state).
    fn decode_all(&mut self, chunks: &[Bytes]) -> Summary;
}

/// tether-sse driven as `FramedRead` drives a decoder, without the I/O: each
/// chunk appended to a `BytesMut`, then `decode` until `None`.
#[derive(Debug, Default)]
pub(crate) struct TetherSansIo;

impl DecodeSse for TetherSansIo {
    const NAME: &'static str = "tether";

    fn decode_all(&mut self, chunks: &[Bytes]) -> Summary {
        let mut decoder = tether_sse::EventStreamDecoder::new();
        let mut buf = BytesMut::with_capacity(8 << 10);
        let mut s = Summary::default();
        let mut count = |e: tether_sse::Event| {
            s.events += 1;
            s.data_bytes += e.data().len();
            s.id_bytes += e.last_event_id().len();
        };
        for chunk in chunks {
            buf.extend_from_slice(chunk);
            while let Some(e) = decoder.decode(&mut buf).expect("valid stream") {
                count(e);
            }
        }
        while let Some(e) = decoder.decode_eof(&mut buf).expect("valid stream") {
            count(e);
        }
        s
    }
}

/// tether-sse through `tokio_util::codec::FramedRead` over the mock reader.
#[derive(Debug, Default)]
pub(crate) struct TetherFramedRead;

impl DecodeSse for TetherFramedRead {
    const NAME: &'static str = "tether-framed";

    fn decode_all(&mut self, chunks: &[Bytes]) -> Summary {
        let cursor = Cursor::new();
        let reader = ChunkedReader::new(chunks, &cursor);
        let mut framed =
            tokio_util::codec::FramedRead::new(reader, tether_sse::EventStreamDecoder::new());
        futures::executor::block_on(async {
            let mut s = Summary::default();
            while let Some(e) = framed.next().await {
                let e = e.expect("valid stream");
                s.events += 1;
                s.data_bytes += e.data().len();
                s.id_bytes += e.last_event_id().len();
            }
            s
        })
    }
}

/// `eventsource-stream`: `EventStream::new` over a `Stream` of the chunks.
#[derive(Debug, Default)]
pub(crate) struct EventsourceStream;

impl DecodeSse for EventsourceStream {
    const NAME: &'static str = "eventsource-stream";

    fn decode_all(&mut self, chunks: &[Bytes]) -> Summary {
        let stream = futures::stream::iter(chunks.iter().cloned().map(Ok::<Bytes, Infallible>));
        let mut events = eventsource_stream::EventStream::new(stream);
        futures::executor::block_on(async {
            let mut s = Summary::default();
            while let Some(e) = events.next().await {
                let e = e.expect("valid stream");
                s.events += 1;
                s.data_bytes += e.data.len();
                s.id_bytes += e.id.len();
            }
            s
        })
    }
}

/// A `futures::io::AsyncRead` handing out one chunk (at most) per read.
#[derive(Debug)]
pub(crate) struct FuturesChunkedReader<'a> {
    chunks: &'a [Bytes],
    index: usize,
    offset: usize,
}

impl<'a> FuturesChunkedReader<'a> {
    /// A reader at the start of `chunks`.
    pub(crate) fn new(chunks: &'a [Bytes]) -> Self {
        FuturesChunkedReader {
            chunks,
            index: 0,
            offset: 0,
        }
    }
}

impl futures::io::AsyncRead for FuturesChunkedReader<'_> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut [u8],
    ) -> Poll<io::Result<usize>> {
        let Some(chunk) = self.chunks.get(self.index) else {
            return Poll::Ready(Ok(0));
        };
        let rest = &chunk[self.offset..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        if n == rest.len() {
            self.index += 1;
            self.offset = 0;
        } else {
            self.offset += n;
        }
        Poll::Ready(Ok(n))
    }
}

/// `sse-codec`: `decode_stream` over the chunks.
#[derive(Debug, Default)]
pub(crate) struct SseCodec;

impl DecodeSse for SseCodec {
    const NAME: &'static str = "sse-codec";

    fn decode_all(&mut self, chunks: &[Bytes]) -> Summary {
        let mut events = sse_codec::decode_stream(FuturesChunkedReader::new(chunks));
        futures::executor::block_on(async {
            let mut s = Summary::default();
            while let Some(e) = events.next().await {
                if let sse_codec::Event::Message { id, data, .. } = e.expect("valid stream") {
                    s.events += 1;
                    s.data_bytes += data.len();
                    s.id_bytes += id.map_or(0, |id| id.len());
                }
            }
            s
        })
    }
}
