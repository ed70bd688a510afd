//! tether-frame's `FrameCodec` against tungstenite 0.30's frame reader
//! (`tungstenite::protocol::frame::FrameSocket::read`, which is
//! `FrameHeader::parse` plus its size check and payload split; it leaves the
//! payload masked and reports the key in the header).
//!
//! Input: byte 0 is the config (bits 0-2: the limit, an index into `MAXES`,
//! given to both; bit 3: tether allows all RSV bits; bit 4: tether is a
//! client instead of a server); the rest is the wire. tether runs with
//! `require_minimal_length(false)`, as tungstenite has no such rule.
//!
//! Both read the whole input. Frames both return must be identical (FIN,
//! RSV, opcode, length, unmasked payload). Where one stops and the other
//! does not, the disagreement must be one of the known differences below,
//! each checked as narrowly as the bytes allow; anything else panics.
//!
//! # Known differences
//!
//! tungstenite splits RFC 6455 checks between its frame reader and its
//! message layer (`WebSocketContext::read_message_frame` in
//! `protocol/mod.rs`); tether-frame does all per-frame checks while decoding.
//! At the frame level tungstenite is therefore more lenient about:
//!
//! 1. **RSV bits** (`Error::ReservedBits`): tungstenite's message layer
//!    rejects any RSV bit (`NonZeroReservedBits`); its frame reader returns
//!    them. tether rejects bits outside `allowed_rsv` in the header.
//! 2. **Control frame rules** (`ControlFrameTooLong`,
//!    `FragmentedControlFrame`): checked by tungstenite's message layer
//!    (`ControlFrameTooBig`, `FragmentedControlFrame`), by tether from the
//!    first two header bytes.
//! 3. **Masking direction** (`UnmaskedFrame`, `MaskedFrame`): `FrameSocket`
//!    reads with `accept_unmasked = true` and never unmasks; the message
//!    layer enforces the direction (configurable there with
//!    `accept_unmasked_frames`).
//! 4. **Close payloads** (`ClosePayloadTooShort`, `InvalidCloseCode`,
//!    `InvalidCloseReason`): tungstenite parses them only when the message
//!    layer turns the frame into a close (`into_close`, and replaces a
//!    disallowed code rather than failing); tether checks them on decode.
//!    Both see the same frame: the close error tether reports must be what
//!    `CloseFrame::parse` says of tungstenite's (unmasked) payload.
//! 5. **The 64-bit length's most significant bit**
//!    (`LengthMostSignificantBitSet`): tungstenite has no such rule; with a
//!    limit below 2^63 (always, here) it fails such a frame with
//!    `MessageTooLong` instead, once its header is complete.
//!
//! And about *when* a frame fails:
//!
//! 6. **Fail early**: tungstenite reads the whole header (length and masking
//!    key) before it checks the opcode or the size; tether fails as soon as
//!    the deciding bytes are in (opcode and RSV in the first byte, the size
//!    limit as soon as the length is known, before the key). On input that
//!    ends inside such a header, tungstenite asks for more (`Ok(None)`)
//!    where tether has already failed. Checked: the header really is
//!    incomplete.
//! 7. **Order of checks**: tether checks opcode, RSV, masking, control
//!    rules, the length's MSB, then the limit; tungstenite the opcode, then
//!    the limit. A frame breaking a lenient rule (1-3) and the limit fails
//!    in tether with the former and in tungstenite with `MessageTooLong`.
//!    Checked: the declared length really is over the limit.
//!
//! Not differences: reserved opcodes (both reject them, tungstenite with
//! `InvalidOpcode` of the same value once the header is complete), the size
//! limit (both reject `len > max` with the same numbers), non-minimal length
//! encodings (both accept them with `require_minimal_length(false)`), and a
//! stream cut inside a frame (tungstenite returns `Ok(None)` at the same
//! frame where tether's `decode_eof` reports `Truncated`).
#![no_main]

use std::io::Cursor;

