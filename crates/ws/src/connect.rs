//! Async helpers around the sans-IO handshake: `accept` and `connect`.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::BytesMut;
use http::{Request, Response, Uri};
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;

use crate::handshake::client::{ClientRequest, ResponseReader};
use crate::handshake::server::{self, ClientOffer, RequestReader};
use crate::{Error, HandshakeError, Role, WebSocketConfig, WebSocketStream};

/// How long a server tries to write an error answer (to a client that may
/// not be reading) before it drops the connection.
const ERROR_ANSWER_TIMEOUT: Duration = Duration::from_secs(1);

/// Decides on an upgrade request: sees the request (path, query, headers
/// such as `Origin` and cookies) and what it offers, and either accepts it,
/// with the subprotocol to use (one of `offer.protocols`, or `None`), or
/// refuses it with the response to send (any status; the body is sent as
/// the reason).
///
/// ```
/// use tether_ws::http::{Response, StatusCode};
/// let only_from_example = |req: &tether_ws::http::Request<()>, offer: &tether_ws::handshake::server::ClientOffer| {
///     if req.headers().get("origin").is_some_and(|o| o == "https://example.com") {
///         Ok(offer.protocols.iter().find(|p| *p == "chat").cloned())
///     } else {
///         let mut refusal = Response::new("unknown origin".to_owned());
///         *refusal.status_mut() = StatusCode::FORBIDDEN;
///         Err(Box::new(refusal))
///     }
/// };
/// # let _ = only_from_example;
/// ```
pub trait Callback {
    /// Accepts (with a subprotocol or none) or refuses the request.
    ///
    /// # Errors
    ///
    /// The response to refuse with.
    fn on_request(
        self,
        request: &Request<()>,
        offer: &ClientOffer,
    ) -> Result<Option<String>, Box<Response<String>>>;
}

impl<F> Callback for F
where
    F: FnOnce(&Request<()>, &ClientOffer) -> Result<Option<String>, Box<Response<String>>>,
{
    fn on_request(
        self,
        request: &Request<()>,
        offer: &ClientOffer,
    ) -> Result<Option<String>, Box<Response<String>>> {
        self(request, offer)
    }
}

/// The callback that accepts every valid request, with the first of the
/// client's subprotocols that [`HandshakeConfig::protocols`](crate::HandshakeConfig::protocols)
/// lists.
#[derive(Clone, Copy, Debug, Default)]
pub struct NoCallback;

impl Callback for NoCallback {
    fn on_request(
        self,
        _: &Request<()>,
        _: &ClientOffer,
    ) -> Result<Option<String>, Box<Response<String>>> {
        Ok(None)
    }
}

/// Accepts a WebSocket connection on `io` (a server), with the default
/// configuration.
///
/// # Errors
///
/// As [`accept_hdr_with_config`].
pub async fn accept<S>(io: S) -> Result<WebSocketStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_hdr_with_config(io, WebSocketConfig::default(), NoCallback).await
}

/// Accepts a WebSocket connection on `io` with `config`.
///
/// # Errors
///
/// As [`accept_hdr_with_config`].
pub async fn accept_with_config<S>(
    io: S,
    config: WebSocketConfig,
) -> Result<WebSocketStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    accept_hdr_with_config(io, config, NoCallback).await
}

/// Accepts a WebSocket connection on `io`: reads the upgrade request (at
/// most [`HandshakeConfig::max_header_bytes`](crate::HandshakeConfig) and
/// `max_headers`, within `timeout`), checks it, lets `callback` decide, and
/// answers `101 Switching Protocols`. Bytes that arrived after the request
/// are the first frames.
///
/// With the `deflate` feature, permessage-deflate is negotiated as
/// [`HandshakeConfig::deflate`](crate::HandshakeConfig::deflate) says (the
/// first acceptable offer, see [`deflate::negotiate`](crate::deflate::negotiate)).
///
/// A request that is not a valid upgrade is answered with an HTTP error
/// and its reason (400, 405, 426 with `Sec-WebSocket-Version: 13`, 431, or
/// 408 on timeout), then the connection is closed.
///
/// # Errors
///
/// [`Error::Handshake`] with what was wrong (the answer has been sent),
/// [`Error::Io`] if the transport failed.
pub async fn accept_hdr_with_config<S, C>(
    io: S,
    config: WebSocketConfig,
    callback: C,
) -> Result<WebSocketStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    C: Callback,
{
    // Boxed: the handshake's state (buffers, the parsed request) is large
    // and short-lived; a task that accepts and then reads for hours should
    // not carry room for it.
    Box::pin(server_handshake(io, config, callback)).await
}

