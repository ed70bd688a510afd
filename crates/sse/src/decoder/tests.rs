//! One test per rule of "Parsing an event stream" and "Interpreting an event
//! stream", each fed whole, byte by byte and at every two-way split.

use std::time::Duration;

use bytes::BytesMut;

use super::EventStreamDecoder;
use crate::{DecoderConfig, Error, Event};

/// Feeds `chunks` as successive reads, then ends the stream.
fn feed(decoder: &mut EventStreamDecoder, chunks: &[&[u8]]) -> Vec<Event> {
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while let Some(event) = decoder.decode(&mut buf).unwrap() {
            events.push(event);
        }
    }
    while let Some(event) = decoder.decode_eof(&mut buf).unwrap() {
        events.push(event);
    }
    assert!(buf.is_empty());
    events
}

/// The events of `wire`, checked to be the same whole, byte by byte and at
/// every two-way split; also checks the decoder's final state agrees.
fn decode(wire: &[u8]) -> Vec<Event> {
    let (events, _) = decode_with_state(wire);
    events
}

fn decode_with_state(wire: &[u8]) -> (Vec<Event>, EventStreamDecoder) {
    let mut whole_decoder = EventStreamDecoder::new();
    let whole = feed(&mut whole_decoder, &[wire]);
    let bytes: Vec<&[u8]> = wire.chunks(1).collect();
    let mut d = EventStreamDecoder::new();
    assert_eq!(feed(&mut d, &bytes), whole, "byte by byte");
    assert_eq!(d.last_event_id(), whole_decoder.last_event_id());
    assert_eq!(d.reconnection_time(), whole_decoder.reconnection_time());
    for at in 0..=wire.len() {
        let (a, b) = wire.split_at(at);
        let mut d = EventStreamDecoder::new();
        assert_eq!(feed(&mut d, &[a, b]), whole, "split at {at}");
        assert_eq!(d.last_event_id(), whole_decoder.last_event_id());
    }
    (whole, whole_decoder)
}

/// (type, data, last event id) of each event.
fn summary(events: &[Event]) -> Vec<(String, String, String)> {
    events
        .iter()
        .map(|e| {
            (
                e.event_type().to_owned(),
                e.data().to_owned(),
                e.last_event_id().to_owned(),
            )
        })
        .collect()
}

fn datas(events: &[Event]) -> Vec<&str> {
    events.iter().map(|e| e.data()).collect()
}

#[test]
fn simple_event_fields() {
    let events = decode(b"event: add\nid: 1\ndata: hello\n\n");
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.event.as_deref(), Some("add"));
    assert_eq!(e.data.as_deref(), Some("hello"));
    assert_eq!(e.id.as_deref(), Some("1"));
    assert_eq!(e.retry, None);
    assert_eq!(e.comment, None);
}

#[test]
fn leading_bom_is_stripped_once() {
    assert_eq!(datas(&decode(b"\xEF\xBB\xBFdata: a\n\n")), ["a"]);
    // A second BOM is U+FEFF, part of the field name: an unknown field.
    assert_eq!(
        datas(&decode(b"\xEF\xBB\xBF\xEF\xBB\xBFdata: a\n\ndata: b\n\n")),
        ["b"]
    );
}

#[test]
fn bom_later_in_the_stream_is_kept() {
    let events = decode(b"data: x\n\n\xEF\xBB\xBFdata: y\n\ndata: \xEF\xBB\xBFz\n\n");
    assert_eq!(datas(&events), ["x", "\u{FEFF}z"]);
}

#[test]
fn bom_prefix_that_is_not_a_bom_is_kept() {
    // EF BB then a newline: not a BOM; the bytes decode to one U+FFFD.
    assert_eq!(datas(&decode(b"\xEF\xBB\ndata: a\n\n")), ["a"]);
    assert_eq!(datas(&decode(b"data: \xEF\xBB\n\n")), ["\u{FFFD}"]);
}

#[test]
fn cr_at_end_of_read_then_lf_is_one_line_end() {
    let mut d = EventStreamDecoder::new();
    let events = feed(&mut d, &[b"data: a\r", b"\n", b"data: b\r", b"\n\r", b"\n"]);
    assert_eq!(datas(&events), ["a\nb"]);
    // A CRLF at the end of one read and a CRLF at the start of the next.
    let mut d = EventStreamDecoder::new();
    let events = feed(&mut d, &[b"data: a\r\n", b"\r\n"]);
    assert_eq!(datas(&events), ["a"]);
}

