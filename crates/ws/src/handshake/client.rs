//! The client side of the opening handshake (RFC 6455 section 4.1), sans-IO.
//!
//! ```
//! use bytes::BytesMut;
//! use tether_ws::handshake::client::{ClientRequest, ResponseReader};
//! use tether_ws::HandshakeConfig;
//!
//! let request = ClientRequest::new("ws://127.0.0.1:9001/chat".parse().unwrap())
//!     .unwrap()
//!     .with_protocols(["chat"]);
//! let mut wire = BytesMut::new();
//! request.encode(&mut wire);
//! assert!(wire.starts_with(b"GET /chat HTTP/1.1\r\n"));
//!
//! // The server's answer, then the first frame in the same read.
//! let accept = tether_ws::handshake::accept_key(request.key().as_bytes());
//! let mut answer = format!(
//!     "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\
//!      Connection: Upgrade\r\nSec-WebSocket-Accept: {accept}\r\n\
//!      Sec-WebSocket-Protocol: chat\r\n\r\n"
//! )
//! .into_bytes();
//! answer.extend_from_slice(b"\x81\x02hi");
//! let mut reader = ResponseReader::new(&HandshakeConfig::default());
//! let (response, used) = reader.parse(&answer).unwrap().unwrap();
//! let accepted = request.validate(&response).unwrap();
//! assert_eq!(accepted.protocol.as_deref(), Some("chat"));
//! assert_eq!(&answer[used..], b"\x81\x02hi");
//! ```

use base64::Engine as _;
use bytes::{BufMut, BytesMut};
use http::header::{self, HeaderMap, HeaderName, HeaderValue};
use http::{Response, StatusCode, Uri};

use super::server::copy_headers;
use super::{accept_key, has_token, is_token, parse_extensions, tokens, Extension, HeadScanner};
use crate::{HandshakeConfig, HandshakeError, ResponseProblem};

/// A client's opening handshake request: `GET` with the WebSocket headers,
/// a fresh random key, optional subprotocols and extra headers.
#[derive(Clone, Debug)]
pub struct ClientRequest {
    uri: Uri,
    host: String,
    key: String,
    protocols: Vec<String>,
    headers: HeaderMap,
    /// The permessage-deflate offer, if any.
    #[cfg(feature = "deflate")]
    deflate: Option<Extension>,
}

impl ClientRequest {
    /// A request for `uri` (`ws://` or `wss://`; the path and query are the
    /// request target, the authority the `Host` header), with a key of 16
    /// random bytes from the thread-local CSPRNG.
    ///
    /// # Errors
    ///
    /// [`HandshakeError::InvalidUrl`] for another scheme or no host.
    pub fn new(uri: Uri) -> Result<ClientRequest, HandshakeError> {
        match uri.scheme_str() {
            Some("ws" | "wss") => {}
            _ => return Err(HandshakeError::InvalidUrl),
        }
        let authority = uri.authority().ok_or(HandshakeError::InvalidUrl)?;
        if authority.host().is_empty() || authority.as_str().contains('@') {
            return Err(HandshakeError::InvalidUrl);
        }
        let host = authority.as_str().to_owned();
        let mut raw = [0u8; 16];
        rand::Rng::fill_bytes(&mut rand::rng(), &mut raw);
        let key = base64::engine::general_purpose::STANDARD.encode(raw);
        Ok(ClientRequest {
            uri,
            host,
            key,
            protocols: Vec::new(),
            headers: HeaderMap::new(),
            #[cfg(feature = "deflate")]
            deflate: None,
        })
    }

