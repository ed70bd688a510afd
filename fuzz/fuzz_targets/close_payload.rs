//! `CloseFrame::parse` (close payloads, RFC 6455 sections 5.5.1 and 7.4)
//! against a direct reading of the RFC, and the close encoders.
//!
//! Input: a close frame payload. Properties:
//!
//! * empty: no status; one byte: `ClosePayloadTooShort`; else the code is
//!   the first two bytes (network order), valid exactly for 1000-1003,
//!   1007-1014 and 3000-4999 (`InvalidCloseCode` otherwise), and the rest
//!   is the reason, which must be UTF-8 (`InvalidCloseReason` with the
//!   `valid_up_to` of `std::str::from_utf8` otherwise);
//! * a parsed status encodes (`to_payload`) back to the same bytes when the
//!   reason fits (123 bytes), else `OutgoingCloseReasonTooLong`;
//! * `Frame::validate` on a close frame with this payload agrees.
#![no_main]

use bytes::Bytes;
use libfuzzer_sys::fuzz_target;
use tether_frame::{CloseCode, CloseFrame, Error, Frame, OpCode};
use tether_fuzz::error_id;

fn reference(payload: &[u8]) -> Result<Option<(u16, &str)>, Error> {
    match payload {
        [] => Ok(None),
        [_] => Err(Error::ClosePayloadTooShort),
        [hi, lo, reason @ ..] => {
            let code = u16::from_be_bytes([*hi, *lo]);
            if !matches!(code, 1000..=1003 | 1007..=1014 | 3000..=4999) {
                return Err(Error::InvalidCloseCode(code));
            }
            match std::str::from_utf8(reason) {
                Ok(reason) => Ok(Some((code, reason))),
                Err(e) => Err(Error::InvalidCloseReason {
                    valid_up_to: e.valid_up_to(),
                }),
            }
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let payload = Bytes::copy_from_slice(data);
    let ours = CloseFrame::parse(&payload);
    match (&ours, reference(data)) {
        (Ok(None), Ok(None)) => {}
        (Ok(Some(close)), Ok(Some((code, reason)))) => {
            assert_eq!(close.code.as_u16(), code);
            assert_eq!(close.code, CloseCode::from(code));
            assert!(close.code.is_sendable());
            assert_eq!(&*close.reason, reason);
            match close.to_payload() {
                Ok(bytes) => {
                    assert!(reason.len() <= CloseFrame::MAX_REASON_LEN);
                    assert_eq!(&bytes[..], data, "to_payload");
                }
                Err(e) => {
                    assert!(reason.len() > CloseFrame::MAX_REASON_LEN, "{e:?}");
                    assert_eq!(
                        error_id(&e),
                        error_id(&Error::OutgoingCloseReasonTooLong(reason.len()))
                    );
                }
            }
        }
        (Err(a), Err(b)) => assert_eq!(error_id(a), error_id(&b)),
        (a, b) => panic!("CloseFrame::parse: {a:?}, RFC: {b:?}"),
    }

    let frame = Frame::new(OpCode::Close, payload.clone());
    let valid = frame.validate();
    match (&ours, &valid) {
        (Ok(_), Ok(())) => assert!(data.len() <= 125),
        (Ok(_), Err(Error::OutgoingControlTooLong(n))) => assert!(*n > 125 && *n == data.len()),
        (Err(Error::InvalidCloseCode(c)), Err(Error::OutgoingInvalidCloseCode(d))) => {
            assert!(data.len() <= 125);
            assert_eq!(c, d);
        }
        (Err(_), Err(Error::OutgoingControlTooLong(n))) => assert!(*n > 125),
        (Err(_), Err(Error::OutgoingMalformedClose(n))) => {
            assert!(*n == data.len() && data.len() <= 125);
        }
        _ => panic!("Frame::validate {valid:?} vs CloseFrame::parse {ours:?}"),
    }
    assert_eq!(
        frame.close_frame().map_err(|e| error_id(&e)),
        ours.map_err(|e| error_id(&e))
    );
});
