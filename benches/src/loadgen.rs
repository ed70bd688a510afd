//! What the Engine.IO and Socket.IO load generators (`bench-eio-load`,
//! `bench-sio-load`) share: starting a server process, the Engine.IO
//! WebSocket session on 127.0.0.1, opening many sessions a batch at a
//! time, and medians.

use std::future::Future;
use std::path::PathBuf;
use std::process::Stdio;

use futures::StreamExt;
use tether_ws::Message;
use tokio::io::AsyncBufReadExt;
use tokio::process::{Child, Command};

/// A WebSocket connection from `tether_ws::connect`.
pub type Ws = tether_ws::WebSocketStream<tether_ws::MaybeTlsStream>;

/// The command of a binary built next to the running one
/// (`target/release/<name>`).
pub fn sibling(name: &str) -> Command {
    let exe = std::env::current_exe().expect("current exe");
    Command::new(exe.with_file_name(name))
}

/// The command running `interop/node/<script>` with `node`.
pub fn node(script: &str) -> Command {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../interop/node")
        .join(script);
    let mut c = Command::new("node");
    c.arg(path);
    c
}

/// Starts a server process that prints `listening <port>` as its first
/// line; the child (killed when dropped) and the port.
pub async fn start_server(mut command: Command) -> (Child, u16) {
    let mut child = command
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect(
        "start the server (cargo build --release -p tether-benches --bins; npm ci in interop/node)",
    );
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let line = lines.next_line().await.expect("read").expect("a line");
    let port = line
        .strip_prefix("listening ")
        .and_then(|p| p.trim().parse().ok())
        .expect("listening <port>");
    (child, port)
}

/// An Engine.IO v4 WebSocket session at `ws://127.0.0.1:<port><path>`
/// (`/engine.io/`, `/socket.io/`), after its open packet.
pub async fn engine_ws(port: u16, path: &str) -> Ws {
    let url = format!("ws://127.0.0.1:{port}{path}?EIO=4&transport=websocket");
    let (mut ws, _) = tether_ws::connect(&url).await.expect("WebSocket handshake");
    match ws.next().await {
        Some(Ok(Message::Text(t))) if t.starts_with('0') => {}
        other => panic!("no open packet: {other:?}"),
    }
    ws
}

/// Runs `open(i)` for `i` in `0..n`, `batch` at a time (each batch
/// concurrently, as spawned tasks), and returns the results in order.
pub async fn batched<T, F, Fut>(n: usize, batch: usize, open: F) -> Vec<T>
where
    T: Send + 'static,
    F: Fn(usize) -> Fut,
    Fut: Future<Output = T> + Send + 'static,
{
    let mut done = Vec::with_capacity(n);
    let mut pending = Vec::with_capacity(batch);
    for i in 0..n {
        pending.push(tokio::spawn(open(i)));
        if pending.len() == batch.max(1) || i + 1 == n {
            for p in pending.drain(..) {
                done.push(p.await.expect("open task"));
            }
        }
    }
    done
}

/// The median (the upper one of an even count); 0 for none.
pub fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v.get(v.len() / 2).copied().unwrap_or(0.0)
}
