//! Socket.IO v5 packets with binary attachments, sans-IO.
//!
//! Socket.IO runs over Engine.IO: every Socket.IO packet is the text of one
//! Engine.IO message, and a binary packet's attachments follow it as binary
//! messages. This crate is that packet layer, exact to the Socket.IO v5
//! protocol document and the reference `socket.io-parser`:
//!
//! * [`Packet`]: the seven packet types ([`PacketType`]), namespaces, ack
//!   ids and JSON payloads, built by typed constructors that validate what
//!   they are given, and written by [`Packet::encode`];
//! * [`PacketDecoder`]: a state machine over Engine.IO message payloads
//!   that validates each packet in a single serde_json pass (no tree),
//!   waits for a binary packet's attachments within the [`SocketConfig`]
//!   limits, and reports every violation as a typed [`Error`];
//! * zero copy: a decoded packet's namespace and payload are slices of the
//!   message, and re-encoding writes the payload text back as it came;
//! * a serde bridge for binary data: byte strings (`bytes::Bytes`,
//!   `serde_bytes`) in outgoing data become `{"_placeholder":true,"num":i}`
//!   plus attachment `i`, numbered depth-first as the reference encoder
//!   does, and placeholders in incoming data deserialize back into byte
//!   types ([`Payload::deserialize`], [`Packet::args`]);
//! * with the `server` feature, `server::SocketIo`: the Socket.IO server
//!   on tether-engineio's Engine.IO server (namespaces, middleware, events
//!   and acks, rooms and broadcast, connection state recovery), for the
//!   official clients.
//!
//! # Example
//!
//! ```
//! use bytes::Bytes;
//! use tether_socketio::{Packet, PacketDecoder, PacketType};
//!
//! // An event with a binary argument becomes a BINARY_EVENT.
//! let file = Bytes::from_static(b"\x89PNG");
//! let packet = Packet::event_with_ack("/chat", "upload", &("pic.png", file.clone()), 7)?;
//! let (text, attachments) = packet.encode();
//! assert_eq!(
//!     text,
//!     r#"51-/chat,7["upload","pic.png",{"_placeholder":true,"num":0}]"#
//! );
//!
//! // The receiving side: the text, then one binary message.
//! let mut decoder = PacketDecoder::new();
//! assert!(decoder.decode_text(text)?.is_none());
//! let received = decoder.decode_binary(attachments[0].clone())?.expect("complete");
//! assert_eq!(received.packet_type(), PacketType::BinaryEvent);
//! assert_eq!(received.event_name().and_then(|n| n.as_str().map(str::to_owned)).as_deref(), Some("upload"));
//! let (name, data): (String, Bytes) = received.args()?;
//! assert_eq!((name.as_str(), data), ("pic.png", file));
//!
//! // Answer the ack.
//! let ack = Packet::ack(received.namespace().clone(), 7, &("ok",))?;
//! assert_eq!(ack.encode_text(), r#"3/chat,7["ok"]"#);
//! # Ok::<(), tether_socketio::Error>(())
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

mod binary;
mod codec;
mod config;
mod de;
mod decoder;
mod error;
mod json;
mod packet;
mod payload;
mod ser;
#[cfg(feature = "server")]
pub mod server;
mod validate;

pub use binary::Binary;
pub use codec::{Inbound, SocketCodec};
pub use config::SocketConfig;
pub use decoder::PacketDecoder;
pub use error::{Error, ErrorKind};
pub use packet::{
    is_reserved_event_name, EventName, Packet, PacketType, MAIN_NAMESPACE, MAX_ACK_ID,
    RESERVED_EVENT_NAMES,
};
pub use payload::Payload;
pub use tether_engineio::{EnginePacket, Utf8Bytes};
