//! permessage-deflate (RFC 7692): tether against ratchet (ratchet_rs 1.2 with
//! ratchet_deflate 1.2), in a build of its own.
//!
//! Why a separate package: ratchet_deflate turns on flate2's `zlib` feature
//! (C zlib through libz-sys), and flate2 compiled with both `zlib` and
//! `zlib-rs` uses C zlib, for every crate of the build. In the tether
//! workspace that would move tether, yawc and sockudo-ws of tether-benches'
//! `deflate` bench from zlib-rs to C zlib. Here only tether and ratchet are
//! built, so both compress and inflate with the same C zlib, and nothing
//! else is measured on it.
//!
//! The settings are those of tether-benches' `deflate` bench: zlib level 6,
//! 15-bit windows both ways, context takeover both ways, JSON-like text of
//! 1 KiB, 16 KiB and 1 MiB, about 1 MiB of text per iteration, compressed
//! client frames in 4 KiB reads.
//!
//! * [`workload`]: the texts (made here, not tether-benches' `json_message`:
//!   that lives behind tether-benches' `deflate` feature, which brings in
//!   yawc and sockudo-ws and, without it, the crate still brings in some 150
//!   crates of other peers), the compressed wire from a reference
//!   compressor, and the reference inflater that checks what the encoders
//!   write.
//! * [`transport`]: in-memory transports that ratchet accepts (`Send +
//!   'static`), used by both implementations.
//! * [`drivers`]: one server driver per implementation and the checks they
//!   pass before timing.
//!
//! The criterion bench is `benches/ratchet_deflate.rs`; the echo pairs live
//! there.

#![forbid(unsafe_code)]

pub mod drivers;
pub mod transport;
pub mod workload;
