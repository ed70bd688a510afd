//! The frame header (RFC 6455 section 5.2): parse and encode, sans-IO.

use bytes::{BufMut, BytesMut};

use crate::{Error, OpCode, Role, Rsv};

/// The longest possible header: 2 bytes, an 8-byte extended length and a
/// 4-byte masking key.
pub const MAX_HEADER_LEN: usize = 14;

/// The largest payload length the 64-bit length form can carry (its most
/// significant bit must be 0).
pub const MAX_PAYLOAD_LEN: u64 = i64::MAX as u64;

/// A parsed frame header.
///
/// ```text
///  0                   1                   2                   3
///  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
/// +-+-+-+-+-------+-+-------------+-------------------------------+
/// |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
/// |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
/// |N|V|V|V|       |S|             |   (if payload len==126/127)   |
/// | |1|2|3|       |K|             |                               |
/// +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
/// |     Extended payload length continued, if payload len == 127  |
/// + - - - - - - - - - - - - - - - +-------------------------------+
/// |                               |Masking-key, if MASK set to 1  |
/// +-------------------------------+-------------------------------+
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct FrameHeader {
    /// FIN: this is the final fragment of a message.
    pub fin: bool,
    /// The RSV1-3 bits.
    pub rsv: Rsv,
    /// The opcode.
    pub opcode: OpCode,
    /// The masking key, if the MASK bit is set.
    pub mask: Option<[u8; 4]>,
    /// The payload length.
    pub payload_len: u64,
}

/// What [`parse`] enforces beyond the unconditional rules of RFC 6455.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Rules {
    /// `Some(Server)`: frames must be masked; `Some(Client)`: must not be.
    pub(crate) role: Option<Role>,
    pub(crate) allowed_rsv: Rsv,
    /// Applies to data frames; control frames are bounded by 125 anyway.
    pub(crate) max_payload_len: u64,
    pub(crate) require_minimal_length: bool,
}

impl Rules {
    const PERMISSIVE: Rules = Rules {
        role: None,
        allowed_rsv: Rsv::ALL,
        max_payload_len: MAX_PAYLOAD_LEN,
        require_minimal_length: false,
    };
}

impl FrameHeader {
    /// Parses a header from the start of `buf`, returning it with its length
    /// in bytes, or `Ok(None)` if `buf` holds only part of a header.
    ///
    /// Enforces the rules that hold on every connection: reserved opcodes,
    /// control frames of at most 125 bytes with FIN set, and a 64-bit length
    /// whose most significant bit is 0. The rules that depend on the role and
    /// configuration (masking, RSV bits, size limit, minimal length encoding)
    /// are enforced by [`FrameCodec`](crate::FrameCodec).
    ///
    /// # Errors
    ///
    /// [`Error::ReservedOpCode`], [`Error::ControlFrameTooLong`],
    /// [`Error::FragmentedControlFrame`], [`Error::LengthMostSignificantBitSet`].
    ///
    /// ```
    /// use tether_frame::{FrameHeader, OpCode};
    /// let (h, n) = FrameHeader::parse(&[0x81, 0x05, b'H']).unwrap().unwrap();
    /// assert_eq!((h.opcode, h.payload_len, n), (OpCode::Text, 5, 2));
    /// assert!(FrameHeader::parse(&[0x82, 0x7e, 0x01]).unwrap().is_none());
    /// ```
    pub fn parse(buf: &[u8]) -> Result<Option<(FrameHeader, usize)>, Error> {
        parse(buf, &Rules::PERMISSIVE)
    }

    /// The header's length on the wire.
    #[inline]
    pub const fn encoded_len(&self) -> usize {
        let len = match self.payload_len {
            0..=125 => 2,
            126..=0xFFFF => 4,
            _ => 10,
        };
        if self.mask.is_some() {
            len + 4
        } else {
            len
        }
    }

