//! The streaming decoder forwards frames far larger than any buffer.

use bytes::{Bytes, BytesMut};
use futures::StreamExt;
use tether_frame::{
    mask::apply_mask, FrameConfig, FrameHeader, FrameStreamCodec, OpCode, Role, Rsv,
};
use tokio::io::AsyncWriteExt;
use tokio_util::codec::{Decoder, FramedRead};

#[test]
fn chunks_come_out_as_the_bytes_come_in_and_the_buffer_stays_small() {
    const LEN: u64 = 48 << 20; // 48 MiB, three times the default frame limit
    let key = [1, 2, 3, 4];
    let header = FrameHeader {
        fin: true,
        rsv: Rsv::NONE,
        opcode: OpCode::Binary,
        mask: Some(key),
        payload_len: LEN,
    };
    let config = FrameConfig::default().with_max_frame_size(u64::MAX);
    let mut codec = FrameStreamCodec::new(Role::Server, config);
    let mut buf = BytesMut::with_capacity(64 * 1024);
    buf.extend_from_slice(&header.encode());

    let mut sent = 0u64;
    let mut received = 0u64;
    let mut max_capacity = 0;
    let mut piece = vec![0u8; 61_440];
    while received < LEN {
        if sent < LEN {
            let n = piece.len().min((LEN - sent) as usize);
            // Plain bytes: the byte's position modulo 251.
            for (i, b) in piece[..n].iter_mut().enumerate() {
                *b = ((sent + i as u64) % 251) as u8;
            }
            apply_mask(&mut piece[..n], key, (sent % 4) as usize);
            buf.extend_from_slice(&piece[..n]);
            sent += n as u64;
        }
        while let Some(chunk) = codec.decode(&mut buf).expect("valid") {
            assert_eq!(chunk.offset, received);
            for (i, b) in chunk.data.iter().enumerate() {
                assert_eq!(*b, ((received + i as u64) % 251) as u8);
            }
            received += chunk.data.len() as u64;
            assert_eq!(chunk.is_last(), received == LEN);
        }
        max_capacity = max_capacity.max(buf.capacity());
    }
    assert!(codec.is_between_frames());
    assert!(max_capacity <= 256 * 1024, "buffer grew to {max_capacity}");
}

#[test]
fn control_frames_are_one_chunk_and_empty_frames_yield_one_chunk() {
    let mut codec = FrameStreamCodec::new(Role::Client, FrameConfig::default());
    let mut buf = BytesMut::from(&b"\x89\x05Hel"[..]);
    assert!(
        codec.decode(&mut buf).expect("ok").is_none(),
        "waits for the whole ping"
    );
    buf.extend_from_slice(b"lo\x82\x00");
    let ping = codec.decode(&mut buf).expect("ok").expect("ping");
    assert_eq!(
        (ping.header.opcode, &ping.data[..]),
        (OpCode::Ping, &b"Hello"[..])
    );
    assert!(ping.is_first() && ping.is_last());
    let empty = codec.decode(&mut buf).expect("ok").expect("empty frame");
    assert!(empty.data.is_empty() && empty.is_first() && empty.is_last());
    assert!(codec.decode(&mut buf).expect("ok").is_none());
}

#[tokio::test]
async fn forwards_a_large_frame_over_a_socket_without_buffering_it() {
    const LEN: usize = 24 << 20;
    let (mut tx, rx) = tokio::io::duplex(32 * 1024);
    let writer = tokio::spawn(async move {
        let header = FrameHeader {
            fin: true,
            rsv: Rsv::NONE,
            opcode: OpCode::Binary,
            mask: None,
            payload_len: LEN as u64,
        };
        tx.write_all(&header.encode()).await.expect("header");
        let block = Bytes::from(vec![0x5Au8; 1 << 20]);
        for _ in 0..LEN >> 20 {
            tx.write_all(&block).await.expect("payload");
        }
    });
    let config = FrameConfig::default().with_max_frame_size(1 << 40);
    let mut chunks = FramedRead::new(rx, FrameStreamCodec::new(Role::Client, config));
    let mut total = 0usize;
    let mut largest = 0usize;
    while let Some(chunk) = chunks.next().await {
        let chunk = chunk.expect("valid");
        assert!(chunk.data.iter().all(|b| *b == 0x5A));
        total += chunk.data.len();
        largest = largest.max(chunk.data.len());
        if chunk.is_last() {
            break;
        }
    }
    writer.await.expect("writer");
    assert_eq!(total, LEN);
    assert!(
        largest <= 1 << 20,
        "chunks are read-sized, not frame-sized: {largest}"
    );
}
