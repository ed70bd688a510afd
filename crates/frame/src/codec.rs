//! [`FrameCodec`]: whole frames, as a tokio-util `Decoder` and `Encoder`.

use bytes::{Buf, Bytes, BytesMut};
use tokio_util::codec::{Decoder, Encoder};

use crate::header::{self, HeaderBytes, Rules};
use crate::mask::apply_mask;
use crate::{
    CloseFrame, Error, Frame, FrameConfig, FrameHeader, OpCode, Role, Rsv, MAX_HEADER_LEN,
};

/// The most the decoder reserves for a frame's payload beyond what has
/// arrived: frames up to this size get their whole buffer as soon as their
/// header is in (one allocation, no regrowth); a larger frame's buffer grows
/// in proportion to the bytes received (at most doubling per step), so a
/// header alone never makes the decoder allocate what it declares.
const RESERVE_STEP: usize = 1 << 20;

/// Room reserved past the end of a frame still arriving, for the bytes that
/// follow it in the same read.
const READ_SLACK: usize = 8 << 10;

/// While a frame arrives, its payload is unmasked once this many new bytes
/// have come (and the rest when it is complete).
const UNMASK_BATCH: usize = 64 << 10;

/// Decodes and encodes whole RFC 6455 frames.
///
/// # Decoding
///
/// `decode` returns `Ok(None)` until a whole frame has arrived, then the
/// frame, whose payload is split from the read buffer (no copy) and unmasked
/// in place. Work is never repeated across calls: the header is parsed once,
/// and an offset records how much of the payload is unmasked, so each byte
/// is unmasked exactly once however the reads fall. Unmasking is batched: a
/// frame still arriving is unmasked 64 KiB at a time and the rest when it
/// completes (bytes the transport has just written are slow to read back
/// at once; a batch is still in cache), or as far as it has arrived when
/// [`FrameCodec::partial_payload`] asks.
/// Once a header is in, the buffer is grown to hold the whole frame if it is
/// at most 1 MiB, so the transport reads the rest in large pieces; a larger
/// frame's buffer grows in proportion to the bytes already received (at most
/// doubling, at least 1 MiB at a time), so a peer that only sends a header
/// cannot make the decoder allocate the `max_frame_size` it may declare.
///
/// Every rule of RFC 6455 section 5 that a single frame can break is checked,
/// and each violation is an [`Error`] that names its close code. Close frames
/// are checked in full (code and UTF-8 reason).
///
/// | state | waits for | then |
/// |---|---|---|
/// | header | 2-14 header bytes | checks the header, removes it from the buffer, reserves the payload → payload |
/// | payload | `payload_len` bytes | unmasks new bytes in 64 KiB batches; when complete, unmasks the rest and splits the payload off → header |
///
/// Per-connection state: the role, the configuration, the header rules
/// derived from them, and the header of the frame in progress with two
/// offsets; `size_of::<FrameCodec>()` is 72 bytes on 64-bit targets. The read buffer itself belongs to the caller (to
/// `Framed`), and holds at most one frame of up to
/// [`FrameConfig::max_frame_size`] plus what the transport read ahead.
///
/// # Encoding
///
/// The [`Encoder`] impl writes header and payload into the write buffer
/// (a client masks the copy, never the caller's payload). To avoid the copy,
/// [`FrameCodec::encode_frame`] returns the header bytes and the payload as
/// an [`EncodedFrame`], a [`Buf`] of two slices for a vectored write.
///
/// A client picks a fresh masking key for every frame from a CSPRNG
/// (RFC 6455 section 10.3): the thread-local ChaCha generator of `rand`,
/// seeded once per thread from the operating system.
///
/// ```
/// use bytes::BytesMut;
/// use tether_frame::{Frame, FrameCodec, OpCode, Role};
/// use tokio_util::codec::{Decoder, Encoder};
///
/// let mut client = FrameCodec::new(Role::Client);
/// let mut server = FrameCodec::new(Role::Server);
/// let mut wire = BytesMut::new();
/// client.encode(Frame::text("Hello"), &mut wire).unwrap();
/// let frame = server.decode(&mut wire).unwrap().unwrap();
/// assert_eq!(frame.opcode, OpCode::Text);
/// assert_eq!(&frame.payload[..], b"Hello");
/// ```
#[derive(Debug, Clone)]
pub struct FrameCodec {
    role: Role,
    config: FrameConfig,
    /// What the header parser enforces, from `role` and `config`.
    rules: Rules,
    state: DecodeState,
}

