//! The in-memory transport every implementation reads from and writes to.
//!
//! [`ChunkedReader`] implements both `std::io::Read` (tungstenite) and
//! tokio's `AsyncRead` (fastwebsockets, tokio-websockets, tether's
//! `FramedRead`) with the same logic: a read call gets the rest of the current
//! chunk, or as much of it as fits in the caller's buffer, and never bytes of
//! two chunks. It is never `Pending`. Its read position lives in a shared
//! [`Cursor`], so the bench can rewind it between iterations while the
//! connection object that owns the reader lives on.
//!
//! [`VecSink`] appends whatever is written to a shared `Vec<u8>` (vectored
//! writes included, as a TCP stream supports them), so every encoder pays one
//! copy into the same kind of buffer.

use std::cell::{Cell, RefCell};
use std::io::{self, IoSlice};
use std::pin::Pin;
use std::task::{Context, Poll};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The read position in a list of chunks: which chunk, and how far into it.
#[derive(Debug, Default)]
pub struct Cursor {
    chunk: Cell<usize>,
    offset: Cell<usize>,
}

impl Cursor {
    /// A cursor at the start.
    pub fn new() -> Cursor {
        Cursor::default()
    }

    /// Moves back to the start of the first chunk.
    #[inline]
    pub fn rewind(&self) {
        self.chunk.set(0);
        self.offset.set(0);
    }

    /// Whether every byte of `chunks` has been read.
    pub fn is_at_end(&self, chunks: &[Bytes]) -> bool {
        self.chunk.get() >= chunks.len()
    }
}

/// A reader that hands out pre-cut chunks, at most one per read call.
///
/// Writes are refused with an error: nothing in a decode benchmark should
/// make an implementation write (automatic pongs and close replies are off or
/// never triggered), and an error makes it visible if one does.
#[derive(Debug, Clone, Copy)]
pub struct ChunkedReader<'a> {
    chunks: &'a [Bytes],
    cursor: &'a Cursor,
}

impl<'a> ChunkedReader<'a> {
    /// A reader over `chunks` whose position is `cursor`.
    pub fn new(chunks: &'a [Bytes], cursor: &'a Cursor) -> ChunkedReader<'a> {
        ChunkedReader { chunks, cursor }
    }

    /// Takes up to `max` bytes of the current chunk (empty at the end).
    #[inline]
    pub fn next_piece(&self, max: usize) -> &'a [u8] {
        let index = self.cursor.chunk.get();
        let Some(chunk) = self.chunks.get(index) else {
            return &[];
        };
        let offset = self.cursor.offset.get();
        let rest = &chunk[offset..];
        let n = rest.len().min(max);
        if n == rest.len() {
            self.cursor.chunk.set(index + 1);
            self.cursor.offset.set(0);
        } else {
            self.cursor.offset.set(offset + n);
        }
        &rest[..n]
    }

    /// The largest chunk.
    pub fn max_chunk_len(&self) -> usize {
        self.chunks.iter().map(Bytes::len).max().unwrap_or(0)
    }
}

fn read_only() -> io::Error {
    io::Error::other("the decode-side mock transport does not accept writes")
}

impl io::Read for ChunkedReader<'_> {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let piece = self.next_piece(buf.len());
        buf[..piece.len()].copy_from_slice(piece);
        Ok(piece.len())
    }
}

impl io::Write for ChunkedReader<'_> {
    fn write(&mut self, _: &[u8]) -> io::Result<usize> {
        Err(read_only())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsyncRead for ChunkedReader<'_> {
    #[inline]
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let piece = self.next_piece(buf.remaining());
        buf.put_slice(piece);
        Poll::Ready(Ok(()))
    }
}

impl AsyncWrite for ChunkedReader<'_> {
    fn poll_write(self: Pin<&mut Self>, _: &mut Context<'_>, _: &[u8]) -> Poll<io::Result<usize>> {
        Poll::Ready(Err(read_only()))
    }

    fn poll_flush(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }

    fn poll_shutdown(self: Pin<&mut Self>, _: &mut Context<'_>) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A writer that appends to a shared `Vec<u8>`; reads see end of stream.
#[derive(Debug, Clone, Copy)]
pub struct VecSink<'a> {
    buf: &'a RefCell<Vec<u8>>,
}

