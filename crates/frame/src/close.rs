//! Close codes and the close frame payload (RFC 6455 sections 5.5.1 and 7.4).

use bytes::{BufMut, Bytes, BytesMut};

use crate::{Error, Utf8Bytes};

/// A close status code (RFC 6455 section 7.4).
///
/// Every `u16` converts into a `CloseCode` ([`From<u16>`]); whether it may
/// appear on the wire is [`CloseCode::is_sendable`]. The decoder rejects
/// codes that may not ([`Error::InvalidCloseCode`]), the encoder refuses to
/// send them ([`Error::OutgoingInvalidCloseCode`]).
///
/// | code | variant | on the wire |
/// |---|---|---|
/// | 0-999 | `Reserved` | never |
/// | 1000-1003 | `Normal` .. `UnsupportedData` | yes |
/// | 1004 | `Reserved` | never |
/// | 1005, 1006 | `NoStatusReceived`, `Abnormal` | never (local meaning only) |
/// | 1007-1014 | `InvalidPayload` .. `BadGateway` | yes |
/// | 1015 | `TlsHandshake` | never (local meaning only) |
/// | 1016-2999 | `Reserved` | never |
/// | 3000-3999 | `Registered` | yes |
/// | 4000-4999 | `Private` | yes |
/// | 5000-65535 | `Reserved` | never |
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CloseCode {
    /// 1000: normal closure.
    Normal,
    /// 1001: the endpoint is going away (server shutdown, page navigation).
    GoingAway,
    /// 1002: protocol error.
    ProtocolError,
    /// 1003: a data type the endpoint cannot accept.
    UnsupportedData,
    /// 1005: no status code was present (never sent).
    NoStatusReceived,
    /// 1006: the connection closed without a close frame (never sent).
    Abnormal,
    /// 1007: data inconsistent with the message type (invalid UTF-8 text).
    InvalidPayload,
    /// 1008: a message that violates the endpoint's policy.
    PolicyViolation,
    /// 1009: a message too big to process.
    MessageTooBig,
    /// 1010: the client expected the server to negotiate an extension.
    MandatoryExtension,
    /// 1011: the server hit an unexpected condition.
    InternalError,
    /// 1012: the service is restarting.
    ServiceRestart,
    /// 1013: try again later.
    TryAgainLater,
    /// 1014: the gateway received an invalid response.
    BadGateway,
    /// 1015: TLS handshake failure (never sent).
    TlsHandshake,
    /// 3000-3999: registered with IANA by libraries and frameworks.
    Registered(u16),
    /// 4000-4999: private use by applications.
    Private(u16),
    /// Any other value: reserved, never valid on the wire.
    Reserved(u16),
}

impl CloseCode {
    /// The numeric code.
    pub const fn as_u16(self) -> u16 {
        match self {
            CloseCode::Normal => 1000,
            CloseCode::GoingAway => 1001,
            CloseCode::ProtocolError => 1002,
            CloseCode::UnsupportedData => 1003,
            CloseCode::NoStatusReceived => 1005,
            CloseCode::Abnormal => 1006,
            CloseCode::InvalidPayload => 1007,
            CloseCode::PolicyViolation => 1008,
            CloseCode::MessageTooBig => 1009,
            CloseCode::MandatoryExtension => 1010,
            CloseCode::InternalError => 1011,
            CloseCode::ServiceRestart => 1012,
            CloseCode::TryAgainLater => 1013,
            CloseCode::BadGateway => 1014,
            CloseCode::TlsHandshake => 1015,
            CloseCode::Registered(c) | CloseCode::Private(c) | CloseCode::Reserved(c) => c,
        }
    }

    /// Whether the code may appear in a close frame: 1000-1003, 1007-1014
    /// and 3000-4999.
    pub const fn is_sendable(self) -> bool {
        matches!(self.as_u16(), 1000..=1003 | 1007..=1014 | 3000..=4999)
    }
}

impl From<u16> for CloseCode {
    fn from(code: u16) -> CloseCode {
        match code {
            1000 => CloseCode::Normal,
            1001 => CloseCode::GoingAway,
            1002 => CloseCode::ProtocolError,
            1003 => CloseCode::UnsupportedData,
            1005 => CloseCode::NoStatusReceived,
            1006 => CloseCode::Abnormal,
            1007 => CloseCode::InvalidPayload,
            1008 => CloseCode::PolicyViolation,
            1009 => CloseCode::MessageTooBig,
            1010 => CloseCode::MandatoryExtension,
            1011 => CloseCode::InternalError,
            1012 => CloseCode::ServiceRestart,
            1013 => CloseCode::TryAgainLater,
            1014 => CloseCode::BadGateway,
            1015 => CloseCode::TlsHandshake,
            3000..=3999 => CloseCode::Registered(code),
            4000..=4999 => CloseCode::Private(code),
            other => CloseCode::Reserved(other),
        }
    }
}

impl From<CloseCode> for u16 {
    fn from(code: CloseCode) -> u16 {
        code.as_u16()
    }
}

impl std::fmt::Display for CloseCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.as_u16())
    }
}

/// The payload of a close frame that carries a status: a code and a UTF-8
/// reason of at most 123 bytes.
///
/// A close frame with an empty payload has no `CloseFrame`
/// ([`CloseFrame::parse`] returns `None`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CloseFrame {
    /// The status code.
    pub code: CloseCode,
    /// The reason, possibly empty.
    pub reason: Utf8Bytes,
}

