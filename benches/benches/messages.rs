//! tether-message against the message APIs of tungstenite, fastwebsockets
//! (`FragmentCollector`) and tokio-websockets, and `simdutf8` alone on the
//! same text, in one criterion run.
//!
//! Groups (see `docs/BENCHMARKS.md` for the figures and the command):
//!
//! * `msg_whole`, `msg_random`: a server decodes text messages of 16 B,
//!   1 KiB and 64 KiB (mixed ASCII and multi-byte, one frame each), and a
//!   1 MiB binary and a 1 MiB text message in 64 fragments with a ping
//!   between fragments 32 and 33, fed in one chunk or in random
//!   1..=1500-byte chunks (fixed seed: the same boundaries for everyone).
//!
//! Throughput is the data messages' bytes (pings not counted). Each
//! implementation's output is checked once against the expected messages
//! before it is timed. The `simdutf8` column validates the same text
//! messages, already whole in memory: the floor for validation alone.

use std::cell::Cell;
use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode,
    Throughput,
};
use tether_benches::messages::{self, duplex, DecodeMessages, MessageWorkload, Simdutf8};
use tether_benches::mock::Cursor;
use tether_benches::workload::Chunking;

fn bench_decoder<D: DecodeMessages>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    workload: &MessageWorkload,
    chunks: &[bytes::Bytes],
    cursor: &Cursor,
    mut decoder: D,
) {
    messages::check(&mut decoder, workload, chunks, cursor);
    let n = workload.items();
    group.bench_function(BenchmarkId::new(D::NAME, &workload.label), |b| {
        b.iter(|| {
            cursor.rewind();
            let mut total = 0usize;
            decoder.decode_items(n, |item| {
                total += black_box(match item {
                    messages::Item::Text(p) | messages::Item::Binary(p) => p.len(),
                    messages::Item::Ping(_) => 0,
                })
            });
            total
        })
    });
}

fn message_benches(c: &mut Criterion) {
    let workloads = MessageWorkload::all();
    for (name, chunking) in Chunking::all() {
        if name == "4k" {
            continue;
        }
        let mut group = c.benchmark_group(format!("msg_{name}"));
        group.sampling_mode(SamplingMode::Flat);
        for workload in &workloads {
            let chunks = chunking.cut(&workload.wire);
            let cursor = Cursor::new();
            let written = Cell::new(0);
            let io = duplex(&chunks, &cursor, &written);
            group.throughput(Throughput::Bytes(workload.payload_bytes() as u64));
            let (w, ch, cu) = (workload, &chunks[..], &cursor);
            bench_decoder(&mut group, w, ch, cu, messages::TetherFramedRead::new(io));
            bench_decoder(&mut group, w, ch, cu, messages::TetherDecoder::new(io));
            bench_decoder(&mut group, w, ch, cu, messages::Tungstenite::new(io));
            bench_decoder(&mut group, w, ch, cu, messages::FastWebSockets::new(io));
            bench_decoder(&mut group, w, ch, cu, messages::TokioWebSockets::new(io));
            if workload.text {
                let simd = Simdutf8::new(workload);
                group.bench_function(BenchmarkId::new(Simdutf8::NAME, &workload.label), |b| {
                    b.iter(|| simd.validate_all())
                });
            }
        }
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = message_benches
}
criterion_main!(benches);
