//! The in-memory transports, the same for tether and ratchet.
//!
//! ratchet's `WebSocket` takes only a transport that is `Send + Unpin +
//! 'static` (its `WebSocketStream` bound), so the connection owns its
//! transport and the bench cannot lend it one that borrows a buffer, as
//! tether-benches' `Cell`-based mocks do. Here the transport holds `Arc`s:
//!
//! * [`Replay`]: pre-cut chunks of wire bytes and a shared read position. A
//!   read call gets the rest of the current chunk, or as much of it as fits
//!   in the caller's buffer, never bytes of two chunks, and is never
//!   `Pending`. The bench rewinds the position between iterations while the
//!   connection that owns the [`Io`] lives on.
//! * [`Sink`]: appends what is written (vectored writes included) to a
//!   shared `Vec<u8>`.
//! * [`Counted`]: a transport that counts the bytes read through it (the
//!   echo check: how much the server wrote).
//!
//! The shared state is atomics and one uncontended `Mutex`; both
//! implementations pay the same for it on every call.

use std::io::{self, IoSlice};
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

#[derive(Debug, Default)]
struct Position {
    chunk: AtomicUsize,
    offset: AtomicUsize,
}

/// Wire bytes cut into chunks, and the position every [`Reader`] made from
/// it reads at.
#[derive(Clone, Debug)]
pub struct Replay {
    chunks: Arc<[Bytes]>,
    at: Arc<Position>,
}

impl Replay {
    /// A replay of `chunks`, positioned at the start.
    pub fn new(chunks: Vec<Bytes>) -> Replay {
        Replay {
            chunks: chunks.into(),
            at: Arc::default(),
        }
    }

    /// Moves back to the start of the first chunk.
    pub fn rewind(&self) {
        self.at.chunk.store(0, Ordering::Relaxed);
        self.at.offset.store(0, Ordering::Relaxed);
    }

    /// Whether every byte has been read.
    pub fn is_at_end(&self) -> bool {
        self.at.chunk.load(Ordering::Relaxed) >= self.chunks.len()
    }

    /// A reader at the shared position.
    pub fn reader(&self) -> Reader {
        Reader(self.clone())
    }

    fn next_piece(&self, max: usize) -> &[u8] {
        let index = self.at.chunk.load(Ordering::Relaxed);
        let Some(chunk) = self.chunks.get(index) else {
            return &[];
        };
        let offset = self.at.offset.load(Ordering::Relaxed);
        let rest = chunk.get(offset..).unwrap_or_default();
        let n = rest.len().min(max);
        if n == rest.len() {
            self.at.chunk.store(index + 1, Ordering::Relaxed);
            self.at.offset.store(0, Ordering::Relaxed);
        } else {
            self.at.offset.store(offset + n, Ordering::Relaxed);
        }
        &rest[..n]
    }
}

/// Reads a [`Replay`] (see the module docs); end of stream after the last
/// chunk.
#[derive(Clone, Debug)]
pub struct Reader(Replay);

/// A shared, growable byte buffer that writes append to.
#[derive(Clone, Debug, Default)]
pub struct Sink(Arc<Mutex<Vec<u8>>>);

impl Sink {
    /// An empty sink.
    pub fn new() -> Sink {
        Sink::default()
    }

    fn buf(&self) -> MutexGuard<'_, Vec<u8>> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Empties the buffer, keeping its capacity.
    pub fn clear(&self) {
        self.buf().clear();
    }

    /// Bytes written since the last [`clear`](Self::clear).
    pub fn len(&self) -> usize {
        self.buf().len()
    }

    /// Whether nothing was written since the last [`clear`](Self::clear).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A copy of the bytes written since the last [`clear`](Self::clear).
    pub fn contents(&self) -> Vec<u8> {
        self.buf().clone()
    }

    fn append(&self, bufs: &[IoSlice<'_>]) -> usize {
        let mut sink = self.buf();
        let mut n = 0;
        for buf in bufs {
            sink.extend_from_slice(buf);
            n += buf.len();
        }
        n
    }
}

/// The transport of the decode and encode benches: reads from a [`Reader`]
/// (end of stream if none), writes into a [`Sink`]. `Send + Unpin +
/// 'static`, never `Pending`.
#[derive(Clone, Debug)]
pub struct Io {
    reader: Option<Reader>,
    sink: Sink,
}

impl Io {
    /// Reads from `reader`, writes into `sink`.
    pub fn new(reader: Option<Reader>, sink: Sink) -> Io {
        Io { reader, sink }
    }

    /// A transport that only writes, into `sink`.
    pub fn writer(sink: Sink) -> Io {
        Io::new(None, sink)
    }

    /// The sink written into.
    pub fn sink(&self) -> &Sink {
        &self.sink
    }
}

impl AsyncRead for Io {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        if let Some(Reader(replay)) = &self.reader {
            buf.put_slice(replay.next_piece(buf.remaining()));
        }
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for Io {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(self.sink.append(&[IoSlice::new(buf)])))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(self.sink.append(bufs)))
    }

    fn is_write_vectored(&self) -> bool {
        true
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A transport that counts the bytes read through it.
#[derive(Debug)]
pub struct Counted<S> {
    inner: S,
    read: Arc<AtomicU64>,
}

impl<S> Counted<S> {
    /// Wraps `inner`; the count starts at zero.
    pub fn new(inner: S) -> Counted<S> {
        Counted {
            inner,
            read: Arc::default(),
        }
    }

    /// A handle on the count, for after the transport was given away.
    pub fn counter(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.read)
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Counted<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.inner).poll_read(cx, buf);
        let n = buf.filled().len() - before;
        self.read.fetch_add(n as u64, Ordering::Relaxed);
        polled
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for Counted<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use tokio::io::AsyncReadExt;

    use super::*;

    #[test]
    fn one_chunk_per_read_at_most_and_rewind() {
        let replay = Replay::new(vec![
            Bytes::from_static(b"abcde"),
            Bytes::from_static(b"fg"),
        ]);
        let mut io = Io::new(Some(replay.reader()), Sink::new());
        futures::executor::block_on(async {
            let mut buf = [0u8; 3];
            assert_eq!(io.read(&mut buf).await.unwrap(), 3);
            assert_eq!(&buf, b"abc");
            let mut buf = [0u8; 10];
            assert_eq!(io.read(&mut buf).await.unwrap(), 2);
            assert_eq!(&buf[..2], b"de");
            assert_eq!(io.read(&mut buf).await.unwrap(), 2);
            assert_eq!(&buf[..2], b"fg");
            assert!(replay.is_at_end());
            assert_eq!(io.read(&mut buf).await.unwrap(), 0);
            replay.rewind();
            assert_eq!(io.read(&mut buf).await.unwrap(), 5);
        });
    }
}
