//! Bytes per idle session, measured with a counting allocator: 10,000
//! polling sessions (handshaken, no request pending) and 10,000 WebSocket
//! sessions (held open by Node's `ws` in another process), each accepted
//! by the application and held as a `Socket`. The heap the server holds
//! per session is printed and bounded.
#![cfg(feature = "server")]

mod support;

use std::alloc::{GlobalAlloc, Layout, System};
use std::process::Stdio;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tether_engineio::server::{EngineConfig, EngineServer, Socket};
use tether_engineio::session::SessionConfig;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
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

const SESSIONS: usize = 10_000;

/// The two measurements share the allocator's counter: one at a time.
static ONE_AT_A_TIME: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

async fn server() -> (EngineServer, u16, Arc<Mutex<Vec<Socket>>>) {
    let session = SessionConfig::default()
        .with_ping_interval(Duration::from_secs(120))
        .with_ping_timeout(Duration::from_secs(60));
    let (engine, mut incoming) = EngineServer::new(EngineConfig::default().with_session(session));
    let held = Arc::new(Mutex::new(Vec::with_capacity(SESSIONS)));
    let h = held.clone();
    tokio::spawn(async move {
        while let Some(socket) = incoming.accept().await {
            h.lock().unwrap().push(socket);
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(engine.clone().serve(listener));
    (engine, port, held)
}

async fn settle(held: &Mutex<Vec<Socket>>, n: usize) {
    for _ in 0..200 {
        if held.lock().unwrap().len() >= n {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_per_idle_polling_session() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (engine, port, held) = server().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = LIVE.load(Ordering::Relaxed);
    // Handshakes over keep-alive connections, 8 at a time.
    let mut tasks = Vec::new();
    for _ in 0..8 {
        tasks.push(tokio::spawn(async move {
            let mut stream = tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap();
            let mut buf = vec![0u8; 4096];
            for _ in 0..SESSIONS / 8 {
                stream
                    .write_all(
                        b"GET /engine.io/?EIO=4&transport=polling HTTP/1.1\r\nHost: x\r\n\r\n",
                    )
                    .await
                    .unwrap();
                let mut got = 0;
                loop {
                    let n = stream.read(&mut buf[got..]).await.unwrap();
                    assert!(n > 0);
                    got += n;
                    let text = &buf[..got];
                    if let Some(end) = text.windows(4).position(|w| w == b"\r\n\r\n") {
                        let head = std::str::from_utf8(&text[..end]).unwrap();
                        let len: usize = head
                            .lines()
                            .find_map(|l| l.strip_prefix("content-length: "))
                            .unwrap()
                            .parse()
                            .unwrap();
                        if got >= end + 4 + len {
                            break;
                        }
                    }
                }
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    settle(&held, SESSIONS).await;
    let after = LIVE.load(Ordering::Relaxed);
    assert_eq!(engine.session_count(), SESSIONS);
    let per = (after - before) / SESSIONS as isize;
    println!("heap per idle polling session: {per} bytes ({SESSIONS} sessions)");
    assert!(per < 4096, "{per} bytes per idle polling session");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bytes_per_idle_websocket_session() {
    let _one = ONE_AT_A_TIME.lock().await;
    let (engine, port, held) = server().await;
    let dir = support::repo_root().join("interop/node");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let before = LIVE.load(Ordering::Relaxed);
    let mut node = Command::new("node")
        .arg(dir.join("eio_idle.mjs"))
        .arg(port.to_string())
        .arg(SESSIONS.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run node");
    let mut lines = tokio::io::BufReader::new(node.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(90), lines.next_line())
        .await
        .expect("node did not open the sessions")
        .unwrap()
        .unwrap_or_default();
    assert_eq!(line, format!("ready {SESSIONS}"));
    settle(&held, SESSIONS).await;
    let after = LIVE.load(Ordering::Relaxed);
    assert_eq!(engine.session_count(), SESSIONS);
    let per = (after - before) / SESSIONS as isize;
    println!("heap per idle WebSocket session: {per} bytes ({SESSIONS} sessions)");
    assert!(per < 8192, "{per} bytes per idle WebSocket session");
    drop(node.stdin.take());
    let _ = node.wait().await;
}
