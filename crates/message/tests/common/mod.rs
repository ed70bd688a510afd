//! Helpers shared by the integration tests of `tether-message`.
#![allow(dead_code)]

use bytes::{Bytes, BytesMut};
use tether_frame::{Frame, FrameCodec, OpCode, Role};
use tether_message::{Error, Message, MessageChunk, Utf8Bytes};
use tokio_util::codec::{Decoder, Encoder};

/// What a decoder produced from a byte stream: the items, then the error
/// that ended it, if any.
#[derive(Debug)]
pub(crate) struct Outcome<T> {
    pub(crate) items: Vec<T>,
    pub(crate) error: Option<Error>,
}

/// Feeds `bytes` to `codec` cut at `cuts` (ascending positions), calling
/// `decode` until it returns `Ok(None)` after each piece, then `decode_eof`
/// until it returns `Ok(None)`.
pub(crate) fn run<D>(codec: &mut D, bytes: &[u8], cuts: &[usize]) -> Outcome<D::Item>
where
    D: Decoder<Error = Error>,
{
    let mut items = Vec::new();
    let mut buf = BytesMut::new();
    let mut start = 0;
    let ends = cuts.iter().copied().chain(std::iter::once(bytes.len()));
    for end in ends {
        let end = end.clamp(start, bytes.len());
        buf.extend_from_slice(&bytes[start..end]);
        start = end;
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(item)) => items.push(item),
                Ok(None) => break,
                Err(e) => {
                    return Outcome {
                        items,
                        error: Some(e),
                    }
                }
            }
        }
    }
    loop {
        match codec.decode_eof(&mut buf) {
            Ok(Some(item)) => items.push(item),
            Ok(None) => break,
            Err(e) => {
                return Outcome {
                    items,
                    error: Some(e),
                }
            }
        }
    }
    Outcome { items, error: None }
}

/// Appends `bytes` to `buf` and decodes until `Ok(None)`: the items this read
/// produced, or the error. `decode_eof` is never called.
pub(crate) fn feed<D>(
    codec: &mut D,
    buf: &mut BytesMut,
    bytes: &[u8],
) -> Result<Vec<D::Item>, Error>
where
    D: Decoder<Error = Error>,
{
    buf.extend_from_slice(bytes);
    let mut items = Vec::new();
    while let Some(item) = codec.decode(buf)? {
        items.push(item);
    }
    Ok(items)
}

/// Cut positions for 1-byte reads.
pub(crate) fn every_byte(len: usize) -> Vec<usize> {
    (1..len).collect()
}

/// The role at the other end.
pub(crate) fn peer(role: Role) -> Role {
    match role {
        Role::Client => Role::Server,
        Role::Server => Role::Client,
    }
}

/// Encodes `frames` as `sender` would send them (a client masks).
pub(crate) fn wire(sender: Role, frames: &[Frame]) -> Vec<u8> {
    let mut codec = FrameCodec::new(sender);
    let mut dst = BytesMut::new();
    for frame in frames {
        codec.encode(frame, &mut dst).expect("valid frame");
    }
    dst.to_vec()
}

/// Encodes `frames` as a client sends them (masked), for a server to decode.
pub(crate) fn client_wire(frames: &[Frame]) -> Vec<u8> {
    wire(Role::Client, frames)
}

/// The length on the wire of the header `sender` writes for `frame`.
pub(crate) fn header_len(sender: Role, frame: &Frame) -> usize {
    let mask = match sender {
        Role::Client => Some([0; 4]),
        Role::Server => None,
    };
    frame.header(mask).encoded_len()
}

/// A data frame with an arbitrary (possibly invalid UTF-8) payload.
pub(crate) fn data(opcode: OpCode, fin: bool, payload: &[u8]) -> Frame {
    Frame::new(opcode, Bytes::copy_from_slice(payload)).with_fin(fin)
}

/// Decodes every whole frame in `bytes` as `receiver`; panics on an error
/// or on trailing bytes.
pub(crate) fn frames_of(receiver: Role, bytes: &[u8]) -> Vec<Frame> {
    let mut codec = FrameCodec::new(receiver);
    let mut buf = BytesMut::from(bytes);
    let mut frames = Vec::new();
    while let Some(frame) = codec.decode(&mut buf).expect("well-formed frames") {
        frames.push(frame);
    }
    assert!(buf.is_empty(), "trailing bytes after the last frame");
    frames
}

/// A text message from a `&str`.
pub(crate) fn text(s: &str) -> Message {
    Message::Text(Utf8Bytes::from(s))
}

