//! The HTTP side of the server: request routing and verification as the
//! reference server does it, the polling `GET` and `POST`, the WebSocket
//! upgrade.

use std::borrow::Cow;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Instant;

use base64::Engine as _;
use bytes::{Buf, BufMut, Bytes, BytesMut};
use http::header::{CACHE_CONTROL, CONTENT_LENGTH, CONTENT_TYPE, SET_COOKIE};
use http::{HeaderMap, HeaderValue, Method, Request, Response, StatusCode};
use http_body_util::{BodyExt, Full};

use super::socket::{Shared, Waiter};
use super::{BoxError, EngineBody, ErrorCode, HandshakeRequest, ServerInner, Socket};
use crate::payload::{decode_payload, encode_payload, PayloadConfig};
use crate::session::{CloseReason, PollError, Session, SocketId, Transport};

const TEXT_PLAIN: &str = "text/plain; charset=UTF-8";

/// Everything an answer carries besides its status and body: CORS, the
/// headers hook.
struct Answer<'a> {
    inner: &'a ServerInner,
    parts: &'a http::request::Parts,
    cors: HeaderMap,
}

impl Answer<'_> {
    fn build(
        &self,
        status: StatusCode,
        content_type: Option<&'static str>,
        body: Bytes,
        initial: Option<&str>,
    ) -> Response<EngineBody> {
        let mut headers = self.cors.clone();
        if let Some(ct) = content_type {
            headers.insert(CONTENT_TYPE, HeaderValue::from_static(ct));
        }
        headers.insert(CONTENT_LENGTH, HeaderValue::from(body.len()));
        self.finish(&mut headers, initial);
        let mut response = Response::new(Full::new(body));
        *response.status_mut() = status;
        *response.headers_mut() = headers;
        response
    }

    /// The `101` of a WebSocket upgrade, with CORS, the cookie (`sid` on a
    /// handshake) and the hook.
    fn finish_upgrade(
        &self,
        mut response: Response<EngineBody>,
        sid: Option<&str>,
    ) -> Response<EngineBody> {
        let headers = response.headers_mut();
        for (k, v) in &self.cors {
            headers.insert(k, v.clone());
        }
        self.finish(headers, sid);
        response
    }

    /// The session cookie on a handshake, then the hook.
    fn finish(&self, headers: &mut HeaderMap, initial: Option<&str>) {
        if let (Some(sid), Some(cookie)) = (initial, &self.inner.config.cookie) {
            if let Ok(v) = HeaderValue::from_str(&cookie.header(sid)) {
                headers.append(SET_COOKIE, v);
            }
        }
        if let Some(hook) = &self.inner.config.headers {
            hook(self.parts, initial.is_some(), headers);
        }
    }

    fn error(&self, code: ErrorCode) -> Response<EngineBody> {
        self.error_message(code, code.message())
    }

    fn error_message(&self, code: ErrorCode, message: &str) -> Response<EngineBody> {
        let body = format!(
            "{{\"code\":{},\"message\":{}}}",
            code.code(),
            serde_json::Value::from(message)
        );
        self.build(
            code.status(),
            Some("application/json"),
            Bytes::from(body),
            None,
        )
    }

    fn status(&self, status: StatusCode) -> Response<EngineBody> {
        self.build(status, None, Bytes::new(), None)
    }

    fn poll_error(&self, e: PollError) -> Response<EngineBody> {
        match e {
            // The reference answers an overlap with a bare 400.
            PollError::Overlap => self.status(StatusCode::BAD_REQUEST),
            PollError::Upgraded => self.error(ErrorCode::BadRequest),
            PollError::Closed => self.error(ErrorCode::UnknownSid),
        }
    }
}

fn not_found() -> Response<EngineBody> {
    let mut response = Response::new(Full::new(Bytes::new()));
    *response.status_mut() = StatusCode::NOT_FOUND;
    response
}

