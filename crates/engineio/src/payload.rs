//! Long-polling payloads: packets joined by the record separator `0x1E`.
//!
//! A `GET` response or `POST` body holds one or more packets, each in its
//! text form (binary as `b` + base64), separated by `0x1E`:
//! `4hello\x1e4€\x1ebAQIDBA==`. The body as a whole is bounded by
//! `maxPayload`; a larger one is refused (HTTP 413) before it is buffered.

use bytes::{Buf, BufMut, Bytes, BytesMut};
use tether_message::Utf8Bytes;
use tokio_util::codec::{Decoder, Encoder};

use crate::{EnginePacket, Error};

/// The record separator between the packets of a payload.
pub const RECORD_SEPARATOR: u8 = 0x1e;

/// Limits on a long-polling payload a peer sends.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct PayloadConfig {
    /// See [`PayloadConfig::with_max_payload`].
    pub max_payload: u64,
    /// See [`PayloadConfig::with_max_packets`].
    pub max_packets: usize,
}

impl Default for PayloadConfig {
    fn default() -> PayloadConfig {
        PayloadConfig {
            max_payload: 1_000_000,
            max_packets: 10_000,
        }
    }
}

impl PayloadConfig {
    /// The largest payload accepted, in bytes, as announced in the open
    /// packet's `maxPayload`. Default 1,000,000 (the reference server's
    /// `maxHttpBufferSize`). This bounds the memory one request can take:
    /// the decoders fail as soon as more bytes than this arrive.
    pub fn with_max_payload(mut self, max_payload: u64) -> PayloadConfig {
        self.max_payload = max_payload;
        self
    }

    /// The most packets accepted in one payload. Default 10,000. A payload
    /// of one-byte packets (`6\x1e6\x1e...`) would otherwise turn one
    /// request into half a million packets to process.
    pub fn with_max_packets(mut self, max_packets: usize) -> PayloadConfig {
        self.max_packets = max_packets;
        self
    }
}

/// Decodes a whole payload: the body is checked against `maxPayload` first,
/// validated as UTF-8 once, and its packets are then read one by one from
/// the returned iterator, sharing the body's bytes.
///
/// # Errors
///
/// [`Error::PayloadTooLarge`] before anything else is looked at, and
/// [`Error::InvalidUtf8`]. The iterator yields each packet's own error
/// ([`EnginePacket::decode_text`], [`Error::EmptyPacket`] for an empty
/// segment, [`Error::TooManyPackets`]) and stops after the first.
pub fn decode_payload(body: Bytes, config: &PayloadConfig) -> Result<PayloadPackets, Error> {
    let size = body.len() as u64;
    if size > config.max_payload {
        return Err(Error::PayloadTooLarge {
            size,
            max: config.max_payload,
        });
    }
    let text = Utf8Bytes::try_from(body).map_err(|e| Error::InvalidUtf8 {
        valid_up_to: e.valid_up_to(),
    })?;
    Ok(PayloadPackets {
        text,
        pos: 0,
        done: false,
        count: 0,
        max_packets: config.max_packets,
    })
}

/// The packets of a payload, from [`decode_payload`].
#[derive(Debug)]
pub struct PayloadPackets {
    text: Utf8Bytes,
    pos: usize,
    done: bool,
    count: usize,
    max_packets: usize,
}

impl Iterator for PayloadPackets {
    type Item = Result<EnginePacket, Error>;

    fn next(&mut self) -> Option<Result<EnginePacket, Error>> {
        if self.done {
            return None;
        }
        let rest = self.text.as_bytes().get(self.pos..).unwrap_or_default();
        let end = match rest.iter().position(|&b| b == RECORD_SEPARATOR) {
            Some(i) => self.pos + i,
            None => {
                self.done = true;
                self.text.len()
            }
        };
        self.count += 1;
        if self.count > self.max_packets {
            self.done = true;
            return Some(Err(Error::TooManyPackets {
                max: self.max_packets,
            }));
        }
        // The separator is ASCII, so both ends are character boundaries.
        let segment = self.text.slice(self.pos..end).unwrap_or_default();
        self.pos = end + 1;
        let packet = EnginePacket::decode_text(segment);
        if packet.is_err() {
            self.done = true;
        }
        Some(packet)
    }
}

