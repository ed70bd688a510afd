//! The connection: echo of every size, ping/pong, the close handshake in
//! both directions, protocol errors with their close codes, frames in the
//! same read as the handshake, timers, split halves and cancel safety.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{listener, pair, RawClient};
use futures::{SinkExt, StreamExt};
use tether_frame::{CloseCode, CloseFrame, Frame, OpCode};
use tether_ws::{Error, Message, WebSocketConfig};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

fn config() -> WebSocketConfig {
    WebSocketConfig::default()
}

/// Spawns an echo server on `l` with `config`; returns its task.
fn echo_server(
    l: tokio::net::TcpListener,
    config: WebSocketConfig,
) -> tokio::task::JoinHandle<Vec<Result<Message, String>>> {
    tokio::spawn(async move {
        let (tcp, _) = l.accept().await.expect("accept");
        let mut ws = tether_ws::accept_with_config(tcp, config)
            .await
            .expect("handshake");
        let mut seen = Vec::new();
        while let Some(m) = ws.next().await {
            match m {
                Ok(m) => {
                    if matches!(m, Message::Text(_) | Message::Binary(_)) {
                        ws.send(m.clone()).await.expect("echo");
                    }
                    seen.push(Ok(m));
                }
                Err(e) => seen.push(Err(format!("{e:?}"))),
            }
        }
        seen
    })
}

#[tokio::test]
async fn echo_from_empty_to_16_mib() {
    let (mut server, mut client) = pair(config(), config()).await;
    let task = tokio::spawn(async move {
        while let Some(m) = server.next().await {
            let m = m.expect("valid");
            if !m.is_control() {
                server.send(m).await.expect("echo");
            }
        }
    });
    for size in [0usize, 1, 125, 126, 127, 65535, 65536, 1 << 20, 16 << 20] {
        let payload: Vec<u8> = (0..size).map(|i| (i * 7 + size) as u8).collect();
        client
            .send(Message::binary(payload.clone()))
            .await
            .expect("send");
        assert_eq!(
            client.next().await.expect("open").expect("valid"),
            Message::binary(payload)
        );
        let text: String = "é€😀x".chars().cycle().take(size / 3).collect();
        client
            .send(Message::text(text.clone()))
            .await
            .expect("send");
        assert_eq!(
            client.next().await.expect("open").expect("valid"),
            Message::text(text)
        );
    }
    client.close().await.expect("close");
    task.await.expect("server");
}

#[tokio::test]
async fn fragmented_messages_both_ways() {
    let small = WebSocketConfig::default()
        .with_message_config(tether_ws::MessageConfig::default().with_fragment_size(Some(64)));
    let (mut server, mut client) = pair(small.clone(), small).await;
    let message = Message::text("fragmented ü".repeat(1000));
    client.send(message.clone()).await.expect("send");
    assert_eq!(server.next().await.expect("open").expect("valid"), message);
    server.send(message.clone()).await.expect("send");
    assert_eq!(client.next().await.expect("open").expect("valid"), message);
}

#[tokio::test]
async fn pings_are_answered_and_handed_to_the_application() {
    let (mut server, mut client) = pair(config(), config()).await;
    let task = tokio::spawn(async move {
        let first = server.next().await.expect("open").expect("valid");
        assert_eq!(first, Message::Ping(Bytes::from_static(b"are you there")));
        // Keep reading so the close completes.
        while server.next().await.is_some() {}
    });
    client
        .send(Message::Ping(Bytes::from_static(b"are you there")))
        .await
        .expect("ping");
    let pong = client.next().await.expect("open").expect("valid");
    assert_eq!(pong, Message::Pong(Bytes::from_static(b"are you there")));
    client.close().await.expect("close");
    task.await.expect("server");
}

