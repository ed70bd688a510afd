//! Decode side of the serde bridge: placeholders become binary values.
//!
//! [`AttachmentDeserializer`] wraps any deserializer of JSON-shaped data
//! (serde_json's over the payload text, or a buffered
//! [`serde_json::Value`]) and forwards every call, wrapping the visitor and
//! every nested `SeqAccess`, `MapAccess`, `EnumAccess` and deserializer.
//! When the wrapped visitor is handed an object, it reads the first key; an
//! object that starts with `_placeholder` or `num` has that entry (and, for
//! `num`, the next) buffered as a `Value` until it is known whether it is a
//! placeholder. A placeholder is handed to the caller's visitor as the
//! attachment, in the form the caller asked for:
//!
//! | asked for | placeholder given as |
//! |---|---|
//! | `deserialize_bytes` (`serde_bytes::Bytes`, `&[u8]`) | `visit_borrowed_bytes` |
//! | `deserialize_byte_buf` (`bytes::Bytes`, `serde_bytes::ByteBuf`) | `visit_byte_buf` |
//! | `deserialize_seq` / `tuple` (`Vec<u8>`, `[u8; N]`) | `visit_seq` of `u8` |
//! | `deserialize_any` (`serde_json::Value`, untagged enums) | `visit_seq` of `u8` |
//! | anything else | `visit_borrowed_bytes` (the visitor decides) |
//!
//! `deserialize_any` gives a sequence rather than bytes because
//! `serde_json::Value` has no bytes variant and rejects `visit_bytes`: a
//! `Value` gets an array of numbers, and serde's buffered forms (untagged
//! and internally tagged enums, `flatten`) still reach `Bytes`/`ByteBuf`
//! fields, whose visitors accept sequences. Otherwise an object is replayed
//! to the caller's visitor, buffered entries first (through the same wrapper,
//! so placeholders inside them are still found), then the rest.

use std::fmt;

use bytes::Bytes;
use serde::de::value::{BorrowedStrDeserializer, SeqDeserializer, StringDeserializer};
use serde::de::{
    self, Deserialize, DeserializeSeed, Deserializer, EnumAccess, IgnoredAny, MapAccess, SeqAccess,
    VariantAccess, Visitor,
};
use serde_json::Value;

/// A deserializer that turns attachment placeholders into binary values.
pub(crate) struct AttachmentDeserializer<'de, D> {
    inner: D,
    attachments: &'de [Bytes],
}

impl<'de, D> AttachmentDeserializer<'de, D> {
    pub(crate) fn new(inner: D, attachments: &'de [Bytes]) -> Self {
        AttachmentDeserializer { inner, attachments }
    }

    fn visit<V>(&self, inner: V, hint: Hint) -> Visit<'de, V> {
        Visit {
            inner,
            attachments: self.attachments,
            hint,
        }
    }
}

/// What the caller asked for, which decides how a placeholder is given.
#[derive(Clone, Copy)]
enum Hint {
    Any,
    Bytes,
    ByteBuf,
    Seq,
    /// [`crate::Binary`]: the attachment goes through its slot.
    Binary,
    Other,
}

macro_rules! forward_deserialize {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $name<V: Visitor<'de>>(self, $($arg: $ty,)* visitor: V) -> Result<V::Value, D::Error> {
            let visitor = self.visit(visitor, Hint::Other);
            self.inner.$name($($arg,)* visitor)
        })*
    };
}

