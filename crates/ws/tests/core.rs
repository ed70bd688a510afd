//! The sans-IO connection core driven by hand, deterministically: no
//! sockets, no sleeps, time passed in as values. Close timeouts, keepalive
//! and idle deadlines, a ping flood while the writer is blocked, a Close
//! between fragments, a Close received while data is queued, failing with
//! data queued, and the write queue's order and coalescing.

use std::time::{Duration, Instant};

use bytes::{Bytes, BytesMut};
use tether_frame::{CloseCode, CloseFrame, Frame, FrameCodec, OpCode};
use tether_ws::{
    AfterFlush, Connection, DataKind, Error, Fragment, Message, MessageChunk, Role, WebSocketConfig,
};
use tokio_util::codec::{Decoder, Encoder};

fn server(config: WebSocketConfig) -> Connection {
    Connection::new(Role::Server, &config, BytesMut::new())
}

fn client(config: WebSocketConfig) -> Connection {
    Connection::new(Role::Client, &config, BytesMut::new())
}

/// The bytes a peer of `conn` would send for `frames`.
fn from_peer(conn: &Connection, frames: &[Frame]) -> Vec<u8> {
    let peer = match conn.role() {
        Role::Server => Role::Client,
        Role::Client => Role::Server,
    };
    let mut codec = FrameCodec::new(peer);
    let mut wire = BytesMut::new();
    for frame in frames {
        codec.encode(frame.clone(), &mut wire).expect("encodes");
    }
    wire.to_vec()
}

/// Writes at most `limit` bytes of what `conn` has to send, as a transport
/// that takes that much would; returns them.
fn write_some(conn: &mut Connection, limit: usize) -> Vec<u8> {
    let mut out = Vec::new();
    while out.len() < limit && conn.wants_write() {
        let mut slices = [std::io::IoSlice::new(&[]); 8];
        let n = conn.transmit(&mut slices);
        let mut taken = 0;
        for slice in slices.iter().take(n) {
            let room = limit - out.len();
            let take = slice.len().min(room);
            out.extend_from_slice(&slice[..take]);
            taken += take;
            if take < slice.len() {
                break;
            }
        }
        conn.advance_transmit(taken);
    }
    out
}

/// Everything `conn` has to send.
fn write_all(conn: &mut Connection) -> Vec<u8> {
    let mut out = Vec::new();
    conn.transmit_to(&mut out);
    out
}

/// Everything `conn` has to send, as frames.
fn written_frames(conn: &mut Connection) -> Vec<Frame> {
    let bytes = write_all(conn);
    frames(conn.role(), &bytes)
}

/// The frames in `bytes` sent by a `role`, as its peer decodes them.
fn frames(role: Role, bytes: &[u8]) -> Vec<Frame> {
    // Decoded as the peer does: a server's frames are read by a client.
    let mut codec = match role {
        Role::Server => FrameCodec::new(Role::Client),
        Role::Client => FrameCodec::new(Role::Server),
    };
    let mut buf = BytesMut::from(bytes);
    let mut out = Vec::new();
    while let Some(frame) = codec.decode(&mut buf).expect("valid frames") {
        out.push(frame);
    }
    assert!(buf.is_empty(), "a partial frame was written");
    out
}

fn close_code(frame: &Frame) -> Option<u16> {
    assert_eq!(frame.opcode, OpCode::Close);
    frame
        .close_frame()
        .expect("valid")
        .map(|c| u16::from(c.code))
}

fn all_messages(conn: &mut Connection) -> Vec<Result<Message, String>> {
    let mut out = Vec::new();
    loop {
        match conn.poll_message() {
            Ok(Some(m)) => out.push(Ok(m)),
            Ok(None) => return out,
            Err(e) => out.push(Err(format!("{e:?}"))),
        }
    }
}

