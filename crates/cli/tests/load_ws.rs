//! `tether load ws://...`: short runs of the real binary against Node `ws`
//! and an in-process tether-ws echo server, checking the --json summary.

mod client_support;

use client_support::{node_ws_echo, run, tether_ws_echo, Output};
use serde_json::Value;

fn summary(out: &Output) -> Value {
    assert!(out.status.success(), "{out:?}");
    let lines = out.json_lines();
    assert_eq!(lines.len(), 1, "{out:?}");
    lines.into_iter().next().unwrap()
}

/// Counts that agree with each other, and no error.
fn check_sane(s: &Value, connections: u64) {
    assert_eq!(s["connections"], connections, "{s}");
    assert_eq!(s["connected"], connections, "{s}");
    assert_eq!(s["errors"]["total"], 0, "{s}");
    let sent = s["sent"].as_u64().unwrap();
    assert!(sent > 0, "{s}");
    assert_eq!(s["received"], sent, "{s}");
    assert_eq!(s["expected"], sent, "{s}");
    let l = &s["latency_us"];
    assert_eq!(l["samples"], sent, "{s}");
    let (p50, p90, p99, max) = (
        l["p50"].as_u64().unwrap(),
        l["p90"].as_u64().unwrap(),
        l["p99"].as_u64().unwrap(),
        l["max"].as_u64().unwrap(),
    );
    assert!(p50 <= p90 && p90 <= p99 && p99 <= max, "{s}");
    let elapsed = s["elapsed_s"].as_f64().unwrap();
    assert!((0.9..30.0).contains(&elapsed), "{s}");
    assert!(s["throughput_per_s"].as_f64().unwrap() > 0.0, "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closed_loop_against_node_ws() {
    let peer = node_ws_echo().await;
    let url = format!("ws://127.0.0.1:{}/", peer.port);
    let out = run(
        &[
            "load",
            &url,
            "--connections",
            "4",
            "--size",
            "100",
            "--duration",
            "1",
            "--json",
        ],
        "",
        60,
    )
    .await;
    let s = summary(&out);
    check_sane(&s, 4);
    assert_eq!(s["mode"], "echo");
    assert_eq!(s["size"], 100);
    assert_eq!(s["rate"], 0.0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn at_a_rate_against_tether() {
    let (port, _) = tether_ws_echo().await;
    let url = format!("ws://127.0.0.1:{port}/");
    let out = run(
        &[
            "load", &url, "-c", "2", "-r", "50", "-d", "1", "-s", "4096", "--json",
        ],
        "",
        60,
    )
    .await;
    let s = summary(&out);
    check_sane(&s, 2);
    // At most 2 connections × 50/s × 1 s (+ the first tick, at once);
    // fewer on a loaded machine.
    let sent = s["sent"].as_u64().unwrap();
    assert!((1..=104).contains(&sent), "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn max_messages_caps_the_run_and_the_table_reports() {
    let (port, closes) = tether_ws_echo().await;
    let url = format!("ws://127.0.0.1:{port}/");
    let out = run(
        &["load", &url, "-c", "3", "-d", "30", "--max-messages", "30"],
        "",
        60,
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    for row in [
        "target",
        "connections  3 open of 3",
        "sent         30",
        "received     30 of 30",
        "throughput",
        "p50",
        "p90",
        "p99",
        "max",
        "errors       0",
    ] {
        assert!(out.stdout.contains(row), "{row:?} missing:\n{}", out.stdout);
    }
    // The connections were closed with a Close handshake afterwards.
    assert_eq!(*closes.lock().unwrap(), [Some(1000); 3]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nobody_listening_is_an_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let free = listener.local_addr().unwrap().port();
    drop(listener);
    let out = run(
        &[
            "load",
            &format!("ws://127.0.0.1:{free}/"),
            "-c",
            "2",
            "-d",
            "1",
            "--json",
        ],
        "",
        60,
    )
    .await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let s = &out.json_lines()[0];
    assert_eq!(s["connected"], 0);
    assert_eq!(s["errors"]["by_kind"]["connect"]["count"], 2, "{s}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_describes_every_flag() {
    let out = run(&["load", "--help"], "", 30).await;
    assert!(out.status.success(), "{out:?}");
    for flag in [
        "--connections",
        "--size",
        "--rate",
        "--duration",
        "--max-messages",
        "--timeout",
        "--window",
        "--json",
        "--mode",
        "--event",
        "--join-event",
        "--room",
        "--namespace",
        "--auth",
        "--path",
        "p99",
        "broadcast",
    ] {
        assert!(
            out.stdout.contains(flag),
            "{flag} missing from\n{}",
            out.stdout
        );
    }
    let out = run(&["--help"], "", 30).await;
    assert!(out.status.success(), "{out:?}");
    for command in ["serve", "connect", "load"] {
        assert!(out.stdout.contains(command), "{}", out.stdout);
    }
}
