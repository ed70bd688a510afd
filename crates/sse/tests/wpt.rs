//! The web-platform-tests `eventsource/` parsing cases
//! (`tests/vectors/wpt-format.json`, provenance in each case), replayed whole,
//! at every two-way split, byte by byte, at every three-way split of the
//! short ones, and in the reads the test itself makes where it says.

use std::time::Duration;

use bytes::BytesMut;
use serde_json::Value;
use tether_sse::{Event, EventStreamDecoder};

struct Case {
    name: String,
    wire: Vec<u8>,
    /// (type, data, last event id)
    events: Vec<(String, String, String)>,
    initial_last_event_id: Option<String>,
    /// `Some(None)`: the test checks the stream never set it.
    reconnection_time: Option<Option<Duration>>,
    final_last_event_id: Option<String>,
    chunks: Option<Vec<Vec<u8>>>,
}

fn hex(s: &str) -> Vec<u8> {
    assert!(s.len().is_multiple_of(2), "odd hex");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn str_field(v: &Value, key: &str) -> String {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("{key}: {v}"))
        .to_owned()
}

fn cases() -> Vec<Case> {
    let text = include_str!("vectors/wpt-format.json");
    let doc: Value = serde_json::from_str(text).expect("valid JSON");
    let cases = doc["cases"].as_array().expect("cases");
    cases
        .iter()
        .map(|c| {
            let source = &c["source"];
            assert!(
                source["repo"].is_string()
                    && source["path"].is_string()
                    && source["test"].is_string()
            );
            let wire = match (c.get("wire"), c.get("wire_hex")) {
                (Some(w), None) => w.as_str().expect("wire").as_bytes().to_vec(),
                (None, Some(h)) => hex(h.as_str().expect("wire_hex")),
                _ => panic!("one of wire, wire_hex: {c}"),
            };
            let events = c["events"]
                .as_array()
                .expect("events")
                .iter()
                .map(|e| {
                    (
                        str_field(e, "type"),
                        str_field(e, "data"),
                        str_field(e, "last_event_id"),
                    )
                })
                .collect();
            let chunks = c.get("chunks").map(|cs| {
                cs.as_array()
                    .expect("chunks")
                    .iter()
                    .map(|s| s.as_str().expect("chunk").as_bytes().to_vec())
                    .collect::<Vec<_>>()
            });
            if let Some(chunks) = &chunks {
                assert_eq!(chunks.concat(), wire, "chunks of {}", c["name"]);
            }
            Case {
                name: str_field(c, "name"),
                wire,
                events,
                initial_last_event_id: c
                    .get("initial_last_event_id")
                    .map(|v| v.as_str().expect("id").to_owned()),
                reconnection_time: c
                    .get("reconnection_time_ms")
                    .map(|v| v.as_u64().map(Duration::from_millis)),
                final_last_event_id: c
                    .get("final_last_event_id")
                    .map(|v| v.as_str().expect("id").to_owned()),
                chunks,
            }
        })
        .collect()
}

/// Feeds `chunks` as reads, then ends the stream; returns the events and the
/// decoder.
fn run<'a>(
    case: &Case,
    chunks: impl IntoIterator<Item = &'a [u8]>,
) -> (Vec<Event>, EventStreamDecoder) {
    let mut decoder = EventStreamDecoder::new();
    if let Some(id) = &case.initial_last_event_id {
        decoder.set_last_event_id(id.as_str());
    }
    let mut buf = BytesMut::new();
    let mut events = Vec::new();
    let mut id_seen = Vec::new();
    for chunk in chunks {
        buf.extend_from_slice(chunk);
        while let Some(event) = decoder.decode(&mut buf).expect("no decode error") {
            // The decoder's last event ID is the event's at dispatch.
            id_seen.push(decoder.last_event_id().to_owned());
            events.push(event);
        }
    }
    while let Some(event) = decoder.decode_eof(&mut buf).expect("no decode error") {
        id_seen.push(decoder.last_event_id().to_owned());
        events.push(event);
    }
    for (event, id) in events.iter().zip(&id_seen) {
        assert_eq!(event.last_event_id(), id, "{}", case.name);
    }
    (events, decoder)
}

fn check(case: &Case, how: &str, (events, decoder): (Vec<Event>, EventStreamDecoder)) {
    let got: Vec<(String, String, String)> = events
        .iter()
        .map(|e| {
            (
                e.event_type().to_owned(),
                e.data().to_owned(),
                e.last_event_id().to_owned(),
            )
        })
        .collect();
    assert_eq!(got, case.events, "{} ({how})", case.name);
    if let Some(want) = case.reconnection_time {
        assert_eq!(
            decoder.reconnection_time(),
            want,
            "{} ({how}): reconnection time",
            case.name
        );
    }
    if let Some(want) = &case.final_last_event_id {
        assert_eq!(
            decoder.last_event_id(),
            want,
            "{} ({how}): last event id",
            case.name
        );
    }
}

#[test]
fn vectors_are_present() {
    let cases = cases();
    assert!(cases.len() >= 40, "{} cases", cases.len());
    let mut names: Vec<_> = cases.iter().map(|c| c.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "duplicate names");
}

#[test]
fn whole() {
    for case in cases() {
        check(&case, "whole", run(&case, [&case.wire[..]]));
    }
}

#[test]
fn byte_by_byte() {
    for case in cases() {
        check(&case, "byte by byte", run(&case, case.wire.chunks(1)));
    }
}

#[test]
fn every_two_way_split() {
    for case in cases() {
        for at in 0..=case.wire.len() {
            let (a, b) = case.wire.split_at(at);
            check(&case, &format!("split at {at}"), run(&case, [a, b]));
        }
    }
}

#[test]
fn every_three_way_split_of_short_cases() {
    for case in cases().iter().filter(|c| c.wire.len() <= 128) {
        let w = &case.wire;
        for i in 0..=w.len() {
            for j in i..=w.len() {
                check(
                    case,
                    &format!("split at {i}, {j}"),
                    run(case, [&w[..i], &w[i..j], &w[j..]]),
                );
            }
        }
    }
}

#[test]
fn the_tests_own_reads() {
    for case in cases() {
        if let Some(chunks) = &case.chunks {
            check(
                &case,
                "the test's reads",
                run(&case, chunks.iter().map(Vec::as_slice)),
            );
        }
    }
}
