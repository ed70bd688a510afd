//! What the `tether connect` and `tether load` tests share: the real
//! binary run in a pipe or driven line by line, peer servers from
//! interop/ (Python `websockets`, Node `ws` and `socket.io`) and
//! in-process tether servers (a WebSocket echo, a Socket.IO application).
//! Everything listens on 127.0.0.1; every wait is bounded.
#![allow(dead_code)]

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::Value;
use tether_socketio::server::{ConnectError, SocketIo, SocketIoConfig};
use tether_ws::Message;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, ChildStdin, ChildStdout, Command};

/// How long one step (a line to arrive, a process to end) may take.
pub(crate) const STEP: Duration = Duration::from_secs(20);

pub(crate) fn repo_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The Python of the interop venv (made by `scripts/interop-setup.sh`).
pub(crate) fn python() -> std::path::PathBuf {
    let p = repo_root().join("interop/python/.venv/bin/python");
    assert!(
        p.exists(),
        "{} is missing: run scripts/interop-setup.sh (scripts/test.sh does)",
        p.display()
    );
    p
}

/// A script of interop/node, checking its modules are installed.
pub(crate) fn node_script(name: &str) -> std::path::PathBuf {
    let dir = repo_root().join("interop/node");
    assert!(
        dir.join("node_modules/socket.io").exists() && dir.join("node_modules/ws").exists(),
        "interop/node/node_modules is missing: run scripts/interop-setup.sh (scripts/test.sh does)"
    );
    dir.join(name)
}

/// A peer server process (killed on drop) and its port.
pub(crate) struct Peer {
    _child: Child,
    /// Kept open: the Node servers exit when their stdin closes.
    _stdin: Option<ChildStdin>,
    pub(crate) port: u16,
}

/// Starts `command` and waits (at most [`STEP`]) for a stdout line
/// `<prefix><port>`.
pub(crate) async fn spawn_peer(mut command: Command, prefix: &str) -> Peer {
    command
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true);
    let mut child = command.spawn().expect("spawn the peer server");
    let stdin = child.stdin.take();
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let port = tokio::time::timeout(STEP, async {
        for _ in 0..100 {
            let Some(line) = lines.next_line().await.expect("read") else {
                break;
            };
            if let Some(port) = line.strip_prefix(prefix) {
                return port.trim().parse::<u16>().expect("a port");
            }
        }
        panic!("the peer server exited before listening");
    })
    .await
    .expect("the peer server did not start in time");
    // Drain the rest of stdout so the server never blocks on it.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Peer {
        _child: child,
        _stdin: stdin,
        port,
    }
}

/// interop/python/ws_server.py: echoes; `close:<code>:<reason>` closes;
/// only accepts the subprotocol `chat.v1`.
pub(crate) async fn python_ws_echo() -> Peer {
    let mut c = Command::new(python());
    c.arg(repo_root().join("interop/python/ws_server.py"));
    spawn_peer(c, "listening ").await
}

/// interop/node/ws_server.mjs (Node `ws`): echoes; `close:<code>:<reason>`
/// closes.
pub(crate) async fn node_ws_echo() -> Peer {
    let mut c = Command::new("node");
    c.arg(node_script("ws_server.mjs"));
    spawn_peer(c, "listening ").await
}

/// interop/node/sio_server.mjs (Node `socket.io` 4.8): see its header.
pub(crate) async fn node_sio() -> Peer {
    let mut c = Command::new("node");
    c.arg(node_script("sio_server.mjs"));
    spawn_peer(c, "PORT ").await
}

/// `tether serve` (the demo: a WebSocket echo at /ws, the Socket.IO chat
/// with `join` and `chat` at /), on a free port.
pub(crate) async fn tether_serve() -> Peer {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tether"));
    c.args(["serve", "--addr", "127.0.0.1:0"])
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "warn");
    spawn_peer(c, "listening http://127.0.0.1:").await
}

/// What the in-process WebSocket echo server saw close each connection.
pub(crate) type Closes = Arc<Mutex<Vec<Option<u16>>>>;

/// An in-process tether-ws echo server (text and binary echoed); records
/// the close code of each Close it receives.
pub(crate) async fn tether_ws_echo() -> (u16, Closes) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    let closes: Closes = Arc::default();
    let seen = closes.clone();
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let Ok(mut ws) = tether_ws::accept(tcp).await else {
                    return;
                };
                while let Some(Ok(m)) = ws.next().await {
                    let echo = match m {
                        Message::Text(_) | Message::Binary(_) => m,
                        Message::Close(frame) => {
                            seen.lock().unwrap().push(frame.map(|f| u16::from(f.code)));
                            continue;
                        }
                        _ => continue,
                    };
                    if ws.send(echo).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    (port, closes)
}

