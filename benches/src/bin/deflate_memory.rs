//! Heap bytes per idle compressed server connection: tether's
//! `WebSocketStream` against yawc's `WebSocket`, sockudo-ws's
//! `CompressedWebSocketStream`, zlib level 6, 15-bit windows, measured with a
//! counting global allocator.
//!
//! For each implementation and setting, `--conns` server connections are
//! built over an allocation-free in-memory transport that delivers one
//! masked compressed 1 KiB JSON text message from a client and then never
//! anything more; each connection receives that message and sends one 1 KiB
//! JSON text message back (compressed, flushed), then stays idle, held in a
//! `Vec`. The figure is the growth of live heap bytes divided by the number
//! of connections (the received message is dropped; the `Vec` of
//! connections is reserved before the first measure).
//!
//! Settings: `takeover` (context takeover both ways, the RFC default) and
//! `no-takeover` (`server_no_context_takeover; client_no_context_takeover`
//! agreed). tether is measured twice with takeover: with its state kept
//! (`DeflateConfig::release_after` off) and idle past `release_after`
//! (its default is 1 s; 10 ms here, to run in seconds: what is kept after
//! the release does not depend on the delay), its connection polled until
//! then as a server's connection task polls it. yawc and sockudo-ws keep
//! their state however long a connection is idle.
//!
//! ```sh
//! cargo run --release -p tether-benches --bin bench-deflate-memory -- --conns 200
//! ```

