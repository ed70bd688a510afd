//! Headless Chromium (Debian's, installed by scripts/interop-setup.sh) with
//! the official engine.io-client browser bundle against an `EngineServer`
//! mounted with its tower layer in front of an axum router that serves the
//! page (interop/browser/eio_test.html) and the bundle on the same origin:
//! long-polling, then the upgrade to WebSocket, text and binary echoed in
//! order on both.
#![cfg(feature = "server")]

use std::process::Stdio;
use std::time::Duration;

use axum::response::Html;
use axum::routing::get;
use axum::Router;
use tether_engineio::server::{EngineConfig, EngineServer};
use tether_engineio::MessageData;
use tower_service::Service;

/// A directory removed on drop.
struct TempDir(std::path::PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_polls_then_upgrades() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let bundle = std::fs::read_to_string(
        root.join("interop/node/node_modules/engine.io-client/dist/engine.io.js"),
    )
    .expect("engine.io-client's bundle: run scripts/interop-setup.sh");
    let (engine, mut incoming) = EngineServer::new(EngineConfig::default());
    let (report_tx, report_rx) = tokio::sync::oneshot::channel::<(String, String)>();
    tokio::spawn(async move {
        let mut report_tx = Some(report_tx);
        while let Some(mut socket) = incoming.accept().await {
            while let Some(message) = socket.recv().await {
                if let MessageData::Text(t) = &message {
                    if let Some(report) = t.strip_prefix("report:") {
                        if let Some(tx) = report_tx.take() {
                            let _ = tx.send((report.to_owned(), socket.transport().to_string()));
                        }
                        continue;
                    }
                }
                let _ = socket.send(message).await;
            }
        }
    });
    let router = Router::new()
        .route(
            "/",
            get(|| async { Html(include_str!("../../../interop/browser/eio_test.html")) }),
        )
        .route(
            "/engine.io.js",
            get(move || {
                let bundle = bundle.clone();
                async move { ([("content-type", "text/javascript")], bundle) }
            }),
        );
    let app = tower_layer::Layer::layer(&engine.layer(), router);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                return;
            };
            let app = app.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(
                    move |req: hyper::Request<hyper::body::Incoming>| {
                        let mut app = app.clone();
                        async move { app.call(req.map(axum::body::Body::new)).await }
                    },
                );
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(hyper_util::rt::TokioIo::new(stream), service)
                    .with_upgrades()
                    .await;
            });
        }
    });

    let profile =
        TempDir(std::env::temp_dir().join(format!("tether-eio-chromium-{}", std::process::id())));
    std::fs::create_dir_all(&profile.0).unwrap();
    let _browser = tokio::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.0.display()))
        .arg(format!("http://127.0.0.1:{port}/"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromium is installed by scripts/interop-setup.sh");
    let (report, transport) = tokio::time::timeout(Duration::from_secs(60), report_rx)
        .await
        .expect("the browser did not report in 60 s")
        .unwrap();
    assert_eq!(
        report,
        r#"{"failures":[],"transport":"websocket","count":10}"#
    );
    assert_eq!(transport, "websocket");
}
