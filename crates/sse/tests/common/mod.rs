//! Helpers of the tether-sse integration tests: a hyper server on 127.0.0.1,
//! a raw HTTP/1.1 client that reads the response head and the event blocks
//! byte for byte, a raw request reader for hand-written servers, and headless
//! Chromium.
#![allow(dead_code)]

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use bytes::{Buf, Bytes, BytesMut};
use http_body_util::combinators::UnsyncBoxBody;
use hyper::body::Incoming;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// The longest any single wait of a test may take.
pub(crate) const WAIT: Duration = Duration::from_secs(10);

/// Any response body.
pub(crate) type Body = UnsyncBoxBody<Bytes, Infallible>;

/// A hyper 1 HTTP/1.1 server on 127.0.0.1:0 answering with `handler`;
/// returns its address. Runs until the test's runtime stops.
pub(crate) async fn serve<F, Fut>(handler: F) -> SocketAddr
where
    F: Fn(Request<Incoming>) -> Fut + Clone + Send + Sync + 'static,
    Fut: Future<Output = Response<Body>> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        loop {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            let handler = handler.clone();
            tokio::spawn(async move {
                let service = hyper::service::service_fn(move |request| {
                    let response = handler(request);
                    async move { Ok::<_, Infallible>(response.await) }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service)
                    .await;
            });
        }
    });
    addr
}

/// Waits (at most [`WAIT`]) until `ready()` holds.
pub(crate) async fn until(what: &str, mut ready: impl FnMut() -> bool) {
    let waited = tokio::time::timeout(WAIT, async {
        while !ready() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
    assert!(waited.is_ok(), "timed out waiting for {what}");
}

/// The value of header `name` in an HTTP head (case-insensitive name).
pub(crate) fn header<'a>(head: &'a str, name: &str) -> Option<&'a str> {
    head.split("\r\n").skip(1).find_map(|line| {
        let (n, v) = line.split_once(':')?;
        n.trim().eq_ignore_ascii_case(name).then(|| v.trim())
    })
}

/// Reads an HTTP head (up to the blank line) from `tcp`; what follows stays
/// in `buf`. `None` at EOF before it.
pub(crate) async fn read_head(tcp: &mut TcpStream, buf: &mut BytesMut) -> Option<String> {
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = buf.split_to(end + 4);
            return Some(String::from_utf8(head.to_vec()).expect("ascii head"));
        }
        let n = tokio::time::timeout(WAIT, tcp.read_buf(buf))
            .await
            .expect("timed out reading a head")
            .ok()?;
        if n == 0 {
            return None;
        }
    }
}

/// A raw HTTP/1.1 client of a server under test: writes a GET, reads the
/// head, then the body (de-chunked) as event blocks.
pub(crate) struct RawClient {
    pub(crate) tcp: TcpStream,
    /// Bytes read and not yet de-chunked.
    raw: BytesMut,
    /// The body so far, not yet returned.
    body: BytesMut,
    /// The response head.
    pub(crate) head: String,
    chunked: bool,
    eof: bool,
}

impl RawClient {
    /// `GET path` with `extra` header lines (each ending with CRLF).
    pub(crate) async fn get(addr: SocketAddr, path: &str, extra: &str) -> RawClient {
        let mut tcp = TcpStream::connect(addr).await.expect("connect");
        let request = format!(
            "GET {path} HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n{extra}\r\n"
        );
        tcp.write_all(request.as_bytes()).await.expect("write");
        let mut raw = BytesMut::new();
        let head = read_head(&mut tcp, &mut raw)
            .await
            .expect("a response head");
        let chunked = header(&head, "transfer-encoding").is_some_and(|v| v.contains("chunked"));
        let mut client = RawClient {
            tcp,
            raw,
            body: BytesMut::new(),
            head,
            chunked,
            eof: false,
        };
        // The body may have come with the head.
        client.dechunk();
        client
    }

    /// The status code.
    pub(crate) fn status(&self) -> u16 {
        self.head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status line")
    }

    /// A response header.
    pub(crate) fn header(&self, name: &str) -> Option<&str> {
        header(&self.head, name)
    }

