//! Bytes per connection of permessage-deflate, measured with a counting
//! allocator: the compressor and the decompressor state kept with context
//! takeover for each window size 8..15 (printed; run with `--nocapture`),
//! none kept without it, and the peak while a decompression bomb is
//! refused; `MessageStreamCodec` inflating a large message and a bomb
//! given in one read without holding them.
#![cfg(feature = "deflate")]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

use bytes::BytesMut;
use tether_frame::Role;
use tether_message::{
    DeflateParams, Error, Message, MessageChunk, MessageCodec, MessageConfig, MessageStreamCodec,
};
use tokio_util::codec::{Decoder, Encoder};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn add(n: isize) {
    let live = LIVE.fetch_add(n, Ordering::Relaxed) + n;
    PEAK.fetch_max(live, Ordering::Relaxed);
}

// SAFETY: forwards to the system allocator; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as isize);
        // SAFETY: the caller's layout contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        add(layout.size() as isize);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        add(-(layout.size() as isize));
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        add(new as isize - layout.size() as isize);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

fn message() -> Message {
    Message::text("{\"event\":\"tick\",\"data\":[1,2,3]} ".repeat(32))
}

/// Heap the compressor and decompressor keep after one message, per
/// direction, with context takeover (`takeover`) or without.
fn state_bytes(bits: u8, takeover: bool) -> (isize, isize) {
    let params = DeflateParams::default()
        .with_server_max_window_bits(bits)
        .with_server_no_context_takeover(!takeover);
    let config = MessageConfig::default().with_deflate(Some(params));
    let mut server = MessageCodec::with_config(Role::Server, config.clone());
    let mut client = MessageCodec::with_config(Role::Client, config);
    let mut wire = BytesMut::new();
    let before = live();
    server.encode(message(), &mut wire).unwrap();
    let compressor = live() - before - wire.capacity() as isize;
    let before = live();
    let got = client.decode(&mut wire).unwrap();
    assert_eq!(got, Some(message()));
    drop(got);
    client.release_buffers();
    let decompressor = live() - before;
    (compressor, decompressor)
}

/// Heap both ends together keep after a message of `len` bytes each way
/// (context takeover both ways), once their zlib state is released: four
/// windows (each end's send and receive).
fn released_bytes(bits: u8, len: usize) -> isize {
    let params = DeflateParams::default()
        .with_server_max_window_bits(bits)
        .with_client_max_window_bits(bits);
    let config = MessageConfig::default().with_deflate(Some(params));
    let mut server = MessageCodec::with_config(Role::Server, config.clone());
    let mut client = MessageCodec::with_config(Role::Client, config);
    let text: String = "{\"event\":\"tick\",\"data\":[1,2,3]} "
        .repeat(len / 33 + 1)
        .chars()
        .take(len)
        .collect();
    let exchange = |from: &mut MessageCodec, to: &mut MessageCodec| {
        let mut wire = BytesMut::new();
        from.encode(Message::text(text.clone()), &mut wire).unwrap();
        let got = to.decode(&mut wire).unwrap();
        assert_eq!(got, Some(Message::text(text.clone())));
    };
    let before = live();
    exchange(&mut server, &mut client);
    exchange(&mut client, &mut server);
    for codec in [&mut server, &mut client] {
        assert!(codec.holds_compression_state());
        assert!(codec.release_compression_state());
        assert!(!codec.holds_compression_state());
        codec.release_buffers();
    }
    let kept = live() - before;
    // The context survives the release.
    exchange(&mut server, &mut client);
    exchange(&mut client, &mut server);
    kept
}

