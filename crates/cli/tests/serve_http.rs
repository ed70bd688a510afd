//! `tether serve`, the real binary on a free port, over HTTP: the page and
//! its files, the `/ws` echo with the tether-ws client, `/events` with
//! `Last-Event-ID` resume, and the Socket.IO chat with a raw Socket.IO v5
//! client over the Engine.IO WebSocket transport (join, presence, chat
//! with acks, typing, nick, leave, refusals, and connection state recovery
//! after a dropped connection: the missed messages once, in order), with
//! the `/events` activity and the log lines of each connection.

mod serve_support;

use std::collections::{HashMap, VecDeque};

use futures::{SinkExt, StreamExt};
use serde_json::{json, Value};
use serve_support::{get, Server, SseReader, STEP};
use tether_ws::{MaybeTlsStream, Message, WebSocketStream};

#[test]
fn help_documents_the_flags() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tether"))
        .args(["serve", "--help"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let help = String::from_utf8(out.stdout).unwrap();
    for part in [
        "--addr <IP:PORT>",
        "[default: 127.0.0.1:3000]",
        "listening http://IP:PORT",
        "--tick <SECONDS>",
        "--recovery-window <SECONDS>",
        "--history <N>",
    ] {
        assert!(help.contains(part), "{part:?} not in:\n{help}");
    }
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_tether"))
        .args(["serve", "--tick", "soon"])
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("not a number of seconds"));
}

#[tokio::test]
async fn the_page_and_its_files() {
    let server = Server::start(&["--tick", "0"]);
    let page = get(server.port, "/", &[]).await;
    assert_eq!(page.status, 200);
    assert_eq!(
        page.header("content-type"),
        Some("text/html; charset=utf-8")
    );
    let html = page.text();
    for part in [
        r#"<script src="/socket.io/socket.io.js"></script>"#,
        r#"<script src="/chat.js"></script>"#,
        r#"<link rel="stylesheet" href="/style.css">"#,
        r#"id="room-list""#,
        r#"id="online""#,
        r#"id="typing""#,
        r#"id="sse-log""#,
        r#"id="ws-log""#,
        r#"id="drop""#,
    ] {
        assert!(html.contains(part), "{part} not in the page");
    }
    let script = get(server.port, "/chat.js", &[]).await;
    assert_eq!(script.status, 200);
    assert_eq!(
        script.header("content-type"),
        Some("text/javascript; charset=utf-8")
    );
    let js = script.text();
    for part in [
        "new EventSource(\"/events\")",
        "/ws`",
        "socket.io.engine.close()",
        "\"typing\"",
    ] {
        assert!(js.contains(part), "{part} not in chat.js");
    }
    let style = get(server.port, "/style.css", &[]).await;
    assert_eq!(style.status, 200);
    assert_eq!(
        style.header("content-type"),
        Some("text/css; charset=utf-8")
    );

    let missing = get(server.port, "/nothing-here", &[]).await;
    assert_eq!(missing.status, 404);
    let plain = get(server.port, "/ws", &[]).await;
    assert_eq!(plain.status, 426);
    assert_eq!(plain.header("upgrade"), Some("websocket"));
    // Under /socket.io/ the Socket.IO server answers (here: an Engine.IO
    // request without a transport).
    let engine = get(server.port, "/socket.io/?EIO=4", &[]).await;
    assert_eq!(engine.status, 400);
}