    /// Offers these subprotocols, in order of preference. Names that are
    /// not HTTP tokens are skipped.
    pub fn with_protocols<I, S>(mut self, protocols: I) -> ClientRequest
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.protocols = protocols
            .into_iter()
            .map(Into::into)
            .filter(|p| is_token(p))
            .collect();
        self
    }

    /// Adds a header (`Origin`, `Authorization`, a cookie...). The headers
    /// of the handshake itself cannot be overridden this way.
    pub fn with_header(mut self, name: HeaderName, value: HeaderValue) -> ClientRequest {
        let reserved = [
            header::HOST,
            header::UPGRADE,
            header::CONNECTION,
            header::SEC_WEBSOCKET_KEY,
            header::SEC_WEBSOCKET_VERSION,
            header::SEC_WEBSOCKET_PROTOCOL,
        ];
        if !reserved.contains(&name) {
            self.headers.append(name, value);
        }
        self
    }

    /// Offers permessage-deflate as `config` says (nothing if it is
    /// disabled), replacing any earlier offer. [`client_handshake`](crate::client_handshake)
    /// and [`connect_with_config`](crate::connect_with_config) call it with
    /// [`HandshakeConfig::deflate`].
    #[cfg(feature = "deflate")]
    pub fn with_deflate(mut self, config: &crate::DeflateConfig) -> ClientRequest {
        self.deflate = crate::deflate::offer(config);
        self
    }

    /// The permessage-deflate offer sent, if any.
    #[cfg(feature = "deflate")]
    pub fn deflate_offer(&self) -> Option<&Extension> {
        self.deflate.as_ref()
    }

    /// The URI.
    pub fn uri(&self) -> &Uri {
        &self.uri
    }

    /// The `Sec-WebSocket-Key` sent.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The subprotocols offered.
    pub fn protocols(&self) -> &[String] {
        &self.protocols
    }

    /// Writes the request head.
    pub fn encode(&self, dst: &mut BytesMut) {
        let target = self.uri.path_and_query().map_or("/", |pq| pq.as_str());
        let target = if target.is_empty() { "/" } else { target };
        dst.put_slice(b"GET ");
        dst.put_slice(target.as_bytes());
        dst.put_slice(b" HTTP/1.1\r\nHost: ");
        dst.put_slice(self.host.as_bytes());
        dst.put_slice(b"\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ");
        dst.put_slice(self.key.as_bytes());
        dst.put_slice(b"\r\nSec-WebSocket-Version: 13\r\n");
        if !self.protocols.is_empty() {
            dst.put_slice(b"Sec-WebSocket-Protocol: ");
            dst.put_slice(self.protocols.join(", ").as_bytes());
            dst.put_slice(b"\r\n");
        }
        #[cfg(feature = "deflate")]
        if let Some(offer) = &self.deflate {
            dst.put_slice(b"Sec-WebSocket-Extensions: ");
            dst.put_slice(offer.to_header_value().as_bytes());
            dst.put_slice(b"\r\n");
        }
        for (name, value) in &self.headers {
            dst.put_slice(name.as_str().as_bytes());
            dst.put_slice(b": ");
            dst.put_slice(value.as_bytes());
            dst.put_slice(b"\r\n");
        }
        dst.put_slice(b"\r\n");
    }

    /// Checks the server's answer (RFC 6455 section 4.1, the client's
    /// obligations): status 101, `Upgrade: websocket`, `Connection` with the
    /// `Upgrade` token, the right `Sec-WebSocket-Accept`, a subprotocol only
    /// from those offered, and no extension that was not offered (with the
    /// `deflate` feature, a `permessage-deflate` answer is checked against
    /// the offer by [`deflate::check_response`](crate::deflate::check_response)).
    ///
    /// # Errors
    ///
    /// [`HandshakeError::Refused`] with the status and headers for any
    /// status but 101; [`HandshakeError::InvalidResponse`] for a 101 that
    /// breaks a rule ([`ResponseProblem::Extensions`] for an extension when
    /// none was offered, [`ResponseProblem::Deflate`] for a
    /// `permessage-deflate` answer that breaks RFC 7692).
    pub fn validate(&self, response: &Response<()>) -> Result<Accepted, HandshakeError> {
        if response.status() != StatusCode::SWITCHING_PROTOCOLS {
            return Err(HandshakeError::Refused {
                status: response.status(),
                headers: Box::new(response.headers().clone()),
            });
        }
        let bad = |p: ResponseProblem| Err(HandshakeError::InvalidResponse(p));
        let h = response.headers();
        if !has_token(h, &header::UPGRADE, "websocket") {
            return bad(ResponseProblem::Upgrade);
        }
        if !has_token(h, &header::CONNECTION, "upgrade") {
            return bad(ResponseProblem::Connection);
        }
        let mut accepts = h.get_all(header::SEC_WEBSOCKET_ACCEPT).iter();
        let expected = accept_key(self.key.as_bytes());
        match (accepts.next(), accepts.next()) {
            (Some(v), None) if v.as_bytes() == expected.as_bytes() => {}
            _ => return bad(ResponseProblem::Accept),
        }
        let mut chosen = tokens(h, &header::SEC_WEBSOCKET_PROTOCOL);
        let protocol = match (chosen.next(), chosen.next()) {
            (None, _) => None,
            (Some(p), None) if self.protocols.iter().any(|o| o == p) => Some(p.to_owned()),
            _ => return bad(ResponseProblem::Protocol),
        };
        let extensions = parse_extensions(h)
            .map_err(|_| HandshakeError::InvalidResponse(ResponseProblem::Extensions))?;
        #[cfg(feature = "deflate")]
        let deflate = match (&self.deflate, extensions.is_empty()) {
            (None, false) => return bad(ResponseProblem::Extensions),
            (offer, _) => crate::deflate::check_response(offer.as_ref(), &extensions)
                .map_err(|p| HandshakeError::InvalidResponse(ResponseProblem::Deflate(p)))?,
        };
        #[cfg(not(feature = "deflate"))]
        if !extensions.is_empty() {
            return bad(ResponseProblem::Extensions);
        }
        Ok(Accepted {
            protocol,
            extensions,
            #[cfg(feature = "deflate")]
            deflate,
        })
    }
}

