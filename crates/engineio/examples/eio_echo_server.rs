//! An Engine.IO v4 echo server: every text and binary message a client
//! sends is sent back, on long-polling or WebSocket, with the upgrade
//! between them, at `/engine.io/`.
//!
//! ```text
//! cargo run -p tether-engineio --features server --example eio_echo_server -- \
//!     --addr 127.0.0.1:3000 --ping-interval 25000 --ping-timeout 20000 \
//!     --max-payload 1000000 --cors-origin '*'
//! ```
//!
//! Point any Engine.IO v4 client (`engine.io-client`, `python-engineio`,
//! a conformance suite) at `http://127.0.0.1:3000`. It prints
//! `listening <port>` once bound. Times are in milliseconds; `--cors-origin`
//! may be given several times (`*` allows any origin).

use std::time::Duration;

use tether_engineio::server::{AllowOrigin, Cors, EngineConfig, EngineServer};
use tether_engineio::session::SessionConfig;

fn usage() -> ! {
    eprintln!(
        "usage: eio_echo_server [--addr HOST:PORT] [--ping-interval MS] [--ping-timeout MS] \
         [--max-payload BYTES] [--cors-origin ORIGIN]..."
    );
    std::process::exit(2)
}

fn main() -> std::io::Result<()> {
    let mut addr = "127.0.0.1:3000".to_owned();
    let mut session = SessionConfig::default();
    let mut origins: Vec<String> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let mut value = || args.next().unwrap_or_else(|| usage());
        let number = |v: String| v.parse::<u64>().unwrap_or_else(|_| usage());
        match flag.as_str() {
            "--addr" => addr = value(),
            "--ping-interval" => {
                session = session.with_ping_interval(Duration::from_millis(number(value())));
            }
            "--ping-timeout" => {
                session = session.with_ping_timeout(Duration::from_millis(number(value())));
            }
            "--max-payload" => session = session.with_max_payload(number(value())),
            "--cors-origin" => origins.push(value()),
            "-h" | "--help" => usage(),
            // A bare first argument is the address, as the other examples
            // take it.
            other if !other.starts_with('-') => addr = other.to_owned(),
            _ => usage(),
        }
    }
    let mut config = EngineConfig::default().with_session(session);
    if !origins.is_empty() {
        let origin = if origins.iter().any(|o| o == "*") {
            AllowOrigin::Any
        } else {
            AllowOrigin::List(origins)
        };
        config = config.with_cors(Cors::new(origin));
    }

    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async move {
        let (server, mut incoming) = EngineServer::new(config);
        tokio::spawn(async move {
            while let Some(mut socket) = incoming.accept().await {
                tokio::spawn(async move {
                    while let Some(message) = socket.recv().await {
                        if socket.send(message).await.is_err() {
                            break;
                        }
                    }
                });
            }
        });
        let listener = tokio::net::TcpListener::bind(&addr).await?;
        println!("listening {}", listener.local_addr()?.port());
        server.serve(listener).await
    })
}
