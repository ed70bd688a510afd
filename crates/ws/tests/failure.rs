//! Failing the connection (RFC 6455 section 7.1.7) puts the mapped Close
//! frame on the wire even when the application stops at the error.
//!
//! The application in every case is the README's loop, which returns the
//! error with `?` and so drops the `WebSocketStream` at once:
//!
//! ```text
//! while let Some(message) = ws.next().await {
//!     if let m @ (Message::Text(_) | Message::Binary(_)) = message? { ws.send(m).await?; }
//! }
//! ```
//!
//! A raw peer (a hand-written client for the server role, a hand-written
//! server for the client role) sends hand-built frames that break the
//! protocol or a limit, then reads frames until EOF. Each case checks that
//! the peer read exactly one Close, with the expected code, as the last
//! frame before a clean EOF (masked from a client, unmasked from a server),
//! and that the application's error has `close_code()` equal to that code.
//! Every wait is bounded by [`WAIT`] so that a bug fails instead of hanging;
//! no timing is asserted.
//!
//! The cases of one role run as a table: one test reports every case that
//! failed, with what the peer read and what the application returned.

mod common;

use std::time::Duration;

use bytes::Bytes;
use common::{frame_bytes, listener, End, RawClient, RawServer, Transcript};
use futures::{SinkExt, StreamExt};
use tether_frame::OpCode;
use tether_ws::handshake::client::ClientRequest;
use tether_ws::{Error, Message, MessageConfig, WebSocketConfig, WebSocketStream};
use tokio::io::{AsyncRead, AsyncWrite};

/// The bound on every wait: generous, so only a hang reaches it.
const WAIT: Duration = Duration::from_secs(10);

/// The masking key of the raw client's frames.
const KEY: [u8; 4] = [0x37, 0xfa, 0x21, 0x3d];

// The first byte of a frame: FIN, RSV1 and the opcodes (RFC 6455 section
// 5.2).
const FIN: u8 = 0x80;
const RSV1: u8 = 0x40;
const CONTINUATION: u8 = 0x0;
const TEXT: u8 = 0x1;
const BINARY: u8 = 0x2;
/// A reserved non-control opcode.
const RESERVED: u8 = 0x3;
const CLOSE: u8 = 0x8;
const PING: u8 = 0x9;

/// A complete frame as a client sends it (masked).
fn masked(first: u8, payload: &[u8]) -> Vec<u8> {
    frame_bytes(first, payload.len() as u64, Some(KEY), payload)
}

/// A complete frame as a server sends it (unmasked).
fn unmasked(first: u8, payload: &[u8]) -> Vec<u8> {
    frame_bytes(first, payload.len() as u64, None, payload)
}

/// A Close frame's payload: the code, then the reason.
fn close_payload(code: u16, reason: &[u8]) -> Vec<u8> {
    [&code.to_be_bytes()[..], reason].concat()
}

/// 100 bytes of text with an invalid byte at offset 10: the start of a
/// 1 MiB text frame whose rest never comes.
fn invalid_text_prefix() -> Vec<u8> {
    let mut prefix = vec![b'a'; 100];
    prefix[10] = 0xFF;
    prefix
}

/// One way for the peer to break the protocol or a limit.
struct Case {
    name: &'static str,
    /// What the raw peer writes after the handshake.
    send: Vec<u8>,
    /// The close code the connection must be failed with.
    code: u16,
    /// The configuration of the tether end.
    config: WebSocketConfig,
    /// Header lines the raw client adds to its request.
    headers: &'static str,
}

fn case(name: &'static str, send: Vec<u8>, code: u16) -> Case {
    Case {
        name,
        send,
        code,
        config: WebSocketConfig::default(),
        headers: "",
    }
}

impl Case {
    fn with_config(mut self, config: WebSocketConfig) -> Case {
        self.config = config;
        self
    }

    /// permessage-deflate offered by the raw client and accepted by tether
    /// (with `config`'s limits).
    #[cfg(feature = "deflate")]
    fn compressed(mut self, config: WebSocketConfig) -> Case {
        self.config = config.with_deflate(tether_ws::DeflateConfig::enabled());
        self.headers = "Sec-WebSocket-Extensions: permessage-deflate\r\n";
        self
    }
}

