//! The encoder: client masking with fresh keys, the caller's payload never
//! modified, the header-only vectored path, and round trips over real I/O.

use bytes::{Buf, Bytes, BytesMut};
use futures::{SinkExt, StreamExt};
use tether_frame::{Frame, FrameCodec, FrameHeader, OpCode, Role};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio_util::codec::{Decoder, Encoder, FramedRead, FramedWrite};

fn decode_one(role: Role, wire: &[u8]) -> Frame {
    let mut buf = BytesMut::from(wire);
    let frame = FrameCodec::new(role)
        .decode(&mut buf)
        .expect("valid")
        .expect("complete");
    assert!(buf.is_empty());
    frame
}

#[test]
fn a_client_masks_with_a_fresh_key_per_frame() {
    let mut codec = FrameCodec::new(Role::Client);
    let mut keys = std::collections::HashSet::new();
    for _ in 0..64 {
        let mut out = BytesMut::new();
        codec
            .encode(Frame::binary(&b"same payload"[..]), &mut out)
            .expect("ok");
        let (header, n) = FrameHeader::parse(&out).expect("valid").expect("whole");
        let key = header.mask.expect("client frames are masked");
        keys.insert(key);
        assert_ne!(&out[n..], b"same payload", "payload is masked on the wire");
        assert_eq!(&decode_one(Role::Server, &out).payload[..], b"same payload");
    }
    // 64 draws from a CSPRNG: a repeat would be a 1-in-67-million event.
    assert_eq!(keys.len(), 64);
}

#[test]
fn a_server_never_masks() {
    let mut codec = FrameCodec::new(Role::Server);
    let mut out = BytesMut::new();
    codec.encode(Frame::text("hi"), &mut out).expect("ok");
    assert_eq!(&out[..], b"\x81\x02hi");
}

#[test]
fn a_shared_payload_is_never_modified_by_client_masking() {
    let mut codec = FrameCodec::new(Role::Client);
    let original: Bytes = Bytes::from((0..5000u32).map(|i| i as u8).collect::<Vec<u8>>());
    let kept = original.clone();

    // The vectored path with a shared buffer copies before masking.
    let encoded = codec
        .encode_frame(Frame::binary(original.clone()))
        .expect("ok");
    assert_eq!(original, kept);
    let mut wire = BytesMut::new();
    wire.extend_from_slice(encoded.header());
    wire.extend_from_slice(encoded.payload());
    assert_eq!(decode_one(Role::Server, &wire).payload, kept);

    // The Encoder impl writes a masked copy.
    let mut out = BytesMut::new();
    codec
        .encode(Frame::binary(original.clone()), &mut out)
        .expect("ok");
    assert_eq!(original, kept);
    assert_eq!(decode_one(Role::Server, &out).payload, kept);

    // A static payload cannot be written to at all; it is copied too.
    let encoded = codec
        .encode_frame(Frame::binary(Bytes::from_static(b"static")))
        .expect("ok");
    assert_eq!(encoded.payload().len(), 6);
}

#[test]
fn a_unique_payload_is_masked_in_place_without_a_copy() {
    let mut codec = FrameCodec::new(Role::Client);
    let data = vec![0xAB; 100_000];
    let payload = Bytes::from(data);
    let address = payload.as_ptr();
    let encoded = codec.encode_frame(Frame::binary(payload)).expect("ok");
    assert_eq!(encoded.payload().as_ptr(), address, "same buffer, no copy");
    let mut wire = BytesMut::new();
    wire.extend_from_slice(encoded.header());
    wire.extend_from_slice(encoded.payload());
    assert_eq!(
        &decode_one(Role::Server, &wire).payload[..],
        &vec![0xAB; 100_000][..]
    );

    // A server passes the payload through untouched.
    let mut server = FrameCodec::new(Role::Server);
    let payload = Bytes::from(vec![1u8; 300]);
    let address = payload.as_ptr();
    let encoded = server.encode_frame(Frame::binary(payload)).expect("ok");
    assert_eq!(encoded.payload().as_ptr(), address);
    assert_eq!(encoded.header(), &[0x82, 126, 1, 44]);
}

