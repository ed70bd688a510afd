//! WebSocket messages over RFC 6455 frames.
//!
//! TCP delivers a byte stream, not messages: one read may hold the end of
//! one message and the start of the next three, and one message may take a
//! thousand reads. [`MessageCodec`] turns the frames of
//! [`tether_frame::FrameCodec`] into [`Message`]s whatever the read
//! boundaries, with:
//!
//! * reassembly of fragments, control frames delivered at once between them;
//! * fail-fast UTF-8: invalid text is reported (close code 1007) as soon as
//!   the bytes that prove it arrive, mid-frame and mid-message, each byte
//!   validated once (SIMD: an AVX-512 kernel where the CPU has it, else
//!   `simdutf8`);
//! * limits on message size (checked from frame headers before buffering)
//!   and on fragments per message (1009);
//! * zero-copy single-frame messages;
//! * outgoing fragmentation, automatic or streamed ([`Fragment`]) with
//!   control frames between the pieces;
//! * [`MessageStreamCodec`]: messages handed out in validated chunks as they
//!   arrive, for payloads too large to buffer;
//! * with the `deflate` feature, permessage-deflate (RFC 7692):
//!   `DeflateParams`, `MessageConfig::with_deflate`,
//!   `MessageCodec::set_deflate`, `MessageStreamCodec::set_deflate`;
//!   decompression bounded by the message size limit, UTF-8 of compressed
//!   text validated as it inflates; `MessageStreamCodec` hands out the
//!   inflated bytes in chunks of at most 64 KiB as they inflate.
//!
//! # Example
//!
//! ```
//! use bytes::BytesMut;
//! use tether_message::{Message, MessageCodec, MessageConfig};
//! use tether_frame::Role;
//! use tokio_util::codec::{Decoder, Encoder};
//!
//! // A client that fragments everything into 4-byte frames.
//! let config = MessageConfig::default().with_fragment_size(Some(4));
//! let mut client = MessageCodec::with_config(Role::Client, config);
//! let mut server = MessageCodec::new(Role::Server);
//!
//! let mut wire = BytesMut::new();
//! client.encode(Message::text("héllo wörld"), &mut wire).unwrap();
//! client.encode(Message::Ping("p".into()), &mut wire).unwrap();
//!
//! // Feed the server one byte at a time: the result is the same.
//! let mut buf = BytesMut::new();
//! let mut got = Vec::new();
//! for byte in wire.iter() {
//!     buf.extend_from_slice(&[*byte]);
//!     while let Some(message) = server.decode(&mut buf).unwrap() {
//!         got.push(message);
//!     }
//! }
//! assert_eq!(got, vec![Message::text("héllo wörld"), Message::Ping("p".into())]);
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
mod config;
#[cfg(feature = "deflate")]
mod deflate;
mod error;
mod message;
mod stream;

pub use codec::{Fragment, MessageCodec};
pub use config::MessageConfig;
#[cfg(feature = "deflate")]
pub use deflate::DeflateParams;
pub use error::{Error, ErrorKind};
pub use message::{DataKind, Message};
pub use stream::{MessageChunk, MessageStreamCodec};
pub use tether_frame::{CloseCode, CloseFrame, Role, Utf8Bytes};
