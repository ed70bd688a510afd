//! An interactive WebSocket client: each line typed is sent as a text
//! message; received messages are printed. `/ping`, `/close` and end of
//! input close the connection with the close handshake.
//!
//! ```text
//! cargo run -p tether-ws --example client -- ws://127.0.0.1:9001/
//! ```

use futures::{SinkExt, StreamExt};
use tether_ws::Message;
use tokio::io::{AsyncBufReadExt, BufReader};

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), tether_ws::Error> {
    let url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "ws://127.0.0.1:9001/".to_owned());
    let (ws, response) = tether_ws::connect(&url).await?;
    eprintln!("connected to {url} ({})", response.status());
    let (mut tx, mut rx) = ws.split();
    let printer = tokio::spawn(async move {
        while let Some(message) = rx.next().await {
            match message {
                Ok(Message::Text(t)) => println!("< {t}"),
                Ok(Message::Binary(b)) => println!("< {} bytes", b.len()),
                Ok(Message::Pong(p)) => println!("< pong {p:?}"),
                Ok(Message::Close(c)) => println!("< close {c:?}"),
                Ok(_) => {}
                Err(e) => eprintln!("error: {e}"),
            }
        }
    });
    let mut lines = BufReader::new(tokio::io::stdin()).lines();
    while let Some(line) = lines.next_line().await? {
        match line.as_str() {
            "/ping" => tx.send(Message::Ping("tether".into())).await?,
            "/close" => break,
            text => tx.send(Message::text(text)).await?,
        }
    }
    tx.send(Message::Close(None)).await?;
    let _ = printer.await;
    Ok(())
}
