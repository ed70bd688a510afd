//! An echo server built on one implementation, for the load benchmark
//! (`bench-load`): every text and binary message is sent back.
//!
//! ```text
//! cargo run --release -p tether-benches --bin bench-echo-server -- <impl> [addr]
//! ```
//!
//! `<impl>`: `tether`, `tokio-tungstenite`, `fastwebsockets` (its
//! `FragmentCollector`, after tether's sans-IO handshake, since its own
//! handshake needs hyper) or `tokio-websockets`. A single-threaded tokio
//! runtime, one task per connection, each library with its defaults
//! (automatic pongs and close replies on). Prints `listening <port>`.

use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

async fn tether(tcp: TcpStream) -> Result<(), Box<dyn std::error::Error>> {
    let mut ws = tether_ws::accept(tcp).await?;
    while let Some(m) = ws.next().await {
        if let m @ (tether_ws::Message::Text(_) | tether_ws::Message::Binary(_)) = m? {
            ws.send(m).await?;
        }
    }
    Ok(())
}

async fn tokio_tungstenite(tcp: TcpStream) -> Result<(), Box<dyn std::error::Error>> {
    let mut ws = tokio_tungstenite::accept_async(tcp).await?;
    while let Some(m) = ws.next().await {
        let m = m?;
        if m.is_text() || m.is_binary() {
            ws.send(m).await?;
        }
    }
    Ok(())
}

/// The handshake with tether's sans-IO code, then fastwebsockets.
async fn fastwebsockets(mut tcp: TcpStream) -> Result<(), Box<dyn std::error::Error>> {
    use tether_ws::handshake::server;
    let mut reader = server::RequestReader::new(&tether_ws::HandshakeConfig::default());
    let mut buf = bytes::BytesMut::with_capacity(1024);
    let request = loop {
        if let Some((request, used)) = reader.parse(&buf)? {
            // A load client waits for the 101 before it sends frames.
            assert_eq!(used, buf.len());
            break request;
        }
        if tcp.read_buf(&mut buf).await? == 0 {
            return Ok(());
        }
    };
    let offer = server::validate(&request)?;
    let mut out = bytes::BytesMut::new();
    server::write_response(&server::accept_response(&offer, None, &[]), b"", &mut out);
    tcp.write_all(&out).await?;
    let ws = fastwebsockets::WebSocket::after_handshake(tcp, fastwebsockets::Role::Server);
    let mut ws = fastwebsockets::FragmentCollector::new(ws);
    loop {
        let frame = ws.read_frame().await?;
        match frame.opcode {
            fastwebsockets::OpCode::Text | fastwebsockets::OpCode::Binary => {
                ws.write_frame(frame).await?
            }
            fastwebsockets::OpCode::Close => return Ok(()),
            _ => {}
        }
    }
}

async fn tokio_websockets(tcp: TcpStream) -> Result<(), Box<dyn std::error::Error>> {
    let (_request, mut ws) = tokio_websockets::ServerBuilder::new().accept(tcp).await?;
    while let Some(m) = ws.next().await {
        let m = m?;
        if m.is_text() || m.is_binary() {
            ws.send(m).await?;
        }
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let mut args = std::env::args().skip(1);
    let which = args.next().unwrap_or_else(|| "tether".to_owned());
    let addr = args.next().unwrap_or_else(|| "127.0.0.1:0".to_owned());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let listener = TcpListener::bind(&addr).await?;
        println!("listening {}", listener.local_addr()?.port());
        loop {
            let (tcp, _) = listener.accept().await?;
            tcp.set_nodelay(true)?;
            let which = which.clone();
            tokio::spawn(async move {
                let _ = match which.as_str() {
                    "tether" => tether(tcp).await,
                    "tokio-tungstenite" => tokio_tungstenite(tcp).await,
                    "fastwebsockets" => fastwebsockets(tcp).await,
                    "tokio-websockets" => tokio_websockets(tcp).await,
                    other => panic!("unknown implementation {other}"),
                };
            });
        }
    })
}
