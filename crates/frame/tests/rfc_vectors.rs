//! The examples of RFC 6455 section 5.7, replayed from `vectors/` whole, at
//! every two-way split and byte by byte, through both decoders, and
//! re-encoded byte for byte.

mod common;

use bytes::{Bytes, BytesMut};
use common::{every_byte, frames, streamed};
use tether_frame::{Frame, FrameCodec, FrameConfig, FrameStreamCodec, OpCode, Role};

struct Vector {
    name: String,
    receiver: Role,
    wire: Vec<u8>,
    frames: Vec<Frame>,
}

fn parse_bytes(spec: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut rest = spec.trim();
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('{') {
            let (inner, tail) = after.split_once('}').expect("closing brace");
            let (n, byte) = inner.split_once(" x ").expect("{N x HH}");
            let n: usize = n.trim().parse().expect("count");
            let byte = u8::from_str_radix(byte.trim(), 16).expect("hex byte");
            out.extend(std::iter::repeat_n(byte, n));
            rest = tail.trim_start();
        } else {
            let (tok, tail) = rest.split_once(' ').unwrap_or((rest, ""));
            out.push(u8::from_str_radix(tok, 16).expect("hex byte"));
            rest = tail.trim_start();
        }
    }
    out
}

fn parse_frame(spec: &str) -> Frame {
    let spec = spec.trim();
    let (op, rest) = spec.split_once(' ').expect("opcode");
    let (fin, payload) = rest.split_once(' ').expect("fin");
    let opcode = match op {
        "text" => OpCode::Text,
        "binary" => OpCode::Binary,
        "continuation" => OpCode::Continuation,
        "close" => OpCode::Close,
        "ping" => OpCode::Ping,
        "pong" => OpCode::Pong,
        other => panic!("unknown opcode {other}"),
    };
    let payload = match payload.trim() {
        "-" => Vec::new(),
        p if p.starts_with('"') => p.trim_matches('"').as_bytes().to_vec(),
        p => parse_bytes(p),
    };
    Frame::new(opcode, payload).with_fin(fin == "1")
}

fn load() -> Vec<Vector> {
    let text = include_str!("vectors/rfc6455-section-5.7.txt");
    text.lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|line| {
            let parts: Vec<&str> = line.split('|').map(str::trim).collect();
            assert_eq!(parts.len(), 4, "malformed vector line: {line}");
            Vector {
                name: parts[0].to_string(),
                receiver: match parts[1] {
                    "client" => Role::Client,
                    "server" => Role::Server,
                    other => panic!("unknown role {other}"),
                },
                wire: parse_bytes(parts[2]),
                frames: parts[3].split(';').map(parse_frame).collect(),
            }
        })
        .collect()
}

#[test]
fn the_file_holds_every_example_of_the_section() {
    assert_eq!(load().len(), 7);
}

#[test]
fn decode_whole_at_every_split_and_byte_by_byte() {
    for v in load() {
        let role = v.receiver;
        let whole = frames(|| FrameCodec::new(role), &v.wire, &[]);
        assert_eq!(whole.error, None, "{}", v.name);
        assert_eq!(whole.items, v.frames, "{}", v.name);

        let bytewise = frames(|| FrameCodec::new(role), &v.wire, &every_byte(v.wire.len()));
        assert_eq!(bytewise, whole, "{} byte by byte", v.name);

        for split in 0..=v.wire.len() {
            let two = frames(|| FrameCodec::new(role), &v.wire, &[split]);
            assert_eq!(two, whole, "{} split at {split}", v.name);
        }

        let config = FrameConfig::default();
        let stream_whole = streamed(|| FrameStreamCodec::new(role, config.clone()), &v.wire, &[]);
        assert_eq!(stream_whole, whole, "{} streamed", v.name);
        let stream_bytes = streamed(
            || FrameStreamCodec::new(role, config.clone()),
            &v.wire,
            &every_byte(v.wire.len()),
        );
        assert_eq!(stream_bytes, whole, "{} streamed byte by byte", v.name);
    }
}

#[test]
fn encode_byte_for_byte() {
    for v in load() {
        // The masked examples use the key 37 fa 21 3d.
        let key = (v.receiver == Role::Server).then_some([0x37, 0xfa, 0x21, 0x3d]);
        let mut out = BytesMut::new();
        for frame in &v.frames {
            FrameCodec::encode_with_mask(frame, key, &mut out).expect("encodable");
        }
        assert_eq!(&out[..], &v.wire[..], "{}", v.name);

        // The role's own encoder: a server writes exactly the unmasked bytes.
        if v.receiver == Role::Client {
            let mut server = FrameCodec::new(Role::Server);
            let mut out = BytesMut::new();
            for frame in &v.frames {
                tokio_util::codec::Encoder::encode(&mut server, frame.clone(), &mut out)
                    .expect("encodable");
            }
            assert_eq!(out.freeze(), Bytes::from(v.wire.clone()), "{}", v.name);
        }
    }
}