/// Stored (uncompressed) deflate blocks holding `data` (RFC 1951 section
/// 3.2.4), not final: the payload of a compressed frame, by hand.
#[cfg(feature = "deflate")]
fn stored_blocks(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    for piece in data.chunks(0xFFFF) {
        let len = piece.len() as u16;
        out.push(0x00);
        out.extend_from_slice(&len.to_le_bytes());
        out.extend_from_slice(&(!len).to_le_bytes());
        out.extend_from_slice(piece);
    }
    out
}

/// The compressed payload of `len` zero bytes (about a thousandth of it).
#[cfg(feature = "deflate")]
fn compressed_zeros(len: usize) -> Vec<u8> {
    use tokio_util::codec::Encoder;
    let config = MessageConfig::default().with_deflate(Some(
        tether_message::DeflateParams::default().with_threshold(0),
    ));
    let mut codec = tether_message::MessageCodec::with_config(tether_frame::Role::Server, config);
    let mut wire = bytes::BytesMut::new();
    codec
        .encode(Message::binary(vec![0u8; len]), &mut wire)
        .expect("encode");
    let header = match wire[1] & 0x7f {
        126 => 4,
        127 => 10,
        _ => 2,
    };
    wire[header..].to_vec()
}

/// The compressed cases: the protocol's rules about RSV1, and the limits
/// and UTF-8 applied to what a compressed frame inflates to, while its
/// rest has not come (the bytes held for a batch are inflated when the
/// connection would wait for more).
#[cfg(feature = "deflate")]
fn compressed_server_cases() -> Vec<Case> {
    let m = masked;
    let deflate = WebSocketConfig::default;
    let zeros = compressed_zeros(8 << 20);
    vec![
        case(
            "RSV1 on a continuation frame",
            [
                m(RSV1 | TEXT, &stored_blocks(b"ab")),
                m(FIN | RSV1 | CONTINUATION, &stored_blocks(b"cd")),
            ]
            .concat(),
            1002,
        )
        .compressed(deflate()),
        case("RSV1 on a ping", m(FIN | RSV1 | PING, b""), 1002).compressed(deflate()),
        case(
            "invalid UTF-8 early in a compressed 1 MiB text frame whose rest never comes",
            frame_bytes(
                FIN | RSV1 | TEXT,
                1 << 20,
                Some(KEY),
                &stored_blocks(&invalid_text_prefix()),
            ),
            1007,
        )
        .compressed(deflate()),
        case(
            "garbage compressed data (a reserved block type)",
            m(FIN | RSV1 | BINARY, &[0x07, 0, 0, 0]),
            1007,
        )
        .compressed(deflate()),
        case(
            "a compressed frame inflating past max_message_size, whose rest never comes",
            frame_bytes(
                FIN | RSV1 | BINARY,
                zeros.len() as u64,
                Some(KEY),
                &zeros[..zeros.len() / 2],
            ),
            1009,
        )
        .compressed(deflate().with_max_message_size(1 << 20)),
    ]
}

/// Data frames of at most 1 KiB.
fn small_frames() -> WebSocketConfig {
    WebSocketConfig::default().with_max_frame_size(1024)
}

/// Messages of at most 1 KiB (frames as by default).
fn small_messages() -> WebSocketConfig {
    WebSocketConfig::default().with_max_message_size(1024)
}

/// Messages of at most 4 frames.
fn few_fragments() -> WebSocketConfig {
    WebSocketConfig::default().with_message_config(MessageConfig::default().with_max_fragments(4))
}

/// A short idle timeout (the peer then sends nothing).
fn short_idle() -> WebSocketConfig {
    WebSocketConfig::default().with_idle_timeout(Some(Duration::from_millis(200)))
}

/// A fragmented binary message of `n` one-byte frames, the last without FIN
/// (so only the fragment limit can end it).
fn fragments(frame: fn(u8, &[u8]) -> Vec<u8>, n: usize) -> Vec<u8> {
    let mut out = frame(BINARY, b"a");
    for _ in 1..n {
        out.extend(frame(CONTINUATION, b"a"));
    }
    out
}

