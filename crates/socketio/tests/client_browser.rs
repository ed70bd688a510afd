//! tether's browser client (web/dist/socket.io.min.js, read from disk) in
//! headless Chromium (Debian's, installed by scripts/interop-setup.sh),
//! driven by interop/browser/client_test.html against two servers:
//!
//! - tether in process: the handlers of tests/server_app, mounted with
//!   their tower layers on the axum router that serves the page (same
//!   origin), a second server with connection state recovery under
//!   /recovery.io/;
//! - Node socket.io 4.8 (interop/node/sio_client_target.mjs: the same
//!   handlers, /socket.io/ and /recovery.io/ on one port, CORS for the
//!   page's origin), the page on the test's router on another port.
//!
//! Both with a 1 s ping interval and a 2 s ping timeout. The page runs
//! every scenario (each transport and the upgrade, text and binary events
//! and acks, ack timeouts, the server's questions, namespaces on one
//! Manager, auth, buffering and volatile, reconnection after the server
//! drops the transport, recovery of missed events, ping timeout, transport
//! error, parse error, connect timeout, reconnect_failed), posts each check
//! to /log and a summary to /done; the test asserts that nothing failed.
#![cfg(feature = "server")]

mod server_app;

use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::response::Html;
use axum::routing::{get, post};
use axum::Router;
use tether_engineio::server::EngineConfig;
use tether_engineio::session::SessionConfig;
use tether_socketio::server::{RecoveryConfig, SocketIoConfig};
use tokio::io::{AsyncBufReadExt, BufReader};

/// One Chromium at a time: the machine has two cores.
static CHROMIUM: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Headless Chromium on a fresh profile; on drop it is killed and waited
/// for before its profile directory is removed (also when an assertion
/// failed).
struct Browser {
    child: std::process::Child,
    profile: std::path::PathBuf,
}