#[tokio::test]
async fn when_pings_pile_up_the_latest_is_answered() {
    let (l, url) = listener().await;
    let addr = url.trim_start_matches("ws://").to_owned();
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.expect("accept");
        let ws = tether_ws::accept(tcp).await.expect("handshake");
        let (mut tx, mut rx) = ws.split();
        // The writer is stuck on a message larger than the socket buffers
        // while the client is not reading.
        let writer = tokio::spawn(async move {
            tx.send(Message::binary(vec![0u8; 32 << 20]))
                .await
                .expect("big");
            tx
        });
        let mut pings = 0;
        while let Some(m) = rx.next().await {
            if let Message::Ping(_) = m.expect("valid") {
                pings += 1;
                if pings == 10 {
                    break;
                }
            }
        }
        let tx = writer.await.expect("writer");
        (tx.reunite(rx).expect("same stream"), pings)
    });
    let mut raw = RawClient::connect(&addr, b"").await;
    // Let the server's writer fill the socket buffers first.
    tokio::time::sleep(Duration::from_millis(200)).await;
    for i in 0..10u8 {
        raw.send(&[Frame::ping(vec![i])]).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    let mut pongs = Vec::new();
    let mut big = false;
    while pongs.is_empty() {
        let frame = raw.next().await.expect("open");
        match frame.opcode {
            OpCode::Binary => big = true,
            OpCode::Pong => pongs.push(frame.payload.to_vec()),
            other => panic!("{other:?}"),
        }
    }
    assert!(big, "the big message came first");
    let (_ws, pings) = server.await.expect("server");
    assert_eq!(pings, 10);
    // Only the latest ping was answered.
    assert_eq!(pongs, vec![vec![9u8]]);
}

#[tokio::test]
async fn the_client_closes_and_the_server_echoes_the_code() {
    let (mut server, mut client) = pair(config(), config()).await;
    let close = CloseFrame::new(CloseCode::from(4001), "bye now");
    client
        .send(Message::Close(Some(close.clone())))
        .await
        .expect("close");
    // Nothing is sent after a Close.
    assert!(matches!(
        client.send(Message::text("late")).await,
        Err(Error::ConnectionClosed)
    ));
    assert_eq!(
        server.next().await.expect("open").expect("valid"),
        Message::Close(Some(close))
    );
    // The server closes TCP after the handshake: its stream ends.
    assert!(server.next().await.is_none());
    let echo = client.next().await.expect("open").expect("valid");
    assert_eq!(
        echo,
        Message::Close(Some(CloseFrame::new(CloseCode::from(4001), "")))
    );
    assert!(client.next().await.is_none());
}

#[tokio::test]
async fn the_server_closes_and_the_client_echoes() {
    let (mut server, mut client) = pair(config(), config()).await;
    server
        .send(Message::Close(Some(CloseFrame::new(
            CloseCode::GoingAway,
            "",
        ))))
        .await
        .expect("close");
    let got = client.next().await.expect("open").expect("valid");
    assert_eq!(
        got,
        Message::Close(Some(CloseFrame::new(CloseCode::GoingAway, "")))
    );
    let echo = server.next().await.expect("open").expect("valid");
    assert_eq!(
        echo,
        Message::Close(Some(CloseFrame::new(CloseCode::GoingAway, "")))
    );
    assert!(server.next().await.is_none());
    assert!(client.next().await.is_none());
}

#[tokio::test]
async fn close_with_sink_close_waits_for_the_reply() {
    let (l, url) = listener().await;
    let server = echo_server(l, config());
    let (mut client, _) = tether_ws::connect(&format!("{url}/"))
        .await
        .expect("connect");
    client.send(Message::text("one")).await.expect("send");
    // close() sends 1000, waits for the server's Close (discarding the echo
    // of "one" if it arrives first) and closes the transport.
    client.close().await.expect("close");
    let seen = server.await.expect("server");
    assert_eq!(seen.first(), Some(&Ok(Message::text("one"))));
    assert_eq!(
        seen.last(),
        Some(&Ok(Message::Close(Some(CloseFrame::new(
            CloseCode::Normal,
            ""
        )))))
    );
}