/// An in-process tether Socket.IO server:
///
/// Namespace `/`:
/// * on connection emits `welcome` `{sid}`;
/// * `echo`: acks with its arguments, or emits `echo` back with them;
/// * `join` (room): joins, acks `true`;
/// * `chat` (room, text): `chat` (sender id, text) to the room's others,
///   acks `"delivered"`;
/// * `bytes`: emits `bytes` with the bytes 0..=255 and a string;
/// * `silent`: nothing (an ack never comes);
/// * `bye`: the server disconnects the socket.
///
/// Namespace `/admin`: auth `{"token":"secret"}` or CONNECT_ERROR
/// `not authorized` with data `{"code":401}`; `echo` as on `/`.
pub(crate) async fn tether_sio() -> u16 {
    let io = SocketIo::new(SocketIoConfig::default());
    io.ns("/", |socket| async move {
        let _ = socket.emit(
            "welcome",
            &(serde_json::json!({ "sid": socket.id().as_str() }),),
        );
        socket.on("echo", |socket, event| async move {
            let args: Vec<Value> = event.args().unwrap_or_default();
            if event.wants_ack() {
                let _ = event.ack(&args);
            } else {
                let _ = socket.emit("echo", &args);
            }
        });
        socket.on("join", |socket, event| async move {
            if let Ok((room,)) = event.args::<(String,)>() {
                socket.join(room.as_str());
                let _ = event.ack(&(true,));
            }
        });
        socket.on("chat", |socket, event| async move {
            let Ok((room, text)) = event.args::<(String, String)>() else {
                return;
            };
            let _ = socket
                .to(room.as_str())
                .emit("chat", &(socket.id().as_str(), &text));
            let _ = event.ack(&("delivered",));
        });
        socket.on("bytes", |socket, _event| async move {
            let data: Vec<u8> = (0..=255).collect();
            let _ = socket.emit("bytes", &(bytes::Bytes::from(data), "after"));
        });
        socket.on("silent", |_socket, _event| async move {});
        socket.on("bye", |socket, _event| async move {
            socket.disconnect();
        });
    });
    io.ns("/admin", |socket| async move {
        socket.on("echo", |_socket, event| async move {
            let args: Vec<Value> = event.args().unwrap_or_default();
            let _ = event.ack(&args);
        });
    })
    .middleware(|socket| async move {
        let auth = socket.handshake().auth::<Value>().ok().flatten();
        match auth
            .as_ref()
            .and_then(|a| a.get("token"))
            .and_then(Value::as_str)
        {
            Some("secret") => Ok(()),
            _ => {
                Err(ConnectError::new("not authorized")
                    .with_data(serde_json::json!({ "code": 401 })))
            }
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let port = listener.local_addr().expect("addr").port();
    tokio::spawn(io.serve(listener));
    port
}

/// The output of a finished `tether` run.
#[derive(Debug)]
pub(crate) struct Output {
    pub(crate) status: std::process::ExitStatus,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Output {
    /// Stdout's lines parsed as JSON (panics on one that is not).
    pub(crate) fn json_lines(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{l:?}: {e}\n{self:?}")))
            .collect()
    }
}

fn tether(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_tether"));
    c.args(args)
        .env("NO_COLOR", "1")
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    c
}

/// Runs `tether ARGS` with `input` on stdin (then closed), to its end
/// (at most `secs` seconds).
pub(crate) async fn run(args: &[&str], input: &str, secs: u64) -> Output {
    let mut child = tether(args).spawn().expect("run the tether binary");
    let mut stdin = child.stdin.take().expect("stdin");
    let input = input.to_owned();
    let writer = tokio::spawn(async move {
        let _ = stdin.write_all(input.as_bytes()).await;
        // Dropped: end of stdin.
    });
    let out = tokio::time::timeout(Duration::from_secs(secs), child.wait_with_output())
        .await
        .unwrap_or_else(|_| panic!("tether {args:?} did not end within {secs} s"))
        .expect("wait");
    let _ = writer.await;
    Output {
        status: out.status,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `tether ARGS` driven line by line.
pub(crate) struct Session {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: tokio::io::Lines<BufReader<ChildStdout>>,
}

impl Session {
    pub(crate) fn start(args: &[&str]) -> Session {
        let mut child = tether(args).spawn().expect("run the tether binary");
        let stdin = child.stdin.take();
        let stdout = BufReader::new(child.stdout.take().expect("stdout")).lines();
        Session {
            child,
            stdin,
            stdout,
        }
    }

    /// Writes one line to its stdin.
    pub(crate) async fn send(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin open");
        stdin
            .write_all(format!("{line}\n").as_bytes())
            .await
            .expect("write to tether");
        stdin.flush().await.expect("flush");
    }

    /// The next line of its stdout (within [`STEP`]); `None` at its end.
    pub(crate) async fn line(&mut self) -> Option<String> {
        tokio::time::timeout(STEP, self.stdout.next_line())
            .await
            .expect("a line from tether in time")
            .expect("read")
    }

    /// The next line as JSON.
    pub(crate) async fn json(&mut self) -> Value {
        let line = self.line().await.expect("a line, not the end");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("{line:?}: {e}"))
    }

    /// Closes its stdin.
    pub(crate) fn close_stdin(&mut self) {
        self.stdin = None;
    }

    /// Closes stdin and waits (within [`STEP`]) for the end: the rest of
    /// stdout, stderr and the exit status.
    pub(crate) async fn finish(mut self) -> Output {
        self.stdin = None;
        self.wait_end().await
    }

    /// Waits (within [`STEP`]) for the end with stdin still open (until
    /// stdout ends).
    pub(crate) async fn wait_end(mut self) -> Output {
        let mut stdout = String::new();
        while let Some(line) = self.line().await {
            stdout.push_str(&line);
            stdout.push('\n');
        }
        let mut stderr = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            let _ = tokio::time::timeout(STEP, e.read_to_string(&mut stderr)).await;
        }
        let status = tokio::time::timeout(STEP, self.child.wait())
            .await
            .expect("tether ended in time")
            .expect("wait");
        Output {
            status,
            stdout,
            stderr,
        }
    }
}
