//! An axum app with the Socket.IO server mounted at `/socket.io/` next to
//! ordinary routes, on one port: `/` is a page, `/count` says how many
//! sockets are connected, and every `message` event is broadcast to the
//! other sockets.
//!
//! ```text
//! cargo run -p tether-socketio --features server --example axum -- 127.0.0.1:3000
//! ```

use std::net::SocketAddr;

use axum::extract::ConnectInfo;
use axum::routing::get;
use axum::Router;
use tether_socketio::server::{SocketIo, SocketIoConfig};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let io = SocketIo::new(SocketIoConfig::default());
    io.ns("/", |socket| async move {
        socket.on("message", |socket, event| async move {
            if let Ok((text,)) = event.args::<(String,)>() {
                let _ = socket.broadcast().emit("message", &(socket.id(), text));
            }
        });
    });
    let counter = io.clone();
    let app = Router::new()
        .route("/", get(|| async { "Socket.IO at /socket.io/" }))
        .route(
            "/count",
            get(move || {
                let io = counter.clone();
                async move { io.broadcast().sockets().await.len().to_string() }
            }),
        )
        // Requests under /socket.io/ go to the server, the rest to the router.
        .layer(io.layer())
        // The remote address for `Handshake::address`.
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
