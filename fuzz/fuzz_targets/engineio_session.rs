//! The Engine.IO session core (`tether_engineio::session::Session`) driven
//! by a script of client packets on every transport, polling requests that
//! begin, end, fail and overlap, upgrades that go anywhere, application
//! sends and closes, and time moving forward. Checks: no panic; the send
//! buffer bounded (`max_buffered_packets`, plus the one outstanding ping);
//! `Closed` is the last event, once, and matches `close_reason`; a session
//! on WebSocket has its socket; a closed session has no deadline.
#![no_main]

use std::time::{Duration, Instant};

use libfuzzer_sys::fuzz_target;
use tether_engineio::session::{Event, Session, SessionConfig, SocketId, Transport};
use tether_engineio::{EnginePacket, MessageData, OpenPacket};

fn packet(b: u8) -> EnginePacket {
    match b % 12 {
        0 => EnginePacket::message("m"),
        1 => EnginePacket::binary(vec![b]),
        2 => EnginePacket::pong(),
        3 => EnginePacket::ping(),
        4 => EnginePacket::ping_probe(),
        5 => EnginePacket::pong_probe(),
        6 => EnginePacket::Upgrade,
        7 => EnginePacket::Noop,
        8 => EnginePacket::Close,
        9 => EnginePacket::Open(OpenPacket::new("x")),
        10 => EnginePacket::message(""),
        _ => EnginePacket::Ping("other".into()),
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&first, script)) = data.split_first() else { return };
    let t0 = Instant::now();
    let mut now = t0;
    let max = 4;
    let config = SessionConfig::default()
        .with_ping_interval(Duration::from_millis(100))
        .with_ping_timeout(Duration::from_millis(80))
        .with_upgrade_timeout(Duration::from_millis(150))
        .with_close_timeout(Duration::from_millis(300))
        .with_max_buffered_packets(max)
        .with_allow_upgrades(first & 2 == 0);
    let transport = if first & 1 == 0 { Transport::Polling } else { Transport::WebSocket };
    let mut s = Session::new("sid", transport, config, now);
    let mut sockets: Vec<SocketId> = s.socket().into_iter().collect();
    let mut closed_events = 0;
    let mut after_close = false;
    for pair in script.chunks(2) {
        let op = pair[0];
        let arg = pair.get(1).copied().unwrap_or(0);
        let socket = sockets.get(usize::from(arg) % sockets.len().max(1)).copied();
        match op % 16 {
            0 => { let _ = s.send(MessageData::Text("t".into())); }
            1 => { let _ = s.begin_get(); }
            2 => { let _ = s.take_payload(); }
            3 => s.cancel_get(),
            4 => { let _ = s.begin_post(); }
            5 => { let _ = s.handle_packet(Transport::Polling, packet(arg), now); }
            6 => s.end_post(),
            7 => s.fail_post(tether_engineio::session::CloseReason::TransportError),
            8 => { if let Ok(id) = s.begin_upgrade(now) { sockets.push(id); } }
            9 => { if let Some(id) = socket { let _ = s.handle_socket_packet(id, packet(arg), now); } }
            10 => { if let Some(id) = socket { while s.poll_socket_transmit(id).is_some() {} let _ = s.socket_should_close(id); } }
            11 => { if let Some(id) = socket { s.socket_closed(id, arg & 1 == 1); } }
            12 => s.close(now),
            13 => {
                now += Duration::from_millis(u64::from(arg));
                s.handle_timeout(now);
            }
            14 => {
                if let Some(at) = s.poll_timeout() {
                    assert!(!s.is_closed());
                    now = now.max(at);
                    s.handle_timeout(now);
                }
            }
            _ => { if let Some(id) = socket { s.fail_socket(id, tether_engineio::session::CloseReason::ParseError); } }
        }
        assert!(s.buffered() <= max + 1, "buffer {} over the bound", s.buffered());
        if s.transport() == Transport::WebSocket {
            assert!(s.socket().is_some());
        }
        if s.is_closed() {
            assert!(s.close_reason().is_some());
            assert_eq!(s.poll_timeout(), None);
        }
        while let Some(event) = s.poll_event() {
            assert!(!after_close, "an event after Closed: {event:?}");
            if let Event::Closed(reason) = event {
                closed_events += 1;
                after_close = true;
                assert_eq!(Some(reason), s.close_reason());
            }
        }
    }
    assert!(closed_events <= 1);
});