use libfuzzer_sys::fuzz_target;
use tether_frame::{CloseFrame, Error, Frame, FrameCodec, FrameConfig, Role, Rsv};
use tether_fuzz::{check_decode_error, error_id, run_decoder};
use tungstenite::error::{CapacityError, Error as TError, ProtocolError};
use tungstenite::protocol::frame::{Frame as TFrame, FrameSocket};

/// The limits byte 0 chooses from (`max_frame_size` for tether, `max_size`
/// for tungstenite). All below 2^63: see known difference 5. All at least
/// 125, so the limit never bites a control frame: tether's limit applies to
/// data frames only (RFC 6455 already caps control frames at 125 bytes, so
/// a ping always gets through), tungstenite's to every frame. Limits below
/// 125 are fuzzed by `frame_decode`.
const MAXES: [u64; 8] = [
    FrameConfig::DEFAULT_MAX_FRAME_SIZE,
    127,
    1000,
    125,
    126,
    0xFFFF,
    0x1_0000,
    1 << 20,
];

/// A header read straight from the bytes, by neither implementation.
#[derive(Debug)]
struct Raw {
    first: u8,
    masked: bool,
    /// The declared payload length.
    len: u64,
    /// Header length including the masking key.
    header_len: usize,
    key: Option<[u8; 4]>,
}

impl Raw {
    /// `None` if `buf` holds less than the whole header.
    fn parse(buf: &[u8]) -> Option<Raw> {
        let (&first, &second) = (buf.first()?, buf.get(1)?);
        let masked = second & 0x80 != 0;
        let len7 = second & 0x7F;
        let (len, mut header_len) = match len7 {
            126 => (
                u64::from(u16::from_be_bytes(buf.get(2..4)?.try_into().ok()?)),
                4,
            ),
            127 => (u64::from_be_bytes(buf.get(2..10)?.try_into().ok()?), 10),
            n => (u64::from(n), 2),
        };
        let key = if masked {
            let key = buf.get(header_len..header_len + 4)?.try_into().ok()?;
            header_len += 4;
            Some(key)
        } else {
            None
        };
        Some(Raw {
            first,
            masked,
            len,
            header_len,
            key,
        })
    }

    fn opcode(&self) -> u8 {
        self.first & 0x0F
    }

    /// The whole frame is in `buf`.
    fn complete_in(&self, buf: &[u8]) -> bool {
        (buf.len() - self.header_len) as u64 >= self.len
    }
}

/// How tungstenite's reader ended.
enum TEnd {
    /// `Ok(None)`: the input ended; the bytes it still buffered.
    Eof(usize),
    Error(TError),
}

/// Reads the whole input with tungstenite, as `FrameSocket::read` does
/// inside `WebSocket::read`.
fn tungstenite_read(wire: &[u8], max: u64) -> (Vec<TFrame>, TEnd) {
    let max = usize::try_from(max).expect("limits fit usize");
    let mut socket = FrameSocket::new(Cursor::new(wire));
    let mut frames = Vec::new();
    loop {
        match socket.read(Some(max)) {
            Ok(Some(frame)) => frames.push(frame),
            Ok(None) => {
                let (_, buffered) = socket.into_inner();
                return (frames, TEnd::Eof(buffered.len()));
            }
            Err(e) => return (frames, TEnd::Error(e)),
        }
    }
}

/// tungstenite's payload, unmasked with its header's key (byte loop, by
/// neither implementation).
fn unmasked_payload(frame: &TFrame) -> Vec<u8> {
    let mut payload = frame.payload().to_vec();
    if let Some(key) = frame.header().mask {
        for (i, b) in payload.iter_mut().enumerate() {
            *b ^= key[i % 4];
        }
    }
    payload
}

/// The fields both report, as tether names them: FIN, RSV bits in wire
/// position, opcode value, masked.
fn tungstenite_fields(frame: &TFrame) -> (bool, u8, u8, bool) {
    let h = frame.header();
    let rsv = (u8::from(h.rsv1) << 6) | (u8::from(h.rsv2) << 5) | (u8::from(h.rsv3) << 4);
    (h.is_final, rsv, u8::from(h.opcode), h.mask.is_some())
}

