//! Helpers of the tether-ws integration tests: connected pairs over TCP on
//! 127.0.0.1, and a raw client that writes frames by hand.
#![allow(dead_code)]

use std::time::Duration;

use bytes::BytesMut;
use tether_frame::{Frame, FrameCodec, FrameConfig, Role};
use tether_ws::{WebSocketConfig, WebSocketStream};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Decoder, Encoder};

/// A bound listener on 127.0.0.1 and its `ws://` base URL.
pub(crate) async fn listener() -> (TcpListener, String) {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}", l.local_addr().expect("addr"));
    (l, url)
}

/// A server and a client connected through the real handshake.
pub(crate) async fn pair(
    server_config: WebSocketConfig,
    client_config: WebSocketConfig,
) -> (
    WebSocketStream<TcpStream>,
    WebSocketStream<tether_ws::MaybeTlsStream>,
) {
    let (l, url) = listener().await;
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.expect("accept");
        tether_ws::accept_with_config(tcp, server_config)
            .await
            .expect("server handshake")
    });
    let request = tether_ws::handshake::client::ClientRequest::new(
        format!("{url}/test").parse().expect("url"),
    )
    .expect("request");
    let (client, _) = tether_ws::connect_with_config(request, client_config)
        .await
        .expect("client handshake");
    (server.await.expect("join"), client)
}

/// A handshake request for a raw client.
pub(crate) fn upgrade_request(path: &str, extra: &str) -> String {
    format!(
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
         Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n{extra}\r\n"
    )
}

/// A raw TCP client of a server under test: sends bytes, reads frames.
pub(crate) struct RawClient {
    pub(crate) tcp: TcpStream,
    pub(crate) buf: BytesMut,
    pub(crate) codec: FrameCodec,
}

impl RawClient {
    /// Connects and performs the handshake by hand; `extra` bytes (frames)
    /// go in the same write as the request.
    pub(crate) async fn connect(addr: &str, extra: &[u8]) -> RawClient {
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        let mut bytes = upgrade_request("/", "").into_bytes();
        bytes.extend_from_slice(extra);
        tcp.write_all(&bytes).await.expect("write");
        let mut raw = RawClient {
            tcp,
            buf: BytesMut::new(),
            codec: FrameCodec::with_config(
                Role::Client,
                FrameConfig::default().with_max_frame_size(64 << 20),
            ),
        };
        let head = raw.read_head().await;
        assert!(head.starts_with("HTTP/1.1 101"), "{head}");
        raw
    }

    /// Reads an HTTP head (up to the blank line); the rest stays buffered.
    pub(crate) async fn read_head(&mut self) -> String {
        loop {
            if let Some(end) = self.buf.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = self.buf.split_to(end + 4);
                return String::from_utf8(head.to_vec()).expect("ascii head");
            }
            let n = self.tcp.read_buf(&mut self.buf).await.expect("read");
            assert!(n > 0, "EOF before the end of the head");
        }
    }

    /// Writes frames as a client (masked) would.
    pub(crate) async fn send(&mut self, frames: &[Frame]) {
        let mut out = BytesMut::new();
        for f in frames {
            FrameCodec::encode_with_mask(f, Some([1, 2, 3, 4]), &mut out).expect("frame");
        }
        self.tcp.write_all(&out).await.expect("write");
    }

    /// Writes raw bytes.
    pub(crate) async fn send_raw(&mut self, bytes: &[u8]) {
        self.tcp.write_all(bytes).await.expect("write");
    }

    /// The next frame, or `None` at EOF (within 5 s).
    pub(crate) async fn next(&mut self) -> Option<Frame> {
        tokio::time::timeout(Duration::from_secs(5), async {
            loop {
                if let Some(f) = self.codec.decode(&mut self.buf).expect("valid frame") {
                    return Some(f);
                }
                if self.tcp.read_buf(&mut self.buf).await.expect("read") == 0 {
                    return None;
                }
            }
        })
        .await
        .expect("timed out waiting for a frame")
    }

    /// Reads until EOF (within 5 s); returns the frames seen.
    pub(crate) async fn until_eof(&mut self) -> Vec<Frame> {
        let mut frames = Vec::new();
        while let Some(f) = self.next().await {
            frames.push(f);
        }
        frames
    }
}

