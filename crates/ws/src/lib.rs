//! WebSocket connections (RFC 6455): the opening handshake, client and
//! server streams with automatic pongs, the close handshake, keepalive and
//! idle timeouts, and hyper/axum upgrades.
//!
//! The third layer of tether: the opening handshake ([`handshake`], sans-IO
//! with async helpers) on top of [`tether_message`]'s message codec; the
//! connection itself as a sans-IO state machine, [`Connection`] (bytes and
//! the time in; messages, bytes to write and the next deadline out); and
//! [`WebSocketStream`], the tokio adapter over it: a `Stream` of received
//! messages and a `Sink` of messages to send over any
//! `AsyncRead + AsyncWrite`, which also receives and sends messages as
//! streams of chunks ([`WebSocketStream::next_chunk`],
//! [`WebSocketStream::send_stream`]) for messages too large to hold.
//! With the `deflate` feature, permessage-deflate (RFC 7692) is negotiated
//! when configured (`DeflateConfig`), and
//! a message that must not share a compression context with others (a
//! secret next to attacker-chosen data) is sent as
//! [`Outgoing::uncompressed`], also through the writing half of a split
//! stream.
//!
//! A peer that breaks the protocol gets the Close with the mapped code
//! before the error reaches the application, so an application that stops
//! at the first error (as the example below does with `?`) still fails the
//! connection the way RFC 6455 asks.
//!
//! * Server: [`accept`] / [`accept_with_config`] on a TCP (or any) stream,
//!   with a callback that sees the request (path, headers, `Origin`), picks
//!   a subprotocol and may refuse with a status ([`accept_hdr_with_config`]);
//!   or, with the `hyper` feature, `upgrade` a hyper 1
//!   request on the same port as an HTTP server (and so an axum handler).
//! * Client: [`connect`] (`ws://`, and `wss://` with the `rustls` feature),
//!   or [`client_handshake`] over a stream you connected.
//!
//! # Example
//!
//! ```
//! use futures::{SinkExt, StreamExt};
//! use tether_ws::Message;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), tether_ws::Error> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let url = format!("ws://{}/echo", listener.local_addr()?);
//! let server = tokio::spawn(async move {
//!     let (tcp, _) = listener.accept().await?;
//!     let mut ws = tether_ws::accept(tcp).await?;
//!     while let Some(message) = ws.next().await {
//!         match message? {
//!             m @ (Message::Text(_) | Message::Binary(_)) => ws.send(m).await?,
//!             _ => {}
//!         }
//!     }
//!     Ok::<_, tether_ws::Error>(())
//! });
//!
//! let (mut ws, _response) = tether_ws::connect(&url).await?;
//! ws.send(Message::text("hello")).await?;
//! assert_eq!(ws.next().await.unwrap()?, Message::text("hello"));
//! ws.close().await?;
//! server.await.unwrap()?;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]
#![cfg_attr(
    not(test),
    warn(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing
    )
)]

mod config;
mod connect;
mod connection;
#[cfg(feature = "deflate")]
pub mod deflate;
mod error;
pub mod handshake;
#[cfg(feature = "hyper")]
mod hyper_upgrade;
mod stream;
#[cfg(feature = "rustls")]
pub mod tls;

pub use config::{HandshakeConfig, WebSocketConfig};
pub use connect::{
    accept, accept_hdr_with_config, accept_with_config, client_handshake, connect,
    connect_with_config, Callback, MaybeTlsStream, NoCallback,
};
pub use connection::{AfterFlush, Connection};
#[cfg(feature = "deflate")]
pub use deflate::DeflateConfig;
pub use error::{
    DeflateProblem, Error, ErrorKind, HandshakeError, RequestProblem, ResponseProblem,
};
#[cfg(feature = "hyper")]
pub use hyper_upgrade::{
    is_upgrade_request, upgrade, upgrade_with_config, HyperWebSocket, UpgradeFut,
};
pub use stream::{NextChunk, Outgoing, WebSocketStream};
pub use tether_frame::{CloseCode, CloseFrame, Role, Utf8Bytes};
pub use tether_message::{DataKind, Fragment, Message, MessageChunk, MessageConfig};

/// The HTTP types of the handshake (re-exported `http` crate).
pub use http;