async fn server_handshake<S, C>(
    mut io: S,
    #[cfg_attr(not(feature = "deflate"), allow(unused_mut))] mut config: WebSocketConfig,
    callback: C,
) -> Result<WebSocketStream<S>, Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
    C: Callback,
{
    let read = tokio::time::timeout(config.handshake.timeout, read_request(&mut io, &config)).await;
    let (request, buf) = match read {
        Ok(Ok(parsed)) => parsed,
        Ok(Err(Error::Handshake(e))) => {
            answer_error(&mut io, &e).await;
            return Err(e.into());
        }
        Ok(Err(e)) => return Err(e),
        Err(_) => {
            let e = HandshakeError::Timeout;
            answer_error(&mut io, &e).await;
            return Err(e.into());
        }
    };
    let offer = match server::validate(&request) {
        Ok(offer) => offer,
        Err(e) => {
            answer_error(&mut io, &e).await;
            return Err(e.into());
        }
    };
    let chosen = match callback.on_request(&request, &offer) {
        Ok(chosen) => chosen,
        Err(response) => {
            let status = response.status();
            let mut out = BytesMut::new();
            server::write_response(&response, response.body().as_bytes(), &mut out);
            write_bounded(&mut io, &out).await;
            return Err(HandshakeError::Declined(status).into());
        }
    };
    let protocol = chosen.filter(|p| offer.protocols.contains(p)).or_else(|| {
        offer
            .protocols
            .iter()
            .find(|p| config.handshake.protocols.contains(p))
            .cloned()
    });
    #[cfg(feature = "deflate")]
    let (negotiated, answer) =
        crate::deflate::negotiate(&config.handshake.deflate, &offer.extensions).unzip();
    #[cfg(not(feature = "deflate"))]
    let answer: Option<crate::handshake::Extension> = None;
    let response = server::accept_response(&offer, protocol.as_deref(), answer.as_slice());
    #[cfg(feature = "deflate")]
    crate::deflate::apply(&mut config, negotiated);
    let mut out = BytesMut::new();
    server::write_response(&response, b"", &mut out);
    io.write_all(&out).await?;
    io.flush().await?;
    // What followed the request in the same read: the first frames.
    Ok(WebSocketStream::from_raw_parts(io, Role::Server, config, buf).with_protocol(protocol))
}

/// Reads the request head; returns it and the buffer holding what followed.
async fn read_request<S>(
    io: &mut S,
    config: &WebSocketConfig,
) -> Result<(Request<()>, BytesMut), Error>
where
    S: AsyncRead + Unpin,
{
    let mut reader = RequestReader::new(&config.handshake);
    let mut buf = BytesMut::with_capacity(1024);
    loop {
        if let Some((request, used)) = reader.parse(&buf)? {
            let _ = buf.split_to(used);
            return Ok((request, buf));
        }
        buf.reserve(1024);
        if io.read_buf(&mut buf).await? == 0 {
            return Err(Error::Io(io::ErrorKind::UnexpectedEof.into()));
        }
    }
}

/// Answers a failed handshake with its status and reason, best effort.
async fn answer_error<S>(io: &mut S, e: &HandshakeError)
where
    S: AsyncWrite + Unpin,
{
    let Some(status) = e.status() else {
        return;
    };
    let (mut response, reason) = match e {
        HandshakeError::Rejected(p) => server::reject_response(*p),
        _ => {
            let mut r = Response::new(());
            *r.status_mut() = status;
            r.headers_mut().insert(
                http::header::CONNECTION,
                http::HeaderValue::from_static("close"),
            );
            (r, status.canonical_reason().unwrap_or("error"))
        }
    };
    *response.status_mut() = status;
    let mut out = BytesMut::new();
    server::write_response(&response, reason.as_bytes(), &mut out);
    write_bounded(io, &out).await;
}

async fn write_bounded<S>(io: &mut S, bytes: &[u8])
where
    S: AsyncWrite + Unpin,
{
    let _ = tokio::time::timeout(ERROR_ANSWER_TIMEOUT, async {
        io.write_all(bytes).await?;
        io.flush().await?;
        io.shutdown().await
    })
    .await;
}

/// Performs the client side of the opening handshake over `io` (already
/// connected): sends `request`, reads and checks the answer within the
/// handshake timeout. Bytes that arrived after the answer are the first
/// frames.
///
/// With the `deflate` feature and [`HandshakeConfig::deflate`](crate::HandshakeConfig::deflate)
/// enabled, permessage-deflate is offered as it says; what the server
/// accepts is in force on the stream ([`WebSocketStream::deflate`]).
///
/// # Errors
///
/// [`HandshakeError::Refused`] (status and headers) for an answer other
/// than 101, [`HandshakeError::InvalidResponse`] for a 101 that breaks the
/// rules, [`HandshakeError::Timeout`], [`Error::Io`].
pub async fn client_handshake<S>(
    io: S,
    request: ClientRequest,
    config: WebSocketConfig,
) -> Result<(WebSocketStream<S>, Response<()>), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    Box::pin(client_exchange(io, request, config)).await
}