#[derive(Debug, Clone)]
enum DecodeState {
    Header,
    Payload {
        header: FrameHeader,
        /// Payload bytes not yet handed out (all of them, unless a layer
        /// above took pieces with `take_partial_payload`); they start at
        /// `src[0]`.
        len: usize,
        /// How many of them (from `src[0]`) are unmasked.
        unmasked: usize,
    },
}

impl FrameCodec {
    /// A codec for `role` with the default [`FrameConfig`].
    pub fn new(role: Role) -> FrameCodec {
        FrameCodec::with_config(role, FrameConfig::default())
    }

    /// A codec for `role` with `config`.
    pub fn with_config(role: Role, config: FrameConfig) -> FrameCodec {
        FrameCodec {
            role,
            rules: config.rules(role),
            config,
            state: DecodeState::Header,
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
    /// an extension is negotiated.
    pub fn set_allowed_rsv(&mut self, rsv: Rsv) {
        self.config.allowed_rsv = rsv;
        self.rules = self.config.rules(self.role);
    }

    /// Changes the maximum received frame size; applies from the next header.
    #[inline]
    pub fn set_max_frame_size(&mut self, max: u64) {
        self.config.max_frame_size = max.min(crate::MAX_PAYLOAD_LEN);
        self.rules.max_payload_len = self.config.max_frame_size;
    }

    /// The frame whose payload is still arriving, with the part of its
    /// payload already in `src`, unmasked. `src` must be the buffer this codec
    /// decodes from, as left by the last `decode` call that returned
    /// `Ok(None)`.
    ///
    /// Lets a layer above look at a frame before it is complete. The bytes
    /// not yet unmasked are unmasked now (and never again); each call
    /// returns the whole prefix still in `src`, so such a layer keeps its own
    /// offset to avoid rescans.
    pub fn partial_payload<'a>(&mut self, src: &'a mut [u8]) -> Option<(&FrameHeader, &'a [u8])> {
        match &mut self.state {
            DecodeState::Payload {
                header,
                len,
                unmasked,
            } => {
                let available = src.len().min(*len);
                unmask_up_to(header, *len, unmasked, src, available);
                Some((header, src.get(..available).unwrap_or_default()))
            }
            DecodeState::Header => None,
        }
    }

    /// Splits off the payload bytes of the data frame still arriving that
    /// are in `src`, unmasked, so that a layer above can own them (validate
    /// them where nobody else can change them, or forward them) before the
    /// frame is complete. Returns the frame's header, the bytes (in payload
    /// order, continuing where the last piece ended), and whether the frame
    /// is now complete (the codec is then between frames). `None` if no
    /// data frame is in progress or none of its bytes are in `src`; control
    /// frames are always left to `decode`, which checks them whole.
    ///
    /// `src` must be the buffer this codec decodes from. No byte is
    /// unmasked twice, whether it was unmasked by a batch, by
    /// [`partial_payload`](FrameCodec::partial_payload) or now.
    pub fn take_partial_payload(
        &mut self,
        src: &mut BytesMut,
    ) -> Option<(FrameHeader, BytesMut, bool)> {
        let DecodeState::Payload {
            header,
            len,
            unmasked,
        } = &mut self.state
        else {
            return None;
        };
        let available = src.len().min(*len);
        if available == 0 || header.opcode.is_control() {
            return None;
        }
        unmask_up_to(header, *len, unmasked, src, available);
        let data = src.split_to(available);
        let header = *header;
        *len -= available;
        *unmasked = 0;
        let complete = *len == 0;
        if complete {
            self.state = DecodeState::Header;
        }
        Some((header, data, complete))
    }

    /// The header of the frame whose payload is still arriving, if any.
    pub fn frame_in_progress(&self) -> Option<&FrameHeader> {
        match &self.state {
            DecodeState::Payload { header, .. } => Some(header),
            DecodeState::Header => None,
        }
    }

    /// Whether the decoder is between frames (no header parsed whose payload
    /// is still outstanding).
    pub fn is_between_frames(&self) -> bool {
        matches!(self.state, DecodeState::Header)
    }

    /// Payload bytes of the frame in progress not yet handed out (the rest
    /// of the frame); `None` between frames.
    pub fn remaining_payload(&self) -> Option<usize> {
        match &self.state {
            DecodeState::Payload { len, .. } => Some(*len),
            DecodeState::Header => None,
        }
    }

    /// Whether `src` starts with a whole control frame (ping, pong, close)
    /// and no frame is in progress: `decode` would return it next. Looks at
    /// the header only; a malformed header is left for `decode` to report.
    pub fn next_is_control(&self, src: &[u8]) -> bool {
        if !self.is_between_frames() {
            return false;
        }
        match FrameHeader::parse(src) {
            Ok(Some((header, header_len))) => {
                header.opcode.is_control() && (src.len() - header_len) as u64 >= header.payload_len
            }
            _ => false,
        }
    }

    /// Checks `frame` and returns its header and payload ready to be written,
    /// masked if this is a client, without copying the payload where possible.
    ///
    /// A server's payload is passed through untouched. A client's payload
    /// must be masked: if this `Bytes` is its buffer's only handle it is
    /// masked in place; if the buffer is shared (held elsewhere, or static),
    /// a masked copy is made, so the caller never sees its data modified.
    ///
    /// # Errors
    ///
    /// As [`Frame::validate`]; nothing is consumed from the codec on error.
    pub fn encode_frame(&mut self, frame: Frame) -> Result<EncodedFrame, Error> {
        frame.validate()?;
        let mask = self.outgoing_mask();
        let header = frame.header(mask).encode();
        let payload = match mask {
            None => frame.payload,
            Some(key) => match frame.payload.try_into_mut() {
                Ok(mut unique) => {
                    apply_mask(&mut unique, key, 0);
                    unique.freeze()
                }
                Err(shared) => {
                    let mut copy = BytesMut::with_capacity(shared.len());
                    extend_masked(&mut copy, &shared, key);
                    copy.freeze()
                }
            },
        };
        Ok(EncodedFrame {
            header,
            header_pos: 0,
            payload,
        })
    }

    /// Appends a data frame (text, binary or continuation) with `payload`
    /// copied after its header, masked if this is a client (the copy is
    /// masked, never `payload`). Data frames always validate, so this cannot
    /// fail; it is the fast path of [`encode_frame_into`] for small payloads.
    ///
    /// [`encode_frame_into`]: FrameCodec::encode_frame_into
    #[inline]
    pub fn encode_data_into(
        &mut self,
        opcode: OpCode,
        fin: bool,
        payload: &[u8],
        dst: &mut BytesMut,
    ) {
        debug_assert!(opcode.is_data());
        let mask = self.outgoing_mask();
        let len = payload.len();
        dst.reserve(MAX_HEADER_LEN + len);
        let first = (u8::from(fin) << 7) | opcode.as_u8();
        let mask_bit = if mask.is_some() { 0x80 } else { 0 };
        if len <= 125 {
            // `len` fits the 7-bit field.
            dst.extend_from_slice(&[first, mask_bit | len as u8]);
        } else {
            let header = FrameHeader {
                fin,
                rsv: Rsv::NONE,
                opcode,
                mask: None,
                payload_len: len as u64,
            }
            .encode();
            let at = dst.len() + 1;
            dst.extend_from_slice(&header);
            if let Some(second) = dst.get_mut(at) {
                *second |= mask_bit;
            }
        }
        if let Some(key) = mask {
            dst.extend_from_slice(&key);
        }
        let start = dst.len();
        dst.extend_from_slice(payload);
        if let (Some(key), Some(copy)) = (mask, dst.get_mut(start..)) {
            apply_mask(copy, key, 0);
        }
    }

    /// Appends `frame` to `dst` for a write queue that copies small frames
    /// and passes large payloads by reference: the header is appended, and
    /// so is the payload if it has at most `copy_max` bytes (a client masks
    /// the copy as it is made, never the caller's bytes); a larger payload
    /// is returned, to be written right after `dst`'s new end (a server's
    /// untouched; a client's masked in place if this `Bytes` is its buffer's
    /// only handle, else a masked copy).
    ///
    /// # Errors
    ///
    /// As [`Frame::validate`]; `dst` is unchanged on error.
    #[inline]
    pub fn encode_frame_into(
        &mut self,
        frame: Frame,
        dst: &mut BytesMut,
        copy_max: usize,
    ) -> Result<Option<Bytes>, Error> {
        if frame.opcode.is_control() {
            frame.validate()?;
        }
        let mask = self.outgoing_mask();
        let header = frame.header(mask).encode();
        let len = frame.payload.len();
        if len <= copy_max {
            dst.reserve(header.len() + len);
            dst.extend_from_slice(&header);
            let start = dst.len();
            dst.extend_from_slice(&frame.payload);
            if let (Some(key), Some(copy)) = (mask, dst.get_mut(start..)) {
                apply_mask(copy, key, 0);
            }
            return Ok(None);
        }
        dst.extend_from_slice(&header);
        Ok(Some(match mask {
            None => frame.payload,
            Some(key) => match frame.payload.try_into_mut() {
                Ok(mut unique) => {
                    apply_mask(&mut unique, key, 0);
                    unique.freeze()
                }
                Err(shared) => {
                    let mut copy = BytesMut::with_capacity(shared.len());
                    extend_masked(&mut copy, &shared, key);
                    copy.freeze()
                }
            },
        }))
    }

    /// Writes `frame` with the masking key `key` (or unmasked with `None`)
    /// regardless of the role. For test vectors and tools; a connection
    /// should use the [`Encoder`] impl, which picks keys by role.
    ///
    /// # Errors
    ///
    /// As [`Frame::validate`].
    pub fn encode_with_mask(
        frame: &Frame,
        key: Option<[u8; 4]>,
        dst: &mut BytesMut,
    ) -> Result<(), Error> {
        frame.validate()?;
        write_frame(frame, key, dst);
        Ok(())
    }

    fn outgoing_mask(&self) -> Option<[u8; 4]> {
        match self.role {
            Role::Client => Some(new_mask_key()),
            Role::Server => None,
        }
    }
}

/// A fresh masking key from the thread-local CSPRNG.
#[inline]
pub fn new_mask_key() -> [u8; 4] {
    use rand::Rng;
    rand::rng().next_u32().to_ne_bytes()
}

#[inline]
fn write_frame(frame: &Frame, key: Option<[u8; 4]>, dst: &mut BytesMut) {
    let header = frame.header(key).encode();
    dst.reserve(header.len() + frame.payload.len());
    dst.extend_from_slice(&header);
    match key {
        Some(key) => extend_masked(dst, &frame.payload, key),
        None => dst.extend_from_slice(&frame.payload),
    }
}

/// Appends `src` masked with `key` (from payload position 0), in blocks
/// small enough that each is masked while the copy just made is still in
/// the L1 cache: in effect one pass over memory instead of two.
#[inline]
fn extend_masked(dst: &mut BytesMut, src: &[u8], key: [u8; 4]) {
    const BLOCK: usize = 8 << 10;
    dst.reserve(src.len());
    for (i, block) in src.chunks(BLOCK).enumerate() {
        let start = dst.len();
        dst.extend_from_slice(block);
        if let Some(copy) = dst.get_mut(start..) {
            // BLOCK is a multiple of 4: each block starts at key phase 0.
            apply_mask(copy, key, i.wrapping_mul(BLOCK));
        }
    }
}

impl Decoder for FrameCodec {
    type Item = Frame;
    type Error = Error;