impl<'de, D: Deserializer<'de>> Deserializer<'de> for AttachmentDeserializer<'de, D> {
    type Error = D::Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let visitor = self.visit(visitor, Hint::Any);
        self.inner.deserialize_any(visitor)
    }

    // A placeholder is an object: serde_json would refuse it for these
    // hints, so they go through `deserialize_any` and the hint decides.
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let visitor = self.visit(visitor, Hint::Bytes);
        self.inner.deserialize_any(visitor)
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let visitor = self.visit(visitor, Hint::ByteBuf);
        self.inner.deserialize_any(visitor)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        let visitor = self.visit(visitor, Hint::Seq);
        self.inner.deserialize_any(visitor)
    }

    fn deserialize_tuple<V: Visitor<'de>>(
        self,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = self.visit(visitor, Hint::Seq);
        self.inner.deserialize_any(visitor)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _len: usize,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        let visitor = self.visit(visitor, Hint::Seq);
        self.inner.deserialize_any(visitor)
    }

    forward_deserialize! {
        deserialize_bool();
        deserialize_i8();
        deserialize_i16();
        deserialize_i32();
        deserialize_i64();
        deserialize_i128();
        deserialize_u8();
        deserialize_u16();
        deserialize_u32();
        deserialize_u64();
        deserialize_u128();
        deserialize_f32();
        deserialize_f64();
        deserialize_char();
        deserialize_str();
        deserialize_string();
        deserialize_option();
        deserialize_unit();
        deserialize_unit_struct(name: &'static str);
        deserialize_map();
        deserialize_struct(name: &'static str, fields: &'static [&'static str]);
        deserialize_enum(name: &'static str, variants: &'static [&'static str]);
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value, D::Error> {
        if name == crate::binary::MAGIC {
            // A `Binary`: a placeholder is handed over as the attachment
            // itself; anything else reaches its visitor as usual.
            let visitor = self.visit(visitor, Hint::Binary);
            return self.inner.deserialize_any(visitor);
        }
        let visitor = self.visit(visitor, Hint::Other);
        self.inner.deserialize_newtype_struct(name, visitor)
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_identifier(visitor)
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, D::Error> {
        self.inner.deserialize_ignored_any(visitor)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// A seed whose deserializer is wrapped.
struct WrapSeed<'de, S> {
    seed: S,
    attachments: &'de [Bytes],
}

impl<'de, S: DeserializeSeed<'de>> DeserializeSeed<'de> for WrapSeed<'de, S> {
    type Value = S::Value;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<S::Value, D::Error> {
        self.seed
            .deserialize(AttachmentDeserializer::new(d, self.attachments))
    }
}

/// The caller's visitor, wrapped.
struct Visit<'de, V> {
    inner: V,
    attachments: &'de [Bytes],
    hint: Hint,
}

macro_rules! forward_visit {
    ($($name:ident($ty:ty);)*) => {
        $(fn $name<E: de::Error>(self, v: $ty) -> Result<V::Value, E> {
            self.inner.$name(v)
        })*
    };
}

impl<'de, V: Visitor<'de>> Visitor<'de> for Visit<'de, V> {
    type Value = V::Value;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.inner.expecting(f)
    }

    forward_visit! {
        visit_bool(bool);
        visit_i8(i8);
        visit_i16(i16);
        visit_i32(i32);
        visit_i64(i64);
        visit_i128(i128);
        visit_u8(u8);
        visit_u16(u16);
        visit_u32(u32);
        visit_u64(u64);
        visit_u128(u128);
        visit_f32(f32);
        visit_f64(f64);
        visit_char(char);
        visit_str(&str);
        visit_borrowed_str(&'de str);
        visit_string(String);
        visit_bytes(&[u8]);
        visit_borrowed_bytes(&'de [u8]);
        visit_byte_buf(Vec<u8>);
    }

    fn visit_none<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_none()
    }

    fn visit_unit<E: de::Error>(self) -> Result<V::Value, E> {
        self.inner.visit_unit()
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner
            .visit_some(AttachmentDeserializer::new(d, self.attachments))
    }

    fn visit_newtype_struct<D: Deserializer<'de>>(self, d: D) -> Result<V::Value, D::Error> {
        self.inner
            .visit_newtype_struct(AttachmentDeserializer::new(d, self.attachments))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<V::Value, A::Error> {
        self.inner.visit_seq(Seq {
            inner: seq,
            attachments: self.attachments,
        })
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> Result<V::Value, A::Error> {
        self.inner.visit_enum(Enum {
            inner: data,
            attachments: self.attachments,
        })
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<V::Value, A::Error> {
        let Some(first) = map.next_key_seed(KeySeed)? else {
            return self.replay(map, None, None);
        };
        match first.class() {
            KeyClass::Other => self.replay(map, Some((first, None)), None),
            KeyClass::Placeholder => {
                let flag: Value = map.next_value()?;
                if !matches!(flag, Value::Bool(true)) {
                    return self.replay(map, Some((first, Some(flag))), None);
                }
                let num: Value = match map.next_key_seed(KeySeed)? {
                    Some(key) if key.class() == KeyClass::Num => map.next_value()?,
                    _ => return Err(illegal()),
                };
                self.placeholder(map, &num)
            }
            KeyClass::Num => {
                let num: Value = map.next_value()?;
                match map.next_key_seed(KeySeed)? {
                    None => self.replay(map, Some((first, Some(num))), None),
                    Some(second) if second.class() == KeyClass::Placeholder => {
                        let flag: Value = map.next_value()?;
                        if matches!(flag, Value::Bool(true)) {
                            self.placeholder(map, &num)
                        } else {
                            self.replay(map, Some((first, Some(num))), Some((second, Some(flag))))
                        }
                    }
                    Some(second) => {
                        self.replay(map, Some((first, Some(num))), Some((second, None)))
                    }
                }
            }
        }
    }
}

fn illegal<E: de::Error>() -> E {
    E::custom("illegal attachment placeholder")
}

impl<'de, V: Visitor<'de>> Visit<'de, V> {
    /// Hands the rest of an object to the caller's visitor, buffered entries
    /// first.
    fn replay<A: MapAccess<'de>>(
        self,
        map: A,
        first: Option<Entry<'de>>,
        second: Option<Entry<'de>>,
    ) -> Result<V::Value, A::Error> {
        self.inner.visit_map(Replay {
            inner: map,
            attachments: self.attachments,
            first,
            second,
            value: None,
        })
    }

    /// Ends a placeholder object (it must have no more keys) and hands the
    /// attachment to the caller's visitor.
    fn placeholder<A: MapAccess<'de>>(self, mut map: A, num: &Value) -> Result<V::Value, A::Error> {
        if map.next_key_seed(KeySeed)?.is_some() {
            return Err(illegal());
        }
        let attachment = num
            .as_u64()
            .and_then(|i| usize::try_from(i).ok())
            .and_then(|i| self.attachments.get(i))
            .ok_or_else(illegal)?;
        match self.hint {
            Hint::Binary => {
                crate::binary::offer(attachment.clone());
                let value = self.inner.visit_unit();
                // Not taken (the visitor refused): do not leave it behind.
                let _ = crate::binary::take();
                value
            }
            Hint::Bytes | Hint::Other => self.inner.visit_borrowed_bytes(attachment),
            Hint::ByteBuf => self.inner.visit_byte_buf(attachment.to_vec()),
            Hint::Any | Hint::Seq => {
                let mut seq = SeqDeserializer::new(attachment.iter().copied());
                let value = self.inner.visit_seq(&mut seq)?;
                seq.end()?;
                Ok(value)
            }
        }
    }
}

/// A captured object key.
enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyClass {
    Placeholder,
    Num,
    Other,
}

impl Key<'_> {
    fn class(&self) -> KeyClass {
        let key = match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s.as_str(),
        };
        match key {
            "_placeholder" => KeyClass::Placeholder,
            "num" => KeyClass::Num,
            _ => KeyClass::Other,
        }
    }
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key<'de>, D::Error> {
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a string key")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
        Ok(Key::Borrowed(v))
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
        Ok(Key::Owned(v.to_owned()))
    }

    fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
        Ok(Key::Owned(v))
    }
}

/// A buffered key, with its buffered value or `None` if the value is still
/// to be read from the map.
type Entry<'de> = (Key<'de>, Option<Value>);

