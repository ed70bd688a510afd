//! The connection as users hold it: `tether_ws::WebSocketStream` against
//! tokio-tungstenite's `WebSocketStream`, fastwebsockets' `WebSocket` /
//! `FragmentCollector` and tokio-websockets' `WebSocketStream`, each with its
//! default configuration, in one criterion run.
//!
//! Groups (see `docs/BENCHMARKS.md` for the command):
//!
//! * `stream_send`: a client sends binary messages of 16 B, 128 B, 1 KiB
//!   and 16 KiB (masked: a copy per message), `feed` per message (for
//!   fastwebsockets `write_frame`) and one `flush` per iteration, into an
//!   in-memory sink. Each iteration sends about 256 KiB of payload, at least
//!   256 messages, all carrying one shared `Bytes` payload.
//! * `stream_send_server`: the same as a server (no masking).
//!   `tether-copied` in both groups sends the same messages with
//!   `feed_binary(&payload)`, copied from the caller's buffer with no
//!   `Bytes` clone per message (the way fastwebsockets borrows).
//! * `stream_recv`: a server receives masked client frames built by the
//!   benches' own encoder: binary messages of 16 B, 1 KiB and 16 KiB (about
//!   1 MiB per iteration) in one chunk, 4 KiB chunks and random
//!   1..=1500-byte chunks; 64 KiB mixed UTF-8 text messages whole and in
//!   random chunks; two 1 MiB text messages in 64 fragments with a ping
//!   between fragments 32 and 33 (answered with a pong, which the transport
//!   counts and drops) in 4 KiB and random chunks.
//!
//! Throughput is payload bytes (`Throughput::Bytes`; pings not counted);
//! `bench-report` also prints messages per second. Every connection is
//! created once, before its first iteration, and reused: an iteration clears
//! the sink or rewinds the reader. Each implementation's output is checked
//! once before it is timed (`tether_benches::stream::check_send`,
//! `check_recv`), so a broken path cannot look fast.

use std::cell::{Cell, RefCell};
use std::hint::black_box;
use std::time::Duration;

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode,
    Throughput,
};
use tether_benches::messages::{duplex, Item, MessageWorkload};
use tether_benches::mock::{Cursor, VecSink};
use tether_benches::stream::{
    self, expected_items, FastWebSockets, FastWebSocketsRecv, RecvMessages, SendMessages,
    SendWorkload, Tether, TetherCopied, TokioTungstenite, TokioWebSockets, SEND_SIZES,
};
use tether_ws::Role;

fn bench_sender<S: SendMessages>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    role: Role,
    workload: &SendWorkload,
    mut sender: S,
) {
    stream::check_send(&mut sender, role, workload);
    let (payload, count) = (&workload.payload, workload.count);
    group.bench_function(BenchmarkId::new(S::NAME, workload.label()), |b| {
        b.iter(|| sender.send_batch(black_box(payload), count))
    });
}

fn send_benches(c: &mut Criterion) {
    for (name, role) in [
        ("stream_send", Role::Client),
        ("stream_send_server", Role::Server),
    ] {
        let mut group = c.benchmark_group(name);
        group.sampling_mode(SamplingMode::Flat);
        for size in SEND_SIZES {
            let workload = SendWorkload::new(size);
            group.throughput(Throughput::Bytes(workload.payload_bytes() as u64));
            // One output buffer per implementation, kept (with its capacity)
            // across iterations like a socket's kernel buffer.
            let sinks: [RefCell<Vec<u8>>; 5] = Default::default();
            let w = &workload;
            bench_sender(
                &mut group,
                role,
                w,
                Tether::new(VecSink::new(&sinks[0]), role),
            );
            bench_sender(
                &mut group,
                role,
                w,
                TokioTungstenite::new(VecSink::new(&sinks[1]), role),
            );
            bench_sender(
                &mut group,
                role,
                w,
                FastWebSockets::new(VecSink::new(&sinks[2]), role),
            );
            bench_sender(
                &mut group,
                role,
                w,
                TokioWebSockets::new(VecSink::new(&sinks[3]), role),
            );
            bench_sender(
                &mut group,
                role,
                w,
                TetherCopied::new(VecSink::new(&sinks[4]), role),
            );
        }
        group.finish();
    }
}

fn bench_receiver<R: RecvMessages>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    label: &str,
    workload: &MessageWorkload,
    chunks: &[bytes::Bytes],
    cursor: &Cursor,
    written: &Cell<usize>,
    mut receiver: R,
) {
    stream::check_recv(&mut receiver, workload, chunks, cursor, written);
    let n = expected_items::<R>(workload).len();
    group.bench_function(BenchmarkId::new(R::NAME, label), |b| {
        b.iter(|| {
            cursor.rewind();
            let mut total = 0usize;
            receiver.recv_items(n, |item| {
                total += black_box(match item {
                    Item::Text(p) | Item::Binary(p) => p.len(),
                    Item::Ping(_) => 0,
                })
            });
            total
        })
    });
}

fn recv_benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("stream_recv");
    group.sampling_mode(SamplingMode::Flat);
    for cell in stream::recv_cells() {
        let workload = &cell.workload;
        let chunks = cell.chunking.cut(&workload.wire);
        let cursor = Cursor::new();
        let written = Cell::new(0);
        let io = duplex(&chunks, &cursor, &written);
        group.throughput(Throughput::Bytes(workload.payload_bytes() as u64));
        let (l, w, ch, cu, wr) = (&cell.label[..], workload, &chunks[..], &cursor, &written);
        bench_receiver(&mut group, l, w, ch, cu, wr, Tether::new(io, Role::Server));
        bench_receiver(
            &mut group,
            l,
            w,
            ch,
            cu,
            wr,
            TokioTungstenite::new(io, Role::Server),
        );
        bench_receiver(
            &mut group,
            l,
            w,
            ch,
            cu,
            wr,
            FastWebSocketsRecv::new(io, Role::Server),
        );
        bench_receiver(
            &mut group,
            l,
            w,
            ch,
            cu,
            wr,
            TokioWebSockets::new(io, Role::Server),
        );
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
    targets = send_benches, recv_benches
}
criterion_main!(benches);
