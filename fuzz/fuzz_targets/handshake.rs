//! The opening handshake parsers of tether-ws over arbitrary bytes with
//! arbitrary split points.
//!
//! Input: the `SplitInput` layout (config byte, chunk sizes, bytes). Config
//! bit 0: parse a request (server side, `RequestReader` then `validate`)
//! or a response (client side, `ResponseReader` then
//! `ClientRequest::validate`); bits 1-2: `max_header_bytes` from
//! `MAX_HEAD`; bits 3-4: `max_headers` from `MAX_HEADERS`.
//!
//! Checks: no panic; the same outcome (the parsed head and its length, or
//! the error) whether the bytes come in one read, byte by byte, or in the
//! chunks; a parsed head never extends past `max_header_bytes`; a request
//! that validates gets a 101 answer that parses back.
#![no_main]

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use tether_fuzz::SplitInput;
use tether_ws::handshake::client::{ClientRequest, ResponseReader};
use tether_ws::handshake::server::{self, RequestReader};
use tether_ws::HandshakeConfig;

const MAX_HEAD: [usize; 4] = [16 << 10, 64, 200, 1024];
const MAX_HEADERS: [usize; 4] = [64, 1, 4, 16];

/// Feeds `chunks` to a parser, growing a buffer as a transport would.
fn feed<'c, T>(
    chunks: impl IntoIterator<Item = &'c [u8]>,
    mut parse: impl FnMut(&[u8]) -> Result<Option<(T, usize)>, tether_ws::HandshakeError>,
) -> Result<Option<(T, usize)>, String> {
    let mut buf = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        match parse(&buf) {
            Ok(Some(done)) => return Ok(Some(done)),
            Ok(None) => {}
            Err(e) => return Err(format!("{e:?}")),
        }
    }
    Ok(None)
}

fn outcome<T: std::fmt::Debug>(r: &Result<Option<(T, usize)>, String>) -> String {
    format!("{r:?}")
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = SplitInput::parse(data) else {
        return;
    };
    let b = input.config_byte;
    let config = HandshakeConfig::default()
        .with_max_header_bytes(MAX_HEAD[usize::from((b >> 1) & 3)])
        .with_max_headers(MAX_HEADERS[usize::from((b >> 3) & 3)]);
    let max = config.max_header_bytes;
    if b & 1 == 0 {
        let run = |chunks: Vec<&[u8]>| {
            let mut reader = RequestReader::new(&config);
            feed(chunks, |buf| reader.parse(buf))
        };
        let whole = run(vec![input.wire]);
        assert_eq!(outcome(&run(input.wire.chunks(1).collect())), outcome(&whole));
        if let Some(chunks) = input.chunks() {
            assert_eq!(outcome(&run(chunks)), outcome(&whole));
        }
        if let Ok(Some((request, used))) = &whole {
            assert!(*used <= max && *used <= input.wire.len());
            if let Ok(offer) = server::validate(request) {
                let response = server::accept_response(&offer, offer.protocols.first().map(String::as_str), &[]);
                let mut out = BytesMut::new();
                server::write_response(&response, b"", &mut out);
                let mut reader = ResponseReader::new(&HandshakeConfig::default());
                let (parsed, n) = reader.parse(&out).expect("our 101 parses").expect("complete");
                assert_eq!(n, out.len());
                assert_eq!(parsed.status(), 101);
            }
        }
    } else {
        let request = ClientRequest::new("ws://127.0.0.1:9/".parse().expect("uri"))
            .expect("request")
            .with_protocols(["chat"]);
        let run = |chunks: Vec<&[u8]>| {
            let mut reader = ResponseReader::new(&config);
            feed(chunks, |buf| reader.parse(buf))
        };
        let whole = run(vec![input.wire]);
        assert_eq!(outcome(&run(input.wire.chunks(1).collect())), outcome(&whole));
        if let Some(chunks) = input.chunks() {
            assert_eq!(outcome(&run(chunks)), outcome(&whole));
        }
        if let Ok(Some((response, used))) = &whole {
            assert!(*used <= max);
            // Random keys never match an arbitrary accept header, so a 101
            // must fail validation unless the input guessed the hash.
            let _ = request.validate(response);
        }
    }
});