#[test]
fn cr_dispatches_without_waiting_for_the_next_read() {
    let mut d = EventStreamDecoder::new();
    let mut buf = BytesMut::from(&b"data: a\r\r"[..]);
    let event = d.decode(&mut buf).unwrap().unwrap();
    assert_eq!(event.data(), "a");
    assert!(buf.is_empty());
}

#[test]
fn line_ends_all_three_kinds() {
    assert_eq!(
        datas(&decode(b"data: cr\r\rdata: lf\n\ndata: crlf\r\n\r\n")),
        ["cr", "lf", "crlf"]
    );
    // CR CR is two line ends (an empty line); LF CR too.
    assert_eq!(
        datas(&decode(b"data: a\r\rdata: b\n\rdata: c\r\n\n")),
        ["a", "b", "c"]
    );
    // CR LF LF: one CRLF then a blank line.
    assert_eq!(datas(&decode(b"data: a\r\n\ndata: b\n\r\n")), ["a", "b"]);
}

#[test]
fn comments_are_ignored() {
    let events = decode(b":\n: data: no\n:data: no\ndata: yes\n:x\n\n");
    assert_eq!(datas(&events), ["yes"]);
    // A comment is not a blank line: no dispatch.
    assert!(decode(b"data: a\n:\n").is_empty());
}

#[test]
fn field_name_up_to_first_colon_one_space_stripped() {
    let events = decode(b"data:a\ndata: b\ndata:  c\ndata:\td\ndata: e: f\ndata::g\n\n");
    assert_eq!(datas(&events), ["a\nb\n c\n\td\ne: f\n:g"]);
}

#[test]
fn names_are_exact() {
    let events = decode(b"Data: a\ndata : b\n data: c\ndatas: d\nda\xFFta: e\ndata: f\n\n");
    assert_eq!(datas(&events), ["f"]);
}

#[test]
fn line_without_colon_is_a_field_with_empty_value() {
    // `data` alone appends an empty value and a LF.
    assert_eq!(datas(&decode(b"data\n\n")), [""]);
    assert_eq!(datas(&decode(b"data\ndata\n\n")), ["\n"]);
    assert_eq!(datas(&decode(b"data:\n\n")), [""]);
    assert_eq!(datas(&decode(b"data: \n\n")), [""]);
    // `event` alone resets the type; `id` alone resets the id.
    let events = decode(b"id: 3\nevent: t\nevent\nid\ndata: x\n\n");
    assert_eq!(
        summary(&events),
        [("message".into(), "x".into(), "".into())]
    );
}

#[test]
fn data_lines_join_with_lf_and_one_trailing_lf_is_removed() {
    assert_eq!(
        datas(&decode(b"data: a\ndata: b\ndata\ndata: c\n\n")),
        ["a\nb\n\nc"]
    );
    let long = "x".repeat(3000);
    let wire = format!("data: {long}\ndata: é{long}\n\n");
    assert_eq!(
        datas(&decode(wire.as_bytes())),
        [format!("{long}\né{long}")]
    );
}

#[test]
fn event_without_data_does_not_dispatch_and_resets_the_type() {
    let events = decode(b"event: a\n\ndata: x\n\nevent: b\nretry: 5\n\n");
    assert_eq!(
        summary(&events),
        [("message".into(), "x".into(), "".into())]
    );
}

#[test]
fn event_type_defaults_to_message() {
    let events =
        decode(b"data: a\n\nevent: message\ndata: b\n\nevent:\ndata: c\n\nevent: x\ndata: d\n\n");
    let types: Vec<_> = events.iter().map(|e| e.event_type()).collect();
    assert_eq!(types, ["message", "message", "message", "x"]);
    assert_eq!(events[0].event, None);
    assert_eq!(events[1].event.as_deref(), Some("message"));
    assert_eq!(events[2].event, None);
    // The type is per event.
    let events = decode(b"event: x\ndata: a\n\ndata: b\n\n");
    assert_eq!(events[1].event_type(), "message");
}

