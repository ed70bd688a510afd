//! The server side of the opening handshake (RFC 6455 section 4.2), sans-IO.
//!
//! ```
//! use bytes::BytesMut;
//! use tether_ws::handshake::server::{self, RequestReader};
//! use tether_ws::HandshakeConfig;
//!
//! let wire = b"GET /chat HTTP/1.1\r\nHost: example.com\r\nUpgrade: websocket\r\n\
//!     Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\
//!     Sec-WebSocket-Version: 13\r\n\r\n\x81\x85";
//! let mut reader = RequestReader::new(&HandshakeConfig::default());
//! let (request, used) = reader.parse(wire).unwrap().unwrap();
//! let offer = server::validate(&request).unwrap();
//! let response = server::accept_response(&offer, None, &[]);
//! let mut out = BytesMut::new();
//! server::write_response(&response, b"", &mut out);
//! assert!(out.starts_with(b"HTTP/1.1 101 Switching Protocols\r\n"));
//! // The two bytes after the request are the start of a frame.
//! assert_eq!(&wire[used..], b"\x81\x85");
//! ```

use bytes::{BufMut, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Method, Request, Response, StatusCode, Version};

use super::{has_token, parse_extensions, tokens, Extension, HeadScanner};
use crate::{HandshakeConfig, HandshakeError};

/// Reads an HTTP/1.1 request head from a buffer that grows with each read.
///
/// Finds the blank line that ends the head by scanning only bytes not seen
/// before (a request arriving one byte per read costs linear time), then
/// parses the head once with `httparse`. Enforces the limits of
/// [`HandshakeConfig`]: head bytes and header count.
#[derive(Debug, Clone)]
pub struct RequestReader {
    head: HeadScanner,
}

impl RequestReader {
    /// A reader with the limits of `config`.
    pub fn new(config: &HandshakeConfig) -> RequestReader {
        RequestReader {
            head: HeadScanner::new(config),
        }
    }

    /// Parses the request head at the start of `buf`, returning the request
    /// and the number of bytes it took, or `Ok(None)` if the head is not
    /// complete yet. `buf` must hold the bytes of the previous call and
    /// possibly more.
    ///
    /// # Errors
    ///
    /// [`HandshakeError::HeadTooLarge`] once the head exceeds
    /// `max_header_bytes` without ending, [`HandshakeError::TooManyHeaders`],
    /// [`HandshakeError::Malformed`] for bytes that are not an HTTP/1.x
    /// request.
    pub fn parse(&mut self, buf: &[u8]) -> Result<Option<(Request<()>, usize)>, HandshakeError> {
        let Some(end) = self.head.find_end(buf)? else {
            return Ok(None);
        };
        let head = buf.get(..end).unwrap_or_default();
        let mut headers = vec![httparse::EMPTY_HEADER; self.head.max_headers];
        let mut req = httparse::Request::new(&mut headers);
        self.head.check(req.parse(head), end)?;
        let method = Method::from_bytes(req.method.unwrap_or_default().as_bytes())
            .map_err(|_| HandshakeError::Malformed)?;
        let uri: http::Uri = req
            .path
            .unwrap_or_default()
            .parse()
            .map_err(|_| HandshakeError::Malformed)?;
        let version = match req.version {
            Some(0) => Version::HTTP_10,
            _ => Version::HTTP_11,
        };
        let mut builder = Request::builder().method(method).uri(uri).version(version);
        if let Some(map) = builder.headers_mut() {
            copy_headers(req.headers, map)?;
        }
        let request = builder.body(()).map_err(|_| HandshakeError::Malformed)?;
        Ok(Some((request, end)))
    }
}

