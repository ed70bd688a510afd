//! One server driver per implementation for the decode and encode groups,
//! and the checks every driver passes before it is timed.
//!
//! | driver | connection | decode (server receives) | encode (server sends) |
//! |---|---|---|---|
//! | [`Tether`] | `tether_ws::WebSocketStream::from_raw_parts(io, Role::Server, config, ..)`, `config` with [`tether_params`] in force (as after a handshake that agreed them) | `next()` | `feed(Message::Text(..))` per message, one `flush` |
//! | [`Ratchet`] | `ratchet_rs::WebSocket::from_upgraded(config, io, Some(deflate), .., Role::Server)`, `deflate` from `DeflateExtProvider::negotiate_server` on [`BROWSER_OFFER`] with [`ratchet_deflate_config`] | `read(&mut buf)`, then `std::str::from_utf8(&buf)` | `write(text, PayloadType::Text)` per message, one `flush` |
//!
//! ratchet does not validate text messages (its read returns
//! `Message::Text` with whatever bytes arrived; its own autobahn example
//! validates with `String::from_utf8`), and RFC 6455 section 8.1 requires an
//! endpoint to, so its driver validates each message with
//! `std::str::from_utf8`, as an application must before using the text.
//! tether validates inside `next()`.

use bytes::{Bytes, BytesMut};
use futures::{SinkExt, StreamExt};
use ratchet_deflate::{Compression, Deflate, DeflateConfig, DeflateExtProvider, WindowBits};
use ratchet_rs::{ExtensionProvider, HeaderMap, HeaderValue, PayloadType};
use tether_message::DeflateParams;
use tether_ws::{Message, MessageConfig, Role};

use crate::transport::{Io, Replay, Sink};
use crate::workload::{inflate_server_frames, DeflateWorkload, LEVEL, MAX_MESSAGE, WINDOW_BITS};

/// What Chromium offers (and what a browser offer ends in): the RFC
/// 7692 defaults, context takeover both ways, 15-bit windows.
pub const BROWSER_OFFER: &str = "permessage-deflate; client_max_window_bits";

/// How far an encoder's output may be from the reference compressor's
/// ([`DeflateWorkload::server_frames_len`]): both are C zlib (or both
/// zlib-rs) at the same level, window and flushes, so a larger gap means
/// different settings (a lower level, a reset context) took effect.
pub const SIZE_TOLERANCE: f64 = 0.01;

/// A single-threaded tokio runtime with its drivers (tether-ws arms timers);
/// the in-memory transports are never `Pending`.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

/// A server end receiving compressed messages.
pub trait DecodeCompressed {
    /// The implementation's name in benchmark ids.
    const NAME: &'static str;

    /// Receives `n` text messages and hands each one's validated text to
    /// `on_message`.
    fn decode(&mut self, rt: &tokio::runtime::Runtime, n: usize, on_message: &mut dyn FnMut(&str));
}

/// A server end sending compressed messages.
pub trait EncodeCompressed {
    /// The implementation's name in benchmark ids.
    const NAME: &'static str;

    /// Empties the sink, sends every message as text, flushes once, and
    /// returns the number of bytes written.
    fn encode(&mut self, rt: &tokio::runtime::Runtime, messages: &[Bytes]) -> usize;

    /// What the last [`encode`](Self::encode) wrote.
    fn output(&self) -> Vec<u8>;
}

/// Decodes the whole workload once from the start of `replay` and checks
/// every message and that every byte was read.
///
/// # Panics
///
/// On any difference.
pub fn check_decode<D: DecodeCompressed>(
    decoder: &mut D,
    rt: &tokio::runtime::Runtime,
    workload: &DeflateWorkload,
    replay: &Replay,
) {
    replay.rewind();
    let mut seen = 0;
    decoder.decode(rt, workload.messages.len(), &mut |text| {
        assert!(
            text.as_bytes() == &workload.messages[seen][..],
            "{}: message {seen} of {} differs",
            D::NAME,
            workload.label()
        );
        seen += 1;
    });
    assert_eq!(seen, workload.messages.len(), "{}: message count", D::NAME);
    assert!(replay.is_at_end(), "{}: bytes left unread", D::NAME);
}

