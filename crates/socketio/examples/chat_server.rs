//! A Socket.IO chat server on the main namespace: clients `join` a room,
//! `chat` to it (the others in the room get `chat` with the sender's id),
//! and get an ack back; `whoami` answers the socket id and rooms. An
//! `/admin` namespace lets in only clients whose auth carries
//! `{"token":"secret"}`. Any Socket.IO v5 client can talk to it.
//!
//! ```text
//! cargo run -p tether-socketio --features server --example chat_server -- --addr 127.0.0.1:3000 --recovery
//! ```

use std::time::Duration;

use serde_json::Value;
use tether_socketio::server::{ConnectError, RecoveryConfig, SocketIo, SocketIoConfig};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let mut addr = "127.0.0.1:3000".to_owned();
    let mut config = SocketIoConfig::default();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--addr" => addr = args.next().unwrap_or(addr),
            "--recovery" => {
                config = config.with_recovery(
                    RecoveryConfig::default()
                        .with_max_disconnection_duration(Duration::from_secs(120)),
                );
            }
            other => {
                eprintln!("usage: chat_server [--addr HOST:PORT] [--recovery] (got {other})");
                std::process::exit(2);
            }
        }
    }
    let io = SocketIo::new(config);
    io.ns("/", |socket| async move {
        eprintln!(
            "{} connected (recovered: {})",
            socket.id(),
            socket.recovered()
        );
        socket.on("join", |socket, event| async move {
            if let Ok((room,)) = event.args::<(String,)>() {
                socket.join(room.as_str());
                let _ = socket
                    .to(room.as_str())
                    .emit("joined", &(socket.id(), &room));
                let _ = event.ack(&(true,));
            }
        });
        socket.on("chat", |socket, event| async move {
            let Ok((room, text)) = event.args::<(String, String)>() else {
                return;
            };
            let _ = socket.to(room.as_str()).emit("chat", &(socket.id(), &text));
            let _ = event.ack(&("delivered",));
        });
        socket.on("whoami", |socket, event| async move {
            let rooms: Vec<String> = socket.rooms().iter().map(ToString::to_string).collect();
            let _ = event.ack(&(socket.id(), rooms));
        });
        socket.on_disconnect(|socket, reason| async move {
            eprintln!("{} disconnected: {reason}", socket.id());
        });
    });
    io.ns("/admin", |socket| async move {
        socket.on("count", |socket, event| async move {
            let n = socket.ns().broadcast().sockets().await.len();
            let _ = event.ack(&(n,));
        });
    })
    .middleware(|socket| async move {
        let auth = socket.handshake().auth::<Value>().ok().flatten();
        match auth
            .as_ref()
            .and_then(|a| a.get("token"))
            .and_then(Value::as_str)
        {
            Some("secret") => Ok(()),
            _ => Err(ConnectError::new("not authorized")),
        }
    });
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening {}", listener.local_addr()?.port());
    io.serve(listener).await
}
