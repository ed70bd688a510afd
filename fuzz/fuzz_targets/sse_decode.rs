//! `tether_sse::EventStreamDecoder` over arbitrary bytes with arbitrary split
//! points.
//!
//! Input: the `SplitInput` layout of `frame_decode` (config byte, chunk
//! sizes, wire), with the config byte read as: bits 0-2 `max_line_len` from
//! `MAX_LINE_LENS`, bits 3-5 `max_event_size` from `MAX_EVENT_SIZES`, bit 6
//! resume from a last event ID (`set_last_event_id("resumed")`).
//!
//! Checks:
//! * no panic; the same events, the same error (variant and numbers), the
//!   same last event ID and reconnection time whether the wire comes in one
//!   read, byte by byte, or in the chunks;
//! * the only errors are the two limits; every event has data within
//!   `max_event_size`, an id without CR, LF or NUL, a type without CR or LF
//!   (never `Some("")`), no comment;
//! * under the default limits, the events are those of a plain reading of
//!   the spec (decode the whole stream first, then split and interpret the
//!   lines);
//! * the events, re-encoded (all but those whose type holds NUL, which the
//!   encoder refuses with `InvalidEventType`), decode to themselves.
#![no_main]

use std::time::Duration;

use bytes::BytesMut;
use libfuzzer_sys::fuzz_target;
use tether_fuzz::SplitInput;
use tether_sse::{encode, DecoderConfig, Error, ErrorKind, Event, EventStreamDecoder};

const MAX_LINE_LENS: [usize; 8] = [DecoderConfig::DEFAULT_MAX_LINE_LEN, 0, 1, 4, 6, 16, 64, 1000];
const MAX_EVENT_SIZES: [usize; 8] = [DecoderConfig::DEFAULT_MAX_EVENT_SIZE, 0, 1, 2, 5, 16, 64, 1000];

struct Run {
    events: Vec<Event>,
    error: Option<String>,
    last_event_id: String,
    reconnection_time: Option<Duration>,
}

fn run<'c>(
    config: &DecoderConfig,
    resume: bool,
    chunks: impl IntoIterator<Item = &'c [u8]>,
) -> Run {
    let mut decoder = EventStreamDecoder::with_config(config.clone());
    if resume {
        decoder.set_last_event_id("resumed");
    }
    let mut src = BytesMut::new();
    let mut events = Vec::new();
    let mut error = None;
    'feed: {
        for chunk in chunks {
            src.extend_from_slice(chunk);
            loop {
                match decoder.decode(&mut src) {
                    Ok(Some(event)) => events.push(event),
                    Ok(None) => break,
                    Err(e) => {
                        error = Some(e);
                        break 'feed;
                    }
                }
            }
        }
        loop {
            match decoder.decode_eof(&mut src) {
                Ok(Some(event)) => events.push(event),
                Ok(None) => break,
                Err(e) => {
                    error = Some(e);
                    break;
                }
            }
        }
        assert!(src.is_empty(), "decode_eof left bytes");
    }
    if let Some(e) = &error {
        check_error(e, config);
    }
    Run {
        events,
        error: error.map(|e| format!("{e:?}")),
        last_event_id: decoder.last_event_id().to_owned(),
        reconnection_time: decoder.reconnection_time(),
    }
}

fn check_error(e: &Error, config: &DecoderConfig) {
    assert_eq!(e.kind(), ErrorKind::Peer, "{e:?}");
    match e {
        Error::LineTooLong { max } => assert_eq!(*max, config.max_line_len),
        Error::EventTooBig { max } => assert_eq!(*max, config.max_event_size),
        other => panic!("unexpected decode error {other:?}"),
    }
}

fn check_event(e: &Event, config: &DecoderConfig) {
    let data = e.data.as_deref().expect("decoded events have data");
    assert!(data.len() <= config.max_event_size, "data over the limit");
    let id = e.id.as_deref().expect("decoded events have an id");
    assert!(!id.contains(['\r', '\n', '\0']), "id {id:?}");
    if let Some(t) = e.event.as_deref() {
        assert!(!t.is_empty(), "Some(\"\") type");
        assert!(!t.contains(['\r', '\n']), "type {t:?}");
    }
    assert!(e.comment.is_none());
}

