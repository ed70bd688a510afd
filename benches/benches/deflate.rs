//! permessage-deflate: tether against yawc 0.5 and sockudo-ws 3.1 on JSON-like text of 1 KiB,
//! 16 KiB and 1 MiB, zlib level 6, 15-bit windows, context takeover both
//! ways (`tether_benches::deflate` says how each is configured).
//!
//! * `deflate_decode`: a server receives masked compressed client text
//!   frames (built by the benches' reference compressor) in 4 KiB reads and
//!   hands out each message's text, validated.
//! * `deflate_encode`: a server compresses and sends the same texts into an
//!   in-memory sink, one flush per iteration, keeping its context.
//! * `deflate_echo`: a client and a server of the same implementation over
//!   an in-memory `tokio::io::duplex` pipe, deflate agreed (tether through
//!   its real handshake); the client sends a message and waits for its echo
//!   before the next one. Each round trip compresses and inflates twice.
//!
//! * `deflate_release`: tether alone, what releasing an idle connection's
//!   zlib state costs its next message (priming from the kept windows).
//!
//! Throughput is uncompressed payload bytes per iteration (about 1 MiB; one
//! way for the echo). Every output is checked before timing.

use std::cell::RefCell;
use std::hint::black_box;
use std::time::Duration;

use bytes::Bytes;
use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode,
    Throughput,
};
use futures::{SinkExt, StreamExt};
use tether_benches::deflate::{
    self, check_decode, check_encode, runtime, server_to_client_frames, DecodeCompressed,
    DeflateWorkload, EncodeCompressed, Io, Sockudo, Tether, Yawc, SIZES,
};
use tether_benches::mock::{ChunkedReader, Cursor, VecSink};
use tether_benches::workload::Chunking;
use tokio::io::DuplexStream;

fn configure(group: &mut BenchmarkGroup<'_, WallTime>) {
    group
        .sample_size(10)
        .warm_up_time(Duration::from_millis(700))
        .measurement_time(Duration::from_secs(2))
        .sampling_mode(SamplingMode::Flat);
}

