//! Streaming at the connection level against real peers: `next_chunk()`
//! receives a message chunk by chunk as its bytes arrive, and
//! `send_fragment`/`send_stream` send one from pieces, each a frame on the
//! wire as it comes.
//!
//! * A tether proxy forwards a 256 MiB binary message from a Node `ws`
//!   client to a Python `websockets` server chunk by chunk; both peers hash
//!   what they sent and received, and a counting allocator bounds the
//!   proxy's heap while it forwards.
//! * Text from Node, cut inside code points, comes out in valid chunks that
//!   join to the original; invalid UTF-8 in a later fragment fails with
//!   1007, which the peer sees.
//! * `send_stream` of 1,000 pieces (text cut inside code points, binary)
//!   arrives whole at Node and Python, and a ping the peer sends meanwhile
//!   is answered between the pieces.
//! * Limits: a chunked message fails with 1009 at the header of the frame
//!   that crosses `max_message_size` (or `max_frame_size`), before any of
//!   its payload has been sent.
//!
//! The peers are interop/node/stream_client.mjs, interop/node/stream_server.mjs
//! and interop/python/stream_server.py (installed by scripts/interop-setup.sh).

mod common;

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::sync::atomic::{AtomicIsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use common::{frame_bytes, node_script, python, repo_root, run_peer_client, RawClient};
use futures::{SinkExt, StreamExt};
use tether_ws::{DataKind, Error, Fragment, Message, MessageChunk, WebSocketConfig};
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::{ChildStdout, Command};

// ----- a counting allocator, for the proxy's thread only -----

/// Counts the heap of the threads that set `TRACKED` (the proxy's), so
/// that the other tests of this binary, running meanwhile, do not count.
struct Counting;

thread_local! {
    static TRACKED: Cell<bool> = const { Cell::new(false) };
}

/// Bytes allocated and not freed by tracked threads.
static LIVE: AtomicIsize = AtomicIsize::new(0);
/// The most `LIVE` has been since `reset_peak`.
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn tracked() -> bool {
    // A `const` thread local without destructor: no allocation, and
    // readable while the thread exits (else not tracked).
    TRACKED.try_with(Cell::get).unwrap_or(false)
}

fn count(delta: isize) {
    let now = LIVE.fetch_add(delta, Ordering::Relaxed) + delta;
    PEAK.fetch_max(now, Ordering::Relaxed);
}

// SAFETY: forwards to the system allocator and only counts sizes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        if tracked() {
            count(layout.size() as isize);
        }
        // SAFETY: same layout as given to us.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        if tracked() {
            count(layout.size() as isize);
        }
        // SAFETY: same layout as given to us.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        if tracked() {
            count(-(layout.size() as isize));
        }
        // SAFETY: `ptr` came from `System.alloc` with this layout.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        if tracked() {
            count(new_size as isize - layout.size() as isize);
        }
        // SAFETY: as `GlobalAlloc::realloc` requires of us.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

// ----- peers -----

/// Generous bound for any one step with a peer.
const STEP: Duration = Duration::from_secs(60);

/// A peer server process (killed on drop) whose stdout is kept, to read
/// what it reports after `listening <port>`.
struct PeerServer {
    _child: tokio::process::Child,
    port: u16,
    lines: Lines<BufReader<ChildStdout>>,
}

impl PeerServer {
    async fn spawn(mut command: Command) -> PeerServer {
        command
            .stdout(std::process::Stdio::piped())
            .kill_on_drop(true);
        let mut child = command.spawn().expect("spawn peer server");
        let stdout = child.stdout.take().expect("stdout");
        let mut lines = BufReader::new(stdout).lines();
        let port = tokio::time::timeout(STEP, async {
            while let Some(line) = lines.next_line().await.expect("read") {
                if let Some(port) = line.strip_prefix("listening ") {
                    return port.trim().parse::<u16>().expect("port");
                }
            }
            panic!("the peer server exited before listening");
        })
        .await
        .expect("peer server did not start");
        PeerServer {
            _child: child,
            port,
            lines,
        }
    }

    async fn node() -> PeerServer {
        let mut command = Command::new("node");
        command.arg(node_script("stream_server.mjs"));
        PeerServer::spawn(command).await
    }