#[test]
fn id_persists_and_updates_without_an_event() {
    let (events, d) =
        decode_with_state(b"id: 1\ndata: a\n\ndata: b\n\nid: 2\n\ndata: c\n\nid: 3\n\n");
    assert_eq!(
        summary(&events),
        [
            ("message".into(), "a".into(), "1".into()),
            ("message".into(), "b".into(), "1".into()),
            ("message".into(), "c".into(), "2".into()),
        ]
    );
    assert_eq!(d.last_event_id(), "3");
}

#[test]
fn id_with_nul_is_ignored() {
    let (events, d) = decode_with_state(b"id: 1\ndata: a\n\nid: 2\0\ndata: b\n\nid: \0\n\n");
    let ids: Vec<_> = events.iter().map(|e| e.last_event_id()).collect();
    assert_eq!(ids, ["1", "1"]);
    assert_eq!(d.last_event_id(), "1");
}

#[test]
fn empty_id_resets() {
    let (events, d) = decode_with_state(b"id: 1\ndata: a\n\nid:\ndata: b\n\nid: 2\n\nid\n\n");
    let ids: Vec<_> = events.iter().map(|e| e.last_event_id()).collect();
    assert_eq!(ids, ["1", ""]);
    assert_eq!(d.last_event_id(), "");
}

#[test]
fn id_of_an_unfinished_block_is_not_confirmed() {
    let (events, d) = decode_with_state(b"id: 1\ndata: a\n\nid: 2\ndata: b\n");
    assert_eq!(datas(&events), ["a"]);
    assert_eq!(d.last_event_id(), "1");
}

#[test]
fn last_event_id_is_read_after_each_decode() {
    let mut d = EventStreamDecoder::new();
    let mut buf = BytesMut::from(&b"id: 9\n"[..]);
    assert_eq!(d.decode(&mut buf).unwrap(), None);
    assert_eq!(d.last_event_id(), "", "not before the blank line");
    buf.extend_from_slice(b"\n");
    assert_eq!(d.decode(&mut buf).unwrap(), None);
    assert_eq!(d.last_event_id(), "9");
}

#[test]
fn retry_digits_only() {
    let cases: &[(&[u8], Option<u64>)] = &[
        (b"retry: 1000\n", Some(1000)),
        (b"retry:1000\n", Some(1000)),
        (b"retry: 02000\n", Some(2000)),
        (b"retry: 0\n", Some(0)),
        (b"retry: 1000 \n", None),
        (b"retry: 1 000\n", None),
        (b"retry:  1000\n", None),
        (b"retry: 1000x\n", None),
        (b"retry: -1\n", None),
        (b"retry: +1\n", None),
        (b"retry: 1.5\n", None),
        (b"retry: \xD9\xA1\n", None), // ARABIC-INDIC DIGIT ONE
        (b"retry:\n", None),
        (b"retry\n", None),
        (b"Retry: 5\n", None),
        (b"retry: 99999999999999999999999999\n", Some(u64::MAX)),
    ];
    for &(wire, want) in cases {
        let (_, d) = decode_with_state(wire);
        assert_eq!(
            d.reconnection_time(),
            want.map(Duration::from_millis),
            "{:?}",
            String::from_utf8_lossy(wire)
        );
    }
}

#[test]
fn invalid_retry_keeps_the_previous_value() {
    let (_, d) = decode_with_state(b"retry: 2000\nretry: 1000x\ndata: x\n");
    assert_eq!(d.reconnection_time(), Some(Duration::from_millis(2000)));
}

#[test]
fn retry_takes_effect_at_once() {
    let mut d = EventStreamDecoder::new();
    let mut buf = BytesMut::from(&b"retry: 1500\ndata: unfinished"[..]);
    assert_eq!(d.decode(&mut buf).unwrap(), None);
    assert_eq!(d.reconnection_time(), Some(Duration::from_millis(1500)));
    // Even at the end of the stream, with the event dropped.
    assert_eq!(d.decode_eof(&mut buf).unwrap(), None);
    assert_eq!(d.reconnection_time(), Some(Duration::from_millis(1500)));
}

