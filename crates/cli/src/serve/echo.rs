//! `/ws`: a WebSocket echo over tether-ws's hyper upgrade. Every text or
//! binary message comes back as it was; pings are answered and the close
//! handshake is done by the stream. With the `deflate` feature (the
//! default), permessage-deflate is accepted when the client offers it, as
//! every browser does.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::UPGRADE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use futures::{SinkExt, StreamExt};
use tether_ws::{Message, UpgradeFut};
use tracing::{info, warn};

use super::App;

/// The echo's counters: connections open now, and an id for each.
#[derive(Clone, Debug, Default)]
pub(crate) struct Echo {
    open: Arc<AtomicUsize>,
    next_id: Arc<AtomicU64>,
}

impl Echo {
    /// How many echo WebSockets are open.
    pub(crate) fn open(&self) -> usize {
        self.open.load(Ordering::Relaxed)
    }
}

/// Counts one open WebSocket until dropped.
struct Open(Arc<AtomicUsize>);

impl Drop for Open {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// `GET /ws`: the upgrade, or `426 Upgrade Required` for a plain request
/// and the handshake's own status for an invalid one.
pub(crate) async fn handle(
    State(app): State<App>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
) -> Response {
    if !tether_ws::is_upgrade_request(&request) {
        return (
            StatusCode::UPGRADE_REQUIRED,
            [(UPGRADE, "websocket")],
            "/ws is a WebSocket echo: connect with a WebSocket client\n",
        )
            .into_response();
    }
    let config = tether_ws::WebSocketConfig::default();
    #[cfg(feature = "deflate")]
    let config = config.with_deflate(tether_ws::DeflateConfig::enabled());
    match tether_ws::upgrade_with_config::<_, Body>(&mut request, config, None) {
        Ok((response, upgrade)) => {
            tokio::spawn(echo(upgrade, peer, app.echo));
            response
        }
        Err(e) => {
            warn!(%peer, error = %e, "websocket handshake refused");
            (
                e.status().unwrap_or(StatusCode::BAD_REQUEST),
                format!("{e}\n"),
            )
                .into_response()
        }
    }
}

/// Echoes until the connection ends, then logs why.
async fn echo(upgrade: UpgradeFut, peer: SocketAddr, counters: Echo) {
    let id = counters.next_id.fetch_add(1, Ordering::Relaxed) + 1;
    let mut ws = match upgrade.await {
        Ok(ws) => ws,
        Err(e) => {
            warn!(id, %peer, error = %e, "websocket upgrade failed");
            return;
        }
    };
    counters.open.fetch_add(1, Ordering::Relaxed);
    let _open = Open(counters.open.clone());
    info!(id, %peer, path = "/ws", "websocket connected");
    let mut echoed = 0u64;
    let mut reason = String::from("connection closed without a Close frame");
    while let Some(message) = ws.next().await {
        match message {
            Ok(message @ (Message::Text(_) | Message::Binary(_))) => {
                if let Err(e) = ws.send(message).await {
                    reason = format!("send failed: {e}");
                    break;
                }
                echoed += 1;
            }
            // The stream answers it; the loop goes on until the end.
            Ok(Message::Close(frame)) => {
                reason = match frame {
                    Some(frame) if frame.reason.is_empty() => format!("close {}", frame.code),
                    Some(frame) => format!("close {} {:?}", frame.code, &*frame.reason),
                    None => String::from("close without a status"),
                };
            }
            Ok(Message::Ping(_) | Message::Pong(_)) => {}
            Err(e) => {
                reason = format!("error: {e}");
                break;
            }
        }
    }
    info!(id, %peer, echoed, reason, "websocket disconnected");
}
