//! Encode side of the serde bridge: binary values become placeholders.
//!
//! [`AttachmentSerializer`] wraps any serializer (in practice serde_json's)
//! and forwards every call, except that `serialize_bytes` writes
//! `{"_placeholder":true,"num":i}` and pushes the bytes as attachment `i`.
//! Compound serializers are wrapped too, so nested bytes are caught; since
//! serialization walks the value depth-first, in sequence order and in the
//! order map entries are given, attachments are numbered in exactly the
//! order of the reference encoder (`deconstructPacket`).

use std::cell::Cell;

use bytes::Bytes;
use serde::ser::{
    Serialize, SerializeMap, SerializeSeq, SerializeStruct, SerializeStructVariant, SerializeTuple,
    SerializeTupleStruct, SerializeTupleVariant, Serializer,
};

/// The attachments collected so far. A `Cell` (taken and put back around
/// each push) because `Serialize::serialize` only gets `&self`.
pub(crate) type Attachments = Cell<Vec<Bytes>>;

fn push(attachments: &Attachments, data: &[u8]) -> usize {
    let mut list = attachments.take();
    let num = list.len();
    list.push(Bytes::copy_from_slice(data));
    attachments.set(list);
    num
}

/// A serializer that turns byte strings into attachment placeholders.
pub(crate) struct AttachmentSerializer<'a, S> {
    inner: S,
    attachments: &'a Attachments,
}

impl<'a, S> AttachmentSerializer<'a, S> {
    pub(crate) fn new(inner: S, attachments: &'a Attachments) -> Self {
        AttachmentSerializer { inner, attachments }
    }
}

/// A value to serialize through an [`AttachmentSerializer`].
pub(crate) struct Wrap<'a, T: ?Sized> {
    value: &'a T,
    attachments: &'a Attachments,
}

impl<'a, T: ?Sized> Wrap<'a, T> {
    pub(crate) fn new(value: &'a T, attachments: &'a Attachments) -> Self {
        Wrap { value, attachments }
    }
}

impl<T: Serialize + ?Sized> Serialize for Wrap<'_, T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.value
            .serialize(AttachmentSerializer::new(serializer, self.attachments))
    }
}

/// The placeholder object, `{"_placeholder":true,"num":i}`, keys in the
/// reference encoder's order.
struct Placeholder(usize);

impl Serialize for Placeholder {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(2))?;
        map.serialize_entry("_placeholder", &true)?;
        map.serialize_entry("num", &self.0)?;
        map.end()
    }
}

/// A compound serializer whose elements are wrapped.
pub(crate) struct Compound<'a, C> {
    inner: C,
    attachments: &'a Attachments,
}

macro_rules! forward {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $name(self, $($arg: $ty),*) -> Result<S::Ok, S::Error> {
            self.inner.$name($($arg),*)
        })*
    };
}

impl<'a, S: Serializer> Serializer for AttachmentSerializer<'a, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = Compound<'a, S::SerializeSeq>;
    type SerializeTuple = Compound<'a, S::SerializeTuple>;
    type SerializeTupleStruct = Compound<'a, S::SerializeTupleStruct>;
    type SerializeTupleVariant = Compound<'a, S::SerializeTupleVariant>;
    type SerializeMap = Compound<'a, S::SerializeMap>;
    type SerializeStruct = Compound<'a, S::SerializeStruct>;
    type SerializeStructVariant = Compound<'a, S::SerializeStructVariant>;

    forward! {
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_i128(v: i128);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_u128(v: u128);
        serialize_f32(v: f32);
        serialize_f64(v: f64);
        serialize_char(v: char);
        serialize_str(v: &str);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    fn serialize_bytes(self, v: &[u8]) -> Result<S::Ok, S::Error> {
        let num = push(self.attachments, v);
        Placeholder(num).serialize(self.inner)
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.inner
            .serialize_some(&Wrap::new(value, self.attachments))
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        if name == crate::binary::MAGIC {
            if let Some(data) = crate::binary::take() {
                // A `Binary`: its buffer becomes the attachment, shared.
                let mut list = self.attachments.take();
                let num = list.len();
                list.push(data);
                self.attachments.set(list);
                return Placeholder(num).serialize(self.inner);
            }
        }
        self.inner
            .serialize_newtype_struct(name, &Wrap::new(value, self.attachments))
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.inner.serialize_newtype_variant(
            name,
            index,
            variant,
            &Wrap::new(value, self.attachments),
        )
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        Ok(Compound {
            inner: self.inner.serialize_seq(len)?,
            attachments: self.attachments,
        })
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        Ok(Compound {
            inner: self.inner.serialize_tuple(len)?,
            attachments: self.attachments,
        })
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        Ok(Compound {
            inner: self.inner.serialize_tuple_struct(name, len)?,
            attachments: self.attachments,
        })
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleVariant, S::Error> {
        Ok(Compound {
            inner: self
                .inner
                .serialize_tuple_variant(name, index, variant, len)?,
            attachments: self.attachments,
        })
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        Ok(Compound {
            inner: self.inner.serialize_map(len)?,
            attachments: self.attachments,
        })
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        Ok(Compound {
            inner: self.inner.serialize_struct(name, len)?,
            attachments: self.attachments,
        })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStructVariant, S::Error> {
        Ok(Compound {
            inner: self
                .inner
                .serialize_struct_variant(name, index, variant, len)?,
            attachments: self.attachments,
        })
    }

    fn collect_str<T: std::fmt::Display + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        self.inner.collect_str(value)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

impl<C: SerializeSeq> SerializeSeq for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner
            .serialize_element(&Wrap::new(value, self.attachments))
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: SerializeTuple> SerializeTuple for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner
            .serialize_element(&Wrap::new(value, self.attachments))
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: SerializeTupleStruct> SerializeTupleStruct for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner
            .serialize_field(&Wrap::new(value, self.attachments))
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: SerializeTupleVariant> SerializeTupleVariant for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner
            .serialize_field(&Wrap::new(value, self.attachments))
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: SerializeMap> SerializeMap for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    /// Keys are not wrapped: JSON keys are strings, and serde_json refuses
    /// byte-string keys anyway.
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), C::Error> {
        self.inner.serialize_key(key)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), C::Error> {
        self.inner
            .serialize_value(&Wrap::new(value, self.attachments))
    }

    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), C::Error> {
        self.inner
            .serialize_entry(key, &Wrap::new(value, self.attachments))
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: SerializeStruct> SerializeStruct for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), C::Error> {
        self.inner
            .serialize_field(key, &Wrap::new(value, self.attachments))
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
        self.inner.skip_field(key)
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

impl<C: SerializeStructVariant> SerializeStructVariant for Compound<'_, C> {
    type Ok = C::Ok;
    type Error = C::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), C::Error> {
        self.inner
            .serialize_field(key, &Wrap::new(value, self.attachments))
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), C::Error> {
        self.inner.skip_field(key)
    }

    fn end(self) -> Result<C::Ok, C::Error> {
        self.inner.end()
    }
}

