//! Headless Chromium's `WebSocket` as a client of a tether server (Debian's
//! chromium, installed by `scripts/interop-setup.sh`). The page
//! (interop/browser/ws_test.html) echoes text and binary from 0 B to 16 MiB
//! and 1,000 messages in order, reports, and closes with 4003; the server
//! also pings the browser and expects its pong.

mod common;

use std::process::Stdio;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tether_ws::{HandshakeConfig, Message, MessageConfig, WebSocketConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

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

/// Starts headless Chromium on `url` with a fresh profile; killed on drop.
pub(crate) fn chromium(url: &str) -> (tokio::process::Child, tempdir::Dir) {
    let profile = tempdir::Dir::new("tether-chromium");
    let child = tokio::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path.display()))
        .arg(url)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromium is installed by scripts/interop-setup.sh");
    (child, profile)
}

mod tempdir {
    /// A directory removed on drop.
    pub(crate) struct Dir {
        pub(crate) path: std::path::PathBuf,
    }

    impl Dir {
        pub(crate) fn new(prefix: &str) -> Dir {
            let n = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos());
            let path = std::env::temp_dir().join(format!("{prefix}-{}-{n}", std::process::id()));
            std::fs::create_dir_all(&path).expect("temp dir");
            Dir { path }
        }
    }

    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chromium_against_a_tether_server() {
    let ws_listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let ws_port = ws_listener.local_addr().expect("addr").port();
    let server = tokio::spawn(async move {
        let (tcp, _) = ws_listener.accept().await.expect("accept");
        let config = WebSocketConfig::default()
            .with_message_config(MessageConfig::default().with_max_message_size(64 << 20))
            .with_handshake_config(HandshakeConfig::default().with_protocols(["chat.v1"]));
        let mut ws = tether_ws::accept_with_config(tcp, config)
            .await
            .expect("handshake");
        let protocol = ws.protocol().map(str::to_owned);
        ws.send(Message::Ping("server ping".into()))
            .await
            .expect("ping");
        let (mut report, mut pong, mut close) = (None, false, None);
        while let Some(m) = ws.next().await {
            match m.expect("valid") {
                Message::Text(t) if t.starts_with("report:") => report = Some(t.to_string()),
                m @ (Message::Text(_) | Message::Binary(_)) => ws.send(m).await.expect("echo"),
                Message::Pong(p) => pong = &p[..] == b"server ping",
                Message::Close(c) => close = c.map(|c| (u16::from(c.code), c.reason.to_string())),
                Message::Ping(_) => {}
            }
        }
        (protocol, report, pong, close)
    });
    let page = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let page_port = page.local_addr().expect("addr").port();
    serve_page(page, include_str!("../../../interop/browser/ws_test.html"));
    let (_browser, _profile) = chromium(&format!("http://127.0.0.1:{page_port}/?port={ws_port}"));
    let (protocol, report, pong, close) = tokio::time::timeout(Duration::from_secs(90), server)
        .await
        .expect("the browser did not finish in 90 s")
        .expect("server");
    assert_eq!(protocol.as_deref(), Some("chat.v1"));
    assert_eq!(report.as_deref(), Some(r#"report:{"failures":[]}"#));
    assert!(pong, "the browser answered the ping");
    assert_eq!(close, Some((4003, "browser bye".to_owned())));
}
