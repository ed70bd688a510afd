//! `tether connect http://...`, the real binary, against the Node
//! `socket.io` server of interop/node/sio_server.mjs and an in-process
//! tether Socket.IO server.

mod client_support;

use client_support::{node_sio, run, tether_sio, Session};
use serde_json::{json, Value};

fn event(v: &Value) -> &str {
    v["event"].as_str().unwrap_or("")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn emit_and_emit_ack_with_binary_node() {
    let peer = node_sio().await;
    let url = format!("http://127.0.0.1:{}", peer.port);
    let out = run(
        &["connect", &url],
        concat!(
            "# the echo event emits back without an ack, acks with one\n",
            "emit echo \"hi\" 1 {\"k\":[true,null]}\n",
            "emit-ack echo {\"b\":2,\"a\":1} {\"_binary\":\"AQID\"}\n",
            "\n",
            "emit-ack \"keys\" {\"z\":1,\"y\":2}\n",
        ),
        30,
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    let lines = out.json_lines();
    assert_eq!(event(&lines[0]), "connect", "{lines:?}");
    assert_eq!(lines[0]["namespace"], "/");
    let sid = lines[0]["sid"].as_str().expect("a sid").to_owned();
    assert!(!sid.is_empty());
    assert_eq!(
        lines[1],
        json!({"event": "welcome", "args": [{"sid": sid, "ns": "/"}]})
    );
    // The event emitted back arrives before the ack (the server handles
    // packets in order); key order survives both ways.
    assert_eq!(
        lines[2],
        json!({"event": "echo", "args": ["hi", 1, {"k": [true, null]}]})
    );
    assert_eq!(
        lines[3].to_string(),
        r#"{"ack":0,"args":[{"b":2,"a":1},{"_binary":"AQID"}]}"#
    );
    assert_eq!(lines[4], json!({"ack": 1, "args": [r#"{"z":1,"y":2}"#]}));
    assert_eq!(
        lines[5],
        json!({"event": "disconnect", "namespace": "/", "reason": "io client disconnect"})
    );
    assert_eq!(lines.len(), 6, "{lines:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn namespace_and_auth_node() {
    let peer = node_sio().await;
    // The namespace from --namespace, with auth.
    let url = format!("http://127.0.0.1:{}", peer.port);
    let out = run(
        &[
            "connect",
            &url,
            "--namespace",
            "/admin",
            "--auth",
            r#"{"token":"secret"}"#,
        ],
        "emit-ack echo \"in admin\"\n",
        30,
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    let lines = out.json_lines();
    assert_eq!(event(&lines[0]), "connect");
    assert_eq!(lines[0]["namespace"], "/admin");
    assert_eq!(
        lines[1],
        json!({"event": "welcome", "args": [{"ns": "/admin", "auth": {"token": "secret"}}]})
    );
    assert_eq!(lines[2], json!({"ack": 0, "args": ["in admin"]}));
    assert_eq!(lines[3]["reason"], "io client disconnect");

    // The namespace from the URL's path, without auth: refused.
    let url = format!("http://127.0.0.1:{}/admin", peer.port);
    let out = run(&["connect", &url], "emit-ack echo 1\n", 30).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        out.json_lines(),
        [
            json!({"event": "connect_error", "namespace": "/admin", "data": {"message": "not authorized"}})
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn answering_the_servers_ack_request_node() {
    let peer = node_sio().await;
    let url = format!("http://127.0.0.1:{}", peer.port);
    let mut s = Session::start(&["connect", &url]);
    assert_eq!(event(&s.json().await), "connect");
    assert_eq!(event(&s.json().await), "welcome");
    s.send("emit ask").await;
    let question = s.json().await;
    assert_eq!(question["event"], "question", "{question}");
    assert_eq!(question["args"], json!(["q?", 42]));
    let id = question["ack"]
        .as_u64()
        .expect("the server asks for an ack");
    s.send(&format!("ack {id} \"yes\" {{\"_binary\":\"/w==\"}}"))
        .await;
    assert_eq!(
        s.json().await,
        json!({"event": "answered", "args": ["yes", {"_binary": "/w=="}]})
    );
    s.send("disconnect").await;
    assert_eq!(s.json().await["reason"], "io client disconnect");
    let out = s.finish().await;
    assert!(out.status.success(), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tether_server_events_binary_timeouts_and_server_disconnect() {
    let port = tether_sio().await;
    let url = format!("http://127.0.0.1:{port}");
    let mut s = Session::start(&["connect", &url, "--ack-timeout", "0.5"]);
    let connect = s.json().await;
    assert_eq!(event(&connect), "connect");
    let welcome = s.json().await;
    assert_eq!(welcome["args"][0]["sid"], connect["sid"]);

    // Binary from the server, as {"_binary": base64}.
    s.send("emit bytes").await;
    let bytes = s.json().await;
    let all: Vec<u8> = (0..=255).collect();
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&all);
    assert_eq!(
        bytes,
        json!({"event": "bytes", "args": [{"_binary": b64}, "after"]})
    );

    // An ack that never comes.
    s.send("emit-ack silent").await;
    assert_eq!(s.json().await, json!({"ack": 0, "error": "timeout"}));

    // Room broadcast: a second client (also the binary) in the room.
    let mut other = Session::start(&["connect", &url]);
    assert_eq!(event(&other.json().await), "connect");
    assert_eq!(event(&other.json().await), "welcome");
    other.send("emit-ack join \"lobby\"").await;
    assert_eq!(other.json().await, json!({"ack": 0, "args": [true]}));
    s.send("emit-ack chat \"lobby\" \"hello room\"").await;
    assert_eq!(s.json().await, json!({"ack": 1, "args": ["delivered"]}));
    assert_eq!(
        other.json().await,
        json!({"event": "chat", "args": [connect["sid"], "hello room"]})
    );
    let out = other.finish().await;
    assert!(out.status.success(), "{out:?}");

    // A bad command: refused, the session goes on, the exit status is 1.
    s.send("shout x").await;
    s.send("emit-ack echo [1,2]").await;
    assert_eq!(s.json().await, json!({"ack": 2, "args": [[1, 2]]}));

    // The server disconnects the socket.
    s.send("emit bye").await;
    assert_eq!(
        s.json().await,
        json!({"event": "disconnect", "namespace": "/", "reason": "io server disconnect"})
    );
    let out = s.wait_end().await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("unknown command \"shout\""), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tether_server_refusal_carries_its_data() {
    let port = tether_sio().await;
    let url = format!("http://127.0.0.1:{port}/admin");
    let out = run(&["connect", &url, "--auth", r#"{"token":"wrong"}"#], "", 30).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(
        out.json_lines(),
        [json!({"event": "connect_error", "namespace": "/admin",
                "data": {"message": "not authorized", "data": {"code": 401}}})]
    );
    let out = run(
        &["connect", &url, "--auth", r#"{"token":"secret"}"#],
        "emit-ack echo 7\n",
        30,
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    let lines = out.json_lines();
    assert_eq!(lines[0]["namespace"], "/admin");
    assert_eq!(lines[1], json!({"ack": 0, "args": [7]}));

    // Nobody listening: a connect_error, exit status 1.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let free = listener.local_addr().unwrap().port();
    drop(listener);
    let out = run(&["connect", &format!("http://127.0.0.1:{free}")], "", 30).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert_eq!(event(&out.json_lines()[0]), "connect_error");

    // --auth must be an object.
    let out = run(&["connect", &url, "--auth", "[1]"], "", 30).await;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
}