pub(crate) async fn handle<B>(inner: &Arc<ServerInner>, request: Request<B>) -> Response<EngineBody>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    if !inner.config.handles(request.uri().path()) {
        return not_found();
    }
    let upgrade = tether_ws::is_upgrade_request(&request);
    let (parts, body) = request.into_parts();
    let mut answer = Answer {
        inner,
        parts: &parts,
        cors: HeaderMap::new(),
    };
    if let Some(cors) = &inner.config.cors {
        if parts.method == Method::OPTIONS {
            let mut headers = HeaderMap::new();
            cors.preflight(&parts.headers, &mut headers);
            answer.cors = headers;
            return answer.build(StatusCode::NO_CONTENT, None, Bytes::new(), None);
        }
        cors.apply(&parts.headers, &mut answer.cors);
    }

    let query = query_pairs(parts.uri.query().unwrap_or(""));
    let param = |name: &str| query.iter().find(|(k, _)| k == name).map(|(_, v)| &**v);
    let Some(transport) = param("transport")
        .and_then(Transport::from_name)
        .filter(|t| inner.config.transports.contains(t))
    else {
        return answer.error(ErrorCode::UnknownTransport);
    };

    if let Some(sid) = param("sid") {
        let Some(shared) = inner.sessions().get(sid).cloned() else {
            return answer.error(ErrorCode::UnknownSid);
        };
        if upgrade {
            if transport != Transport::WebSocket {
                return answer.error(ErrorCode::BadRequest);
            }
            return upgrade_session(&answer, shared, parts.clone()).await;
        }
        if shared.peek(Session::transport) != transport {
            return answer.error(ErrorCode::BadRequest);
        }
        return match parts.method {
            Method::GET => poll_get(&answer, &shared, false).await,
            Method::POST => poll_post(&answer, &shared, body).await,
            _ => answer.error(ErrorCode::BadRequest),
        };
    }

    // A handshake.
    if parts.method != Method::GET {
        return answer.error(ErrorCode::BadHandshakeMethod);
    }
    if transport == Transport::WebSocket && !upgrade {
        return answer.error(ErrorCode::BadRequest);
    }
    let handshake = HandshakeRequest {
        method: parts.method.clone(),
        uri: detach_uri(&parts.uri),
        headers: detach_headers(&parts.headers),
        remote_addr: parts.extensions.get::<SocketAddr>().copied(),
        query: query
            .iter()
            .map(|(k, v)| (k.clone().into_owned(), v.clone().into_owned()))
            .collect(),
    };
    if let Some(allow) = &inner.config.allow_request {
        if let Err(message) = allow(&handshake) {
            let message = if message.is_empty() {
                ErrorCode::Forbidden.message()
            } else {
                &message
            };
            return answer.error_message(ErrorCode::Forbidden, message);
        }
    }
    if param("EIO") != Some("4") {
        return answer.error(ErrorCode::UnsupportedProtocolVersion);
    }
    if inner.sessions().len() >= inner.config.max_sessions {
        return answer.status(StatusCode::SERVICE_UNAVAILABLE);
    }

    match transport {
        Transport::Polling => {
            let Some(shared) = open_session(inner, handshake, Transport::Polling) else {
                return answer.status(StatusCode::SERVICE_UNAVAILABLE);
            };
            tokio::spawn(shared.clone().drive_timers());
            poll_get(&answer, &shared, true).await
        }
        Transport::WebSocket => {
            let mut req = Request::from_parts(parts.clone(), ());
            let (response, upgrade) = match tether_ws::upgrade_with_config::<_, EngineBody>(
                &mut req,
                inner.config.ws_config(),
                None,
            ) {
                Ok(ok) => ok,
                Err(_) => return answer.error(ErrorCode::BadRequest),
            };
            let Some(shared) = open_session(inner, handshake, Transport::WebSocket) else {
                return answer.status(StatusCode::SERVICE_UNAVAILABLE);
            };
            let Some(id) = shared.peek(Session::socket) else {
                return answer.status(StatusCode::INTERNAL_SERVER_ERROR);
            };
            let sid = shared.sid.clone();
            spawn_socket(shared, id, upgrade);
            answer.finish_upgrade(response, Some(&sid))
        }
    }
}

/// The query's pairs, percent-decoded (`+` as a space, as `URLSearchParams`
/// reads them). Borrowed from the request when nothing is escaped, which
/// is every request an Engine.IO client makes: no decoding, no allocation
/// but the list.
fn query_pairs(query: &str) -> Vec<(Cow<'_, str>, Cow<'_, str>)> {
    if query.bytes().any(|b| b == b'%' || b == b'+') {
        return form_urlencoded::parse(query.as_bytes()).collect();
    }
    query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .map(|pair| {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            (Cow::Borrowed(k), Cow::Borrowed(v))
        })
        .collect()
}