    #[inline]
    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, Error> {
        if let DecodeState::Header = self.state {
            let Some((header, header_len)) = header::parse(src, &self.rules)? else {
                return Ok(None);
            };
            // max_frame_size was checked; it may still exceed a 32-bit usize.
            let len = usize::try_from(header.payload_len).map_err(|_| Error::FrameTooLarge {
                len: header.payload_len,
                max: usize::MAX as u64,
            })?;
            // The common case: the whole frame is in the buffer. Split it
            // off and unmask it without going through the payload state.
            if src.len() - header_len >= len {
                src.advance(header_len);
                let mut payload = src.split_to(len);
                if let Some(key) = header.mask {
                    apply_mask(&mut payload, key, 0);
                }
                return finish(header, payload.freeze()).map(Some);
            }
            src.advance(header_len);
            self.state = DecodeState::Payload {
                header,
                len,
                unmasked: 0,
            };
        }
        let DecodeState::Payload {
            header,
            len,
            unmasked,
        } = &mut self.state
        else {
            return Ok(None);
        };
        let len = *len;
        let available = src.len().min(len);
        if src.len() < len {
            // Unmask in batches rather than each read's few bytes at once:
            // bytes the transport has just written are still in the store
            // buffer, and reading them back stalls; a batch is unmasked
            // while it is still in cache.
            if available - *unmasked >= UNMASK_BATCH {
                unmask_up_to(header, len, unmasked, src, available);
            }
            // Grow towards the frame size by at most RESERVE_STEP or what
            // has arrived, never by what the header alone declares: a
            // 14-byte header must not commit `max_frame_size` bytes.
            // Leave room for what follows the frame too: a transport reads
            // into the buffer's spare capacity, and a buffer that ends where
            // the frame ends cuts the next read short.
            let missing = len - src.len();
            src.reserve(missing.min(src.len().max(RESERVE_STEP)) + READ_SLACK);
            return Ok(None);
        }
        unmask_up_to(header, len, unmasked, src, len);
        let payload = src.split_to(len).freeze();
        let header = *header;
        self.state = DecodeState::Header;
        finish(header, payload).map(Some)
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<Frame>, Error> {
        match self.decode(src)? {
            Some(frame) => Ok(Some(frame)),
            None if src.is_empty() && self.is_between_frames() => Ok(None),
            None => Err(Error::Truncated {
                buffered: src.len(),
            }),
        }
    }
}

/// Unmasks `src[*unmasked..end]` and records that. `src[0]` is the first
/// of the `remaining` payload bytes not yet handed out, so its position in
/// the payload is `payload_len - remaining`.
#[inline]
fn unmask_up_to(
    header: &FrameHeader,
    remaining: usize,
    unmasked: &mut usize,
    src: &mut [u8],
    end: usize,
) {
    if let Some(key) = header.mask {
        if let Some(fresh) = src.get_mut(*unmasked..end) {
            // Only the position modulo 4 matters for the key.
            let taken = (header.payload_len as usize).wrapping_sub(remaining);
            apply_mask(fresh, key, taken.wrapping_add(*unmasked));
        }
    }
    *unmasked = (*unmasked).max(end);
}

/// The frame of a header and its unmasked payload; a close payload is
/// checked (code and UTF-8 reason).
#[inline]
fn finish(header: FrameHeader, payload: Bytes) -> Result<Frame, Error> {
    if header.opcode == OpCode::Close {
        CloseFrame::parse(&payload)?;
    }
    Ok(Frame {
        fin: header.fin,
        rsv: header.rsv,
        opcode: header.opcode,
        payload,
    })
}

impl Encoder<Frame> for FrameCodec {
    type Error = Error;