/// Checks a fresh encoder: its first pass inflates (reference inflater) to
/// exactly the texts, every frame a final compressed text frame, and is
/// within [`SIZE_TOLERANCE`] of the reference compressor's size; a second
/// pass continues the same compression context (both passes inflate with
/// one context). Returns the first pass's output.
///
/// # Panics
///
/// On any difference.
pub fn check_encode<E: EncodeCompressed>(
    encoder: &mut E,
    rt: &tokio::runtime::Runtime,
    workload: &DeflateWorkload,
) -> Vec<u8> {
    let name = E::NAME;
    let messages = &workload.messages;
    let written = encoder.encode(rt, messages);
    let first = encoder.output();
    assert_eq!(written, first.len(), "{name}: reported length");
    let texts = inflate_server_frames(&first).unwrap_or_else(|e| panic!("{name}: {e}"));
    assert_eq!(texts.len(), messages.len(), "{name}: message count");
    for (i, (text, message)) in texts.iter().zip(messages).enumerate() {
        assert!(text[..] == message[..], "{name}: message {i} differs");
    }
    let expected = workload.server_frames_len();
    let gap = (first.len() as f64 - expected as f64).abs() / expected as f64;
    assert!(
        gap <= SIZE_TOLERANCE,
        "{name}: {} B of frames, the reference compressor {expected} B",
        first.len()
    );
    let written = encoder.encode(rt, messages);
    let second = encoder.output();
    assert_eq!(written, second.len(), "{name}: reported length");
    let mut both = first.clone();
    both.extend_from_slice(&second);
    let texts = inflate_server_frames(&both).unwrap_or_else(|e| panic!("{name}: pass 2: {e}"));
    assert_eq!(texts.len(), 2 * messages.len(), "{name}: pass 2 count");
    for (i, (text, message)) in texts[messages.len()..].iter().zip(messages).enumerate() {
        assert!(
            text[..] == message[..],
            "{name}: pass 2 message {i} differs"
        );
    }
    first
}

/// Checks that both decoders read `wire` (masked client frames carrying the
/// workload's texts, from any compressor with context takeover), cut in
/// 4 KiB chunks, twice in a row on the same connection.
///
/// # Panics
///
/// On any difference.
pub fn check_decoders_read(rt: &tokio::runtime::Runtime, workload: &DeflateWorkload, wire: &Bytes) {
    let replay = Replay::new(crate::workload::cut(wire, 4096));
    let io = || Io::new(Some(replay.reader()), Sink::new());
    let mut tether = Tether::decoder(io());
    let mut ratchet = Ratchet::new(io());
    for _ in 0..2 {
        check_decode(&mut tether, rt, workload, &replay);
        check_decode(&mut ratchet, rt, workload, &replay);
    }
}

/// tether's permessage-deflate parameters: context takeover both ways,
/// 15-bit windows, level 6 (threshold 64 B, below every message here).
pub fn tether_params() -> DeflateParams {
    DeflateParams::default()
        .with_compression_level(LEVEL)
        .with_server_max_window_bits(WINDOW_BITS)
        .with_client_max_window_bits(WINDOW_BITS)
}

/// tether-ws's configuration with [`tether_params`] in force and limits
/// that admit the 1 MiB messages.
pub fn tether_config() -> tether_ws::WebSocketConfig {
    tether_ws::WebSocketConfig::default().with_message_config(
        MessageConfig::default()
            .with_max_message_size(MAX_MESSAGE as u64)
            .with_max_frame_size(MAX_MESSAGE as u64)
            .with_deflate(Some(tether_params())),
    )
}

/// tether-ws's `WebSocketStream`, a server with deflate in force.
pub struct Tether {
    ws: tether_ws::WebSocketStream<Io>,
    sink: Sink,
}

impl Tether {
    fn over(io: Io) -> Tether {
        let sink = io.sink().clone();
        Tether {
            ws: tether_ws::WebSocketStream::from_raw_parts(
                io,
                Role::Server,
                tether_config(),
                BytesMut::new(),
            ),
            sink,
        }
    }

    /// A server decoder reading from `io`.
    pub fn decoder(io: Io) -> Tether {
        Tether::over(io)
    }

    /// A server encoder writing into `sink`.
    pub fn encoder(sink: Sink) -> Tether {
        Tether::over(Io::writer(sink))
    }
}

impl DecodeCompressed for Tether {
    const NAME: &'static str = "tether";

    fn decode(&mut self, rt: &tokio::runtime::Runtime, n: usize, on_message: &mut dyn FnMut(&str)) {
        let ws = &mut self.ws;
        rt.block_on(async {
            for _ in 0..n {
                match ws.next().await {
                    Some(Ok(Message::Text(text))) => on_message(text.as_str()),
                    other => panic!("tether: {other:?}"),
                }
            }
        });
    }
}

impl EncodeCompressed for Tether {
    const NAME: &'static str = "tether";

    fn encode(&mut self, rt: &tokio::runtime::Runtime, messages: &[Bytes]) -> usize {
        self.sink.clear();
        let ws = &mut self.ws;
        rt.block_on(async {
            for message in messages {
                let text = tether_ws::Utf8Bytes::try_from(message.clone()).expect("UTF-8");
                SinkExt::<Message>::feed(ws, Message::Text(text))
                    .await
                    .expect("tether: send");
            }
            SinkExt::<Message>::flush(ws).await.expect("tether: flush");
        });
        self.sink.len()
    }

