//! [`MessageStreamCodec`]: messages in chunks, as their bytes arrive.

use std::collections::VecDeque;

use bytes::{Bytes, BytesMut};
use tether_frame::{
    CloseFrame, FrameChunk, FrameStreamCodec, OpCode, Role, Utf8Bytes, Utf8Validator,
};
use tokio_util::codec::Decoder;

use crate::{DataKind, Error, Message, MessageConfig};

/// A piece of a message from [`MessageStreamCodec`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MessageChunk {
    /// Part of a text message: whole code points, validated.
    Text {
        /// The text of this chunk (may be empty on the last chunk).
        data: Utf8Bytes,
        /// The first chunk of its message.
        first: bool,
        /// The last chunk of its message.
        last: bool,
    },
    /// Part of a binary message.
    Binary {
        /// The bytes of this chunk (may be empty).
        data: Bytes,
        /// The first chunk of its message.
        first: bool,
        /// The last chunk of its message.
        last: bool,
    },
    /// A whole control message (ping, pong or close), which may arrive
    /// between the chunks of a data message.
    Control(Message),
}

/// Decodes messages as a stream of [`MessageChunk`]s, for users who forward
/// large payloads without buffering them.
///
/// Same rules as [`MessageCodec`](crate::MessageCodec) (message order,
/// fail-fast UTF-8, size and fragment limits; control messages whole and at
/// once), but no message is assembled: each data chunk is handed out as it
/// arrives. Text chunks end on code point boundaries: the bytes of a code
/// point cut by a read are held back (at most 3) and handed out with the
/// bytes that complete it, as a chunk of their own.
#[derive(Debug)]
pub struct MessageStreamCodec {
    frames: FrameStreamCodec,
    config: MessageConfig,
    /// The message being received: kind, bytes so far, fragments so far.
    current: Option<(DataKind, u64, usize)>,
    /// Whether the next data chunk is the message's first.
    first: bool,
    utf8: Utf8Validator,
    /// Whether the data frame in progress has been checked and counted
    /// (from its header, or from its first chunk).
    frame_started: bool,
    ready: VecDeque<MessageChunk>,
}

impl MessageStreamCodec {
    /// A streaming decoder for `role` with `config`.
    pub fn new(role: Role, config: MessageConfig) -> MessageStreamCodec {
        MessageStreamCodec {
            frames: FrameStreamCodec::new(role, config.frame.clone()),
            config,
            current: None,
            first: true,
            utf8: Utf8Validator::default(),
            frame_started: false,
            ready: VecDeque::new(),
        }
    }

    fn on_chunk(&mut self, chunk: FrameChunk) -> Result<(), Error> {
        let header = chunk.header;
        let opcode = header.opcode;
        if opcode.is_control() {
            let message = match opcode {
                OpCode::Ping => Message::Ping(chunk.data),
                OpCode::Pong => Message::Pong(chunk.data),
                _ => Message::Close(CloseFrame::parse(&chunk.data)?),
            };
            self.ready.push_back(MessageChunk::Control(message));
            return Ok(());
        }
        if chunk.is_first() && !self.frame_started {
            self.start_frame(opcode, header.payload_len)?;
        }
        self.frame_started = !chunk.is_last();
        let Some((kind, _, _)) = self.current else {
            return Err(Error::UnexpectedContinuation);
        };
        let last = header.fin && chunk.is_last();
        let first = self.first;
        let queued = match kind {
            DataKind::Binary => {
                self.ready.push_back(MessageChunk::Binary {
                    data: chunk.data,
                    first,
                    last,
                });
                true
            }
            DataKind::Text => self.text_chunk(chunk.data, first, last)?,
        };
        if queued {
            self.first = last;
        }
        if last {
            self.current = None;
        }
        Ok(())
    }

    fn start_frame(&mut self, opcode: OpCode, len: u64) -> Result<(), Error> {
        match (opcode, &mut self.current) {
            (OpCode::Text | OpCode::Binary, Some(_)) => return Err(Error::MessageInProgress),
            (OpCode::Continuation, None) => return Err(Error::UnexpectedContinuation),
            (OpCode::Continuation, Some((_, size, fragments))) => {
                *fragments += 1;
                if *fragments > self.config.max_fragments {
                    return Err(Error::TooManyFragments {
                        max: self.config.max_fragments,
                    });
                }
                *size = size.saturating_add(len);
            }
            (_, current) => {
                let kind = if opcode == OpCode::Text {
                    DataKind::Text
                } else {
                    DataKind::Binary
                };
                *current = Some((kind, len, 1));
                self.first = true;
                self.utf8.reset();
            }
        }
        if let Some((_, size, _)) = self.current {
            if size > self.config.max_message_size {
                return Err(Error::MessageTooBig {
                    size,
                    max: self.config.max_message_size,
                });
            }
        }
        Ok(())
    }

    /// Queues the validated chunks of a piece of text; returns whether any
    /// chunk was queued (a piece that only holds part of a code point queues
    /// nothing).
    fn text_chunk(&mut self, data: Bytes, first: bool, last: bool) -> Result<bool, Error> {
        let pieces = self.utf8.feed_bytes(data).map_err(|e| Error::InvalidUtf8 {
            valid_up_to: e.valid_up_to,
        })?;
        if last && !self.utf8.is_complete() {
            return Err(Error::IncompleteUtf8);
        }
        let mut first = first;
        let mut queued = false;
        if let Some(carried) = pieces.carried {
            // The carried code point is complete: hand it out on its own.
            let is_last = last && pieces.body.is_empty();
            self.ready.push_back(MessageChunk::Text {
                data: carried,
                first,
                last: is_last,
            });
            if is_last {
                return Ok(true);
            }
            first = false;
            queued = true;
        }
        if !pieces.body.is_empty() || last {
            self.ready.push_back(MessageChunk::Text {
                data: pieces.body,
                first,
                last,
            });
            queued = true;
        }
        Ok(queued)
    }
}

impl Decoder for MessageStreamCodec {
    type Item = MessageChunk;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<MessageChunk>, Error> {
        loop {
            if let Some(ready) = self.ready.pop_front() {
                return Ok(Some(ready));
            }
            match self.frames.decode(src)? {
                Some(chunk) => self.on_chunk(chunk)?,
                None => {
                    // A data frame whose header is in but none of its
                    // payload: check order and size from the header now.
                    if let Some((header, 0)) = self.frames.frame_in_progress() {
                        let (opcode, len) = (header.opcode, header.payload_len);
                        if opcode.is_data() && !self.frame_started {
                            self.start_frame(opcode, len)?;
                            self.frame_started = true;
                        }
                    }
                    return Ok(None);
                }
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<MessageChunk>, Error> {
        if let Some(chunk) = self.decode(src)? {
            return Ok(Some(chunk));
        }
        if !src.is_empty() || !self.frames.is_between_frames() || self.current.is_some() {
            return Err(Error::Frame(tether_frame::Error::Truncated {
                buffered: src.len(),
            }));
        }
        Ok(None)
    }
}
