//! What the `tether serve` tests share: the real binary on a free port
//! (it prints `listening http://127.0.0.1:PORT`), its log, a plain HTTP
//! request, and a Server-Sent Events reader. Every wait is bounded.
#![allow(dead_code)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{mpsc, Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::{Buf, BytesMut};
use tether_sse::{Event, EventStreamDecoder};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// How long any single network wait may take.
pub(crate) const STEP: Duration = Duration::from_secs(15);

/// `tether serve --addr 127.0.0.1:0 ARGS`; killed and waited for on drop.
pub(crate) struct Server {
    child: Child,
    /// The port it took.
    pub(crate) port: u16,
    log: Arc<Mutex<String>>,
}

impl Server {
    /// Starts it and waits (at most 30 s) for its `listening` line.
    pub(crate) fn start(args: &[&str]) -> Server {
        Server::start_on(0, args)
    }

    /// As [`Server::start`], on `port` (0: a free one).
    pub(crate) fn start_on(port: u16, args: &[&str]) -> Server {
        let mut child = Command::new(env!("CARGO_BIN_EXE_tether"))
            .args(["serve", "--addr", &format!("127.0.0.1:{port}")])
            .args(args)
            .env("RUST_LOG", "info")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("run the tether binary");
        let log = Arc::new(Mutex::new(String::new()));
        let stderr = child.stderr.take().expect("piped stderr");
        let sink = log.clone();
        std::thread::spawn(move || {
            // Ends when the process does (its stderr closes).
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let mut log = sink.lock().unwrap();
                log.push_str(&strip_ansi(&line));
                log.push('\n');
            }
        });
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            if let Some(Ok(line)) = lines.next() {
                let _ = tx.send(line);
            }
            // Keep reading so that the server never blocks on stdout.
            for _ in lines {}
        });
        let line = match rx.recv_timeout(Duration::from_secs(30)) {
            Ok(line) => line,
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "tether serve printed no listening line in 30 s:\n{}",
                    log.lock().unwrap()
                );
            }
        };
        let port = line
            .strip_prefix("listening http://127.0.0.1:")
            .and_then(|p| p.trim().parse().ok())
            .unwrap_or_else(|| panic!("unexpected first line: {line:?}"));
        Server { child, port, log }
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn origin(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The log so far (stderr, colours stripped).
    pub(crate) fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Waits (at most `STEP`) until a log line contains every one of
    /// `parts`, and returns it.
    pub(crate) async fn wait_log(&self, parts: &[&str]) -> String {
        let deadline = Instant::now() + STEP;
        loop {
            if let Some(line) = self
                .log()
                .lines()
                .find(|line| parts.iter().all(|p| line.contains(p)))
            {
                return line.to_owned();
            }
            assert!(
                Instant::now() < deadline,
                "no log line with {parts:?} in {STEP:?}:\n{}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `line` without ANSI escape sequences (`ESC [ ... letter`).
fn strip_ansi(line: &str) -> String {
    let mut out = String::with_capacity(line.len());
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' && chars.peek() == Some(&'[') {
            chars.next();
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// A response read whole.
#[derive(Debug)]
pub(crate) struct Response {
    /// The status code.
    pub(crate) status: u16,
    /// The header lines, lower-cased names: `(name, value)`.
    pub(crate) headers: Vec<(String, String)>,
    /// The body (the server closes the connection after it).
    pub(crate) body: Vec<u8>,
}

impl Response {
    /// The first value of header `name` (lower case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
}

/// Header lines: `(lower-case name, value)`.
type Headers = Vec<(String, String)>;

/// The head of a response: status and headers, and the bytes after it.
fn parse_head(raw: &[u8]) -> Option<(u16, Headers, usize)> {
    let end = raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    let head = std::str::from_utf8(&raw[..end]).ok()?;
    let mut lines = head.split("\r\n");
    let status = lines.next()?.split(' ').nth(1)?.parse().ok()?;
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_owned()))
        .collect();
    Some((status, headers, end + 4))
}

/// `GET path` with `Connection: close` and extra `headers`, read to the
/// end (bounded by `STEP`). The body must not be chunked (the server sets
/// a length on everything but streams).
pub(crate) async fn get(port: u16, path: &str, headers: &[(&str, &str)]) -> Response {
    let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
    let mut request =
        format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    request.push_str("\r\n");
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut raw = Vec::new();
    tokio::time::timeout(STEP, tcp.read_to_end(&mut raw))
        .await
        .expect("the response did not end in time")
        .unwrap();
    let (status, headers, at) = parse_head(&raw).expect("a response head");
    Response {
        status,
        headers,
        body: raw[at..].to_vec(),
    }
}

/// A raw `GET /events` (HTTP/1.1, chunked body) with an event-stream
/// decoder on the body.
pub(crate) struct SseReader {
    tcp: TcpStream,
    raw: BytesMut,
    body: BytesMut,
    decoder: EventStreamDecoder,
    /// The response headers.
    pub(crate) headers: Vec<(String, String)>,
}

impl SseReader {
    /// Subscribes, with `Last-Event-ID: last_id` if given.
    pub(crate) async fn open(port: u16, last_id: Option<&str>) -> SseReader {
        let mut tcp = TcpStream::connect(("127.0.0.1", port)).await.unwrap();
        let mut request = format!(
            "GET /events HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAccept: text/event-stream\r\n"
        );
        if let Some(id) = last_id {
            request.push_str(&format!("Last-Event-ID: {id}\r\n"));
        }
        request.push_str("\r\n");
        tcp.write_all(request.as_bytes()).await.unwrap();
        let mut raw = BytesMut::new();
        let (status, headers, at) = loop {
            if let Some(head) = parse_head(&raw) {
                break head;
            }
            let n = tokio::time::timeout(STEP, tcp.read_buf(&mut raw))
                .await
                .expect("no response head in time")
                .unwrap();
            assert!(n > 0, "the connection closed before the response head");
        };
        assert_eq!(status, 200);
        raw.advance(at);
        let reader = SseReader {
            tcp,
            raw,
            body: BytesMut::new(),
            decoder: EventStreamDecoder::new(),
            headers,
        };
        assert_eq!(reader.header("content-type"), Some("text/event-stream"));
        assert_eq!(reader.header("transfer-encoding"), Some("chunked"));
        reader
    }

    /// The first value of header `name` (lower case).
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The decoder (its `retry`, last event id).
    pub(crate) fn decoder(&self) -> &EventStreamDecoder {
        &self.decoder
    }

    /// Moves whole chunks from `raw` into `body`; false at the last chunk.
    fn dechunk(&mut self) -> bool {
        loop {
            let Some(line_end) = self.raw.windows(2).position(|w| w == b"\r\n") else {
                return true;
            };
            let size_text = std::str::from_utf8(&self.raw[..line_end]).unwrap();
            let size_text = size_text.split(';').next().unwrap().trim();
            let size = usize::from_str_radix(size_text, 16).expect("a chunk size");
            if size == 0 {
                return false;
            }
            if self.raw.len() < line_end + 2 + size + 2 {
                return true;
            }
            self.raw.advance(line_end + 2);
            self.body.extend_from_slice(&self.raw[..size]);
            self.raw.advance(size + 2);
        }
    }

    /// The next event (comments and `retry` alone are not events), within
    /// `STEP`.
    pub(crate) async fn next(&mut self) -> Event {
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            if let Some(event) = self.decoder.decode(&mut self.body).unwrap() {
                return event;
            }
            assert!(self.dechunk(), "the event stream ended");
            if let Some(event) = self.decoder.decode(&mut self.body).unwrap() {
                return event;
            }
            let n = tokio::time::timeout_at(deadline, self.tcp.read_buf(&mut self.raw))
                .await
                .expect("no event in time")
                .unwrap();
            assert!(n > 0, "the connection closed");
        }
    }

    /// The next event of type `kind`, skipping others (at most 1000).
    pub(crate) async fn next_of(&mut self, kind: &str) -> Event {
        for _ in 0..1000 {
            let event = self.next().await;
            if event.event_type() == kind {
                return event;
            }
        }
        panic!("no {kind} event in 1000");
    }
}