    async fn python() -> PeerServer {
        let mut command = Command::new(python());
        command.arg(repo_root().join("interop/python/stream_server.py"));
        PeerServer::spawn(command).await
    }

    fn url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.port)
    }

    /// Waits for the line `expected` on the peer's stdout.
    async fn expect_line(&mut self, expected: &str) {
        let line = tokio::time::timeout(STEP, self.lines.next_line())
            .await
            .unwrap_or_else(|_| panic!("no {expected:?} from the peer"))
            .expect("read");
        assert_eq!(line.as_deref(), Some(expected));
    }
}

/// The Node client of interop/node/stream_client.mjs with `args`.
fn node_client(args: &[&str]) -> Command {
    let mut command = Command::new("node");
    command.arg(node_script("stream_client.mjs")).args(args);
    command
}

/// The words of the line of `out` that starts with `word`.
fn line_of<'a>(out: &'a str, word: &str) -> Vec<&'a str> {
    out.lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .find(|w| w.first() == Some(&word))
        .unwrap_or_else(|| panic!("no {word:?} line in {out:?}"))
}

/// The text of `stream_client.mjs`'s `textOf`: 1 to 4-byte characters
/// picked by a 32-bit LCG until `size` bytes or more.
fn text_of(size: usize) -> String {
    const CHARS: [char; 8] = ['a', 'é', '€', '😀', ' ', 'ß', '中', '𝄞'];
    let mut x: u32 = 1;
    let mut text = String::with_capacity(size + 4);
    while text.len() < size {
        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
        text.push(CHARS[(x >> 29) as usize]);
    }
    text
}

/// A server with `config` for one connection, whose stream is handed back.
async fn accept_one(config: WebSocketConfig) -> (String, tokio::task::JoinHandle<Server>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let url = format!("ws://{}/", listener.local_addr().expect("addr"));
    let task = tokio::spawn(async move {
        let (tcp, _) = listener.accept().await.expect("accept");
        tether_ws::accept_with_config(tcp, config)
            .await
            .expect("handshake")
    });
    (url, task)
}

type Server = tether_ws::WebSocketStream<TcpStream>;

/// What a server read with `next_chunk` until the end or the first error.
#[derive(Debug, Default)]
struct Chunks {
    /// The data of every chunk, joined.
    data: Vec<u8>,
    /// Data chunks, and how many were marked first and last.
    count: usize,
    firsts: Vec<usize>,
    lasts: Vec<usize>,
    /// A text chunk that was not UTF-8 on its own.
    invalid: usize,
    /// The kind of the data chunks (they must not mix).
    kinds: Vec<DataKind>,
    error: Option<Error>,
}

/// Reads chunks until the message's last one (then closes), the first
/// error or the end of the connection.
async fn read_chunks(ws: &mut Server) -> Chunks {
    let mut got = Chunks::default();
    loop {
        let chunk = tokio::time::timeout(STEP, ws.next_chunk())
            .await
            .expect("no chunk");
        let (kind, data, first, last) = match chunk {
            Some(Ok(MessageChunk::Text { data, first, last })) => {
                if std::str::from_utf8(data.as_bytes()).is_err() {
                    got.invalid += 1;
                }
                (DataKind::Text, data.into_bytes(), first, last)
            }
            Some(Ok(MessageChunk::Binary { data, first, last })) => {
                (DataKind::Binary, data, first, last)
            }
            Some(Ok(MessageChunk::Control(_))) => continue,
            Some(Err(e)) => {
                got.error = Some(e);
                return got;
            }
            None => return got,
        };
        if !got.kinds.contains(&kind) {
            got.kinds.push(kind);
        }
        if first {
            got.firsts.push(got.count);
        }
        if last {
            got.lasts.push(got.count);
        }
        got.count += 1;
        got.data.extend_from_slice(&data);
        if last {
            let _ = tokio::time::timeout(STEP, ws.close()).await;
            return got;
        }
    }
}

/// The close code of a protocol error.
fn close_code(e: &Error) -> Option<u16> {
    e.close_code().map(u16::from)
}

// ----- 1. forwarding a large message without holding it -----