/// A copy of `headers` that owns its bytes. hyper's header values are
/// slices of its connection read buffer; a session that kept them would
/// keep that whole buffer (8 KiB or more) alive for its lifetime.
fn detach_headers(headers: &HeaderMap) -> HeaderMap {
    let mut owned = HeaderMap::with_capacity(headers.len());
    for (name, value) in headers {
        let name =
            http::HeaderName::from_bytes(name.as_str().as_bytes()).unwrap_or_else(|_| name.clone());
        let mut copy = HeaderValue::from_bytes(value.as_bytes()).unwrap_or_else(|_| value.clone());
        copy.set_sensitive(value.is_sensitive());
        owned.append(name, copy);
    }
    owned
}

/// A copy of `uri` that owns its bytes (see [`detach_headers`]).
fn detach_uri(uri: &http::Uri) -> http::Uri {
    uri.to_string().parse().unwrap_or_else(|_| uri.clone())
}

/// A session id: 128 bits from the thread's CSPRNG (ChaCha, seeded by the
/// OS), URL-safe base64 without padding (22 characters).
fn new_sid() -> String {
    let mut raw = [0u8; 16];
    rand::Rng::fill_bytes(&mut rand::rng(), &mut raw);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(raw)
}

fn open_session(
    inner: &Arc<ServerInner>,
    handshake: HandshakeRequest,
    transport: Transport,
) -> Option<Arc<Shared>> {
    let sid: Arc<str> = new_sid().into();
    let core = Session::new(
        &*sid,
        transport,
        inner.config.session_config(),
        Instant::now(),
    );
    let shared = Shared::new(sid.clone(), handshake, core, inner);
    inner.sessions().insert(sid.clone(), shared.clone());
    if inner
        .incoming
        .try_send(Socket::new(shared.clone()))
        .is_err()
    {
        // The Socket dropped in the failed send has closed the session.
        inner.remove(&sid);
        return None;
    }
    Some(shared)
}

struct GetGuard<'a> {
    shared: &'a Shared,
    armed: bool,
}

impl Drop for GetGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            self.shared.with(Waiter::Other, |s| s.core.cancel_get());
        }
    }
}

async fn poll_get(
    answer: &Answer<'_>,
    shared: &Arc<Shared>,
    initial: bool,
) -> Response<EngineBody> {
    if let Err(e) = shared.with(Waiter::Other, |s| s.core.begin_get()) {
        return answer.poll_error(e);
    }
    let mut guard = GetGuard {
        shared,
        armed: true,
    };
    let packets = shared.wait_payload().await;
    guard.armed = false;
    let mut body = BytesMut::new();
    if encode_payload(&packets, &mut body).is_err() {
        return answer.status(StatusCode::INTERNAL_SERVER_ERROR);
    }
    let mut response = answer.build(
        StatusCode::OK,
        Some(TEXT_PLAIN),
        body.freeze(),
        initial.then_some(&*shared.sid),
    );
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

struct PostGuard<'a> {
    shared: &'a Shared,
    armed: bool,
}

impl Drop for PostGuard<'_> {
    fn drop(&mut self) {
        if self.armed {
            // The request went away before its body was read.
            self.shared.with(Waiter::Post, |s| {
                s.core.fail_post(CloseReason::TransportError)
            });
        }
    }
}