    /// Appends the frame to `dst`; a client masks the copy it writes.
    ///
    /// # Errors
    ///
    /// As [`Frame::validate`]; `dst` is unchanged on error.
    #[inline]
    fn encode(&mut self, frame: Frame, dst: &mut BytesMut) -> Result<(), Error> {
        frame.validate()?;
        write_frame(&frame, self.outgoing_mask(), dst);
        Ok(())
    }
}

impl Encoder<&Frame> for FrameCodec {
    type Error = Error;

    /// As the `Encoder<Frame>` impl, for a frame the caller keeps.
    fn encode(&mut self, frame: &Frame, dst: &mut BytesMut) -> Result<(), Error> {
        frame.validate()?;
        write_frame(frame, self.outgoing_mask(), dst);
        Ok(())
    }
}

/// A frame ready to be written: the header bytes and the (masked, for a
/// client) payload, as a [`Buf`] of two chunks.
///
/// Write it with a vectored write (`AsyncWriteExt::write_all_buf` does one
/// when the transport supports it) so header and payload go out together
/// without being copied into one buffer.
#[derive(Debug, Clone)]
pub struct EncodedFrame {
    header: HeaderBytes,
    header_pos: usize,
    payload: Bytes,
}

impl EncodedFrame {
    /// The encoded header.
    pub fn header(&self) -> &[u8] {
        &self.header
    }