#[test]
fn the_close_handshake_and_its_timeout() {
    let t0 = Instant::now();
    let config = WebSocketConfig::default().with_close_timeout(Duration::from_secs(5));
    // Our Close: the peer never answers.
    let mut conn = server(config.clone());
    assert!(!conn.timers_changed());
    conn.send(Message::Close(Some(CloseFrame::new(
        CloseCode::Normal,
        "bye",
    ))))
    .expect("close");
    assert!(conn.timers_changed());
    assert_eq!(conn.poll_timeout(t0), Some(t0 + Duration::from_secs(5)));
    assert!(matches!(
        conn.send(Message::text("late")),
        Err(Error::ConnectionClosed)
    ));
    let sent = written_frames(&mut conn);
    assert_eq!(sent.len(), 1);
    assert_eq!(close_code(&sent[0]), Some(1000));
    // Messages still arrive while we wait for the reply.
    let text = from_peer(&conn, &[Frame::text("still here")]);
    conn.receive(&text);
    assert_eq!(
        conn.poll_message().expect("ok"),
        Some(Message::text("still here"))
    );
    assert_eq!(conn.after_flush(), AfterFlush::Continue);
    conn.handle_timeout(t0 + Duration::from_millis(4999));
    assert!(!conn.is_closed());
    conn.handle_timeout(t0 + Duration::from_secs(5));
    assert!(conn.is_closed());
    assert_eq!(conn.after_flush(), AfterFlush::Closed);
    assert_eq!(conn.poll_message().expect("ok"), None);

    // The peer's Close: a server answers and closes the transport.
    let mut conn = server(config.clone());
    let close = from_peer(
        &conn,
        &[Frame::close(Some(&CloseFrame::new(CloseCode::GoingAway, ""))).unwrap()],
    );
    conn.receive(&close);
    assert_eq!(
        conn.poll_message().expect("ok"),
        Some(Message::Close(Some(CloseFrame::new(
            CloseCode::GoingAway,
            ""
        ))))
    );
    assert!(!conn.is_receiving());
    let reply = written_frames(&mut conn);
    assert_eq!(close_code(&reply[0]), Some(1001), "the code is echoed");
    assert_eq!(conn.after_flush(), AfterFlush::Shutdown);
    conn.handle_shutdown();
    assert!(conn.is_closed());

    // A client waits for the server to close the transport, at most the
    // close timeout.
    for server_closes in [true, false] {
        let mut conn = client(config.clone());
        conn.send(Message::Close(None)).expect("close");
        let t = conn.poll_timeout(t0).expect("close timer");
        write_all(&mut conn);
        let reply = from_peer(&conn, &[Frame::close(None).unwrap()]);
        conn.receive(&reply);
        assert_eq!(conn.poll_message().expect("ok"), Some(Message::Close(None)));
        assert_eq!(conn.after_flush(), AfterFlush::ReadToEnd);
        if server_closes {
            conn.handle_eof();
            assert_eq!(conn.after_flush(), AfterFlush::Shutdown);
        } else {
            conn.handle_timeout(t);
            assert_eq!(conn.after_flush(), AfterFlush::Closed);
        }
    }
}

#[test]
fn keepalive_pings_after_a_silent_period_only() {
    let t0 = Instant::now();
    let interval = Duration::from_secs(10);
    let mut conn = client(WebSocketConfig::default().with_ping_interval(Some(interval)));
    assert!(conn.timers_changed());
    assert_eq!(conn.poll_timeout(t0), Some(t0 + interval));
    // A silent period: a ping.
    conn.handle_timeout(t0 + interval);
    let sent = written_frames(&mut conn);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].opcode, OpCode::Ping);
    assert_eq!(conn.poll_timeout(t0 + interval), Some(t0 + 2 * interval));
    // Traffic in the next period: no ping, the timer restarts.
    let pong = from_peer(&conn, &[Frame::pong(Bytes::new())]);
    conn.receive(&pong);
    assert_eq!(
        conn.poll_message().expect("ok"),
        Some(Message::Pong(Bytes::new()))
    );
    conn.handle_timeout(t0 + 2 * interval);
    assert!(!conn.wants_write());
    assert_eq!(
        conn.poll_timeout(t0 + 2 * interval),
        Some(t0 + 3 * interval)
    );
    // An early call does nothing.
    conn.handle_timeout(t0 + 2 * interval + Duration::from_secs(1));
    assert!(!conn.wants_write());
    // No keepalive once closing.
    conn.send(Message::Close(None)).expect("close");
    write_all(&mut conn);
    conn.handle_timeout(t0 + 3 * interval);
    assert!(!conn.wants_write());
}

