//! Node's official `engine.io-client` (6.6, from interop/node's lockfile)
//! against the `eio_echo_server` example over WebSocket: the open handshake,
//! text and binary messages echoed in order, and server pings answered.
#![cfg(feature = "server")]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncBufReadExt;
use tokio::process::Command;

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The example binary, built by `cargo test` next to this test's binary.
fn example(name: &str) -> PathBuf {
    let exe = std::env::current_exe().expect("test binary path");
    let dir = exe.parent().and_then(Path::parent).expect("target dir");
    let path = dir.join("examples").join(name);
    assert!(
        path.exists(),
        "{} is not built (cargo test builds examples)",
        path.display()
    );
    path
}

#[tokio::test]
async fn engine_io_client_talks_to_the_example_server() {
    let node_dir = repo_root().join("interop/node");
    assert!(
        node_dir.join("node_modules/engine.io-client").exists(),
        "interop/node/node_modules is missing: run scripts/interop-setup.sh (scripts/test.sh does)"
    );
    let mut server = Command::new(example("eio_echo_server"))
        .args([
            "--addr",
            "127.0.0.1:0",
            "--ping-interval",
            "300",
            "--ping-timeout",
            "2000",
        ])
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn example server");
    let mut lines = tokio::io::BufReader::new(server.stdout.take().expect("stdout")).lines();
    let port = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
        .await
        .expect("server did not start")
        .expect("read")
        .and_then(|l| l.strip_prefix("listening ").map(str::to_owned))
        .expect("listening line");

    let output = tokio::time::timeout(
        Duration::from_secs(30),
        Command::new("node")
            .arg(node_dir.join("eio_client.mjs"))
            .arg(&port)
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("node client timed out")
    .expect("run node");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "engine.io-client failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("ok open sid of 22 URL-safe characters"),
        "{stdout}"
    );
    assert!(stdout.contains("ok echoed 5 messages in order"), "{stdout}");
    assert!(stdout.contains("ok answered 2 pings"), "{stdout}");
}
