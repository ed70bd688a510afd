//! A tether client against a tether server with permessage-deflate, for
//! every parameter combination (no context takeover on either side, window
//! bits 8 to 15 each side, requested by the client or imposed by the
//! server), and every size from 0 B to 16 MiB, also in 64-byte fragments.

mod common;
mod deflate_common;

use std::time::Duration;

use deflate_common::{config, echo_all, echo_server, messages};
use futures::{SinkExt, StreamExt};
use tether_ws::handshake::client::ClientRequest;
use tether_ws::{DeflateConfig, Message, WebSocketConfig};
use tokio::net::TcpListener;

const LIMIT: Duration = Duration::from_secs(120);

/// Opens a connection with these configurations, checks that both ends
/// agree on the parameters, echoes `sent`, closes; returns the parameters.
async fn round_trip(
    server: WebSocketConfig,
    client: WebSocketConfig,
    sent: &[Message],
) -> tether_message::DeflateParams {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}/", l.local_addr().expect("addr"));
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.expect("accept");
        let ws = tether_ws::accept_with_config(tcp, server)
            .await
            .expect("handshake");
        let params = ws.deflate().cloned();
        echo_server(ws).await;
        params
    });
    let request = ClientRequest::new(url.parse().expect("url")).expect("request");
    let (mut ws, _) = tether_ws::connect_with_config(request, client)
        .await
        .expect("client handshake");
    let params = ws.deflate().cloned().expect("negotiated");
    echo_all(&mut ws, sent).await;
    ws.close().await.expect("close");
    let server_params = server.await.expect("server");
    assert_eq!(server_params.as_ref(), Some(&params));
    params
}

