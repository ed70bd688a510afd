//! `tether connect ws://...`, the real binary in a pipe, against Python
//! `websockets`, Node `ws` and an in-process tether-ws echo server.

mod client_support;

use client_support::{node_ws_echo, python_ws_echo, run, tether_ws_echo, Session};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lines_in_echoes_out_then_a_clean_close_python() {
    let peer = python_ws_echo().await;
    let url = format!("ws://127.0.0.1:{}/", peer.port);
    let out = run(
        &["connect", &url, "--protocol", "chat.v1"],
        "hello\nwörld, with spaces\n\nlast line without newline",
        30,
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        out.stdout,
        "hello\nwörld, with spaces\n\nlast line without newline\n"
    );
    assert!(!out.stderr.contains("closed"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_close_on_eof_is_a_close_1000_handshake() {
    let (port, closes) = tether_ws_echo().await;
    let url = format!("ws://127.0.0.1:{port}/");
    let out = run(&["connect", &url], "one\r\ntwo\n", 30).await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, "one\ntwo\n");
    // The server got our Close with 1000 (and answered it: the client
    // exited 0 without waiting out a close timeout).
    assert_eq!(*closes.lock().unwrap(), [Some(1000)]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn binary_lines_printed_as_base64_or_hex_node() {
    let peer = node_ws_echo().await;
    let url = format!("ws://127.0.0.1:{}/", peer.port);
    let out = run(&["connect", &url, "--binary"], "abc\n\u{1}\u{2}\n", 30).await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, "YWJj\nAQI=\n");
    let out = run(
        &[
            "connect",
            &url,
            "--binary",
            "--binary-format",
            "hex",
            "--binary-prefix",
            "bin: ",
        ],
        "abc\n",
        30,
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, "bin: 616263\n");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interactive_line_by_line() {
    let peer = node_ws_echo().await;
    let url = format!("ws://127.0.0.1:{}/", peer.port);
    let mut s = Session::start(&["connect", &url]);
    for i in 0..5 {
        let line = format!("message {i}");
        s.send(&line).await;
        assert_eq!(s.line().await.as_deref(), Some(line.as_str()));
    }
    s.close_stdin();
    let out = s.finish().await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(out.stdout, "");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_server_closing_ends_it_with_its_code_on_stderr() {
    let peer = python_ws_echo().await;
    let url = format!("ws://127.0.0.1:{}/", peer.port);
    // A close code other than 1000/1001: reported, exit status 1.
    let mut s = Session::start(&["connect", &url, "--protocol", "chat.v1"]);
    s.send("before").await;
    assert_eq!(s.line().await.as_deref(), Some("before"));
    s.send("close:4001:bye now").await;
    // stdin stays open: the server's close alone ends it.
    let out = s.wait_end().await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        out.stderr
            .contains("the server closed the connection: 4001 bye now"),
        "{out:?}"
    );

    // 1000: reported, exit status 0.
    let mut s = Session::start(&["connect", &url, "--protocol", "chat.v1"]);
    s.send("close:1000:done").await;
    let out = s.wait_end().await;
    assert!(out.status.success(), "{out:?}");
    assert!(
        out.stderr
            .contains("the server closed the connection: 1000 done"),
        "{out:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refusals_and_bad_arguments_fail() {
    // Python `websockets` here requires the subprotocol chat.v1: 400.
    let peer = python_ws_echo().await;
    let url = format!("ws://127.0.0.1:{}/", peer.port);
    let out = run(&["connect", &url], "", 30).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("400"), "{out:?}");

    let out = run(&["connect", "ftp://127.0.0.1:1/"], "", 30).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let out = run(&["connect", &url, "--namespace", "/x"], "", 30).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(out.stderr.contains("Socket.IO"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn help_describes_every_flag() {
    let out = run(&["connect", "--help"], "", 30).await;
    assert!(out.status.success(), "{out:?}");
    for flag in [
        "--binary",
        "--binary-format",
        "--binary-prefix",
        "--protocol",
        "--header",
        "--namespace",
        "--auth",
        "--path",
        "--ack-timeout",
        "--connect-timeout",
        "--close-timeout",
        "--linger",
        "emit-ack",
        "_binary",
    ] {
        assert!(
            out.stdout.contains(flag),
            "{flag} missing from\n{}",
            out.stdout
        );
    }
}

/// permessage-deflate is offered by default (Python `websockets` accepts
/// it): negotiated, a 1 MiB compressible line echoed whole; `--no-deflate`
/// offers nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permessage_deflate_by_default_and_no_deflate() {
    let peer = python_ws_echo().await;
    let url = format!("ws://127.0.0.1:{}/", peer.port);
    let big = "{\"event\":\"tick\",\"data\":[1,2,3]} ".repeat(32 * 1024);
    for (extra, negotiated) in [(None, true), (Some("--no-deflate"), false)] {
        let mut args = vec!["connect", url.as_str(), "--protocol", "chat.v1"];
        args.extend(extra);
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_tether"))
            .args(&args)
            .env("NO_COLOR", "1")
            .env("RUST_LOG", "tether=debug")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("run tether");
        let mut stdin = child.stdin.take().unwrap();
        let input = format!("{big}\nsmall\n");
        let writer = tokio::spawn(async move {
            use tokio::io::AsyncWriteExt;
            let _ = stdin.write_all(input.as_bytes()).await;
        });
        let out =
            tokio::time::timeout(std::time::Duration::from_secs(30), child.wait_with_output())
                .await
                .expect("ends")
                .unwrap();
        let _ = writer.await;
        let stdout = String::from_utf8_lossy(&out.stdout);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(out.status.success(), "{stderr}");
        assert_eq!(stdout, format!("{big}\nsmall\n"), "{args:?}");
        assert_eq!(
            stderr.contains("permessage-deflate"),
            negotiated,
            "{args:?}: {stderr}"
        );
    }
}
