//! A WebSocket echo server: answers every text and binary message with the
//! same message.
//!
//! ```text
//! cargo run --release -p tether-ws --example echo_server -- 127.0.0.1:9001
//! cargo run --release -p tether-ws --features deflate --example echo_server -- 127.0.0.1:9001
//! cargo run --release -p tether-ws --features deflate --example echo_server -- 127.0.0.1:9001 --no-deflate
//! ```
//!
//! Built with the `deflate` feature it accepts permessage-deflate (RFC
//! 7692) with the client's parameters, unless `--no-deflate` is given.
//!
//! Its limits admit what conformance suites send: messages of up to 16 MiB,
//! in one frame or in fragments as small as 64 bytes (262,144 fragments).
//! One task per connection on a single-threaded runtime.

use futures::{SinkExt, StreamExt};
use tether_ws::{Message, MessageConfig, WebSocketConfig};
use tokio::net::TcpListener;

fn config(deflate: bool) -> WebSocketConfig {
    let config = WebSocketConfig::default().with_message_config(
        MessageConfig::default()
            .with_max_message_size(64 << 20)
            .with_max_frame_size(64 << 20)
            .with_max_fragments(1 << 20),
    );
    #[cfg(feature = "deflate")]
    let config = config.with_deflate(tether_ws::DeflateConfig::default().with_enabled(deflate));
    #[cfg(not(feature = "deflate"))]
    let _ = deflate;
    config
}

async fn serve(tcp: tokio::net::TcpStream, deflate: bool) -> Result<(), tether_ws::Error> {
    tcp.set_nodelay(true)?;
    let mut ws = tether_ws::accept_with_config(tcp, config(deflate)).await?;
    while let Some(message) = ws.next().await {
        // Pings are answered and closes echoed by the stream itself.
        if let m @ (Message::Text(_) | Message::Binary(_)) = message? {
            ws.send(m).await?;
        }
    }
    Ok(())
}

fn main() -> std::io::Result<()> {
    let mut addr = "127.0.0.1:9001".to_owned();
    let mut deflate = true;
    for arg in std::env::args().skip(1) {
        if arg == "--no-deflate" {
            deflate = false;
        } else {
            addr = arg;
        }
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let listener = TcpListener::bind(&addr).await?;
        eprintln!("echo server on ws://{}", listener.local_addr()?);
        loop {
            let (tcp, peer) = listener.accept().await?;
            tokio::spawn(async move {
                if let Err(e) = serve(tcp, deflate).await {
                    eprintln!("{peer}: {e}");
                }
            });
        }
    })
}