/// Joins the chunks of [`tether_message::MessageStreamCodec`] into whole
/// messages, checking the chunk bookkeeping on the way: `first` exactly on
/// the first chunk of each data message and `last` exactly on its last, no
/// kind change inside a message, text chunks valid UTF-8 on their own and
/// non-empty unless they are the last.
pub(crate) fn join_stream(chunks: &[MessageChunk]) -> Vec<Message> {
    enum Open {
        Text(String),
        Binary(Vec<u8>),
    }
    let mut out = Vec::new();
    let mut open: Option<Open> = None;
    for (i, chunk) in chunks.iter().enumerate() {
        match chunk {
            MessageChunk::Control(m) => {
                assert!(
                    m.is_control(),
                    "chunk {i}: Control({m:?}) is not a control message"
                );
                out.push(m.clone());
            }
            MessageChunk::Text { data, first, last } => {
                // `Utf8Bytes` may be built unchecked: check it for real.
                let s = std::str::from_utf8(data.as_bytes())
                    .unwrap_or_else(|e| panic!("chunk {i}: text chunk is not UTF-8: {e}"));
                assert_eq!(*first, open.is_none(), "chunk {i}: wrong `first` flag");
                assert!(
                    *last || !s.is_empty(),
                    "chunk {i}: empty text chunk before the last"
                );
                let mut acc = match open.take() {
                    None => String::new(),
                    Some(Open::Text(acc)) => acc,
                    Some(Open::Binary(_)) => {
                        panic!("chunk {i}: text chunk inside a binary message")
                    }
                };
                acc.push_str(s);
                if *last {
                    out.push(Message::Text(acc.into()));
                } else {
                    open = Some(Open::Text(acc));
                }
            }
            MessageChunk::Binary { data, first, last } => {
                assert_eq!(*first, open.is_none(), "chunk {i}: wrong `first` flag");
                let mut acc = match open.take() {
                    None => Vec::new(),
                    Some(Open::Binary(acc)) => acc,
                    Some(Open::Text(_)) => panic!("chunk {i}: binary chunk inside a text message"),
                };
                acc.extend_from_slice(data);
                if *last {
                    out.push(Message::Binary(acc.into()));
                } else {
                    open = Some(Open::Binary(acc));
                }
            }
        }
    }
    assert!(open.is_none(), "the stream ended inside a data message");
    out
}

/// `MessageCodec` used through `decode_chunk`, or switching between
/// `decode` and `decode_chunk` call by call by the bits of `pattern` (bit
/// set: `decode_chunk`), as an application that streams some messages and
/// not others would; whole messages come out as single chunks, so
/// [`join_stream`] gives the messages either way.
pub(crate) struct ChunkedCodec {
    pub(crate) codec: tether_message::MessageCodec,
    pub(crate) pattern: u64,
    calls: u32,
}

impl ChunkedCodec {
    pub(crate) fn new(codec: tether_message::MessageCodec, pattern: u64) -> ChunkedCodec {
        ChunkedCodec {
            codec,
            pattern,
            calls: 0,
        }
    }
}

/// A whole message as the chunk stream carries it.
pub(crate) fn as_chunk(message: Message) -> MessageChunk {
    match message {
        Message::Text(data) => MessageChunk::Text {
            data,
            first: true,
            last: true,
        },
        Message::Binary(data) => MessageChunk::Binary {
            data,
            first: true,
            last: true,
        },
        control => MessageChunk::Control(control),
    }
}

impl Decoder for ChunkedCodec {
    type Item = MessageChunk;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<MessageChunk>, Error> {
        let chunk = self.pattern.rotate_right(self.calls) & 1 == 1;
        self.calls = self.calls.wrapping_add(1);
        if chunk || self.codec.is_receiving_chunks() {
            self.codec.decode_chunk(src)
        } else {
            Ok(self.codec.decode(src)?.map(as_chunk))
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<MessageChunk>, Error> {
        if let Some(chunk) = self.decode(src)? {
            return Ok(Some(chunk));
        }
        self.codec.decode_chunk_eof(src)
    }
}

/// `MessageCodec` with deferred validation, driven as a connection does:
/// `validate_buffered` whenever `decode` needs more bytes (the moment a
/// transport would wait).
pub(crate) struct DeferredCodec(pub(crate) tether_message::MessageCodec);

impl DeferredCodec {
    pub(crate) fn new(mut codec: tether_message::MessageCodec) -> DeferredCodec {
        codec.set_deferred_validation(true);
        DeferredCodec(codec)
    }
}

impl Decoder for DeferredCodec {
    type Item = Message;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Message>, Error> {
        match self.0.decode(src)? {
            Some(message) => Ok(Some(message)),
            None => {
                self.0.validate_buffered(src)?;
                Ok(None)
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Message>, Error> {
        self.0.decode_eof(src)
    }
}