    /// The payload as it goes on the wire (masked for a client).
    pub fn payload(&self) -> &Bytes {
        &self.payload
    }

    /// The header and payload.
    pub fn into_parts(self) -> (HeaderBytes, Bytes) {
        (self.header, self.payload)
    }
}

impl Buf for EncodedFrame {
    fn remaining(&self) -> usize {
        self.header.len() - self.header_pos + self.payload.len()
    }

    fn chunk(&self) -> &[u8] {
        match self.header.get(self.header_pos..) {
            Some(rest) if !rest.is_empty() => rest,
            _ => &self.payload,
        }
    }

    fn advance(&mut self, mut cnt: usize) {
        let in_header = (self.header.len() - self.header_pos).min(cnt);
        self.header_pos += in_header;
        cnt -= in_header;
        if cnt > 0 {
            self.payload.advance(cnt);
        }
    }

    fn chunks_vectored<'a>(&'a self, dst: &mut [std::io::IoSlice<'a>]) -> usize {
        let mut n = 0;
        let header = self.header.get(self.header_pos..).unwrap_or_default();
        for part in [header, &self.payload[..]] {
            if part.is_empty() {
                continue;
            }
            let Some(slot) = dst.get_mut(n) else { break };
            *slot = std::io::IoSlice::new(part);
            n += 1;
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pieces taken at every cut, with `partial_payload` and the batch
    /// unmasking in between, give back the payload, each byte unmasked once.
    #[test]
    fn partial_payloads_taken_at_any_cut_are_the_payload() {
        let payload: Vec<u8> = (0..300u32).map(|i| (i * 7) as u8).collect();
        let frame = Frame::binary(payload.clone()).with_fin(false);
        let mut wire = BytesMut::new();
        FrameCodec::encode_with_mask(&frame, Some([1, 2, 3, 4]), &mut wire).unwrap();
        for cut1 in [3usize, 8, 9, 10, 100, 200] {
            for cut2 in [cut1 + 1, cut1 + 5, 250] {
                let mut codec = FrameCodec::new(Role::Server);
                let mut src = BytesMut::new();
                let mut got = Vec::new();
                let mut complete = false;
                for piece in [
                    &wire[..cut1],
                    &wire[cut1..cut2.min(wire.len())],
                    &wire[cut2.min(wire.len())..],
                ] {
                    src.extend_from_slice(piece);
                    if let Some(rest) = codec.decode(&mut src).unwrap() {
                        // Completed by `decode`: the rest of the payload.
                        got.extend_from_slice(&rest.payload);
                        complete = true;
                        continue;
                    }
                    let _ = codec.partial_payload(&mut src);
                    if let Some((header, data, done)) = codec.take_partial_payload(&mut src) {
                        assert!(!header.fin);
                        got.extend_from_slice(&data);
                        complete = done;
                    }
                }
                assert!(complete && codec.is_between_frames(), "{cut1} {cut2}");
                assert_eq!(got, payload, "{cut1} {cut2}");
            }
        }
    }

    /// The figure the type's documentation states.
    #[test]
    #[cfg(target_pointer_width = "64")]
    fn the_codec_is_as_small_as_documented() {
        assert_eq!(std::mem::size_of::<super::FrameCodec>(), 72);
    }
}