#[test]
fn encoded_frame_is_a_buf_of_two_slices() {
    let mut codec = FrameCodec::new(Role::Server);
    let mut encoded = codec
        .encode_frame(Frame::binary(vec![9u8; 200]))
        .expect("ok");
    assert_eq!(encoded.remaining(), 4 + 200);
    {
        let mut slices = [std::io::IoSlice::new(&[]); 4];
        assert_eq!(encoded.chunks_vectored(&mut slices), 2);
        assert_eq!(slices[0].len(), 4);
        assert_eq!(slices[1].len(), 200);
    }
    // Partial writes: advance into the header, then into the payload.
    encoded.advance(3);
    assert_eq!(encoded.chunk(), &[200]);
    encoded.advance(1 + 150);
    assert_eq!(encoded.chunk().len(), 50);
    {
        let mut slices = [std::io::IoSlice::new(&[]); 4];
        assert_eq!(encoded.chunks_vectored(&mut slices), 1);
    }
    encoded.advance(50);
    assert_eq!(encoded.remaining(), 0);
}

#[tokio::test]
async fn vectored_writes_over_a_socket_decode_on_the_other_side() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let sender = tokio::spawn(async move {
        let mut socket = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let mut codec = FrameCodec::new(Role::Client);
        for i in 0..50usize {
            let payload = Bytes::from(vec![i as u8; i * 997]);
            let mut encoded = codec.encode_frame(Frame::binary(payload)).expect("ok");
            socket.write_all_buf(&mut encoded).await.expect("write");
        }
        socket.shutdown().await.expect("shutdown");
    });
    let (socket, _) = listener.accept().await.expect("accept");
    let mut frames = FramedRead::new(socket, FrameCodec::new(Role::Server));
    for i in 0..50usize {
        let frame = frames.next().await.expect("frame").expect("valid");
        assert_eq!(frame.opcode, OpCode::Binary);
        assert_eq!(frame.payload.len(), i * 997);
        assert!(frame.payload.iter().all(|b| *b == i as u8));
    }
    assert!(frames.next().await.is_none(), "clean end of stream");
    sender.await.expect("sender");
}

#[tokio::test]
async fn framed_both_ways_over_a_tiny_pipe() {
    // A 7-byte pipe forces every frame through many partial reads and writes.
    let (a, b) = tokio::io::duplex(7);
    let (a_read, a_write) = tokio::io::split(a);
    let (b_read, b_write) = tokio::io::split(b);
    let mut client_tx = FramedWrite::new(a_write, FrameCodec::new(Role::Client));
    let mut client_rx = FramedRead::new(a_read, FrameCodec::new(Role::Client));
    let mut server_rx = FramedRead::new(b_read, FrameCodec::new(Role::Server));
    let mut server_tx = FramedWrite::new(b_write, FrameCodec::new(Role::Server));
    let echo = tokio::spawn(async move {
        while let Some(frame) = server_rx.next().await {
            let frame = frame.expect("valid");
            let done = frame.opcode == OpCode::Close;
            server_tx.send(frame).await.expect("echo");
            if done {
                break;
            }
        }
    });
    let sent = vec![
        Frame::text("héllo wörld"),
        Frame::binary(vec![0u8; 70_000]),
        Frame::new(OpCode::Text, &b"frag"[..]).with_fin(false),
        Frame::ping("mid-message"),
        Frame::continuation(&b"ment"[..], true),
        Frame::close(Some(&tether_frame::CloseFrame::new(
            tether_frame::CloseCode::Normal,
            "done",
        )))
        .expect("ok"),
    ];
    // Send from another task: the echo needs the reader to keep draining.
    let to_send = sent.clone();
    let sender = tokio::spawn(async move {
        for frame in to_send {
            client_tx.send(frame).await.expect("send");
        }
        client_tx
    });
    for frame in &sent {
        let got = client_rx.next().await.expect("echoed").expect("valid");
        assert_eq!(&got, frame);
    }
    echo.await.expect("echo task");
    let client_tx = sender.await.expect("sender task");
    // The server has dropped its halves: nothing more arrives.
    drop(client_tx);
    let mut rest = Vec::new();
    client_rx
        .into_inner()
        .read_to_end(&mut rest)
        .await
        .expect("eof");
    assert!(rest.is_empty());
}
