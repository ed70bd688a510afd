//! A Socket.IO client built from the codec stack alone: a WebSocket
//! handshake with `tether-ws`'s sans-IO functions, then
//! `Framed<TcpStream, SocketCodec<EngineCodec<MessageCodec>>>`.
//!
//! It talks to a real Node `socket.io` server over its WebSocket transport
//! (`interop/node/sio_server.mjs`, which the interop test starts):
//!
//! ```text
//! node interop/node/sio_server.mjs 3000 &      # prints "PORT 3000"
//! cargo run -p tether-socketio --example node_client -- 127.0.0.1:3000
//! ```
//!
//! It connects to the `/admin` namespace with an auth token, emits an event
//! and receives its ack, sends binary data and receives it back in an ack
//! and in an event, checks that JSON key order survives, answers the
//! server's pings, and leaves. Each step prints an `ok` line; any surprise
//! ends it with an error (exit status 1).

use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::{SinkExt, StreamExt};
use serde::Deserialize;
use tether_engineio::{EngineCodec, EnginePacket};
use tether_message::{MessageCodec, Role};
use tether_socketio::{Inbound, Packet, PacketType, SocketCodec};
use tether_ws::handshake::client::{ClientRequest, ResponseReader};
use tether_ws::HandshakeConfig;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_util::codec::{Framed, FramedParts};

type Error = Box<dyn std::error::Error>;
type Stack = Framed<TcpStream, SocketCodec<EngineCodec<MessageCodec>>>;

/// Opens the WebSocket transport of Engine.IO at `addr`.
async fn open(addr: &str) -> Result<Stack, Error> {
    let mut tcp = TcpStream::connect(addr).await?;
    tcp.set_nodelay(true)?;
    let uri = format!("ws://{addr}/socket.io/?EIO=4&transport=websocket").parse()?;
    let request = ClientRequest::new(uri)?;
    let mut out = BytesMut::new();
    request.encode(&mut out);
    tcp.write_all(&out).await?;

    let mut reader = ResponseReader::new(&HandshakeConfig::default());
    let mut buf = BytesMut::with_capacity(1024);
    let (response, head_len) = loop {
        if tcp.read_buf(&mut buf).await? == 0 {
            return Err("the server closed during the handshake".into());
        }
        if let Some(parsed) = reader.parse(&buf)? {
            break parsed;
        }
    };
    request.validate(&response)?;
    // Bytes after the 101 head are already WebSocket frames.
    let _ = buf.split_to(head_len);
    let codec = SocketCodec::new(EngineCodec::new(MessageCodec::new(Role::Client)));
    let mut parts = FramedParts::new::<Packet>(tcp, codec);
    parts.read_buf = buf;
    Ok(Framed::from_parts(parts))
}

/// The next Socket.IO packet; Engine.IO pings are answered on the way.
async fn next_packet(io: &mut Stack) -> Result<Packet, Error> {
    loop {
        match io
            .next()
            .await
            .ok_or("the server closed the connection")??
        {
            Inbound::Packet(packet) => return Ok(packet),
            Inbound::Engine(EnginePacket::Ping(data)) => {
                io.send(EnginePacket::Pong(data)).await?;
                println!("ok answered a ping");
            }
            Inbound::Engine(EnginePacket::Close) => {
                return Err("the server closed the session".into())
            }
            Inbound::Engine(other) => println!("engine packet {other:?}"),
        }
    }
}

fn expect(cond: bool, what: &str) -> Result<(), Error> {
    if cond {
        Ok(())
    } else {
        Err(format!("unexpected: {what}").into())
    }
}

#[derive(Debug, Deserialize)]
struct Welcome {
    ns: String,
    auth: serde_json::Value,
}