/// What the server accepted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Accepted {
    /// The subprotocol the server chose, if any (always one of those
    /// offered).
    pub protocol: Option<String>,
    /// The extensions in use.
    pub extensions: Vec<Extension>,
    /// The permessage-deflate parameters in force, if negotiated.
    #[cfg(feature = "deflate")]
    pub deflate: Option<crate::deflate::Negotiated>,
}

/// Reads an HTTP/1.1 response head from a buffer that grows with each read,
/// like [`RequestReader`](super::server::RequestReader) does for requests.
#[derive(Debug, Clone)]
pub struct ResponseReader {
    head: HeadScanner,
}

impl ResponseReader {
    /// A reader with the limits of `config`.
    pub fn new(config: &HandshakeConfig) -> ResponseReader {
        ResponseReader {
            head: HeadScanner::new(config),
        }
    }

    /// Parses the response head at the start of `buf`: the response and the
    /// bytes it took, or `Ok(None)` if it is not complete yet.
    ///
    /// # Errors
    ///
    /// As [`RequestReader::parse`](super::server::RequestReader::parse).
    pub fn parse(&mut self, buf: &[u8]) -> Result<Option<(Response<()>, usize)>, HandshakeError> {
        let Some(end) = self.head.find_end(buf)? else {
            return Ok(None);
        };
        let head = buf.get(..end).unwrap_or_default();
        let mut headers = vec![httparse::EMPTY_HEADER; self.head.max_headers];
        let mut resp = httparse::Response::new(&mut headers);
        self.head.check(resp.parse(head), end)?;
        let status = StatusCode::from_u16(resp.code.unwrap_or_default())
            .map_err(|_| HandshakeError::Malformed)?;
        let mut response = Response::new(());
        *response.status_mut() = status;
        copy_headers(resp.headers, response.headers_mut())?;
        Ok(Some((response, end)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn answer(request: &ClientRequest, extra: &str) -> Response<()> {
        let text = format!(
            "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\
             Sec-WebSocket-Accept: {}\r\n{extra}\r\n",
            accept_key(request.key().as_bytes())
        );
        let mut r = ResponseReader::new(&HandshakeConfig::default());
        r.parse(text.as_bytes()).expect("ok").expect("complete").0
    }

    #[test]
    fn the_request_has_every_field() {
        let req = ClientRequest::new("ws://example.com:8080/a/b?c=d".parse().expect("uri"))
            .expect("valid")
            .with_protocols(["chat", "bad name", "v2"])
            .with_header(
                header::ORIGIN,
                HeaderValue::from_static("http://example.com"),
            )
            .with_header(header::HOST, HeaderValue::from_static("ignored"));
        let mut out = BytesMut::new();
        req.encode(&mut out);
        let text = String::from_utf8(out.to_vec()).expect("ascii");
        assert!(text.starts_with("GET /a/b?c=d HTTP/1.1\r\nHost: example.com:8080\r\n"));
        assert!(text.contains("\r\nSec-WebSocket-Protocol: chat, v2\r\n"));
        assert!(text.contains("\r\norigin: http://example.com\r\n"));
        assert!(!text.contains("ignored"));
        let raw = base64::engine::general_purpose::STANDARD
            .decode(req.key())
            .expect("base64");
        assert_eq!(raw.len(), 16);
        // A fresh key each time.
        let again = ClientRequest::new("ws://example.com/".parse().expect("uri")).expect("valid");
        assert_ne!(again.key(), req.key());
    }

    #[test]
    fn urls() {
        for bad in ["http://example.com/", "ws:/nohost", "ws://user@host/"] {
            if let Ok(uri) = bad.parse::<Uri>() {
                assert!(ClientRequest::new(uri).is_err(), "{bad}");
            }
        }
        let req = ClientRequest::new("ws://h".parse().expect("uri")).expect("valid");
        let mut out = BytesMut::new();
        req.encode(&mut out);
        assert!(out.starts_with(b"GET / HTTP/1.1\r\nHost: h\r\n"));
    }

    #[test]
    fn the_response_is_checked() {
        let req = ClientRequest::new("ws://h/".parse().expect("uri"))
            .expect("valid")
            .with_protocols(["chat"]);
        assert_eq!(req.validate(&answer(&req, "")).expect("ok").protocol, None);
        let ok = req
            .validate(&answer(&req, "Sec-WebSocket-Protocol: chat\r\n"))
            .expect("ok");
        assert_eq!(ok.protocol.as_deref(), Some("chat"));
        let problem = |resp: &Response<()>| match req.validate(resp) {
            Err(HandshakeError::InvalidResponse(p)) => p,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            problem(&answer(&req, "Sec-WebSocket-Protocol: other\r\n")),
            ResponseProblem::Protocol
        );
        assert_eq!(
            problem(&answer(
                &req,
                "Sec-WebSocket-Extensions: permessage-deflate\r\n"
            )),
            ResponseProblem::Extensions
        );
        let mut wrong = answer(&req, "");
        wrong.headers_mut().insert(
            header::SEC_WEBSOCKET_ACCEPT,
            HeaderValue::from_static("s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        );
        assert_eq!(problem(&wrong), ResponseProblem::Accept);
        let mut no_upgrade = answer(&req, "");
        no_upgrade.headers_mut().remove(header::UPGRADE);
        assert_eq!(problem(&no_upgrade), ResponseProblem::Upgrade);
        let mut no_conn = answer(&req, "");
        no_conn
            .headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        assert_eq!(problem(&no_conn), ResponseProblem::Connection);

        let mut r = ResponseReader::new(&HandshakeConfig::default());
        let (resp, _) = r
            .parse(b"HTTP/1.1 403 Forbidden\r\nX-Why: origin\r\ncontent-length: 0\r\n\r\n")
            .expect("ok")
            .expect("complete");
        match req.validate(&resp) {
            Err(HandshakeError::Refused { status, headers }) => {
                assert_eq!(status, StatusCode::FORBIDDEN);
                assert_eq!(headers["x-why"], "origin");
            }
            other => panic!("{other:?}"),
        }
    }
}