    fn output(&self) -> Vec<u8> {
        self.sink.contents()
    }
}

/// ratchet_deflate's configuration for the same settings as tether: level
/// 6, 15-bit windows, and context takeover both ways.
///
/// ratchet's defaults differ on all but the windows: level 1
/// (`Compression::fast()`), a request for no context takeover both ways,
/// and `accept_no_context_takeover: true`, which also makes a ratchet
/// server reset its compressor after every message whatever the client
/// offered (`InitialisedDeflateConfig::from_config` sets `compress_reset`
/// from it). Context takeover on the server's side needs `false`.
pub fn ratchet_deflate_config() -> DeflateConfig {
    DeflateConfig {
        server_max_window_bits: WindowBits::fifteen(),
        client_max_window_bits: WindowBits::fifteen(),
        request_server_no_context_takeover: false,
        request_client_no_context_takeover: false,
        accept_no_context_takeover: false,
        compression_level: Compression::new(LEVEL),
    }
}

/// ratchet's configuration: a limit that admits the 1 MiB messages.
pub fn ratchet_config() -> ratchet_rs::WebSocketConfig {
    ratchet_rs::WebSocketConfig {
        max_message_size: MAX_MESSAGE,
    }
}

/// The extension a ratchet server agrees to for [`BROWSER_OFFER`] with
/// [`ratchet_deflate_config`], through ratchet's own negotiation.
///
/// # Panics
///
/// If ratchet refuses the offer or answers with parameters (no context
/// takeover, smaller windows) other than the offer's.
pub fn ratchet_server_deflate() -> Deflate {
    let mut offer = HeaderMap::new();
    offer.insert(
        "sec-websocket-extensions",
        HeaderValue::from_static(BROWSER_OFFER),
    );
    let (deflate, response) = DeflateExtProvider::with_config(ratchet_deflate_config())
        .negotiate_server(&offer)
        .expect("ratchet: negotiation")
        .expect("ratchet: deflate agreed");
    assert_eq!(
        response.as_bytes(),
        b"permessage-deflate",
        "ratchet: response"
    );
    deflate
}

/// ratchet_rs's `WebSocket` with ratchet_deflate agreed, a server.
pub struct Ratchet {
    ws: ratchet_rs::WebSocket<Io, Deflate>,
    buf: BytesMut,
    sink: Sink,
}

impl Ratchet {
    /// A server over `io`.
    pub fn new(io: Io) -> Ratchet {
        let sink = io.sink().clone();
        Ratchet {
            ws: ratchet_rs::WebSocket::from_upgraded(
                ratchet_config(),
                io,
                Some(ratchet_server_deflate()),
                BytesMut::new(),
                ratchet_rs::Role::Server,
            ),
            buf: BytesMut::new(),
            sink,
        }
    }

    /// A server encoder writing into `sink`.
    pub fn encoder(sink: Sink) -> Ratchet {
        Ratchet::new(Io::writer(sink))
    }
}

impl DecodeCompressed for Ratchet {
    const NAME: &'static str = "ratchet";

    fn decode(&mut self, rt: &tokio::runtime::Runtime, n: usize, on_message: &mut dyn FnMut(&str)) {
        let (ws, buf) = (&mut self.ws, &mut self.buf);
        rt.block_on(async {
            for _ in 0..n {
                buf.clear();
                match ws.read(buf).await {
                    Ok(ratchet_rs::Message::Text) => {}
                    other => panic!("ratchet: {other:?}"),
                }
                on_message(std::str::from_utf8(buf).expect("ratchet: text is not UTF-8"));
            }
        });
    }
}

impl EncodeCompressed for Ratchet {
    const NAME: &'static str = "ratchet";

    fn encode(&mut self, rt: &tokio::runtime::Runtime, messages: &[Bytes]) -> usize {
        self.sink.clear();
        let ws = &mut self.ws;
        rt.block_on(async {
            for message in messages {
                ws.write(message, PayloadType::Text)
                    .await
                    .expect("ratchet: send");
            }
            ws.flush().await.expect("ratchet: flush");
        });
        self.sink.len()
    }

    fn output(&self) -> Vec<u8> {
        self.sink.contents()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::workload::server_to_client_frames;

    #[test]
    fn each_decoder_reads_the_reference_wire_and_each_encoders_output() {
        let rt = runtime();
        for len in [1 << 10, 70_000] {
            let workload = DeflateWorkload::with_count(len, 12);
            check_decoders_read(&rt, &workload, &workload.wire);
            let tether = check_encode(&mut Tether::encoder(Sink::new()), &rt, &workload);
            let ratchet = check_encode(&mut Ratchet::encoder(Sink::new()), &rt, &workload);
            for output in [tether, ratchet] {
                let wire = Bytes::from(server_to_client_frames(&output));
                check_decoders_read(&rt, &workload, &wire);
            }
        }
    }
}