/// Small messages of every kind, then a random 20 KiB block repeated (a
/// match 20 KiB back, beyond every window but 15 bits) twice (the second
/// time, a match in the previous message with context takeover).
fn small() -> Vec<Message> {
    let mut out = messages(1000);
    let block = deflate_common::random_bytes(20 << 10, 7);
    let repeated = bytes::Bytes::from([block.clone(), block].concat());
    out.push(Message::Binary(repeated.clone()));
    out.push(Message::Binary(repeated));
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_combination_the_client_requests() {
    let sent = small();
    tokio::time::timeout(LIMIT, async {
        for snct in [false, true] {
            for cnct in [false, true] {
                for sb in 8..=15u8 {
                    for cb in 8..=15u8 {
                        let client = DeflateConfig::enabled()
                            .with_server_no_context_takeover(snct)
                            .with_client_no_context_takeover(cnct)
                            .with_server_max_window_bits(sb)
                            .with_client_max_window_bits(cb);
                        let p = round_trip(
                            config(DeflateConfig::enabled(), None),
                            config(client, None),
                            &sent,
                        )
                        .await;
                        assert_eq!(
                            (
                                p.server_no_context_takeover,
                                p.client_no_context_takeover,
                                p.server_max_window_bits,
                                p.client_max_window_bits
                            ),
                            (snct, cnct, sb, cb)
                        );
                    }
                }
            }
        }
    })
    .await
    .expect("in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_combination_the_server_imposes() {
    let sent = small();
    tokio::time::timeout(LIMIT, async {
        for snct in [false, true] {
            for cnct in [false, true] {
                for sb in 8..=15u8 {
                    for cb in 8..=15u8 {
                        let server = DeflateConfig::enabled()
                            .with_server_no_context_takeover(snct)
                            .with_client_no_context_takeover(cnct)
                            .with_server_max_window_bits(sb)
                            .with_client_max_window_bits(cb);
                        let p = round_trip(
                            config(server, None),
                            config(DeflateConfig::enabled(), None),
                            &sent,
                        )
                        .await;
                        assert_eq!(
                            (
                                p.server_no_context_takeover,
                                p.client_no_context_takeover,
                                p.server_max_window_bits,
                                p.client_max_window_bits
                            ),
                            (snct, cnct, sb, cb)
                        );
                    }
                }
            }
        }
    })
    .await
    .expect("in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_size_up_to_16_mib_in_one_frame_and_in_64_byte_fragments() {
    let sent = messages(16 << 20);
    tokio::time::timeout(LIMIT * 2, async {
        // Context takeover both ways, then none, then small windows.
        round_trip(
            config(DeflateConfig::enabled(), None),
            config(DeflateConfig::enabled(), None),
            &sent,
        )
        .await;
        round_trip(
            config(DeflateConfig::enabled(), Some(64)),
            config(DeflateConfig::enabled(), Some(64)),
            &sent,
        )
        .await;
        round_trip(
            config(
                DeflateConfig::enabled()
                    .with_server_no_context_takeover(true)
                    .with_client_no_context_takeover(true)
                    .with_server_max_window_bits(9)
                    .with_client_max_window_bits(8),
                Some(64),
            ),
            config(DeflateConfig::enabled(), None),
            &sent,
        )
        .await;
    })
    .await
    .expect("in time");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn streamed_messages_compressed_both_ways() {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}/", l.local_addr().expect("addr"));
    let text = deflate_common::compressible_text(300_000);
    let expected = text.clone();
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.expect("accept");
        let mut ws = tether_ws::accept_with_config(tcp, config(DeflateConfig::enabled(), None))
            .await
            .expect("handshake");
        // Receive in chunks, send back as a stream of the same chunks.
        let mut got = Vec::new();
        loop {
            let chunk = ws.next_chunk().await.expect("a chunk").expect("valid");
            let (data, last) = match chunk {
                tether_ws::MessageChunk::Text { data, last, .. } => {
                    (bytes::Bytes::copy_from_slice(data.as_bytes()), last)
                }
                tether_ws::MessageChunk::Binary { data, last, .. } => (data, last),
                tether_ws::MessageChunk::Control(_) => continue,
            };
            got.push(data);
            if last {
                break;
            }
        }
        let whole: Vec<u8> = got.iter().flat_map(|b| b.iter().copied()).collect();
        assert_eq!(whole, expected.as_bytes());
        let pieces = futures::stream::iter(got.into_iter().map(Ok::<_, tether_ws::Error>));
        ws.send_stream(tether_ws::DataKind::Text, pieces)
            .await
            .expect("send_stream");
        let _ = ws.next().await;
    });
    let request = ClientRequest::new(url.parse().expect("url")).expect("request");
    let (mut ws, _) =
        tether_ws::connect_with_config(request, config(DeflateConfig::enabled(), None))
            .await
            .expect("client handshake");
    let pieces = text
        .as_bytes()
        .chunks(7_000)
        .map(|c| Ok::<_, tether_ws::Error>(bytes::Bytes::copy_from_slice(c)))
        .collect::<Vec<_>>();
    ws.send_stream(tether_ws::DataKind::Text, futures::stream::iter(pieces))
        .await
        .expect("send_stream");
    let back = tokio::time::timeout(LIMIT, ws.next())
        .await
        .expect("in time")
        .expect("echo")
        .expect("valid");
    assert_eq!(back, Message::text(text));
    ws.close().await.expect("close");
    server.await.expect("server");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compressed_on_the_wire_unless_opted_out() {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.expect("accept");
        let ws = tether_ws::accept_with_config(tcp, config(DeflateConfig::enabled(), None))
            .await
            .expect("handshake");
        echo_server(ws).await;
    });
    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let io = deflate_common::Tap::counting(tcp);
    let written = io.written.clone();
    let request =
        ClientRequest::new(format!("ws://{addr}/").parse().expect("url")).expect("request");
    let (mut ws, _) =
        tether_ws::client_handshake(io, request, config(DeflateConfig::enabled(), None))
            .await
            .expect("handshake");
    let load = || written.load(std::sync::atomic::Ordering::Relaxed);
    let text = Message::text(deflate_common::compressible_text(1 << 20));
    let before = load();
    echo_all(&mut ws, std::slice::from_ref(&text)).await;
    let compressed = load() - before;
    assert!(
        compressed < 100_000,
        "1 MiB of JSON-like text took {compressed} bytes"
    );
    let before = load();
    ws.next_uncompressed();
    ws.send(text.clone()).await.expect("send");
    let _ = ws.next().await.expect("echo").expect("valid");
    let plain = load() - before;
    assert!(plain > 1 << 20, "opted out, yet {plain} bytes");
    // The opt-out was for one message only.
    let before = load();
    echo_all(&mut ws, std::slice::from_ref(&text)).await;
    assert!(load() - before < 100_000);
    ws.close().await.expect("close");
    server.await.expect("server");
}

