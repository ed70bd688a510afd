//! Headless Chromium (Debian's, installed by scripts/interop-setup.sh) with
//! the official socket.io-client browser bundle against a `SocketIo` server
//! mounted with its tower layer on an axum router that serves the page
//! (interop/browser/sio_test.html) and the bundle on the same origin, with
//! Node's socket.io-client (interop/node/sio_room_peer.mjs) as a second
//! participant in the page's rooms. On a polling-only connection, then on
//! one upgraded to WebSocket, the page joins a room, shouts in it with
//! bytes, gets the server's ack (with bytes and the transport the server
//! saw) and the peer's broadcast answer (with bytes), and reports.
#![cfg(feature = "server")]

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::response::Html;
use axum::routing::get;
use axum::Router;
use bytes::Bytes;
use serde::Serialize;
use tether_socketio::server::{SocketIo, SocketIoConfig};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, BufReader};

/// Headless Chromium on a fresh profile; on drop it is killed and waited
/// for before its profile directory is removed, so nothing writes there
/// any more (also when an assertion failed).
struct Browser {
    child: std::process::Child,
    profile: std::path::PathBuf,
}

impl Browser {
    fn open(url: &str) -> Browser {
        let profile =
            std::env::temp_dir().join(format!("tether-sio-chromium-{}", std::process::id()));
        std::fs::create_dir_all(&profile).unwrap();
        let child = std::process::Command::new("chromium")
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ])
            .arg(format!("--user-data-dir={}", profile.display()))
            .arg(url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromium is installed by scripts/interop-setup.sh");
        Browser { child, profile }
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// The page's report and the transport its socket was on when it came.
type Report = (String, String);

#[derive(Serialize)]
struct ShoutAck {
    len: usize,
    reversed: Bytes,
    transport: String,
}

/// "join" acks the socket's rooms; "shout" (room, text, bytes) broadcasts
/// "news" (room, text, bytes, from) to the room but the sender and acks
/// the lengths, the bytes reversed and the sender's transport; "report"
/// hands the page's report to the test.
fn app(report: Arc<Mutex<Option<tokio::sync::oneshot::Sender<Report>>>>) -> SocketIo {
    let io = SocketIo::new(SocketIoConfig::default());
    io.ns("/", move |socket| {
        let report = report.clone();
        async move {
            socket.on("join", |socket, event| async move {
                let Ok((room,)) = event.args::<(String,)>() else {
                    return;
                };
                socket.join(room);
                let rooms: Vec<String> = socket.rooms().iter().map(|r| r.to_string()).collect();
                let _ = event.ack(&(rooms,));
            });
            socket.on("shout", |socket, event| async move {
                let Ok((room, text, data)) = event.args::<(String, String, Bytes)>() else {
                    return;
                };
                let reversed: Vec<u8> = data.iter().rev().copied().collect();
                let _ = socket
                    .to(room.as_str())
                    .emit("news", &(room.as_str(), text.as_str(), &data, socket.id()));
                let _ = event.ack(&(ShoutAck {
                    len: text.len() + data.len(),
                    reversed: Bytes::from(reversed),
                    transport: socket.transport().to_string(),
                },));
            });
            socket.on("report", move |socket, event| {
                let report = report.clone();
                async move {
                    let Ok((text,)) = event.args::<(String,)>() else {
                        return;
                    };
                    if let Some(tx) = report.lock().unwrap().take() {
                        let _ = tx.send((text, socket.transport().to_string()));
                    }
                }
            });
        }
    });
    io
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_on_polling_then_upgraded_with_a_node_peer_in_its_rooms() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bundle = std::fs::read_to_string(
        root.join("interop/node/node_modules/socket.io-client/dist/socket.io.min.js"),
    )
    .expect("socket.io-client's bundle: run scripts/interop-setup.sh");
    let (report_tx, report_rx) = tokio::sync::oneshot::channel::<Report>();
    let io = app(Arc::new(Mutex::new(Some(report_tx))));
    let router = Router::new()
        .route(
            "/",
            get(|| async { Html(include_str!("../../../interop/browser/sio_test.html")) }),
        )
        .route(
            "/client.js",
            get(move || {
                let bundle = bundle.clone();
                async move { ([("content-type", "text/javascript")], bundle) }
            }),
        )
        // In front of every route and the fallback: requests under
        // /socket.io/ go to the server.
        .layer(io.layer());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });

    // The Node peer first, in both rooms before the page shouts.
    let mut peer = tokio::process::Command::new("node")
        .arg(root.join("interop/node/sio_room_peer.mjs"))
        .arg(port.to_string())
        .args(["r-polling", "r-websocket"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("run node");
    let mut peer_out = BufReader::new(peer.stdout.take().unwrap());
    let mut first = String::new();
    tokio::time::timeout(Duration::from_secs(30), peer_out.read_line(&mut first))
        .await
        .expect("the Node peer did not join in 30 s")
        .unwrap();
    assert_eq!(first, "ok joined\n");

    let _browser = Browser::open(&format!("http://127.0.0.1:{port}/"));
    let (report, transport) = tokio::time::timeout(Duration::from_secs(60), report_rx)
        .await
        .expect("the browser did not report in 60 s")
        .unwrap();
    assert_eq!(
        report,
        concat!(
            r#"{"failures":[],"rounds":["#,
            r#"{"room":"r-polling","opened":"polling","server_saw":"polling","#,
            r#""news":"re: hello r-polling","transport":"polling"},"#,
            r#"{"room":"r-websocket","opened":"polling","server_saw":"websocket","#,
            r#""news":"re: hello r-websocket","transport":"websocket"}]}"#
        )
    );
    assert_eq!(transport, "websocket");

    let status = tokio::time::timeout(Duration::from_secs(30), peer.wait())
        .await
        .expect("the Node peer did not finish in 30 s")
        .unwrap();
    let mut rest = String::new();
    peer_out.read_to_string(&mut rest).await.unwrap();
    let mut err = String::new();
    if let Some(mut stderr) = peer.stderr.take() {
        stderr.read_to_string(&mut err).await.unwrap();
    }
    assert!(status.success(), "the Node peer failed:\n{rest}\n{err}");
    for line in [
        "ok news in r-polling from the browser (hello r-polling, 300 bytes)",
        "ok answered r-polling",
        "ok news in r-websocket from the browser (hello r-websocket, 300 bytes)",
        "ok answered r-websocket",
    ] {
        assert!(rest.contains(line), "{line}:\n{rest}");
    }
}
