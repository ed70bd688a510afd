//! permessage-deflate: tether against ratchet (ratchet_rs + ratchet_deflate)
//! on JSON-like text of 1 KiB, 16 KiB and 1 MiB, zlib level 6, 15-bit
//! windows, context takeover both ways, both on the same zlib (see the
//! crate docs and `drivers` for how each is configured).
//!
//! * `deflate_decode`: a server receives masked compressed client text
//!   frames (from the reference compressor) in 4 KiB reads and hands out
//!   each message's text, validated.
//! * `deflate_encode`: a server compresses and sends the texts into an
//!   in-memory sink, one flush per iteration, keeping its context.
//! * `deflate_echo`: a client and a server of the same implementation over
//!   `tokio::io::duplex`, each through its real opening handshake with
//!   deflate agreed; the client sends a message and waits for its echo
//!   before the next one.
//!
//! Throughput is bytes of text per iteration (one way for the echo). Every
//! output is checked before timing. Defaults: 10 samples, 0.7 s warm-up,
//! 2 s measurement per cell; criterion's `--warm-up-time`,
//! `--measurement-time` and `--sample-size` override them.

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode,
    Throughput,
};
use futures::{SinkExt, StreamExt};
use ratchet_deflate::DeflateExtProvider;
use tether_ratchet_bench::drivers::{
    self, check_decode, check_decoders_read, check_encode, runtime, DecodeCompressed,
    EncodeCompressed, Ratchet, Tether, SIZE_TOLERANCE,
};
use tether_ratchet_bench::transport::{Counted, Io, Replay, Sink};
use tether_ratchet_bench::workload::{
    server_to_client_frames, DeflateWorkload, LEVEL, MAX_MESSAGE, SIZES,
};
use tokio::io::DuplexStream;

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group.sampling_mode(SamplingMode::Flat);
}

fn bench_decoder<D: DecodeCompressed>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    rt: &tokio::runtime::Runtime,
    workload: &DeflateWorkload,
    replay: &Replay,
    mut decoder: D,
) {
    // Twice: the second pass runs on a connection whose inflate window holds
    // the first's text, as every timed iteration does.
    for _ in 0..2 {
        check_decode(&mut decoder, rt, workload, replay);
    }
    let n = workload.messages.len();
    group.bench_function(BenchmarkId::new(D::NAME, workload.label()), |b| {
        b.iter(|| {
            replay.rewind();
            let mut total = 0usize;
            decoder.decode(rt, n, &mut |text| total += black_box(text).len());
            total
        })
    });
}

fn decode_group(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("deflate_decode");
    configure(&mut group);
    for len in SIZES {
        let workload = DeflateWorkload::new(len);
        group.throughput(Throughput::Bytes(workload.text_bytes() as u64));
        let replay = Replay::new(workload.chunks(4096));
        let io = || Io::new(Some(replay.reader()), Sink::new());
        bench_decoder(&mut group, &rt, &workload, &replay, Tether::decoder(io()));
        bench_decoder(&mut group, &rt, &workload, &replay, Ratchet::new(io()));
    }
    group.finish();
}

/// Checks `encoder` (reference inflater, size, two passes), has both
/// decoders read its output, then times it.
fn bench_encoder<E: EncodeCompressed>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    rt: &tokio::runtime::Runtime,
    workload: &DeflateWorkload,
    mut encoder: E,
) {
    let output = check_encode(&mut encoder, rt, workload);
    check_decoders_read(rt, workload, &Bytes::from(server_to_client_frames(&output)));
    eprintln!(
        "{} {}: {} B of frames for {} B of text ({:.2}x; reference compressor {} B)",
        E::NAME,
        workload.label(),
        output.len(),
        workload.text_bytes(),
        workload.text_bytes() as f64 / output.len() as f64,
        workload.server_frames_len(),
    );
    let messages = &workload.messages;
    group.bench_function(BenchmarkId::new(E::NAME, workload.label()), |b| {
        b.iter(|| encoder.encode(rt, black_box(messages)))
    });
}

fn encode_group(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("deflate_encode");
    configure(&mut group);
    for len in SIZES {
        let workload = DeflateWorkload::new(len);
        group.throughput(Throughput::Bytes(workload.text_bytes() as u64));
        bench_encoder(&mut group, &rt, &workload, Tether::encoder(Sink::new()));
        bench_encoder(&mut group, &rt, &workload, Ratchet::encoder(Sink::new()));
    }
    group.finish();
}

/// The client end of an echo pair: sends one message, waits for its echo.
trait EchoClient {
    const NAME: &'static str;

    /// Sends `message` as text and returns the echo's length.
    async fn round_trip(&mut self, message: &Bytes) -> usize;

    /// Bytes the client has read so far (the server's frames).
    fn bytes_read(&self) -> u64;
}

/// The in-memory pipe of every echo pair.
const PIPE: usize = 256 << 10;

struct TetherEcho {
    ws: tether_ws::WebSocketStream<Counted<DuplexStream>>,
    read: Arc<AtomicU64>,
}