/// Copies parsed headers into a `HeaderMap`.
pub(crate) fn copy_headers(
    parsed: &[httparse::Header<'_>],
    map: &mut HeaderMap,
) -> Result<(), HandshakeError> {
    for h in parsed {
        let name =
            HeaderName::from_bytes(h.name.as_bytes()).map_err(|_| HandshakeError::Malformed)?;
        let value = HeaderValue::from_bytes(h.value).map_err(|_| HandshakeError::Malformed)?;
        map.append(name, value);
    }
    Ok(())
}

/// Where the head ends (just past its `\r\n\r\n`), scanning from `*scanned`
/// (minus 3, for a terminator cut by a read) and remembering how far it got.
pub(crate) fn find_head_end(
    buf: &[u8],
    scanned: &mut usize,
    max: usize,
) -> Result<Option<usize>, HandshakeError> {
    let from = scanned.saturating_sub(3);
    let window = buf.get(from..).unwrap_or_default();
    if let Some(at) = window.windows(4).position(|w| w == b"\r\n\r\n") {
        let end = from + at + 4;
        if end > max {
            return Err(HandshakeError::HeadTooLarge { max });
        }
        return Ok(Some(end));
    }
    *scanned = buf.len();
    if buf.len() >= max {
        return Err(HandshakeError::HeadTooLarge { max });
    }
    Ok(None)
}

/// What a valid upgrade request offers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientOffer {
    /// The `Sec-WebSocket-Key` (base64 of 16 bytes), as sent.
    pub key: String,
    /// The subprotocols offered, in the client's order of preference.
    pub protocols: Vec<String>,
    /// The extensions offered, in order.
    pub extensions: Vec<Extension>,
}

/// Checks that `request` is a valid WebSocket upgrade (RFC 6455 section
/// 4.2.1) and returns what it offers.
///
/// # Errors
///
/// [`HandshakeError::Rejected`] with the status to answer and why: 405 for
/// a method other than GET, 400 for HTTP/1.0, a missing `Host` or a
/// `Sec-WebSocket-Key` that is not base64 of 16 bytes, 426 (with
/// `Sec-WebSocket-Version: 13`) for a missing upgrade or another version.
pub fn validate<B>(request: &Request<B>) -> Result<ClientOffer, HandshakeError> {
    use crate::RequestProblem as P;
    let reject = |problem: P| Err(HandshakeError::Rejected(problem));
    if request.method() != Method::GET {
        return reject(P::Method);
    }
    if request.version() < Version::HTTP_11 {
        return reject(P::HttpVersion);
    }
    let headers = request.headers();
    if headers.get_all(header::HOST).iter().count() != 1 {
        return reject(P::Host);
    }
    if !has_token(headers, &header::UPGRADE, "websocket") {
        return reject(P::Upgrade);
    }
    if !has_token(headers, &header::CONNECTION, "upgrade") {
        return reject(P::Connection);
    }
    let mut versions = headers.get_all(header::SEC_WEBSOCKET_VERSION).iter();
    match (versions.next().map(HeaderValue::as_bytes), versions.next()) {
        (Some(b"13"), None) => {}
        _ => return reject(P::WebSocketVersion),
    }
    let mut keys = headers.get_all(header::SEC_WEBSOCKET_KEY).iter();
    let key = match (keys.next(), keys.next()) {
        (Some(k), None) => k.to_str().map(str::trim).unwrap_or_default(),
        _ => return reject(P::Key),
    };
    use base64::Engine as _;
    match base64::engine::general_purpose::STANDARD.decode(key) {
        Ok(raw) if raw.len() == 16 => {}
        _ => return reject(P::Key),
    }
    let protocols = tokens(headers, &header::SEC_WEBSOCKET_PROTOCOL)
        .map(str::to_owned)
        .collect();
    let extensions =
        parse_extensions(headers).map_err(|_| HandshakeError::Rejected(P::Extensions))?;
    Ok(ClientOffer {
        key: key.to_owned(),
        protocols,
        extensions,
    })
}