#[test]
fn retry_of_the_block_is_on_its_event() {
    let events =
        decode(b"retry: 5\ndata: a\n\ndata: b\n\nretry: 7\n\ndata: c\nretry: 8\nretry: 9\n\n");
    let retries: Vec<_> = events.iter().map(|e| e.retry).collect();
    let ms = |n| Some(Duration::from_millis(n));
    assert_eq!(retries, [ms(5), None, ms(9)]);
}

#[test]
fn unknown_fields_are_ignored() {
    assert_eq!(
        datas(&decode(b"foo: bar\ndata: a\nbaz\n:\nid-ish: 3\n\n")),
        ["a"]
    );
}

#[test]
fn invalid_utf8_is_replaced_never_an_error() {
    let f = "\u{FFFD}";
    assert_eq!(datas(&decode(b"data: a\xFFb\n\n")), [format!("a{f}b")]);
    // Maximal subparts: a truncated sequence is one U+FFFD.
    assert_eq!(datas(&decode(b"data: \xE2\x80\n\n")), [f]);
    assert_eq!(
        datas(&decode(b"data: \xF0\x9F\x98\xFF\n\n")),
        [format!("{f}{f}")]
    );
    assert_eq!(datas(&decode(b"data: \xED\xA0\x80\n\n")), [f.repeat(3)]);
    // In the type and the id too.
    let events = decode(b"event: \xC3\nid: \xFE\ndata: \xC3\xA9\n\n");
    assert_eq!(summary(&events), [(f.into(), "é".into(), f.into())]);
    // In a field name: an unknown field.
    assert_eq!(datas(&decode(b"dat\xE1: x\ndata: y\n\n")), ["y"]);
    // UTF-16 BOMs are not BOMs here.
    assert_eq!(datas(&decode(b"\xFF\xFEdata: 1\n\ndata: 2\n\n")), ["2"]);
}

#[test]
fn code_point_split_across_reads() {
    let mut d = EventStreamDecoder::new();
    let events = feed(&mut d, &[b"data: \xE2", b"\x80", b"\xA6\n", b"\n"]);
    assert_eq!(datas(&events), ["…"]);
}

#[test]
fn nul_in_data_is_kept() {
    assert_eq!(datas(&decode(b"data: \0\n\n")), ["\0"]);
}

#[test]
fn unfinished_event_at_eof_is_dropped() {
    assert!(decode(b"data: a").is_empty());
    assert!(decode(b"data: a\n").is_empty());
    assert!(decode(b"data: a\r").is_empty());
    assert!(decode(b"data: a\r\n").is_empty());
    assert_eq!(datas(&decode(b"data: a\n\ndata: b\n")), ["a"]);
}

#[test]
fn decode_eof_only_dispatches_complete_events() {
    let mut d = EventStreamDecoder::new();
    let mut buf = BytesMut::from(&b"data: a\n\ndata: b\n\ndata: c\n"[..]);
    assert_eq!(d.decode_eof(&mut buf).unwrap().unwrap().data(), "a");
    assert_eq!(d.decode_eof(&mut buf).unwrap().unwrap().data(), "b");
    assert_eq!(d.decode_eof(&mut buf).unwrap(), None);
    assert!(buf.is_empty());
}

#[test]
fn a_new_stream_after_eof_keeps_id_and_retry() {
    let mut d = EventStreamDecoder::new();
    let events = feed(
        &mut d,
        &[b"\xEF\xBB\xBFid: 5\nretry: 10\ndata: a\n\nid: 6\ndata: lost"],
    );
    assert_eq!(datas(&events), ["a"]);
    // The next connection: a BOM is stripped again, the id carries over.
    let events = feed(&mut d, &[b"\xEF\xBB\xBFdata: b\n\n"]);
    assert_eq!(
        summary(&events),
        [("message".into(), "b".into(), "5".into())]
    );
    assert_eq!(d.reconnection_time(), Some(Duration::from_millis(10)));
}

#[test]
fn set_last_event_id_resumes() {
    let mut d = EventStreamDecoder::new();
    d.set_last_event_id("…");
    let events = feed(&mut d, &[b"data: x\n\n"]);
    assert_eq!(events[0].last_event_id(), "…");
}