#[test]
fn the_idle_timeout_fails_with_1001_unless_bytes_arrived() {
    let t0 = Instant::now();
    let idle = Duration::from_secs(30);
    let mut conn = server(WebSocketConfig::default().with_idle_timeout(Some(idle)));
    assert_eq!(conn.poll_timeout(t0), Some(t0 + idle));
    // Bytes arrived in the period (even a partial frame): restarted.
    conn.receive(&[0x81]);
    conn.handle_timeout(t0 + idle);
    assert_eq!(conn.poll_message().expect("ok"), None);
    assert_eq!(conn.poll_timeout(t0 + idle), Some(t0 + 2 * idle));
    // Silence: failed.
    conn.handle_timeout(t0 + 2 * idle);
    assert!(matches!(conn.poll_message(), Err(Error::IdleTimeout)));
    assert_eq!(conn.poll_message().expect("once"), None);
    let sent = written_frames(&mut conn);
    assert_eq!(sent.len(), 1);
    assert_eq!(close_code(&sent[0]), Some(1001));
    assert_eq!(conn.after_flush(), AfterFlush::Shutdown);
    // The close timer bounds getting the Close out.
    let close_at = conn.poll_timeout(t0 + 2 * idle).expect("close timer");
    assert_eq!(
        close_at,
        t0 + 2 * idle + WebSocketConfig::default().close_timeout
    );
}

#[test]
fn a_ping_flood_while_the_writer_is_blocked_costs_one_pong() {
    let mut conn = server(WebSocketConfig::default());
    let big = Bytes::from(vec![7u8; 1 << 20]);
    conn.send(Message::Binary(big.clone())).expect("queued");
    conn.send(Message::text("after")).expect("queued");
    // The transport takes 100 bytes, then blocks: the big frame is started.
    let first = write_some(&mut conn, 100);
    assert_eq!(first.len(), 100);
    let queued = conn.queued_bytes();
    for i in 0..10_000u32 {
        let ping = from_peer(&conn, &[Frame::ping(Bytes::from(i.to_be_bytes().to_vec()))]);
        conn.receive(&ping);
        assert!(matches!(conn.poll_message(), Ok(Some(Message::Ping(_)))));
    }
    // The flood queued nothing (one pending pong, the latest).
    assert_eq!(conn.queued_bytes(), queued);
    let rest = write_all(&mut conn);
    let sent = frames(conn.role(), &[first, rest].concat());
    let kinds: Vec<OpCode> = sent.iter().map(|f| f.opcode).collect();
    // The started frame is finished, then the pong, then the other data.
    assert_eq!(kinds, [OpCode::Binary, OpCode::Pong, OpCode::Text]);
    assert_eq!(sent[0].payload, big);
    assert_eq!(&sent[1].payload[..], &9_999u32.to_be_bytes());
}

#[test]
fn control_frames_go_ahead_of_data_not_yet_started() {
    let mut conn = client(WebSocketConfig::default());
    for i in 0..3 {
        conn.send(Message::text(format!("data {i}")))
            .expect("queued");
    }
    conn.send(Message::Ping(Bytes::from_static(b"p")))
        .expect("queued");
    let ping = from_peer(&conn, &[Frame::ping(Bytes::from_static(b"answer me"))]);
    conn.receive(&ping);
    conn.poll_message().expect("ok");
    let sent = written_frames(&mut conn);
    let kinds: Vec<OpCode> = sent.iter().map(|f| f.opcode).collect();
    assert_eq!(
        kinds,
        [
            OpCode::Ping,
            OpCode::Pong,
            OpCode::Text,
            OpCode::Text,
            OpCode::Text
        ]
    );
}

