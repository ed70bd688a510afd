//! The in-process Socket.IO server the interop tests drive: the handlers
//! interop/node/sio_server_check.mjs and interop/python/sio_client.py call,
//! and the runners of those peers.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use tether_engineio::server::EngineServer;
use tether_socketio::server::{ConnectError, Socket, SocketIo, SocketIoConfig};
use tokio::process::Command;

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

pub(crate) struct App {
    pub(crate) port: u16,
    pub(crate) io: SocketIo,
    pub(crate) log: Arc<Mutex<Vec<String>>>,
}

#[derive(Serialize, Deserialize)]
struct Nested {
    inner: Bytes,
    n: u32,
}

/// How many events the catch-all handler saw, per socket.
#[derive(Clone, Copy, Default)]
struct AnyCount(u32);

fn main_handlers(socket: &Socket, log: &Arc<Mutex<Vec<String>>>, engine: &EngineServer) {
    socket.on_any(|socket, _event| async move {
        let n = socket.extensions().get::<AnyCount>().unwrap_or_default().0;
        socket.extensions().insert(AnyCount(n + 1));
    });
    socket.on("any_count", |socket, event| async move {
        let n = socket.extensions().get::<AnyCount>().unwrap_or_default().0;
        let _ = event.ack(&(n,));
    });
    socket.on("echo", |socket, event| async move {
        let Ok(args) = event.args::<Vec<Value>>() else {
            return;
        };
        if event.wants_ack() {
            let _ = event.ack(&args);
        } else {
            let _ = socket.emit("echo", &args);
        }
    });
    socket.on("bin", |_socket, event| async move {
        let Ok((data, nested)) = event.args::<(Bytes, Nested)>() else {
            return;
        };
        let reversed: Vec<u8> = data.iter().rev().copied().collect();
        let _ = event.ack(&(json_with_bytes(
            data.len() + nested.inner.len(),
            reversed,
            nested,
        ),));
    });
    socket.on("ask_client", |socket, event| async move {
        let Ok((ms,)) = event.args::<(u64,)>() else {
            return;
        };
        let answer = socket
            .timeout(Duration::from_millis(ms))
            .emit_with_ack::<_, (String,)>("question", &("life",))
            .await;
        let text = match answer {
            Ok((a,)) => a,
            Err(_) => "timeout".to_owned(),
        };
        let _ = event.ack(&(text,));
    });
    socket.on("handshake", |socket, event| async move {
        let hs = socket.handshake();
        let token = hs
            .auth::<Value>()
            .ok()
            .flatten()
            .and_then(|a| a.get("token").cloned());
        let _ = event.ack(&(json!({
            "foo": hs.query_param("foo"),
            "token": token,
            "address": hs.address().map(|a| a.ip().to_string()),
            "xdomain": hs.xdomain(),
            "url": hs.url(),
            "issued": hs.issued(),
            "time": hs.time(),
        }),));
    });
    socket.on("kick", |socket, _event| async move {
        socket.disconnect();
    });
    socket.on("join", |socket, event| async move {
        let Ok((room,)) = event.args::<(String,)>() else {
            return;
        };
        socket.join(room);
        let rooms: Vec<String> = socket.rooms().iter().map(|r| r.to_string()).collect();
        let _ = event.ack(&(rooms,));
    });
    socket.on("leave", |socket, event| async move {
        let Ok((room,)) = event.args::<(String,)>() else {
            return;
        };
        socket.leave(room);
        let _ = event.ack(&());
    });
    socket.on("to_room", |socket, event| async move {
        let Ok((room, text)) = event.args::<(String, String)>() else {
            return;
        };
        let _ = socket.to(room).emit("room_msg", &(text, socket.id()));
        let _ = event.ack(&());
    });
    socket.on("except_room", |socket, event| async move {
        let Ok((room, text)) = event.args::<(String, String)>() else {
            return;
        };
        let _ = socket.ns().except(room).emit("except_msg", &(text,));
        let _ = event.ack(&());
    });
    socket.on("ask_room", |socket, event| async move {
        let Ok((room, ms)) = event.args::<(String, u64)>() else {
            return;
        };
        let result = socket
            .ns()
            .to(room)
            .timeout(Duration::from_millis(ms))
            .emit_with_ack::<_, (String,)>("question", &("q",))
            .await;
        let (replies, expected, timed_out) = match result {
            Ok(r) => {
                let n = r.len();
                (r, n, false)
            }
            Err(tether_socketio::server::BroadcastAckError::Timeout { replies, expected }) => {
                (replies, expected, true)
            }
            Err(_) => (Vec::new(), 0, true),
        };
        let texts: Vec<String> = replies.into_iter().map(|(_, (t,))| t).collect();
        let _ =
            event.ack(&(json!({"replies": texts, "expected": expected, "timed_out": timed_out}),));
    });
    socket.on("fetch", |socket, event| async move {
        let Ok((room,)) = event.args::<(String,)>() else {
            return;
        };
        let ids: Vec<String> = socket
            .ns()
            .to(room)
            .fetch_sockets()
            .await
            .iter()
            .map(|s| s.id().to_string())
            .collect();
        let _ = event.ack(&(ids,));
    });
    socket.on("volatile", |socket, event| async move {
        let Ok((n,)) = event.args::<(u32,)>() else {
            return;
        };
        for i in 0..n {
            let _ = socket.volatile().emit("vol", &(i,));
        }
        let _ = socket.emit("vol_done", &());
    });
    socket.on("tick_room", |socket, event| async move {
        let Ok((room, start, count)) = event.args::<(String, u32, u32)>() else {
            return;
        };
        for k in start..start + count {
            let _ = socket.ns().to(room.as_str()).emit("tick", &(k,));
        }
        let _ = event.ack(&());
    });
    socket.on("blast", |socket, event| async move {
        let Ok((room, count)) = event.args::<(String, u32)>() else {
            return;
        };
        for k in 0..count {
            let _ = socket
                .ns()
                .to(room.as_str())
                .emit("seq", &(room.as_str(), k));
        }
        let _ = event.ack(&());
    });
    // Drops the transport (every session of the server: EngineServer has
    // no per-session close), then sends "tick" start..start+count to the
    // room 300 ms later, while the client is away. No ack: the client is
    // gone by then. Used by the browser client's reconnection and recovery
    // scenarios (crates/socketio/tests/client_browser.rs).
    let engine = engine.clone();
    socket.on("drop", move |socket, event| {
        let engine = engine.clone();
        async move {
            let Ok((room, start, count)) = event.args::<(String, u32, u32)>() else {
                return;
            };
            engine.close_all();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(300)).await;
                for k in start..start + count {
                    let _ = socket.ns().to(room.as_str()).emit("tick", &(k,));
                }
            });
        }
    });
    let log2 = log.clone();
    socket.on("reasons", move |_socket, event| {
        let log = log2.clone();
        async move {
            let reasons = log.lock().unwrap().clone();
            let _ = event.ack(&(reasons,));
        }
    });
}