/// The headers of the frames in `wire`, a server's bytes after its
/// handshake response.
fn frame_headers(wire: &[u8]) -> Vec<tether_frame::FrameHeader> {
    let start = wire
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("the handshake response")
        + 4;
    let mut rest = &wire[start..];
    let mut out = Vec::new();
    while let Some((header, len)) = tether_frame::FrameHeader::parse(rest).expect("a frame") {
        let end = len + usize::try_from(header.payload_len).expect("length");
        rest = &rest[end..];
        out.push(header);
    }
    assert!(rest.is_empty(), "{} bytes after the last frame", rest.len());
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn split_sink_sends_outgoing_uncompressed_without_rsv1() {
    use tether_frame::{OpCode, Rsv};
    use tether_ws::Outgoing;

    let text = |i: usize| Message::text(format!("{i}{}", deflate_common::compressible_text(4096)));
    let binary = |i: usize| {
        Message::Binary(bytes::Bytes::from(
            format!("{i}{}", deflate_common::compressible_text(4096)).into_bytes(),
        ))
    };
    // The server's writing half sends these, in this order.
    let sent = vec![
        Outgoing::new(text(0)),
        Outgoing::uncompressed(text(1)),
        binary(2).into(),
        Outgoing::uncompressed(binary(3)),
        // A control message ignores the flag and does not use it up.
        Outgoing::uncompressed(Message::Ping("p".into())),
        Outgoing::new(text(4)).with_compress(true),
        Outgoing::new(text(5)).with_compress(false),
        text(6).into(),
    ];
    let expected = [
        (OpCode::Text, true),
        (OpCode::Text, false),
        (OpCode::Binary, true),
        (OpCode::Binary, false),
        (OpCode::Ping, false),
        (OpCode::Text, true),
        (OpCode::Text, false),
        (OpCode::Text, true),
    ];

    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    let to_send = sent.clone();
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await.expect("accept");
        let ws = tether_ws::accept_with_config(tcp, config(DeflateConfig::enabled(), None))
            .await
            .expect("handshake");
        assert!(ws.deflate().is_some());
        // A reader task and a writer task, as applications do.
        let (mut tx, mut rx) = ws.split::<Outgoing>();
        let reader = tokio::spawn(async move {
            let mut received = Vec::new();
            while let Some(m) = rx.next().await {
                received.push(m.expect("valid"));
            }
            received
        });
        for item in to_send {
            tx.send(item).await.expect("send");
        }
        let received = reader.await.expect("reader");
        assert!(
            matches!(received.last(), Some(Message::Close(_))),
            "the reader saw {received:?}"
        );
    });

    let tcp = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let io = deflate_common::Tap::recording(tcp);
    let read = io.read.clone().expect("recording");
    let request =
        ClientRequest::new(format!("ws://{addr}/").parse().expect("url")).expect("request");
    let (mut ws, _) =
        tether_ws::client_handshake(io, request, config(DeflateConfig::enabled(), None))
            .await
            .expect("handshake");
    assert!(ws.deflate().is_some());
    for (i, item) in sent.iter().enumerate() {
        let got = ws.next().await.expect("a message").expect("valid");
        assert!(got == item.message, "message {i} came back different");
    }
    ws.close().await.expect("close");
    server.await.expect("server");

    let wire = read.lock().expect("lock").clone();
    let headers = frame_headers(&wire);
    let data: Vec<(OpCode, bool)> = headers
        .iter()
        .filter(|h| h.opcode != OpCode::Close)
        .map(|h| (h.opcode, h.rsv == Rsv::RSV1))
        .collect();
    assert_eq!(data, expected);
    for (h, item) in headers.iter().zip(&sent) {
        assert!(h.fin, "one frame per message");
        if item.message.is_control() {
            continue;
        }
        let len = u64::try_from(item.message.len()).expect("length");
        if h.rsv == Rsv::RSV1 {
            assert!(h.payload_len < len / 4, "{} of {len} bytes", h.payload_len);
        } else {
            assert_eq!(h.payload_len, len, "an uncompressed message is its bytes");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_on_either_side_means_uncompressed() {
    for (server, client) in [
        (DeflateConfig::default(), DeflateConfig::enabled()),
        (DeflateConfig::enabled(), DeflateConfig::default()),
    ] {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let url = format!("ws://{}/", l.local_addr().expect("addr"));
        let task = tokio::spawn(async move {
            let (tcp, _) = l.accept().await.expect("accept");
            let ws = tether_ws::accept_with_config(tcp, config(server, None))
                .await
                .expect("handshake");
            assert!(ws.deflate().is_none());
            echo_server(ws).await;
        });
        let request = ClientRequest::new(url.parse().expect("url")).expect("request");
        let (mut ws, _) = tether_ws::connect_with_config(request, config(client, None))
            .await
            .expect("client handshake");
        assert!(ws.deflate().is_none());
        echo_all(&mut ws, &messages(70_000)).await;
        ws.close().await.expect("close");
        task.await.expect("server");
    }
}