impl<'a> VecSink<'a> {
    /// A sink appending to `buf`.
    pub fn new(buf: &'a RefCell<Vec<u8>>) -> VecSink<'a> {
        VecSink { buf }
    }

    /// Empties the buffer, keeping its capacity.
    #[inline]
    pub fn clear(&self) {
        self.buf.borrow_mut().clear();
    }

    /// The number of bytes written since the last [`clear`](Self::clear).
    pub fn len(&self) -> usize {
        self.buf.borrow().len()
    }

    /// Whether nothing was written since the last [`clear`](Self::clear).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A copy of the bytes written since the last [`clear`](Self::clear).
    pub fn contents(&self) -> Vec<u8> {
        self.buf.borrow().clone()
    }

    #[inline]
    fn append(&self, data: &[u8]) -> usize {
        self.buf.borrow_mut().extend_from_slice(data);
        data.len()
    }

    #[inline]
    fn append_vectored(&self, bufs: &[IoSlice<'_>]) -> usize {
        let mut sink = self.buf.borrow_mut();
        let mut n = 0;
        for buf in bufs {
            sink.extend_from_slice(buf);
            n += buf.len();
        }
        n
    }
}

impl io::Write for VecSink<'_> {
    #[inline]
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(self.append(buf))
    }

    #[inline]
    fn write_vectored(&mut self, bufs: &[IoSlice<'_>]) -> io::Result<usize> {
        Ok(self.append_vectored(bufs))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl io::Read for VecSink<'_> {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        Ok(0)
    }
}

impl AsyncWrite for VecSink<'_> {
    #[inline]
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(self.append(buf)))
    }

    #[inline]
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(self.append_vectored(bufs)))
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

impl AsyncRead for VecSink<'_> {
    fn poll_read(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        _: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Poll::Ready(Ok(()))
    }
}

/// A transport for the message benches: reads are a [`ChunkedReader`]'s,
/// writes are accepted and dropped (counted in [`Duplex::written`]).
///
/// Message-level peers answer the pings of the fragmented workloads with
/// pongs on their own (tungstenite and tokio-websockets always do), so their
/// transport must take writes; what they write is not part of the measure.
#[derive(Debug, Clone, Copy)]
pub struct Duplex<'a> {
    reader: ChunkedReader<'a>,
    written: &'a Cell<usize>,
}

impl<'a> Duplex<'a> {
    /// Reads from `reader`; counts written bytes in `written`.
    pub fn new(reader: ChunkedReader<'a>, written: &'a Cell<usize>) -> Duplex<'a> {
        Duplex { reader, written }
    }

    /// The reader.
    pub fn reader(&self) -> ChunkedReader<'a> {
        self.reader
    }

    /// Bytes written so far.
    pub fn written(&self) -> usize {
        self.written.get()
    }

    #[inline]
    fn count(&self, n: usize) -> usize {
        self.written.set(self.written.get() + n);
        n
    }
}

impl io::Read for Duplex<'_> {
    #[inline]
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        io::Read::read(&mut self.reader, buf)
    }
}

impl io::Write for Duplex<'_> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        Ok(self.count(buf.len()))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl AsyncRead for Duplex<'_> {
    #[inline]
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        Pin::new(&mut self.reader).poll_read(cx, buf)
    }
}

impl AsyncWrite for Duplex<'_> {
    fn poll_write(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(self.count(buf.len())))
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
        bufs: &[IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Poll::Ready(Ok(self.count(bufs.iter().map(|b| b.len()).sum())))
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

#[cfg(test)]
mod tests {
    use std::io::Read;

    use super::*;

    #[test]
    fn one_chunk_per_read_at_most() {
        let chunks = [Bytes::from_static(b"abcde"), Bytes::from_static(b"fg")];
        let cursor = Cursor::new();
        let mut reader = ChunkedReader::new(&chunks, &cursor);
        let mut buf = [0u8; 3];
        assert_eq!(reader.read(&mut buf).unwrap(), 3);
        assert_eq!(&buf, b"abc");
        let mut buf = [0u8; 10];
        assert_eq!(reader.read(&mut buf).unwrap(), 2);
        assert_eq!(&buf[..2], b"de");
        assert_eq!(reader.read(&mut buf).unwrap(), 2);
        assert_eq!(&buf[..2], b"fg");
        assert!(cursor.is_at_end(&chunks));
        assert_eq!(reader.read(&mut buf).unwrap(), 0);
        cursor.rewind();
        assert_eq!(reader.read(&mut buf).unwrap(), 5);
    }
}