/// Serializes `value` as JSON into `out`, appending its byte strings to
/// `attachments` (placeholders in their place).
pub(crate) fn to_json_with_attachments<T: Serialize + ?Sized>(
    value: &T,
    out: &mut Vec<u8>,
    attachments: &Attachments,
) -> Result<(), serde_json::Error> {
    let mut serializer = serde_json::Serializer::new(out);
    value.serialize(AttachmentSerializer::new(&mut serializer, attachments))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Serialize)]
    struct Doc {
        x: Bytes,
        y: (Bytes, Inner),
    }

    #[derive(serde::Serialize)]
    struct Inner {
        z: Bytes,
    }

    fn run<T: Serialize + ?Sized>(value: &T) -> (String, Vec<Bytes>) {
        let attachments = Attachments::default();
        let mut out = Vec::new();
        to_json_with_attachments(value, &mut out, &attachments).expect("serializes");
        (String::from_utf8(out).expect("utf8"), attachments.take())
    }

    #[test]
    fn depth_first_order() {
        let value = (
            "a",
            Doc {
                x: Bytes::from_static(b"0"),
                y: (
                    Bytes::from_static(b"1"),
                    Inner {
                        z: Bytes::from_static(b"2"),
                    },
                ),
            },
            Bytes::from_static(b"3"),
        );
        let (json, attachments) = run(&value);
        assert_eq!(
            json,
            r#"["a",{"x":{"_placeholder":true,"num":0},"y":[{"_placeholder":true,"num":1},{"z":{"_placeholder":true,"num":2}}]},{"_placeholder":true,"num":3}]"#
        );
        assert_eq!(attachments, [&b"0"[..], b"1", b"2", b"3"]);
    }

    #[test]
    fn wraps_options_newtypes_and_variants() {
        #[derive(serde::Serialize)]
        struct New(Bytes);
        #[derive(serde::Serialize)]
        enum E {
            N(Bytes),
            T(u8, Bytes),
            S { b: Bytes },
        }
        let value = (
            Some(Bytes::from_static(b"o")),
            New(Bytes::from_static(b"n")),
            [
                E::N(Bytes::new()),
                E::T(1, Bytes::new()),
                E::S { b: Bytes::new() },
            ],
        );
        let (json, attachments) = run(&value);
        assert_eq!(attachments.len(), 5);
        assert_eq!(
            json,
            r#"[{"_placeholder":true,"num":0},{"_placeholder":true,"num":1},[{"N":{"_placeholder":true,"num":2}},{"T":[1,{"_placeholder":true,"num":3}]},{"S":{"b":{"_placeholder":true,"num":4}}}]]"#
        );
    }

    #[test]
    fn no_bytes_no_attachments() {
        let (json, attachments) = run(&serde_json::json!({"b": 1, "a": [true, null, "s"]}));
        assert_eq!(json, r#"{"b":1,"a":[true,null,"s"]}"#);
        assert!(attachments.is_empty());
    }
}
