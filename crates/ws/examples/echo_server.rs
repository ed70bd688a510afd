//! A WebSocket echo server: answers every text and binary message with the
//! same message.
//!
//! ```text
//! cargo run --release -p tether-ws --example echo_server -- 127.0.0.1:9001
//! ```
//!
//! Its limits admit what conformance suites send: messages of up to 16 MiB,
//! in one frame or in fragments as small as 64 bytes (262,144 fragments).
//! One task per connection on a single-threaded runtime.

use futures::{SinkExt, StreamExt};
use tether_ws::{Message, MessageConfig, WebSocketConfig};
use tokio::net::TcpListener;

fn config() -> WebSocketConfig {
    WebSocketConfig::default().with_message_config(
        MessageConfig::default()
            .with_max_message_size(64 << 20)
            .with_max_frame_size(64 << 20)
            .with_max_fragments(1 << 20),
    )
}

async fn serve(tcp: tokio::net::TcpStream) -> Result<(), tether_ws::Error> {
    tcp.set_nodelay(true)?;
    let mut ws = tether_ws::accept_with_config(tcp, config()).await?;
    while let Some(message) = ws.next().await {
        // Pings are answered and closes echoed by the stream itself.
        if let m @ (Message::Text(_) | Message::Binary(_)) = message? {
            ws.send(m).await?;
        }
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:9001".to_owned());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(&addr).await?;
        eprintln!("echo server on ws://{}", listener.local_addr()?);
        loop {
            let (tcp, peer) = listener.accept().await?;
            tokio::spawn(async move {
                if let Err(e) = serve(tcp).await {
                    eprintln!("{peer}: {e}");
                }
            });
        }
    })
}