    /// Encodes the header in the shortest length form.
    ///
    /// The header is written as given; checking that the frame may be sent
    /// (control frame rules, role) is the encoder's job
    /// ([`Frame::validate`](crate::Frame::validate)).
    #[inline]
    #[allow(clippy::indexing_slicing)] // constant offsets into a 14-byte array
    pub fn encode(&self) -> HeaderBytes {
        let mut buf = [0u8; MAX_HEADER_LEN];
        buf[0] = (u8::from(self.fin) << 7) | self.rsv.bits() | self.opcode.as_u8();
        let mask_bit = if self.mask.is_some() { 0x80 } else { 0 };
        let mut len = match self.payload_len {
            n @ 0..=125 => {
                // n <= 125 fits in the 7-bit field.
                buf[1] = mask_bit | (n as u8);
                2
            }
            n @ 126..=0xFFFF => {
                buf[1] = mask_bit | 126;
                buf[2..4].copy_from_slice(&(n as u16).to_be_bytes());
                4
            }
            n => {
                buf[1] = mask_bit | 127;
                buf[2..10].copy_from_slice(&(n & MAX_PAYLOAD_LEN).to_be_bytes());
                10
            }
        };
        if let Some(key) = self.mask {
            buf[len..len + 4].copy_from_slice(&key);
            len += 4;
        }
        HeaderBytes {
            buf,
            len: len as u8,
        }
    }

    /// Appends the encoded header to `dst`.
    #[inline]
    pub fn write_to(&self, dst: &mut BytesMut) {
        dst.put_slice(&self.encode());
    }
}

/// An encoded header: at most [`MAX_HEADER_LEN`] bytes held inline, no
/// allocation. Derefs to the header bytes.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct HeaderBytes {
    buf: [u8; MAX_HEADER_LEN],
    len: u8,
}

impl std::ops::Deref for HeaderBytes {
    type Target = [u8];

    #[inline]
    fn deref(&self) -> &[u8] {
        self.buf.get(..usize::from(self.len)).unwrap_or_default()
    }
}

impl AsRef<[u8]> for HeaderBytes {
    fn as_ref(&self) -> &[u8] {
        self
    }
}

impl std::fmt::Debug for HeaderBytes {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "HeaderBytes({:02x?})", &**self)
    }
}