/// An object handed on: up to two buffered entries, then the rest.
struct Replay<'de, A> {
    inner: A,
    attachments: &'de [Bytes],
    first: Option<Entry<'de>>,
    second: Option<Entry<'de>>,
    /// The buffered value of the key just handed out; `None`: read it from
    /// `inner`.
    value: Option<Value>,
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Replay<'de, A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.first.take() {
            Some((key, value)) => {
                self.first = self.second.take();
                self.value = value;
                match key {
                    Key::Borrowed(s) => seed.deserialize(BorrowedStrDeserializer::new(s)),
                    Key::Owned(s) => seed.deserialize(StringDeserializer::new(s)),
                }
                .map(Some)
            }
            None => {
                self.value = None;
                self.inner.next_key_seed(seed)
            }
        }
    }

    fn next_value_seed<S: DeserializeSeed<'de>>(&mut self, seed: S) -> Result<S::Value, A::Error> {
        match self.value.take() {
            Some(value) => seed
                .deserialize(AttachmentDeserializer::new(value, self.attachments))
                .map_err(de::Error::custom),
            None => self.inner.next_value_seed(WrapSeed {
                seed,
                attachments: self.attachments,
            }),
        }
    }

    fn size_hint(&self) -> Option<usize> {
        let buffered = usize::from(self.first.is_some()) + usize::from(self.second.is_some());
        self.inner.size_hint().map(|n| n.saturating_add(buffered))
    }
}