#[test]
fn a_close_between_fragments_is_an_ordinary_close() {
    let mut conn = server(WebSocketConfig::default());
    let wire = from_peer(
        &conn,
        &[
            Frame::new(OpCode::Text, "half").with_fin(false),
            Frame::close(Some(&CloseFrame::new(CloseCode::Normal, "mid"))).unwrap(),
            Frame::continuation("never", true),
        ],
    );
    conn.receive(&wire);
    assert_eq!(
        all_messages(&mut conn),
        vec![Ok(Message::Close(Some(CloseFrame::new(
            CloseCode::Normal,
            "mid"
        ))))]
    );
    let reply = written_frames(&mut conn);
    assert_eq!(reply.len(), 1);
    assert_eq!(close_code(&reply[0]), Some(1000));
}

#[test]
fn a_close_received_while_data_is_queued_is_answered_after_it() {
    let mut conn = server(WebSocketConfig::default());
    conn.send(Message::text("one")).expect("queued");
    conn.send(Message::binary(vec![2u8; 10_000]))
        .expect("queued");
    let close = from_peer(
        &conn,
        &[Frame::close(Some(&CloseFrame::new(CloseCode::Normal, ""))).unwrap()],
    );
    conn.receive(&close);
    assert!(matches!(conn.poll_message(), Ok(Some(Message::Close(_)))));
    assert!(matches!(
        conn.send(Message::text("three")),
        Err(Error::ConnectionClosed)
    ));
    let sent = written_frames(&mut conn);
    let kinds: Vec<OpCode> = sent.iter().map(|f| f.opcode).collect();
    assert_eq!(kinds, [OpCode::Text, OpCode::Binary, OpCode::Close]);
    assert_eq!(conn.after_flush(), AfterFlush::Shutdown);
}

#[test]
fn failing_drops_data_not_started_and_finishes_the_started_frame() {
    let mut conn = server(WebSocketConfig::default());
    conn.send(Message::binary(vec![1u8; 5000])).expect("queued");
    conn.send(Message::text("dropped")).expect("queued");
    let first = write_some(&mut conn, 10);
    let bad = from_peer(&conn, &[Frame::new(OpCode::Text, &b"\xff"[..])]);
    conn.receive(&bad);
    let err = conn.poll_message().expect_err("invalid UTF-8");
    assert_eq!(err.close_code(), Some(CloseCode::InvalidPayload));
    assert_eq!(conn.poll_message().expect("once"), None);
    assert!(matches!(
        conn.send(Message::text("x")),
        Err(Error::ConnectionClosed)
    ));
    let rest = write_all(&mut conn);
    let sent = frames(conn.role(), &[first, rest].concat());
    let kinds: Vec<OpCode> = sent.iter().map(|f| f.opcode).collect();
    assert_eq!(kinds, [OpCode::Binary, OpCode::Close]);
    assert_eq!(sent[0].payload.len(), 5000);
    assert_eq!(close_code(&sent[1]), Some(1007));
    assert_eq!(conn.after_flush(), AfterFlush::Shutdown);
}

#[test]
fn every_mapped_code_on_both_roles() {
    let cases: [(&[Frame], u16); 5] = [
        (&[Frame::new(OpCode::Continuation, "x")], 1002),
        (&[Frame::new(OpCode::Text, &b"ok\xc0\xaf"[..])], 1007),
        (&[Frame::binary(vec![0u8; 200])], 1009),
        (
            &[
                Frame::new(OpCode::Binary, "a").with_fin(false),
                Frame::continuation("b", false),
                Frame::continuation("c", true),
            ],
            1009,
        ),
        (
            &[Frame::close(None)
                .unwrap()
                .with_rsv(tether_frame::Rsv::RSV1)],
            1002,
        ),
    ];
    for role in [Role::Server, Role::Client] {
        for (frames_in, code) in &cases {
            let config = WebSocketConfig::default().with_message_config(
                tether_ws::MessageConfig::default()
                    .with_max_message_size(100)
                    .with_max_fragments(2),
            );
            let mut conn = Connection::new(role, &config, BytesMut::new());
            let wire = from_peer(&conn, frames_in);
            conn.receive(&wire);
            let err = loop {
                match conn.poll_message() {
                    Ok(Some(_)) => {}
                    Ok(None) => panic!("no error for {frames_in:?}"),
                    Err(e) => break e,
                }
            };
            assert_eq!(
                err.close_code().map(u16::from),
                Some(*code),
                "{role:?} {frames_in:?}"
            );
            let sent = written_frames(&mut conn);
            assert_eq!(sent.len(), 1);
            assert_eq!(close_code(&sent[0]), Some(*code));
        }
    }
}

