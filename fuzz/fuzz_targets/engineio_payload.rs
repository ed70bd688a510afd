//! `tether_engineio` long-polling payloads: `decode_payload` on the whole
//! body against `PayloadCodec` fed in chunks and byte by byte.
//!
//! Input: the `SplitInput` layout (config byte, chunk sizes, body), with the
//! config byte read as: bits 0-2 `max_payload` from `MAX_PAYLOADS`; bits 3-4
//! `max_packets` from `MAX_PACKETS`.
//!
//! Checks:
//! * no panic; the same packets and the same error whichever decoder and
//!   whatever the chunking (the streaming decoder may report
//!   `PayloadTooLarge` after fewer packets, never more);
//! * every error is a peer error (HTTP 400 or 413);
//! * no more packets than `max_packets`, no body accepted past `max_payload`;
//! * the packets re-encode into a payload that decodes to the same packets.
#![no_main]

use bytes::{Bytes, BytesMut};
use libfuzzer_sys::fuzz_target;
use tether_engineio::{decode_payload, encode_payload, EnginePacket, Error, PayloadCodec, PayloadConfig};
use tether_fuzz::SplitInput;
use tokio_util::codec::Decoder;

const MAX_PAYLOADS: [u64; 8] = [1_000_000, 0, 1, 2, 10, 100, 1000, 4096];
const MAX_PACKETS: [usize; 4] = [10_000, 1, 3, 50];

fn streamed<'c>(config: &PayloadConfig, chunks: impl IntoIterator<Item = &'c [u8]>) -> (Vec<EnginePacket>, Option<Error>) {
    let mut codec = PayloadCodec::with_config(config.clone());
    let mut buf = BytesMut::new();
    let mut out = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        loop {
            match codec.decode(&mut buf) {
                Ok(Some(p)) => out.push(p),
                Ok(None) => break,
                Err(e) => return (out, Some(e)),
            }
        }
    }
    loop {
        match codec.decode_eof(&mut buf) {
            Ok(Some(p)) => out.push(p),
            Ok(None) => return (out, None),
            Err(e) => return (out, Some(e)),
        }
    }
}

fn id(e: &Option<Error>) -> Option<String> {
    e.as_ref().map(|e| match e {
        // The streaming decoder sees the size grow; the whole-body check
        // sees the final size.
        Error::PayloadTooLarge { max, .. } => format!("too large {max}"),
        // The streaming decoder validates each packet on its own.
        Error::InvalidUtf8 { .. } => "utf8".to_owned(),
        e => e.to_string(),
    })
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = SplitInput::parse(data) else {
        return;
    };
    let b = input.config_byte;
    let config = PayloadConfig::default()
        .with_max_payload(MAX_PAYLOADS[usize::from(b & 7)])
        .with_max_packets(MAX_PACKETS[usize::from((b >> 3) & 3)]);
    let body = input.wire;

    let whole = match decode_payload(Bytes::copy_from_slice(body), &config) {
        Ok(iter) => {
            let mut packets = Vec::new();
            let mut error = None;
            for p in iter {
                match p {
                    Ok(p) => packets.push(p),
                    Err(e) => {
                        error = Some(e);
                        break;
                    }
                }
            }
            (packets, error)
        }
        Err(e) => (Vec::new(), Some(e)),
    };
    if let Some(e) = &whole.1 {
        assert!(e.is_peer_error(), "{e:?}");
        assert!(matches!(e.http_status(), Some(400 | 413)), "{e:?}");
    }
    assert!(whole.0.len() <= config.max_packets);
    if whole.1.is_none() {
        assert!(body.len() as u64 <= config.max_payload);
    }

    let mut runs = vec![streamed(&config, [body]), streamed(&config, body.chunks(1))];
    if let Some(chunks) = input.chunks() {
        runs.push(streamed(&config, chunks));
    }
    for run in &runs {
        if matches!(whole.1, Some(Error::PayloadTooLarge { .. } | Error::InvalidUtf8 { .. })) {
            // The whole-body checks refuse at once; the streaming decoder
            // hands out the packets before the bad bytes, then fails (on
            // them, or on an earlier malformed packet).
            assert!(run.1.as_ref().is_some_and(Error::is_peer_error), "{run:?}");
        } else {
            assert_eq!(run.0, whole.0);
            assert_eq!(id(&run.1), id(&whole.1));
        }
    }

    if whole.1.is_none() && !whole.0.is_empty() {
        let mut out = BytesMut::new();
        encode_payload(&whole.0, &mut out).expect("re-encodes");
        let again: Vec<EnginePacket> = decode_payload(out.freeze(), &PayloadConfig::default().with_max_payload(u64::MAX).with_max_packets(usize::MAX))
            .expect("fits")
            .collect::<Result<_, _>>()
            .expect("re-encoded payload decodes");
        assert_eq!(again, whole.0);
    }
});
