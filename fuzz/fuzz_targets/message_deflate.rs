//! permessage-deflate in `tether_message::MessageCodec`: arbitrary bytes as
//! compressed frames through the decoder with arbitrary parameters and
//! limits, and a differential round trip.
//!
//! Input: byte 0: bit 0 role of the decoder (0 server, 1 client), bit 1
//! `server_no_context_takeover`, bit 2 `client_no_context_takeover`, bits
//! 3-5 `max_message_size` from `MAX_MESSAGE_SIZES`, bit 6 `fragment_size`
//! of the sender (64 bytes) in the round trip; byte 1: `server_max_window_bits`
//! (low nibble, 8 + n % 8) and `client_max_window_bits` (high nibble);
//! byte 2: read size (1 + n) and compression level (n % 10); the rest `P`.
//!
//! Checks:
//! * `P` as a wire, as the payload of one compressed binary frame and of
//!   one compressed text frame: no panic; the same messages and error in
//!   one read and in reads of the chosen size; every error is a peer error
//!   (1002, 1007, 1009) or `Truncated`; no data message over the limit;
//!   text is UTF-8;
//! * `P` as a binary message and (its UTF-8 prefix) as a text message, sent
//!   compressed with the parameters and decoded by the other end in reads
//!   of the chosen size: the same messages come out, twice (context
//!   takeover).
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use tether_frame::{Frame, FrameCodec, OpCode, Role, Rsv};
use tether_message::{DeflateParams, Error, ErrorKind, Message, MessageCodec, MessageConfig};
use tokio_util::codec::{Decoder, Encoder};

const MAX_MESSAGE_SIZES: [u64; 8] = [
    MessageConfig::DEFAULT_MAX_MESSAGE_SIZE,
    0,
    1,
    5,
    125,
    1000,
    0x1_0000,
    1 << 20,
];

fn decode_all(codec: &mut MessageCodec, wire: &[u8], read: usize) -> (Vec<Message>, Option<String>) {
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for piece in wire.chunks(read.max(1)) {
        buf.extend_from_slice(piece);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(m)) => out.push(m),
                Ok(None) => break,
                Err(e) => return (out, Some(check(e))),
            }
        }
    }
    loop {
        match codec.decode_eof(&mut buf) {
            Ok(Some(m)) => out.push(m),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(check(e))),
        }
    }
}

fn check(e: Error) -> String {
    let truncated = matches!(e, Error::Frame(tether_frame::Error::Truncated { .. }));
    assert!(
        truncated || (e.kind() == ErrorKind::Peer && e.close_code().is_some()),
        "unexpected error {e:?}"
    );
    format!("{e:?}")
}

fuzz_target!(|data: &[u8]| {
    let [b0, b1, b2, payload @ ..] = data else {
        return;
    };
    let role = if b0 & 1 == 0 { Role::Server } else { Role::Client };
    let limit = MAX_MESSAGE_SIZES[usize::from((b0 >> 3) & 7)];
    let params = DeflateParams::default()
        .with_server_no_context_takeover(b0 & 2 != 0)
        .with_client_no_context_takeover(b0 & 4 != 0)
        .with_server_max_window_bits(8 + (b1 & 0x0f) % 8)
        .with_client_max_window_bits(8 + (b1 >> 4) % 8)
        .with_compression_level(u32::from(*b2) % 10)
        .with_threshold(0);
    let read = 1 + usize::from(*b2);
    let config = MessageConfig::default()
        .with_deflate(Some(params))
        .with_max_message_size(limit);

    // Arbitrary bytes through the decoder.
    let sender = match role {
        Role::Server => Role::Client,
        Role::Client => Role::Server,
    };
    let mut frames = FrameCodec::new(sender);
    let mut wires = vec![payload.to_vec()];
    for opcode in [OpCode::Binary, OpCode::Text] {
        let mut w = BytesMut::new();
        let frame = Frame::new(opcode, payload.to_vec()).with_rsv(Rsv::RSV1);
        frames.encode(frame, &mut w).expect("a data frame");
        wires.push(w.to_vec());
    }
    for wire in &wires {
        let whole = decode_all(&mut MessageCodec::with_config(role, config.clone()), wire, usize::MAX);
        let split = decode_all(&mut MessageCodec::with_config(role, config.clone()), wire, read);
        assert_eq!(whole, split, "read boundaries changed the outcome");
        for m in &whole.0 {
            if !m.is_control() {
                assert!(m.len() as u64 <= limit, "message over the limit");
            }
            if let Message::Text(t) = m {
                assert!(std::str::from_utf8(t.as_bytes()).is_ok());
            }
        }
    }

    // Differential round trip.
    let text = match std::str::from_utf8(payload) {
        Ok(s) => s,
        Err(e) => std::str::from_utf8(&payload[..e.valid_up_to()]).unwrap_or_default(),
    };
    let messages = vec![
        Message::binary(payload.to_vec()),
        Message::text(text),
        Message::binary(payload.to_vec()),
        Message::text(text),
    ];
    let send_config = config
        .clone()
        .with_max_message_size(MessageConfig::DEFAULT_MAX_MESSAGE_SIZE)
        .with_fragment_size((b0 & 0x40 != 0).then_some(64));
    let mut tx = MessageCodec::with_config(sender, send_config);
    let mut wire = BytesMut::new();
    for m in &messages {
        tx.encode(m.clone(), &mut wire).expect("encodes");
    }
    let rx_config = config.with_max_message_size(MessageConfig::DEFAULT_MAX_MESSAGE_SIZE);
    let (got, err) = decode_all(&mut MessageCodec::with_config(role, rx_config), &wire, read);
    assert_eq!(err, None);
    assert_eq!(got, messages);
});