/// Appends `packets` as one payload to `dst`.
///
/// # Errors
///
/// [`Error::Unencodable`] if a text packet contains the record separator
/// (it would be read back as two packets), or as
/// [`EnginePacket::write_text`].
pub fn encode_payload<'a, I>(packets: I, dst: &mut BytesMut) -> Result<(), Error>
where
    I: IntoIterator<Item = &'a EnginePacket>,
{
    for (i, packet) in packets.into_iter().enumerate() {
        if i > 0 {
            dst.put_u8(RECORD_SEPARATOR);
        }
        write_segment(packet, dst)?;
    }
    Ok(())
}

fn write_segment(packet: &EnginePacket, dst: &mut BytesMut) -> Result<(), Error> {
    if let EnginePacket::Message(d) | EnginePacket::Ping(d) | EnginePacket::Pong(d) = packet {
        if d.as_bytes().contains(&RECORD_SEPARATOR) {
            return Err(Error::Unencodable {
                reason: "text contains the record separator 0x1E",
            });
        }
    }
    dst.reserve(packet.text_len_hint());
    packet.write_text(dst)
}

/// A streaming payload codec: decodes packets from a body as its chunks
/// arrive (each packet as soon as its separator does, the last at end of
/// body), and encodes packets into a payload.
///
/// Memory is bounded by `maxPayload`: the decoder fails with
/// [`Error::PayloadTooLarge`] as soon as the bytes of the body passed to it
/// exceed the limit, without waiting for a separator. Bytes are scanned
/// once: a packet split over many chunks is not rescanned.
///
/// One codec value reads one body. Encoding puts a separator before every
/// packet but the first since the codec was made (or
/// [`reset`](Self::reset)).
#[derive(Debug, Default)]
pub struct PayloadCodec {
    config: PayloadConfig,
    /// Body bytes already handed out as packets (with their separators).
    consumed: u64,
    /// Bytes of `src` already searched for a separator.
    scanned: usize,
    packets: usize,
    finished: bool,
    encoded: usize,
}

impl PayloadCodec {
    /// A codec with the default limits.
    pub fn new() -> PayloadCodec {
        PayloadCodec::default()
    }

    /// A codec with the given limits.
    pub fn with_config(config: PayloadConfig) -> PayloadCodec {
        PayloadCodec {
            config,
            ..PayloadCodec::default()
        }
    }

    /// Starts a new body (decoding) and a new payload (encoding).
    pub fn reset(&mut self) {
        *self = PayloadCodec::with_config(self.config.clone());
    }

    fn check_size(&self, buffered: usize) -> Result<(), Error> {
        let size = self.consumed.saturating_add(buffered as u64);
        if size > self.config.max_payload {
            return Err(Error::PayloadTooLarge {
                size,
                max: self.config.max_payload,
            });
        }
        Ok(())
    }

    fn segment(
        &mut self,
        src: &mut BytesMut,
        len: usize,
        separator: bool,
    ) -> Result<EnginePacket, Error> {
        self.packets += 1;
        if self.packets > self.config.max_packets {
            return Err(Error::TooManyPackets {
                max: self.config.max_packets,
            });
        }
        let start = self.consumed;
        let bytes = src.split_to(len).freeze();
        if separator {
            src.advance(1);
        }
        self.consumed += len as u64 + u64::from(separator);
        self.scanned = 0;
        let text = Utf8Bytes::try_from(bytes).map_err(|e| Error::InvalidUtf8 {
            valid_up_to: usize::try_from(start)
                .unwrap_or(usize::MAX)
                .saturating_add(e.valid_up_to()),
        })?;
        EnginePacket::decode_text(text)
    }
}

impl Decoder for PayloadCodec {
    type Item = EnginePacket;
    type Error = Error;

