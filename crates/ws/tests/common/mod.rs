//! Helpers of the tether-ws integration tests: connected pairs over TCP on
//! 127.0.0.1, a raw client and a raw server that write frames by hand, and a
//! reader of what either receives.
#![allow(dead_code)]

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use tether_frame::{Frame, FrameCodec, FrameConfig, FrameHeader, OpCode, Role};
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
        let tcp = TcpStream::connect(addr).await.expect("connect");
        RawClient::handshake(tcp, extra).await
    }

    /// Performs the handshake by hand over `tcp`, already connected (for a
    /// socket with options, such as a small receive buffer); `extra` bytes
    /// go in the same write as the request.
    pub(crate) async fn handshake(tcp: TcpStream, extra: &[u8]) -> RawClient {
        RawClient::handshake_with(tcp, "", extra).await
    }

    /// Connects and performs the handshake by hand with `headers` (lines
    /// ending in CRLF, such as an extension offer) in the request.
    #[allow(dead_code)]
    pub(crate) async fn connect_with_headers(addr: &str, headers: &str) -> RawClient {
        let tcp = TcpStream::connect(addr).await.expect("connect");
        RawClient::handshake_with(tcp, headers, b"").await
    }

    async fn handshake_with(mut tcp: TcpStream, headers: &str, extra: &[u8]) -> RawClient {
        let mut bytes = upgrade_request("/", headers).into_bytes();
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
        read_head(&mut self.tcp, &mut self.buf).await
    }

    /// Reads frames until the connection ends (at most `limit`), checking
    /// nothing: see [`Transcript`].
    pub(crate) async fn read_until_eof(&mut self, limit: Duration) -> Transcript {
        read_until_eof(&mut self.tcp, &mut self.buf, limit).await
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

/// Reads an HTTP head from `tcp` after what is in `buf` (up to the blank
/// line); the rest stays in `buf`.
pub(crate) async fn read_head(tcp: &mut TcpStream, buf: &mut BytesMut) -> String {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = buf.split_to(end + 4);
            return String::from_utf8(head.to_vec()).expect("ascii head");
        }
        let n = tcp.read_buf(buf).await.expect("read");
        assert!(n > 0, "EOF before the end of the head");
    }
}

/// A raw TCP server for a client under test: answers the upgrade by hand
/// (101 with the `Sec-WebSocket-Accept` computed here, not by tether-ws),
/// then writes frames as bytes and reads what the client sends.
pub(crate) struct RawServer {
    pub(crate) tcp: TcpStream,
    pub(crate) buf: BytesMut,
    /// The client's upgrade request head.
    pub(crate) request: String,
}

impl RawServer {
    /// Accepts one connection on `listener` and answers its upgrade request
    /// with 101.
    pub(crate) async fn accept(listener: &TcpListener) -> RawServer {
        let (mut tcp, _) = listener.accept().await.expect("accept");
        let mut buf = BytesMut::new();
        let request = read_head(&mut tcp, &mut buf).await;
        assert!(request.starts_with("GET "), "{request}");
        let key = request
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(':')?;
                name.trim()
                    .eq_ignore_ascii_case("sec-websocket-key")
                    .then(|| value.trim().to_owned())
            })
            .expect("Sec-WebSocket-Key");
        let answer = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n\r\n",
            websocket_accept(&key)
        );
        tcp.write_all(answer.as_bytes()).await.expect("write");
        RawServer { tcp, buf, request }
    }

    /// Writes raw bytes (hand-built frames).
    pub(crate) async fn send_raw(&mut self, bytes: &[u8]) {
        self.tcp.write_all(bytes).await.expect("write");
    }

    /// Reads frames until the connection ends (at most `limit`), checking
    /// nothing: see [`Transcript`].
    pub(crate) async fn read_until_eof(&mut self, limit: Duration) -> Transcript {
        read_until_eof(&mut self.tcp, &mut self.buf, limit).await
    }
}

/// `Sec-WebSocket-Accept` for `key` (RFC 6455 section 4.2.2): base64 of the
/// SHA-1 of the key and the protocol's GUID. Computed here so that the raw
/// server shares no code with the client under test.
pub(crate) fn websocket_accept(key: &str) -> String {
    use base64::Engine as _;
    use sha1::{Digest, Sha1};
    let mut hash = Sha1::new();
    hash.update(key.as_bytes());
    hash.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    base64::engine::general_purpose::STANDARD.encode(hash.finalize())
}

