//! The server against a raw peer written here (Engine.IO over a tether-ws
//! WebSocket, Socket.IO packets typed by hand): each kind of bad input gets
//! its typed outcome (the session closed with the right disconnect
//! reason, an error packet, or the packet ignored) and nothing leaks;
//! graceful shutdown; the slow-client policy.
#![cfg(feature = "server")]

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tether_engineio::server::EngineConfig;
use tether_engineio::session::SessionConfig;
use tether_socketio::server::{DisconnectReason, SocketIo, SocketIoConfig};
use tether_ws::{MaybeTlsStream, Message, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream>;

struct App {
    port: u16,
    io: SocketIo,
    reasons: Arc<Mutex<Vec<DisconnectReason>>>,
    /// The rooms each socket was in when its disconnecting hook ran.
    rooms_at_disconnecting: Arc<Mutex<Vec<Vec<String>>>>,
}

impl App {
    async fn reasons(&self, n: usize) -> Vec<DisconnectReason> {
        for _ in 0..200 {
            let r = self.reasons.lock().unwrap().clone();
            if r.len() >= n {
                return r;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.reasons.lock().unwrap().clone()
    }

    async fn sessions_left(&self) -> usize {
        for _ in 0..200 {
            if self.io.engine().session_count() == 0 {
                return 0;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        self.io.engine().session_count()
    }
}

async fn start(config: SocketIoConfig) -> App {
    let io = SocketIo::new(config);
    let reasons = Arc::new(Mutex::new(Vec::new()));
    let rooms_at_disconnecting = Arc::new(Mutex::new(Vec::new()));
    let r = reasons.clone();
    let d = rooms_at_disconnecting.clone();
    io.ns("/", move |socket| {
        let r = r.clone();
        let d = d.clone();
        async move {
            socket.on_disconnecting(move |socket, _| async move {
                // An await first: the rooms are still there after it.
                tokio::task::yield_now().await;
                let rooms = socket.rooms().iter().map(|r| r.to_string()).collect();
                d.lock().unwrap().push(rooms);
            });
            socket.on_disconnect(move |socket, reason| async move {
                assert!(socket.rooms().len() == 1, "only its own room is left");
                r.lock().unwrap().push(reason);
            });
            socket.on("bare", |socket, event| async move {
                // Not sequences: each is the single argument.
                socket.emit("bare", &"text").unwrap();
                event.ack(&serde_json::json!({"a": 1})).unwrap();
            });
            socket.on("drop_me", |socket, _event| async move {
                socket.close_transport();
            });
            socket.on("victim", |socket, _event| async move {
                socket.join("victims");
            });
            socket.on("ping_me", |_socket, event| async move {
                let _ = event.ack(&("pong",));
            });
            socket.on("broadcast", |socket, event| async move {
                let Ok((n,)) = event.args::<(u32,)>() else {
                    return;
                };
                let text = "x".repeat(1000);
                for i in 0..n {
                    let _ = socket.ns().to("victims").emit("flood", &(i, text.as_str()));
                }
                let _ = event.ack(&());
            });
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(io.clone().serve(listener));
    App {
        port,
        io,
        reasons,
        rooms_at_disconnecting,
    }
}

/// A WebSocket-only Engine.IO session, past its open packet.
async fn open(port: u16) -> Ws {
    let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
    let (mut ws, _) = tether_ws::connect(&url).await.expect("connect");
    let open = recv(&mut ws).await.expect("open packet");
    assert!(open.starts_with("0{\"sid\""), "{open}");
    ws
}

/// The next text message, answering pings; `None` once the server closed.
async fn recv(ws: &mut Ws) -> Option<String> {
    loop {
        let message = tokio::time::timeout(Duration::from_secs(10), ws.next())
            .await
            .expect("nothing from the server in 10 s")?;
        match message {
            Ok(Message::Text(t)) if &*t == "2" => ws.send(Message::text("3")).await.ok()?,
            Ok(Message::Text(t)) => return Some(t.to_string()),
            Ok(Message::Close(_)) | Err(_) => return None,
            Ok(_) => {}
        }
    }
}

async fn send(ws: &mut Ws, text: &str) {
    ws.send(Message::text(text.to_owned())).await.expect("send");
}

/// Connects to `/` and returns the CONNECT reply.
async fn connect(ws: &mut Ws) -> String {
    send(ws, "40").await;
    let reply = recv(ws).await.expect("CONNECT reply");
    assert!(reply.starts_with("40{\"sid\":\""), "{reply}");
    reply
}

/// Reads until the server closes; panics if it does not within 10 s.
async fn closed(ws: &mut Ws) {
    while recv(ws).await.is_some() {}
}

fn short() -> SocketIoConfig {
    SocketIoConfig::default()
        .with_connect_timeout(Duration::from_millis(300))
        .with_attachment_timeout(Duration::from_millis(300))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_packets_close_with_parse_error() {
    let app = start(short()).await;
    for bad in [
        "4",                                              // empty Socket.IO packet
        "49",                                             // unknown type
        "42[\"unterminated",                              // bad JSON
        "42{\"not\":\"an array\"}",                       // event payload not an array
        "4511-[\"x\",{\"_placeholder\":true,\"num\":0}]", // 11 attachments > 10
        "429007199254740992[\"big ack id\"]",             // ack id over 2^53 - 1
        "42[\"connect\"]",                                // reserved event name
    ] {
        let mut ws = open(app.port).await;
        connect(&mut ws).await;
        send(&mut ws, bad).await;
        closed(&mut ws).await;
    }
    let reasons = app.reasons(7).await;
    assert_eq!(reasons, vec![DisconnectReason::ParseError; 7]);
    assert_eq!(app.sessions_left().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_attachments_that_never_arrive() {
    let app = start(short()).await;
    let mut ws = open(app.port).await;
    connect(&mut ws).await;
    send(&mut ws, r#"451-["up",{"_placeholder":true,"num":0}]"#).await;
    closed(&mut ws).await;
    assert_eq!(app.reasons(1).await, [DisconnectReason::ParseError]);

    // Text where an attachment is due is a parse error at once.
    let mut ws = open(app.port).await;
    connect(&mut ws).await;
    send(&mut ws, r#"451-["up",{"_placeholder":true,"num":0}]"#).await;
    send(&mut ws, r#"42["ping_me"]"#).await;
    closed(&mut ws).await;
    assert_eq!(app.reasons(2).await, [DisconnectReason::ParseError; 2]);
    assert_eq!(app.sessions_left().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_states_and_the_connect_timeout() {
    let app = start(short()).await;
    // An event before CONNECT.
    let mut ws = open(app.port).await;
    send(&mut ws, r#"42["early"]"#).await;
    closed(&mut ws).await;
    // CONNECT_ERROR from a client.
    let mut ws = open(app.port).await;
    send(&mut ws, r#"44{"message":"x"}"#).await;
    closed(&mut ws).await;
    // No CONNECT at all: closed at the connect timeout.
    let started = std::time::Instant::now();
    let mut ws = open(app.port).await;
    closed(&mut ws).await;
    assert!(started.elapsed() >= Duration::from_millis(250));
    assert_eq!(app.sessions_left().await, 0);
    assert!(
        app.reasons.lock().unwrap().is_empty(),
        "no socket ever connected"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ignored_and_refused_without_closing() {
    let app = start(short()).await;
    let mut ws = open(app.port).await;
    // An unknown namespace: CONNECT_ERROR, the session stays.
    send(&mut ws, "40/nope,").await;
    assert_eq!(
        recv(&mut ws).await.as_deref(),
        Some(r#"44/nope,{"message":"Invalid namespace"}"#)
    );
    connect(&mut ws).await;
    // A repeated CONNECT and an ACK nobody waits for are ignored.
    send(&mut ws, "40").await;
    send(&mut ws, "43999[\"stray\"]").await;
    // An event without a handler: no ack.
    send(&mut ws, r#"421["nobody"]"#).await;
    send(&mut ws, r#"422["ping_me"]"#).await;
    assert_eq!(recv(&mut ws).await.as_deref(), Some(r#"432["pong"]"#));
    // DISCONNECT from the client: `client namespace disconnect`, the
    // session stays and may connect again.
    send(&mut ws, "41").await;
    assert_eq!(
        app.reasons(1).await,
        [DisconnectReason::ClientNamespaceDisconnect]
    );
    connect(&mut ws).await;
    ws.send(Message::Close(None)).await.expect("close");
    closed(&mut ws).await;
    assert_eq!(
        app.reasons(2).await,
        [
            DisconnectReason::ClientNamespaceDisconnect,
            DisconnectReason::TransportClose
        ]
    );
    assert_eq!(app.sessions_left().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_value_that_is_not_a_sequence_is_the_single_argument() {
    let app = start(short()).await;
    let mut ws = open(app.port).await;
    connect(&mut ws).await;
    send(&mut ws, r#"425["bare"]"#).await;
    assert_eq!(recv(&mut ws).await.as_deref(), Some(r#"42["bare","text"]"#));
    assert_eq!(recv(&mut ws).await.as_deref(), Some(r#"435[{"a":1}]"#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn close_transport_sends_no_disconnect() {
    let app = start(short()).await;
    let mut ws = open(app.port).await;
    connect(&mut ws).await;
    send(&mut ws, r#"42["drop_me"]"#).await;
    // The session closes with no DISCONNECT packet first.
    while let Some(m) = recv(&mut ws).await {
        assert!(!m.starts_with("41"), "got a DISCONNECT: {m}");
    }
    assert_eq!(app.reasons(1).await, [DisconnectReason::ForcedClose]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn graceful_shutdown() {
    let app = start(short()).await;
    let mut a = open(app.port).await;
    connect(&mut a).await;
    let mut b = open(app.port).await;
    connect(&mut b).await;
    let io = app.io.clone();
    let shutdown = tokio::spawn(async move { io.shutdown().await });
    closed(&mut a).await;
    closed(&mut b).await;
    // It returns once the sessions are closed.
    tokio::time::timeout(Duration::from_secs(5), shutdown)
        .await
        .expect("shutdown returns")
        .unwrap();
    assert_eq!(app.io.engine().session_count(), 0);
    assert_eq!(
        app.reasons(2).await,
        [DisconnectReason::ServerShuttingDown; 2]
    );
    // New clients are not let in.
    let url = format!(
        "ws://127.0.0.1:{}/socket.io/?EIO=4&transport=websocket",
        app.port
    );
    if let Ok((mut ws, _)) = tether_ws::connect(&url).await {
        let _ = recv(&mut ws).await;
        send(&mut ws, "40").await;
        closed(&mut ws).await;
    }
    assert_eq!(app.sessions_left().await, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_too_slow_for_broadcasts_is_closed() {
    let engine = EngineConfig::default()
        .with_path("/socket.io/")
        .with_session(SessionConfig::default().with_max_buffered_packets(64));
    let app = start(short().with_engine(engine)).await;
    // `slow` joins the room, then never reads again.
    let mut slow = open(app.port).await;
    connect(&mut slow).await;
    send(&mut slow, r#"42["victim"]"#).await;
    let mut other = open(app.port).await;
    connect(&mut other).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    // 20,000 events of 1 KB to the room: more than the slow client's TCP
    // buffers and its 64 buffered packets hold.
    send(&mut other, r#"420["broadcast",20000]"#).await;
    assert_eq!(recv(&mut other).await.as_deref(), Some("430[]"));
    assert_eq!(app.reasons(1).await, [DisconnectReason::ForcedClose]);
    let rooms = app.rooms_at_disconnecting.lock().unwrap().clone();
    assert!(
        rooms.len() == 1 && rooms[0].contains(&"victims".to_owned()),
        "{rooms:?}"
    );
    assert_eq!(app.io.to("victims").sockets().await, []);
    // The other client is untouched.
    send(&mut other, r#"421["ping_me"]"#).await;
    assert_eq!(recv(&mut other).await.as_deref(), Some(r#"431["pong"]"#));
    drop(other);
    drop(slow);
    assert_eq!(app.sessions_left().await, 0);
}