#[test]
fn reset_drops_the_partial_event() {
    let mut d = EventStreamDecoder::new();
    let mut buf = BytesMut::from(&b"event: t\ndata: a\nid: 1\n"[..]);
    assert_eq!(d.decode(&mut buf).unwrap(), None);
    d.reset();
    let mut buf = BytesMut::from(&b"data: b\n\n"[..]);
    let event = d.decode(&mut buf).unwrap().unwrap();
    assert_eq!(
        summary(&[event]),
        [("message".into(), "b".into(), "".into())]
    );
}

fn limited(line: usize, event: usize) -> EventStreamDecoder {
    EventStreamDecoder::with_config(
        DecoderConfig::default()
            .with_max_line_len(line)
            .with_max_event_size(event),
    )
}

/// The outcome of feeding `wire` in `chunk`-byte reads: events before the
/// error, and the error.
fn limited_run(
    mut d: EventStreamDecoder,
    wire: &[u8],
    chunk: usize,
) -> (Vec<String>, Option<String>) {
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    for c in wire.chunks(chunk.max(1)) {
        buf.extend_from_slice(c);
        loop {
            match d.decode(&mut buf) {
                Ok(Some(e)) => events.push(e.data().to_owned()),
                Ok(None) => break,
                Err(e) => return (events, Some(format!("{e:?}"))),
            }
        }
    }
    match d.decode_eof(&mut buf) {
        Ok(Some(e)) => events.push(e.data().to_owned()),
        Ok(None) => {}
        Err(e) => return (events, Some(format!("{e:?}"))),
    }
    (events, None)
}

#[test]
fn line_limit_is_exact_and_split_independent() {
    // "data: xxxx" is 10 bytes.
    let ok = b"data: xxxx\n\n";
    let long = b"data: xxxxx\n\ndata: y\n\n";
    for chunk in [1, 2, 3, 5, 11, 100] {
        assert_eq!(
            limited_run(limited(10, 100), ok, chunk),
            (vec!["xxxx".into()], None)
        );
        // Terminated or not, 11 bytes is too long, wherever the reads end.
        assert_eq!(
            limited_run(limited(10, 100), long, chunk),
            (vec![], Some("LineTooLong { max: 10 }".into())),
            "chunk {chunk}"
        );
        assert_eq!(
            limited_run(limited(10, 100), b"data: xxxxx", chunk),
            (vec![], Some("LineTooLong { max: 10 }".into())),
        );
    }
    // The limit does not count the line end, and applies to comments.
    assert_eq!(
        limited_run(limited(4, 100), b"data\r\n\r\n", 1),
        (vec!["".into()], None)
    );
    assert_eq!(
        limited_run(limited(4, 100), b":12345\n", 7).1,
        Some("LineTooLong { max: 4 }".into())
    );
    // Zero: only blank lines.
    assert_eq!(limited_run(limited(0, 100), b"\n\r\n\r", 1), (vec![], None));
    assert!(limited_run(limited(0, 100), b"d", 1).1.is_some());
}

#[test]
fn event_limit_counts_the_dispatched_data() {
    // "ab\ncd" is 5 bytes.
    let wire = b"data: ab\ndata: cd\n\n";
    for chunk in [1, 4, 100] {
        assert_eq!(
            limited_run(limited(100, 5), wire, chunk),
            (vec!["ab\ncd".into()], None)
        );
        assert_eq!(
            limited_run(limited(100, 4), wire, chunk),
            (vec![], Some("EventTooBig { max: 4 }".into()))
        );
    }
    // Per event: the buffer is emptied at dispatch.
    assert_eq!(
        limited_run(limited(100, 2), b"data: ab\n\ndata: cd\n\n", 3),
        (vec!["ab".into(), "cd".into()], None)
    );
    // Decoded size: one invalid byte is a 3-byte U+FFFD.
    assert_eq!(
        limited_run(limited(100, 2), b"data: \xFF\n\n", 1).1,
        Some("EventTooBig { max: 2 }".into())
    );
    assert_eq!(
        limited_run(limited(100, 0), b"data\n\n", 1),
        (vec!["".into()], None)
    );
    let e = limited(4, 4)
        .decode(&mut BytesMut::from(&b"data: 12345"[..]))
        .unwrap_err();
    assert!(matches!(e, Error::LineTooLong { max: 4 }));
}