/// Parses a header under `rules`, failing as early as the bytes allow: the
/// first two bytes are checked before the extended length arrives, the length
/// before the masking key.
#[inline]
pub(crate) fn parse(buf: &[u8], rules: &Rules) -> Result<Option<(FrameHeader, usize)>, Error> {
    let (b0, b1) = match buf {
        [b0, b1, ..] => (*b0, *b1),
        _ => return Ok(None),
    };
    let opcode = OpCode::from_u8(b0)?;
    let fin = b0 & 0x80 != 0;
    let rsv = Rsv::from_header_byte(b0);
    let unexpected = rsv.outside(rules.allowed_rsv);
    if !unexpected.is_empty() {
        return Err(Error::ReservedBits(unexpected.bits()));
    }
    let masked = b1 & 0x80 != 0;
    match rules.role {
        Some(Role::Server) if !masked => return Err(Error::UnmaskedFrame),
        Some(Role::Client) if masked => return Err(Error::MaskedFrame),
        _ => {}
    }
    let len7 = b1 & 0x7F;
    if opcode.is_control() {
        if !fin {
            return Err(Error::FragmentedControlFrame(opcode));
        }
        if len7 > 125 {
            return Err(Error::ControlFrameTooLong(u64::from(len7)));
        }
    }
    let (payload_len, mut pos) = match len7 {
        126 => {
            let Some(&[x0, x1]) = buf.get(2..4).and_then(|s| <&[u8; 2]>::try_from(s).ok()) else {
                return Ok(None);
            };
            let len = u64::from(u16::from_be_bytes([x0, x1]));
            if rules.require_minimal_length && len < 126 {
                return Err(Error::NonMinimalLength {
                    len,
                    extended_bytes: 2,
                });
            }
            (len, 4)
        }
        127 => {
            let Some(bytes) = buf.get(2..10).and_then(|s| <[u8; 8]>::try_from(s).ok()) else {
                return Ok(None);
            };
            let len = u64::from_be_bytes(bytes);
            if len > MAX_PAYLOAD_LEN {
                return Err(Error::LengthMostSignificantBitSet);
            }
            if rules.require_minimal_length && len <= 0xFFFF {
                return Err(Error::NonMinimalLength {
                    len,
                    extended_bytes: 8,
                });
            }
            (len, 10)
        }
        n => (u64::from(n), 2),
    };
    if payload_len > rules.max_payload_len && opcode.is_data() {
        return Err(Error::FrameTooLarge {
            len: payload_len,
            max: rules.max_payload_len,
        });
    }
    let mask = if masked {
        let Some(key) = buf
            .get(pos..pos + 4)
            .and_then(|s| <[u8; 4]>::try_from(s).ok())
        else {
            return Ok(None);
        };
        pos += 4;
        Some(key)
    } else {
        None
    };
    Ok(Some((
        FrameHeader {
            fin,
            rsv,
            opcode,
            mask,
            payload_len,
        },
        pos,
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(opcode: OpCode, len: u64, mask: Option<[u8; 4]>) -> FrameHeader {
        FrameHeader {
            fin: true,
            rsv: Rsv::NONE,
            opcode,
            mask,
            payload_len: len,
        }
    }

    #[test]
    fn all_length_forms_round_trip() {
        for len in [
            0u64,
            1,
            125,
            126,
            127,
            0xFFFF,
            0x1_0000,
            1 << 40,
            MAX_PAYLOAD_LEN,
        ] {
            for mask in [None, Some([1, 2, 3, 4])] {
                let h = header(OpCode::Binary, len, mask);
                let bytes = h.encode();
                assert_eq!(bytes.len(), h.encoded_len());
                let (parsed, n) = FrameHeader::parse(&bytes)
                    .expect("valid")
                    .expect("complete");
                assert_eq!(parsed, h);
                assert_eq!(n, bytes.len());
                // Every strict prefix is partial, never an error.
                for cut in 0..bytes.len() {
                    assert!(FrameHeader::parse(&bytes[..cut]).expect("valid").is_none());
                }
            }
        }
    }

    #[test]
    fn length_form_boundaries() {
        assert_eq!(header(OpCode::Binary, 125, None).encode()[1], 125);
        assert_eq!(
            &header(OpCode::Binary, 126, None).encode()[1..],
            &[126, 0, 126]
        );
        assert_eq!(
            &header(OpCode::Binary, 0x10000, None).encode()[1..],
            &[127, 0, 0, 0, 0, 0, 1, 0, 0]
        );
    }

    #[test]
    fn msb_of_64_bit_length_is_rejected() {
        let bytes = [0x82, 0x7F, 0x80, 0, 0, 0, 0, 0, 0, 0];
        assert!(matches!(
            FrameHeader::parse(&bytes),
            Err(Error::LengthMostSignificantBitSet)
        ));
    }

    #[test]
    fn rules_fail_fast_on_the_first_two_bytes() {
        let server = Rules {
            role: Some(Role::Server),
            allowed_rsv: Rsv::NONE,
            max_payload_len: 1 << 20,
            require_minimal_length: true,
        };
        // Unmasked with a 64-bit length of which no byte has arrived yet.
        assert!(matches!(
            parse(&[0x82, 0x7F], &server),
            Err(Error::UnmaskedFrame)
        ));
        assert!(matches!(
            parse(&[0xC2, 0xFF], &server),
            Err(Error::ReservedBits(0x40))
        ));
        assert!(matches!(
            parse(&[0x89, 0xFE], &server),
            Err(Error::ControlFrameTooLong(126))
        ));
        // The size limit is checked as soon as the length is known, before the
        // masking key arrives.
        assert!(matches!(
            parse(&[0x82, 0xFF, 0, 0, 0, 0, 0x10, 0, 0, 0], &server),
            Err(Error::FrameTooLarge {
                len: 0x1000_0000,
                max: 0x10_0000
            })
        ));
        assert!(matches!(
            parse(&[0x82, 0xFE, 0, 5], &server),
            Err(Error::NonMinimalLength {
                len: 5,
                extended_bytes: 2
            })
        ));
        assert!(matches!(
            parse(&[0x82, 0xFF, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF], &server),
            Err(Error::NonMinimalLength {
                len: 0xFFFF,
                extended_bytes: 8
            })
        ));
    }
}
