//! Messages over TCP on 127.0.0.1, both ends in one process.
//!
//! The client sends a fragmented text message with a ping between its
//! fragments (streamed with `Fragment`), a large binary message split into
//! 16 KiB frames automatically, and a close. The server reassembles, answers
//! the ping at once, and echoes each message.
//!
//! ```text
//! cargo run -p tether-message --example message_echo
//! ```

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use tether_message::{
    CloseCode, CloseFrame, DataKind, Fragment, Message, MessageCodec, MessageConfig, Role,
};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::codec::Framed;

async fn serve(socket: TcpStream) -> Result<(), tether_message::Error> {
    let mut conn = Framed::new(socket, MessageCodec::new(Role::Server));
    while let Some(message) = conn.next().await {
        let message = match message {
            Ok(m) => m,
            Err(e) => {
                if let Some(code) = e.close_code() {
                    let close = CloseFrame::new(code, "");
                    conn.send(Message::Close(Some(close))).await?;
                }
                return Err(e);
            }
        };
        match message {
            Message::Ping(data) => conn.send(Message::Pong(data)).await?,
            Message::Pong(_) => {}
            Message::Close(close) => {
                conn.send(Message::Close(close)).await?;
                return Ok(());
            }
            data => conn.send(data).await?,
        }
    }
    Ok(())
}

fn describe(message: &Message) -> String {
    match message {
        Message::Text(t) if t.len() <= 60 => format!("Text {:?}", &**t),
        Message::Text(t) => format!("Text ({} bytes)", t.len()),
        Message::Binary(b) => format!("Binary ({} bytes)", b.len()),
        other => format!("{other:?}"),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let server = tokio::spawn(async move {
        let (socket, _) = listener.accept().await?;
        serve(socket).await.map_err(std::io::Error::other)
    });

    let config = MessageConfig::default().with_fragment_size(Some(16 * 1024));
    let mut client = Framed::new(
        TcpStream::connect(addr).await?,
        MessageCodec::with_config(Role::Client, config),
    );

    // A text message streamed in three pieces; the euro sign is cut between
    // the first two, and a ping goes out between them.
    let euro = "price: 5€ each".as_bytes();
    client
        .send(Fragment::Start(
            DataKind::Text,
            Bytes::copy_from_slice(&euro[..9]),
        ))
        .await?;
    client
        .send(Message::Ping(Bytes::from_static(b"between")))
        .await?;
    client
        .send(Fragment::Continue(Bytes::copy_from_slice(&euro[9..])))
        .await?;
    client
        .send(Fragment::End(Bytes::from_static(" — thanks".as_bytes())))
        .await?;
    // 200 KiB, sent as 13 frames by the fragment_size setting.
    client.send(Message::binary(vec![7u8; 200 * 1024])).await?;
    client
        .send(Message::Close(Some(CloseFrame::new(
            CloseCode::Normal,
            "bye",
        ))))
        .await?;

    while let Some(message) = client.next().await {
        let message = message?;
        println!("client <- {}", describe(&message));
        if matches!(message, Message::Close(_)) {
            break;
        }
    }
    server.await??;
    Ok(())
}
