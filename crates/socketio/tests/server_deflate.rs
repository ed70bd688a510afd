//! `compress(false)` reaches the WebSocket: a raw peer (tether-ws's client
//! with permessage-deflate, speaking Socket.IO by hand) records the bytes
//! the server sends and reads the frame headers. Events emitted with the
//! default go out compressed (RSV1), those emitted with `compress(false)`,
//! one socket's or a broadcast's, with or without recovery, their binary
//! attachments too, go out uncompressed, all in order.
#![cfg(feature = "deflate")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use tether_engineio::server::EngineConfig;
use tether_socketio::server::{RecoveryConfig, SocketIo, SocketIoConfig};
use tether_ws::handshake::client::ClientRequest;
use tether_ws::{DeflateConfig, Message, WebSocketConfig, WebSocketStream};

/// Text long enough to be over the compression threshold (64 bytes) and to
/// compress well.
fn filler() -> String {
    "the quick brown fox jumps over the lazy dog; ".repeat(20)
}

/// The attachment: compressible, over the threshold.
fn attachment() -> Bytes {
    Bytes::from(filler().into_bytes())
}

/// What the server emits once the client asks (`go`), in order, and
/// whether each packet's messages should be compressed.
const EXPECTED: &[(&str, bool)] = &[
    ("default", true),
    ("secret", false),
    ("again", true),
    ("ack_secret", false),
    ("bin_secret", false),
    ("bin", true),
    ("all_secret", false),
    ("all", true),
];

async fn start(config: SocketIoConfig) -> u16 {
    let io = SocketIo::new(config);
    io.ns("/", |socket| async move {
        socket.on("go", |socket, _event| async move {
            let text = filler();
            socket.emit("default", &(text.as_str(),)).unwrap();
            socket
                .compress(false)
                .emit("secret", &(text.as_str(),))
                .unwrap();
            // The opt-out was for that event only.
            socket.emit("again", &(text.as_str(),)).unwrap();
            // Sent at once; the ack is not waited for.
            drop(
                socket
                    .compress(false)
                    .emit_with_ack::<_, ()>("ack_secret", &(text.as_str(),)),
            );
            socket
                .compress(false)
                .emit("bin_secret", &(text.as_str(), attachment()))
                .unwrap();
            socket
                .compress(true)
                .emit("bin", &(text.as_str(), attachment()))
                .unwrap();
            // Broadcasts: one packet encoded once for every recipient.
            socket
                .ns()
                .broadcast()
                .compress(false)
                .emit("all_secret", &(text.as_str(),))
                .unwrap();
            socket
                .ns()
                .broadcast()
                .emit("all", &(text.as_str(),))
                .unwrap();
        });
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(io.serve(listener));
    port
}

/// A server with permessage-deflate on its WebSocket transport.
fn config() -> SocketIoConfig {
    let defaults = SocketIoConfig::default();
    let engine: EngineConfig = defaults.engine.clone();
    let websocket = engine
        .websocket
        .clone()
        .with_deflate(DeflateConfig::enabled());
    defaults.with_engine(engine.with_websocket(websocket))
}

/// Keeps a copy of every byte read through it.
struct Recording<S> {
    inner: S,
    read: Arc<Mutex<Vec<u8>>>,
}

impl<S: tokio::io::AsyncRead + Unpin> tokio::io::AsyncRead for Recording<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if let std::task::Poll::Ready(Ok(())) = r {
            self.read
                .lock()
                .unwrap()
                .extend_from_slice(&buf.filled()[before..]);
        }
        r
    }
}