#[test]
fn single_line_ascii_data_is_a_slice_of_the_input() {
    let mut buf = BytesMut::from(
        &b"id: an id longer than the inline capacity\nevent: a type longer than the inline capacity\ndata: a payload longer than the inline capacity\n\n"[..],
    );
    let start = buf.as_ptr() as usize;
    let end = start + buf.len();
    let event = EventStreamDecoder::new().decode(&mut buf).unwrap().unwrap();
    for text in [&event.data, &event.event, &event.id] {
        let p = text.as_ref().unwrap().as_ptr() as usize;
        assert!((start..end).contains(&p), "copied");
    }
}

/// Linear time, shown without timing anything: a 4 MiB line fed one byte at
/// a time is searched for its line end once per byte, not once per read
/// (which would be 8 * 10^12 bytes); nor do many short lines in 1-byte reads
/// cost more than their length.
#[test]
fn each_byte_is_searched_once_whatever_the_reads() {
    const LEN: usize = 4 << 20;
    let mut d = limited(LEN + 16, LEN + 16);
    let mut buf = BytesMut::with_capacity(LEN + 16);
    buf.extend_from_slice(b"data: ");
    let mut fed = 6u64;
    assert_eq!(d.decode(&mut buf).unwrap(), None);
    let x = [b'x'];
    for _ in 0..LEN {
        buf.extend_from_slice(&x);
        fed += 1;
        assert!(d.decode(&mut buf).unwrap().is_none());
    }
    buf.extend_from_slice(b"\n\n");
    fed += 2;
    let event = d.decode(&mut buf).unwrap().unwrap();
    assert_eq!(event.data().len(), LEN);
    assert!(
        d.bytes_searched() <= fed,
        "searched {} of {fed}",
        d.bytes_searched()
    );

    let mut wire = Vec::new();
    for i in 0..20_000 {
        wire.extend_from_slice(format!("id: {i}\ndata: {i}\r\n:c\r\r").as_bytes());
    }
    let mut d = EventStreamDecoder::new();
    let events = feed(&mut d, &wire.chunks(1).collect::<Vec<_>>());
    assert_eq!(events.len(), 20_000);
    assert!(
        d.bytes_searched() <= wire.len() as u64,
        "searched {} of {}",
        d.bytes_searched(),
        wire.len()
    );
}

#[test]
fn three_way_splits_of_a_mixed_stream() {
    let wire: &[u8] = b"\xEF\xBB\xBFretry: 7\r\nid: a\rdata: 1\r\n\r:c\ndata: \xE2\x82\xAC\r\r";
    let whole = decode(wire);
    assert_eq!(datas(&whole), ["1", "€"]);
    for i in 0..=wire.len() {
        for j in i..=wire.len() {
            let mut d = EventStreamDecoder::new();
            assert_eq!(
                feed(&mut d, &[&wire[..i], &wire[i..j], &wire[j..]]),
                whole,
                "{i} {j}"
            );
        }
    }
}

#[test]
fn codec_trait_delegates() {
    let mut d = EventStreamDecoder::default();
    let mut buf = BytesMut::from(&b"data: a\n\ndata: b"[..]);
    assert_eq!(
        tokio_util::codec::Decoder::decode(&mut d, &mut buf)
            .unwrap()
            .unwrap()
            .data(),
        "a"
    );
    assert_eq!(
        tokio_util::codec::Decoder::decode_eof(&mut d, &mut buf).unwrap(),
        None
    );
    assert!(buf.is_empty());
    assert_eq!(d.config(), &DecoderConfig::default());
}

#[test]
fn line_end_search_agrees_with_memchr2() {
    for len in 0..80 {
        for at in 0..=len {
            for end in [b'\r', b'\n'] {
                let mut hay = vec![b'x'; len];
                // Bytes next to CR and LF in value, to catch false matches.
                for (i, b) in hay.iter_mut().enumerate() {
                    *b = [b'x', 0x0c, 0x0e, 0x0b, 0x8d, 0x8a, 0x00][i % 7];
                }
                if at < len {
                    hay[at] = end;
                }
                assert_eq!(
                    super::find_line_end(&hay),
                    memchr::memchr2(b'\r', b'\n', &hay),
                    "len {len} at {at}"
                );
            }
        }
    }
}
