//! tether-socketio's codec stack against a real Node `socket.io` 4.8 server
//! (interop/node/sio_server.mjs, from the lockfile) over its WebSocket
//! transport: the `node_client` example end to end, and the protocol's
//! cases one by one.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use futures::{SinkExt, StreamExt};
use tether_engineio::{EngineCodec, EnginePacket};
use tether_message::{MessageCodec, Role};
use tether_socketio::{Inbound, Packet, PacketType, SocketCodec};
use tether_ws::handshake::client::{ClientRequest, ResponseReader};
use tether_ws::HandshakeConfig;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::process::{Child, Command};
use tokio_util::codec::{Framed, FramedParts};

type Stack = Framed<TcpStream, SocketCodec<EngineCodec<MessageCodec>>>;

fn node_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../interop/node");
    assert!(
        dir.join("node_modules/socket.io").exists(),
        "interop/node/node_modules is missing: run scripts/interop-setup.sh (scripts/test.sh does)"
    );
    dir
}

/// Starts sio_server.mjs; it lives while its stdin pipe (held by the
/// returned child) is open. Returns the child and its port.
async fn sio_server(ping_interval_ms: u32) -> (Child, u16) {
    let mut child = Command::new("node")
        .arg(node_dir().join("sio_server.mjs"))
        .env("SIO_PING_INTERVAL_MS", ping_interval_ms.to_string())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn node");
    let mut lines = tokio::io::BufReader::new(child.stdout.take().expect("stdout")).lines();
    let port = tokio::time::timeout(Duration::from_secs(20), lines.next_line())
        .await
        .expect("socket.io server did not start")
        .expect("read")
        .and_then(|l| l.strip_prefix("PORT ").and_then(|p| p.trim().parse().ok()))
        .expect("PORT line");
    (child, port)
}

async fn open(port: u16) -> Stack {
    let mut tcp = TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    tcp.set_nodelay(true).expect("nodelay");
    let uri = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
    let request = ClientRequest::new(uri.parse().expect("uri")).expect("request");
    let mut out = BytesMut::new();
    request.encode(&mut out);
    tcp.write_all(&out).await.expect("write");
    let mut reader = ResponseReader::new(&HandshakeConfig::default());
    let mut buf = BytesMut::new();
    let (response, head_len) = loop {
        assert!(
            tcp.read_buf(&mut buf).await.expect("read") > 0,
            "closed in handshake"
        );
        if let Some(parsed) = reader.parse(&buf).expect("response") {
            break parsed;
        }
    };
    request.validate(&response).expect("101");
    let _ = buf.split_to(head_len);
    let codec = SocketCodec::new(EngineCodec::new(MessageCodec::new(Role::Client)));
    let mut parts = FramedParts::new::<Packet>(tcp, codec);
    parts.read_buf = buf;
    let mut io = Framed::from_parts(parts);
    match next(&mut io).await {
        Inbound::Engine(EnginePacket::Open(open)) => assert!(open.upgrades.is_empty()),
        other => panic!("expected the open packet, got {other:?}"),
    }
    io
}

async fn next(io: &mut Stack) -> Inbound {
    tokio::time::timeout(Duration::from_secs(10), io.next())
        .await
        .expect("nothing from the server in 10 s")
        .expect("the server closed")
        .expect("decode")
}

/// The next Socket.IO packet, answering pings; returns how many it answered.
async fn packet(io: &mut Stack) -> (Packet, usize) {
    let mut pings = 0;
    loop {
        match next(io).await {
            Inbound::Packet(p) => return (p, pings),
            Inbound::Engine(EnginePacket::Ping(d)) => {
                io.send(EnginePacket::Pong(d)).await.expect("pong");
                pings += 1;
            }
            Inbound::Engine(other) => panic!("unexpected engine packet {other:?}"),
        }
    }
}

fn name(p: &Packet) -> Option<String> {
    p.event_name().and_then(|n| n.as_str().map(str::to_owned))
}

/// CONNECT to `nsp` and the server's answer and welcome event.
async fn join(io: &mut Stack, connect: Packet) -> Packet {
    let nsp = connect.namespace().clone();
    io.send(connect).await.expect("send");
    let (answer, _) = packet(io).await;
    assert_eq!(answer.packet_type(), PacketType::Connect, "{answer:?}");
    assert_eq!(answer.namespace(), &nsp);
    let (welcome, _) = packet(io).await;
    assert_eq!(name(&welcome).as_deref(), Some("welcome"));
    welcome
}

fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    dir.join("examples").join(name)
}

