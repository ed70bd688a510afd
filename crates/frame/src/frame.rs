//! [`Frame`]: one frame with its payload.

use bytes::Bytes;

use crate::{CloseFrame, Error, FrameHeader, OpCode, Rsv, Utf8Bytes};

/// A WebSocket frame: header bits and an unmasked payload.
///
/// Decoded frames hold a payload split from the read buffer without copying.
/// The masking key is a wire detail: decoded payloads are already unmasked,
/// and the encoder picks a key itself when it is a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frame {
    /// FIN: the final fragment of a message (always set on control frames).
    pub fin: bool,
    /// RSV1-3.
    pub rsv: Rsv,
    /// The opcode.
    pub opcode: OpCode,
    /// The unmasked payload.
    pub payload: Bytes,
}

impl Frame {
    /// A final frame with no RSV bits.
    pub fn new(opcode: OpCode, payload: impl Into<Bytes>) -> Frame {
        Frame {
            fin: true,
            rsv: Rsv::NONE,
            opcode,
            payload: payload.into(),
        }
    }

    /// A single-frame text message.
    pub fn text(text: impl Into<Utf8Bytes>) -> Frame {
        Frame::new(OpCode::Text, text.into().into_bytes())
    }

    /// A single-frame binary message.
    pub fn binary(payload: impl Into<Bytes>) -> Frame {
        Frame::new(OpCode::Binary, payload)
    }

    /// A ping.
    pub fn ping(payload: impl Into<Bytes>) -> Frame {
        Frame::new(OpCode::Ping, payload)
    }

    /// A pong.
    pub fn pong(payload: impl Into<Bytes>) -> Frame {
        Frame::new(OpCode::Pong, payload)
    }

    /// A close frame, with a status or (`None`) with an empty payload.
    ///
    /// # Errors
    ///
    /// As [`CloseFrame::validate`]: a code that may not be sent or a reason
    /// over 123 bytes.
    pub fn close(close: Option<&CloseFrame>) -> Result<Frame, Error> {
        let payload = match close {
            Some(c) => c.to_payload()?,
            None => Bytes::new(),
        };
        Ok(Frame::new(OpCode::Close, payload))
    }

    /// A continuation frame.
    pub fn continuation(payload: impl Into<Bytes>, fin: bool) -> Frame {
        Frame::new(OpCode::Continuation, payload).with_fin(fin)
    }

    /// Sets FIN.
    pub fn with_fin(mut self, fin: bool) -> Frame {
        self.fin = fin;
        self
    }

    /// Sets the RSV bits.
    pub fn with_rsv(mut self, rsv: Rsv) -> Frame {
        self.rsv = rsv;
        self
    }

    /// The header this frame is sent with under `mask`.
    pub fn header(&self, mask: Option<[u8; 4]>) -> FrameHeader {
        FrameHeader {
            fin: self.fin,
            rsv: self.rsv,
            opcode: self.opcode,
            mask,
            payload_len: self.payload.len() as u64,
        }
    }

    /// The status of a close frame, parsed from its payload; `Ok(None)` for a
    /// close without status (and for frames that are not close frames).
    ///
    /// # Errors
    ///
    /// As [`CloseFrame::parse`]; frames from [`FrameCodec`](crate::FrameCodec)
    /// were already checked.
    pub fn close_frame(&self) -> Result<Option<CloseFrame>, Error> {
        if self.opcode != OpCode::Close {
            return Ok(None);
        }
        CloseFrame::parse(&self.payload)
    }

    /// Checks that the frame may be sent: control frames carry at most 125
    /// bytes, have FIN set, and a close payload is a valid status.
    ///
    /// # Errors
    ///
    /// [`Error::OutgoingControlTooLong`], [`Error::OutgoingControlFragmented`],
    /// [`Error::OutgoingInvalidCloseCode`], [`Error::OutgoingMalformedClose`].
    pub fn validate(&self) -> Result<(), Error> {
        if self.opcode.is_control() {
            if self.payload.len() > 125 {
                return Err(Error::OutgoingControlTooLong(self.payload.len()));
            }
            if !self.fin {
                return Err(Error::OutgoingControlFragmented(self.opcode));
            }
            if self.opcode == OpCode::Close {
                let len = self.payload.len();
                CloseFrame::parse(&self.payload).map_err(|e| match e {
                    Error::InvalidCloseCode(c) => Error::OutgoingInvalidCloseCode(c),
                    _ => Error::OutgoingMalformedClose(len),
                })?;
            }
        }
        Ok(())
    }
}
