//! Upgrading hyper 1 requests (and so axum handlers) into WebSocket
//! streams, on the same port as an HTTP server.
//!
//! ```no_run
//! use futures::{SinkExt, StreamExt};
//! use http_body_util::Empty;
//! use hyper::body::{Bytes, Incoming};
//! use hyper::{Request, Response};
//!
//! async fn handle(mut req: Request<Incoming>) -> Result<Response<Empty<Bytes>>, tether_ws::Error> {
//!     if !tether_ws::is_upgrade_request(&req) {
//!         return Ok(Response::new(Empty::new())); // an ordinary HTTP answer
//!     }
//!     let (response, upgrade) = tether_ws::upgrade(&mut req)?;
//!     tokio::spawn(async move {
//!         let mut ws = upgrade.await?;
//!         while let Some(message) = ws.next().await {
//!             let message = message?;
//!             if message.is_control() { continue; }
//!             ws.send(message).await?;
//!         }
//!         Ok::<_, tether_ws::Error>(())
//!     });
//!     Ok(response)
//! }
//! ```

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::BytesMut;
use http::{Request, Response};
use hyper::upgrade::{OnUpgrade, Upgraded};
use hyper_util::rt::TokioIo;

use crate::handshake::server;
use crate::{Error, HandshakeError, Role, WebSocketConfig, WebSocketStream};

/// The stream an upgraded hyper connection becomes.
pub type HyperWebSocket = WebSocketStream<TokioIo<Upgraded>>;

/// Whether `request` asks for a WebSocket upgrade (`Upgrade: websocket` and
/// `Connection: upgrade`); it may still be invalid in other ways.
pub fn is_upgrade_request<B>(request: &Request<B>) -> bool {
    let h = request.headers();
    crate::handshake::has_token(h, &http::header::UPGRADE, "websocket")
        && crate::handshake::has_token(h, &http::header::CONNECTION, "upgrade")
}

/// Checks `request` as an upgrade and returns the `101` response to send
/// (any body type with a `Default`, e.g. `Empty<Bytes>`, `String` or
/// axum's `Body`) and a future that resolves to the WebSocket once hyper
/// has sent it. The default configuration; subprotocol: none.
///
/// # Errors
///
/// [`HandshakeError::Rejected`] if the request is not a valid upgrade:
/// answer it with [`HandshakeError::status`] and
/// [`RequestProblem::reason`](crate::RequestProblem::reason) yourself.
pub fn upgrade<B, R: Default>(
    request: &mut Request<B>,
) -> Result<(Response<R>, UpgradeFut), HandshakeError> {
    upgrade_with_config(request, WebSocketConfig::default(), None)
}

/// As [`upgrade`], with `config` and the subprotocol to answer with
/// (ignored unless the client offered it; without one, the first offer
/// listed in [`HandshakeConfig::protocols`](crate::HandshakeConfig::protocols)).
/// With the `deflate` feature, permessage-deflate is negotiated as
/// [`HandshakeConfig::deflate`](crate::HandshakeConfig::deflate) says.
///
/// # Errors
///
/// As [`upgrade`].
pub fn upgrade_with_config<B, R: Default>(
    request: &mut Request<B>,
    #[cfg_attr(not(feature = "deflate"), allow(unused_mut))] mut config: WebSocketConfig,
    protocol: Option<&str>,
) -> Result<(Response<R>, UpgradeFut), HandshakeError> {
    let offer = server::validate(request)?;
    let protocol = protocol
        .filter(|p| offer.protocols.iter().any(|o| o == p))
        .map(str::to_owned)
        .or_else(|| {
            offer
                .protocols
                .iter()
                .find(|p| config.handshake.protocols.contains(p))
                .cloned()
        });
    #[cfg(feature = "deflate")]
    let (negotiated, answer) =
        crate::deflate::negotiate(&config.handshake.deflate, &offer.extensions).unzip();
    #[cfg(not(feature = "deflate"))]
    let answer: Option<crate::handshake::Extension> = None;
    #[cfg(feature = "deflate")]
    crate::deflate::apply(&mut config, negotiated);
    let head = server::accept_response(&offer, protocol.as_deref(), answer.as_slice());
    let (parts, ()) = head.into_parts();
    let response = Response::from_parts(parts, R::default());
    let on_upgrade = hyper::upgrade::on(request);
    Ok((
        response,
        UpgradeFut {
            on_upgrade,
            config: Some(config),
            protocol,
        },
    ))
}

/// Resolves to the WebSocket once hyper has sent the `101` response and
/// handed over the connection.
#[derive(Debug)]
pub struct UpgradeFut {
    on_upgrade: OnUpgrade,
    config: Option<WebSocketConfig>,
    protocol: Option<String>,
}

impl Future for UpgradeFut {
    type Output = Result<HyperWebSocket, Error>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let upgraded = std::task::ready!(Pin::new(&mut self.on_upgrade).poll(cx))
            .map_err(|e| Error::Io(std::io::Error::other(e)))?;
        let config = self.config.take().unwrap_or_default();
        let protocol = self.protocol.take();
        // hyper keeps bytes it read past the request inside `Upgraded`.
        let stream = WebSocketStream::from_raw_parts(
            TokioIo::new(upgraded),
            Role::Server,
            config,
            BytesMut::new(),
        )
        .with_protocol(protocol);
        Poll::Ready(Ok(stream))
    }
}