/// Masks a whole frame for the wire with `FrameCodec` (client role).
pub(crate) fn client_frame_bytes(frame: &Frame) -> Vec<u8> {
    let mut out = BytesMut::new();
    FrameCodec::new(Role::Client)
        .encode(frame.clone(), &mut out)
        .expect("frame");
    out.to_vec()
}

/// The repository root.
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
        dir.join("node_modules/ws").exists(),
        "interop/node/node_modules is missing: run scripts/interop-setup.sh (scripts/test.sh does)"
    );
    dir.join(name)
}

/// Starts a peer server process that prints `listening <port>` when ready;
/// returns the process (killed on drop) and the port.
pub(crate) async fn spawn_peer_server(
    mut command: tokio::process::Command,
) -> (tokio::process::Child, u16) {
    use tokio::io::AsyncBufReadExt;
    command
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true);
    let mut child = command.spawn().expect("spawn peer server");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = tokio::io::BufReader::new(stdout).lines();
    let port = tokio::time::timeout(Duration::from_secs(30), async {
        while let Some(line) = lines.next_line().await.expect("read") {
            if let Some(port) = line.strip_prefix("listening ") {
                return port.trim().parse::<u16>().expect("port");
            }
        }
        panic!("the peer server exited before listening");
    })
    .await
    .expect("peer server did not start");
    (child, port)
}

/// Runs a peer client process to completion (at most `secs` seconds);
/// returns its stdout, panicking with its output if it failed.
pub(crate) async fn run_peer_client(mut command: tokio::process::Command, secs: u64) -> String {
    command.kill_on_drop(true);
    let output = tokio::time::timeout(Duration::from_secs(secs), command.output())
        .await
        .expect("peer client timed out")
        .expect("run peer client");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert!(
        output.status.success(),
        "peer client failed ({}):\n{stdout}\n{stderr}",
        output.status
    );
    stdout
}

/// What a [`behaviour_server`] connection saw.
pub(crate) type Events = std::sync::Arc<std::sync::Mutex<Vec<String>>>;

/// A tether server for peer clients: echoes text and binary, closes with
/// `<code>` and `<reason>` on the text `close:<code>:<reason>`, speaks the
/// subprotocols chat.v2 and chat.v1, admits 16 MiB messages in fragments
/// of 64 bytes, refuses the path `/refuse` with 403. Records each close it
/// receives, each error and each refused handshake.
pub(crate) async fn behaviour_server() -> (String, Events) {
    use futures::{SinkExt, StreamExt};
    use tether_ws::{CloseFrame, HandshakeConfig, Message, MessageConfig};
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr").to_string();
    let events: Events = Default::default();
    let log = events.clone();
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = l.accept().await else {
                return;
            };
            let log = log.clone();
            tokio::spawn(async move {
                let config = WebSocketConfig::default()
                    .with_message_config(
                        MessageConfig::default()
                            .with_max_message_size(64 << 20)
                            .with_max_fragments(1 << 20),
                    )
                    .with_handshake_config(
                        HandshakeConfig::default().with_protocols(["chat.v2", "chat.v1"]),
                    );
                // `/refuse` is refused by the accept callback with 403.
                let callback =
                    |req: &tether_ws::http::Request<()>,
                     _: &tether_ws::handshake::server::ClientOffer| {
                        if req.uri().path() == "/refuse" {
                            let mut refusal = tether_ws::http::Response::new("refused".to_owned());
                            *refusal.status_mut() = tether_ws::http::StatusCode::FORBIDDEN;
                            Err(Box::new(refusal))
                        } else {
                            Ok(None)
                        }
                    };
                let Ok(mut ws) = tether_ws::accept_hdr_with_config(tcp, config, callback).await
                else {
                    log.lock().expect("lock").push("refused".to_owned());
                    return;
                };
                while let Some(m) = ws.next().await {
                    match m {
                        Ok(Message::Text(t)) if t.starts_with("close:") => {
                            let mut parts = t.splitn(3, ':').skip(1);
                            let code: u16 = parts.next().unwrap_or("1000").parse().unwrap_or(1000);
                            let reason = parts.next().unwrap_or("").to_owned();
                            let close = CloseFrame::new(code.into(), reason);
                            let _ = ws.send(Message::Close(Some(close))).await;
                        }
                        Ok(m @ (Message::Text(_) | Message::Binary(_))) => {
                            if ws.send(m).await.is_err() {
                                break;
                            }
                        }
                        Ok(Message::Close(c)) => log
                            .lock()
                            .expect("lock")
                            .push(format!("close {:?}", c.map(|c| u16::from(c.code)))),
                        Ok(_) => {}
                        Err(e) => log.lock().expect("lock").push(format!("error {e}")),
                    }
                }
            });
        }
    });
    (addr, events)
}