#[test]
fn the_transport_ending_without_a_close_is_reported_once() {
    let mut conn = server(WebSocketConfig::default());
    let half = from_peer(&conn, &[Frame::text("cut short")]);
    conn.receive(&half[..5]);
    conn.handle_eof();
    assert!(matches!(conn.poll_message(), Err(Error::ResetWithoutClose)));
    assert_eq!(conn.poll_message().expect("once"), None);
    assert!(!conn.wants_write(), "nobody to send a Close to");
    assert_eq!(conn.after_flush(), AfterFlush::Shutdown);
}

#[test]
fn small_frames_are_one_contiguous_write() {
    for role in [Role::Server, Role::Client] {
        let mut conn = Connection::new(role, &WebSocketConfig::default(), BytesMut::new());
        let payload = Bytes::from_static(b"sixteen bytes!!!");
        for _ in 0..100 {
            conn.send(Message::Binary(payload.clone())).expect("queued");
        }
        assert!(conn.wants_write());
        let (chunk, only) = conn.transmit_chunk();
        assert!(only, "one run of bytes");
        assert_eq!(chunk.len(), conn.queued_bytes());
        let n = chunk.len();
        let sent = frames(role, conn.transmit_chunk().0);
        assert_eq!(sent.len(), 100);
        assert!(sent.iter().all(|f| f.payload == payload));
        conn.advance_transmit(n);
        assert!(!conn.wants_write());
        // A large payload is queued by reference (a server's is not copied).
        let big = Bytes::from(vec![3u8; 100_000]);
        conn.send(Message::Binary(big.clone())).expect("queued");
        let mut slices = [std::io::IoSlice::new(&[]); 4];
        assert_eq!(conn.transmit(&mut slices), 2, "header, then the payload");
        if role == Role::Server {
            assert_eq!(slices[1].as_ptr(), big.as_ptr(), "no copy");
        }
        let sent = written_frames(&mut conn);
        assert_eq!(sent[0].payload, big);
    }
}

