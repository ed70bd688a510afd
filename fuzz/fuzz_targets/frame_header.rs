//! `FrameHeader::parse` (the permissive, role-free header parser) and
//! `FrameHeader::encode`, against a header read straight from the bytes.
//!
//! Input: the bytes to parse. Properties:
//!
//! * the result is what RFC 6455 section 5.2 says of the bytes: the
//!   reserved-opcode, control-frame and 64-bit-MSB rules, in that order,
//!   else the header with the right fields and length;
//! * fail early, never late: on every prefix the result is `Ok(None)` or
//!   already the final error, and `Ok(None)` exactly while the header is
//!   incomplete and no rule is broken by the bytes so far;
//! * a parsed header encodes to the same bytes when its length was minimal,
//!   and always parses back to itself;
//! * a header built from the input (fields taken from its first 14 bytes)
//!   encodes to `encoded_len` bytes that parse back to it, or to the error
//!   its fields call for. Payload lengths over 2^63 - 1 are left out:
//!   `encode` silently drops their top bit (reported, see fuzz/README.md).
#![no_main]

use libfuzzer_sys::fuzz_target;
use tether_frame::{Error, FrameHeader, OpCode, Rsv, MAX_PAYLOAD_LEN};
use tether_fuzz::error_id;

/// What RFC 6455 says of `buf` as the start of a frame, computed directly:
/// `Ok(None)` while incomplete, else the header and its length, or the error.
fn reference(buf: &[u8]) -> Result<Option<(FrameHeader, usize)>, String> {
    let (Some(&b0), Some(&b1)) = (buf.first(), buf.get(1)) else {
        return Ok(None);
    };
    let op = b0 & 0x0F;
    if matches!(op, 3..=7 | 0xB..=0xF) {
        return Err(error_id(&Error::ReservedOpCode(op)));
    }
    let opcode = OpCode::from_u8(op).expect("not reserved");
    let fin = b0 & 0x80 != 0;
    let len7 = b1 & 0x7F;
    if opcode.is_control() && !fin {
        return Err(error_id(&Error::FragmentedControlFrame(opcode)));
    }
    if opcode.is_control() && len7 > 125 {
        return Err(error_id(&Error::ControlFrameTooLong(u64::from(len7))));
    }
    let (len, mut n) = match len7 {
        126 => match buf.get(2..4) {
            Some(b) => (u64::from(u16::from_be_bytes([b[0], b[1]])), 4),
            None => return Ok(None),
        },
        127 => match buf.get(2..10) {
            Some(b) => (u64::from_be_bytes(b.try_into().expect("8 bytes")), 10),
            None => return Ok(None),
        },
        l => (u64::from(l), 2),
    };
    if len > MAX_PAYLOAD_LEN {
        return Err(error_id(&Error::LengthMostSignificantBitSet));
    }
    let mask = if b1 & 0x80 != 0 {
        match buf.get(n..n + 4) {
            Some(k) => {
                n += 4;
                Some([k[0], k[1], k[2], k[3]])
            }
            None => return Ok(None),
        }
    } else {
        None
    };
    Ok(Some((
        FrameHeader {
            fin,
            rsv: Rsv::from_header_byte(b0),
            opcode,
            mask,
            payload_len: len,
        },
        n,
    )))
}

fn parse(buf: &[u8]) -> Result<Option<(FrameHeader, usize)>, String> {
    FrameHeader::parse(buf).map_err(|e| error_id(&e))
}

fuzz_target!(|data: &[u8]| {
    let full = parse(data);
    assert_eq!(full, reference(data), "FrameHeader::parse vs RFC 6455");

    // Every prefix: the reference too, hence fail-early and no late success.
    for k in 0..data.len().min(16) {
        let prefix = parse(&data[..k]);
        assert_eq!(prefix, reference(&data[..k]), "prefix of {k} bytes");
        match (&prefix, &full) {
            (Ok(None), _) => {}
            (Err(a), Err(b)) => assert_eq!(a, b, "error changed as bytes arrived"),
            (Ok(Some(a)), Ok(Some(b))) => assert_eq!(a, b, "header changed as bytes arrived"),
            _ => panic!("prefix of {k}: {prefix:?}, whole: {full:?}"),
        }
    }

    if let Ok(Some((header, n))) = &full {
        let bytes = header.encode();
        assert_eq!(bytes.len(), header.encoded_len());
        assert_eq!(
            parse(&bytes),
            Ok(Some((*header, bytes.len()))),
            "encode/parse"
        );
        if n == &bytes.len() {
            assert_eq!(
                &bytes[..],
                &data[..*n],
                "minimal header re-encodes differently"
            );
        } else {
            assert!(
                bytes.len() < *n,
                "re-encoding longer than a non-minimal original"
            );
        }
    }

    // A header built from the input's bytes, encoded then parsed.
    if data.len() >= 14 {
        let b0 = data[0];
        let Ok(opcode) = OpCode::from_u8(b0) else {
            return;
        };
        let payload_len =
            u64::from_be_bytes(data[1..9].try_into().expect("8 bytes")) >> (data[9] & 63);
        if payload_len > MAX_PAYLOAD_LEN {
            // encode() writes `payload_len & (2^63 - 1)`: see the doc above.
            return;
        }
        let header = FrameHeader {
            fin: b0 & 0x80 != 0,
            rsv: Rsv::from_header_byte(b0),
            opcode,
            mask: (data[9] & 0x80 != 0).then(|| [data[10], data[11], data[12], data[13]]),
            payload_len,
        };
        let bytes = header.encode();
        assert_eq!(bytes.len(), header.encoded_len());
        assert_eq!(
            parse(&bytes),
            reference(&bytes),
            "encoding of {header:?} parses against the rules"
        );
        if let Ok(parsed) = parse(&bytes) {
            assert_eq!(
                parsed,
                Some((header, bytes.len())),
                "encode/parse of {header:?}"
            );
        }
    }
});
