//! Headless Chromium's `WebSocket` (which always offers
//! `permessage-deflate; client_max_window_bits`) against a tether server
//! with compression: the page (interop/browser/deflate_test.html) echoes
//! compressible and incompressible text and binary from 0 B to 16 MiB on
//! one connection, with context takeover across messages. Chromium is
//! started as crates/socketio/tests/server_browser.rs does.

mod common;
mod deflate_common;

use std::process::Stdio;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tether_ws::{DeflateConfig, Message};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Headless Chromium on a fresh profile; on drop it is killed and waited
/// for before its profile directory is removed.
struct Browser {
    child: std::process::Child,
    profile: std::path::PathBuf,
}

impl Browser {
    fn open(url: &str) -> Browser {
        let profile =
            std::env::temp_dir().join(format!("tether-ws-deflate-chromium-{}", std::process::id()));
        std::fs::create_dir_all(&profile).expect("profile dir");
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

/// Serves `html` to every HTTP request on `l`.
fn serve_page(l: TcpListener, html: &'static str) {
    tokio::spawn(async move {
        loop {
            let Ok((mut tcp, _)) = l.accept().await else {
                return;
            };
            tokio::spawn(async move {
                let mut buf = vec![0u8; 8192];
                let mut got = Vec::new();
                while !got.windows(4).any(|w| w == b"\r\n\r\n") {
                    match tcp.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => got.extend_from_slice(&buf[..n]),
                    }
                }
                let (status, body) = if got.starts_with(b"GET /favicon") {
                    ("404 Not Found", "")
                } else {
                    ("200 OK", html)
                };
                let answer = format!(
                    "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\n\
                     Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = tcp.write_all(answer.as_bytes()).await;
            });
        }
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_echoes_compressed_through_a_tether_server() {
    let ws_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let ws_port = ws_listener.local_addr().expect("addr").port();
    let server = tokio::spawn(async move {
        let (tcp, _) = ws_listener.accept().await.expect("accept");
        let config = deflate_common::config(DeflateConfig::enabled(), None);
        let mut ws = tether_ws::accept_with_config(tcp, config)
            .await
            .expect("handshake");
        let params = ws.deflate().cloned();
        let (mut extensions, mut report, mut close) = (None, None, None);
        while let Some(m) = ws.next().await {
            match m.expect("valid") {
                Message::Text(t) if t.starts_with("extensions:") => {
                    extensions = Some(t.to_string())
                }
                Message::Text(t) if t.starts_with("report:") => report = Some(t.to_string()),
                m @ (Message::Text(_) | Message::Binary(_)) => ws.send(m).await.expect("echo"),
                Message::Close(c) => close = c.map(|c| u16::from(c.code)),
                _ => {}
            }
        }
        (params, extensions, report, close)
    });
    let page = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let page_port = page.local_addr().expect("addr").port();
    serve_page(
        page,
        include_str!("../../../interop/browser/deflate_test.html"),
    );
    let _browser = Browser::open(&format!("http://127.0.0.1:{page_port}/?port={ws_port}"));
    let (params, extensions, report, close) =
        tokio::time::timeout(Duration::from_secs(180), server)
            .await
            .expect("the browser did not finish in 180 s")
            .expect("server");
    let params = params.expect("negotiated");
    assert!(!params.server_no_context_takeover && !params.client_no_context_takeover);
    assert_eq!(extensions.as_deref(), Some("extensions:permessage-deflate"));
    assert_eq!(report.as_deref(), Some(r#"report:{"failures":[]}"#));
    assert_eq!(close, Some(4003));
}
