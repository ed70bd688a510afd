//! `tether_message::MessageCodec` and `MessageStreamCodec` over arbitrary
//! bytes with arbitrary split points.
//!
//! Input: the `SplitInput` layout of `frame_decode` (config byte, chunk
//! sizes, wire), with the config byte read as: bit 0 role (0 server, 1
//! client); bits 1-3 `max_message_size` from `MAX_MESSAGE_SIZES`; bits 4-6
//! `max_fragments` from `MAX_FRAGMENTS`.
//!
//! Checks:
//! * no panic; the same messages and the same error (variant and numbers)
//!   whether the wire comes in one read, byte by byte, or in the chunks;
//! * every error is a peer error with close code 1002, 1007 or 1009, or
//!   `Truncated` at the end of the input;
//! * every `Text` item is valid UTF-8; no data message is larger than
//!   `max_message_size`, no control message than 125 bytes;
//! * the streaming decoder agrees: its chunks (each text chunk UTF-8 on its
//!   own) join into the same messages, and it fails where the whole-message
//!   decoder fails; so does `MessageCodec::decode_chunk`, used alone and
//!   switched in and out call by call (taking over messages `decode`
//!   started);
//! * the messages, re-encoded by the other end, decode to themselves.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use tether_frame::Role;
use tether_fuzz::SplitInput;
use tether_message::{
    Error, ErrorKind, Message, MessageChunk, MessageCodec, MessageConfig, MessageStreamCodec,
};
use tokio_util::codec::{Decoder, Encoder};

const MAX_MESSAGE_SIZES: [u64; 8] = [
    MessageConfig::DEFAULT_MAX_MESSAGE_SIZE,
    0,
    1,
    7,
    125,
    126,
    1000,
    0x1_0000,
];

const MAX_FRAGMENTS: [usize; 8] = [MessageConfig::DEFAULT_MAX_FRAGMENTS, 1, 2, 3, 4, 16, 100, 1000];

/// `MessageCodec` through `decode_chunk` when bit `calls % 64` of `pattern`
/// is set (or a chunked message is open), else through `decode`, whose
/// messages are passed on as single chunks.
struct Mixed {
    codec: MessageCodec,
    pattern: u64,
    calls: u32,
}

impl Decoder for Mixed {
    type Item = MessageChunk;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<MessageChunk>, Error> {
        let chunk = self.pattern.rotate_right(self.calls) & 1 == 1;
        self.calls = self.calls.wrapping_add(1);
        if chunk || self.codec.is_receiving_chunks() {
            return self.codec.decode_chunk(src);
        }
        Ok(self.codec.decode(src)?.map(|m| match m {
            Message::Text(data) => MessageChunk::Text { data, first: true, last: true },
            Message::Binary(data) => MessageChunk::Binary { data, first: true, last: true },
            control => MessageChunk::Control(control),
        }))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<MessageChunk>, Error> {
        if let Some(chunk) = self.decode(src)? {
            return Ok(Some(chunk));
        }
        self.codec.decode_chunk_eof(src)
    }
}

struct Run<T> {
    items: Vec<T>,
    error: Option<Error>,
}

fn run<'c, D>(mut decoder: D, chunks: impl IntoIterator<Item = &'c [u8]>) -> Run<D::Item>
where
    D: Decoder<Error = Error>,
{
    let mut src = BytesMut::new();
    let mut items = Vec::new();
    for chunk in chunks {
        src.extend_from_slice(chunk);
        loop {
            match decoder.decode(&mut src) {
                Ok(Some(item)) => items.push(item),
                Ok(None) => break,
                Err(e) => return Run { items, error: Some(e) },
            }
        }
    }
    loop {
        match decoder.decode_eof(&mut src) {
            Ok(Some(item)) => items.push(item),
            Ok(None) => return Run { items, error: None },
            Err(e) => return Run { items, error: Some(e) },
        }
    }
}

fn id(e: &Option<Error>) -> String {
    format!("{e:?}")
}

