//! One test per rejection of RFC 6455 section 5: each is a typed error that
//! names its close code, raised as soon as the offending bytes arrive.

use bytes::BytesMut;
use tether_frame::{
    CloseCode, Error, ErrorKind, Frame, FrameCodec, FrameConfig, FrameStreamCodec, OpCode, Role,
    Rsv,
};
use tokio_util::codec::{Decoder, Encoder};

const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

/// A masked (client-to-server) frame with raw header fields.
fn masked(b0: u8, payload: &[u8]) -> Vec<u8> {
    raw(b0, payload, Some(KEY))
}

fn raw(b0: u8, payload: &[u8], key: Option<[u8; 4]>) -> Vec<u8> {
    let mut out = vec![b0];
    let mask_bit = if key.is_some() { 0x80 } else { 0 };
    match payload.len() {
        n @ 0..=125 => out.push(mask_bit | n as u8),
        n @ 126..=0xFFFF => {
            out.push(mask_bit | 126);
            out.extend_from_slice(&(n as u16).to_be_bytes());
        }
        n => {
            out.push(mask_bit | 127);
            out.extend_from_slice(&(n as u64).to_be_bytes());
        }
    }
    if let Some(key) = key {
        out.extend_from_slice(&key);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ key[i % 4]));
    } else {
        out.extend_from_slice(payload);
    }
    out
}

fn decode_server(bytes: &[u8]) -> Result<Option<Frame>, Error> {
    FrameCodec::new(Role::Server).decode(&mut BytesMut::from(bytes))
}

fn assert_close_code(err: &Error, code: CloseCode) {
    assert_eq!(err.kind(), ErrorKind::Peer, "{err:?}");
    assert_eq!(err.close_code(), Some(code), "{err:?}");
}

#[test]
fn reserved_opcodes_are_protocol_errors() {
    for op in (0x3..=0x7).chain(0xB..=0xF) {
        // Rejected from the first two bytes alone, payload not needed.
        let err = decode_server(&[0x80 | op, 0x85]).expect_err("reserved opcode");
        assert!(
            matches!(err, Error::ReservedOpCode(x) if x == op),
            "{op:#x}: {err:?}"
        );
        assert_close_code(&err, CloseCode::ProtocolError);
    }
    for op in [0x0, 0x1, 0x2, 0x8, 0x9, 0xA] {
        let fin = 0x80;
        let payload: &[u8] = if op == 0x8 { b"\x03\xe8" } else { b"ok" };
        assert!(decode_server(&masked(fin | op, payload))
            .expect("defined")
            .is_some());
    }
}

#[test]
fn rsv_bits_need_a_negotiated_extension() {
    for (bit, rsv) in [(0x40u8, Rsv::RSV1), (0x20, Rsv::RSV2), (0x10, Rsv::RSV3)] {
        let frame = masked(0x82 | bit, b"data");
        let err = decode_server(&frame).expect_err("rsv without extension");
        assert!(matches!(err, Error::ReservedBits(b) if b == bit), "{err:?}");
        assert_close_code(&err, CloseCode::ProtocolError);

        // Allowing exactly that bit admits it, and only it.
        let config = FrameConfig::default().with_allowed_rsv(rsv);
        let mut codec = FrameCodec::with_config(Role::Server, config);
        let got = codec
            .decode(&mut BytesMut::from(&frame[..]))
            .expect("allowed")
            .expect("complete");
        assert_eq!(got.rsv, rsv);
        let other = if bit == 0x40 { 0x20 } else { 0x40 };
        let err = codec
            .decode(&mut BytesMut::from(&masked(0x82 | other, b"x")[..]))
            .expect_err("other bit still reserved");
        assert!(matches!(err, Error::ReservedBits(b) if b == other));
    }
    // Enabling RSV1 after negotiation, on a live codec.
    let mut codec = FrameCodec::new(Role::Server);
    codec.set_allowed_rsv(Rsv::RSV1);
    assert!(codec
        .decode(&mut BytesMut::from(&masked(0xC1, b"z")[..]))
        .expect("rsv1 ok")
        .is_some());
}

#[test]
fn control_frames_over_125_bytes_are_rejected() {
    for op in [0x88u8, 0x89, 0x8A] {
        let long = vec![b'a'; 126];
        let err = decode_server(&masked(op, &long)).expect_err("too long");
        assert!(matches!(err, Error::ControlFrameTooLong(_)), "{err:?}");
        assert_close_code(&err, CloseCode::ProtocolError);
        // 125 is fine (a close needs a valid code and UTF-8 reason).
        let mut ok = vec![b'a'; 125];
        ok[0] = 0x03;
        ok[1] = 0xe8;
        assert!(decode_server(&masked(op, &ok)).expect("125 ok").is_some());
    }
}

