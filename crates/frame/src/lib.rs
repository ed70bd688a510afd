//! RFC 6455 WebSocket frames: a strict, zero-copy, sans-IO frame layer.
//!
//! This crate is the bottom layer of tether. It turns a byte stream into
//! [`Frame`]s and back, following RFC 6455 section 5 to the letter, and it
//! does not care where the reads fall: a frame split over seventy reads and
//! thirty frames in one read decode the same.
//!
//! * [`FrameHeader`]: parse and encode all three length forms, sans-IO.
//! * [`FrameCodec`]: a tokio-util [`Decoder`](tokio_util::codec::Decoder) and
//!   [`Encoder`](tokio_util::codec::Encoder) of whole frames whose payloads are
//!   split from the read buffer and unmasked in place, once.
//! * [`FrameStreamCodec`]: the same rules, delivering payloads in chunks as
//!   they arrive, for frames too large to buffer.
//! * [`mask`]: masking with a wide fast path (AVX2 when present).
//! * [`CloseCode`], [`CloseFrame`]: close payloads, checked on both sides.
//! * [`Utf8Bytes`], [`Utf8Validator`], [`Utf8Buf`]: text validated once,
//!   whole or as its pieces arrive, then shared without a second check.
//! * [`Error`]: every violation, with the close code it maps to.
//!
//! # Example
//!
//! A server-side codec over any `AsyncRead + AsyncWrite`:
//!
//! ```
//! use futures::{SinkExt, StreamExt};
//! use tether_frame::{Frame, FrameCodec, OpCode, Role};
//! use tokio_util::codec::Framed;
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), tether_frame::Error> {
//! let (client_io, server_io) = tokio::io::duplex(64);
//! let mut client = Framed::new(client_io, FrameCodec::new(Role::Client));
//! let mut server = Framed::new(server_io, FrameCodec::new(Role::Server));
//!
//! client.send(Frame::text("Hello")).await?;
//! client.send(Frame::ping("are you there")).await?;
//!
//! let hello = server.next().await.unwrap()?;
//! assert_eq!((hello.opcode, &hello.payload[..]), (OpCode::Text, &b"Hello"[..]));
//! let ping = server.next().await.unwrap()?;
//! server.send(Frame::pong(ping.payload)).await?;
//!
//! let pong = client.next().await.unwrap()?;
//! assert_eq!(&pong.payload[..], b"are you there");
//! # Ok(())
//! # }
//! ```
#![deny(unsafe_code)]
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

mod close;
mod codec;
mod config;
mod error;
mod fast;
mod frame;
mod header;
pub mod mask;
mod opcode;
mod stream;
mod utf8;
mod validate;

pub use close::{CloseCode, CloseFrame};
pub use codec::{new_mask_key, EncodedFrame, FrameCodec};
pub use config::{FrameConfig, Role};
pub use error::{Error, ErrorKind};
pub use frame::Frame;
pub use header::{FrameHeader, HeaderBytes, MAX_HEADER_LEN, MAX_PAYLOAD_LEN};
pub use opcode::{OpCode, Rsv};
pub use stream::{FrameChunk, FrameStreamCodec};
pub use utf8::{Utf8Bytes, Utf8Error};
pub use validate::{InvalidUtf8, TextPieces, Utf8Buf, Utf8Validator};
