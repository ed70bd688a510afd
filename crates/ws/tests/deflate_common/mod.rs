//! What the permessage-deflate tests send: compressible and incompressible
//! text and binary of many sizes, generated deterministically, and the
//! limits that admit 16 MiB in 64-byte fragments.
#![allow(dead_code)]

use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use tether_ws::{DeflateConfig, Message, MessageConfig, WebSocketConfig, WebSocketStream};
use tokio::io::{AsyncRead, AsyncWrite};

/// The sizes exercised, 0 B to 16 MiB.
pub(crate) const SIZES: &[usize] = &[
    0,
    1,
    63,
    64,
    125,
    126,
    1000,
    65_535,
    65_536,
    1 << 20,
    16 << 20,
];

/// `n` pseudo-random bytes (xorshift64, fixed seed).
pub(crate) fn random_bytes(n: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out = Vec::with_capacity(n + 8);
    while out.len() < n {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        out.extend_from_slice(&x.to_le_bytes());
    }
    out.truncate(n);
    out
}

/// `n` bytes of repetitive JSON-like text (compresses well).
pub(crate) fn compressible_text(n: usize) -> String {
    let mut s = String::with_capacity(n + 64);
    let mut i = 0u64;
    while s.len() < n {
        s.push_str(&format!(
            r#"{{"id":{i},"user":"alice","msg":"héllo wörld"}},"#
        ));
        i += 1;
    }
    while s.len() > n {
        s.pop();
    }
    s
}

/// `n` bytes of text that compresses badly (random ASCII letters and digits).
pub(crate) fn random_text(n: usize, seed: u64) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    random_bytes(n, seed)
        .into_iter()
        .map(|b| char::from(ALPHABET[usize::from(b & 63)]))
        .collect()
}

/// The four kinds of each size up to `max`.
pub(crate) fn messages(max: usize) -> Vec<Message> {
    let mut out = Vec::new();
    for (i, &n) in SIZES.iter().filter(|&&n| n <= max).enumerate() {
        let seed = 0x9E37_79B9_7F4A_7C15 ^ (i as u64);
        out.push(Message::text(compressible_text(n)));
        out.push(Message::text(random_text(n, seed)));
        out.push(Message::Binary(Bytes::from(
            compressible_text(n).into_bytes(),
        )));
        out.push(Message::Binary(Bytes::from(random_bytes(n, seed))));
    }
    out
}

/// Limits that admit 16 MiB messages in 64-byte fragments.
pub(crate) fn big_limits() -> MessageConfig {
    MessageConfig::default()
        .with_max_message_size(32 << 20)
        .with_max_frame_size(32 << 20)
        .with_max_fragments(1 << 20)
}

/// A configuration with `deflate` and [`big_limits`], fragmenting what it
/// sends into `fragment` bytes.
pub(crate) fn config(deflate: DeflateConfig, fragment: Option<usize>) -> WebSocketConfig {
    WebSocketConfig::default()
        .with_message_config(big_limits().with_fragment_size(fragment))
        .with_deflate(deflate)
}

/// Sends each message and checks its echo, one at a time (context
/// takeover is exercised across them).
pub(crate) async fn echo_all<S>(ws: &mut WebSocketStream<S>, messages: &[Message])
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    for (i, m) in messages.iter().enumerate() {
        ws.send(m.clone()).await.expect("send");
        loop {
            let got = ws.next().await.expect("an echo").expect("valid");
            if let Message::Close(close) = &got {
                panic!(
                    "message {i} ({} bytes): the peer closed with {close:?}",
                    len(m)
                );
            }
            if got.is_control() {
                continue;
            }
            assert!(
                got == *m,
                "message {i} ({} bytes) came back different",
                len(m)
            );
            break;
        }
    }
}

fn len(m: &Message) -> usize {
    match m {
        Message::Text(t) => t.len(),
        Message::Binary(b) => b.len(),
        _ => 0,
    }
}

/// Echoes text and binary until the peer closes.
pub(crate) async fn echo_server<S>(mut ws: WebSocketStream<S>)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    while let Some(m) = ws.next().await {
        match m {
            Ok(m @ (Message::Text(_) | Message::Binary(_))) => {
                if ws.send(m).await.is_err() {
                    return;
                }
            }
            Ok(_) => {}
            Err(e) => panic!("echo server: {e}"),
        }
    }
}

/// A transport that counts the bytes written through it and, when asked,
/// keeps a copy of every byte read through it: what the tests that look at
/// the wire see.
pub(crate) struct Tap<S> {
    inner: S,
    /// Bytes written so far.
    pub(crate) written: std::sync::Arc<std::sync::atomic::AtomicUsize>,
    /// A copy of the bytes read, if recording.
    pub(crate) read: Option<std::sync::Arc<std::sync::Mutex<Vec<u8>>>>,
}

impl<S> Tap<S> {
    /// Counts what is written.
    pub(crate) fn counting(inner: S) -> Tap<S> {
        Tap {
            inner,
            written: Default::default(),
            read: None,
        }
    }

    /// Counts what is written and records what is read.
    pub(crate) fn recording(inner: S) -> Tap<S> {
        Tap {
            read: Some(Default::default()),
            ..Tap::counting(inner)
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Tap<S> {
    fn poll_read(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &mut tokio::io::ReadBuf<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let r = std::pin::Pin::new(&mut self.inner).poll_read(cx, buf);
        if let (std::task::Poll::Ready(Ok(())), Some(read)) = (&r, &self.read) {
            read.lock()
                .expect("lock")
                .extend_from_slice(&buf.filled()[before..]);
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Tap<S> {
    fn poll_write(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
        buf: &[u8],
    ) -> std::task::Poll<std::io::Result<usize>> {
        let r = std::pin::Pin::new(&mut self.inner).poll_write(cx, buf);
        if let std::task::Poll::Ready(Ok(n)) = &r {
            self.written
                .fetch_add(*n, std::sync::atomic::Ordering::Relaxed);
        }
        r
    }

    fn poll_flush(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<std::io::Result<()>> {
        std::pin::Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
