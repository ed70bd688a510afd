//! [`FrameStreamCodec`]: frames delivered in chunks as their payload arrives.

use bytes::{Buf, Bytes, BytesMut};
use tokio_util::codec::Decoder;

use crate::header;
use crate::mask::apply_mask;
use crate::{CloseFrame, Error, FrameConfig, FrameHeader, OpCode, Role, Rsv};

/// A piece of a frame's payload, from [`FrameStreamCodec`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FrameChunk {
    /// The header of the frame this chunk belongs to (its masking key, if
    /// any, has already been applied to `data`).
    pub header: FrameHeader,
    /// Position of `data` within the frame's payload.
    pub offset: u64,
    /// Unmasked payload bytes.
    pub data: Bytes,
}

impl FrameChunk {
    /// The first chunk of its frame (a frame always yields at least one
    /// chunk, even with an empty payload).
    pub fn is_first(&self) -> bool {
        self.offset == 0
    }

    /// The last chunk of its frame.
    pub fn is_last(&self) -> bool {
        self.offset + self.data.len() as u64 == self.header.payload_len
    }
}

/// Decodes frames as a stream of [`FrameChunk`]s, handing out payload bytes
/// as soon as they arrive, so a frame of any size (up to the configured
/// maximum, which can be as large as 2^63 - 1) is forwarded without being
/// buffered whole.
///
/// Each frame yields one chunk per `decode` call that finds new payload
/// bytes; an empty frame yields one empty chunk. Control frames (at most 125
/// bytes) are always delivered as one chunk, with close payloads checked.
/// Every header rule of [`FrameCodec`](crate::FrameCodec) applies. Memory per
/// connection is the header of the frame in progress and a counter; the read
/// buffer never has to hold more than one read.
///
/// ```
/// use bytes::BytesMut;
/// use tether_frame::{FrameConfig, FrameStreamCodec, Role};
/// use tokio_util::codec::Decoder;
///
/// let mut codec = FrameStreamCodec::new(Role::Client, FrameConfig::default());
/// // A 10-byte binary frame of which 4 bytes have arrived:
/// let mut buf = BytesMut::from(&b"\x82\x0aabcd"[..]);
/// let chunk = codec.decode(&mut buf).unwrap().unwrap();
/// assert_eq!((&chunk.data[..], chunk.is_first(), chunk.is_last()), (&b"abcd"[..], true, false));
/// buf.extend_from_slice(b"efghij");
/// let chunk = codec.decode(&mut buf).unwrap().unwrap();
/// assert_eq!((chunk.offset, chunk.is_last()), (4, true));
/// ```
#[derive(Debug, Clone)]
pub struct FrameStreamCodec {
    role: Role,
    config: FrameConfig,
    current: Option<(FrameHeader, u64)>,
}

impl FrameStreamCodec {
    /// A streaming decoder for `role` with `config`.
    pub fn new(role: Role, config: FrameConfig) -> FrameStreamCodec {
        FrameStreamCodec {
            role,
            config,
            current: None,
        }
    }

    /// The role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The configuration.
    pub fn config(&self) -> &FrameConfig {
        &self.config
    }

    /// Changes the RSV bits that received frames may carry, for example once
    /// an extension is negotiated; applies from the next header (as
    /// [`FrameCodec::set_allowed_rsv`](crate::FrameCodec::set_allowed_rsv)).
    ///
    /// ```
    /// use bytes::BytesMut;
    /// use tether_frame::{FrameConfig, FrameStreamCodec, Role, Rsv};
    /// use tokio_util::codec::Decoder;
    ///
    /// let mut codec = FrameStreamCodec::new(Role::Client, FrameConfig::default());
    /// // A text frame with RSV1: refused until RSV1 is allowed.
    /// assert!(codec.decode(&mut BytesMut::from(&b"\xc1\x01a"[..])).is_err());
    /// let mut codec = FrameStreamCodec::new(Role::Client, FrameConfig::default());
    /// codec.set_allowed_rsv(Rsv::RSV1);
    /// let chunk = codec.decode(&mut BytesMut::from(&b"\xc1\x01a"[..])).unwrap().unwrap();
    /// assert!(chunk.header.rsv.rsv1());
    /// ```
    pub fn set_allowed_rsv(&mut self, rsv: Rsv) {
        self.config.allowed_rsv = rsv;
    }

    /// Changes the maximum received data frame size (clamped to 2^63 - 1);
    /// applies from the next header (as
    /// [`FrameCodec::set_max_frame_size`](crate::FrameCodec::set_max_frame_size)).
    /// A layer above can give each header what is left of its own budget.
    pub fn set_max_frame_size(&mut self, max: u64) {
        self.config.max_frame_size = max.min(crate::MAX_PAYLOAD_LEN);
    }

    /// Whether the decoder is between frames.
    pub fn is_between_frames(&self) -> bool {
        self.current.is_none()
    }

    /// The header of the frame whose payload is still arriving, and how many
    /// of its payload bytes have been handed out, once its header has been
    /// parsed (even before any payload byte has come). Lets a layer above
    /// check a frame from its header alone and fail fast.
    pub fn frame_in_progress(&self) -> Option<(&FrameHeader, u64)> {
        self.current
            .as_ref()
            .map(|(header, delivered)| (header, *delivered))
    }
}

impl Decoder for FrameStreamCodec {
    type Item = FrameChunk;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<FrameChunk>, Error> {
        let (header, delivered) = match self.current {
            Some(current) => current,
            None => {
                let rules = self.config.rules(self.role);
                let Some((header, header_len)) = header::parse(src, &rules)? else {
                    return Ok(None);
                };
                src.advance(header_len);
                (header, 0)
            }
        };
        let remaining = header.payload_len - delivered;
        let take = usize::try_from(remaining).map_or(src.len(), |r| r.min(src.len()));
        let whole_control = header.opcode.is_control() && (take as u64) < remaining;
        if (take == 0 && remaining > 0) || whole_control {
            // Control payloads are at most 125 bytes: wait for all of them.
            self.current = Some((header, delivered));
            return Ok(None);
        }
        let mut data = src.split_to(take);
        if let Some(key) = header.mask {
            // Only the position modulo 4 matters for the key.
            apply_mask(&mut data, key, (delivered % 4) as usize);
        }
        let data = data.freeze();
        let next = delivered + take as u64;
        self.current = (next < header.payload_len).then_some((header, next));
        if header.opcode == OpCode::Close {
            CloseFrame::parse(&data)?;
        }
        Ok(Some(FrameChunk {
            header,
            offset: delivered,
            data,
        }))
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<FrameChunk>, Error> {
        match self.decode(src)? {
            Some(chunk) => Ok(Some(chunk)),
            None if src.is_empty() && self.is_between_frames() => Ok(None),
            None => Err(Error::Truncated {
                buffered: src.len(),
            }),
        }
    }
}
