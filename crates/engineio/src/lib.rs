//! Engine.IO v4 packets and long-polling payloads, sans-IO.
//!
//! Engine.IO is the transport layer under Socket.IO: a session opened by
//! the server's handshake, heartbeats the server drives, text and binary
//! messages, and two transports, WebSocket (one packet per message) and
//! HTTP long-polling (packets joined by `0x1E` in a request body). This
//! crate is the wire format, exact to the Engine.IO v4 protocol document:
//!
//! * [`EnginePacket`]: open (with its typed [`OpenPacket`] handshake),
//!   close, ping and pong (including the `2probe`/`3probe` upgrade probe),
//!   message (text, or binary: raw over WebSocket, `b` + base64 in a
//!   payload), upgrade and noop; malformed packets are typed [`Error`]s;
//! * [`payload`]: long-polling payloads, decoded whole ([`decode_payload`])
//!   or as a body streams in ([`PayloadCodec`]), refused past `maxPayload`
//!   before the excess is buffered;
//! * [`EngineCodec`]: packets over any WebSocket message codec, such as
//!   `tether-message`'s.
//!
//! * [`session`]: the session as a sans-IO state machine (handshake,
//!   heartbeat deadlines, the upgrade, buffering, close reasons): packets
//!   and `now` in, packets per transport and the next deadline out;
//! * `server` (feature `server`): `EngineServer`, the Engine.IO v4 server
//!   on tokio and hyper 1 (long-polling and WebSocket transports, the
//!   upgrade, CORS, limits), a hyper service and a tower layer that mounts
//!   next to ordinary routes on one port. Run the `eio_echo_server` example to
//!   point any Engine.IO client at it:
//!   `cargo run -p tether-engineio --features server --example eio_echo_server`.
//!
//! # Example
//!
//! ```
//! use bytes::{Bytes, BytesMut};
//! use tether_engineio::{decode_payload, encode_payload, EnginePacket, PayloadConfig};
//!
//! // A long-polling body: two text messages and a binary one.
//! let body = Bytes::from_static("4hello\x1e4€\x1ebAQIDBA==".as_bytes());
//! let packets = decode_payload(body.clone(), &PayloadConfig::default())?
//!     .collect::<Result<Vec<_>, _>>()?;
//! assert_eq!(packets, [
//!     EnginePacket::message("hello"),
//!     EnginePacket::message("€"),
//!     EnginePacket::binary(vec![1, 2, 3, 4]),
//! ]);
//!
//! let mut out = BytesMut::new();
//! encode_payload(&packets, &mut out)?;
//! assert_eq!(out, body);
//! # Ok::<(), tether_engineio::Error>(())
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

mod codec;
mod error;
mod packet;
pub mod payload;
#[cfg(feature = "server")]
pub mod server;
pub mod session;

pub use codec::{EngineCodec, MessageKind, WebSocketMessage};
pub use error::Error;
pub use packet::{EnginePacket, MessageData, OpenPacket, PacketType};
pub use payload::{decode_payload, encode_payload, PayloadCodec, PayloadConfig, PayloadPackets};
pub use tether_message::{CloseCode, CloseFrame, Utf8Bytes};