fn bench_decoder<D: DecodeCompressed>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    rt: &tokio::runtime::Runtime,
    workload: &DeflateWorkload,
    chunks: &[Bytes],
    cursor: &Cursor,
    mut decoder: D,
) {
    for _ in 0..2 {
        check_decode(&mut decoder, rt, workload, chunks, cursor);
    }
    let n = workload.messages.len();
    group.bench_function(BenchmarkId::new(D::NAME, workload.label()), |b| {
        b.iter(|| {
            cursor.rewind();
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
        group.throughput(Throughput::Bytes(workload.payload_bytes() as u64));
        let chunks = Chunking::Fixed(4096).cut(&workload.wire);
        let cursor = Cursor::new();
        let sink = RefCell::default();
        let io = || {
            Io::new(
                Some(ChunkedReader::new(&chunks, &cursor)),
                VecSink::new(&sink),
            )
        };
        bench_decoder(
            &mut group,
            &rt,
            &workload,
            &chunks,
            &cursor,
            Tether::decoder(io()),
        );
        bench_decoder(
            &mut group,
            &rt,
            &workload,
            &chunks,
            &cursor,
            Yawc::new(io()),
        );
        bench_decoder(
            &mut group,
            &rt,
            &workload,
            &chunks,
            &cursor,
            Sockudo::new(io()),
        );
    }
    group.finish();
}

/// Checks `encoder`'s output with the reference inflater, then with every
/// decoder under test (re-framed as client frames), then times it.
fn bench_encoder<E: EncodeCompressed>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    rt: &tokio::runtime::Runtime,
    workload: &DeflateWorkload,
    mut encoder: E,
) {
    let output = check_encode(&mut encoder, rt, &workload.messages);
    let wire = Bytes::from(server_to_client_frames(&output));
    let chunks = Chunking::Fixed(4096).cut(&wire);
    let cursor = Cursor::new();
    let sink = RefCell::default();
    let io = || {
        Io::new(
            Some(ChunkedReader::new(&chunks, &cursor)),
            VecSink::new(&sink),
        )
    };
    let mut tether = Tether::decoder(io());
    check_decode(&mut tether, rt, workload, &chunks, &cursor);
    check_decode(&mut Yawc::new(io()), rt, workload, &chunks, &cursor);
    check_decode(&mut Sockudo::new(io()), rt, workload, &chunks, &cursor);
    // A second pass continues the context; the reference inflater of
    // check_encode starts from nothing, so check the pair.
    let second = {
        let written = encoder.encode(rt, &workload.messages);
        assert_eq!(written, encoder.output().len());
        encoder.output()
    };
    let mut both = output.clone();
    both.extend_from_slice(&second);
    let texts = deflate::inflate_server_frames(&both).expect("two passes");
    assert_eq!(texts.len(), 2 * workload.messages.len());
    assert!(texts[workload.messages.len()..]
        .iter()
        .zip(&workload.messages)
        .all(|(t, m)| t[..] == m[..]));
    let compressed = second.len();
    eprintln!(
        "{} {}: {} bytes of frames for {} bytes of text ({:.2}x)",
        E::NAME,
        workload.label(),
        compressed,
        workload.payload_bytes(),
        workload.payload_bytes() as f64 / compressed as f64
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
        group.throughput(Throughput::Bytes(workload.payload_bytes() as u64));
        let sinks: Vec<RefCell<Vec<u8>>> = (0..3).map(|_| RefCell::default()).collect();
        bench_encoder(
            &mut group,
            &rt,
            &workload,
            Tether::encoder(VecSink::new(&sinks[0])),
        );
        bench_encoder(
            &mut group,
            &rt,
            &workload,
            Yawc::new(Io::new(None, VecSink::new(&sinks[1]))),
        );
        bench_encoder(
            &mut group,
            &rt,
            &workload,
            Sockudo::new(Io::new(None, VecSink::new(&sinks[2]))),
        );
    }
    group.finish();
}

/// A client end of an echo pair: sends one message and waits for its echo.
trait EchoClient {
    const NAME: &'static str;
    /// Sends `message` as text and returns the echo's length.
    async fn round_trip(&mut self, message: &Bytes) -> usize;
}

const PIPE: usize = 256 << 10;

struct TetherEcho(tether_ws::WebSocketStream<DuplexStream>);

impl TetherEcho {
    async fn pair(rt: &tokio::runtime::Runtime) -> TetherEcho {
        let config = tether_ws::WebSocketConfig::default()
            .with_max_message_size(deflate::MAX_MESSAGE as u64)
            .with_max_frame_size(deflate::MAX_MESSAGE as u64)
            .with_deflate(tether_ws::DeflateConfig::enabled());
        let (a, b) = tokio::io::duplex(PIPE);
        let server_config = config.clone();
        rt.spawn(async move {
            let mut ws = tether_ws::accept_with_config(b, server_config)
                .await
                .expect("tether accept");
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
        .with_deflate(&tether_ws::DeflateConfig::enabled());
        let (ws, _) = tether_ws::client_handshake(a, request, config)
            .await
            .expect("tether handshake");
        assert!(ws.deflate().is_some(), "tether client: deflate agreed");
        TetherEcho(ws)
    }
}

impl EchoClient for TetherEcho {
    const NAME: &'static str = "tether";
    async fn round_trip(&mut self, message: &Bytes) -> usize {
        let text = tether_ws::Utf8Bytes::try_from(message.clone()).expect("UTF-8");
        self.0
            .send(tether_ws::Message::Text(text))
            .await
            .expect("send");
        match self.0.next().await {
            Some(Ok(tether_ws::Message::Text(t))) => t.len(),
            other => panic!("tether echo: {other:?}"),
        }
    }
}

struct YawcEcho(yawc::WebSocket<DuplexStream>);

impl YawcEcho {
    fn pair(rt: &tokio::runtime::Runtime) -> YawcEcho {
        let (a, b) = tokio::io::duplex(PIPE);
        let agreed = Some("permessage-deflate");
        let mut server = yawc::WebSocket::from_stream_with_extensions(
            b,
            yawc::Role::Server,
            agreed,
            deflate::yawc_options(),
        )
        .expect("yawc server");
        rt.spawn(async move {
            while let Ok(frame) = server.next_frame().await {
                if frame.opcode() != yawc::frame::OpCode::Text {
                    continue;
                }
                if server
                    .send(yawc::frame::Frame::text(frame.into_payload()))
                    .await
                    .is_err()
                {
                    break;
                }
            }
        });
        YawcEcho(
            yawc::WebSocket::from_stream_with_extensions(
                a,
                yawc::Role::Client,
                agreed,
                deflate::yawc_options(),
            )
            .expect("yawc client"),
        )
    }
}

impl EchoClient for YawcEcho {
    const NAME: &'static str = "yawc";
    async fn round_trip(&mut self, message: &Bytes) -> usize {
        self.0
            .send(yawc::frame::Frame::text(message.clone()))
            .await
            .expect("send");
        let frame = self.0.next_frame().await.expect("yawc echo");
        frame.payload().len()
    }
}

struct SockudoEcho(sockudo_ws::CompressedWebSocketStream<DuplexStream>);

impl SockudoEcho {
    fn pair(rt: &tokio::runtime::Runtime) -> SockudoEcho {
        let (a, b) = tokio::io::duplex(PIPE);
        let mut server = sockudo_ws::CompressedWebSocketStream::server(
            b,
            deflate::sockudo_config(),
            deflate::sockudo_deflate(),
        );
        rt.spawn(async move {
            while let Some(Ok(message)) = server.next().await {
                if let sockudo_ws::Message::Text(t) = message {
                    if server.send(sockudo_ws::Message::Text(t)).await.is_err() {
                        break;
                    }
                }
            }
        });
        SockudoEcho(sockudo_ws::CompressedWebSocketStream::client(
            a,
            deflate::sockudo_config(),
            deflate::sockudo_deflate(),
        ))
    }
}

impl EchoClient for SockudoEcho {
    const NAME: &'static str = "sockudo-ws";
    async fn round_trip(&mut self, message: &Bytes) -> usize {
        self.0
            .send(sockudo_ws::Message::Text(message.clone()))
            .await
            .expect("send");
        match self.0.next().await {
            Some(Ok(sockudo_ws::Message::Text(t))) => t.len(),
            other => panic!("sockudo-ws echo: {other:?}"),
        }
    }
}

fn bench_echo<C: EchoClient>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    rt: &tokio::runtime::Runtime,
    workload: &DeflateWorkload,
    mut client: C,
) {
    let messages = &workload.messages;
    rt.block_on(async {
        for m in messages {
            assert_eq!(client.round_trip(m).await, m.len(), "{}: echo", C::NAME);
        }
    });
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
        group.throughput(Throughput::Bytes(workload.payload_bytes() as u64));
        let tether = rt.block_on(TetherEcho::pair(&rt));
        bench_echo(&mut group, &rt, &workload, tether);
        bench_echo(&mut group, &rt, &workload, YawcEcho::pair(&rt));
        bench_echo(&mut group, &rt, &workload, SockudoEcho::pair(&rt));
    }
    group.finish();
}

/// What releasing the zlib state of an idle connection costs its next
/// message (`MessageCodec::release_compression_state`, which tether-ws calls
/// after `DeflateConfig::release_after`): a client codec compresses a 1 KiB
/// JSON message and a server codec inflates it, both with full 15-bit
/// windows of earlier messages, the state kept (`kept`) or released before
/// every message (`released`), so each message first primes a compressor
/// and a decompressor with the window. `-compress` cells time the client
/// side alone.
fn release_group(c: &mut Criterion) {
    use tether_message::{Message, MessageCodec, MessageConfig, Role};
    use tokio_util::codec::{Decoder, Encoder};
    let mut group = c.benchmark_group("deflate_release");
    configure(&mut group);
    let len = 1 << 10;
    group.throughput(Throughput::Bytes(len as u64));
    let config = MessageConfig::default().with_deflate(Some(deflate::tether_params()));
    // Distinct messages in turn: the same one again would compress to a
    // single back-reference.
    let texts: Vec<Message> = (0..64)
        .map(|i| Message::text(deflate::json_message(len, 1000 + i)))
        .collect();
    for release in [false, true] {
        let name = if release { "released" } else { "kept" };
        let mut client = MessageCodec::with_config(Role::Client, config.clone());
        let mut server = MessageCodec::with_config(Role::Server, config.clone());
        let mut wire = bytes::BytesMut::new();
        // Fill both windows (64 KiB of earlier text).
        for i in 0..64 {
            let earlier = Message::text(deflate::json_message(len, 100 + i));
            client.encode(earlier.clone(), &mut wire).expect("encode");
            let got = server.decode(&mut wire).expect("decode").expect("whole");
            assert_eq!(got, earlier);
        }
        let mut next = texts.iter().cycle();
        group.bench_function(BenchmarkId::new(name, "1KiB"), |b| {
            b.iter(|| {
                let text = next.next().expect("cycle");
                if release {
                    assert!(client.release_compression_state());
                    assert!(server.release_compression_state());
                }
                client.encode(text.clone(), &mut wire).expect("encode");
                let got = server.decode(&mut wire).expect("decode").expect("whole");
                assert_eq!(&black_box(got), text);
            })
        });
        let mut sink = bytes::BytesMut::new();
        group.bench_function(BenchmarkId::new(format!("{name}-compress"), "1KiB"), |b| {
            b.iter(|| {
                let text = next.next().expect("cycle");
                if release {
                    assert!(client.release_compression_state());
                }
                sink.clear();
                client.encode(text.clone(), &mut sink).expect("encode");
                black_box(sink.len())
            })
        });
    }
    group.finish();
}

criterion_group!(
    benches,
    decode_group,
    encode_group,
    echo_group,
    release_group
);
criterion_main!(benches);