impl CloseFrame {
    /// The largest reason that fits in a control frame (125 - 2 bytes).
    pub const MAX_REASON_LEN: usize = 123;

    /// A close frame with a code and a reason.
    pub fn new(code: CloseCode, reason: impl Into<Utf8Bytes>) -> CloseFrame {
        CloseFrame {
            code,
            reason: reason.into(),
        }
    }

    /// Parses a close frame payload (already unmasked).
    ///
    /// Returns `Ok(None)` for an empty payload (a close without status).
    ///
    /// # Errors
    ///
    /// * [`Error::ClosePayloadTooShort`] for a 1-byte payload (1002),
    /// * [`Error::InvalidCloseCode`] for a code that may not be sent (1002),
    /// * [`Error::InvalidCloseReason`] for a reason that is not UTF-8 (1007).
    pub fn parse(payload: &Bytes) -> Result<Option<CloseFrame>, Error> {
        let (code, reason) = match payload.as_ref() {
            [] => return Ok(None),
            [_] => return Err(Error::ClosePayloadTooShort),
            [hi, lo, ..] => (u16::from_be_bytes([*hi, *lo]), payload.slice(2..)),
        };
        let code = CloseCode::from(code);
        if !code.is_sendable() {
            return Err(Error::InvalidCloseCode(code.as_u16()));
        }
        let reason = Utf8Bytes::try_from(reason).map_err(|e| Error::InvalidCloseReason {
            valid_up_to: e.valid_up_to(),
        })?;
        Ok(Some(CloseFrame { code, reason }))
    }

    /// Checks that the close frame may be sent: a sendable code and a reason
    /// of at most 123 bytes.
    ///
    /// # Errors
    ///
    /// [`Error::OutgoingInvalidCloseCode`] or [`Error::OutgoingCloseReasonTooLong`].
    pub fn validate(&self) -> Result<(), Error> {
        if !self.code.is_sendable() {
            return Err(Error::OutgoingInvalidCloseCode(self.code.as_u16()));
        }
        if self.reason.len() > Self::MAX_REASON_LEN {
            return Err(Error::OutgoingCloseReasonTooLong(self.reason.len()));
        }
        Ok(())
    }

    /// Encodes the payload: the code in network byte order, then the reason.
    ///
    /// # Errors
    ///
    /// As [`CloseFrame::validate`].
    pub fn to_payload(&self) -> Result<Bytes, Error> {
        self.validate()?;
        let mut out = BytesMut::with_capacity(2 + self.reason.len());
        out.put_u16(self.code.as_u16());
        out.put_slice(self.reason.as_bytes());
        Ok(out.freeze())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_ranges() {
        for code in 0u16..=u16::MAX {
            let expected = matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999);
            let c = CloseCode::from(code);
            assert_eq!(c.as_u16(), code);
            assert_eq!(c.is_sendable(), expected, "code {code}");
        }
    }

    #[test]
    fn parse_accepts_valid_codes_and_rejects_the_rest() {
        for code in [
            1000u16, 1001, 1002, 1003, 1007, 1010, 1014, 3000, 3999, 4000, 4999,
        ] {
            let payload = Bytes::copy_from_slice(&code.to_be_bytes());
            let frame = CloseFrame::parse(&payload).expect("valid").expect("some");
            assert_eq!(frame.code.as_u16(), code);
            assert!(frame.reason.is_empty());
        }
        for code in [0u16, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
            let payload = Bytes::copy_from_slice(&code.to_be_bytes());
            assert!(
                matches!(CloseFrame::parse(&payload), Err(Error::InvalidCloseCode(c)) if c == code),
                "code {code}"
            );
        }
    }

    #[test]
    fn parse_payload_shapes() {
        assert!(CloseFrame::parse(&Bytes::new())
            .expect("empty ok")
            .is_none());
        assert!(matches!(
            CloseFrame::parse(&Bytes::from_static(&[0x03])),
            Err(Error::ClosePayloadTooShort)
        ));
        let ok = CloseFrame::parse(&Bytes::from_static(b"\x03\xe8bye \xc3\xa9"))
            .expect("ok")
            .expect("some");
        assert_eq!(ok.code, CloseCode::Normal);
        assert_eq!(&*ok.reason, "bye é");
        let bad = CloseFrame::parse(&Bytes::from_static(b"\x03\xe8ok\xff"));
        assert!(matches!(
            bad,
            Err(Error::InvalidCloseReason { valid_up_to: 2 })
        ));
        // A truncated code point at the end is invalid too.
        let cut = CloseFrame::parse(&Bytes::from_static(b"\x03\xe8\xc3"));
        assert!(matches!(cut, Err(Error::InvalidCloseReason { .. })));
    }

    #[test]
    fn encode_validates() {
        let f = CloseFrame::new(CloseCode::GoingAway, "bye");
        assert_eq!(&f.to_payload().expect("ok")[..], b"\x03\xe9bye");
        assert!(matches!(
            CloseFrame::new(CloseCode::Abnormal, "").to_payload(),
            Err(Error::OutgoingInvalidCloseCode(1006))
        ));
        let long = "x".repeat(124);
        assert!(matches!(
            CloseFrame::new(CloseCode::Normal, long).to_payload(),
            Err(Error::OutgoingCloseReasonTooLong(124))
        ));
        let max = "x".repeat(123);
        assert_eq!(
            CloseFrame::new(CloseCode::Normal, max)
                .to_payload()
                .expect("ok")
                .len(),
            125
        );
    }
}