async fn run(addr: &str) -> Result<(), Error> {
    let mut io = open(addr).await?;

    // Engine.IO: the server speaks first, with its handshake.
    let Some(Inbound::Engine(EnginePacket::Open(handshake))) = io.next().await.transpose()? else {
        return Err("no open packet".into());
    };
    println!(
        "ok open sid={} pingInterval={} maxPayload={}",
        handshake.sid, handshake.ping_interval, handshake.max_payload
    );

    // Connect to /admin with auth, and wait for the answer before anything
    // else in that namespace (as the protocol requires).
    io.send(Packet::connect_with(
        "/admin",
        &serde_json::json!({ "token": "secret" }),
    )?)
    .await?;
    let connected = next_packet(&mut io).await?;
    expect(
        connected.packet_type() == PacketType::Connect,
        "CONNECT answer",
    )?;
    expect(connected.namespace() == "/admin", "namespace of the answer")?;
    #[derive(Deserialize)]
    struct Sid {
        sid: String,
    }
    let sid = connected.data::<Sid>()?.ok_or("CONNECT without sid")?.sid;
    println!("ok connected to /admin sid={sid}");

    let welcome = next_packet(&mut io).await?;
    expect(
        welcome
            .event_name()
            .and_then(|n| n.as_str().map(str::to_owned))
            .as_deref()
            == Some("welcome"),
        "welcome event",
    )?;
    let (w,): (Welcome,) = welcome.args()?;
    expect(
        w.ns == "/admin" && w.auth["token"] == "secret",
        "welcome contents",
    )?;
    println!("ok welcome event ns={} auth={}", w.ns, w.auth);

    // An event with an ack id; the server acks with the same arguments.
    io.send(Packet::event_with_ack(
        "/admin",
        "echo",
        &("hello", 42, [true, false]),
        1,
    )?)
    .await?;
    let ack = next_packet(&mut io).await?;
    expect(
        ack.packet_type() == PacketType::Ack && ack.ack_id() == Some(1),
        "ACK 1",
    )?;
    let (text, n, flags): (String, u32, Vec<bool>) = ack.ack_args()?;
    expect(
        text == "hello" && n == 42 && flags == [true, false],
        "ack arguments",
    )?;
    println!(
        "ok ack 1: {}",
        ack.payload().map(|p| p.json().as_str()).unwrap_or("")
    );

    // Binary: a 64 KiB attachment nested in an object, acked back as a
    // BINARY_ACK with the attachment in place.
    let blob: Bytes = (0..64 * 1024)
        .map(|i| (i % 251) as u8)
        .collect::<Vec<u8>>()
        .into();
    #[derive(serde::Serialize, Deserialize)]
    struct File {
        name: String,
        data: Bytes,
    }
    let file = File {
        name: "blob.bin".into(),
        data: blob.clone(),
    };
    io.send(Packet::event_with_ack("/admin", "echo", &(&file,), 2)?)
        .await?;
    let ack = next_packet(&mut io).await?;
    expect(
        ack.packet_type() == PacketType::BinaryAck && ack.ack_id() == Some(2),
        "BINARY_ACK 2",
    )?;
    let (back,): (File,) = ack.ack_args()?;
    expect(
        back.name == "blob.bin" && back.data == blob,
        "binary ack contents",
    )?;
    println!("ok binary ack 2: {} bytes back intact", back.data.len());

    // Binary without an ack: the server emits the event back, as a
    // BINARY_EVENT with two attachments.
    let small = Bytes::from_static(&[1, 2, 3]);
    io.send(Packet::event(
        "/admin",
        "echo",
        &(small.clone(), "mid", [Bytes::new()]),
    )?)
    .await?;
    let event = next_packet(&mut io).await?;
    expect(
        event.packet_type() == PacketType::BinaryEvent,
        "BINARY_EVENT",
    )?;
    expect(event.attachments().len() == 2, "two attachments")?;
    let (a, mid, b): (Bytes, String, Vec<Bytes>) = event.args()?;
    expect(
        a == small && mid == "mid" && b == [Bytes::new()],
        "binary event contents",
    )?;
    println!(
        "ok binary event: {}",
        event.payload().map(|p| p.json().as_str()).unwrap_or("")
    );

    // Leave the namespace, then close the Engine.IO session.
    io.send(Packet::disconnect("/admin")?).await?;
    io.send(EnginePacket::Close).await?;
    println!("ok disconnected");
    Ok(())
}

fn main() -> Result<(), Error> {
    let addr = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "127.0.0.1:3000".to_owned());
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        tokio::time::timeout(Duration::from_secs(20), run(&addr))
            .await
            .map_err(|_| "timed out after 20 s")?
    })
}