/// Joins streamed chunks into messages, checking the chunk flags.
fn join(chunks: &[MessageChunk]) -> Vec<Message> {
    let mut out = Vec::new();
    let mut text: Option<String> = None;
    let mut binary: Option<Vec<u8>> = None;
    for chunk in chunks {
        match chunk {
            MessageChunk::Control(m) => {
                assert!(m.is_control());
                out.push(m.clone());
            }
            MessageChunk::Text { data, first, last } => {
                let s = std::str::from_utf8(data.as_bytes()).expect("text chunk is UTF-8");
                assert!(binary.is_none());
                assert_eq!(*first, text.is_none(), "first flag");
                let mut acc = text.take().unwrap_or_default();
                acc.push_str(s);
                if *last {
                    out.push(Message::Text(acc.into()));
                } else {
                    text = Some(acc);
                }
            }
            MessageChunk::Binary { data, first, last } => {
                assert!(text.is_none());
                assert_eq!(*first, binary.is_none(), "first flag");
                let mut acc = binary.take().unwrap_or_default();
                acc.extend_from_slice(data);
                if *last {
                    out.push(Message::Binary(acc.into()));
                } else {
                    binary = Some(acc);
                }
            }
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = SplitInput::parse(data) else {
        return;
    };
    let b = input.config_byte;
    let role = if b & 1 == 0 { Role::Server } else { Role::Client };
    let max_message = MAX_MESSAGE_SIZES[usize::from((b >> 1) & 7)];
    let config = MessageConfig::default()
        .with_max_message_size(max_message)
        .with_max_fragments(MAX_FRAGMENTS[usize::from((b >> 4) & 7)]);
    let codec = || MessageCodec::with_config(role, config.clone());

    let whole = run(codec(), [input.wire]);
    if let Some(e) = &whole.error {
        assert_eq!(e.kind(), ErrorKind::Peer, "{e:?}");
        let truncated = matches!(e, Error::Frame(tether_frame::Error::Truncated { .. }));
        let code = e.close_code().map(u16::from);
        assert!(truncated || matches!(code, Some(1002 | 1007 | 1009)), "{e:?}");
    }
    for m in &whole.items {
        match m {
            Message::Text(t) => {
                assert!(std::str::from_utf8(t.as_bytes()).is_ok(), "Text not UTF-8");
                assert!(t.len() as u64 <= max_message);
            }
            Message::Binary(b) => assert!(b.len() as u64 <= max_message),
            Message::Ping(p) | Message::Pong(p) => assert!(p.len() <= 125),
            Message::Close(c) => assert!(c.as_ref().map_or(0, |c| c.reason.len()) <= 123),
        }
    }

    let bytewise = run(codec(), input.wire.chunks(1));
    assert_eq!(bytewise.items, whole.items, "one read vs byte by byte");
    assert_eq!(id(&bytewise.error), id(&whole.error));
    let chunks = input.chunks();
    if let Some(chunks) = &chunks {
        let split = run(codec(), chunks.iter().copied());
        assert_eq!(split.items, whole.items, "one read vs chunked");
        assert_eq!(id(&split.error), id(&whole.error));
    }

    let stream = || MessageStreamCodec::new(role, config.clone());
    let streamed = match &chunks {
        Some(chunks) => run(stream(), chunks.iter().copied()),
        None => run(stream(), input.wire.chunks(1)),
    };
    assert_eq!(streamed.error.is_some(), whole.error.is_some(), "streamed: {:?} vs {:?}", streamed.error, whole.error);
    if whole.error.is_none() {
        assert_eq!(join(&streamed.items), whole.items, "streamed vs whole");
    }

    let seed = input.wire.len() as u64 ^ u64::from(b).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for pattern in [u64::MAX, seed] {
        let mixed = || Mixed { codec: codec(), pattern, calls: 0 };
        let chunked = match &chunks {
            Some(chunks) => run(mixed(), chunks.iter().copied()),
            None => run(mixed(), input.wire.chunks(1)),
        };
        assert_eq!(chunked.error.is_some(), whole.error.is_some(), "decode_chunk: {:?} vs {:?}", chunked.error, whole.error);
        if whole.error.is_none() {
            assert_eq!(join(&chunked.items), whole.items, "decode_chunk vs whole");
        }
    }

    // Re-encoded by the other end (with fragmentation), decoded again.
    let other = match role {
        Role::Server => Role::Client,
        Role::Client => Role::Server,
    };
    let mut encoder = MessageCodec::with_config(
        other,
        MessageConfig::default().with_fragment_size(Some(usize::from(b % 7) * 20 + 1)),
    );
    let mut wire = BytesMut::new();
    for m in &whole.items {
        encoder.encode(m.clone(), &mut wire).expect("decoded messages re-encode");
    }
    let again = run(MessageCodec::new(role), [&wire[..]]);
    assert!(again.error.is_none(), "{:?}", again.error);
    assert_eq!(again.items, whole.items, "re-encoded");
});
