//! Engine.IO echo servers for the Engine.IO load benchmark
//! (`bench-eio-load`): tether's `EngineServer` and engineioxide's
//! `EngineIoService`, each on a single-threaded runtime, echoing every text
//! and binary message at `/engine.io/` with the default configuration.
//!
//! ```text
//! bench-eio-server tether|engineioxide
//! ```
//!
//! Prints `listening <port>` once bound to a free port on 127.0.0.1.

use std::sync::Arc;

use engineioxide::handler::EngineIoHandler;
use engineioxide::socket::{DisconnectReason, Socket};
use engineioxide::Str;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;

#[derive(Debug)]
struct Echo;

impl EngineIoHandler for Echo {
    type Data = ();

    fn on_connect(self: Arc<Self>, _socket: Arc<Socket<()>>) {}

    fn on_disconnect(&self, _socket: Arc<Socket<()>>, _reason: DisconnectReason) {}

    fn on_message(self: &Arc<Self>, msg: Str, socket: Arc<Socket<()>>) {
        let _ = socket.emit(msg);
    }

    fn on_binary(self: &Arc<Self>, data: bytes::Bytes, socket: Arc<Socket<()>>) {
        let _ = socket.emit_binary(data);
    }
}

async fn engineioxide(listener: tokio::net::TcpListener) {
    let service = engineioxide::service::EngineIoService::new(Arc::new(Echo));
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = TowerToHyperService::new(service.clone());
        tokio::spawn(async move {
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .with_upgrades()
                .await;
        });
    }
}

async fn tether(listener: tokio::net::TcpListener) {
    use tether_engineio::server::{EngineConfig, EngineServer};
    let (server, mut incoming) = EngineServer::new(EngineConfig::default());
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
    let _ = server.serve(listener).await;
}

fn main() {
    let which = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "tether".to_owned());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        println!("listening {}", listener.local_addr().expect("addr").port());
        match which.as_str() {
            "tether" => tether(listener).await,
            "engineioxide" => engineioxide(listener).await,
            other => panic!("unknown server {other}"),
        }
    });
}