#[tokio::test]
async fn websocket_echo() {
    let server = Server::start(&["--tick", "0"]);
    let url = format!("ws://127.0.0.1:{}/ws", server.port);
    let (mut ws, response) = tokio::time::timeout(STEP, tether_ws::connect(&url))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(response.status(), 101);
    server
        .wait_log(&["websocket connected", "path=\"/ws\""])
        .await;
    let big: String = "0123456789abcdef".repeat(8192);
    let messages = [
        Message::text("hello over /ws"),
        Message::binary(vec![0u8, 1, 2, 254, 255]),
        Message::text(big),
        Message::text(""),
    ];
    for message in &messages {
        ws.send(message.clone()).await.unwrap();
    }
    for message in &messages {
        let echo = tokio::time::timeout(STEP, ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(&echo, message);
    }
    ws.close().await.unwrap();
    server
        .wait_log(&["websocket disconnected", "echoed=4", "close 1000"])
        .await;
}

/// The `/ws` echo accepts permessage-deflate, as a browser offers it.
#[cfg(feature = "deflate")]
#[tokio::test]
async fn websocket_echo_compressed() {
    use tether_ws::handshake::client::ClientRequest;
    let server = Server::start(&["--tick", "0"]);
    let url = format!("ws://127.0.0.1:{}/ws", server.port);
    let request = ClientRequest::new(url.parse().unwrap()).unwrap();
    let config =
        tether_ws::WebSocketConfig::default().with_deflate(tether_ws::DeflateConfig::enabled());
    let (mut ws, _) = tokio::time::timeout(STEP, tether_ws::connect_with_config(request, config))
        .await
        .unwrap()
        .unwrap();
    assert!(ws.deflate().is_some(), "permessage-deflate not accepted");
    let text = Message::text("{\"event\":\"tick\",\"data\":[1,2,3]} ".repeat(1000));
    for _ in 0..3 {
        ws.send(text.clone()).await.unwrap();
        let echo = tokio::time::timeout(STEP, ws.next())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        assert_eq!(echo, text);
    }
    ws.close().await.unwrap();
    server
        .wait_log(&["websocket disconnected", "echoed=3", "close 1000"])
        .await;
}

#[tokio::test]
async fn events_tick_with_increasing_ids_and_resume_from_last_event_id() {
    let server = Server::start(&["--tick", "0.05"]);
    let mut first = SseReader::open(server.port, None).await;
    let mut seen = Vec::new();
    for _ in 0..3 {
        let event = first.next_of("tick").await;
        let tick: Value = serde_json::from_str(event.data()).unwrap();
        assert!(tick["n"].as_u64().unwrap() >= 1);
        assert_eq!(tick["sse"], 1, "{tick}");
        assert_eq!(tick["sockets"], 0);
        seen.push(event.last_event_id().parse::<u64>().unwrap());
    }
    // The stream starts with `retry: 1000`.
    assert_eq!(
        first.decoder().reconnection_time(),
        Some(std::time::Duration::from_secs(1))
    );
    assert_eq!(seen[1], seen[0] + 1, "{seen:?}");
    assert_eq!(seen[2], seen[1] + 1, "{seen:?}");
    drop(first);
    server
        .wait_log(&[
            "sse subscriber disconnected",
            "id=1",
            "the client went away",
        ])
        .await;

    // Resumed after the second: the third comes again, then the next.
    let last = seen[1].to_string();
    let mut resumed = SseReader::open(server.port, Some(&last)).await;
    let next = resumed.next().await;
    assert_eq!(next.event_type(), "tick");
    assert_eq!(next.last_event_id(), seen[2].to_string());
    let after = resumed.next().await;
    assert_eq!(after.last_event_id(), (seen[2] + 1).to_string());
    server
        .wait_log(&[
            "sse subscriber connected",
            &format!("last_event_id=\"{last}\""),
        ])
        .await;

    // The ids count from the process's start time (milliseconds), so an
    // id from an earlier process is unknown here.
    assert!(seen[0] > 1_700_000_000_000, "{seen:?}");
    // An id the channel never sent (or one from before a restart):
    // everything it still holds, from its first event.
    for stale in ["not-an-id", "2"] {
        let mut unknown = SseReader::open(server.port, Some(stale)).await;
        let a: u64 = unknown.next().await.last_event_id().parse().unwrap();
        let b: u64 = unknown.next().await.last_event_id().parse().unwrap();
        assert!(
            a > 1_700_000_000_000 && a <= seen[0] && b == a + 1,
            "{a} {b} {seen:?}"
        );
    }
}

/// A raw Socket.IO v5 client on the main namespace over the Engine.IO v4
/// WebSocket transport.
struct Sio {
    ws: WebSocketStream<MaybeTlsStream>,
    sid: String,
    pid: Option<String>,
    /// The offset of the last event received (connection state recovery).
    offset: Option<String>,
    next_ack: u64,
    /// Events read while waiting for something else: name, arguments.
    backlog: VecDeque<(String, Vec<Value>)>,
    acks: HashMap<u64, Value>,
}

impl Sio {
    async fn connect(port: u16, auth: Value) -> Sio {
        let url = format!("ws://127.0.0.1:{port}/socket.io/?EIO=4&transport=websocket");
        let (ws, _) = tokio::time::timeout(STEP, tether_ws::connect(&url))
            .await
            .unwrap()
            .unwrap();
        let mut sio = Sio {
            ws,
            sid: String::new(),
            pid: None,
            offset: None,
            next_ack: 1,
            backlog: VecDeque::new(),
            acks: HashMap::new(),
        };
        let open = sio.engine_packet().await;
        let handshake: Value = serde_json::from_str(open.strip_prefix('0').unwrap()).unwrap();
        assert!(handshake["sid"].is_string(), "{open}");
        sio.send(format!("0{auth}")).await;
        for _ in 0..100 {
            let packet = sio.packet().await;
            if let Some(reply) = packet.strip_prefix('0') {
                let reply: Value = serde_json::from_str(reply).unwrap();
                sio.sid = reply["sid"].as_str().unwrap().to_owned();
                sio.pid = reply["pid"].as_str().map(str::to_owned);
                return sio;
            }
            assert!(!packet.starts_with('4'), "refused: {packet}");
        }
        panic!("no CONNECT reply");
    }

    /// Sends a Socket.IO packet (as an Engine.IO message).
    async fn send(&mut self, packet: String) {
        self.ws
            .send(Message::text(format!("4{packet}")))
            .await
            .unwrap();
    }

    /// The next Socket.IO packet (an Engine.IO message), within `STEP`.
    async fn packet(&mut self) -> String {
        let packet = self.engine_packet().await;
        match packet.strip_prefix('4') {
            Some(message) => message.to_owned(),
            None => panic!("not an Engine.IO message: {packet}"),
        }
    }

    /// The next Engine.IO packet but pings (answered), within `STEP`.
    async fn engine_packet(&mut self) -> String {
        for _ in 0..1000 {
            let message = tokio::time::timeout(STEP, self.ws.next())
                .await
                .expect("no packet in time")
                .expect("the connection ended")
                .unwrap();
            match message {
                Message::Text(text) if &*text == "2" => {
                    self.ws.send(Message::text("3")).await.unwrap();
                }
                Message::Text(text) => return text.to_string(),
                Message::Close(frame) => panic!("closed: {frame:?}"),
                _ => {}
            }
        }
        panic!("1000 pings and nothing else");
    }

    /// Reads one packet into the backlog or the acks.
    async fn read(&mut self) {
        let packet = self.packet().await;
        if let Some(event) = packet.strip_prefix('2') {
            let mut args: Vec<Value> = serde_json::from_str(event).unwrap();
            let name = args.remove(0).as_str().unwrap().to_owned();
            // With recovery on, each event ends with its offset.
            if self.pid.is_some() {
                let offset = args.pop().expect("an offset");
                self.offset = Some(offset.as_str().expect("a string offset").to_owned());
            }
            self.backlog.push_back((name, args));
        } else if let Some(ack) = packet.strip_prefix('3') {
            let at = ack.find('[').unwrap();
            let id: u64 = ack[..at].parse().unwrap();
            let mut args: Vec<Value> = serde_json::from_str(&ack[at..]).unwrap();
            self.acks.insert(id, args.remove(0));
        } else {
            panic!("unexpected packet {packet}");
        }
    }

    /// Emits `args` (`[name, ...]`) without an ack.
    async fn emit(&mut self, args: Value) {
        self.send(format!("2{args}")).await;
    }

    /// Emits `args` and returns the ack's first argument.
    async fn call(&mut self, args: Value) -> Value {
        let id = self.next_ack;
        self.next_ack += 1;
        self.send(format!("2{id}{args}")).await;
        for _ in 0..1000 {
            if let Some(answer) = self.acks.remove(&id) {
                return answer;
            }
            self.read().await;
        }
        panic!("no ack for {args}");
    }

    /// The first argument of the next `name` event that `matches`; the
    /// `name` events before it are dropped, the others kept.
    async fn event_where(&mut self, name: &str, matches: impl Fn(&Value) -> bool) -> Value {
        for _ in 0..1000 {
            while let Some(at) = self.backlog.iter().position(|(n, _)| n == name) {
                let (_, mut args) = self.backlog.remove(at).unwrap();
                let arg = args.remove(0);
                if matches(&arg) {
                    return arg;
                }
            }
            self.read().await;
        }
        panic!("no {name} event that matches");
    }

    /// The next `name` event's first argument.
    async fn event(&mut self, name: &str) -> Value {
        self.event_where(name, |_| true).await
    }
}

fn nicks(presence: &Value) -> Vec<&str> {
    presence["members"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["nick"].as_str().unwrap())
        .collect()
}

fn text_is(text: &'static str) -> impl Fn(&Value) -> bool {
    move |m| m["text"] == text
}

#[tokio::test]
async fn socketio_chat_and_recovery_after_a_dropped_connection() {
    let server = Server::start(&["--tick", "0"]);
    let port = server.port;
    let mut activity = SseReader::open(port, None).await;

    let mut alice = Sio::connect(port, json!({ "nick": "alice" })).await;
    assert!(
        alice.pid.is_some(),
        "recovery is on: the CONNECT reply has a pid"
    );
    server
        .wait_log(&[
            "socket.io connected",
            &format!("id={}", alice.sid),
            "namespace=\"/\"",
            "nick=\"alice\"",
        ])
        .await;
    let joined = alice.call(json!(["join", "lobby"])).await;
    assert_eq!(joined["ok"], true, "{joined}");
    assert_eq!(joined["room"], "lobby");
    assert_eq!(nicks(&joined), ["alice"]);
    assert_eq!(joined["history"], json!([]));
    let notice = alice.event("chat").await;
    assert_eq!(notice["kind"], "notice");
    assert_eq!(notice["text"], "alice joined");
    assert_eq!(nicks(&alice.event("presence").await), ["alice"]);
    assert!(alice.offset.is_some());

    let mut bob = Sio::connect(port, json!({ "nick": "bob" })).await;
    let joined = bob.call(json!(["join", "lobby"])).await;
    assert_eq!(nicks(&joined), ["alice", "bob"]);
    // The room's history: alice's join notice.
    assert_eq!(joined["history"][0]["text"], "alice joined");
    alice.event_where("chat", text_is("bob joined")).await;
    let presence = alice.event("presence").await;
    assert_eq!(presence["room"], "lobby");
    assert_eq!(nicks(&presence), ["alice", "bob"]);

    // A message: acked to the sender, to everyone in the room (the sender
    // too).
    let sent = bob.call(json!(["chat", "lobby", "hello alice"])).await;
    assert_eq!(sent["ok"], true, "{sent}");
    let got = alice.event("chat").await;
    assert_eq!(got["kind"], "chat");
    assert_eq!(got["text"], "hello alice");
    assert_eq!(got["nick"], "bob");
    assert_eq!(got["from"], bob.sid.as_str());
    assert_eq!(got["room"], "lobby");
    assert_eq!(got["id"], sent["id"]);
    let own = bob.event_where("chat", text_is("hello alice")).await;
    assert_eq!(own["id"], sent["id"]);

    // Typing goes to the others.
    alice.emit(json!(["typing", "lobby", true])).await;
    let typing = bob.event("typing").await;
    assert_eq!(
        typing,
        json!({ "room": "lobby", "id": alice.sid, "nick": "alice", "typing": true })
    );

    // Refusals.
    let refused = alice.call(json!(["join", "no spaces!"])).await;
    assert_eq!(refused["ok"], false);
    assert_eq!(
        refused["error"],
        "a room name has only letters, digits, - and _"
    );
    let refused = alice.call(json!(["chat", "elsewhere", "hi"])).await;
    assert_eq!(refused["error"], "join the room first");
    let refused = alice.call(json!(["chat", "lobby", "   "])).await;
    assert_eq!(refused["error"], "an empty message");
    let refused = alice.call(json!(["nick", ""])).await;
    assert_eq!(refused["error"], "a nickname cannot be empty");

    // A second room, and leaving it.
    let rust = bob.call(json!(["join", "rust"])).await;
    assert_eq!(nicks(&rust), ["bob"]);
    let rust = alice.call(json!(["join", "rust"])).await;
    assert_eq!(nicks(&rust), ["alice", "bob"]);
    let left = bob.call(json!(["leave", "rust"])).await;
    assert_eq!(left, json!({ "ok": true, "room": "rust" }));
    let notice = alice
        .event_where("chat", |m| m["room"] == "rust" && m["text"] == "bob left")
        .await;
    assert_eq!(notice["kind"], "notice");
    let presence = alice
        .event_where("presence", |p| p["room"] == "rust" && nicks(p) == ["alice"])
        .await;
    assert_eq!(nicks(&presence), ["alice"]);
    assert_eq!(alice.call(json!(["leave", "rust"])).await["ok"], true);

    // A new nickname, told to the room.
    let renamed = alice.call(json!(["nick", "alicia"])).await;
    assert_eq!(renamed, json!({ "ok": true, "nick": "alicia" }));
    bob.event_where("chat", text_is("alice is now alicia"))
        .await;
    alice
        .event_where("chat", text_is("alice is now alicia"))
        .await;
    alice
        .event_where("presence", |p| {
            p["room"] == "lobby" && nicks(p) == ["alicia", "bob"]
        })
        .await;

    // alicia's connection drops (TCP closed, no Close frame). bob sees her
    // go and writes twice while she is away.
    let (sid, pid) = (alice.sid.clone(), alice.pid.clone().unwrap());
    let offset = alice.offset.clone().unwrap();
    drop(alice);
    bob.event_where("presence", |p| p["room"] == "lobby" && nicks(p) == ["bob"])
        .await;
    server
        .wait_log(&[
            "socket.io disconnected",
            &format!("id={sid}"),
            "reason=transport close",
        ])
        .await;
    for text in ["missed 1", "missed 2"] {
        assert_eq!(bob.call(json!(["chat", "lobby", text])).await["ok"], true);
    }

    // She comes back with her pid and offset: same id, same room, same
    // nickname, and exactly the two messages she missed, then live ones.
    let mut back = Sio::connect(
        port,
        json!({ "nick": "someone-else", "pid": pid, "offset": offset }),
    )
    .await;
    assert_eq!(back.sid, sid, "recovered: the same socket id");
    server
        .wait_log(&[
            "socket.io connected",
            &format!("id={sid}"),
            "recovered=true",
            "nick=\"alicia\"",
        ])
        .await;
    assert_eq!(
        bob.call(json!(["chat", "lobby", "live 3"])).await["ok"],
        true
    );
    let mut texts = Vec::new();
    while texts.last().map(String::as_str) != Some("live 3") {
        let m = back.event("chat").await;
        assert_eq!(m["nick"], "bob", "{m}");
        texts.push(m["text"].as_str().unwrap().to_owned());
        assert!(texts.len() <= 3, "{texts:?}");
    }
    assert_eq!(texts, ["missed 1", "missed 2", "live 3"]);
    back.event_where("presence", |p| {
        p["room"] == "lobby" && nicks(p) == ["alicia", "bob"]
    })
    .await;
    let mine = back.call(json!(["chat", "lobby", "I am back"])).await;
    assert_eq!(mine["ok"], true, "still in the room: {mine}");
    let seen = bob.event_where("chat", text_is("I am back")).await;
    assert_eq!(seen["nick"], "alicia");
    assert_eq!(seen["from"], sid.as_str());
    assert!(
        !back.backlog.iter().any(|(name, args)| name == "chat"
            && args[0]["text"]
                .as_str()
                .is_some_and(|t| t.starts_with("missed"))),
        "a missed message twice: {:?}",
        back.backlog
    );

    // What /events said meanwhile, with increasing ids.
    let wanted = [
        "alice connected",
        "alice joined lobby (1 member)",
        "bob connected",
        "bob joined lobby (2 members)",
        "bob wrote in lobby (1 message)",
        "alice is now alicia",
        "alicia disconnected (transport close)",
        "bob wrote in lobby (3 messages)",
        "alicia reconnected (recovered: lobby)",
        "alicia wrote in lobby (5 messages)",
    ];
    let mut said = Vec::new();
    let mut last_id = 0u64;
    while said.len() < 100 && !wanted.iter().all(|w| said.iter().any(|s| s == w)) {
        let event = activity.next_of("activity").await;
        let id: u64 = event.last_event_id().parse().unwrap();
        assert!(id > last_id, "ids increase: {id} after {last_id}");
        last_id = id;
        said.push(event.data().to_owned());
    }
    for w in wanted {
        assert!(said.iter().any(|s| s == w), "{w:?} not in {said:#?}");
    }
}

#[tokio::test]
async fn no_recovery_past_the_recovery_window() {
    let server = Server::start(&["--tick", "0", "--recovery-window", "0"]);
    let mut alice = Sio::connect(server.port, json!({ "nick": "alice" })).await;
    alice.call(json!(["join", "lobby"])).await;
    alice.event("presence").await;
    let (sid, pid) = (alice.sid.clone(), alice.pid.clone().unwrap());
    let offset = alice.offset.clone().unwrap();
    drop(alice);
    server
        .wait_log(&["socket.io disconnected", &format!("id={sid}")])
        .await;
    let mut again = Sio::connect(
        server.port,
        json!({ "nick": "alice", "pid": pid, "offset": offset }),
    )
    .await;
    assert_ne!(again.sid, sid, "a new session");
    server
        .wait_log(&[
            "socket.io connected",
            &format!("id={}", again.sid),
            "recovered=false",
        ])
        .await;
    // Not in the lobby any more: a new session starts in no room.
    let refused = again.call(json!(["chat", "lobby", "hi"])).await;
    assert_eq!(refused["error"], "join the room first");
}
