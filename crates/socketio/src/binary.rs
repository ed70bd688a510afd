//! [`Binary`]: a byte string that crosses the serde bridge without a copy.

use std::cell::Cell;
use std::fmt;
use std::ops::Deref;

use bytes::Bytes;
use serde::de::{self, Deserialize, Deserializer, SeqAccess, Visitor};
use serde::ser::{Serialize, Serializer};

/// The newtype name the bridge recognises.
pub(crate) const MAGIC: &str = "$tether_socketio::Binary";

thread_local! {
    /// The attachment in flight between [`Binary`] and the bridge, for the
    /// length of one call.
    static SLOT: Cell<Option<Bytes>> = const { Cell::new(None) };
}

/// Hands `data` to the next [`Binary::deserialize`] on this thread.
pub(crate) fn offer(data: Bytes) {
    SLOT.with(|s| s.set(Some(data)));
}

/// Takes what [`Binary::serialize`] offered, if it is in flight.
pub(crate) fn take() -> Option<Bytes> {
    SLOT.with(Cell::take)
}

/// A binary argument that is an attachment on the wire, carried as shared
/// [`Bytes`] with no copy in either direction.
///
/// Any type that serializes as bytes becomes an attachment (`bytes::Bytes`,
/// `serde_bytes`), but serde lends those bytes only as a borrowed slice, so
/// they are copied once on encode and once on decode. `Binary` is
/// recognised by this crate's encoder and decoder: encoding shares the
/// buffer as the attachment, and decoding hands out the received
/// attachment itself. With other serializers it behaves like `Bytes` (in
/// JSON, an array of numbers).
///
/// ```
/// use tether_socketio::{Binary, Packet, PacketDecoder};
///
/// let image = Binary::from(vec![0u8; 65536]);
/// let packet = Packet::event("/", "upload", &("cat.png", &image))?;
/// assert!(packet.attachments()[0].as_ptr() == image.as_ptr()); // shared
///
/// let (text, attachments) = packet.encode();
/// let mut decoder = PacketDecoder::new();
/// decoder.decode_text(text)?;
/// let received = decoder.decode_binary(attachments[0].clone())?.expect("complete");
/// let (_, data): (String, Binary) = received.args()?;
/// assert!(data.as_ptr() == image.as_ptr()); // still the same buffer
/// # Ok::<(), tether_socketio::Error>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Binary(pub Bytes);

impl Binary {
    /// The bytes.
    pub fn into_bytes(self) -> Bytes {
        self.0
    }
}

impl fmt::Debug for Binary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Binary({} bytes)", self.0.len())
    }
}

impl Deref for Binary {
    type Target = Bytes;

    fn deref(&self) -> &Bytes {
        &self.0
    }
}

impl AsRef<[u8]> for Binary {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

impl From<Bytes> for Binary {
    fn from(b: Bytes) -> Binary {
        Binary(b)
    }
}

impl From<Vec<u8>> for Binary {
    fn from(v: Vec<u8>) -> Binary {
        Binary(Bytes::from(v))
    }
}

impl From<&'static [u8]> for Binary {
    fn from(s: &'static [u8]) -> Binary {
        Binary(Bytes::from_static(s))
    }
}

impl From<Binary> for Bytes {
    fn from(b: Binary) -> Bytes {
        b.0
    }
}

/// Serializes as plain bytes (for serializers other than the bridge).
struct AsBytes<'a>(&'a [u8]);

impl Serialize for AsBytes<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(self.0)
    }
}

impl Serialize for Binary {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        offer(self.0.clone());
        let result = serializer.serialize_newtype_struct(MAGIC, &AsBytes(&self.0));
        // Not taken (another serializer): do not leave it for the next one.
        let _ = take();
        result
    }
}

impl<'de> Deserialize<'de> for Binary {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Binary, D::Error> {
        deserializer.deserialize_newtype_struct(MAGIC, BinaryVisitor)
    }
}

struct BinaryVisitor;

impl<'de> Visitor<'de> for BinaryVisitor {
    type Value = Binary;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("binary data")
    }

    /// The bridge's signal: the attachment is in the slot.
    fn visit_unit<E: de::Error>(self) -> Result<Binary, E> {
        take()
            .map(Binary)
            .ok_or_else(|| E::invalid_type(de::Unexpected::Unit, &self))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<Binary, D::Error> {
        Bytes::deserialize(d).map(Binary)
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Binary, E> {
        Ok(Binary(Bytes::copy_from_slice(v)))
    }

    fn visit_byte_buf<E: de::Error>(self, v: Vec<u8>) -> Result<Binary, E> {
        Ok(Binary(Bytes::from(v)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Binary, A::Error> {
        let mut out = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(b) = seq.next_element::<u8>()? {
            out.push(b);
        }
        Ok(Binary(Bytes::from(out)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Packet, PacketDecoder};

    #[test]
    fn shared_through_the_bridge_both_ways() {
        let data = Binary::from(vec![7u8; 1000]);
        let packet = Packet::event("/", "x", &(1, [&data, &data])).expect("event");
        assert_eq!(
            packet.encode_text(),
            r#"52-["x",1,[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1}]]"#
        );
        assert!(packet
            .attachments()
            .iter()
            .all(|a| a.as_ptr() == data.as_ptr()));
        let (text, atts) = packet.encode();
        let mut d = PacketDecoder::new();
        assert!(d.decode_text(text).expect("header").is_none());
        assert!(d.decode_binary(atts[0].clone()).expect("first").is_none());
        let got = d
            .decode_binary(atts[1].clone())
            .expect("second")
            .expect("complete");
        let (n, both): (u32, Vec<Binary>) = got.args().expect("args");
        assert_eq!(n, 1);
        assert_eq!(both, [data.clone(), data.clone()]);
        assert!(both.iter().all(|b| b.as_ptr() == data.as_ptr()));
        // Nothing is left in the slot after either direction.
        assert!(take().is_none());
    }

    #[test]
    fn like_bytes_elsewhere() {
        let data = Binary::from(&b"\x01\x02"[..]);
        let json = serde_json::to_string(&data).expect("serializes");
        assert_eq!(json, "[1,2]");
        assert!(take().is_none());
        let back: Binary = serde_json::from_str(&json).expect("deserializes");
        assert_eq!(back, data);
        // Mixed with plain `Bytes` in one packet: both become attachments,
        // in order.
        let plain = Bytes::from_static(b"p");
        let packet = Packet::event("/", "m", &(&plain, &data)).expect("event");
        assert_eq!(packet.attachments(), [plain.clone(), data.0.clone()]);
        // A plain JSON array where a Binary is expected still decodes.
        let mut d = PacketDecoder::new();
        let p = d
            .decode_text(r#"2["m",[1,2]]"#.into())
            .expect("decodes")
            .expect("complete");
        let (b,): (Binary,) = p.args().expect("array of numbers");
        assert_eq!(b, data);
    }
}
