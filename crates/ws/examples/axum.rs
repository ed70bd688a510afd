//! An axum app that serves a page over HTTP and upgrades `/ws` to a
//! WebSocket echo, on one port.
//!
//! ```text
//! cargo run -p tether-ws --features hyper --example axum -- 127.0.0.1:3000
//! ```

use axum::body::Body;
use axum::extract::Request;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use futures::{SinkExt, StreamExt};

async fn ws(mut req: Request) -> Response {
    match tether_ws::upgrade::<_, Body>(&mut req) {
        Ok((response, upgrade)) => {
            tokio::spawn(async move {
                let Ok(mut ws) = upgrade.await else { return };
                while let Some(Ok(message)) = ws.next().await {
                    if !message.is_control() && ws.send(message).await.is_err() {
                        break;
                    }
                }
            });
            response
        }
        Err(e) => (
            e.status().unwrap_or(axum::http::StatusCode::BAD_REQUEST),
            e.to_string(),
        )
            .into_response(),
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::io::Result<()> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let app = Router::new()
        .route("/", get(|| async { "WebSocket echo at /ws" }))
        .route("/ws", get(ws));
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    eprintln!(
        "http://{}/ and ws://{}/ws",
        listener.local_addr()?,
        listener.local_addr()?
    );
    axum::serve(listener, app).await
}
