//! Side-by-side benchmarks of `tether-frame` and `tether-message` and their
//! peers: tungstenite, fastwebsockets and tokio-websockets, with `memcpy` of
//! the same bytes (frames) and `simdutf8` on the same text (messages) as the
//! physical references.
//!
//! This library holds what the criterion bench (`benches/frames.rs`) and the
//! report binary (`src/bin/report.rs`) share:
//!
//! * [`workload`]: the input. For every payload size, one byte string of
//!   masked client frames built by an encoder written here (not by any of the
//!   implementations under test), cut into chunks the same way for everyone.
//! * [`mock`]: the in-memory transport. Every implementation reads from the
//!   same [`ChunkedReader`](mock::ChunkedReader), which hands out at most one
//!   pre-cut chunk per read call, like a socket that received those segments,
//!   and writes into the same kind of [`VecSink`](mock::VecSink).
//! * [`messages`]: the message workloads (text, fragmented with a ping
//!   between fragments) and one message-level driver per implementation.
//! * [`decode`] and [`encode`]: one driver per implementation, each using the
//!   implementation the way its documentation tells an application to, and a
//!   check that the driver produced the right frames, run once before timing.
//! * [`stream`]: the connection as users hold it, `tether_ws::WebSocketStream`
//!   against the peers' connection types (tokio-tungstenite's
//!   `WebSocketStream`, fastwebsockets' `WebSocket` and `FragmentCollector`,
//!   tokio-websockets' `WebSocketStream`), sending and receiving whole
//!   messages (the `stream` bench).
//! * [`procstat`]: a server process's CPU time and memory, for the load
//!   binaries.
//! * [`loadgen`]: what the Engine.IO and Socket.IO load generators share:
//!   server processes, the Engine.IO WebSocket session, medians.
//!
//! Every connection object is created once, outside the timed loop, and kept
//! across iterations like a long-lived connection: each iteration rewinds the
//! shared read position ([`Cursor`](mock::Cursor)) and decodes exactly the
//! frames of the workload, so no implementation ever sees end of stream.

pub mod decode;
#[cfg(feature = "deflate")]
pub mod deflate;
pub mod encode;
pub mod loadgen;
pub mod messages;
pub mod mock;
pub mod procstat;
pub mod sio_peer;
pub mod socketio;
pub mod stream;
pub mod workload;

/// Runs a future to completion on the current thread.
///
/// The mock transport is never `Pending`, so the minimal executor of
/// `futures` is enough; it is called once per iteration (around the whole
/// loop over the frames), never per frame.
pub fn block_on<F: std::future::Future>(future: F) -> F::Output {
    futures::executor::block_on(future)
}

#[cfg(test)]
mod tests {
    use std::cell::RefCell;

    use super::decode;
    use super::encode::{self, Encode};
    use super::mock::{ChunkedReader, Cursor, VecSink};
    use super::workload::{Chunking, Workload};

    fn check_all_decoders(workload: &Workload, chunking: &Chunking) {
        let chunks = chunking.cut(&workload.wire);
        let cursor = Cursor::new();
        let reader = || ChunkedReader::new(&chunks, &cursor);
        let mut framed = decode::TetherFramedRead::new(reader());
        let mut sans_io = decode::TetherDecoder::new(reader());
        let mut tungstenite = decode::Tungstenite::new(reader());
        let mut fastws = decode::FastWebSockets::new(reader());
        let mut tokiows = decode::TokioWebSockets::new(reader());
        // Twice each: the second pass runs on a connection that already
        // decoded a whole workload, as in the timed loop.
        for _ in 0..2 {
            decode::check(&mut framed, workload, &chunks, &cursor);
            decode::check(&mut sans_io, workload, &chunks, &cursor);
            decode::check(&mut tungstenite, workload, &chunks, &cursor);
            decode::check(&mut fastws, workload, &chunks, &cursor);
            decode::check(&mut tokiows, workload, &chunks, &cursor);
        }
        let mut memcpy = decode::Memcpy::new(reader());
        cursor.rewind();
        assert_eq!(memcpy.copy_all(), workload.wire.len());
        assert!(cursor.is_at_end(&chunks));
    }

    #[test]
    fn every_decoder_reads_every_chunking() {
        for size in [0usize, 1, 16, 125, 126, 200, 0xFFFF, 0x1_0000, 70_000] {
            let workload = Workload::with_frames(size, 5);
            for (_, chunking) in Chunking::all() {
                check_all_decoders(&workload, &chunking);
            }
            check_all_decoders(&workload, &Chunking::Fixed(1));
        }
    }

    fn check_encoder<E: Encode>(mut encoder: E, workload: &Workload) {
        for _ in 0..2 {
            encode::check(&mut encoder, workload);
        }
    }

    #[test]
    fn every_encoder_writes_masked_frames() {
        for size in [0usize, 1, 16, 125, 126, 1024, 1025, 0xFFFF, 0x1_0000] {
            let workload = Workload::with_frames(size, 5);
            let sinks: Vec<RefCell<Vec<u8>>> = (0..6).map(|_| RefCell::default()).collect();
            check_encoder(
                encode::TetherFramedWrite::new(VecSink::new(&sinks[0])),
                &workload,
            );
            check_encoder(encode::TetherEncoder::new(), &workload);
            check_encoder(
                encode::TetherVectored::new(VecSink::new(&sinks[1])),
                &workload,
            );
            check_encoder(encode::Tungstenite::new(VecSink::new(&sinks[2])), &workload);
            check_encoder(
                encode::FastWebSockets::new(VecSink::new(&sinks[3])),
                &workload,
            );
            check_encoder(
                encode::TokioWebSockets::new(VecSink::new(&sinks[4])),
                &workload,
            );
            let mut memcpy = encode::Memcpy::new(VecSink::new(&sinks[5]));
            assert_eq!(
                memcpy.copy_all(&workload.payloads),
                workload.payload_bytes()
            );
        }
    }
}
