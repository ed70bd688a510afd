//! Opcodes and RSV bits (RFC 6455 section 5.2).

use crate::Error;

/// A frame opcode. The reserved values 0x3-0x7 and 0xB-0xF have no variant:
/// they are rejected when parsed ([`Error::ReservedOpCode`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum OpCode {
    /// 0x0: continues the message started by an earlier text or binary frame.
    Continuation,
    /// 0x1: first frame of a text message.
    Text,
    /// 0x2: first frame of a binary message.
    Binary,
    /// 0x8: connection close.
    Close,
    /// 0x9: ping.
    Ping,
    /// 0xA: pong.
    Pong,
}

impl OpCode {
    /// The 4-bit wire value.
    #[inline]
    pub const fn as_u8(self) -> u8 {
        match self {
            OpCode::Continuation => 0x0,
            OpCode::Text => 0x1,
            OpCode::Binary => 0x2,
            OpCode::Close => 0x8,
            OpCode::Ping => 0x9,
            OpCode::Pong => 0xA,
        }
    }

    /// Parses the low four bits of `value`.
    ///
    /// # Errors
    ///
    /// [`Error::ReservedOpCode`] for 0x3-0x7 and 0xB-0xF.
    #[inline]
    pub const fn from_u8(value: u8) -> Result<OpCode, Error> {
        match value & 0x0F {
            0x0 => Ok(OpCode::Continuation),
            0x1 => Ok(OpCode::Text),
            0x2 => Ok(OpCode::Binary),
            0x8 => Ok(OpCode::Close),
            0x9 => Ok(OpCode::Ping),
            0xA => Ok(OpCode::Pong),
            other => Err(Error::ReservedOpCode(other)),
        }
    }

    /// Close, ping and pong: at most 125 bytes of payload, never fragmented.
    #[inline]
    pub const fn is_control(self) -> bool {
        matches!(self, OpCode::Close | OpCode::Ping | OpCode::Pong)
    }

    /// Continuation, text and binary.
    #[inline]
    pub const fn is_data(self) -> bool {
        !self.is_control()
    }
}

impl TryFrom<u8> for OpCode {
    type Error = Error;

    fn try_from(value: u8) -> Result<Self, Error> {
        if value > 0x0F {
            return Err(Error::ReservedOpCode(value));
        }
        OpCode::from_u8(value)
    }
}

impl From<OpCode> for u8 {
    fn from(op: OpCode) -> u8 {
        op.as_u8()
    }
}

/// A set of RSV bits, kept in their wire positions in the first header byte
/// (RSV1 = 0x40, RSV2 = 0x20, RSV3 = 0x10).
///
/// Used both for the bits of a frame and for the bits a negotiated extension
/// allows (permessage-deflate allows [`Rsv::RSV1`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Rsv(u8);

impl Rsv {
    /// No bits.
    pub const NONE: Rsv = Rsv(0);
    /// RSV1 (0x40), used by permessage-deflate (RFC 7692).
    pub const RSV1: Rsv = Rsv(0x40);
    /// RSV2 (0x20).
    pub const RSV2: Rsv = Rsv(0x20);
    /// RSV3 (0x10).
    pub const RSV3: Rsv = Rsv(0x10);
    /// All three bits.
    pub const ALL: Rsv = Rsv(0x70);

    /// The bits of `first_byte` (the first header byte) at positions 0x70.
    #[inline]
    pub const fn from_header_byte(first_byte: u8) -> Rsv {
        Rsv(first_byte & 0x70)
    }

    /// The bits in their wire positions (a subset of 0x70).
    #[inline]
    pub const fn bits(self) -> u8 {
        self.0
    }

    /// Whether no bit is set.
    #[inline]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// Whether every bit of `other` is set in `self`.
    #[inline]
    pub const fn contains(self, other: Rsv) -> bool {
        self.0 & other.0 == other.0
    }

    /// RSV1 is set.
    #[inline]
    pub const fn rsv1(self) -> bool {
        self.0 & 0x40 != 0
    }

    /// RSV2 is set.
    #[inline]
    pub const fn rsv2(self) -> bool {
        self.0 & 0x20 != 0
    }

    /// RSV3 is set.
    #[inline]
    pub const fn rsv3(self) -> bool {
        self.0 & 0x10 != 0
    }

    /// The bits of `self` that are not in `allowed`.
    #[inline]
    pub const fn outside(self, allowed: Rsv) -> Rsv {
        Rsv(self.0 & !allowed.0)
    }
}

impl std::ops::BitOr for Rsv {
    type Output = Rsv;
    fn bitor(self, rhs: Rsv) -> Rsv {
        Rsv(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for Rsv {
    fn bitor_assign(&mut self, rhs: Rsv) {
        self.0 |= rhs.0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_opcode_value() {
        for v in 0u8..=0x0F {
            let parsed = OpCode::try_from(v);
            match v {
                0x0 | 0x1 | 0x2 | 0x8 | 0x9 | 0xA => {
                    assert_eq!(parsed.expect("defined opcode").as_u8(), v);
                }
                _ => assert!(matches!(parsed, Err(Error::ReservedOpCode(x)) if x == v)),
            }
        }
        assert!(matches!(
            OpCode::try_from(0x10),
            Err(Error::ReservedOpCode(0x10))
        ));
        assert!(OpCode::Ping.is_control() && !OpCode::Ping.is_data());
        assert!(OpCode::Continuation.is_data());
    }

    #[test]
    fn rsv_sets() {
        let both = Rsv::RSV1 | Rsv::RSV3;
        assert!(both.rsv1() && !both.rsv2() && both.rsv3());
        assert_eq!(both.outside(Rsv::RSV1), Rsv::RSV3);
        assert!(both.outside(Rsv::ALL).is_empty());
        assert_eq!(Rsv::from_header_byte(0xF1), Rsv::ALL);
    }
}
