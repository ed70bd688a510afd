//! Memory per idle connection, measured with a counting allocator: an idle
//! server connection holds no read or write buffer, only its state.
//!
//! Run with `--nocapture` to see the figures (they go in
//! docs/BENCHMARKS.md).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use futures::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator and only counts sizes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: same layout as given to us.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        LIVE.fetch_add(
            new_size as isize - layout.size() as isize,
            Ordering::Relaxed,
        );
        // SAFETY: as `GlobalAlloc::realloc` requires of us.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

const N: usize = 200;

fn live() -> isize {
    LIVE.load(Ordering::Relaxed)
}

/// Connected client/server TCP pairs, the clients' upgrade requests sent.
async fn sockets(l: &TcpListener) -> (Vec<TcpStream>, Vec<TcpStream>) {
    let addr = l.local_addr().expect("addr");
    let mut clients = Vec::with_capacity(N);
    let mut servers = Vec::with_capacity(N);
    for _ in 0..N {
        let mut c = TcpStream::connect(addr).await.expect("connect");
        c.write_all(
            b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
              Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
        )
        .await
        .expect("write");
        clients.push(c);
        servers.push(l.accept().await.expect("accept").0);
    }
    (clients, servers)
}

#[tokio::test(flavor = "current_thread")]
async fn the_allocator_sees_tasks() {
    let before = live();
    let mut tasks = Vec::with_capacity(N);
    let base = live();
    for _ in 0..N {
        tasks.push(tokio::spawn(async {
            let pad = [1u8; 1000];
            tokio::time::sleep(Duration::from_secs(60)).await;
            std::hint::black_box(pad);
        }));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let per_task = (live() - base) / N as isize;
    println!(
        "a task holding 1000 bytes: {per_task} B ({})",
        base - before
    );
    assert!(per_task >= 1000);
    for t in tasks {
        t.abort();
    }
}

#[tokio::test(flavor = "current_thread")]
async fn idle_connection_memory() {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");

    // Baseline: a task per connection that holds the TCP stream and waits
    // for a byte.
    let (clients, servers) = sockets(&l).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut tasks = Vec::with_capacity(N);
    let mut servers = servers.into_iter();
    let before = live();
    for mut s in servers.by_ref() {
        tasks.push(tokio::spawn(async move {
            // Reads the request, then waits for more.
            let mut b = [0u8; 64];
            while matches!(s.read(&mut b).await, Ok(n) if n > 0) {}
        }));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let baseline = (live() - before) / N as isize;
    for t in &tasks {
        t.abort();
    }
    drop(clients);
    for t in tasks {
        let _ = t.await;
    }

    // tether: the same, after the handshake, waiting in `next()`.
    let (mut clients, servers) = sockets(&l).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut tasks = Vec::with_capacity(N);
    let mut servers = servers.into_iter();
    let before = live();
    for s in servers.by_ref() {
        tasks.push(tokio::spawn(async move {
            let mut ws = tether_ws::accept(s).await.expect("handshake");
            let _ = ws.next().await;
        }));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    // Read the 101 answers so nothing is waiting in the kernel for us.
    let mut answer = vec![0u8; 512];
    for c in &mut clients {
        let n = c.read(&mut answer).await.expect("read");
        assert!(answer[..n].starts_with(b"HTTP/1.1 101"));
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let per_connection = (live() - before) / N as isize;
    let struct_size = std::mem::size_of::<tether_ws::WebSocketStream<TcpStream>>();
    println!(
        "idle connection: {per_connection} B per connection on the heap with tether-ws \
         (a task holding a bare TcpStream: {baseline} B); size_of::<WebSocketStream<TcpStream>>() = {struct_size} B"
    );
    // No read buffer (8 KiB), no write buffer: only the stream's state in
    // its task.
    assert!(
        per_connection < 1536,
        "an idle connection holds {per_connection} B"
    );
    for t in tasks {
        t.abort();
    }
}