fn assert_same_frame(i: usize, ours: &Frame, theirs: &TFrame, role: Role) {
    assert_eq!(
        (
            ours.fin,
            ours.rsv.bits(),
            ours.opcode.as_u8(),
            role == Role::Server
        ),
        tungstenite_fields(theirs),
        "frame {i}: headers differ"
    );
    assert_eq!(
        &ours.payload[..],
        &unmasked_payload(theirs)[..],
        "frame {i}: payloads differ"
    );
}

/// tungstenite returned this frame where tether failed with a lenient-rule
/// error: it must be exactly the frame on the wire.
fn assert_is_raw_frame(theirs: &TFrame, raw: &Raw, rest: &[u8]) {
    let h = theirs.header();
    assert_eq!(
        tungstenite_fields(theirs),
        (
            raw.first & 0x80 != 0,
            raw.first & 0x70,
            raw.opcode(),
            raw.masked
        ),
        "tungstenite's frame is not the one on the wire"
    );
    assert_eq!(h.mask, raw.key, "masking key");
    let payload = &rest[raw.header_len..];
    assert_eq!(
        theirs.payload(),
        &payload[..payload.len().min(raw.len as usize)]
    );
}

/// What tungstenite did at the frame where tether stopped.
enum TAt<'a> {
    Frame(&'a TFrame),
    End(&'a TEnd),
}

fuzz_target!(|data: &[u8]| {
    let Some((&cfg, wire)) = data.split_first() else {
        return;
    };
    let max = MAXES[usize::from(cfg & 7)];
    let allowed_rsv = if cfg & 8 != 0 { Rsv::ALL } else { Rsv::NONE };
    let role = if cfg & 0x10 != 0 {
        Role::Client
    } else {
        Role::Server
    };
    let config = FrameConfig::default()
        .with_max_frame_size(max)
        .with_allowed_rsv(allowed_rsv)
        .with_require_minimal_length(false);

    let ours = run_decoder(FrameCodec::with_config(role, config), [wire]);
    if let Some(e) = &ours.error {
        check_decode_error(e);
    }
    let (theirs, their_end) = tungstenite_read(wire, max);

    // The frames both decoded.
    for (i, frame) in ours.items.iter().enumerate() {
        match theirs.get(i) {
            Some(t) => assert_same_frame(i, frame, t, role),
            None => match &their_end {
                TEnd::Eof(n) => {
                    panic!("tether decoded frame {i}, tungstenite saw EOF ({n} buffered)")
                }
                TEnd::Error(e) => panic!("tether decoded frame {i}, tungstenite failed: {e:?}"),
            },
        }
    }

    // Where tether stopped.
    let n = ours.items.len();
    let at = match theirs.get(n) {
        Some(frame) => TAt::Frame(frame),
        None => TAt::End(&their_end),
    };
    let rest = &wire[ours.end_of_last()..];
    let raw = Raw::parse(rest);
    let Some(error) = &ours.error else {
        // tether read everything: so must tungstenite.
        assert!(rest.is_empty());
        assert!(
            matches!(at, TAt::End(TEnd::Eof(0))),
            "tether read {n} frames and all bytes; tungstenite did not stop there"
        );
        return;
    };
    match error {
        // Not a difference: both reject, tungstenite once the header is in.
        Error::ReservedOpCode(op) => match (&raw, at) {
            (None, TAt::End(TEnd::Eof(_))) => {}
            (Some(_), TAt::End(TEnd::Error(TError::Protocol(ProtocolError::InvalidOpcode(x)))))
                if x == op => {}
            _ => panic!("reserved opcode {op:#x}: tungstenite disagrees"),
        },

        // Not a difference (the limit), or difference 5 (MSB, no such rule
        // in tungstenite; its limit catches it); difference 6 when the
        // header is incomplete.
        Error::FrameTooLarge { .. } | Error::LengthMostSignificantBitSet => {
            if let Error::FrameTooLarge { len, max: m } = error {
                assert_eq!(*m, max);
                assert!(*len > max);
            }
            match (&raw, at) {
                (None, TAt::End(TEnd::Eof(_))) => {}
                (
                    Some(r),
                    TAt::End(TEnd::Error(TError::Capacity(CapacityError::MessageTooLong {
                        size,
                        max_size,
                    }))),
                ) => {
                    assert_eq!(*size as u64, r.len, "declared length");
                    assert_eq!(*max_size as u64, max, "limit");
                    if let Error::FrameTooLarge { len, .. } = error {
                        assert_eq!(*len, r.len);
                    } else {
                        assert!(r.len > tether_frame::MAX_PAYLOAD_LEN);
                    }
                }
                _ => panic!("{error:?}: tungstenite disagrees"),
            }
        }

        // Differences 1-3: tungstenite's frame reader does not check these.
        // First check tether's reason against the raw header bytes, then
        // that tungstenite did what its reader does with any frame: return
        // it, wait for the rest (6), or fail on the limit (7).
        Error::ReservedBits(_)
        | Error::ControlFrameTooLong(_)
        | Error::FragmentedControlFrame(_)
        | Error::UnmaskedFrame
        | Error::MaskedFrame => {
            let (&first, &second) = (&rest[0], &rest[1]);
            let control = first & 0x08 != 0;
            match error {
                Error::ReservedBits(bits) => {
                    assert_eq!(*bits, first & 0x70 & !allowed_rsv.bits());
                    assert_ne!(*bits, 0);
                }
                Error::ControlFrameTooLong(len) => {
                    assert!(control && u64::from(second & 0x7F) == *len && *len > 125);
                }
                Error::FragmentedControlFrame(op) => {
                    assert!(control && first & 0x80 == 0 && op.as_u8() == first & 0x0F);
                }
                Error::UnmaskedFrame => assert!(role == Role::Server && second & 0x80 == 0),
                _ => assert!(role == Role::Client && second & 0x80 != 0),
            }
            match (&raw, at) {
                (None, TAt::End(TEnd::Eof(_))) => {}
                (
                    Some(r),
                    TAt::End(TEnd::Error(TError::Capacity(CapacityError::MessageTooLong {
                        size,
                        ..
                    }))),
                ) => assert!(r.len > max && *size as u64 == r.len, "difference 7"),
                (Some(r), TAt::End(TEnd::Eof(_))) => {
                    assert!(
                        r.len <= max && !r.complete_in(rest),
                        "tungstenite waits on a whole frame"
                    );
                }
                (Some(r), TAt::Frame(t)) => {
                    assert!(r.len <= max && r.complete_in(rest));
                    assert_is_raw_frame(t, r, rest);
                }
                _ => panic!("{error:?}: tungstenite disagrees"),
            }
        }

        // Difference 4: the frame is fine at tungstenite's frame level; the
        // close payload is what tether objects to.
        Error::ClosePayloadTooShort
        | Error::InvalidCloseCode(_)
        | Error::InvalidCloseReason { .. } => {
            let TAt::Frame(t) = at else {
                panic!("{error:?}: tungstenite did not return the close frame");
            };
            let r = raw.expect("tether consumed this frame whole");
            assert_eq!(r.opcode(), 0x8);
            assert_is_raw_frame(t, &r, rest);
            let payload = bytes::Bytes::from(unmasked_payload(t));
            match CloseFrame::parse(&payload) {
                Err(e) => assert_eq!(error_id(&e), error_id(error), "close payload error"),
                Ok(c) => panic!("{error:?}, but tungstenite's payload parses as {c:?}"),
            }
        }

        // Not a difference: both stop inside the same frame.
        Error::Truncated { .. } => {
            assert!(
                matches!(at, TAt::End(TEnd::Eof(_))),
                "tether: input ends inside frame {n}; tungstenite did not wait for more"
            );
            if let Some(r) = &raw {
                assert!(!r.complete_in(rest), "Truncated on a whole frame");
            }
        }

        other => {
            panic!("unexpected error from tether with require_minimal_length(false): {other:?}")
        }
    }
});
