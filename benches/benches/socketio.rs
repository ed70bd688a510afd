//! tether-socketio (with tether-engineio for polling payloads) against
//! socketioxide's parser (`socketioxide-parser-common`, and
//! `engineioxide-core`'s payload decoder and encoder), in one criterion run.
//!
//! Rows (throughput in packets; see `docs/BENCHMARKS.md`):
//!
//! * `sio_decode/small_event`: `2["msg",{...}]` (63 B) decoded and its event
//!   name read (tether also validates the whole JSON; socketioxide does not,
//!   see `tether_benches::socketio`);
//! * `sio_decode/small_event_typed`: the same, and the argument deserialized
//!   into a struct;
//! * `sio_decode/binary_64k`: a BINARY_EVENT header and its 64 KiB
//!   attachment; `binary_64k_typed` also deserializes `{name, data: Bytes}`;
//! * `sio_encode/small_event`, `sio_encode/binary_64k`: the same events
//!   built from the typed arguments and encoded;
//! * `sio_payload/decode_100`, `sio_payload/encode_100`: a long-polling body
//!   of 100 small events, split and every packet decoded (event name read);
//!   and 100 encoded packets joined into a body.

use std::hint::black_box;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use socketioxide_core::{Str, Value};
use tether_benches::sio_peer;
use tether_benches::socketio::{self as t, small, BINARY_HEADER, SMALL_EVENT};
use tether_engineio::{EnginePacket, Utf8Bytes};
use tether_socketio::PacketDecoder;

const TETHER: &str = "tether";
const PEER: &str = "socketioxide";

fn decode(c: &mut Criterion) {
    let mut g = c.benchmark_group("sio_decode");
    g.throughput(Throughput::Elements(1));
    let text = Utf8Bytes::from_static(SMALL_EVENT);
    let peer_text = Str::from(SMALL_EVENT);
    let mut decoder = PacketDecoder::new();
    g.bench_function(BenchmarkId::new(TETHER, "small_event"), |b| {
        b.iter(|| t::decode_routed(&mut decoder, black_box(&text)))
    });
    g.bench_function(BenchmarkId::new(PEER, "small_event"), |b| {
        b.iter(|| sio_peer::decode_text_routed_str(black_box(peer_text.clone())).1)
    });
    g.bench_function(BenchmarkId::new(TETHER, "small_event_typed"), |b| {
        b.iter(|| t::decode_small(&mut decoder, black_box(&text)))
    });
    g.bench_function(BenchmarkId::new(PEER, "small_event_typed"), |b| {
        b.iter(|| sio_peer::decode_args_small_str(black_box(peer_text.clone())))
    });

    let attachments = [t::attachment()];
    let header = Utf8Bytes::from_static(BINARY_HEADER);
    g.bench_function(BenchmarkId::new(TETHER, "binary_64k"), |b| {
        b.iter(|| t::decode_binary(&mut decoder, black_box(&header), &attachments))
    });
    g.bench_function(BenchmarkId::new(PEER, "binary_64k"), |b| {
        b.iter(|| sio_peer::decode_binary(black_box(BINARY_HEADER), &attachments))
    });
    g.bench_function(BenchmarkId::new(TETHER, "binary_64k_typed"), |b| {
        b.iter(|| t::decode_binary_file(&mut decoder, black_box(&header), &attachments))
    });
    g.bench_function(BenchmarkId::new(PEER, "binary_64k_typed"), |b| {
        b.iter(|| sio_peer::decode_binary_file(black_box(BINARY_HEADER), &attachments))
    });
    g.finish();
}

fn encode(c: &mut Criterion) {
    let mut g = c.benchmark_group("sio_encode");
    g.throughput(Throughput::Elements(1));
    let s = small();
    g.bench_function(BenchmarkId::new(TETHER, "small_event"), |b| {
        b.iter(|| t::encode_small(black_box(&s)))
    });
    g.bench_function(BenchmarkId::new(PEER, "small_event"), |b| {
        b.iter(|| sio_peer::encode_small(black_box(&s)))
    });
    let att = t::attachment();
    let binary = tether_socketio::Binary(att.clone());
    g.bench_function(BenchmarkId::new(TETHER, "binary_64k"), |b| {
        b.iter(|| t::encode_binary(black_box(&binary)))
    });
    g.bench_function(BenchmarkId::new(PEER, "binary_64k"), |b| {
        b.iter(|| sio_peer::encode_binary(black_box(&att)))
    });
    g.finish();
}

fn payload(c: &mut Criterion) {
    let mut g = c.benchmark_group("sio_payload");
    g.throughput(Throughput::Elements(100));
    let body: Bytes = t::payload_body();
    let mut decoder = PacketDecoder::new();
    g.bench_function(BenchmarkId::new(TETHER, "decode_100"), |b| {
        b.iter(|| t::decode_payload_packets(&mut decoder, black_box(&body)))
    });
    g.bench_function(BenchmarkId::new(PEER, "decode_100"), |b| {
        b.iter(|| sio_peer::decode_payload_routed(black_box(&body)))
    });
    let packets: Vec<EnginePacket> = t::payload_packets()
        .into_iter()
        .map(EnginePacket::message)
        .collect();
    let mut out = BytesMut::new();
    g.bench_function(BenchmarkId::new(TETHER, "encode_100"), |b| {
        b.iter(|| t::encode_payload_packets(black_box(&packets), &mut out))
    });
    let values: Vec<Value> = t::payload_packets()
        .into_iter()
        .map(|p| Value::Str(p.into(), None))
        .collect();
    g.bench_function(BenchmarkId::new(PEER, "encode_100"), |b| {
        b.iter(|| sio_peer::encode_payload(black_box(&values)).len())
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2));
    targets = decode, encode, payload
}
criterion_main!(benches);