fn json_with_bytes(len: usize, reversed: Vec<u8>, nested: Nested) -> impl Serialize {
    #[derive(Serialize)]
    struct Answer {
        len: usize,
        reversed: Bytes,
        nested: Nested,
    }
    Answer {
        len,
        reversed: Bytes::from(reversed),
        nested,
    }
}

fn log_disconnects(socket: &Socket, log: &Arc<Mutex<Vec<String>>>) {
    let log = log.clone();
    socket.on_disconnect(move |socket, reason| async move {
        log.lock()
            .unwrap()
            .push(format!("{} {}", socket.namespace(), reason));
    });
}

/// Starts the server on an ephemeral port.
pub(crate) async fn start(config: SocketIoConfig) -> App {
    let (io, log) = build(config);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(io.clone().serve(listener));
    App { port, io, log }
}

/// The server with every handler, not yet serving (for a router of the
/// caller's), and the log of disconnect reasons.
pub(crate) fn build(config: SocketIoConfig) -> (SocketIo, Arc<Mutex<Vec<String>>>) {
    let io = SocketIo::new(config);
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    let engine = io.engine().clone();
    io.ns("/", move |socket| {
        let log = l.clone();
        let engine = engine.clone();
        async move {
            main_handlers(&socket, &log, &engine);
            log_disconnects(&socket, &log);
        }
    });
    let l = log.clone();
    io.ns("/admin", move |socket| {
        let log = l.clone();
        async move {
            socket.on("whoami", |socket, event| async move {
                let _ = event.ack(&(json!({"nsp": socket.namespace(), "id": socket.id()}),));
            });
            log_disconnects(&socket, &log);
        }
    })
    .middleware(|socket| async move {
        let token = socket
            .handshake()
            .auth::<Value>()
            .ok()
            .flatten()
            .and_then(|a| a.get("token").and_then(Value::as_str).map(str::to_owned));
        if token.as_deref() == Some("secret") {
            Ok(())
        } else {
            Err(ConnectError::new("not authorized").with_data(json!({"code": 42})))
        }
    });
    io.dynamic_ns(
        |name| name.starts_with("/dyn-"),
        |socket| async move {
            socket.on("where", |socket, event| async move {
                let _ = event.ack(&(socket.namespace(),));
            });
        },
    );
    (io, log)
}

/// Runs interop/node/sio_server_check.mjs; its stdout, after checking it
/// exited 0.
pub(crate) async fn node(port: u16, args: &[&str]) -> String {
    let dir = repo_root().join("interop/node");
    assert!(
        dir.join("node_modules/socket.io-client").exists(),
        "interop/node/node_modules is missing: run scripts/interop-setup.sh (scripts/test.sh does)"
    );
    let output = tokio::time::timeout(
        Duration::from_secs(120),
        Command::new("node")
            .arg(dir.join("sio_server_check.mjs"))
            .arg(port.to_string())
            .args(args)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("node client timed out")
    .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "socket.io-client {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