/// A sequence whose elements are wrapped.
pub(crate) struct Seq<'de, A> {
    inner: A,
    attachments: &'de [Bytes],
}

impl<'de, A> Seq<'de, A> {
    pub(crate) fn new(inner: A, attachments: &'de [Bytes]) -> Self {
        Seq { inner, attachments }
    }
}

impl<'de, A: SeqAccess<'de>> SeqAccess<'de> for Seq<'de, A> {
    type Error = A::Error;

    fn next_element_seed<S: DeserializeSeed<'de>>(
        &mut self,
        seed: S,
    ) -> Result<Option<S::Value>, A::Error> {
        self.inner.next_element_seed(WrapSeed {
            seed,
            attachments: self.attachments,
        })
    }

    fn size_hint(&self) -> Option<usize> {
        self.inner.size_hint()
    }
}

/// An enum whose variant content is wrapped.
struct Enum<'de, A> {
    inner: A,
    attachments: &'de [Bytes],
}

impl<'de, A: EnumAccess<'de>> EnumAccess<'de> for Enum<'de, A> {
    type Error = A::Error;
    type Variant = Variant<'de, A::Variant>;

    fn variant_seed<S: DeserializeSeed<'de>>(
        self,
        seed: S,
    ) -> Result<(S::Value, Self::Variant), A::Error> {
        let (value, variant) = self.inner.variant_seed(seed)?;
        Ok((
            value,
            Variant {
                inner: variant,
                attachments: self.attachments,
            },
        ))
    }
}

struct Variant<'de, A> {
    inner: A,
    attachments: &'de [Bytes],
}

impl<'de, A: VariantAccess<'de>> VariantAccess<'de> for Variant<'de, A> {
    type Error = A::Error;

    fn unit_variant(self) -> Result<(), A::Error> {
        self.inner.unit_variant()
    }