/// The forwarded message: 256 MiB, sixteen times the proxy's heap bound,
/// so that a proxy holding a sixteenth of it fails the test. Forwarding it
/// takes 2 to 4 s in a debug build on a 2-core machine (Node generates,
/// hashes and masks it; tether unmasks it, masks it again as a client and
/// forwards it; Python unmasks and hashes it): within a few seconds. 1 GiB
/// took 14 to 19 s, with the same peak heap, too long for this file.
const FORWARD_SIZE: usize = 256 << 20;
/// The Node client's fragments: 1 MiB frames, within the default
/// `max_frame_size` (16 MiB), 256 of them.
const NODE_FRAGMENT: usize = 1 << 20;
/// The proxy's peak heap while forwarding, above what it held once both
/// connections were open.
const PEAK_LIMIT: isize = 16 << 20;

/// What the proxy saw.
#[derive(Debug)]
struct Forwarded {
    chunks: usize,
    bytes: usize,
    /// Heap when forwarding started (both connections open) and the peak
    /// above it while forwarding.
    base: isize,
    peak: isize,
}

/// The proxy: accepts the Node client, connects to the Python sink, and
/// forwards one binary message chunk by chunk, each chunk a frame; then
/// relays the sink's report back to Node. Runs on its own thread (a
/// current-thread runtime) whose heap is counted.
async fn proxy(listener: std::net::TcpListener, sink: String) -> Forwarded {
    let listener = TcpListener::from_std(listener).expect("listener");
    let (tcp, _) = listener.accept().await.expect("accept");
    // The whole message is one message for the limits: `max_message_size`
    // (64 MiB by default) must admit it even though it is never held.
    let config = WebSocketConfig::default().with_max_message_size(FORWARD_SIZE as u64);
    let mut from = tether_ws::accept_with_config(tcp, config)
        .await
        .expect("handshake");
    let (mut to, _) = tether_ws::connect(&sink).await.expect("connect sink");

    let base = LIVE.load(Ordering::Relaxed);
    PEAK.store(base, Ordering::Relaxed);
    let (mut chunks, mut bytes) = (0, 0);
    loop {
        let chunk = tokio::time::timeout(STEP, from.next_chunk())
            .await
            .expect("no chunk from Node")
            .expect("Node closed")
            .expect("valid chunk");
        let (data, first, last) = match chunk {
            MessageChunk::Binary { data, first, last } => (data, first, last),
            MessageChunk::Control(_) => continue,
            other => panic!("{other:?}"),
        };
        chunks += 1;
        bytes += data.len();
        let fragment = match (first, last) {
            (true, _) => Fragment::Start(DataKind::Binary, data),
            (false, false) => Fragment::Continue(data),
            (false, true) => Fragment::End(data),
        };
        tokio::time::timeout(STEP, to.send_fragment(fragment))
            .await
            .expect("sink stalled")
            .expect("send");
        if first && last {
            to.send_fragment(Fragment::End(Bytes::new()))
                .await
                .expect("send");
        }
        if last {
            break;
        }
    }
    let peak = PEAK.load(Ordering::Relaxed) - base;

    let report = tokio::time::timeout(STEP, to.next())
        .await
        .expect("no report from the sink")
        .expect("sink closed")
        .expect("valid report");
    from.send(report).await.expect("relay the report");
    // Node closes once it has the report.
    while let Some(m) = tokio::time::timeout(STEP, from.next())
        .await
        .expect("Node did not close")
    {
        m.expect("valid");
    }
    let _ = tokio::time::timeout(STEP, to.close()).await;
    Forwarded {
        chunks,
        bytes,
        base,
        peak,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_proxy_forwards_256_mib_from_node_to_python_chunk_by_chunk_in_bounded_memory() {
    let sink = PeerServer::python().await;
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.set_nonblocking(true).expect("nonblocking");
    let url = format!("ws://{}/", listener.local_addr().expect("addr"));
    let sink_url = sink.url("/sink");
    let proxy = std::thread::spawn(move || {
        TRACKED.with(|t| t.set(true));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        runtime.block_on(proxy(listener, sink_url))
    });

    let started = std::time::Instant::now();
    let size = FORWARD_SIZE.to_string();
    let fragment = NODE_FRAGMENT.to_string();
    let out = run_peer_client(node_client(&["binary", &url, &size, &fragment]), 300).await;
    let elapsed = started.elapsed();
    let forwarded = tokio::task::spawn_blocking(move || proxy.join())
        .await
        .expect("join")
        .expect("the proxy failed");

    let sent = line_of(&out, "sent");
    let reply = line_of(&out, "reply");
    println!(
        "forwarded {} bytes in {} chunks in {elapsed:?}; proxy heap {} B when forwarding \
         started, peak {} B above it; Node: {sent:?}, Python: {reply:?}",
        forwarded.bytes, forwarded.chunks, forwarded.base, forwarded.peak
    );
    assert_eq!(sent[1], size, "{out}");
    assert_eq!(sent[3], (FORWARD_SIZE / NODE_FRAGMENT).to_string(), "{out}");
    // Python received what Node sent: same length, same SHA-256 ...
    assert_eq!(reply[1], "received", "{out}");
    assert_eq!(reply[2], size, "{out}");
    assert_eq!(reply[3], sent[2], "the checksums differ: {out}");
    assert_eq!(forwarded.bytes, FORWARD_SIZE);
    // ... in as many frames as the proxy had chunks: each chunk went out as
    // a frame of its own as it came.
    assert_eq!(reply[4], forwarded.chunks.to_string(), "{out}");
    assert!(forwarded.chunks > 256, "{forwarded:?}");
    // The allocator saw the proxy's buffers (a read buffer at least) ...
    assert!(forwarded.peak >= 8 << 10, "{forwarded:?}");
    // ... and they stayed far below the message.
    assert!(
        forwarded.peak < PEAK_LIMIT,
        "the proxy's heap grew by {} B while forwarding {FORWARD_SIZE} B",
        forwarded.peak
    );
}

// ----- 2. text cut inside code points -----

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn text_from_node_cut_inside_code_points_comes_out_in_valid_chunks() {
    const SIZE: usize = 8 << 20;
    let (url, server) = accept_one(WebSocketConfig::default()).await;
    let reader = tokio::spawn(async move {
        let mut ws = server.await.expect("server");
        let got = read_chunks(&mut ws).await;
        (got, ws)
    });
    let out = run_peer_client(node_client(&["text", &url, &SIZE.to_string()]), 120).await;
    let (got, _ws) = reader.await.expect("reader");

    let expected = text_of(SIZE);
    let sent = line_of(&out, "sent");
    assert_eq!(sent[1], expected.len().to_string(), "{out}");
    let (fragments, inside): (usize, usize) = (
        sent[2].parse().expect("count"),
        sent[3].parse().expect("count"),
    );
    println!(
        "{} bytes of text in {fragments} fragments ({inside} cut inside a code point) \
         came out in {} chunks",
        expected.len(),
        got.count
    );
    assert!(inside > fragments / 2, "{out}");
    assert!(got.error.is_none(), "{:?}", got.error);
    assert_eq!(got.kinds, [DataKind::Text]);
    assert_eq!(got.invalid, 0, "chunks that are not UTF-8 on their own");
    // At least a chunk per fragment that completes a code point: all but
    // some of those of 1 to 3 bytes, three in eight.
    assert!(got.count >= fragments * 5 / 8, "{} chunks", got.count);
    assert_eq!(got.firsts, [0]);
    assert_eq!(got.lasts, [got.count - 1]);
    assert!(
        got.data == expected.as_bytes(),
        "the chunks do not join to the text"
    );
    assert_eq!(line_of(&out, "closed"), ["closed", "1000"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invalid_utf8_in_a_later_fragment_fails_with_1007_seen_by_node() {
    let valid = text_of(1 << 20);
    // What may come out before the failure: the valid text and the valid
    // start of the bad fragments.
    for (variant, valid_start) in [
        ("bad-byte", "ok ff:"),
        ("bad-continuation", "a"),
        ("incomplete-end", "a"),
    ] {
        let (url, server) = accept_one(WebSocketConfig::default()).await;
        let reader = tokio::spawn(async move {
            let mut ws = server.await.expect("server");
            let got = read_chunks(&mut ws).await;
            (got, ws)
        });
        let out = run_peer_client(node_client(&["invalid", &url, variant]), 120).await;
        let (got, _ws) = reader.await.expect("reader");
        assert_eq!(line_of(&out, "sent")[1], valid.len().to_string(), "{out}");

        let error = got.error.as_ref().expect("an error");
        assert_eq!(close_code(error), Some(1007), "{variant}: {error:?}");
        assert_eq!(
            line_of(&out, "closed"),
            ["closed", "1007"],
            "{variant}: {out}"
        );
        assert_eq!(got.invalid, 0, "{variant}");
        assert!(got.lasts.is_empty(), "{variant}");
        // Every valid byte came out before the failure, nothing else.
        let allowed = [valid.as_bytes(), valid_start.as_bytes()].concat();
        assert!(
            got.data.len() >= valid.len() && allowed.starts_with(&got.data),
            "{variant}: {} bytes came out",
            got.data.len()
        );
    }
}

// ----- 3. send_stream to Node and Python -----

/// The pieces streamed: 1,000 of them.
const PIECES: usize = 1000;

/// The sizes of the streamed pieces, cycling (an empty first piece, and
/// pieces of 1 to 3 bytes that cut code points).
fn piece_sizes() -> impl Iterator<Item = usize> {
    [0, 1, 2, 3, 1021, 5, 2047, 7, 4093]
        .into_iter()
        .cycle()
        .take(PIECES)
}

/// A message of `kind` and the 1,000 pieces it is sent in (slices of it).
fn message_and_pieces(kind: DataKind) -> (Bytes, Vec<Bytes>) {
    let total: usize = piece_sizes().sum();
    let whole = match kind {
        DataKind::Text => Bytes::from(text_of(total)),
        DataKind::Binary => {
            let mut x: u32 = 7;
            Bytes::from(
                (0..total)
                    .map(|_| {
                        x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                        (x >> 24) as u8
                    })
                    .collect::<Vec<u8>>(),
            )
        }
    };
    let mut pieces = Vec::with_capacity(PIECES);
    let mut at = 0;
    for (i, size) in piece_sizes().enumerate() {
        // The last piece takes what `text_of` added past `total`.
        let end = if i == PIECES - 1 {
            whole.len()
        } else {
            at + size
        };
        pieces.push(whole.slice(at..end));
        at = end;
    }
    (whole, pieces)
}

/// What a peer reported of a streamed message.
#[derive(Debug)]
struct Report {
    kind: DataKind,
    /// The message came back whole and equal.
    echoed: bool,
    /// The bytes the peer counted.
    bytes: usize,
    expected: usize,
    /// The pong of the peer's ping came before the message's last frame
    /// (in the order the peer parsed the frames), and came at all.
    pong_before_end: bool,
    pong: bool,
}

/// Streams a text and a binary message of 1,000 pieces to `peer` with
/// `send_stream`; with `ping`, waits halfway through each until the peer
/// has sent a ping (the peer prints `pinged <round>` once it is written to
/// the socket). Returns what the peer reported of each.
async fn stream_to(mut peer: PeerServer, name: &str, ping: bool) -> Vec<Report> {
    let (mut ws, _) = tether_ws::connect(&peer.url("/stream"))
        .await
        .expect("connect");
    let mut reports = Vec::new();
    for (round, kind) in [(1, DataKind::Text), (2, DataKind::Binary)] {
        let (whole, pieces) = message_and_pieces(kind);
        if kind == DataKind::Text {
            let inside = pieces
                .iter()
                .filter(|p| p.first().is_some_and(|b| b & 0xC0 == 0x80))
                .count();
            assert!(inside > 200, "{inside} pieces start inside a code point");
        }
        if ping {
            ws.send(Message::text("ping me")).await.expect("send");
        }
        let pinged = ping.then(|| format!("pinged {round}"));
        let lines = &mut peer;
        let pieces = futures::stream::unfold(
            (pieces.into_iter().enumerate(), lines),
            |(mut pieces, lines)| async {
                let (i, piece) = pieces.next()?;
                if let (Some(pinged), PIECES_HALF) = (&pinged, i) {
                    // The peer's ping is on its way while the stream is
                    // being sent.
                    lines.expect_line(pinged).await;
                }
                Some((Ok::<_, Error>(piece), (pieces, lines)))
            },
        );
        tokio::time::timeout(STEP, ws.send_stream(kind, pieces))
            .await
            .expect("send_stream stalled")
            .expect("send_stream");

        let mut echo = None;
        let report = loop {
            let m = tokio::time::timeout(STEP, ws.next())
                .await
                .expect("no answer")
                .expect("open")
                .expect("valid");
            match m {
                Message::Text(t) if t.starts_with("report ") => break t,
                Message::Text(t) => echo = Some(t.into_bytes()),
                Message::Binary(b) => echo = Some(b),
                Message::Ping(_) | Message::Pong(_) => {}
                other => panic!("{other:?}"),
            }
        };
        println!("{name}, {kind:?}: {report}");
        let words: Vec<&str> = report.split(' ').collect();
        assert_eq!(words[1], if ping { round } else { 0 }.to_string());
        reports.push(Report {
            kind,
            echoed: echo.is_some_and(|e| e == whole),
            bytes: words[2].parse().expect("bytes"),
            expected: whole.len(),
            pong_before_end: words[3] == "true",
            pong: words[4] == "true",
        });
    }
    let _ = tokio::time::timeout(STEP, ws.close()).await;
    reports
}

/// The piece before which the stream waits for the peer's ping.
const PIECES_HALF: usize = PIECES / 2;

fn assert_whole(reports: &[Report], name: &str) {
    for r in reports {
        assert!(r.echoed, "{name} {:?}: the echo differs: {r:?}", r.kind);
        assert_eq!(r.bytes, r.expected, "{name} {:?}: {r:?}", r.kind);
    }
}

fn assert_pong_between_pieces(reports: &[Report], name: &str) {
    assert_whole(reports, name);
    for r in reports {
        assert!(
            r.pong,
            "{name} {:?}: the ping was never answered: {r:?}",
            r.kind
        );
    }
    for r in reports {
        assert!(
            r.pong_before_end,
            "{name} {:?}: the pong of a ping that arrived while send_stream was sending came \
             only after the message's last frame: {r:?}",
            r.kind
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_stream_of_1000_pieces_arrives_whole_at_node() {
    let reports = stream_to(PeerServer::node().await, "Node ws", false).await;
    assert_whole(&reports, "Node ws");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_stream_of_1000_pieces_arrives_whole_at_python() {
    let reports = stream_to(PeerServer::python().await, "Python websockets", false).await;
    assert_whole(&reports, "Python websockets");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ping_from_node_during_send_stream_gets_its_pong_between_the_pieces() {
    let reports = stream_to(PeerServer::node().await, "Node ws", true).await;
    assert_pong_between_pieces(&reports, "Node ws");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_ping_from_python_during_send_stream_gets_its_pong_between_the_pieces() {
    let reports = stream_to(PeerServer::python().await, "Python websockets", true).await;
    assert_pong_between_pieces(&reports, "Python websockets");
}

// ----- 4. limits -----

const MASK: Option<[u8; 4]> = Some([0x11, 0x22, 0x33, 0x44]);

/// Sends `frames` (hand-built, so a frame can stop after its header) to a
/// server with `config` reading chunks; returns what it read and the Close
/// codes the client got before the end of the connection.
async fn raw_chunked(config: WebSocketConfig, frames: &[Vec<u8>]) -> (Chunks, Vec<u16>) {
    let (url, server) = accept_one(config).await;
    let reader = tokio::spawn(async move {
        let mut ws = server.await.expect("server");
        let got = read_chunks(&mut ws).await;
        (got, ws)
    });
    let mut raw =
        RawClient::connect(url.trim_start_matches("ws://").trim_end_matches('/'), &[]).await;
    for frame in frames {
        raw.send_raw(frame).await;
    }
    let transcript = raw.read_until_eof(Duration::from_secs(30)).await;
    let (got, _ws) = reader.await.expect("reader");
    assert_eq!(transcript.end, common::End::Eof, "{}", transcript.summary());
    let codes = transcript
        .closes()
        .map(|c| u16::from_be_bytes([c.payload[0], c.payload[1]]))
        .collect();
    (got, codes)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_message_fails_with_1009_at_the_header_that_crosses_the_limit() {
    const MAX: usize = 1 << 20;
    const HALF: usize = MAX / 2;
    let config = WebSocketConfig::default().with_max_message_size(MAX as u64);
    let half = vec![0x5Au8; HALF];

    // Exactly the limit, in two fragments: accepted.
    let (got, codes) = raw_chunked(
        config.clone(),
        &[
            frame_bytes(0x02, HALF as u64, MASK, &half),
            frame_bytes(0x80, HALF as u64, MASK, &half),
            frame_bytes(0x88, 2, MASK, &1000u16.to_be_bytes()),
        ],
    )
    .await;
    assert!(got.error.is_none(), "{:?}", got.error);
    assert_eq!((got.data.len(), got.lasts.len()), (MAX, 1));
    assert_eq!(codes, [1000]);

    // One byte more, declared by the third frame's header, whose payload
    // is never sent: 1009 at that header, the two fragments before it
    // delivered whole.
    let (got, codes) = raw_chunked(
        config.clone(),
        &[
            frame_bytes(0x02, HALF as u64, MASK, &half),
            frame_bytes(0x00, HALF as u64, MASK, &half),
            frame_bytes(0x80, 1, MASK, &[]),
        ],
    )
    .await;
    match &got.error {
        Some(Error::Protocol(tether_message::Error::MessageTooBig { size, max })) => {
            assert_eq!((*size, *max), (MAX as u64 + 1, MAX as u64));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(got.data.len(), MAX);
    assert!(got.lasts.is_empty());
    assert_eq!(codes, [1009]);

    // A first frame declaring more than the limit: 1009 at once, nothing
    // delivered.
    let (got, codes) = raw_chunked(
        config.clone(),
        &[frame_bytes(0x02, MAX as u64 + 1, MASK, &[])],
    )
    .await;
    assert_eq!(got.error.as_ref().and_then(close_code), Some(1009));
    assert_eq!(got.count, 0);
    assert_eq!(codes, [1009]);

    // `max_frame_size` holds for each frame of a chunked message within
    // `max_message_size`: four frames of the limit pass, a frame one byte
    // over it fails at its header.
    let quarter = vec![0xA5u8; MAX / 4];
    let config = config.with_max_frame_size((MAX / 4) as u64);
    let mut frames: Vec<Vec<u8>> = (0..3)
        .map(|i| {
            frame_bytes(
                if i == 0 { 0x02 } else { 0x00 },
                quarter.len() as u64,
                MASK,
                &quarter,
            )
        })
        .collect();
    frames.push(frame_bytes(0x80, quarter.len() as u64, MASK, &quarter));
    frames.push(frame_bytes(0x88, 2, MASK, &1000u16.to_be_bytes()));
    let (got, codes) = raw_chunked(config.clone(), &frames).await;
    assert!(got.error.is_none(), "{:?}", got.error);
    assert_eq!((got.data.len(), got.lasts.len()), (MAX, 1));
    assert_eq!(codes, [1000]);
    let (got, codes) = raw_chunked(
        config,
        &[
            frame_bytes(0x02, quarter.len() as u64, MASK, &quarter),
            frame_bytes(0x80, quarter.len() as u64 + 1, MASK, &[]),
        ],
    )
    .await;
    assert_eq!(got.error.as_ref().and_then(close_code), Some(1009));
    assert_eq!(got.data.len(), MAX / 4);
    assert_eq!(codes, [1009]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_message_from_node_over_the_limit_fails_with_1009_seen_by_node() {
    // 8 MiB in 1 MiB fragments against a 2.5 MiB limit: the third
    // fragment's header crosses it.
    const MAX: u64 = 5 << 19;
    let config = WebSocketConfig::default().with_max_message_size(MAX);
    let (url, server) = accept_one(config).await;
    let reader = tokio::spawn(async move {
        let mut ws = server.await.expect("server");
        let got = read_chunks(&mut ws).await;
        // The failed connection reads no more; Node still has fragments to
        // write before its Close. Read them off the socket (else Node
        // waits 30 s for its writes to drain), then close.
        let mut sink = [0u8; 64 << 10];
        while let Ok(Ok(n)) =
            tokio::time::timeout(STEP, tokio::io::AsyncReadExt::read(ws.get_mut(), &mut sink)).await
        {
            if n == 0 {
                break;
            }
        }
        (got, ws)
    });
    let out = run_peer_client(
        node_client(&[
            "binary",
            &url,
            &(8 << 20).to_string(),
            &(1 << 20).to_string(),
        ]),
        120,
    )
    .await;
    let (got, _ws) = reader.await.expect("reader");
    assert_eq!(
        got.error.as_ref().and_then(close_code),
        Some(1009),
        "{got:?}"
    );
    assert_eq!(got.data.len(), 2 << 20);
    assert_eq!(line_of(&out, "closed"), ["closed", "1009"], "{out}");
}