/// The bytes of one frame built by hand, so that any header can be sent
/// (reserved opcodes and bits, fragmented or long control frames, the wrong
/// masking for the role): `first` is the first byte (FIN, RSV1-3, opcode),
/// `declared` the payload length written in the header, which may be more
/// than `payload` holds (a frame whose rest never comes), and `mask` the
/// masking key (clients mask, servers do not).
pub(crate) fn frame_bytes(
    first: u8,
    declared: u64,
    mask: Option<[u8; 4]>,
    payload: &[u8],
) -> Vec<u8> {
    let mask_bit = if mask.is_some() { 0x80 } else { 0 };
    let mut out = vec![first];
    match declared {
        0..=125 => out.push(mask_bit | declared as u8),
        126..=0xFFFF => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(declared as u16).to_be_bytes());
        }
        _ => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&declared.to_be_bytes());
        }
    }
    match mask {
        Some(key) => {
            out.extend_from_slice(&key);
            out.extend(payload.iter().zip(key.iter().cycle()).map(|(b, k)| b ^ k));
        }
        None => out.extend_from_slice(payload),
    }
    out
}

/// A frame as a raw peer read it: its header (with the masking key, if it
/// had one) and its payload, unmasked.
#[derive(Debug)]
pub(crate) struct WireFrame {
    pub(crate) header: FrameHeader,
    pub(crate) payload: Bytes,
}

/// How the connection ended for a raw peer reading frames.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum End {
    /// EOF between frames.
    Eof,
    /// EOF inside a frame (`buffered` bytes of it had arrived).
    EofInFrame { buffered: usize },
    /// The read failed (a reset, for instance).
    ReadError(std::io::ErrorKind),
    /// Bytes that are not a frame header.
    Malformed(String),
    /// The connection was still open when the time ran out.
    TimedOut,
}

/// Everything a raw peer read until the connection ended, unchecked: the
/// tests decide what they expect.
#[derive(Debug)]
pub(crate) struct Transcript {
    pub(crate) frames: Vec<WireFrame>,
    pub(crate) end: End,
}

impl Transcript {
    /// The Close frames read.
    pub(crate) fn closes(&self) -> impl Iterator<Item = &WireFrame> {
        self.frames
            .iter()
            .filter(|f| f.header.opcode == OpCode::Close)
    }

    /// A one-line account for failure messages: the frames (runs of the
    /// same opcode collapsed, a Close with its payload), then the end.
    pub(crate) fn summary(&self) -> String {
        let mut parts: Vec<(String, usize)> = Vec::new();
        for f in &self.frames {
            let name = match f.header.opcode {
                OpCode::Close => format!("Close {:02x?}", &f.payload[..]),
                op => format!("{op:?}"),
            };
            match parts.last_mut() {
                Some((last, n)) if *last == name => *n += 1,
                _ => parts.push((name, 1)),
            }
        }
        let frames: Vec<String> = parts
            .into_iter()
            .map(|(name, n)| if n == 1 { name } else { format!("{name} x{n}") })
            .collect();
        format!("read [{}] then {:?}", frames.join(", "), self.end)
    }
}

/// Reads frames from `tcp` (after what is in `buf`) until the connection
/// ends or `limit` passes. Frames are parsed with only the rules every
/// frame obeys; masking is recorded, not enforced.
pub(crate) async fn read_until_eof(
    tcp: &mut TcpStream,
    buf: &mut BytesMut,
    limit: Duration,
) -> Transcript {
    let mut frames = Vec::new();
    let end = tokio::time::timeout(limit, async {
        loop {
            match FrameHeader::parse(buf) {
                Err(e) => return End::Malformed(format!("{e}")),
                Ok(Some((header, len))) => {
                    let Ok(payload_len) = usize::try_from(header.payload_len) else {
                        return End::Malformed(format!("length {}", header.payload_len));
                    };
                    if buf.len() >= len + payload_len {
                        let _ = buf.split_to(len);
                        let mut payload = buf.split_to(payload_len);
                        if let Some(key) = header.mask {
                            for (b, k) in payload.iter_mut().zip(key.iter().cycle()) {
                                *b ^= k;
                            }
                        }
                        frames.push(WireFrame {
                            header,
                            payload: payload.freeze(),
                        });
                        continue;
                    }
                }
                Ok(None) => {}
            }
            buf.reserve(64 << 10);
            match tcp.read_buf(buf).await {
                Ok(0) if buf.is_empty() => return End::Eof,
                Ok(0) => {
                    return End::EofInFrame {
                        buffered: buf.len(),
                    }
                }
                Ok(_) => {}
                Err(e) => return End::ReadError(e.kind()),
            }
        }
    })
    .await
    .unwrap_or(End::TimedOut);
    Transcript { frames, end }
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