/// The `101 Switching Protocols` answer to `offer`, with the chosen
/// subprotocol (which must be one of the offered ones) and the accepted
/// extensions, if any.
pub fn accept_response(
    offer: &ClientOffer,
    protocol: Option<&str>,
    extensions: &[Extension],
) -> Response<()> {
    let mut response = Response::new(());
    *response.status_mut() = StatusCode::SWITCHING_PROTOCOLS;
    let h = response.headers_mut();
    h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
    h.insert(header::CONNECTION, HeaderValue::from_static("Upgrade"));
    if let Ok(v) = HeaderValue::from_str(&super::accept_key(offer.key.as_bytes())) {
        h.insert(header::SEC_WEBSOCKET_ACCEPT, v);
    }
    if let Some(p) = protocol.and_then(|p| HeaderValue::from_str(p).ok()) {
        h.insert(header::SEC_WEBSOCKET_PROTOCOL, p);
    }
    for e in extensions {
        if let Ok(v) = HeaderValue::from_str(&e.to_header_value()) {
            h.append(header::SEC_WEBSOCKET_EXTENSIONS, v);
        }
    }
    response
}

/// The HTTP error answer to a request that is not a valid upgrade: the
/// status of `problem`, `Connection: close`, and the reason as a plain-text
/// body. A 426 also says `Upgrade: websocket` and `Sec-WebSocket-Version:
/// 13`, as RFC 6455 section 4.2.2 asks.
pub fn reject_response(problem: crate::RequestProblem) -> (Response<()>, &'static str) {
    let mut response = Response::new(());
    *response.status_mut() = problem.status();
    let h = response.headers_mut();
    h.insert(header::CONNECTION, HeaderValue::from_static("close"));
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    if problem.status() == StatusCode::UPGRADE_REQUIRED {
        h.insert(header::UPGRADE, HeaderValue::from_static("websocket"));
        h.insert(
            header::SEC_WEBSOCKET_VERSION,
            HeaderValue::from_static("13"),
        );
    }
    if problem.status() == StatusCode::METHOD_NOT_ALLOWED {
        h.insert(header::ALLOW, HeaderValue::from_static("GET"));
    }
    (response, problem.reason())
}