impl<S: tokio::io::AsyncWrite + Unpin> tokio::io::AsyncWrite for Recording<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        std::pin::Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A frame header as the peer reads it off the wire (read here by hand,
/// RFC 6455 section 5.2: the server's frames are not masked).
#[derive(Debug)]
struct Header {
    fin: bool,
    rsv1: bool,
    opcode: u8,
    payload_len: u64,
}

const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;

/// The headers of the data frames in `wire`, the server's bytes after its
/// handshake response (a frame cut off at the end is left out).
fn data_frame_headers(wire: &[u8]) -> Vec<Header> {
    let start = wire
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("the handshake response")
        + 4;
    let mut rest = &wire[start..];
    let mut out = Vec::new();
    while rest.len() >= 2 {
        let (first, second) = (rest[0], rest[1]);
        assert_eq!(second & 0x80, 0, "a server frame is not masked");
        let (payload_len, header_len) = match second & 0x7f {
            126 if rest.len() >= 4 => (u64::from(u16::from_be_bytes([rest[2], rest[3]])), 4),
            127 if rest.len() >= 10 => (u64::from_be_bytes(rest[2..10].try_into().unwrap()), 10),
            126 | 127 => break,
            n => (u64::from(n), 2),
        };
        let Some(next) = rest.get(header_len + usize::try_from(payload_len).unwrap()..) else {
            break;
        };
        rest = next;
        let header = Header {
            fin: first & 0x80 != 0,
            rsv1: first & 0x40 != 0,
            opcode: first & 0x0f,
            payload_len,
        };
        if header.opcode == TEXT || header.opcode == BINARY {
            out.push(header);
        }
    }
    out
}

type Ws = WebSocketStream<Recording<tokio::net::TcpStream>>;

/// The next text or binary message; Engine.IO pings are answered (and
/// returned too: every data message is one frame to match).
async fn next_data(ws: &mut Ws) -> Message {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("nothing from the server in 10 s")
            .expect("the connection open")
            .expect("valid");
        match &message {
            Message::Text(t) if &**t == "2" => {
                ws.send(Message::text("3")).await.unwrap();
                return message;
            }
            Message::Text(_) | Message::Binary(_) => return message,
            _ => {}
        }
    }
}

/// Connects, asks for the events, and checks RSV1 on each of their frames.
async fn check(config: SocketIoConfig) {
    let port = start(config).await;
    let tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    let read = Arc::new(Mutex::new(Vec::new()));
    let io = Recording {
        inner: tcp,
        read: read.clone(),
    };
    let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
    let request = ClientRequest::new(url.parse().unwrap()).unwrap();
    let client = WebSocketConfig::default().with_deflate(DeflateConfig::enabled());
    let (mut ws, _) = tether_ws::client_handshake(io, request, client)
        .await
        .expect("handshake");
    assert!(ws.deflate().is_some(), "permessage-deflate negotiated");

    // Every data message the server sent, in order (one frame each).
    let mut received = Vec::new();
    let open = next_data(&mut ws).await;
    assert!(matches!(&open, Message::Text(t) if t.starts_with("0{")));
    received.push(open);
    ws.send(Message::text("40")).await.unwrap();
    let reply = next_data(&mut ws).await;
    assert!(matches!(&reply, Message::Text(t) if t.starts_with("40{")));
    received.push(reply);
    ws.send(Message::text(r#"42["go"]"#)).await.unwrap();

    // Which message carries which event, and whether it should have RSV1.
    let mut expected: Vec<(usize, &str, bool)> = Vec::new();
    for &(event, compress) in EXPECTED {
        let message = loop {
            let m = next_data(&mut ws).await;
            received.push(m.clone());
            if !matches!(&m, Message::Text(t) if &**t == "2") {
                break m;
            }
        };
        let Message::Text(text) = &message else {
            panic!("{event}: a binary message before its packet's text");
        };
        let binary = event.starts_with("bin");
        let kind = if binary { "451-" } else { "42" };
        assert!(
            text.starts_with(kind) && text.contains(&format!(r#"["{event}","#)),
            "{event}: got {text}"
        );
        expected.push((received.len() - 1, event, compress));
        if binary {
            let data = next_data(&mut ws).await;
            assert_eq!(data, Message::Binary(attachment()), "{event}'s attachment");
            received.push(data);
            expected.push((received.len() - 1, event, compress));
        }
    }
    // Everything read so far has been recorded.
    let headers = data_frame_headers(&read.lock().unwrap());
    assert!(
        headers.len() >= received.len(),
        "{} data frames for {} messages",
        headers.len(),
        received.len()
    );
    for (i, event, compress) in expected {
        let header = &headers[i];
        let message = &received[i];
        assert!(header.fin, "{event}: one frame per message");
        let rsv1 = header.rsv1;
        assert_eq!(
            rsv1,
            compress,
            "{event} (opcode {}, {} bytes, {} on the wire): RSV1 {rsv1}",
            header.opcode,
            message.len(),
            header.payload_len
        );
        let len = u64::try_from(message.len()).unwrap();
        if compress {
            assert!(header.payload_len < len / 2, "{event} compressed");
        } else {
            assert_eq!(header.payload_len, len, "{event} sent as it is");
        }
    }
    ws.close().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compress_false_sends_events_and_attachments_without_rsv1() {
    check(config()).await;
}

/// With connection state recovery, an emit to one socket goes through the
/// adapter (to be kept with an offset): the flag goes along.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compress_false_with_recovery() {
    check(config().with_recovery(RecoveryConfig::default())).await;
}
