//! An Engine.IO v4 echo server over the WebSocket transport, built from the
//! sans-IO pieces: `tether-ws`'s handshake functions, then
//! `Framed<TcpStream, EngineCodec<MessageCodec>>`.
//!
//! ```text
//! cargo run -p tether-engineio --example ws_echo_server -- 127.0.0.1:3000
//! ```
//!
//! Official clients connect to `ws://127.0.0.1:3000/engine.io/?EIO=4&transport=websocket`
//! (Node: `new Socket("ws://127.0.0.1:3000", { transports: ["websocket"] })`
//! from `engine.io-client`). The server sends the open packet, pings every
//! `pingInterval` and closes a session whose pong is `pingTimeout` late,
//! and echoes every text and binary message. It prints `listening <port>`
//! once bound.

use std::time::Duration;

use bytes::BytesMut;
use futures::{SinkExt, StreamExt};
use tether_engineio::{EngineCodec, EnginePacket, OpenPacket};
use tether_message::{MessageCodec, MessageConfig, Role};
use tether_ws::handshake::server::{
    accept_response, reject_response, validate, write_response, RequestReader,
};
use tether_ws::{HandshakeConfig, HandshakeError};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::{Framed, FramedParts};

const PING_INTERVAL: Duration = Duration::from_millis(300);
const PING_TIMEOUT: Duration = Duration::from_millis(2000);
const MAX_PAYLOAD: u64 = 1 << 20;

/// Reads the upgrade request and answers it; returns the bytes that came
/// after the request head (the first WebSocket frames, if any).
async fn handshake(tcp: &mut TcpStream) -> Result<Option<BytesMut>, Box<dyn std::error::Error>> {
    let mut reader = RequestReader::new(&HandshakeConfig::default());
    let mut buf = BytesMut::with_capacity(2048);
    let (request, head_len) = loop {
        if tcp.read_buf(&mut buf).await? == 0 {
            return Ok(None);
        }
        if let Some(parsed) = reader.parse(&buf)? {
            break parsed;
        }
    };
    let mut out = BytesMut::new();
    // Engine.IO's path and query: /engine.io/?EIO=4&transport=websocket.
    let query = request.uri().query().unwrap_or("");
    let engine_io = request.uri().path().trim_end_matches('/') == "/engine.io"
        && query.split('&').any(|kv| kv == "EIO=4")
        && query.split('&').any(|kv| kv == "transport=websocket");
    match validate(&request) {
        Ok(offer) if engine_io => {
            write_response(&accept_response(&offer, None, &[]), b"", &mut out);
            tcp.write_all(&out).await?;
            let _ = buf.split_to(head_len);
            Ok(Some(buf))
        }
        Ok(_) => {
            out.extend_from_slice(
                b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
            );
            tcp.write_all(&out).await?;
            Ok(None)
        }
        Err(HandshakeError::Rejected(problem)) => {
            let (response, body) = reject_response(problem);
            write_response(&response, body.as_bytes(), &mut out);
            tcp.write_all(&out).await?;
            Ok(None)
        }
        Err(e) => Err(e.into()),
    }
}

async fn serve(mut tcp: TcpStream, sid: String) -> Result<(), Box<dyn std::error::Error>> {
    tcp.set_nodelay(true)?;
    let Some(leftover) = handshake(&mut tcp).await? else {
        return Ok(());
    };
    let config = MessageConfig::default().with_max_message_size(MAX_PAYLOAD);
    let codec = EngineCodec::new(MessageCodec::with_config(Role::Server, config));
    let mut parts = FramedParts::new::<EnginePacket>(tcp, codec);
    parts.read_buf = leftover;
    let mut io = Framed::from_parts(parts);

    let open = OpenPacket::new(sid)
        .with_upgrades(Vec::<String>::new())
        .with_heartbeat(
            PING_INTERVAL.as_millis() as u64,
            PING_TIMEOUT.as_millis() as u64,
        )
        .with_max_payload(MAX_PAYLOAD);
    io.send(EnginePacket::Open(open)).await?;

    let mut ping = tokio::time::interval(PING_INTERVAL);
    ping.tick().await;
    let mut awaiting_pong = false;
    let mut deadline = tokio::time::Instant::now() + PING_INTERVAL + PING_TIMEOUT;
    loop {
        tokio::select! {
            _ = ping.tick() => {
                if !awaiting_pong {
                    io.send(EnginePacket::ping()).await?;
                    awaiting_pong = true;
                    deadline = tokio::time::Instant::now() + PING_TIMEOUT;
                }
            }
            _ = tokio::time::sleep_until(deadline), if awaiting_pong => {
                eprintln!("pong timeout, closing");
                return Ok(());
            }
            packet = io.next() => {
                let Some(packet) = packet else { return Ok(()) };
                match packet? {
                    EnginePacket::Pong(_) => awaiting_pong = false,
                    // Upgrade probes do not happen on a WebSocket-only
                    // session, but answering one is harmless.
                    EnginePacket::Ping(data) => io.send(EnginePacket::Pong(data)).await?,
                    echo @ (EnginePacket::Message(_) | EnginePacket::Binary(_)) => io.send(echo).await?,
                    EnginePacket::Close => return Ok(()),
                    _ => {}
                }
            }
        }
    }
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(&addr).await?;
        println!("listening {}", listener.local_addr()?.port());
        let mut next = 0u64;
        loop {
            let (tcp, peer) = listener.accept().await?;
            next += 1;
            let sid = format!("tether-{next:08}");
            tokio::spawn(async move {
                if let Err(e) = serve(tcp, sid).await {
                    eprintln!("{peer}: {e}");
                }
            });
        }
    })
}