/// Writes an HTTP/1.1 response head and `body` (with `Content-Length`
/// unless the status is 101) to `dst`.
pub fn write_response<T>(response: &Response<T>, body: &[u8], dst: &mut BytesMut) {
    let status = response.status();
    dst.put_slice(b"HTTP/1.1 ");
    dst.put_slice(status.as_str().as_bytes());
    dst.put_u8(b' ');
    dst.put_slice(status.canonical_reason().unwrap_or("").as_bytes());
    dst.put_slice(b"\r\n");
    for (name, value) in response.headers() {
        if name == header::CONTENT_LENGTH {
            continue;
        }
        dst.put_slice(name.as_str().as_bytes());
        dst.put_slice(b": ");
        dst.put_slice(value.as_bytes());
        dst.put_slice(b"\r\n");
    }
    if status != StatusCode::SWITCHING_PROTOCOLS {
        dst.put_slice(b"content-length: ");
        dst.put_slice(body.len().to_string().as_bytes());
        dst.put_slice(b"\r\n");
    }
    dst.put_slice(b"\r\n");
    dst.put_slice(body);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RequestProblem;

    const GOOD: &str = "GET /chat?x=1 HTTP/1.1\r\nHost: server.example.com\r\n\
        Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\n\
        Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nOrigin: http://example.com\r\n\
        Sec-WebSocket-Protocol: chat, superchat\r\nSec-WebSocket-Version: 13\r\n\r\n";

    fn parse(text: &str) -> Request<()> {
        let mut r = RequestReader::new(&HandshakeConfig::default());
        r.parse(text.as_bytes())
            .expect("parses")
            .expect("complete")
            .0
    }

    fn problem(text: &str) -> RequestProblem {
        match validate(&parse(text)) {
            Err(HandshakeError::Rejected(p)) => p,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn the_rfc_example_is_accepted() {
        let req = parse(GOOD);
        assert_eq!(req.uri().path(), "/chat");
        let offer = validate(&req).expect("valid");
        assert_eq!(offer.protocols, vec!["chat", "superchat"]);
        let resp = accept_response(&offer, Some("chat"), &[]);
        let mut out = BytesMut::new();
        write_response(&resp, b"", &mut out);
        let text = String::from_utf8(out.to_vec()).expect("ascii");
        assert!(
            text.starts_with("HTTP/1.1 101 Switching Protocols\r\n"),
            "{text}"
        );
        assert!(text.contains("sec-websocket-accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"));
        assert!(text.contains("sec-websocket-protocol: chat\r\n"));
        assert!(text.ends_with("\r\n\r\n"));
    }

    #[test]
    fn every_required_field_is_checked() {
        let cases = [
            (GOOD.replace("GET", "POST"), RequestProblem::Method),
            (
                GOOD.replace("HTTP/1.1", "HTTP/1.0"),
                RequestProblem::HttpVersion,
            ),
            (
                GOOD.replace("Host: server.example.com\r\n", ""),
                RequestProblem::Host,
            ),
            (
                GOOD.replace("Upgrade: websocket\r\n", ""),
                RequestProblem::Upgrade,
            ),
            (
                GOOD.replace("Upgrade: websocket", "Upgrade: h2c"),
                RequestProblem::Upgrade,
            ),
            (
                GOOD.replace("keep-alive, Upgrade", "keep-alive"),
                RequestProblem::Connection,
            ),
            (
                GOOD.replace("Version: 13", "Version: 8"),
                RequestProblem::WebSocketVersion,
            ),
            (
                GOOD.replace("Sec-WebSocket-Version: 13\r\n", ""),
                RequestProblem::WebSocketVersion,
            ),
            (
                GOOD.replace("dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZQ=="),
                RequestProblem::Key,
            ),
            (
                GOOD.replace("dGhlIHNhbXBsZSBub25jZQ==", "not base64!"),
                RequestProblem::Key,
            ),
        ];
        for (text, want) in cases {
            assert_eq!(problem(&text), want, "{text}");
        }
        // Case-insensitive header names and tokens.
        let relaxed = GOOD
            .replace("Upgrade: websocket", "upgrade: WebSocket")
            .replace("keep-alive, Upgrade", "UPGRADE");
        assert!(validate(&parse(&relaxed)).is_ok());
    }

    #[test]
    fn a_426_names_the_version() {
        let (resp, reason) = reject_response(RequestProblem::WebSocketVersion);
        assert_eq!(resp.status(), StatusCode::UPGRADE_REQUIRED);
        assert_eq!(resp.headers()["sec-websocket-version"], "13");
        assert!(!reason.is_empty());
    }

    #[test]
    fn the_head_is_found_at_any_split_without_rescanning() {
        let bytes = GOOD.as_bytes();
        for cut in 0..bytes.len() {
            let mut r = RequestReader::new(&HandshakeConfig::default());
            assert!(
                r.parse(&bytes[..cut]).expect("partial").is_none(),
                "cut {cut}"
            );
            let (_, used) = r.parse(bytes).expect("ok").expect("complete");
            assert_eq!(used, bytes.len());
        }
        // Byte by byte.
        let mut r = RequestReader::new(&HandshakeConfig::default());
        for end in 1..bytes.len() {
            assert!(r.parse(&bytes[..end]).expect("partial").is_none());
        }
        assert!(r.parse(bytes).expect("ok").is_some());
    }

    #[test]
    fn limits() {
        let config = HandshakeConfig::default().with_max_header_bytes(64);
        let mut r = RequestReader::new(&config);
        assert!(matches!(
            r.parse(GOOD.as_bytes()),
            Err(HandshakeError::HeadTooLarge { max: 64 })
        ));
        let mut r = RequestReader::new(&config);
        assert!(matches!(
            r.parse(&[b'a'; 100]),
            Err(HandshakeError::HeadTooLarge { max: 64 })
        ));
        let config = HandshakeConfig::default().with_max_headers(3);
        let mut r = RequestReader::new(&config);
        assert!(matches!(
            r.parse(GOOD.as_bytes()),
            Err(HandshakeError::TooManyHeaders { max: 3 })
        ));
        let mut r = RequestReader::new(&HandshakeConfig::default());
        assert!(matches!(
            r.parse(b"\x16\x03\x01 not http\r\n\r\n"),
            Err(HandshakeError::Malformed)
        ));
    }
}
