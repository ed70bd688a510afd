//! Shared by the server tests: an in-process `EngineServer` with a small
//! application, and the interop peers' runners.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tether_engineio::server::{EngineConfig, EngineServer};
use tether_engineio::session::SessionConfig;
use tether_engineio::MessageData;
use tokio::process::Command;

pub(crate) fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// What the server does with each session.
#[derive(Clone, Copy, Debug)]
pub(crate) enum App {
    /// Echoes every message.
    Echo,
    /// Echoes; on "bye" answers "farewell" and closes the session.
    CloseOnBye,
}

pub(crate) struct Server {
    pub(crate) port: u16,
    pub(crate) engine: EngineServer,
    reasons: Arc<Mutex<Vec<String>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// The close reasons of the sessions that closed, waiting up to 5 s for
    /// at least one.
    pub(crate) async fn closed_reasons(&self) -> Vec<String> {
        for _ in 0..100 {
            let r = self.reasons.lock().unwrap().clone();
            if !r.is_empty() {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Vec::new()
    }

    /// The sessions still open once they have all closed, or after
    /// `within`, whichever comes first.
    pub(crate) async fn sessions_left(&self, within: Duration) -> usize {
        let deadline = tokio::time::Instant::now() + within;
        while self.engine.session_count() > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.engine.session_count()
    }
}

/// A heartbeat of 200 ms with a 300 ms timeout, for tests that wait for it.
pub(crate) fn short_heartbeat() -> SessionConfig {
    SessionConfig::default()
        .with_ping_interval(Duration::from_millis(200))
        .with_ping_timeout(Duration::from_millis(300))
}

impl Drop for Server {
    fn drop(&mut self) {
        self.task.abort();
    }
}

pub(crate) async fn start(app: App, session: SessionConfig) -> Server {
    start_with(app, EngineConfig::default().with_session(session)).await
}

pub(crate) async fn start_with(app: App, config: EngineConfig) -> Server {
    let (engine, mut incoming) = EngineServer::new(config);
    let reasons = Arc::new(Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let r = reasons.clone();
    tokio::spawn(async move {
        while let Some(mut socket) = incoming.accept().await {
            let r = r.clone();
            tokio::spawn(async move {
                while let Some(message) = socket.recv().await {
                    let bye = matches!(&message, MessageData::Text(t) if t == "bye");
                    if bye && matches!(app, App::CloseOnBye) {
                        let _ = socket.send("farewell").await;
                        socket.close();
                        continue;
                    }
                    if socket.send(message).await.is_err() {
                        break;
                    }
                }
                let reason = socket.closed().await;
                r.lock().unwrap().push(reason.to_string());
            });
        }
    });
    let serving = engine.clone();
    let task = tokio::spawn(async move {
        let _ = serving.serve(listener).await;
    });
    Server {
        port,
        engine,
        reasons,
        task,
    }
}

/// Runs interop/node/eio_server_check.mjs; its stdout, after checking it
/// exited 0.
pub(crate) async fn node(port: u16, args: &[&str]) -> String {
    let dir = repo_root().join("interop/node");
    assert!(
        dir.join("node_modules/engine.io-client").exists(),
        "interop/node/node_modules is missing: run scripts/interop-setup.sh (scripts/test.sh does)"
    );
    let output = tokio::time::timeout(
        Duration::from_secs(90),
        Command::new("node")
            .arg(dir.join("eio_server_check.mjs"))
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
        "engine.io-client {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}

/// Runs interop/python/eio_client.py with the venv's python; its stdout,
/// after checking it exited 0.
pub(crate) async fn python(port: u16, args: &[&str]) -> String {
    python_script("eio_client.py", port, args).await
}

/// Runs interop/python/eio_client_more.py, as [`python`].
pub(crate) async fn python_more(port: u16, args: &[&str]) -> String {
    python_script("eio_client_more.py", port, args).await
}

async fn python_script(script: &str, port: u16, args: &[&str]) -> String {
    let root = repo_root().join("interop/python");
    let py = root.join(".venv/bin/python");
    assert!(
        py.exists(),
        "interop/python/.venv is missing: run scripts/interop-setup.sh"
    );
    let output = tokio::time::timeout(
        Duration::from_secs(90),
        Command::new(py)
            .arg(root.join(script))
            .arg(port.to_string())
            .args(args)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("python client timed out")
    .expect("run python");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "python-engineio {args:?} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout
}