#[test]
fn chunks_and_fragments_through_the_core() {
    let mut conn = server(WebSocketConfig::default());
    let payload: Vec<u8> = (0..50_000u32).map(|i| i as u8).collect();
    let wire = from_peer(&conn, &[Frame::binary(payload.clone()), Frame::ping("p")]);
    let mut got = Vec::new();
    let mut pings = 0;
    for piece in wire.chunks(3000) {
        conn.receive(piece);
        while let Some(chunk) = conn.poll_chunk().expect("valid") {
            match chunk {
                MessageChunk::Binary { data, .. } => got.extend_from_slice(&data),
                MessageChunk::Control(Message::Ping(_)) => pings += 1,
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(got, payload);
    assert_eq!(pings, 1);
    // The pong is queued like for whole messages.
    conn.send_fragment(Fragment::Start(
        DataKind::Text,
        Bytes::from_static(b"caf\xc3"),
    ))
    .expect("start");
    conn.send_fragment(Fragment::End(Bytes::from_static(b"\xa9")))
        .expect("end");
    assert!(matches!(
        conn.send_fragment(Fragment::Continue(Bytes::new())),
        Err(Error::Protocol(_))
    ));
    let sent = written_frames(&mut conn);
    let kinds: Vec<(OpCode, bool)> = sent.iter().map(|f| (f.opcode, f.fin)).collect();
    assert_eq!(
        kinds,
        [
            (OpCode::Pong, true),
            (OpCode::Text, false),
            (OpCode::Continuation, true)
        ]
    );
}

#[test]
fn an_idle_connection_keeps_no_buffers() {
    let mut conn = server(WebSocketConfig::default());
    let wire = from_peer(&conn, &[Frame::text("x".repeat(3000))]);
    conn.receive(&wire);
    conn.poll_message().expect("ok");
    conn.send(Message::text("y".repeat(3000))).expect("queued");
    write_all(&mut conn);
    conn.release_buffers();
    assert_eq!(conn.read_buffer().capacity(), 0);
}

mod queue_properties {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug)]
    enum Op {
        /// A data message of this many bytes (small ones are copied, large
        /// ones queued by reference).
        Data(usize),
        /// A ping from the application.
        Ping,
        /// A ping from the peer (answered with a pong).
        PeerPing(u8),
        /// The transport takes this many bytes.
        Write(usize),
    }

    fn op() -> impl Strategy<Value = Op> {
        prop_oneof![
            4 => prop_oneof![0usize..200, 1900usize..2200, 3000usize..70_000].prop_map(Op::Data),
            1 => Just(Op::Ping),
            1 => any::<u8>().prop_map(Op::PeerPing),
            3 => (1usize..20_000).prop_map(Op::Write),
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 200, ..ProptestConfig::default() })]

        /// Whatever is queued and however the transport takes the bytes,
        /// the peer reads whole frames: every data message once and in
        /// order, every application ping, a pong answering the latest
        /// ping of each burst, and nothing else.
        #[test]
        fn frames_stay_whole_and_in_order(ops in proptest::collection::vec(op(), 1..60), client_role in any::<bool>()) {
            let role = if client_role { Role::Client } else { Role::Server };
            let mut conn = Connection::new(role, &WebSocketConfig::default(), BytesMut::new());
            let mut wire = Vec::new();
            let mut sent_data = Vec::new();
            let mut pings = 0;
            let mut peer_pings = Vec::new();
            for (i, op) in ops.iter().enumerate() {
                match op {
                    Op::Data(len) => {
                        let payload = Bytes::from(vec![i as u8; *len]);
                        conn.send(Message::Binary(payload.clone())).expect("queued");
                        sent_data.push(payload);
                    }
                    Op::Ping => {
                        conn.send(Message::Ping(Bytes::from_static(b"app"))).expect("queued");
                        pings += 1;
                    }
                    Op::PeerPing(b) => {
                        let ping = from_peer(&conn, &[Frame::ping(vec![*b])]);
                        conn.receive(&ping);
                        prop_assert!(matches!(conn.poll_message(), Ok(Some(Message::Ping(_)))));
                        peer_pings.push(*b);
                    }
                    Op::Write(n) => wire.extend(write_some(&mut conn, *n)),
                }
                let wants = conn.wants_write();
                prop_assert_eq!(conn.queued_bytes() > 0, wants);
            }
            wire.extend(write_all(&mut conn));
            let frames = frames(role, &wire);
            let data: Vec<Bytes> = frames.iter().filter(|f| f.opcode == OpCode::Binary).map(|f| f.payload.clone()).collect();
            prop_assert_eq!(data, sent_data);
            let app_pings = frames.iter().filter(|f| f.opcode == OpCode::Ping).count();
            prop_assert_eq!(app_pings, pings);
            let pongs: Vec<u8> = frames.iter().filter(|f| f.opcode == OpCode::Pong).map(|f| f.payload[0]).collect();
            // Every pong answers a ping, in order, and the last ping is
            // answered.
            prop_assert_eq!(pongs.is_empty(), peer_pings.is_empty());
            if let Some(last) = peer_pings.last() {
                prop_assert_eq!(pongs.last(), Some(last));
            }
            prop_assert!(pongs.len() <= peer_pings.len());
        }
    }
}

#[test]
fn invalid_text_fails_before_waiting_for_the_rest_of_the_frame() {
    let mut conn = server(WebSocketConfig::default());
    let mut payload = vec![b'a'; 100_000];
    payload[10] = 0xFF;
    let wire = from_peer(&conn, &[Frame::new(OpCode::Text, payload)]);
    // The header and 100 bytes arrive; the rest never does.
    conn.receive(&wire[..110]);
    assert_eq!(conn.poll_message().expect("validated in batches"), None);
    assert!(conn.before_wait(), "validated before waiting");
    let err = conn.poll_message().expect_err("invalid");
    assert_eq!(err.close_code(), Some(CloseCode::InvalidPayload));
    let sent = written_frames(&mut conn);
    assert_eq!(close_code(&sent[0]), Some(1007));
    // Valid text still arriving: nothing to report.
    let mut conn = server(WebSocketConfig::default());
    let wire = from_peer(&conn, &[Frame::text("é".repeat(50_000))]);
    conn.receive(&wire[..5000]);
    assert_eq!(conn.poll_message().expect("ok"), None);
    assert!(!conn.before_wait());
    conn.receive(&wire[5000..]);
    assert_eq!(
        conn.poll_message().expect("ok"),
        Some(Message::text("é".repeat(50_000)))
    );
}