#[tokio::test]
async fn protocol_errors_close_with_the_mapped_code() {
    let cases: Vec<(Vec<u8>, u16)> =
        vec![
        // Unmasked frame to a server: 1002.
        (vec![0x81, 0x02, b'h', b'i'], 1002),
        // Reserved opcode: 1002.
        (
            common::client_frame_bytes(&Frame::new(OpCode::Text, "x"))
                .iter()
                .enumerate()
                .map(|(i, b)| if i == 0 { 0x83 } else { *b })
                .collect(),
            1002,
        ),
        // Invalid UTF-8: 1007.
        (
            common::client_frame_bytes(&Frame::new(OpCode::Text, &b"\xff"[..])),
            1007,
        ),
        // Continuation without a message: 1002.
        (
            common::client_frame_bytes(&Frame::continuation(&b"x"[..], true)),
            1002,
        ),
        // A frame over the 16 MiB default limit, from its header: 1009.
        (
            vec![0x82, 0xFF, 0, 0, 0, 0, 0x10, 0, 0, 0, 1, 2, 3, 4],
            1009,
        ),
        // RSV1 without a negotiated extension: 1002.
        (vec![0xC1, 0x80, 1, 2, 3, 4], 1002),
        // A fragmented ping: 1002.
        (vec![0x09, 0x80, 1, 2, 3, 4], 1002),
        // A ping of 126 bytes: 1002.
        ([&[0x89u8, 0xFE, 0, 126, 0, 0, 0, 0][..], &[0u8; 126][..]].concat(), 1002),
        // Close payloads: one byte, a code that may not be sent (1005, 999,
        // 1016, 5000), a reason that is not UTF-8 (1007).
        (vec![0x88, 0x81, 0, 0, 0, 0, 0x03], 1002),
        (vec![0x88, 0x82, 0, 0, 0, 0, 0x03, 0xED], 1002),
        (vec![0x88, 0x82, 0, 0, 0, 0, 0x03, 0xE7], 1002),
        (vec![0x88, 0x82, 0, 0, 0, 0, 0x03, 0xF8], 1002),
        (vec![0x88, 0x82, 0, 0, 0, 0, 0x13, 0x88], 1002),
        (vec![0x88, 0x83, 0, 0, 0, 0, 0x03, 0xE8, 0xFF], 1007),
        // Invalid UTF-8 in the second fragment of a text message: 1007.
        (
            [
                &common::client_frame_bytes(&Frame::new(OpCode::Text, "ok").with_fin(false))[..],
                &common::client_frame_bytes(&Frame::continuation(&b"\xc0\xaf"[..], true))[..],
            ]
            .concat(),
            1007,
        ),
    ];
    for (bytes, code) in cases {
        let (l, url) = listener().await;
        let server = echo_server(l, config());
        let mut raw = RawClient::connect(url.trim_start_matches("ws://"), &bytes).await;
        let frames = raw.until_eof().await;
        let close = frames
            .iter()
            .find(|f| f.opcode == OpCode::Close)
            .expect("a close frame");
        assert_eq!(
            u16::from_be_bytes([close.payload[0], close.payload[1]]),
            code
        );
        let seen = server.await.expect("server");
        assert!(matches!(seen.last(), Some(Err(_))), "{seen:?}");
    }
}

#[tokio::test]
async fn a_close_between_fragments_is_an_ordinary_close() {
    let (l, url) = listener().await;
    let server = echo_server(l, config());
    let mut raw = RawClient::connect(url.trim_start_matches("ws://"), b"").await;
    raw.send(&[
        Frame::new(OpCode::Text, "half").with_fin(false),
        Frame::close(Some(&CloseFrame::new(CloseCode::Normal, "mid"))).expect("close"),
    ])
    .await;
    let frames = raw.until_eof().await;
    assert_eq!(frames.len(), 1);
    assert_eq!(&frames[0].payload[..], &[0x03, 0xE8]);
    let seen = server.await.expect("server");
    assert_eq!(
        seen,
        vec![Ok(Message::Close(Some(CloseFrame::new(
            CloseCode::Normal,
            "mid"
        ))))]
    );
}

#[tokio::test]
async fn frames_in_the_same_read_as_the_handshake_are_kept() {
    let (l, url) = listener().await;
    let server = echo_server(l, config());
    let mut frames = common::client_frame_bytes(&Frame::text("first"));
    frames.extend(common::client_frame_bytes(&Frame::binary(&b"second"[..])));
    let mut raw = RawClient::connect(url.trim_start_matches("ws://"), &frames).await;
    assert_eq!(&raw.next().await.expect("echo").payload[..], b"first");
    assert_eq!(&raw.next().await.expect("echo").payload[..], b"second");
    raw.send(&[Frame::close(None).expect("close")]).await;
    raw.until_eof().await;
    server.await.expect("server");
}