fn assert_same(what: &str, a: &Run, b: &Run) {
    assert_eq!(a.events, b.events, "{what}: events differ");
    assert_eq!(a.error, b.error, "{what}: errors differ");
    if a.error.is_none() {
        assert_eq!(a.last_event_id, b.last_event_id, "{what}: last event id");
        assert_eq!(a.reconnection_time, b.reconnection_time, "{what}: reconnection time");
    }
}

/// The spec read plainly, on the whole stream at once.
fn reference(bytes: &[u8], resume: bool) -> (Vec<(String, String, String)>, String, Option<u64>) {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let text = String::from_utf8_lossy(bytes);
    let mut lines = Vec::new();
    let mut line = String::new();
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' => {
                if chars.peek() == Some(&'\n') {
                    chars.next();
                }
                lines.push(std::mem::take(&mut line));
            }
            '\n' => lines.push(std::mem::take(&mut line)),
            c => line.push(c),
        }
    }
    let start = if resume { "resumed" } else { "" }.to_owned();
    let (mut data, mut event_type, mut id_buffer) = (String::new(), String::new(), start.clone());
    let (mut last_id, mut retry, mut out) = (start, None, Vec::new());
    for line in lines {
        if line.is_empty() {
            last_id = id_buffer.clone();
            if data.is_empty() {
                event_type.clear();
                continue;
            }
            if data.ends_with('\n') {
                data.pop();
            }
            let t = if event_type.is_empty() {
                "message".to_owned()
            } else {
                std::mem::take(&mut event_type)
            };
            out.push((t, std::mem::take(&mut data), last_id.clone()));
            continue;
        }
        if line.starts_with(':') {
            continue;
        }
        let (name, value) = match line.split_once(':') {
            Some((n, v)) => (n, v.strip_prefix(' ').unwrap_or(v)),
            None => (line.as_str(), ""),
        };
        match name {
            "data" => {
                data.push_str(value);
                data.push('\n');
            }
            "event" => event_type = value.to_owned(),
            "id" if !value.contains('\0') => id_buffer = value.to_owned(),
            "retry" if !value.is_empty() && value.bytes().all(|b| b.is_ascii_digit()) => {
                retry = Some(value.bytes().fold(0u64, |n, d| {
                    n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
                }));
            }
            _ => {}
        }
    }
    (out, last_id, retry)
}

fuzz_target!(|data: &[u8]| {
    let Some(input) = SplitInput::parse(data) else {
        return;
    };
    let b = input.config_byte;
    let config = DecoderConfig::default()
        .with_max_line_len(MAX_LINE_LENS[usize::from(b & 7)])
        .with_max_event_size(MAX_EVENT_SIZES[usize::from((b >> 3) & 7)]);
    let resume = b & 0x40 != 0;
    let wire = input.wire;

    let whole = run(&config, resume, [wire]);
    for e in &whole.events {
        check_event(e, &config);
    }
    let bytes = run(&config, resume, wire.chunks(1));
    assert_same("byte by byte", &whole, &bytes);
    if let Some(chunks) = input.chunks() {
        let chunked = run(&config, resume, chunks);
        assert_same("chunks", &whole, &chunked);
    }

    if config == DecoderConfig::default() && whole.error.is_none() {
        let (want, last_id, retry) = reference(wire, resume);
        let got: Vec<_> = whole
            .events
            .iter()
            .map(|e| (e.event_type().to_owned(), e.data().to_owned(), e.last_event_id().to_owned()))
            .collect();
        assert_eq!(got, want, "differs from the reference reading");
        assert_eq!(whole.last_event_id, last_id);
        assert_eq!(whole.reconnection_time, retry.map(Duration::from_millis));
    }

    // Re-encode the events and decode them back.
    let mut again = BytesMut::new();
    let mut kept = Vec::new();
    for e in &whole.events {
        match encode(e, &mut again) {
            Ok(()) => kept.push(e.clone()),
            Err(Error::InvalidEventType { byte: 0, .. }) => {
                assert!(e.event_type().contains('\0'));
            }
            Err(other) => panic!("re-encoding {e:?}: {other:?}"),
        }
    }
    let back = run(&DecoderConfig::default(), resume, [&again[..]]);
    assert_eq!(back.error, None, "re-encoding fails to decode");
    assert_eq!(back.events, kept, "re-encoding decodes differently");
});