    fn decode(&mut self, src: &mut BytesMut) -> Result<Option<EnginePacket>, Error> {
        let from = self.scanned.min(src.len());
        match src
            .get(from..)
            .and_then(|s| s.iter().position(|&b| b == RECORD_SEPARATOR))
        {
            Some(i) => {
                let len = from + i;
                // The separator itself counts toward the body size.
                self.check_size(len + 1)?;
                self.segment(src, len, true).map(Some)
            }
            None => {
                self.check_size(src.len())?;
                self.scanned = src.len();
                Ok(None)
            }
        }
    }

    fn decode_eof(&mut self, src: &mut BytesMut) -> Result<Option<EnginePacket>, Error> {
        if self.finished {
            return Ok(None);
        }
        if let Some(packet) = self.decode(src)? {
            return Ok(Some(packet));
        }
        // The body ended: what is left is the last packet. An empty rest
        // (an empty body, or a body ending in a separator) is an empty
        // packet, as in the reference parser.
        self.finished = true;
        let len = src.len();
        self.segment(src, len, false).map(Some)
    }
}

impl Encoder<EnginePacket> for PayloadCodec {
    type Error = Error;

    /// Appends `packet` to the payload, after a separator unless it is the
    /// first.
    fn encode(&mut self, packet: EnginePacket, dst: &mut BytesMut) -> Result<(), Error> {
        self.encode(&packet, dst)
    }
}

impl Encoder<&EnginePacket> for PayloadCodec {
    type Error = Error;

