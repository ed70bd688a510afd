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
