//! The library behind the `tether` command's client side: the load
//! generator core of `tether load` (also what `bench-load` in `benches/`
//! runs), and the small Socket.IO client of `tether connect` and
//! `tether load`.
//!
//! * [`loadgen`]: a WebSocket echo load ([`loadgen::ws_echo`]) and a
//!   Socket.IO load ([`loadgen::sio`]: emits with acks, or a broadcast to a
//!   room), closed loop or at a fixed rate per connection, bounded in time
//!   and in message count, with live [`Counters`](loadgen::Counters) for a
//!   progress display and an [`Outcome`](loadgen::Outcome) with latency
//!   percentiles and errors by kind.
//! * [`sio_client`]: a Socket.IO v5 client over the Engine.IO v4 WebSocket
//!   transport, on `tether-ws` and `tether-socketio`'s `Packet` and
//!   `PacketDecoder`: one namespace, auth, events, acks both ways, binary
//!   attachments, heartbeat. Deliberately small and self-contained (a
//!   fuller client is planned in `tether-socketio`).
//!
//! # Example
//!
//! A short closed-loop echo load against a WebSocket echo server:
//!
//! ```no_run
//! use std::sync::Arc;
//! use std::time::Duration;
//! use tether_cli::loadgen::{ws_echo, Counters, Plan};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! let counters = Arc::new(Counters::default());
//! let mut load = ws_echo::connect("ws://127.0.0.1:9001/", 4, &counters).await;
//! let plan = Plan::new(Duration::from_secs(1)).with_size(64);
//! let outcome = load.run(&plan, &counters).await;
//! println!(
//!     "{} round trips, p99 {} µs, {} errors",
//!     outcome.received,
//!     outcome.latencies.percentile(0.99),
//!     outcome.error_count()
//! );
//! load.close(Duration::from_secs(2)).await;
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod loadgen;
pub mod sio_client;