impl Browser {
    fn open(name: &str, url: &str) -> Browser {
        let profile = std::env::temp_dir().join(format!(
            "tether-client-chromium-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&profile);
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

#[derive(Clone)]
struct Page {
    log: Arc<Mutex<Vec<String>>>,
    done: Arc<Mutex<Option<tokio::sync::oneshot::Sender<String>>>>,
}

fn root() -> std::path::PathBuf {
    server_app::repo_root()
}

/// The page, the client bundle (from disk, as built), /log and /done.
fn page_router() -> (Router, Page, tokio::sync::oneshot::Receiver<String>) {
    let (tx, rx) = tokio::sync::oneshot::channel();
    let page = Page {
        log: Arc::new(Mutex::new(Vec::new())),
        done: Arc::new(Mutex::new(Some(tx))),
    };
    let router = Router::new()
        .route(
            "/",
            get(|| async {
                Html(
                    std::fs::read_to_string(root().join("interop/browser/client_test.html"))
                        .unwrap(),
                )
            }),
        )
        .route(
            "/socket.io.min.js",
            get(|| async {
                let js = std::fs::read(root().join("web/dist/socket.io.min.js"))
                    .expect("web/dist/socket.io.min.js: run node web/build.mjs");
                ([("content-type", "text/javascript")], js)
            }),
        )
        .route(
            "/socket.io.js",
            get(|| async {
                let js = std::fs::read(root().join("web/dist/socket.io.js"))
                    .expect("web/dist/socket.io.js: run node web/build.mjs");
                ([("content-type", "text/javascript")], js)
            }),
        )
        .route(
            "/log",
            post(|State(page): State<Page>, line: String| async move {
                eprintln!("page: {line}");
                page.log.lock().unwrap().push(line);
            }),
        )
        .route(
            "/done",
            post(|State(page): State<Page>, summary: String| async move {
                if let Some(tx) = page.done.lock().unwrap().take() {
                    let _ = tx.send(summary);
                }
            }),
        )
        .with_state(page.clone());
    (router, page, rx)
}

fn heartbeat(path: &str) -> EngineConfig {
    EngineConfig::default().with_path(path).with_session(
        SessionConfig::default()
            .with_ping_interval(Duration::from_secs(1))
            .with_ping_timeout(Duration::from_secs(2)),
    )
}

/// Opens the page in Chromium and waits for its summary; asserts that no
/// check failed and that every scenario ran. The page's lines.
async fn run_page(
    name: &str,
    url: &str,
    page: &Page,
    done: tokio::sync::oneshot::Receiver<String>,
) -> String {
    let _browser = Browser::open(name, url);
    let summary = tokio::time::timeout(Duration::from_secs(240), done)
        .await
        .unwrap_or_else(|_| {
            panic!(
                "the page did not finish in 240 s:\n{}",
                page.log.lock().unwrap().join("\n")
            )
        })
        .unwrap();
    let summary: serde_json::Value = serde_json::from_str(&summary).unwrap();
    // The summary's lines: the /log posts may still be on their way.
    let lines: Vec<&str> = summary["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l.as_str())
        .collect();
    let log = lines.join("\n");
    assert_eq!(summary["failures"], serde_json::json!([]), "{log}");
    let checks = summary["checks"].as_u64().unwrap();
    assert!(checks >= 100, "only {checks} checks:\n{log}");
    for line in [
        "ok upgrade: upgraded to websocket (engine upgrade event)",
        "ok websocket: stays on websocket",
        "ok polling: five 300 kB events batched under maxPayload, all acked",
        "ok polling: nested binary (a Uint8Array view at an offset and a nested Int16Array) back",
        "ok namespaces: connect_error with message and data",
        "ok buffering: the buffered event went, the volatile one did not",
        "ok reconnection (websocket): the server dropped the transport: \"transport close\"",
        "ok reconnection (polling): the buffered emit was sent on reconnect",
        "ok recovery (websocket): missed events replayed once, in order (0,1,2,3,4,5,6,7)",
        "ok recovery (upgrade): recovered with the same id",
        "ok failures: no ping within pingInterval + pingTimeout: \"ping timeout\"",
        "ok failures: a failed polling request: \"transport error\"",
        "ok failures: a packet that does not parse: \"parse error\"",
        "ok failures: connect timeout: connect_error \"timeout\"",
        "ok module: the readable bundle works",
    ] {
        assert!(log.contains(line), "{line}:\n{log}");
    }
    log
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_client_against_tether() {
    let _one = CHROMIUM.lock().await;
    let (main, _log) =
        server_app::build(SocketIoConfig::default().with_engine(heartbeat("/socket.io/")));
    let (recovery, _rlog) = server_app::build(
        SocketIoConfig::default()
            .with_engine(heartbeat("/recovery.io/"))
            .with_recovery(RecoveryConfig::default()),
    );
    let (router, page, done) = page_router();
    // The peer's address where the server looks for it (the handshake's
    // address): a SocketAddr in the request's extensions.
    let router =
        router
            .layer(main.layer())
            .layer(recovery.layer())
            .layer(axum::middleware::map_request(
                |mut req: Request| async move {
                    if let Some(ConnectInfo(addr)) =
                        req.extensions().get::<ConnectInfo<SocketAddr>>().copied()
                    {
                        req.extensions_mut().insert(addr);
                    }
                    req
                },
            ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let service = router.into_make_service_with_connect_info::<SocketAddr>();
        let _ = axum::serve(listener, service).await;
    });
    let log = run_page(
        "tether",
        &format!("http://127.0.0.1:{port}/?target=tether"),
        &page,
        done,
    )
    .await;
    for line in [
        "ok namespaces: io(\"/\") relative to the page",
        "ok namespaces: io(\"/admin\") relative to the page",
    ] {
        assert!(log.contains(line), "{line}:\n{log}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_client_against_node_socket_io() {
    let _one = CHROMIUM.lock().await;
    let node_dir = root().join("interop/node");
    assert!(
        node_dir.join("node_modules/socket.io").exists(),
        "interop/node/node_modules is missing: run scripts/interop-setup.sh"
    );
    let (router, page, done) = page_router();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    // stdin piped: the server exits when it closes (the child is dropped).
    let mut server = tokio::process::Command::new("node")
        .arg(node_dir.join("sio_client_target.mjs"))
        .arg(format!("http://127.0.0.1:{port}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .expect("run node");
    let mut out = BufReader::new(server.stdout.take().unwrap());
    let mut first = String::new();
    tokio::time::timeout(Duration::from_secs(30), out.read_line(&mut first))
        .await
        .expect("the Node server did not start in 30 s")
        .unwrap();
    let node_port: u16 = first
        .strip_prefix("port ")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or_else(|| panic!("the Node server said {first:?}"));
    run_page(
        "node",
        &format!("http://127.0.0.1:{port}/?target=node&base=http://127.0.0.1:{node_port}"),
        &page,
        done,
    )
    .await;
    let _ = server.kill().await;
}