// One test: the counters are shared by the whole process.
#[test]
fn bytes_per_connection() {
    println!("permessage-deflate state per connection (zlib-rs, level 6), bytes:");
    println!("| window bits | compressor | decompressor |");
    println!("|---|---|---|");
    for bits in 8..=15u8 {
        // Without context takeover, only what any first message leaves
        // (no zlib state: about a kilobyte of codec bookkeeping).
        let (c0, d0) = state_bytes(bits, false);
        assert!(
            c0 == 0 && d0 < 2048,
            "no context takeover keeps no state: {c0} {d0}"
        );
        let (c, d) = state_bytes(bits, true);
        let (c, d) = (c - c0, d - d0);
        println!("| {bits} | {c} | {d} |");
        assert!(c > 0 && d > 0);
        assert!(c < 400 << 10 && d < 96 << 10, "{bits}: {c} {d}");
    }

    // Released with context takeover: each end keeps the windows, at most
    // 2^bits bytes per direction, and less after less data.
    println!("released with context takeover, server and client together, bytes:");
    println!("| window bits | after 1 KiB each way | after 100 KiB each way |");
    println!("|---|---|---|");
    for bits in [9u8, 12, 15] {
        let small = released_bytes(bits, 1024);
        let large = released_bytes(bits, 100 << 10);
        println!("| {bits} | {small} | {large} |");
        let window = (1isize << bits).min(1024);
        assert!(small <= 4 * window + 1024, "{bits}: {small}");
        assert!(large <= 4 * (1 << bits) + 1024, "{bits}: {large}");
    }

    // The bomb (1 GiB from about 1 MiB) against a 1 MiB limit, in 4 KiB reads.
    let bomb = {
        let mut server = MessageCodec::with_config(
            Role::Server,
            MessageConfig::default()
                .with_deflate(Some(DeflateParams::default().with_compression_level(9))),
        );
        let mut wire = BytesMut::new();
        server
            .encode(Message::binary(vec![0u8; 64 << 20]), &mut wire)
            .unwrap();
        wire
    };
    let limit = 1 << 20;
    let config = MessageConfig::default()
        .with_deflate(Some(DeflateParams::default()))
        .with_max_message_size(limit);
    let mut client = MessageCodec::with_config(Role::Client, config);
    let before = live();
    PEAK.store(before, Ordering::Relaxed);
    let mut buf = BytesMut::with_capacity(8192);
    let mut result = Ok(None);
    for piece in bomb.chunks(4096) {
        buf.extend_from_slice(piece);
        result = client.decode(&mut buf);
        if result.is_err() {
            break;
        }
    }
    assert!(
        matches!(result, Err(Error::MessageTooBig { .. })),
        "{result:?}"
    );
    let peak = PEAK.load(Ordering::Relaxed) - before;
    println!("peak while refusing a 64 MiB bomb with a 1 MiB limit: {peak} bytes");
    assert!(peak < (limit as isize) * 2 + (256 << 10), "{peak}");

    // MessageStreamCodec, given the whole bomb in one read, and a 4 MiB
    // compressible text in one read: the chunks are dropped as they come
    // out; the codec holds a few inflate steps, not the message.
    let text = message().as_text().unwrap().repeat(4 << 10);
    let wire = {
        let config = MessageConfig::default().with_deflate(Some(DeflateParams::default()));
        let mut server = MessageCodec::with_config(Role::Server, config);
        let mut wire = BytesMut::new();
        server
            .encode(Message::text(text.clone()), &mut wire)
            .unwrap();
        wire
    };
    for (name, mut input, max) in [
        ("a 64 MiB bomb with a 1 MiB limit", bomb, limit),
        ("a 4 MiB text", wire, 8 << 20),
    ] {
        let config = MessageConfig::default()
            .with_deflate(Some(DeflateParams::default()))
            .with_max_message_size(max);
        let mut stream = MessageStreamCodec::new(Role::Client, config);
        let before = live();
        PEAK.store(before, Ordering::Relaxed);
        let mut inflated = 0usize;
        let result = loop {
            match stream.decode(&mut input) {
                Ok(Some(MessageChunk::Text { data, .. })) => inflated += data.len(),
                Ok(Some(MessageChunk::Binary { data, .. })) => inflated += data.len(),
                Ok(Some(other)) => panic!("{other:?}"),
                Ok(None) => break Ok(()),
                Err(e) => break Err(e),
            }
        };
        let peak = PEAK.load(Ordering::Relaxed) - before;
        println!("MessageStreamCodec, peak while inflating {name} given in one read: {peak} bytes");
        if max == limit {
            assert!(
                matches!(result, Err(Error::MessageTooBig { .. })),
                "{result:?}"
            );
            assert!(inflated as u64 <= limit);
        } else {
            assert!(result.is_ok(), "{result:?}");
            assert_eq!(inflated, text.len());
        }
        assert!(peak < 512 << 10, "{name}: {peak}");
    }
}