/// What a raw client sends to a tether server (frames masked unless the
/// case is about masking).
fn server_role_cases() -> Vec<Case> {
    let m = masked;
    vec![
        // 1002: the frame layer.
        case("unmasked frame", unmasked(FIN | TEXT, b"hi"), 1002),
        case("reserved opcode", m(FIN | RESERVED, b"x"), 1002),
        case(
            "RSV1 without an extension",
            m(FIN | RSV1 | TEXT, b"x"),
            1002,
        ),
        case("fragmented ping", m(PING, b""), 1002),
        case("ping of 126 bytes", m(FIN | PING, &[0; 126]), 1002),
        // 1002: the message layer.
        case(
            "continuation without a started message",
            m(FIN | CONTINUATION, b"x"),
            1002,
        ),
        case(
            "new text frame while a fragmented message is open",
            [m(TEXT, b"half"), m(FIN | TEXT, b"other")].concat(),
            1002,
        ),
        // 1002: close payloads.
        case("close payload of 1 byte", m(FIN | CLOSE, &[0x03]), 1002),
        case(
            "close code 1005",
            m(FIN | CLOSE, &close_payload(1005, b"")),
            1002,
        ),
        case(
            "close code 999",
            m(FIN | CLOSE, &close_payload(999, b"")),
            1002,
        ),
        case(
            "close code 1016",
            m(FIN | CLOSE, &close_payload(1016, b"")),
            1002,
        ),
        case(
            "close code 5000",
            m(FIN | CLOSE, &close_payload(5000, b"")),
            1002,
        ),
        // 1007.
        case(
            "invalid UTF-8 in a text frame",
            m(FIN | TEXT, b"\xFF"),
            1007,
        ),
        case(
            "invalid UTF-8 in the second fragment",
            [m(TEXT, b"ok"), m(FIN | CONTINUATION, b"\xC0\xAF")].concat(),
            1007,
        ),
        case(
            "invalid UTF-8 early in a 1 MiB text frame whose rest never comes",
            frame_bytes(FIN | TEXT, 1 << 20, Some(KEY), &invalid_text_prefix()),
            1007,
        ),
        case(
            "text message ending inside a code point",
            m(FIN | TEXT, b"ok\xE2\x82"),
            1007,
        ),
        case(
            "close reason that is not UTF-8",
            m(FIN | CLOSE, &close_payload(1000, b"\xFF")),
            1007,
        ),
        // 1009: limits, from the headers.
        case(
            "frame header over max_frame_size",
            frame_bytes(FIN | BINARY, 2048, Some(KEY), b""),
            1009,
        )
        .with_config(small_frames()),
        case(
            "message over max_message_size across fragments",
            [
                m(BINARY, &[7; 600]),
                frame_bytes(FIN | CONTINUATION, 600, Some(KEY), b""),
            ]
            .concat(),
            1009,
        )
        .with_config(small_messages()),
        case(
            "more fragments than max_fragments",
            fragments(masked, 8),
            1009,
        )
        .with_config(few_fragments()),
        // 1001.
        case("idle timeout", Vec::new(), 1001).with_config(short_idle()),
    ]
}

/// What a raw server sends to a tether client (frames unmasked unless the
/// case is about masking).
fn client_role_cases() -> Vec<Case> {
    let u = unmasked;
    vec![
        // 1002.
        case(
            "masked frame from the server",
            masked(FIN | TEXT, b"hi"),
            1002,
        ),
        case("reserved opcode", u(FIN | RESERVED, b"x"), 1002),
        case(
            "RSV1 without an extension",
            u(FIN | RSV1 | TEXT, b"x"),
            1002,
        ),
        case(
            "close code 1005",
            u(FIN | CLOSE, &close_payload(1005, b"")),
            1002,
        ),
        case(
            "close code 999",
            u(FIN | CLOSE, &close_payload(999, b"")),
            1002,
        ),
        // 1007.
        case(
            "invalid UTF-8 in a text frame",
            u(FIN | TEXT, b"\xFF"),
            1007,
        ),
        case(
            "invalid UTF-8 in the second fragment",
            [u(TEXT, b"ok"), u(FIN | CONTINUATION, b"\xC0\xAF")].concat(),
            1007,
        ),
        case(
            "invalid UTF-8 early in a 1 MiB text frame whose rest never comes",
            frame_bytes(FIN | TEXT, 1 << 20, None, &invalid_text_prefix()),
            1007,
        ),
        // 1009.
        case(
            "frame header over max_frame_size",
            frame_bytes(FIN | BINARY, 2048, None, b""),
            1009,
        )
        .with_config(small_frames()),
        case(
            "message over max_message_size across fragments",
            [
                u(BINARY, &[7; 600]),
                frame_bytes(FIN | CONTINUATION, 600, None, b""),
            ]
            .concat(),
            1009,
        )
        .with_config(small_messages()),
        case(
            "more fragments than max_fragments",
            fragments(unmasked, 8),
            1009,
        )
        .with_config(few_fragments()),
        // 1001.
        case("idle timeout", Vec::new(), 1001).with_config(short_idle()),
    ]
}