impl TetherEcho {
    async fn pair(rt: &tokio::runtime::Runtime) -> TetherEcho {
        let config = tether_ws::WebSocketConfig::default()
            .with_max_message_size(MAX_MESSAGE as u64)
            .with_max_frame_size(MAX_MESSAGE as u64)
            .with_deflate(tether_ws::DeflateConfig::enabled().with_level(LEVEL));
        let (a, b) = tokio::io::duplex(PIPE);
        let server_config = config.clone();
        rt.spawn(async move {
            let mut ws = tether_ws::accept_with_config(b, server_config)
                .await
                .expect("tether: accept");
            assert!(ws.deflate().is_some(), "tether server: deflate agreed");
            while let Some(Ok(message)) = ws.next().await {
                if message.is_control() {
                    continue;
                }
                if ws.send(message).await.is_err() {
                    break;
                }
            }
        });
        let request = tether_ws::handshake::client::ClientRequest::new(
            "ws://localhost/".parse().expect("uri"),
        )
        .expect("request")
        .with_deflate(&tether_ws::DeflateConfig::enabled().with_level(LEVEL));
        let a = Counted::new(a);
        let read = a.counter();
        let (ws, _) = tether_ws::client_handshake(a, request, config)
            .await
            .expect("tether: handshake");
        assert!(ws.deflate().is_some(), "tether client: deflate agreed");
        TetherEcho { ws, read }
    }
}

impl EchoClient for TetherEcho {
    const NAME: &'static str = "tether";

    async fn round_trip(&mut self, message: &Bytes) -> usize {
        let text = tether_ws::Utf8Bytes::try_from(message.clone()).expect("UTF-8");
        self.ws
            .send(tether_ws::Message::Text(text))
            .await
            .expect("tether: send");
        match self.ws.next().await {
            Some(Ok(tether_ws::Message::Text(t))) => t.len(),
            other => panic!("tether echo: {other:?}"),
        }
    }

    fn bytes_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }
}

struct RatchetEcho {
    ws: ratchet_rs::WebSocket<Counted<DuplexStream>, ratchet_deflate::Deflate>,
    buf: BytesMut,
    read: Arc<AtomicU64>,
}

impl RatchetEcho {
    async fn pair(rt: &tokio::runtime::Runtime) -> RatchetEcho {
        let provider = || DeflateExtProvider::with_config(drivers::ratchet_deflate_config());
        let (a, b) = tokio::io::duplex(PIPE);
        rt.spawn(async move {
            let mut ws = ratchet_rs::accept_with(
                b,
                drivers::ratchet_config(),
                provider(),
                ratchet_rs::SubprotocolRegistry::default(),
            )
            .await
            .expect("ratchet: accept")
            .upgrade()
            .await
            .expect("ratchet: upgrade")
            .websocket;
            let mut buf = BytesMut::new();
            loop {
                match ws.read(&mut buf).await {
                    Ok(ratchet_rs::Message::Text) => {
                        if std::str::from_utf8(&buf).is_err()
                            || ws.write(&buf, ratchet_rs::PayloadType::Text).await.is_err()
                        {
                            break;
                        }
                        buf.clear();
                    }
                    Ok(ratchet_rs::Message::Close(_)) | Err(_) => break,
                    Ok(_) => {}
                }
            }
        });
        let a = Counted::new(a);
        let read = a.counter();
        let ws = ratchet_rs::subscribe_with(
            drivers::ratchet_config(),
            a,
            "ws://localhost/",
            provider(),
            ratchet_rs::SubprotocolRegistry::default(),
        )
        .await
        .expect("ratchet: handshake")
        .websocket;
        RatchetEcho {
            ws,
            buf: BytesMut::new(),
            read,
        }
    }
}

impl EchoClient for RatchetEcho {
    const NAME: &'static str = "ratchet";

    async fn round_trip(&mut self, message: &Bytes) -> usize {
        self.ws
            .write(message, ratchet_rs::PayloadType::Text)
            .await
            .expect("ratchet: send");
        self.buf.clear();
        match self.ws.read(&mut self.buf).await {
            Ok(ratchet_rs::Message::Text) => std::str::from_utf8(&self.buf)
                .expect("ratchet echo: text is not UTF-8")
                .len(),
            other => panic!("ratchet echo: {other:?}"),
        }
    }

    fn bytes_read(&self) -> u64 {
        self.read.load(Ordering::Relaxed)
    }
}

/// Checks one pass of echoes (every echo as long as its message, and the
/// server's frames the size of the reference compressor's, so deflate with
/// context takeover was agreed both ways), then times more passes on the
/// same connection.
fn bench_echo<C: EchoClient>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    rt: &tokio::runtime::Runtime,
    workload: &DeflateWorkload,
    mut client: C,
) {
    let messages = &workload.messages;
    let before = client.bytes_read();
    rt.block_on(async {
        for m in messages {
            assert_eq!(client.round_trip(m).await, m.len(), "{}: echo", C::NAME);
        }
    });
    let read = (client.bytes_read() - before) as f64;
    let expected = workload.server_frames_len() as f64;
    assert!(
        (read - expected).abs() / expected <= SIZE_TOLERANCE,
        "{} {}: the server's echoes took {read} B, the reference compressor {expected} B",
        C::NAME,
        workload.label(),
    );
    group.bench_function(BenchmarkId::new(C::NAME, workload.label()), |b| {
        b.iter(|| {
            rt.block_on(async {
                let mut total = 0;
                for m in messages {
                    total += client.round_trip(black_box(m)).await;
                }
                total
            })
        })
    });
}

fn echo_group(c: &mut Criterion) {
    let rt = runtime();
    let mut group = c.benchmark_group("deflate_echo");
    configure(&mut group);
    for len in SIZES {
        let workload = DeflateWorkload::new(len);
        group.throughput(Throughput::Bytes(workload.text_bytes() as u64));
        let tether = rt.block_on(TetherEcho::pair(&rt));
        bench_echo(&mut group, &rt, &workload, tether);
        let ratchet = rt.block_on(RatchetEcho::pair(&rt));
        bench_echo(&mut group, &rt, &workload, ratchet);
    }
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_secs(2));
    targets = decode_group, encode_group, echo_group
}
criterion_main!(benches);
