//! tether-frame against tungstenite, fastwebsockets and tokio-websockets, and
//! `memcpy` of the same bytes, in one criterion run.
//!
//! Groups (see `docs/BENCHMARKS.md` for the figures and the command):
//!
//! * `decode_whole`, `decode_4k`, `decode_random`: a server decodes masked
//!   binary frames of 16 B, 128 B, 1 KiB, 16 KiB and 1 MiB, delivered in one
//!   chunk, in 4 KiB chunks, or in random 1..=1500-byte chunks (fixed seed:
//!   every implementation sees the same boundaries).
//! * `encode`: a client encodes and masks the same messages into an
//!   in-memory sink.
//! * `mask`: `tether_frame::mask::apply_mask` over 16 KiB and 1 MiB against
//!   fastwebsockets' public `unmask` and a `copy_from_slice` of the same bytes.
//!
//! Throughput is payload bytes (`Throughput::Bytes`): every iteration handles
//! `frames_per_iteration(size)` frames of `size` bytes (about 1 MiB of
//! payload, at least two frames), so frames/s = (bytes/s) / size; the
//! `bench-report` binary prints both.
//!
//! Before each implementation is timed, its output is checked once against
//! the expected payloads (count, content, and all input consumed), so a
//! broken path cannot look fast. In the timed loop each payload's length is
//! passed through `black_box`.

use std::cell::RefCell;
use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode,
    Throughput,
};
use tether_benches::decode::{self, Decode};
use tether_benches::encode::{self, Encode};
use tether_benches::mock::{ChunkedReader, Cursor, VecSink};
use tether_benches::workload::{size_label, Chunking, SplitMix64, Workload, PAYLOAD_SIZES};

/// Iterations take 0.1-5 ms, so flat sampling with 30 samples keeps each
/// benchmark within its measurement time on a small machine.
fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.sampling_mode(SamplingMode::Flat);
}

fn bench_decoder<D: Decode>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    label: &str,
    workload: &Workload,
    chunks: &[bytes::Bytes],
    cursor: &Cursor,
    mut decoder: D,
) {
    decode::check(&mut decoder, workload, chunks, cursor);
    let n = workload.frames();
    group.bench_function(BenchmarkId::new(D::NAME, label), |b| {
        b.iter(|| {
            cursor.rewind();
            let mut total = 0usize;
            decoder.decode_frames(n, |payload| total += black_box(payload.len()));
            total
        })
    });
}

fn decode_benches(c: &mut Criterion) {
    for (name, chunking) in Chunking::all() {
        let mut group = c.benchmark_group(format!("decode_{name}"));
        configure(&mut group);
        for size in PAYLOAD_SIZES {
            let workload = Workload::new(size);
            let chunks = chunking.cut(&workload.wire);
            let cursor = Cursor::new();
            let reader = ChunkedReader::new(&chunks, &cursor);
            let label = size_label(size);
            group.throughput(Throughput::Bytes(workload.payload_bytes() as u64));

            let (w, ch, cu) = (&workload, &chunks[..], &cursor);
            bench_decoder(
                &mut group,
                &label,
                w,
                ch,
                cu,
                decode::TetherFramedRead::new(reader),
            );
            bench_decoder(
                &mut group,
                &label,
                w,
                ch,
                cu,
                decode::TetherDecoder::new(reader),
            );
            bench_decoder(
                &mut group,
                &label,
                w,
                ch,
                cu,
                decode::Tungstenite::new(reader),
            );
            bench_decoder(
                &mut group,
                &label,
                w,
                ch,
                cu,
                decode::FastWebSockets::new(reader),
            );
            bench_decoder(
                &mut group,
                &label,
                w,
                ch,
                cu,
                decode::TokioWebSockets::new(reader),
            );

            let mut memcpy = decode::Memcpy::new(reader);
            cursor.rewind();
            assert_eq!(memcpy.copy_all(), workload.wire.len());
            group.bench_function(BenchmarkId::new(decode::Memcpy::NAME, &label), |b| {
                b.iter(|| {
                    cursor.rewind();
                    memcpy.copy_all()
                })
            });
        }
        group.finish();
    }
}

fn bench_encoder<E: Encode>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    label: &str,
    workload: &Workload,
    mut encoder: E,
) {
    encode::check(&mut encoder, workload);
    group.bench_function(BenchmarkId::new(E::NAME, label), |b| {
        b.iter(|| encoder.encode_frames(black_box(&workload.payloads)))
    });
}

fn encode_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("encode");
    configure(&mut group);
    for size in PAYLOAD_SIZES {
        let workload = Workload::new(size);
        let label = size_label(size);
        group.throughput(Throughput::Bytes(workload.payload_bytes() as u64));
        // One output buffer per implementation, kept (with its capacity)
        // across iterations like a socket's kernel buffer.
        let sinks: [RefCell<Vec<u8>>; 6] = Default::default();
        let w = &workload;
        bench_encoder(
            &mut group,
            &label,
            w,
            encode::TetherFramedWrite::new(VecSink::new(&sinks[0])),
        );
        bench_encoder(&mut group, &label, w, encode::TetherEncoder::new());
        bench_encoder(
            &mut group,
            &label,
            w,
            encode::TetherVectored::new(VecSink::new(&sinks[1])),
        );
        bench_encoder(
            &mut group,
            &label,
            w,
            encode::Tungstenite::new(VecSink::new(&sinks[2])),
        );
        bench_encoder(
            &mut group,
            &label,
            w,
            encode::FastWebSockets::new(VecSink::new(&sinks[3])),
        );
        bench_encoder(
            &mut group,
            &label,
            w,
            encode::TokioWebSockets::new(VecSink::new(&sinks[4])),
        );

        let mut memcpy = encode::Memcpy::new(VecSink::new(&sinks[5]));
        assert_eq!(
            memcpy.copy_all(&workload.payloads),
            workload.payload_bytes()
        );
        group.bench_function(BenchmarkId::new(encode::Memcpy::NAME, &label), |b| {
            b.iter(|| memcpy.copy_all(black_box(&workload.payloads)))
        });
    }
    group.finish();
}

fn mask_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("mask");
    configure(&mut group);
    let key = [0x37, 0xfa, 0x21, 0x3d];
    for size in [16usize << 10, 1 << 20] {
        let mut src = vec![0u8; size];
        SplitMix64::new(size as u64).fill(&mut src);
        let label = size_label(size);
        group.throughput(Throughput::Bytes(size as u64));

        // Once, outside the timing: both maskers agree with the byte loop.
        let mut want = src.clone();
        tether_frame::mask::apply_mask_scalar(&mut want, key, 0);
        let mut got = src.clone();
        tether_frame::mask::apply_mask(&mut got, key, 0);
        assert_eq!(got, want, "tether apply_mask");
        let mut got = src.clone();
        fastwebsockets::unmask(&mut got, key);
        assert_eq!(got, want, "fastwebsockets unmask");

        let mut buf = src.clone();
        group.bench_function(BenchmarkId::new("tether", &label), |b| {
            b.iter(|| tether_frame::mask::apply_mask(black_box(&mut buf), key, 0))
        });
        group.bench_function(BenchmarkId::new("fastwebsockets", &label), |b| {
            b.iter(|| fastwebsockets::unmask(black_box(&mut buf), key))
        });
        let mut dst = vec![0u8; size];
        group.bench_function(BenchmarkId::new("memcpy", &label), |b| {
            b.iter(|| black_box(&mut dst).copy_from_slice(black_box(&src)))
        });
    }
    group.finish();
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
    targets = decode_benches, encode_benches, mask_benches
}
criterion_main!(benches);