/// What the application does with the stream.
#[derive(Clone, Copy, Debug)]
enum App {
    /// The README loop: returns at the first error, dropping the stream.
    Readme,
    /// The same loop, but after the error it polls `next()` once more (which
    /// must give `None`) before returning the error.
    PollsAgain,
}

/// How the application ended: the error its loop returned (or `Ok` if the
/// stream ended without one), and for [`App::PollsAgain`] what the extra
/// `next()` gave, if it was not `None`.
struct Ended {
    result: Result<(), Error>,
    after_error: Option<String>,
}

/// The README's echo loop, taking the stream by value so that it is dropped
/// the moment the loop returns.
async fn readme_loop<S>(mut ws: WebSocketStream<S>) -> Result<(), Error>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    while let Some(message) = ws.next().await {
        if let m @ (Message::Text(_) | Message::Binary(_)) = message? {
            ws.send(m).await?;
        }
    }
    Ok(())
}

impl App {
    async fn run<S>(self, mut ws: WebSocketStream<S>) -> Ended
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        match self {
            App::Readme => Ended {
                result: readme_loop(ws).await,
                after_error: None,
            },
            App::PollsAgain => {
                let error = loop {
                    match ws.next().await {
                        Some(Ok(m @ (Message::Text(_) | Message::Binary(_)))) => {
                            if let Err(e) = ws.send(m).await {
                                break e;
                            }
                        }
                        Some(Ok(_)) => {}
                        Some(Err(e)) => break e,
                        None => {
                            return Ended {
                                result: Ok(()),
                                after_error: None,
                            }
                        }
                    }
                };
                let after_error = match tokio::time::timeout(WAIT, ws.next()).await {
                    Ok(None) => None,
                    Ok(Some(item)) => Some(format!("next() after the error gave {item:?}")),
                    Err(_) => Some(format!("next() after the error pended for {WAIT:?}")),
                };
                Ended {
                    result: Err(error),
                    after_error,
                }
            }
        }
    }
}

/// Checks what the peer read: exactly one Close, with `code` and a UTF-8
/// reason, as the last frame, then a clean EOF; every frame masked (from a
/// client) or unmasked (from a server) as `masked` says.
fn check_peer(t: &Transcript, code: u16, masked: bool) -> Result<(), String> {
    let fail = |why: &str| Err(format!("peer: {why}; it {}", t.summary()));
    if let Some(f) = t.frames.iter().find(|f| f.header.mask.is_some() != masked) {
        let want = if masked { "masked" } else { "unmasked" };
        return fail(&format!("a {:?} frame was not {want}", f.header.opcode));
    }
    let closes = t.closes().count();
    if closes != 1 {
        return fail(&format!("{closes} Close frames instead of one"));
    }
    let Some(last) = t.frames.last().filter(|f| f.header.opcode == OpCode::Close) else {
        return fail("frames after the Close");
    };
    let Some((sent, reason)) = last.payload.split_first_chunk::<2>() else {
        return fail("a Close without a code");
    };
    if std::str::from_utf8(reason).is_err() {
        return fail("a Close reason that is not UTF-8");
    }
    if u16::from_be_bytes(*sent) != code {
        return fail(&format!("a Close with code {}", u16::from_be_bytes(*sent)));
    }
    if t.end != End::Eof {
        return fail("no clean EOF after the Close");
    }
    Ok(())
}

