//! An axum app with the Engine.IO server mounted at `/engine.io/` next to
//! an ordinary route, on one port: every message is echoed.
//!
//! ```text
//! cargo run -p tether-engineio --features server --example axum -- 127.0.0.1:3000
//! ```

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::routing::get;
use axum::Router;
use tether_engineio::server::{EngineConfig, EngineServer};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let (engine, mut incoming) = EngineServer::new(EngineConfig::default());
    tokio::spawn(async move {
        while let Some(mut socket) = incoming.accept().await {
            tokio::spawn(async move {
                eprintln!(
                    "session {} from {:?}",
                    socket.id(),
                    socket.request().remote_addr()
                );
                while let Some(message) = socket.recv().await {
                    if socket.send(message).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    let app = Router::new()
        .route("/", get(|| async { "Engine.IO at /engine.io/" }))
        .route_service("/engine.io/", engine)
        // The remote address for `HandshakeRequest::remote_addr`.
        .layer(axum::middleware::map_request(
            |ConnectInfo(addr): ConnectInfo<SocketAddr>, mut req: axum::extract::Request| async move {
                req.extensions_mut().insert(addr);
                req
            },
        ));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!("listening {}", listener.local_addr()?.port());
    axum::serve(
        listener,
        app.into_make_service_with_connect_info::<SocketAddr>(),
    )
    .await
}
