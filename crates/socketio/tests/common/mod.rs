//! The test value shared by the proptests: JSON that may hold binary
//! leaves (serialized as byte strings, which the bridge turns into
//! attachments).
#![allow(dead_code)]

use bytes::Bytes;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};
use serde::Serialize;
use serde_json::Value;

#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Tv {
    Null,
    Bool(bool),
    Int(i64),
    /// Exactly representable, so the JSON text round-trips.
    Float(f64),
    Str(String),
    Bin(Bytes),
    Arr(Vec<Tv>),
    /// Unique keys, in order.
    Obj(Vec<(String, Tv)>),
}

impl Serialize for Tv {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Tv::Null => s.serialize_unit(),
            Tv::Bool(b) => s.serialize_bool(*b),
            Tv::Int(i) => s.serialize_i64(*i),
            Tv::Float(f) => s.serialize_f64(*f),
            Tv::Str(v) => s.serialize_str(v),
            Tv::Bin(b) => s.serialize_bytes(b),
            Tv::Arr(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Tv::Obj(entries) => {
                let mut map = s.serialize_map(Some(entries.len()))?;
                for (k, v) in entries {
                    map.serialize_entry(k, v)?;
                }
                map.end()
            }
        }
    }
}

impl Tv {
    /// Binary leaves in the reference encoder's order (depth-first, pre-order).
    pub(crate) fn binaries<'a>(&'a self, out: &mut Vec<&'a Bytes>) {
        match self {
            Tv::Bin(b) => out.push(b),
            Tv::Arr(items) => items.iter().for_each(|i| i.binaries(out)),
            Tv::Obj(entries) => entries.iter().for_each(|(_, v)| v.binaries(out)),
            _ => {}
        }
    }

    /// What a `serde_json::Value` gets: binary as an array of numbers.
    pub(crate) fn to_value(&self) -> Value {
        match self {
            Tv::Null => Value::Null,
            Tv::Bool(b) => Value::Bool(*b),
            Tv::Int(i) => Value::from(*i),
            Tv::Float(f) => Value::from(*f),
            Tv::Str(s) => Value::from(s.as_str()),
            Tv::Bin(b) => Value::Array(b.iter().map(|&x| Value::from(x)).collect()),
            Tv::Arr(items) => Value::Array(items.iter().map(Tv::to_value).collect()),
            Tv::Obj(entries) => Value::Object(
                entries
                    .iter()
                    .map(|(k, v)| (k.clone(), v.to_value()))
                    .collect(),
            ),
        }
    }

    /// Keeps at most `left` binary leaves, depth-first; the rest become
    /// strings.
    pub(crate) fn cap_binaries(&mut self, left: &mut usize) {
        match self {
            Tv::Bin(_) if *left == 0 => *self = Tv::Str("bin\u{e9}".into()),
            Tv::Bin(_) => *left -= 1,
            Tv::Arr(items) => items.iter_mut().for_each(|i| i.cap_binaries(left)),
            Tv::Obj(entries) => entries.iter_mut().for_each(|(_, v)| v.cap_binaries(left)),
            _ => {}
        }
    }

    /// How many binary leaves.
    pub(crate) fn binary_count(&self) -> usize {
        let mut out = Vec::new();
        self.binaries(&mut out);
        out.len()
    }
}