/// Checks how the application ended: an error whose `close_code()` is
/// `code`, and (polling again) `None` after it. Returns the error.
fn check_app(
    joined: Result<
        Result<Result<Ended, Error>, tokio::task::JoinError>,
        tokio::time::error::Elapsed,
    >,
    code: u16,
) -> Result<Error, String> {
    let ended = match joined {
        Err(_) => return Err(format!("app: still running after {WAIT:?}")),
        Ok(Err(e)) => return Err(format!("app: panicked: {e}")),
        Ok(Ok(Err(e))) => return Err(format!("app: the handshake failed: {e:?}")),
        Ok(Ok(Ok(ended))) => ended,
    };
    let error = match ended.result {
        Ok(()) => return Err("app: the stream ended without an error".to_owned()),
        Err(e) => e,
    };
    let got = error.close_code().map(u16::from);
    if got != Some(code) {
        return Err(format!(
            "app: its error {error:?} has close_code() {got:?}, not {code}"
        ));
    }
    if let Some(after) = ended.after_error {
        return Err(format!("app: {after}"));
    }
    Ok(error)
}

/// Both checks, reported together.
fn verdict(peer: Result<(), String>, app: Result<Error, String>) -> Result<Error, String> {
    match (peer, app) {
        (Ok(()), Ok(error)) => Ok(error),
        (Err(p), Ok(_)) => Err(p),
        (Ok(()), Err(a)) => Err(a),
        (Err(p), Err(a)) => Err(format!("{p}; {a}")),
    }
}

/// A tether server running `app` against a raw client that sends
/// `case.send` after the handshake.
async fn server_role(case: &Case, app: App) -> Result<Error, String> {
    let (l, url) = listener().await;
    let config = case.config.clone();
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await?;
        let ws = tether_ws::accept_with_config(tcp, config).await?;
        Ok::<_, Error>(app.run(ws).await)
    });
    let mut raw =
        RawClient::connect_with_headers(url.trim_start_matches("ws://"), case.headers).await;
    raw.send_raw(&case.send).await;
    let (transcript, joined) =
        tokio::join!(raw.read_until_eof(WAIT), tokio::time::timeout(WAIT, server));
    verdict(
        check_peer(&transcript, case.code, false),
        check_app(joined, case.code),
    )
}

/// A tether client (from `connect_with_config`) running `app` against a raw
/// server that sends `case.send` after its 101.
async fn client_role(case: &Case, app: App) -> Result<Error, String> {
    let (l, url) = listener().await;
    let send = case.send.clone();
    let server = tokio::spawn(async move {
        let mut raw = RawServer::accept(&l).await;
        raw.send_raw(&send).await;
        raw.read_until_eof(WAIT).await
    });
    let request = ClientRequest::new(format!("{url}/").parse().expect("url")).expect("request");
    let config = case.config.clone();
    let client = tokio::spawn(async move {
        let (ws, _) = tether_ws::connect_with_config(request, config).await?;
        Ok::<_, Error>(app.run(ws).await)
    });
    let (transcript, joined) = tokio::join!(
        tokio::time::timeout(WAIT, server),
        tokio::time::timeout(WAIT, client)
    );
    let peer = match transcript {
        Ok(Ok(t)) => check_peer(&t, case.code, true),
        Ok(Err(e)) => Err(format!("peer: panicked: {e}")),
        Err(_) => Err(format!("peer: still running after {WAIT:?}")),
    };
    verdict(peer, check_app(joined, case.code))
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    Server,
    Client,
}

/// Runs every case (concurrently: they share nothing) and fails with the
/// list of those that failed.
async fn run_table(role: Role, cases: Vec<Case>, app: App) {
    let results = futures::future::join_all(cases.iter().map(|case| async move {
        match role {
            Role::Server => server_role(case, app).await,
            Role::Client => client_role(case, app).await,
        }
    }))
    .await;
    let mut failed = Vec::new();
    for (case, result) in cases.iter().zip(results) {
        match result {
            Err(why) => failed.push(format!("{} ({}): {why}", case.name, case.code)),
            // 1001 is the idle timeout's code: the error must say so.
            Ok(e) if case.code == 1001 && !matches!(e, Error::IdleTimeout) => failed.push(format!(
                "{} ({}): app: {e:?} is not Error::IdleTimeout",
                case.name, case.code
            )),
            Ok(_) => {}
        }
    }
    assert!(
        failed.is_empty(),
        "{role:?} role, {app:?}: {} of {} cases failed:\n  {}",
        failed.len(),
        cases.len(),
        failed.join("\n  ")
    );
}

