//! Server-Sent Events (`text/event-stream`) to the WHATWG rules.
//!
//! The HTML Living Standard (section 9.2, "Server-sent events") gives every
//! byte sequence a meaning; [`EventStreamDecoder`] implements its "Parsing an
//! event stream" and "Interpreting an event stream" sections exactly, whatever
//! the read boundaries:
//!
//! * UTF-8 with one leading BOM stripped and invalid bytes replaced by U+FFFD
//!   (never an error that ends the stream);
//! * CRLF, LF and lone CR line ends, a CRLF split across reads counting once;
//! * `data`, `event`, `id` (ignored if it holds NUL) and `retry` (ASCII
//!   digits only, in effect at once: [`EventStreamDecoder::reconnection_time`]);
//! * dispatch on a blank line, the last event ID updated even when no event
//!   fires ([`EventStreamDecoder::last_event_id`]); an unfinished event at the
//!   end of the stream is dropped;
//! * linear time (each byte searched once, SIMD line-end search and UTF-8
//!   validation), zero-copy values, and the only errors are the limits of
//!   [`DecoderConfig`].
//!
//! [`encode`] (also [`EventStreamEncoder`], a `tokio-util` encoder) writes an
//! [`Event`] so that it decodes back: text is split into lines at every line
//! end, and an `id` or `event` that would break the structure is an error,
//! never an injected field.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use bytes::BytesMut;
//! use tether_sse::{encode, Event, EventStreamDecoder};
//!
//! let mut wire = BytesMut::new();
//! encode(&Event::default().with_retry(Duration::from_secs(2)), &mut wire).unwrap();
//! encode(&Event::new("line 1\nline 2").with_id("42").with_event("update"), &mut wire).unwrap();
//! encode(&Event::default().with_comment("keep-alive"), &mut wire).unwrap();
//! encode(&Event::new("bye"), &mut wire).unwrap();
//!
//! // Feed the decoder one byte at a time: the events are the same.
//! let mut decoder = EventStreamDecoder::new();
//! let mut buf = BytesMut::new();
//! let mut events = Vec::new();
//! for byte in wire.iter() {
//!     buf.extend_from_slice(&[*byte]);
//!     while let Some(event) = decoder.decode(&mut buf).unwrap() {
//!         events.push(event);
//!     }
//! }
//! assert_eq!(decoder.decode_eof(&mut buf).unwrap(), None);
//!
//! assert_eq!(events.len(), 2);
//! assert_eq!(events[0].event_type(), "update");
//! assert_eq!(events[0].data(), "line 1\nline 2");
//! assert_eq!(events[0].last_event_id(), "42");
//! assert_eq!(events[1].event_type(), "message");
//! assert_eq!(events[1].data(), "bye");
//! assert_eq!(events[1].last_event_id(), "42"); // the id stays in force
//! assert_eq!(decoder.last_event_id(), "42");
//! assert_eq!(decoder.reconnection_time(), Some(Duration::from_secs(2)));
//! ```
//!
//! With `tokio-util`, `FramedRead::new(body, EventStreamDecoder::new())` is a
//! `Stream` of events and `FramedWrite::new(io, EventStreamEncoder)` a `Sink`
//! of them.
//!
//! # Server and client
//!
//! With the `server` feature, a `Channel` broadcasts events to every
//! subscriber's `EventStream`, an `http-body` 1 response body (served by
//! hyper 1 as it is) with `Content-Type: text/event-stream`,
//! `Cache-Control: no-cache` and keep-alive comments, which resumes a
//! reconnecting client from its `Last-Event-ID` through a bounded replay
//! buffer shared by all subscribers; `sse_response` builds the response,
//! and with the `axum` feature `EventStream` is an `IntoResponse`. With the
//! `client` feature, `EventSource` connects over HTTP/1.1, requires 200 and
//! `text/event-stream` (anything else ends it without a retry, as in a
//! browser) and reconnects after the server's `retry`, with backoff and a
//! cap, sending `Last-Event-ID`. A ticking demo with a browser page:
//!
//! ```text
//! cargo run -p tether-sse --features server --example server -- 127.0.0.1:8080
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

#[cfg(feature = "client")]
mod client;
mod config;
mod decoder;
mod encoder;
mod error;
mod event;
#[cfg(feature = "server")]
mod server;
mod text;

#[cfg(feature = "client")]
pub use client::{ClientConfig, ClientError, EventSource};
pub use config::DecoderConfig;
pub use decoder::EventStreamDecoder;
pub use encoder::{encode, EventStreamEncoder};
pub use error::{Error, ErrorKind};
pub use event::Event;
#[cfg(feature = "server")]
pub use server::{last_event_id, sse_response, Channel, ChannelConfig, EventStream};
pub use text::Utf8Bytes;