fn big_client_config(fragment: Option<usize>) -> WebSocketConfig {
    WebSocketConfig::default().with_message_config(
        tether_ws::MessageConfig::default()
            .with_max_message_size(64 << 20)
            .with_fragment_size(fragment),
    )
}

/// Echo of every size, fragments, ping, order and both close directions
/// against a peer server at `url` that follows the behaviour of
/// `interop/*/ws_server.*`.
pub(crate) async fn exercise_peer_server(url: &str, protocol: &str) {
    use bytes::Bytes;
    use futures::{SinkExt, StreamExt};
    use tether_ws::handshake::client::ClientRequest;
    use tether_ws::{CloseCode, CloseFrame, Message};
    let request = ClientRequest::new(url.parse().expect("url"))
        .expect("request")
        .with_protocols(["chat.v1"]);
    let (mut ws, _) = tether_ws::connect_with_config(request, big_client_config(None))
        .await
        .expect("connect");
    assert_eq!(ws.protocol(), Some(protocol));
    for size in [0usize, 1, 125, 126, 127, 65535, 65536, 1 << 20, 16 << 20] {
        let data: Vec<u8> = (0..size).map(|i| (i * 31 + size) as u8).collect();
        ws.send(Message::binary(data.clone())).await.expect("send");
        assert_eq!(
            ws.next().await.expect("open").expect("valid"),
            Message::binary(data)
        );
        let text: String = "é€😀x".chars().cycle().take(size / 3).collect();
        ws.send(Message::text(text.clone())).await.expect("send");
        assert_eq!(
            ws.next().await.expect("open").expect("valid"),
            Message::text(text)
        );
    }
    ws.send(Message::Ping(Bytes::from_static(b"tether ping")))
        .await
        .expect("ping");
    match ws.next().await.expect("open").expect("valid") {
        Message::Pong(p) => assert_eq!(&p[..], b"tether ping"),
        other => panic!("{other:?}"),
    }
    for i in 0..500 {
        ws.send(Message::text(format!("seq {i}")))
            .await
            .expect("send");
    }
    for i in 0..500 {
        assert_eq!(
            ws.next().await.expect("open").expect("valid"),
            Message::text(format!("seq {i}"))
        );
    }
    ws.send(Message::Close(Some(CloseFrame::new(
        CloseCode::from(4001),
        "tether bye",
    ))))
    .await
    .expect("close");
    match ws.next().await.expect("open").expect("valid") {
        Message::Close(Some(c)) => assert_eq!(u16::from(c.code), 4001),
        other => panic!("{other:?}"),
    }
    assert!(ws.next().await.is_none());

    // Fragmented sends: 64-byte fragments of a 100 KiB text.
    let (mut ws, _) = tether_ws::connect_with_config(
        ClientRequest::new(url.parse().expect("url"))
            .expect("request")
            .with_protocols(["chat.v1"]),
        big_client_config(Some(64)),
    )
    .await
    .expect("connect");
    let text = "fragments é€😀 ".repeat(5000);
    ws.send(Message::text(text.clone())).await.expect("send");
    assert_eq!(
        ws.next().await.expect("open").expect("valid"),
        Message::text(text)
    );

    // The server closes with a code and reason.
    ws.send(Message::text("close:4002:server bye"))
        .await
        .expect("send");
    match ws.next().await.expect("open").expect("valid") {
        Message::Close(Some(c)) => {
            assert_eq!(u16::from(c.code), 4002);
            assert_eq!(c.reason.as_str(), "server bye");
        }
        other => panic!("{other:?}"),
    }
    assert!(ws.next().await.is_none());
}