#[test]
fn control_frames_without_fin_are_rejected() {
    for (b0, op) in [
        (0x08u8, OpCode::Close),
        (0x09, OpCode::Ping),
        (0x0A, OpCode::Pong),
    ] {
        let err = decode_server(&masked(b0, b"")).expect_err("fragmented control");
        assert!(matches!(err, Error::FragmentedControlFrame(o) if o == op));
        assert_close_code(&err, CloseCode::ProtocolError);
    }
}

#[test]
fn declared_length_over_the_limit_is_rejected_before_allocation() {
    let config = FrameConfig::default().with_max_frame_size(1 << 20);
    let mut codec = FrameCodec::with_config(Role::Server, config.clone());
    // The header of a 1 GiB frame, and nothing else.
    let mut buf = BytesMut::with_capacity(16);
    buf.extend_from_slice(&[0x82, 0xFF, 0, 0, 0, 0, 0x40, 0, 0, 0]);
    let err = codec.decode(&mut buf).expect_err("too large");
    assert!(
        matches!(err, Error::FrameTooLarge { len, max } if len == 1 << 30 && max == 1 << 20),
        "{err:?}"
    );
    assert_close_code(&err, CloseCode::MessageTooBig);
    assert!(
        buf.capacity() < 1024,
        "nothing was reserved for the payload"
    );

    // A header within the limit commits memory only as the payload arrives:
    // a 16 MiB header alone grows the buffer by at most one 1 MiB step, and
    // each further read at most doubles it.
    let mut codec = FrameCodec::new(Role::Server);
    let mut buf = BytesMut::new();
    buf.extend_from_slice(&[0x82, 0xFF, 0, 0, 0, 0, 0, 0xFF, 0xFF, 0xFF, 1, 2, 3, 4]);
    assert!(codec.decode(&mut buf).expect("within limit").is_none());
    assert!(buf.capacity() <= 2 << 20, "{}", buf.capacity());
    let declared = 0xFF_FFFF;
    let mut sent = 0usize;
    loop {
        // The transport fills whatever room the decoder made.
        let read = (buf.capacity() - buf.len()).min(declared - sent);
        buf.extend_from_slice(&vec![0u8; read]);
        sent += read;
        let decoded = codec.decode(&mut buf).expect("within limit");
        assert!(
            buf.capacity() <= 2 * sent + (2 << 20),
            "capacity {} after {sent} bytes",
            buf.capacity()
        );
        if let Some(frame) = decoded {
            assert_eq!(frame.payload.len(), declared);
            break;
        }
        assert!(sent < declared);
    }

    // Exactly at the limit is accepted.
    let mut codec = FrameCodec::with_config(Role::Server, config.clone());
    let frame = masked(0x82, &vec![7u8; 1 << 20]);
    assert!(codec
        .decode(&mut BytesMut::from(&frame[..]))
        .expect("at limit")
        .is_some());

    // The limit is for data frames: control frames (at most 125 bytes by
    // rule) always get through, even with a limit of 0.
    let mut codec =
        FrameCodec::with_config(Role::Server, FrameConfig::default().with_max_frame_size(0));
    let ping = codec.decode(&mut BytesMut::from(&masked(0x89, b"still here")[..]));
    assert_eq!(
        &ping.expect("ping ok").expect("ping").payload[..],
        b"still here"
    );
    assert!(matches!(
        codec.decode(&mut BytesMut::from(&masked(0x82, b"x")[..])),
        Err(Error::FrameTooLarge { len: 1, max: 0 })
    ));

    // The streaming decoder enforces its own limit the same way.
    let mut stream =
        FrameStreamCodec::new(Role::Server, FrameConfig::default().with_max_frame_size(10));
    let err = stream
        .decode(&mut BytesMut::from(&masked(0x82, &[0; 11])[..]))
        .expect_err("stream limit");
    assert!(matches!(err, Error::FrameTooLarge { len: 11, max: 10 }));
}

#[test]
fn most_significant_bit_of_64_bit_length_is_rejected() {
    let err = decode_server(&[0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1]).expect_err("msb");
    assert!(matches!(err, Error::LengthMostSignificantBitSet));
    assert_close_code(&err, CloseCode::ProtocolError);
}

#[test]
fn non_minimal_lengths_are_rejected_unless_allowed() {
    // 5 bytes in the 16-bit form.
    let mut frame = vec![0x82, 0xFE, 0x00, 0x05];
    frame.extend_from_slice(&KEY);
    frame.extend_from_slice(&[0; 5]);
    let err = decode_server(&frame).expect_err("non-minimal");
    assert!(matches!(
        err,
        Error::NonMinimalLength {
            len: 5,
            extended_bytes: 2
        }
    ));
    assert_close_code(&err, CloseCode::ProtocolError);
    let lenient = FrameConfig::default().with_require_minimal_length(false);
    let got = FrameCodec::with_config(Role::Server, lenient)
        .decode(&mut BytesMut::from(&frame[..]))
        .expect("lenient")
        .expect("complete");
    assert_eq!(got.payload.len(), 5);
}