    fn newtype_variant_seed<S: DeserializeSeed<'de>>(self, seed: S) -> Result<S::Value, A::Error> {
        self.inner.newtype_variant_seed(WrapSeed {
            seed,
            attachments: self.attachments,
        })
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value, A::Error> {
        self.inner.tuple_variant(
            len,
            Visit {
                inner: visitor,
                attachments: self.attachments,
                hint: Hint::Seq,
            },
        )
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value, A::Error> {
        self.inner.struct_variant(
            fields,
            Visit {
                inner: visitor,
                attachments: self.attachments,
                hint: Hint::Other,
            },
        )
    }
}

/// Deserializes the JSON text `json` through `seed`, with `attachments` put
/// back in place of their placeholders (none: plain serde_json).
pub(crate) fn from_json<'de, S: DeserializeSeed<'de>>(
    json: &'de str,
    attachments: &'de [Bytes],
    seed: S,
) -> Result<S::Value, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    let value = if attachments.is_empty() {
        seed.deserialize(&mut de)?
    } else {
        seed.deserialize(AttachmentDeserializer::new(&mut de, attachments))?
    };
    de.end()?;
    Ok(value)
}

/// Deserializes a `T` from the elements of the JSON array `json` after the
/// first `skip`, as if they were a sequence of their own; elements `T` does
/// not take are skipped.
pub(crate) fn from_json_elements<'de, T: Deserialize<'de>>(
    json: &'de str,
    attachments: &'de [Bytes],
    skip: usize,
) -> Result<T, serde_json::Error> {
    let mut de = serde_json::Deserializer::from_str(json);
    let value = (&mut de).deserialize_seq(Elements {
        attachments,
        skip,
        marker: std::marker::PhantomData,
    })?;
    de.end()?;
    Ok(value)
}

struct Elements<'de, T> {
    attachments: &'de [Bytes],
    skip: usize,
    marker: std::marker::PhantomData<T>,
}

impl<'de, T: Deserialize<'de>> Visitor<'de> for Elements<'de, T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<T, A::Error> {
        for i in 0..self.skip {
            if seq.next_element::<IgnoredAny>()?.is_none() {
                return Err(de::Error::invalid_length(i, &self));
            }
        }
        let value = if self.attachments.is_empty() {
            T::deserialize(de::value::SeqAccessDeserializer::new(&mut seq))?
        } else {
            let mut wrapped = Seq::new(&mut seq, self.attachments);
            T::deserialize(de::value::SeqAccessDeserializer::new(&mut wrapped))?
        };
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(value)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn from_json<'de, T: Deserialize<'de>>(
        json: &'de str,
        attachments: &'de [Bytes],
    ) -> Result<T, serde_json::Error> {
        super::from_json(json, attachments, std::marker::PhantomData)
    }

    fn atts() -> Vec<Bytes> {
        vec![Bytes::from_static(b"\x00\x01"), Bytes::from_static(b"zz")]
    }

    #[test]
    fn placeholder_in_either_key_order() {
        let atts = atts();
        let a: Vec<Bytes> = from_json(
            r#"[{"_placeholder":true,"num":1},{"num":0,"_placeholder":true}]"#,
            &atts,
        )
        .expect("bytes");
        assert_eq!(a, [atts[1].clone(), atts[0].clone()]);
    }

