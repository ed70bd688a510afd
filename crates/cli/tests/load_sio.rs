//! `tether load http://...`: short Socket.IO runs of the real binary
//! against an in-process tether Socket.IO server and the Node `socket.io`
//! server, checking the --json summary.

mod client_support;

use client_support::{node_sio, run, tether_serve, tether_sio, Output};
use serde_json::Value;

fn summary(out: &Output) -> Value {
    assert!(out.status.success(), "{out:?}");
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "{out:?}");
    lines.into_iter().next().unwrap()
}

fn check_latencies(s: &Value) {
    let l = &s["latency_us"];
    assert_eq!(l["samples"], s["received"], "{s}");
    assert!(l["p50"].as_u64() <= l["p90"].as_u64(), "{s}");
    assert!(l["p90"].as_u64() <= l["p99"].as_u64(), "{s}");
    assert!(l["p99"].as_u64() <= l["max"].as_u64(), "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acks_closed_loop_against_tether() {
    let port = tether_sio().await;
    let url = format!("http://127.0.0.1:{port}");
    let out = run(
        &["load", &url, "-c", "4", "-d", "1", "-s", "64", "--json"],
        "",
        60,
    )
    .await;
    let s = summary(&out);
    assert_eq!(s["mode"], "ack");
    assert_eq!(s["connected"], 4, "{s}");
    assert_eq!(s["errors"]["total"], 0, "{s}");
    let sent = s["sent"].as_u64().unwrap();
    assert!(sent > 0, "{s}");
    assert_eq!(s["received"], sent, "{s}");
    check_latencies(&s);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acks_at_a_rate_in_a_namespace_with_auth_node() {
    let peer = node_sio().await;
    let url = format!("http://127.0.0.1:{}/admin", peer.port);
    let out = run(
        &[
            "load",
            &url,
            "-c",
            "3",
            "-r",
            "40",
            "-d",
            "1",
            "--auth",
            r#"{"token":"secret"}"#,
            "--json",
        ],
        "",
        60,
    )
    .await;
    let s = summary(&out);
    assert_eq!(s["connected"], 3, "{s}");
    assert_eq!(s["errors"]["total"], 0, "{s}");
    let sent = s["sent"].as_u64().unwrap();
    assert!((1..=126).contains(&sent), "{s}");
    assert_eq!(s["received"], sent, "{s}");
    check_latencies(&s);

    // Without the auth, every connection is refused.
    let out = run(&["load", &url, "-c", "2", "-d", "1", "--json"], "", 60).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let s = &out.json_lines()[0];
    assert_eq!(s["errors"]["by_kind"]["connect"]["count"], 2, "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_to_a_room_against_tether() {
    let port = tether_sio().await;
    let url = format!("http://127.0.0.1:{port}");
    // At a rate: at most 20 emits in a second (+1), each delivered to 5
    // receivers.
    let out = run(
        &[
            "load",
            &url,
            "--mode",
            "broadcast",
            "-c",
            "5",
            "-r",
            "20",
            "-d",
            "1",
            "-s",
            "200",
            "--json",
        ],
        "",
        60,
    )
    .await;
    let s = summary(&out);
    assert_eq!(s["mode"], "broadcast");
    assert_eq!(s["connected"], 5, "{s}");
    assert_eq!(s["errors"]["total"], 0, "{s}");
    let sent = s["sent"].as_u64().unwrap();
    assert!((1..=22).contains(&sent), "{s}");
    assert_eq!(s["expected"], sent * 5, "{s}");
    assert_eq!(s["received"], sent * 5, "{s}");
    check_latencies(&s);

    // Closed loop, with a message cap: 10 deliveries to 2 receivers is 5
    // emits.
    let out = run(
        &[
            "load",
            &url,
            "--mode",
            "broadcast",
            "-c",
            "2",
            "-d",
            "5",
            "--max-messages",
            "10",
            "--json",
        ],
        "",
        60,
    )
    .await;
    let s = summary(&out);
    assert_eq!(s["errors"]["total"], 0, "{s}");
    assert_eq!(s["sent"], 5, "{s}");
    assert_eq!(s["received"], 10, "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn broadcast_that_never_arrives_is_lost() {
    let port = tether_sio().await;
    let url = format!("http://127.0.0.1:{port}");
    // `echo` acks but sends nothing to the room: every delivery is lost.
    let out = run(
        &[
            "load",
            &url,
            "--mode",
            "broadcast",
            "--event",
            "echo",
            "-c",
            "2",
            "-r",
            "5",
            "-d",
            "1",
            "--timeout",
            "1",
            "--json",
        ],
        "",
        60,
    )
    .await;
    let s = summary(&out);
    let sent = s["sent"].as_u64().unwrap();
    assert!(sent > 0, "{s}");
    assert_eq!(s["received"], 0, "{s}");
    assert_eq!(s["errors"]["by_kind"]["lost"]["count"], sent * 2, "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn against_tether_serve_chat_and_echo() {
    let serve = tether_serve().await;
    // The chat lets only members talk to a room: the sender joins too.
    let url = format!("http://127.0.0.1:{}", serve.port);
    let out = run(
        &[
            "load",
            &url,
            "--mode",
            "broadcast",
            "-c",
            "3",
            "-r",
            "10",
            "-d",
            "1",
            "--json",
        ],
        "",
        60,
    )
    .await;
    let s = summary(&out);
    assert_eq!(s["errors"]["total"], 0, "{s}");
    let sent = s["sent"].as_u64().unwrap();
    assert!(sent > 0, "{s}");
    assert_eq!(s["received"], sent * 3, "{s}");
    check_latencies(&s);

    let url = format!("ws://127.0.0.1:{}/ws", serve.port);
    let out = run(&["load", &url, "-c", "2", "-d", "1", "--json"], "", 60).await;
    let s = summary(&out);
    assert_eq!(s["errors"]["total"], 0, "{s}");
    assert_eq!(s["received"], s["sent"], "{s}");
}
