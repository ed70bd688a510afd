//! [`Payload`]: the JSON text of a packet and its binary attachments.

use bytes::Bytes;
use serde::de::DeserializeSeed;
use serde::{Deserialize, Serialize};

use crate::ser::{to_json_with_attachments, Attachments};
use crate::{Error, Utf8Bytes};

/// The JSON payload of a packet, kept as text, with the binary attachments
/// its placeholders refer to.
///
/// A decoded payload shares the bytes of the text message it came from (no
/// copy, no tree): it was validated once while decoding, and is parsed
/// again only when asked for typed data ([`Payload::deserialize`]). Encoding
/// writes the text as it is, so the peer's key order and formatting survive
/// decode → encode.
///
/// Placeholders `{"_placeholder":true,"num":i}` are put back as the
/// attachment `i` only when the payload has attachments (a binary packet);
/// in a packet without attachments such an object is ordinary data, as in
/// the reference implementation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payload {
    pub(crate) json: Utf8Bytes,
    pub(crate) attachments: Vec<Bytes>,
}

impl Payload {
    /// Serializes `value` to JSON, replacing every byte string (what
    /// `bytes::Bytes`, `serde_bytes` and `serialize_bytes` produce) by a
    /// placeholder and collecting its bytes as the next attachment: numbered
    /// depth-first, in sequence order and map entry order, as the reference
    /// encoder numbers them.
    ///
    /// The attachments are copied out of `value` (serde lends bytes only for
    /// the call). A map key of bytes is refused, as serde_json refuses it.
    ///
    /// # Errors
    ///
    /// [`Error::Serialize`] if `value` does not serialize to JSON (a map
    /// with non-string keys, a failing `Serialize` impl).
    pub fn from_serialize<T: Serialize + ?Sized>(value: &T) -> Result<Payload, Error> {
        let mut out = Vec::new();
        let attachments = Attachments::default();
        to_json_with_attachments(value, &mut out, &attachments).map_err(Error::Serialize)?;
        Ok(Payload {
            json: utf8(out)?,
            attachments: attachments.take(),
        })
    }

    /// The JSON text, with placeholders where the attachments go.
    pub fn json(&self) -> &Utf8Bytes {
        &self.json
    }

    /// The binary attachments, in placeholder number order.
    pub fn attachments(&self) -> &[Bytes] {
        &self.attachments
    }

    /// The JSON text and the attachments.
    pub fn into_parts(self) -> (Utf8Bytes, Vec<Bytes>) {
        (self.json, self.attachments)
    }

    /// Deserializes the whole payload into `T`, straight from the text, with
    /// the attachments given where their placeholders are: as bytes to
    /// `Bytes`, `serde_bytes::ByteBuf` or borrowed `&[u8]`, as a sequence of
    /// `u8` to `Vec<u8>`, `[u8; N]` and untyped values (so a
    /// `serde_json::Value` gets an array of numbers). Strings without escapes
    /// can be borrowed from the payload.
    ///
    /// # Errors
    ///
    /// [`Error::Deserialize`] if the payload does not fit `T`.
    pub fn deserialize<'a, T: Deserialize<'a>>(&'a self) -> Result<T, Error> {
        self.deserialize_seed(std::marker::PhantomData)
    }

    /// Deserializes the whole payload through a stateful `seed`, as
    /// [`Payload::deserialize`] (for data whose shape is known only at run
    /// time).
    ///
    /// # Errors
    ///
    /// [`Error::Deserialize`] if the payload does not fit the seed.
    pub fn deserialize_seed<'a, S: DeserializeSeed<'a>>(
        &'a self,
        seed: S,
    ) -> Result<S::Value, Error> {
        crate::de::from_json(&self.json, &self.attachments, seed).map_err(Error::Deserialize)
    }
}

/// serde_json writes UTF-8; this checks it without `unsafe`.
pub(crate) fn utf8(out: Vec<u8>) -> Result<Utf8Bytes, Error> {
    String::from_utf8(out).map(Utf8Bytes::from).map_err(|_| {
        Error::Serialize(<serde_json::Error as serde::ser::Error>::custom(
            "serializer wrote invalid UTF-8",
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let payload = Payload::from_serialize(&(
            "a",
            Bytes::from_static(b"\x01"),
            vec![Bytes::from_static(b"\x02")],
        ))
        .expect("serializes");
        assert_eq!(
            payload.json(),
            r#"["a",{"_placeholder":true,"num":0},[{"_placeholder":true,"num":1}]]"#
        );
        assert_eq!(payload.attachments().len(), 2);
        let (a, b, c): (String, Bytes, Vec<Bytes>) = payload.deserialize().expect("decodes");
        assert_eq!(
            (a.as_str(), &b[..], &c[0][..]),
            ("a", &b"\x01"[..], &b"\x02"[..])
        );
        let (json, attachments) = payload.into_parts();
        assert!(json.starts_with('['));
        assert_eq!(attachments.len(), 2);
    }

    #[test]
    fn serialize_errors() {
        let mut map = std::collections::BTreeMap::new();
        map.insert(vec![1u8], 1);
        assert!(matches!(
            Payload::from_serialize(&map),
            Err(Error::Serialize(_))
        ));
    }
}