async fn poll_post<B>(answer: &Answer<'_>, shared: &Arc<Shared>, body: B) -> Response<EngineBody>
where
    B: http_body::Body + Send + 'static,
    B::Data: Send,
    B::Error: Into<BoxError>,
{
    if let Err(e) = shared.with(Waiter::Post, |s| s.core.begin_post()) {
        return answer.poll_error(e);
    }
    let mut guard = PostGuard {
        shared,
        armed: true,
    };
    let fail = |guard: &mut PostGuard<'_>, reason: CloseReason| {
        guard.armed = false;
        shared.with(Waiter::Post, |s| s.core.fail_post(reason));
    };
    let max = answer.inner.config.session.max_payload;
    let binary = answer.parts.headers.get(CONTENT_TYPE).is_some_and(|v| {
        v.as_bytes()
            .eq_ignore_ascii_case(b"application/octet-stream")
    });
    if binary {
        // Engine.IO v4 payloads are text.
        fail(&mut guard, CloseReason::TransportError);
        return answer.error(ErrorCode::BadRequest);
    }
    let declared = answer
        .parts
        .headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > max) {
        fail(&mut guard, CloseReason::TransportError);
        return answer.status(StatusCode::PAYLOAD_TOO_LARGE);
    }
    let capacity = declared.map_or(0, |n| usize::try_from(n).unwrap_or(0));
    let mut buf = BytesMut::with_capacity(capacity);
    let mut body = std::pin::pin!(body);
    while let Some(frame) = body.frame().await {
        let Ok(frame) = frame else {
            fail(&mut guard, CloseReason::TransportError);
            return answer.status(StatusCode::BAD_REQUEST);
        };
        let Ok(mut data) = frame.into_data() else {
            continue;
        };
        if (buf.len() + data.remaining()) as u64 > max {
            fail(&mut guard, CloseReason::TransportError);
            return answer.status(StatusCode::PAYLOAD_TOO_LARGE);
        }
        while data.has_remaining() {
            let chunk = data.chunk();
            let n = chunk.len();
            buf.put_slice(chunk);
            data.advance(n);
        }
    }
    let config = PayloadConfig::default()
        .with_max_payload(max)
        .with_max_packets(answer.inner.config.max_packets);
    let packets = match decode_payload(buf.freeze(), &config) {
        Ok(packets) => packets,
        Err(e) => {
            fail(&mut guard, CloseReason::ParseError);
            return match e.http_status() {
                Some(413) => answer.status(StatusCode::PAYLOAD_TOO_LARGE),
                _ => answer.error(ErrorCode::BadRequest),
            };
        }
    };
    let now = Instant::now();
    let parsed = shared.with(Waiter::Post, |s| {
        for packet in packets {
            let Ok(packet) = packet else {
                s.core.handle_parse_error();
                return false;
            };
            match s.core.handle_packet(Transport::Polling, packet, now) {
                Ok(()) => {}
                // The client said goodbye: its POST is answered as usual.
                Err(CloseReason::ClientClose) => break,
                Err(_) => return false,
            }
        }
        true
    });
    if !parsed {
        guard.armed = false;
        shared.with(Waiter::Post, |s| s.core.end_post());
        return answer.error(ErrorCode::BadRequest);
    }
    // Backpressure: the answer waits until the application has room.
    shared.wait_room().await;
    guard.armed = false;
    shared.with(Waiter::Post, |s| s.core.end_post());
    let mut response = answer.build(
        StatusCode::OK,
        Some("text/html"),
        Bytes::from_static(b"ok"),
        None,
    );
    response
        .headers_mut()
        .insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

async fn upgrade_session(
    answer: &Answer<'_>,
    shared: Arc<Shared>,
    parts: http::request::Parts,
) -> Response<EngineBody> {
    let mut req = Request::from_parts(parts, ());
    let (response, upgrade) = match tether_ws::upgrade_with_config::<_, EngineBody>(
        &mut req,
        answer.inner.config.ws_config(),
        None,
    ) {
        Ok(ok) => ok,
        Err(_) => return answer.error(ErrorCode::BadRequest),
    };
    let id = match shared.with(Waiter::Other, |s| s.core.begin_upgrade(Instant::now())) {
        Ok(id) => id,
        Err(_) => return answer.error(ErrorCode::BadRequest),
    };
    spawn_socket(shared, id, upgrade);
    answer.finish_upgrade(response, None)
}

/// Runs WebSocket `id` of the session once hyper hands the connection over
/// (or tells the session it never came).
fn spawn_socket(shared: Arc<Shared>, id: SocketId, upgrade: tether_ws::UpgradeFut) {
    tokio::spawn(async move {
        match upgrade.await {
            Ok(ws) => shared.run_socket(id, ws).await,
            Err(_) => shared.with(Waiter::Other, |s| s.core.socket_closed(id, true)),
        }
    });
}

#[cfg(test)]
mod tests {
    use super::query_pairs;

    #[test]
    fn query_pairs_decode_like_url_search_params() {
        let plain = query_pairs("EIO=4&transport=polling&t=Pabc&sid=a-b_c&&flag");
        let plain: Vec<(&str, &str)> = plain.iter().map(|(k, v)| (&**k, &**v)).collect();
        assert_eq!(
            plain,
            [
                ("EIO", "4"),
                ("transport", "polling"),
                ("t", "Pabc"),
                ("sid", "a-b_c"),
                ("flag", "")
            ]
        );
        let escaped = query_pairs("token=let%20me+in&x=%E2%82%AC");
        let escaped: Vec<(&str, &str)> = escaped.iter().map(|(k, v)| (&**k, &**v)).collect();
        assert_eq!(escaped, [("token", "let me in"), ("x", "€")]);
    }
}