#[test]
fn control_frames_are_served_while_only_sending() {
    let mut conn = server(WebSocketConfig::default());
    conn.send_fragment(Fragment::Start(
        DataKind::Binary,
        Bytes::from_static(b"piece 1"),
    ))
    .expect("start");
    assert_eq!(written_frames(&mut conn).len(), 1);
    // A ping, a pong and a data message arrive, then another ping behind
    // the data message.
    let wire = from_peer(
        &conn,
        &[
            Frame::ping("p1"),
            Frame::pong("q"),
            Frame::text("data"),
            Frame::ping("p2"),
        ],
    );
    conn.receive(&wire);
    conn.handle_control_frames();
    // The first ping is answered between the pieces; the one behind the
    // data waits for the application.
    conn.send_fragment(Fragment::End(Bytes::from_static(b"piece 2")))
        .expect("end");
    let sent = written_frames(&mut conn);
    let kinds: Vec<(OpCode, Bytes)> = sent.iter().map(|f| (f.opcode, f.payload.clone())).collect();
    assert_eq!(
        kinds,
        [
            (OpCode::Pong, Bytes::from_static(b"p1")),
            (OpCode::Continuation, Bytes::from_static(b"piece 2")),
        ]
    );
    // Everything is still handed out, in order.
    assert_eq!(
        all_messages(&mut conn),
        vec![
            Ok(Message::Ping(Bytes::from_static(b"p1"))),
            Ok(Message::Pong(Bytes::from_static(b"q"))),
            Ok(Message::text("data")),
            Ok(Message::Ping(Bytes::from_static(b"p2"))),
        ]
    );
    // A Close that arrives while sending is answered at once, and handed
    // out.
    let mut conn = client(WebSocketConfig::default());
    let close = from_peer(
        &conn,
        &[Frame::close(Some(&CloseFrame::new(CloseCode::Normal, ""))).unwrap()],
    );
    conn.receive(&close);
    conn.handle_control_frames();
    assert!(conn.is_close_sent() && !conn.is_receiving());
    assert!(matches!(conn.poll_message(), Ok(Some(Message::Close(_)))));
    assert_eq!(conn.poll_message().expect("ok"), None);
}

/// Found by the `connection` fuzz target: bytes that complete a text frame,
/// received after the last poll, must not be lost by `before_wait`.
#[test]
fn before_wait_keeps_a_text_frame_its_bytes_complete() {
    let mut conn = client(WebSocketConfig::default());
    conn.receive(&[0x81, 0x05, b'h']);
    assert_eq!(conn.poll_message().expect("ok"), None);
    conn.receive(b"ello");
    assert!(!conn.before_wait());
    assert_eq!(
        conn.poll_message().expect("ok"),
        Some(Message::text("hello"))
    );
    conn.receive(&[0x81, 0x02, b'o', b'k']);
    assert_eq!(conn.poll_message().expect("ok"), Some(Message::text("ok")));
}

#[test]
fn the_end_of_the_transport_starts_the_close_timer() {
    let t0 = Instant::now();
    let mut conn = server(WebSocketConfig::default());
    conn.send(Message::binary(vec![0u8; 100_000]))
        .expect("queued");
    conn.handle_eof();
    assert!(matches!(conn.poll_message(), Err(Error::ResetWithoutClose)));
    assert!(conn.timers_changed());
    let deadline = conn.poll_timeout(t0).expect("bounded");
    conn.handle_timeout(deadline);
    assert!(conn.is_closed(), "what was queued is given up on");
}
