//! permessage-deflate in `tether_message::MessageCodec` and
//! `MessageStreamCodec`: arbitrary bytes as compressed frames through the
//! decoders with arbitrary parameters and limits, the streaming decoder
//! against the whole-message one, and a differential round trip.
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
//! * the same three wires through `MessageStreamCodec` (same parameters and
//!   limit), in one read and in reads of the chosen size: its chunks
//!   (flags checked, text chunks UTF-8 on their own, none of a compressed
//!   message over 64 KiB) join to `MessageCodec`'s messages, those of a
//!   message cut short by the error left out, and the error is the same
//!   (`Truncated` in kind: what it counts as buffered differs);
//! * `P` as a binary message and (its UTF-8 prefix) as a text message, sent
//!   compressed with the parameters and decoded by the other end in reads
//!   of the chosen size: the same messages come out, twice (context
//!   takeover), from `MessageCodec` and joined from `MessageStreamCodec`.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use tether_frame::{Frame, FrameCodec, OpCode, Role, Rsv};
use tether_message::{
    DeflateParams, Error, ErrorKind, Message, MessageChunk, MessageCodec, MessageConfig,
    MessageStreamCodec,
};
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

/// The largest chunk of a compressed message `MessageStreamCodec` hands out.
const CHUNK_MAX: usize = 64 << 10;

fn stream_all(
    codec: &mut MessageStreamCodec,
    wire: &[u8],
    read: usize,
) -> (Vec<MessageChunk>, Option<String>) {
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for piece in wire.chunks(read.max(1)) {
        buf.extend_from_slice(piece);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(c)) => out.push(c),
                Ok(None) => break,
                Err(e) => return (out, Some(check(e))),
            }
        }
    }
    loop {
        match codec.decode_eof(&mut buf) {
            Ok(Some(c)) => out.push(c),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(check(e))),
        }
    }
}

/// The messages the chunks make, checking the flags (`first` exactly on a
/// message's first chunk, `last` on its last) and that each text chunk is
/// UTF-8 on its own; the chunks of a message that has not ended are left
/// out (the stream ended with an error), and so is `Truncated`'s count.
fn join(chunks: &[MessageChunk]) -> Vec<Message> {
    let mut out = Vec::new();
    let mut open: Option<(bool, Vec<u8>)> = None;
    for chunk in chunks {
        let (text, data, first, last) = match chunk {
            MessageChunk::Control(m) => {
                assert!(m.is_control());
                out.push(m.clone());
                continue;
            }
            MessageChunk::Text { data, first, last } => {
                assert!(std::str::from_utf8(data.as_bytes()).is_ok(), "text chunk not UTF-8");
                (true, data.as_bytes(), *first, *last)
            }
            MessageChunk::Binary { data, first, last } => (false, &data[..], *first, *last),
        };
        assert_eq!(first, open.is_none(), "first flag");
        let (kind, mut acc) = open.take().unwrap_or((text, Vec::new()));
        assert_eq!(kind, text, "kind changed inside a message");
        acc.extend_from_slice(data);
        if last {
            out.push(if text {
                Message::text(String::from_utf8(acc).expect("text message is UTF-8"))
            } else {
                Message::binary(acc)
            });
        } else {
            open = Some((kind, acc));
        }
    }
    out
}

fn error_kind(e: &Option<String>) -> Option<&str> {
    e.as_deref().map(|e| if e.starts_with("Frame(Truncated") { "Truncated" } else { e })
}

/// `MessageStreamCodec` agrees with `MessageCodec`'s outcome `whole`.
fn stream_agrees(
    role: Role,
    config: &MessageConfig,
    wire: &[u8],
    read: usize,
    whole: &(Vec<Message>, Option<String>),
    compressed: bool,
) {
    let (chunks, error) = stream_all(&mut MessageStreamCodec::new(role, config.clone()), wire, read);
    assert_eq!(join(&chunks), whole.0, "MessageStreamCodec's messages differ");
    assert_eq!(error_kind(&error), error_kind(&whole.1), "MessageStreamCodec's error differs");
    if compressed {
        for c in &chunks {
            let len = match c {
                MessageChunk::Text { data, .. } => data.len(),
                MessageChunk::Binary { data, .. } => data.len(),
                MessageChunk::Control(_) => 0,
            };
            assert!(len <= CHUNK_MAX, "a chunk of {len} bytes");
        }
    }
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
    for (i, wire) in wires.iter().enumerate() {
        let whole = decode_all(&mut MessageCodec::with_config(role, config.clone()), wire, usize::MAX);
        let split = decode_all(&mut MessageCodec::with_config(role, config.clone()), wire, read);
        assert_eq!(whole, split, "read boundaries changed the outcome");
        for r in [usize::MAX, read] {
            stream_agrees(role, &config, wire, r, &whole, i > 0);
        }
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
    let (got, err) = decode_all(&mut MessageCodec::with_config(role, rx_config.clone()), &wire, read);
    assert_eq!(err, None);
    assert_eq!(got, messages);
    let (chunks, err) = stream_all(&mut MessageStreamCodec::new(role, rx_config), &wire, read);
    assert_eq!(err, None);
    assert_eq!(join(&chunks), messages);
});