async fn client_exchange<S>(
    mut io: S,
    #[cfg_attr(not(feature = "deflate"), allow(unused_mut))] mut request: ClientRequest,
    #[cfg_attr(not(feature = "deflate"), allow(unused_mut))] mut config: WebSocketConfig,
) -> Result<(WebSocketStream<S>, Response<()>), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    #[cfg(feature = "deflate")]
    if config.handshake.deflate.enabled {
        request = request.with_deflate(&config.handshake.deflate);
    }
    let exchange = async {
        let mut out = BytesMut::new();
        request.encode(&mut out);
        io.write_all(&out).await?;
        io.flush().await?;
        let mut reader = ResponseReader::new(&config.handshake);
        let mut buf = BytesMut::with_capacity(1024);
        loop {
            if let Some((response, used)) = reader.parse(&buf)? {
                let _ = buf.split_to(used);
                return Ok::<_, Error>((response, buf));
            }
            buf.reserve(1024);
            if io.read_buf(&mut buf).await? == 0 {
                return Err(Error::Io(io::ErrorKind::UnexpectedEof.into()));
            }
        }
    };
    let (response, read_ahead) = tokio::time::timeout(config.handshake.timeout, exchange)
        .await
        .map_err(|_| HandshakeError::Timeout)??;
    let accepted = request.validate(&response)?;
    #[cfg(feature = "deflate")]
    crate::deflate::apply(&mut config, accepted.deflate);
    let stream = WebSocketStream::from_raw_parts(io, Role::Client, config, read_ahead)
        .with_protocol(accepted.protocol);
    Ok((stream, response))
}

/// Connects to a `ws://` URL (or `wss://` with the `rustls` feature, using
/// the webpki root certificates) with the default configuration.
///
/// # Errors
///
/// As [`connect_with_config`].
pub async fn connect(url: &str) -> Result<(WebSocketStream<MaybeTlsStream>, Response<()>), Error> {
    let uri: Uri = url.parse().map_err(|_| HandshakeError::InvalidUrl)?;
    connect_with_config(ClientRequest::new(uri)?, WebSocketConfig::default()).await
}

/// Connects with `request` (URL, subprotocols, extra headers) and `config`.
///
/// # Errors
///
/// [`HandshakeError::InvalidUrl`] for a URL without a host (or `wss://`
/// without the `rustls` feature); the errors of [`client_handshake`];
/// [`Error::Io`] if the TCP connection fails.
pub async fn connect_with_config(
    request: ClientRequest,
    config: WebSocketConfig,
) -> Result<(WebSocketStream<MaybeTlsStream>, Response<()>), Error> {
    let uri = request.uri().clone();
    let host = uri.host().ok_or(HandshakeError::InvalidUrl)?;
    let host = host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_owned();
    let tls = uri.scheme_str() == Some("wss");
    let port = uri.port_u16().unwrap_or(if tls { 443 } else { 80 });
    let tcp = tokio::time::timeout(
        config.handshake.timeout,
        TcpStream::connect((host.as_str(), port)),
    )
    .await
    .map_err(|_| HandshakeError::Timeout)??;
    tcp.set_nodelay(true)?;
    let io = if tls {
        #[cfg(feature = "rustls")]
        {
            crate::tls::wrap_client(tcp, &host, None).await?
        }
        #[cfg(not(feature = "rustls"))]
        {
            return Err(HandshakeError::InvalidUrl.into());
        }
    } else {
        MaybeTlsStream::Plain(tcp)
    };
    client_handshake(io, request, config).await
}

/// A TCP stream, or with the `rustls` feature a TLS stream over one: what
/// [`connect`] returns.
#[derive(Debug)]
#[non_exhaustive]
pub enum MaybeTlsStream {
    /// Plain TCP (`ws://`).
    Plain(TcpStream),
    /// TLS over TCP (`wss://`).
    #[cfg(feature = "rustls")]
    Rustls(Box<tokio_rustls::client::TlsStream<TcpStream>>),
}

impl AsyncRead for MaybeTlsStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_read(cx, buf),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for MaybeTlsStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_write(cx, buf),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            MaybeTlsStream::Plain(s) => s.is_write_vectored(),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_flush(cx),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            MaybeTlsStream::Plain(s) => Pin::new(s).poll_shutdown(cx),
            #[cfg(feature = "rustls")]
            MaybeTlsStream::Rustls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}