    #[test]
    fn ordinary_objects_are_replayed_in_order() {
        let atts = atts();
        for json in [
            r#"{"num":3,"b":{"_placeholder":true,"num":0}}"#,
            r#"{"num":3,"_placeholder":false,"c":[1]}"#,
            r#"{"_placeholder":{"x":{"_placeholder":true,"num":1}},"num":1}"#,
            r#"{"num":[{"_placeholder":true,"num":1}]}"#,
            r#"{"a":1,"num":2,"_placeholder":true}"#,
            r#"{}"#,
        ] {
            let value: Value = from_json(json, &atts).expect(json);
            let plain: Value = serde_json::from_str(json).expect("json");
            let keys = |v: &Value| v.as_object().map(|m| m.keys().cloned().collect::<Vec<_>>());
            assert_eq!(keys(&value), keys(&plain), "{json}");
        }
        let value: Value =
            from_json(r#"{"num":[{"_placeholder":true,"num":1}]}"#, &atts).expect("nested");
        assert_eq!(value, serde_json::json!({"num": [[122, 122]]}));
    }

    #[test]
    fn hints() {
        let atts = atts();
        let json = r#"{"_placeholder":true,"num":0}"#;
        assert_eq!(from_json::<Bytes>(json, &atts).expect("Bytes"), atts[0]);
        assert_eq!(from_json::<Vec<u8>>(json, &atts).expect("Vec<u8>"), [0, 1]);
        assert_eq!(from_json::<[u8; 2]>(json, &atts).expect("array"), [0, 1]);
        assert!(from_json::<[u8; 3]>(json, &atts).is_err());
        assert_eq!(
            from_json::<Value>(json, &atts).expect("Value"),
            serde_json::json!([0, 1])
        );
        assert!(from_json::<String>(json, &atts).is_err());
        assert!(from_json::<std::collections::HashMap<String, Value>>(json, &atts).is_err());
        let borrowed: &[u8] = from_json::<&[u8]>(json, &atts).expect("borrowed");
        assert_eq!(borrowed, b"\x00\x01");
        assert_eq!(
            from_json::<Option<Bytes>>(json, &atts).expect("some"),
            Some(atts[0].clone())
        );
        // Not a placeholder in a binary packet: refused by the bridge too.
        assert!(from_json::<Value>(r#"{"_placeholder":true,"num":0,"x":1}"#, &atts).is_err());
        assert!(from_json::<Value>(r#"{"_placeholder":true,"num":2}"#, &atts).is_err());
        assert!(from_json::<Value>(r#"{"_placeholder":true}"#, &atts).is_err());
        // Without attachments, placeholder objects are ordinary objects.
        let plain: Value = from_json(json, &[]).expect("plain");
        assert_eq!(plain, serde_json::json!({"_placeholder": true, "num": 0}));
    }

    #[test]
    fn enums_options_and_newtypes() {
        #[derive(serde::Deserialize, Debug, PartialEq)]
        struct New(Bytes);
        #[derive(serde::Deserialize, Debug, PartialEq)]
        enum E {
            N(Bytes),
            T(u8, Bytes),
            S { b: Bytes },
            U,
        }
        #[derive(serde::Deserialize, Debug, PartialEq)]
        #[serde(untagged)]
        enum Untagged {
            // First: `Bytes` would also take a string.
            Text(String),
            Bin(Bytes),
        }
        let atts = atts();
        let p0 = r#"{"_placeholder":true,"num":0}"#;
        let json = format!(
            r#"[{p0},{p0},[{{"N":{p0}}},{{"T":[1,{p0}]}},{{"S":{{"b":{p0}}}}},"U"],[{p0},"s"]]"#
        );
        type All = (Option<Bytes>, New, Vec<E>, Vec<Untagged>);
        let got: All = from_json(&json, &atts).expect("all");
        let b = atts[0].clone();
        assert_eq!(
            got,
            (
                Some(b.clone()),
                New(b.clone()),
                vec![
                    E::N(b.clone()),
                    E::T(1, b.clone()),
                    E::S { b: b.clone() },
                    E::U
                ],
                vec![Untagged::Bin(b), Untagged::Text("s".into())],
            )
        );
    }

    #[test]
    fn elements_skip_and_ignore_extra() {
        let atts = atts();
        let json = r#"["ev",{"_placeholder":true,"num":1},2,3]"#;
        let (b, n): (Bytes, u8) = from_json_elements(json, &atts, 1).expect("args");
        assert_eq!((b, n), (atts[1].clone(), 2));
        let all: Vec<Value> = from_json_elements(json, &[], 1).expect("plain");
        assert_eq!(all.len(), 3);
        assert!(from_json_elements::<(u8,)>("[]", &[], 1).is_err());
        let none: Vec<u8> = from_json_elements(r#"["ev"]"#, &[], 1).expect("empty");
        assert!(none.is_empty());
    }
}
