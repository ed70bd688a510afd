//! tether-sse against `eventsource-stream` and `sse-codec`, decoding the same
//! `text/event-stream` bytes in the same chunks, in one criterion run.
//!
//! Groups (`cargo bench -p tether-benches --bench sse`):
//!
//! * `sse_random`: chunks of 1..=1500 bytes (fixed seed: the same boundaries
//!   for everyone), `sse_4k`: chunks of 4 KiB;
//! * rows: `small` (10,000 events `id: <n>\nevent: tick\ndata:
//!   {"n":<n>,"ok":true}\n\n`), `64KiB-1-line` (64 KiB of data on one `data`
//!   line per event) and `64KiB-64-lines` (64 `data` lines of 1 KiB per
//!   event);
//! * columns: `tether` (sans-IO: each chunk appended to a `BytesMut`, then
//!   `decode` until `None`, as `FramedRead` does), `tether-framed`
//!   (`tokio_util::codec::FramedRead` over an in-memory reader),
//!   `eventsource-stream` (`EventStream` over a `Stream` of `Bytes`),
//!   `sse-codec` (`decode_stream` over an in-memory `futures` reader).
//!
//! Throughput is wire bytes. Each implementation's output (events, data and
//! id bytes) is checked once before it is timed; every iteration decodes the
//! whole stream with a fresh decoder.

use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode,
    Throughput,
};
use tether_benches::workload::{Chunking, CHUNK_SEED};

#[path = "../src/sse.rs"]
mod sse;

use sse::{DecodeSse, EventsourceStream, SseCodec, SseWorkload, TetherFramedRead, TetherSansIo};

/// Events per iteration of the small row.
const SMALL_EVENTS: usize = 10_000;
/// Events per iteration of the 64 KiB rows: 13 MB of wire per iteration.
/// Not 10,000 (655 MB): `eventsource-stream` rescans the partial line on
/// every read (about 600 ms for 200 such events in 1..=1500-byte chunks), so
/// 10,000 would take half a minute per iteration, times criterion's samples.
const LONG_EVENTS: usize = 200;

fn bench<D: DecodeSse>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    workload: &SseWorkload,
    chunks: &[bytes::Bytes],
    mut driver: D,
) {
    let got = driver.decode_all(chunks);
    assert_eq!(
        got,
        workload.expected(),
        "{} on {}",
        D::NAME,
        workload.label
    );
    group.bench_function(BenchmarkId::new(D::NAME, workload.label), |b| {
        b.iter(|| black_box(driver.decode_all(black_box(chunks))))
    });
}

fn sse_benches(c: &mut Criterion) {
    let workloads = [
        SseWorkload::small(SMALL_EVENTS),
        SseWorkload::long_line(LONG_EVENTS, 64 << 10),
        SseWorkload::multi_line(LONG_EVENTS, 64, 1 << 10),
    ];
    let chunkings = [
        (
            "random",
            Chunking::Random {
                min: 1,
                max: 1500,
                seed: CHUNK_SEED,
            },
        ),
        ("4k", Chunking::Fixed(4096)),
    ];
    for (name, chunking) in chunkings {
        let mut group = c.benchmark_group(format!("sse_{name}"));
        group.sampling_mode(SamplingMode::Flat);
        for workload in &workloads {
            let chunks = chunking.cut(&workload.wire);
            group.throughput(Throughput::Bytes(workload.wire.len() as u64));
            bench(&mut group, workload, &chunks, TetherSansIo);
            bench(&mut group, workload, &chunks, TetherFramedRead);
            bench(&mut group, workload, &chunks, EventsourceStream);
            bench(&mut group, workload, &chunks, SseCodec);
        }
        group.finish();
    }
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = sse_benches
}
criterion_main!(benches);