#[tokio::test]
async fn the_node_client_example_runs_against_node_socket_io() {
    let (_server, port) = sio_server(25_000).await;
    let output = tokio::time::timeout(
        Duration::from_secs(30),
        Command::new(example("node_client"))
            .arg(format!("127.0.0.1:{port}"))
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("example timed out")
    .expect("run example (cargo test builds it)");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "example failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for line in [
        "ok open sid=",
        "ok connected to /admin sid=",
        "ok welcome event ns=/admin",
        "ok ack 1: [\"hello\",42,[true,false]]",
        "ok binary ack 2: 65536 bytes back intact",
        "ok binary event:",
        "ok disconnected",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
}

#[tokio::test]
async fn a_refused_connect_is_a_connect_error() {
    let (_server, port) = sio_server(25_000).await;
    let mut io = open(port).await;
    let auth = serde_json::json!({ "token": "wrong" });
    io.send(Packet::connect_with("/admin", &auth).unwrap())
        .await
        .unwrap();
    let (p, _) = packet(&mut io).await;
    assert_eq!(p.packet_type(), PacketType::ConnectError);
    assert_eq!(p.namespace(), "/admin");
    let data: serde_json::Value = p.data().unwrap().expect("payload");
    assert_eq!(data, serde_json::json!({ "message": "not authorized" }));
}

#[tokio::test]
async fn key_order_survives_both_ways() {
    let (_server, port) = sio_server(25_000).await;
    let mut io = open(port).await;
    let welcome = join(&mut io, Packet::connect("/").unwrap()).await;
    // The server wrote {"sid":..,"ns":"/"} (not alphabetical); decoded into
    // a Value and encoded again, the keys keep its order.
    let (obj,): (serde_json::Value,) = welcome.args().unwrap();
    let keys: Vec<&String> = obj.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["sid", "ns"]);
    let again = Packet::event("/", "welcome", &(&obj,)).unwrap();
    assert_eq!(again.encode_text(), welcome.encode_text());

    // Ours reach the server in our order: it acks JSON.stringify(arg0).
    let mut map = serde_json::Map::new();
    for k in ["zeta", "alpha", "mu", "beta"] {
        map.insert(k.to_owned(), serde_json::Value::from(k.len()));
    }
    io.send(Packet::event_with_ack("/", "keys", &(&map,), 3).unwrap())
        .await
        .unwrap();
    let (ack, _) = packet(&mut io).await;
    let (text,): (String,) = ack.ack_args().unwrap();
    assert_eq!(text, r#"{"zeta":4,"alpha":5,"mu":2,"beta":4}"#);
}

#[tokio::test]
async fn the_server_asks_and_we_ack() {
    let (_server, port) = sio_server(25_000).await;
    let mut io = open(port).await;
    join(&mut io, Packet::connect("/").unwrap()).await;
    io.send(Packet::event("/", "ask", &()).unwrap())
        .await
        .unwrap();
    let (question, _) = packet(&mut io).await;
    assert_eq!(name(&question).as_deref(), Some("question"));
    let id = question.ack_id().expect("the server wants an ack");
    let (q, n): (String, i64) = question.args().unwrap();
    assert_eq!((q.as_str(), n), ("q?", 42));
    io.send(Packet::ack("/", id, &("yes", 7)).unwrap())
        .await
        .unwrap();
    let (answered, _) = packet(&mut io).await;
    assert_eq!(name(&answered).as_deref(), Some("answered"));
    let args: (String, i64) = answered.args().unwrap();
    assert_eq!(args, ("yes".to_owned(), 7));
}

#[tokio::test]
async fn pings_are_answered_and_pipelined_acks_come_back_in_order() {
    let (_server, port) = sio_server(100).await;
    let mut io = open(port).await;
    join(&mut io, Packet::connect("/").unwrap()).await;
    // Outlive a few ping intervals: the session stays up because we answer.
    let mut pings = 0;
    let deadline = tokio::time::Instant::now() + Duration::from_millis(700);
    while tokio::time::Instant::now() < deadline {
        if let Ok(Some(item)) = tokio::time::timeout_at(deadline, io.next()).await {
            match item.unwrap() {
                Inbound::Engine(EnginePacket::Ping(d)) => {
                    io.send(EnginePacket::Pong(d)).await.unwrap();
                    pings += 1;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
    }
    assert!(pings >= 3, "{pings} pings in 700 ms at a 100 ms interval");

    // 300 events with acks, binary on every third, sent before reading.
    for id in 0..300u64 {
        let p = if id % 3 == 0 {
            Packet::event_with_ack(
                "/",
                "echo",
                &(id, Bytes::from(id.to_be_bytes().to_vec())),
                id,
            )
        } else {
            Packet::event_with_ack("/", "echo", &(id, "x".repeat(id as usize)), id)
        };
        io.feed(p.unwrap()).await.unwrap();
    }
    SinkExt::<Packet>::flush(&mut io).await.unwrap();
    for id in 0..300u64 {
        let (ack, _) = packet(&mut io).await;
        assert_eq!(ack.ack_id(), Some(id));
        if id % 3 == 0 {
            assert_eq!(ack.packet_type(), PacketType::BinaryAck);
            let (n, b): (u64, Bytes) = ack.ack_args().unwrap();
            assert_eq!((n, &b[..]), (id, &id.to_be_bytes()[..]));
        } else {
            let (n, s): (u64, String) = ack.ack_args().unwrap();
            assert_eq!((n, s.len()), (id, id as usize));
        }
    }
}