#[tokio::test]
async fn a_client_keeps_frames_that_come_with_the_101() {
    let (l, url) = listener().await;
    let server = tokio::spawn(async move {
        let (mut tcp, _) = l.accept().await.expect("accept");
        let mut buf = vec![0u8; 4096];
        let mut got = Vec::new();
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = tcp.read(&mut buf).await.expect("read");
            got.extend_from_slice(&buf[..n]);
        }
        let text = String::from_utf8(got).expect("ascii");
        let key = text
            .lines()
            .find_map(|l| l.strip_prefix("Sec-WebSocket-Key: "))
            .expect("key")
            .trim()
            .to_owned();
        let accept = tether_ws::handshake::accept_key(key.as_bytes());
        let mut answer = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {accept}\r\n\r\n"
        )
        .into_bytes();
        answer.extend_from_slice(b"\x81\x05hello\x82\x00");
        tcp.write_all(&answer).await.expect("write");
        tokio::time::sleep(Duration::from_millis(300)).await;
    });
    let (mut client, _) = tether_ws::connect(&format!("{url}/"))
        .await
        .expect("connect");
    assert_eq!(
        client.next().await.expect("open").expect("valid"),
        Message::text("hello")
    );
    assert_eq!(
        client.next().await.expect("open").expect("valid"),
        Message::binary(Vec::new())
    );
    server.await.expect("server");
}

#[tokio::test]
async fn the_transport_ending_without_a_close_is_reported() {
    let (l, url) = listener().await;
    let server = echo_server(l, config());
    let raw = RawClient::connect(url.trim_start_matches("ws://"), b"").await;
    drop(raw);
    let seen = server.await.expect("server");
    assert_eq!(seen.len(), 1);
    assert!(
        seen[0]
            .as_ref()
            .is_err_and(|e| e.contains("ResetWithoutClose")),
        "{seen:?}"
    );
}

#[tokio::test]
async fn keepalive_pings_and_idle_timeout() {
    // The server pings an idle client; the client answers (automatically),
    // so the connection stays up past several intervals.
    let server_config = WebSocketConfig::default()
        .with_ping_interval(Some(Duration::from_millis(100)))
        .with_idle_timeout(Some(Duration::from_millis(1000)));
    let (mut server, mut client) = pair(server_config, config()).await;
    let task = tokio::spawn(async move {
        let mut pongs = 0;
        while let Some(m) = server.next().await {
            match m {
                Ok(Message::Pong(_)) => pongs += 1,
                Ok(Message::Text(t)) if t.as_str() == "done" => break,
                other => panic!("{other:?}"),
            }
        }
        (pongs, server)
    });
    let mut pings = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(700);
    while tokio::time::Instant::now() < deadline {
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(50), client.next()).await {
            assert!(matches!(m.expect("valid"), Message::Ping(_)));
            pings += 1;
        }
    }
    client.send(Message::text("done")).await.expect("send");
    let (pongs, _server) = task.await.expect("server");
    assert!(pings >= 2, "pings {pings}");
    assert!(pongs >= 2, "pongs {pongs}");

    // A raw client that never answers is dropped after the idle timeout,
    // with close code 1001.
    let (l, url) = listener().await;
    let idle = WebSocketConfig::default().with_idle_timeout(Some(Duration::from_millis(200)));
    let server = echo_server(l, idle);
    let mut raw = RawClient::connect(url.trim_start_matches("ws://"), b"").await;
    let frames = raw.until_eof().await;
    let close = frames
        .iter()
        .find(|f| f.opcode == OpCode::Close)
        .expect("close");
    assert_eq!(&close.payload[..2], &1001u16.to_be_bytes());
    let seen = server.await.expect("server");
    assert!(seen
        .last()
        .is_some_and(|r| r.as_ref().is_err_and(|e| e.contains("IdleTimeout"))));
}