// The counting allocator is the one `unsafe` here: it forwards to `System`.
#![allow(unsafe_code)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::{SinkExt, StreamExt};
use tether_benches::deflate::{self, json_message, RefCompressor};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator unchanged; only counts sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's contract is System's.
        unsafe { System.alloc(layout) }
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.alloc_zeroed(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// Delivers `data` once, then is `Pending` forever; writes are dropped.
struct OneMessage {
    data: &'static [u8],
    at: usize,
}

impl AsyncRead for OneMessage {
    fn poll_read(
        mut self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if self.at == self.data.len() {
            return Poll::Pending;
        }
        let n = buf.remaining().min(self.data.len() - self.at);
        buf.put_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for OneMessage {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, b: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(b.len()))
    }
    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

struct Setup {
    wire: &'static [u8],
    reply: Bytes,
    no_takeover: bool,
    /// tether's `DeflateConfig::release_after`, waited for (the connection
    /// polled) before the connection is held.
    release: Option<Duration>,
}

impl Setup {
    fn io(&self) -> OneMessage {
        OneMessage {
            data: self.wire,
            at: 0,
        }
    }
}

fn measure<T>(
    name: &str,
    setup: &Setup,
    conns: usize,
    rt: &tokio::runtime::Runtime,
    mut make: impl FnMut(&Setup, &tokio::runtime::Runtime) -> T,
) {
    let setting = match (setup.no_takeover, setup.release) {
        (true, _) => "no-takeover".to_string(),
        (false, None) => "takeover".to_string(),
        (false, Some(d)) => format!("takeover, idle past release_after ({} ms)", d.as_millis()),
    };
    // One connection first, so that one-time state (lazy statics, the
    // runtime's buffers) is not counted.
    drop(make(setup, rt));
    let mut held = Vec::with_capacity(conns);
    let before = live();
    for _ in 0..conns {
        held.push(make(setup, rt));
    }
    let per = (live() - before) as f64 / conns as f64;
    println!("| {name} | {setting} | {per:.0} |");
    drop(held);
}

fn tether(setup: &Setup, rt: &tokio::runtime::Runtime) -> tether_ws::WebSocketStream<OneMessage> {
    let params = deflate::tether_params()
        .with_server_no_context_takeover(setup.no_takeover)
        .with_client_no_context_takeover(setup.no_takeover);
    let config = tether_ws::WebSocketConfig::default()
        .with_message_config(tether_ws::MessageConfig::default().with_deflate(Some(params)))
        .with_deflate(tether_ws::DeflateConfig::default().with_release_after(setup.release));
    let mut ws = tether_ws::WebSocketStream::from_raw_parts(
        setup.io(),
        tether_ws::Role::Server,
        config,
        BytesMut::new(),
    );
    rt.block_on(async {
        match ws.next().await {
            Some(Ok(tether_ws::Message::Text(_))) => {}
            other => panic!("tether: {other:?}"),
        }
        let text = tether_ws::Utf8Bytes::try_from(setup.reply.clone()).unwrap();
        ws.send(tether_ws::Message::Text(text)).await.unwrap();
        if let Some(after) = setup.release {
            // Idle, and polled as a server's connection task polls it.
            let idle = tokio::time::timeout(after * 2 + Duration::from_millis(5), ws.next());
            assert!(idle.await.is_err());
            assert!(!ws.connection().holds_compression_state());
        }
    });
    ws
}

fn extension(no_takeover: bool) -> &'static str {
    if no_takeover {
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
    } else {
        "permessage-deflate"
    }
}

fn yawc(setup: &Setup, rt: &tokio::runtime::Runtime) -> yawc::WebSocket<OneMessage> {
    let mut ws = yawc::WebSocket::from_stream_with_extensions(
        setup.io(),
        yawc::Role::Server,
        Some(extension(setup.no_takeover)),
        deflate::yawc_options(),
    )
    .unwrap();
    rt.block_on(async {
        let frame = ws.next_frame().await.unwrap();
        assert_eq!(frame.opcode(), yawc::frame::OpCode::Text);
        ws.send(yawc::frame::Frame::text(setup.reply.clone()))
            .await
            .unwrap();
    });
    ws
}

fn sockudo(
    setup: &Setup,
    rt: &tokio::runtime::Runtime,
) -> sockudo_ws::CompressedWebSocketStream<OneMessage> {
    let mut config = deflate::sockudo_deflate();
    config.server_no_context_takeover = setup.no_takeover;
    config.client_no_context_takeover = setup.no_takeover;
    let mut ws = sockudo_ws::CompressedWebSocketStream::server(
        setup.io(),
        deflate::sockudo_config(),
        config,
    );
    rt.block_on(async {
        match ws.next().await {
            Some(Ok(sockudo_ws::Message::Text(_))) => {}
            other => panic!("sockudo-ws: {other:?}"),
        }
        ws.send(sockudo_ws::Message::Text(setup.reply.clone()))
            .await
            .unwrap();
    });
    ws
}

fn main() {
    let mut conns = 200usize;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--conns" => conns = args.next().and_then(|v| v.parse().ok()).expect("--conns N"),
            other => panic!("unknown argument {other}"),
        }
    }
    let rt = deflate::runtime();
    let text = json_message(1 << 10, 1);
    let compressed = RefCompressor::new(false).compress(text.as_bytes());
    let mut wire = Vec::new();
    tether_benches::workload::push_masked(&mut wire, 0xC1, &compressed, [1, 2, 3, 4]);
    let wire: &'static [u8] = Box::leak(wire.into_boxed_slice());
    println!("Heap bytes per idle server connection after one compressed 1 KiB message each way ({conns} connections, counting allocator; level 6, 15-bit windows):\n");
    println!("| implementation | setting | bytes per connection |");
    println!("|---|---|---:|");
    for no_takeover in [false, true] {
        let setup = Setup {
            wire,
            reply: Bytes::from(json_message(1 << 10, 2)),
            no_takeover,
            release: None,
        };
        measure("tether", &setup, conns, &rt, tether);
        if !no_takeover {
            // The state after the release does not depend on the delay (1 s
            // by default); a short one keeps the run to seconds.
            let released = Setup {
                release: Some(Duration::from_millis(10)),
                wire,
                reply: setup.reply.clone(),
                no_takeover,
            };
            measure("tether", &released, conns, &rt, tether);
        }
        measure("yawc", &setup, conns, &rt, yawc);
        measure("sockudo-ws", &setup, conns, &rt, sockudo);
    }
}