    /// Moves complete chunks from `raw` to `body`.
    fn dechunk(&mut self) {
        if !self.chunked {
            self.body.extend_from_slice(&self.raw.split());
            return;
        }
        while let Some(eol) = self.raw.windows(2).position(|w| w == b"\r\n") {
            let line = std::str::from_utf8(&self.raw[..eol]).expect("chunk size");
            let size = usize::from_str_radix(line.split(';').next().unwrap_or("").trim(), 16)
                .expect("hex chunk size");
            if size == 0 {
                self.eof = true;
                self.raw.clear();
                return;
            }
            if self.raw.len() < eol + 2 + size + 2 {
                return;
            }
            self.raw.advance(eol + 2);
            let data = self.raw.split_to(size);
            self.body.extend_from_slice(&data);
            assert_eq!(&self.raw[..2], b"\r\n", "chunk end");
            self.raw.advance(2);
        }
    }

    /// The next event block (up to and with its blank line), or `None` at
    /// the end of the body (within [`WAIT`]).
    pub(crate) async fn next_block(&mut self) -> Option<String> {
        tokio::time::timeout(WAIT, async {
            loop {
                if let Some(end) = self.body.windows(2).position(|w| w == b"\n\n") {
                    let block = self.body.split_to(end + 2);
                    return Some(String::from_utf8(block.to_vec()).expect("UTF-8 block"));
                }
                if self.eof {
                    return None;
                }
                match self.tcp.read_buf(&mut self.raw).await {
                    Ok(0) | Err(_) => self.eof = true,
                    Ok(_) => self.dechunk(),
                }
            }
        })
        .await
        .expect("timed out waiting for an event block")
    }

    /// The next block that is not a keep-alive comment.
    pub(crate) async fn next_event(&mut self) -> Option<String> {
        loop {
            let block = self.next_block().await?;
            if !block.starts_with(':') {
                return Some(block);
            }
        }
    }
}

/// An event block as the tether encoder writes it.
pub(crate) fn block(id: &str, data: &str) -> String {
    format!("id: {id}\ndata: {data}\n\n")
}

/// Starts headless Chromium on `url` with a fresh profile (removed on drop);
/// the process is killed on drop.
pub(crate) fn chromium(url: &str) -> (tokio::process::Child, TempDir) {
    let profile = TempDir::new("tether-sse-chromium");
    let child = tokio::process::Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-quic",
            "--no-first-run",
        ])
        .arg(format!("--user-data-dir={}", profile.path.display()))
        .arg(url)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("chromium is installed by scripts/interop-setup.sh");
    (child, profile)
}

/// A directory removed on drop.
pub(crate) struct TempDir {
    pub(crate) path: std::path::PathBuf,
}

impl TempDir {
    pub(crate) fn new(prefix: &str) -> TempDir {
        let n = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let path = std::env::temp_dir().join(format!("{prefix}-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&path).expect("temp dir");
        TempDir { path }
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A response body that ends after `left` event blocks (frames with a
/// `data` line), as a server that drops the stream; records when it ended.
pub(crate) struct TakeEvents<B> {
    pub(crate) inner: B,
    pub(crate) left: usize,
    pub(crate) ended_at: std::sync::Arc<std::sync::Mutex<Option<std::time::Instant>>>,
}

impl<B> TakeEvents<B> {
    pub(crate) fn new(inner: B, left: usize) -> TakeEvents<B> {
        TakeEvents {
            inner,
            left,
            ended_at: Default::default(),
        }
    }
}

impl<B> http_body::Body for TakeEvents<B>
where
    B: http_body::Body<Data = Bytes> + Unpin,
{
    type Data = Bytes;
    type Error = B::Error;

    fn poll_frame(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Result<http_body::Frame<Bytes>, B::Error>>> {
        if self.left == 0 {
            self.ended_at
                .lock()
                .expect("lock")
                .get_or_insert_with(std::time::Instant::now);
            return std::task::Poll::Ready(None);
        }
        let frame = std::task::ready!(std::pin::Pin::new(&mut self.inner).poll_frame(cx));
        if let Some(Ok(frame)) = &frame {
            if frame
                .data_ref()
                .is_some_and(|d| d.windows(5).any(|w| w == b"data:"))
            {
                self.left -= 1;
            }
        }
        std::task::Poll::Ready(frame)
    }
}