#[tokio::test]
async fn split_halves_in_two_tasks_and_select_is_cancel_safe() {
    let (server, mut client) = pair(config(), config()).await;
    let (mut tx, mut rx) = server.split();
    // The server echoes through a channel between its two halves.
    let (queue, mut dequeue) = tokio::sync::mpsc::channel::<Message>(16);
    let reader = tokio::spawn(async move {
        while let Some(m) = rx.next().await {
            let m = m.expect("valid");
            if !m.is_control() && queue.send(m).await.is_err() {
                break;
            }
        }
    });
    let writer = tokio::spawn(async move {
        while let Some(m) = dequeue.recv().await {
            tx.send(m).await.expect("send");
        }
    });
    // The client races next() against a short timer in select!: a cancelled
    // next() must lose nothing.
    const N: usize = 1000;
    let mut received = Vec::new();
    let mut sent = 0;
    while received.len() < N {
        if sent < N && sent - received.len() < 32 {
            client_send(&mut client, sent).await;
            sent += 1;
            continue;
        }
        tokio::select! {
            m = client.next() => {
                let m = m.expect("open").expect("valid");
                received.push(m.as_text().expect("text").to_owned());
            }
            _ = tokio::time::sleep(Duration::from_micros(50)) => {}
        }
    }
    let want: Vec<String> = (0..N)
        .map(|i| format!("message {i} {}", "x".repeat(i % 300)))
        .collect();
    assert_eq!(received, want);
    client.close().await.expect("close");
    reader.await.expect("reader");
    writer.await.expect("writer");
}

async fn client_send(client: &mut tether_ws::WebSocketStream<tether_ws::MaybeTlsStream>, i: usize) {
    client
        .send(Message::text(format!(
            "message {i} {}",
            "x".repeat(i % 300)
        )))
        .await
        .expect("send");
}

#[tokio::test]
async fn a_full_write_buffer_makes_poll_ready_wait() {
    // A client that does not read: once the socket buffers are full and the
    // queue holds more than write_buffer_size, poll_ready pends (feed does
    // not complete), and nothing fed before is lost.
    let limit = 64 << 10;
    let config = WebSocketConfig::default().with_write_buffer_size(limit);
    let (mut server, mut client) = pair(config, WebSocketConfig::default()).await;
    let chunk = Message::binary(vec![7u8; 16 << 10]);
    let mut fed = 0usize;
    // Until a feed stays pending in poll_ready (that message is not queued).
    while let Ok(r) =
        tokio::time::timeout(Duration::from_millis(300), server.feed(chunk.clone())).await
    {
        r.expect("feed");
        fed += 1;
        assert!(fed < 100_000, "poll_ready never pended");
    }
    let queued = server.queued_bytes();
    assert!(queued >= limit, "pended with only {queued} bytes queued");
    assert!(
        queued < limit + (16 << 10) + 14,
        "queue grew past its bound: {queued}"
    );
    let reader = tokio::spawn(async move {
        let mut n = 0usize;
        while let Some(m) = client.next().await {
            match m.expect("valid") {
                Message::Binary(b) => {
                    assert!(b.len() == 16 << 10 && b.iter().all(|x| *x == 7));
                    n += 1;
                }
                Message::Close(_) => {}
                other => panic!("{other:?}"),
            }
        }
        n
    });
    server.close().await.expect("close");
    assert_eq!(reader.await.expect("reader"), fed);
}

#[tokio::test]
async fn the_wait_for_a_close_reply_is_bounded() {
    // The server closes; the raw client never answers and keeps the socket
    // open: the server gives up after close_timeout and closes TCP.
    let (l, url) = listener().await;
    let config = WebSocketConfig::default().with_close_timeout(Duration::from_millis(200));
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.expect("accept");
        let mut ws = tether_ws::accept_with_config(tcp, config)
            .await
            .expect("handshake");
        ws.send(Message::Close(Some(CloseFrame::new(CloseCode::Normal, ""))))
            .await
            .expect("close");
        let started = tokio::time::Instant::now();
        assert!(ws.next().await.is_none());
        started.elapsed()
    });
    let mut raw = RawClient::connect(url.trim_start_matches("ws://"), b"").await;
    let close = raw.next().await.expect("close frame");
    assert_eq!(close.opcode, OpCode::Close);
    // The server closes TCP on its own.
    assert!(raw.next().await.is_none());
    let waited = server.await.expect("server");
    assert!(waited < Duration::from_secs(3), "{waited:?}");
}
