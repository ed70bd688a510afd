//! Bytes per idle connected client, measured with a counting allocator:
//! 10,000 Socket.IO clients (Node's `ws` speaking Engine.IO and CONNECT in
//! another process, interop/node/eio_idle.mjs) each connected to the main
//! namespace over WebSocket, with an event handler registered. The heap the
//! server holds per client is printed and bounded.
#![cfg(feature = "server")]

mod server_app;

use std::alloc::{GlobalAlloc, Layout, System};
use std::process::Stdio;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use tether_engineio::server::EngineConfig;
use tether_engineio::session::SessionConfig;
use tether_socketio::server::{SocketIo, SocketIoConfig};
use tokio::io::AsyncBufReadExt;
use tokio::process::Command;

struct Counting;

static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: forwards to the system allocator; only counts.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: the caller's layout contract is passed on unchanged.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        LIVE.fetch_add(new as isize - layout.size() as isize, Ordering::Relaxed);
        // SAFETY: as above.
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

const CLIENTS: usize = 10_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_per_idle_connected_client() {
    let session = SessionConfig::default()
        .with_ping_interval(Duration::from_secs(120))
        .with_ping_timeout(Duration::from_secs(60));
    let engine = EngineConfig::default()
        .with_path("/socket.io/")
        .with_session(session);
    let io = SocketIo::new(SocketIoConfig::default().with_engine(engine));
    io.ns("/", |socket| async move {
        socket.on("chat", |_socket, event| async move {
            let _ = event.ack(&());
        });
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(io.clone().serve(listener));
    tokio::time::sleep(Duration::from_millis(100)).await;

    let before = LIVE.load(Ordering::Relaxed);
    let mut node = Command::new("node")
        .arg(server_app::repo_root().join("interop/node/eio_idle.mjs"))
        .arg(port.to_string())
        .arg(CLIENTS.to_string())
        .arg("sio")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run node");
    let mut lines = tokio::io::BufReader::new(node.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(90), lines.next_line())
        .await
        .expect("node did not connect the clients")
        .unwrap()
        .unwrap_or_default();
    assert_eq!(line, format!("ready {CLIENTS}"));
    let main = io.of("/").unwrap();
    for _ in 0..200 {
        if main.local_sockets().len() >= CLIENTS {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    let after = LIVE.load(Ordering::Relaxed);
    assert_eq!(main.local_sockets().len(), CLIENTS);
    let per = (after - before) / CLIENTS as isize;
    println!("heap per idle connected Socket.IO client: {per} bytes ({CLIENTS} clients)");
    assert!(per < 12_288, "{per} bytes per idle connected client");
    drop(node.stdin.take());
    let _ = node.wait().await;
}