#[tokio::test]
async fn a_failing_server_sends_the_close_before_the_app_drops_it() {
    run_table(Role::Server, server_role_cases(), App::Readme).await;
}

#[cfg(feature = "deflate")]
#[tokio::test]
async fn a_failing_server_sends_the_close_for_compressed_frames() {
    run_table(Role::Server, compressed_server_cases(), App::Readme).await;
}

#[tokio::test]
async fn a_failing_client_sends_the_close_before_the_app_drops_it() {
    run_table(Role::Client, client_role_cases(), App::Readme).await;
}

#[tokio::test]
async fn a_server_polled_again_after_the_error_ends_with_none() {
    let cases = vec![case("unmasked frame", unmasked(FIN | TEXT, b"hi"), 1002)];
    run_table(Role::Server, cases, App::PollsAgain).await;
}

#[tokio::test]
async fn a_client_polled_again_after_the_error_ends_with_none() {
    let cases = vec![case(
        "reserved opcode",
        unmasked(FIN | RESERVED, b"x"),
        1002,
    )];
    run_table(Role::Client, cases, App::PollsAgain).await;
}

#[tokio::test]
async fn a_peer_that_does_not_read_cannot_hold_the_failing_server() {
    // The application queues 16 MiB (feed does not wait for the peer; the
    // write buffer admits it all), then runs the README loop, which writes
    // while it reads. The peer's small receive buffer and the server's send
    // buffer fill long before that, so the Close queued when the peer then
    // breaks the protocol cannot be written: the application must still get
    // its error back (after at most about close_timeout), not hang.
    let config = WebSocketConfig::default()
        .with_close_timeout(Duration::from_secs(1))
        .with_write_buffer_size(64 << 20);
    let (l, url) = listener().await;
    let server = tokio::spawn(async move {
        let (tcp, _) = l.accept().await?;
        let mut ws = tether_ws::accept_with_config(tcp, config).await?;
        let chunk = Bytes::from(vec![7u8; 1 << 20]);
        for _ in 0..16 {
            ws.feed(Message::Binary(chunk.clone())).await?;
        }
        Ok::<_, Error>(App::Readme.run(ws).await)
    });
    let socket = tokio::net::TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(64 << 10).expect("SO_RCVBUF");
    let tcp = socket
        .connect(url.trim_start_matches("ws://").parse().expect("addr"))
        .await
        .expect("connect");
    let mut raw = RawClient::handshake(tcp, b"").await;
    raw.send_raw(&unmasked(FIN | TEXT, b"hi")).await;
    // The peer reads nothing until the application is done.
    let app = check_app(tokio::time::timeout(WAIT, server).await, 1002);
    // Whether the Close got out depends on how much of the queue the peer
    // would have had to read first; if it did, it is the only one and last.
    let t = raw.read_until_eof(WAIT).await;
    let closes: Vec<_> = t.closes().collect();
    let peer = if closes.len() > 1 {
        Err(format!(
            "peer: {} Close frames; it {}",
            closes.len(),
            t.summary()
        ))
    } else if closes
        .first()
        .is_some_and(|c| c.payload.get(..2) != Some(&1002u16.to_be_bytes()[..]))
    {
        Err(format!(
            "peer: a Close with the wrong code; it {}",
            t.summary()
        ))
    } else if !closes.is_empty() && t.frames.last().map(|f| f.header.opcode) != Some(OpCode::Close)
    {
        Err(format!("peer: frames after the Close; it {}", t.summary()))
    } else if t.end == End::TimedOut {
        Err(format!("peer: no EOF within {WAIT:?}; it {}", t.summary()))
    } else {
        Ok(())
    };
    if let Err(why) = verdict(peer, app) {
        panic!("{why}");
    }
}

#[test]
fn the_raw_server_answers_with_the_rfc_accept_key() {
    // RFC 6455 section 1.3.
    assert_eq!(
        common::websocket_accept("dGhlIHNhbXBsZSBub25jZQ=="),
        "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    );
}