#[test]
fn a_server_requires_masked_frames() {
    let err = decode_server(&raw(0x82, b"data", None)).expect_err("unmasked");
    assert!(matches!(err, Error::UnmaskedFrame));
    assert_close_code(&err, CloseCode::ProtocolError);
}

#[test]
fn a_client_rejects_masked_frames() {
    let err = FrameCodec::new(Role::Client)
        .decode(&mut BytesMut::from(&masked(0x82, b"data")[..]))
        .expect_err("masked");
    assert!(matches!(err, Error::MaskedFrame));
    assert_close_code(&err, CloseCode::ProtocolError);
}

#[test]
fn invalid_close_payloads_are_rejected() {
    // A 1-byte payload.
    let err = decode_server(&masked(0x88, &[0x03])).expect_err("1 byte");
    assert!(matches!(err, Error::ClosePayloadTooShort));
    assert_close_code(&err, CloseCode::ProtocolError);

    // Codes that may not be sent.
    for code in [
        0u16, 1, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535,
    ] {
        let err = decode_server(&masked(0x88, &code.to_be_bytes())).expect_err("bad code");
        assert!(
            matches!(err, Error::InvalidCloseCode(c) if c == code),
            "{code}"
        );
        assert_close_code(&err, CloseCode::ProtocolError);
    }
    // Codes that may.
    for code in [
        1000u16, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999,
        4000, 4999,
    ] {
        let frame = decode_server(&masked(0x88, &code.to_be_bytes()))
            .expect("valid code")
            .expect("complete");
        let close = frame.close_frame().expect("valid").expect("has status");
        assert_eq!(close.code.as_u16(), code);
    }

    // A reason that is not UTF-8: 1007.
    let err = decode_server(&masked(0x88, b"\x03\xe8abc\xc0\xaf")).expect_err("bad reason");
    assert!(matches!(err, Error::InvalidCloseReason { valid_up_to: 3 }));
    assert_close_code(&err, CloseCode::InvalidPayload);
    // An empty close is fine.
    assert!(decode_server(&masked(0x88, b"")).expect("empty").is_some());
}

#[test]
fn errors_leave_the_frames_before_them_intact() {
    // Two valid frames then a reserved opcode, all in one read.
    let mut bytes = masked(0x81, b"one");
    bytes.extend(masked(0x82, b"two"));
    bytes.extend(masked(0x83, b"bad"));
    let mut codec = FrameCodec::new(Role::Server);
    let mut buf = BytesMut::from(&bytes[..]);
    assert_eq!(
        &codec.decode(&mut buf).expect("1").expect("1").payload[..],
        b"one"
    );
    assert_eq!(
        &codec.decode(&mut buf).expect("2").expect("2").payload[..],
        b"two"
    );
    assert!(matches!(
        codec.decode(&mut buf),
        Err(Error::ReservedOpCode(3))
    ));
}

#[test]
fn a_stream_that_ends_inside_a_frame_is_truncated() {
    let frame = masked(0x82, b"0123456789");
    let mut codec = FrameCodec::new(Role::Server);
    let mut buf = BytesMut::from(&frame[..8]);
    assert!(codec.decode(&mut buf).expect("partial").is_none());
    assert!(matches!(
        codec.decode_eof(&mut buf),
        Err(Error::Truncated { .. })
    ));
    // A clean end between frames is not an error.
    let mut codec = FrameCodec::new(Role::Server);
    let mut buf = BytesMut::from(&frame[..]);
    assert!(codec.decode_eof(&mut buf).expect("frame").is_some());
    assert!(codec.decode_eof(&mut buf).expect("clean").is_none());
}

#[test]
fn the_encoder_refuses_frames_that_may_not_be_sent() {
    let mut codec = FrameCodec::new(Role::Client);
    let mut dst = BytesMut::new();
    let cases = [
        Frame::ping(vec![0u8; 126]),
        Frame::pong(vec![0u8; 126]).with_fin(true),
        Frame::ping("x").with_fin(false),
        Frame::new(OpCode::Close, &b"\x03\xed"[..]), // 1005
        Frame::new(OpCode::Close, &b"\x03"[..]),
        Frame::new(OpCode::Close, &b"\x03\xe8\xff"[..]),
    ];
    for frame in cases {
        let err = codec.encode(frame.clone(), &mut dst).expect_err("refused");
        assert_eq!(err.kind(), ErrorKind::Caller, "{frame:?}: {err:?}");
        assert!(codec.encode_frame(frame).is_err());
        assert!(dst.is_empty(), "nothing written on error");
    }
}