    /// Appends `packet` to the payload, after a separator unless it is the
    /// first.
    fn encode(&mut self, packet: &EnginePacket, dst: &mut BytesMut) -> Result<(), Error> {
        if self.encoded > 0 {
            dst.put_u8(RECORD_SEPARATOR);
        }
        write_segment(packet, dst)?;
        self.encoded += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const BODY: &str = "4hello\x1e4€\x1ebAQIDBA==\x1e2probe\x1e6";

    fn expected() -> Vec<EnginePacket> {
        vec![
            EnginePacket::message("hello"),
            EnginePacket::message("€"),
            EnginePacket::binary(vec![1, 2, 3, 4]),
            EnginePacket::ping_probe(),
            EnginePacket::Noop,
        ]
    }

    /// Feeds `chunks` to a fresh codec the way `FramedRead` does.
    fn stream(codec: &mut PayloadCodec, chunks: &[&[u8]]) -> Vec<Result<EnginePacket, String>> {
        let mut buf = BytesMut::new();
        let mut out = Vec::new();
        for chunk in chunks {
            buf.extend_from_slice(chunk);
            loop {
                match codec.decode(&mut buf) {
                    Ok(Some(p)) => out.push(Ok(p)),
                    Ok(None) => break,
                    Err(e) => {
                        out.push(Err(e.to_string()));
                        return out;
                    }
                }
            }
        }
        loop {
            match codec.decode_eof(&mut buf) {
                Ok(Some(p)) => out.push(Ok(p)),
                Ok(None) => return out,
                Err(e) => {
                    out.push(Err(e.to_string()));
                    return out;
                }
            }
        }
    }

    #[test]
    fn whole_payload_round_trips() {
        let packets = decode_payload(
            Bytes::from_static(BODY.as_bytes()),
            &PayloadConfig::default(),
        )
        .expect("fits")
        .collect::<Result<Vec<_>, _>>()
        .expect("valid");
        assert_eq!(packets, expected());
        let mut out = BytesMut::new();
        encode_payload(&packets, &mut out).expect("encodes");
        assert_eq!(&out[..], BODY.as_bytes());
        let mut codec = PayloadCodec::new();
        let mut out = BytesMut::new();
        for p in &packets {
            codec.encode(p, &mut out).expect("encodes");
        }
        assert_eq!(&out[..], BODY.as_bytes());
    }

    #[test]
    fn streaming_gives_the_same_packets_at_every_split() {
        let want: Vec<_> = expected().into_iter().map(Ok).collect();
        let bytes = BODY.as_bytes();
        assert_eq!(stream(&mut PayloadCodec::new(), &[bytes]), want);
        for i in 0..=bytes.len() {
            let (a, b) = bytes.split_at(i);
            assert_eq!(
                stream(&mut PayloadCodec::new(), &[a, b]),
                want,
                "split at {i}"
            );
        }
        let singles: Vec<&[u8]> = bytes.chunks(1).collect();
        assert_eq!(stream(&mut PayloadCodec::new(), &singles), want);
    }

    #[test]
    fn empty_segments_and_bodies_are_errors() {
        for body in ["", "4a\x1e", "\x1e4a", "4a\x1e\x1e4b"] {
            let got: Vec<_> = decode_payload(Bytes::from(body), &PayloadConfig::default())
                .expect("fits")
                .collect();
            assert!(
                matches!(got.last(), Some(Err(Error::EmptyPacket))),
                "{body:?}: {got:?}"
            );
            let streamed = stream(&mut PayloadCodec::new(), &[body.as_bytes()]);
            assert_eq!(
                streamed.last(),
                Some(&Err(Error::EmptyPacket.to_string())),
                "{body:?}"
            );
        }
    }

    #[test]
    fn valid_packets_before_an_error_are_kept() {
        let got = stream(&mut PayloadCodec::new(), &[b"4a\x1e4b\x1e9x\x1e4c"]);
        assert_eq!(got.len(), 3);
        assert_eq!(got[0], Ok(EnginePacket::message("a")));
        assert_eq!(got[1], Ok(EnginePacket::message("b")));
        assert!(got[2].is_err());
    }

    #[test]
    fn max_payload_is_enforced_before_buffering() {
        let config = PayloadConfig::default().with_max_payload(10);
        let err = decode_payload(Bytes::from(vec![b'4'; 11]), &config).expect_err("too big");
        assert!(matches!(err, Error::PayloadTooLarge { size: 11, max: 10 }));
        assert_eq!(err.http_status(), Some(413));
        assert!(decode_payload(Bytes::from(vec![b'4'; 10]), &config).is_ok());

        // Streaming: fails at the 11th byte, with no separator in sight.
        let mut codec = PayloadCodec::with_config(config.clone());
        let mut buf = BytesMut::from(&b"4aaaaaaaa"[..]);
        assert!(codec.decode(&mut buf).expect("9 bytes fit").is_none());
        buf.extend_from_slice(b"aa");
        assert!(matches!(
            codec.decode(&mut buf),
            Err(Error::PayloadTooLarge { size: 11, .. })
        ));

        // The limit counts the whole body, across packets and separators.
        let mut codec = PayloadCodec::with_config(config);
        let got = stream(&mut codec, &[b"4aaaa\x1e4bbbb\x1e4"]);
        assert_eq!(got.len(), 2);
        assert!(
            got[1].as_ref().is_err_and(|e| e.contains("exceeds")),
            "{got:?}"
        );
    }

    #[test]
    fn packet_count_is_bounded() {
        let config = PayloadConfig::default().with_max_packets(3);
        let body = Bytes::from_static(b"6\x1e6\x1e6\x1e6");
        let got: Vec<_> = decode_payload(body.clone(), &config)
            .expect("fits")
            .collect();
        assert_eq!(got.len(), 4);
        assert!(matches!(got[3], Err(Error::TooManyPackets { max: 3 })));
        let streamed = stream(&mut PayloadCodec::with_config(config), &[&body]);
        assert_eq!(streamed.len(), 4);
        assert!(streamed[3].is_err());
    }

    #[test]
    fn invalid_utf8_is_reported_with_its_offset() {
        let err = decode_payload(Bytes::from_static(b"4ab\xff"), &PayloadConfig::default())
            .expect_err("not utf8");
        assert!(matches!(err, Error::InvalidUtf8 { valid_up_to: 3 }));
        let mut codec = PayloadCodec::new();
        let mut buf = BytesMut::from(&b"4a\x1e4\xff\x1e"[..]);
        assert!(codec.decode(&mut buf).expect("first").is_some());
        assert!(matches!(
            codec.decode(&mut buf),
            Err(Error::InvalidUtf8 { valid_up_to: 4 })
        ));
    }

    #[test]
    fn the_separator_cannot_be_injected() {
        let mut out = BytesMut::new();
        let err = encode_payload(&[EnginePacket::message("a\x1e6")], &mut out).expect_err("cut");
        assert!(matches!(err, Error::Unencodable { .. }));
    }
}
