//! The one validating pass over a decoded payload.
//!
//! serde_json parses the payload text once, driving visitors that check
//! the shape rules of the packet type and, in binary packets, every
//! placeholder, without building a tree: values that need no check are
//! skipped with [`IgnoredAny`].

use std::cell::Cell;
use std::fmt;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use crate::json::{self, First, Top};
use crate::packet::{is_reserved_event_name, PacketType};
use crate::Error;

/// Checks `json`, the payload of a packet of `packet_type` announcing
/// `attachments` attachments. `offset` is where `json` starts in the packet
/// text (for [`Error::InvalidJson`]).
pub(crate) fn validate_payload(
    packet_type: PacketType,
    json: &str,
    attachments: usize,
    offset: usize,
) -> Result<(), Error> {
    if !packet_type.is_binary() {
        return validate_plain(packet_type, json, offset);
    }
    let ctx = Ctx {
        packet_type,
        attachments,
        failure: Cell::new(None),
    };
    let mut de = serde_json::Deserializer::from_str(json);
    let result = de
        .deserialize_any(TopVisitor { ctx: &ctx })
        .and_then(|()| de.end());
    match result {
        Ok(()) => Ok(()),
        Err(e) => Err(match ctx.failure.take() {
            Some(failure) => failure,
            None if e.classify() == serde_json::error::Category::Data => {
                Error::InvalidPayload { packet_type }
            }
            None => Error::InvalidJson {
                offset: offset.saturating_add(if e.is_eof() {
                    json.len()
                } else {
                    json_offset(json, e.line(), e.column())
                }),
            },
        }),
    }
}

/// The fast path for packets without attachments: a syntax check without
/// serde ([`crate::json`]), then the packet type's rules on the top level
/// and the event name.
fn validate_plain(packet_type: PacketType, json: &str, offset: usize) -> Result<(), Error> {
    struct Rule(PacketType);
    impl json::TopRule for Rule {
        fn top(&self, top: Top) -> bool {
            match self.0 {
                PacketType::Connect => top == Top::Object,
                PacketType::ConnectError => matches!(top, Top::Object | Top::String),
                PacketType::Event | PacketType::Ack => top == Top::Array,
                _ => false,
            }
        }
    }
    let summary = json::check(json.as_bytes(), &Rule(packet_type))
        .map_err(|e| Error::InvalidJson {
            offset: offset.saturating_add(e.offset),
        })?
        .ok_or_else(|| Error::InvalidPayload { packet_type })?;
    if packet_type != PacketType::Event {
        return Ok(());
    }
    match summary.first {
        First::Number => Ok(()),
        First::String {
            start,
            end,
            escaped,
        } => {
            let raw = json.get(start..end).unwrap_or_default();
            let reserved = if escaped {
                // Rare: compare the unescaped name.
                let quoted = json
                    .get(start.saturating_sub(1)..end.saturating_add(1))
                    .unwrap_or_default();
                serde_json::from_str::<String>(quoted).is_ok_and(|n| is_reserved_event_name(&n))
            } else {
                is_reserved_event_name(raw)
            };
            if reserved {
                Err(Error::ReservedEventName)
            } else {
                Ok(())
            }
        }
        First::None | First::Other => Err(Error::InvalidPayload { packet_type }),
    }
}

/// The byte offset in `json` of serde_json's 1-based line and column (the
/// column counts bytes up to and including the offending one).
fn json_offset(json: &str, line: usize, column: usize) -> usize {
    let line_start = if line <= 1 {
        0
    } else {
        json.match_indices('\n')
            .nth(line - 2)
            .map_or(json.len(), |(i, _)| i + 1)
    };
    line_start
        .saturating_add(column.saturating_sub(1))
        .min(json.len())
}

struct Ctx {
    packet_type: PacketType,
    attachments: usize,
    /// The rule a visitor found broken; serde only carries a message.
    failure: Cell<Option<Error>>,
}

impl Ctx {
    fn fail<E: de::Error>(&self, error: Error) -> E {
        self.failure.set(Some(error));
        E::custom("Socket.IO payload rule broken")
    }

    fn invalid<E: de::Error>(&self) -> E {
        self.fail(Error::InvalidPayload {
            packet_type: self.packet_type,
        })
    }
}

/// The payload as a whole, by packet type.
struct TopVisitor<'c> {
    ctx: &'c Ctx,
}

impl<'de> Visitor<'de> for TopVisitor<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Socket.IO payload")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        match self.ctx.packet_type {
            PacketType::Connect | PacketType::ConnectError => {
                while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(())
            }
            _ => Err(self.ctx.invalid()),
        }
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
        match self.ctx.packet_type {
            PacketType::ConnectError => Ok(()),
            _ => Err(self.ctx.invalid()),
        }
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let ctx = self.ctx;
        match ctx.packet_type {
            PacketType::Event | PacketType::BinaryEvent => {
                if seq.next_element_seed(NameSeed { ctx })?.is_none() {
                    return Err(ctx.invalid());
                }
            }
            PacketType::Ack | PacketType::BinaryAck => {}
            _ => return Err(ctx.invalid()),
        }
        while seq.next_element_seed(ValueSeed { ctx })?.is_some() {}
        Ok(())
    }
}

/// The first element of an event: a string that is not reserved, or a
/// number. Anything else is an invalid-type error, which
/// [`validate_payload`] reports as [`Error::InvalidPayload`].
struct NameSeed<'c> {
    ctx: &'c Ctx,
}

impl<'de> DeserializeSeed<'de> for NameSeed<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for NameSeed<'_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event name")
    }

    fn visit_str<E: de::Error>(self, name: &str) -> Result<(), E> {
        if is_reserved_event_name(name) {
            Err(self.ctx.fail(Error::ReservedEventName))
        } else {
            Ok(())
        }
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
        Ok(())
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
        Ok(())
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
        Ok(())
    }
}

/// What a value is, as far as a placeholder check cares.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Shape {
    True,
    Index(u64),
    Other,
}

/// Any value; in a binary packet, every object in it is checked for the
/// placeholder rule.
#[derive(Clone, Copy)]
struct ValueSeed<'c> {
    ctx: &'c Ctx,
}

impl<'de> DeserializeSeed<'de> for ValueSeed<'_> {
    type Value = Shape;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Shape, D::Error> {
        if self.ctx.packet_type.is_binary() {
            d.deserialize_any(self)
        } else {
            // Placeholders mean nothing outside binary packets.
            d.deserialize_ignored_any(IgnoredAny).map(|_| Shape::Other)
        }
    }
}

impl<'de> Visitor<'de> for ValueSeed<'_> {
    type Value = Shape;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Shape, E> {
        Ok(if v { Shape::True } else { Shape::Other })
    }

    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Shape, E> {
        Ok(Shape::Index(v))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_str<E: de::Error>(self, _: &str) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_unit<E: de::Error>(self) -> Result<Shape, E> {
        Ok(Shape::Other)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Shape, A::Error> {
        while seq.next_element_seed(self)?.is_some() {}
        Ok(Shape::Other)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Shape, A::Error> {
        let mut placeholder_keys = 0usize;
        let mut placeholder_true = false;
        let mut num_keys = 0usize;
        let mut num = None;
        let mut other_keys = false;
        while let Some(key) = map.next_key_seed(KeySeed)? {
            let shape = map.next_value_seed(self)?;
            match key {
                Key::Placeholder => {
                    placeholder_keys = placeholder_keys.saturating_add(1);
                    placeholder_true |= shape == Shape::True;
                }
                Key::Num => {
                    num_keys = num_keys.saturating_add(1);
                    num = match shape {
                        Shape::Index(i) => Some(i),
                        _ => None,
                    };
                }
                Key::Other => other_keys = true,
            }
        }
        if placeholder_true {
            let in_range =
                num.is_some_and(|i| usize::try_from(i).is_ok_and(|i| i < self.ctx.attachments));
            if placeholder_keys != 1 || num_keys != 1 || other_keys || !in_range {
                return Err(self.ctx.fail(Error::IllegalPlaceholder));
            }
        }
        Ok(Shape::Other)
    }
}

/// An object key, as far as a placeholder check cares.
enum Key {
    Placeholder,
    Num,
    Other,
}

struct KeySeed;

impl<'de> DeserializeSeed<'de> for KeySeed {
    type Value = Key;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Key, D::Error> {
        // As a string, not as bytes: serde_json's byte strings skip the
        // check for raw control characters, which JSON forbids in keys as
        // anywhere else (a key `"a<NUL>"` was accepted, and relayed as is).
        d.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for KeySeed {
    type Value = Key;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an object key")
    }

    fn visit_bytes<E: de::Error>(self, key: &[u8]) -> Result<Key, E> {
        Ok(match key {
            b"_placeholder" => Key::Placeholder,
            b"num" => Key::Num,
            _ => Key::Other,
        })
    }

    fn visit_str<E: de::Error>(self, key: &str) -> Result<Key, E> {
        self.visit_bytes(key.as_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(packet_type: PacketType, json: &str, attachments: usize) -> Result<(), Error> {
        validate_payload(packet_type, json, attachments, 0)
    }

    #[test]
    fn shapes() {
        use PacketType::*;
        assert!(check(Connect, r#"{"token":"x"}"#, 0).is_ok());
        assert!(check(Connect, "{}", 0).is_ok());
        for bad in ["[]", "null", "\"x\"", "1", "true"] {
            assert!(
                matches!(
                    check(Connect, bad, 0),
                    Err(Error::InvalidPayload {
                        packet_type: Connect
                    })
                ),
                "{bad}"
            );
        }
        assert!(check(ConnectError, r#""nope""#, 0).is_ok());
        assert!(check(ConnectError, r#"{"message":"nope"}"#, 0).is_ok());
        assert!(matches!(
            check(ConnectError, "[]", 0),
            Err(Error::InvalidPayload { .. })
        ));
        assert!(check(Event, r#"["x",1,{"a":[]}]"#, 0).is_ok());
        assert!(check(Event, "[42]", 0).is_ok());
        assert!(check(Event, "[-4.5]", 0).is_ok());
        for bad in ["[]", "{}", "[null]", "[[\"x\"]]", "[{}]", "[true]", "\"x\""] {
            assert!(
                matches!(
                    check(Event, bad, 0),
                    Err(Error::InvalidPayload { packet_type: Event })
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            check(Event, r#"["disconnect"]"#, 0),
            Err(Error::ReservedEventName)
        ));
        assert!(matches!(
            check(Event, r#"["conn\u0065ct"]"#, 0),
            Err(Error::ReservedEventName)
        ));
        assert!(check(Ack, "[]", 0).is_ok());
        assert!(check(Ack, "[1,\"x\"]", 0).is_ok());
        assert!(matches!(
            check(Ack, "{}", 0),
            Err(Error::InvalidPayload { packet_type: Ack })
        ));
    }

    #[test]
    fn json_errors_with_offsets() {
        use PacketType::*;
        assert!(matches!(
            check(Event, r#"["x""#, 0),
            Err(Error::InvalidJson { offset: 4 })
        ));
        assert!(matches!(
            check(Event, r#"["x"]]"#, 0),
            Err(Error::InvalidJson { offset: 5 })
        ));
        assert!(matches!(
            validate_payload(Event, "[\"x\",\n tru]", 0, 10),
            Err(Error::InvalidJson { offset: 20 })
        ));
        let deep = format!("[\"x\",{}{}]", "[".repeat(200), "]".repeat(200));
        // Nesting is bounded in every packet at what serde_json can
        // deserialize (127 levels in all, counting the payload's array).
        assert!(matches!(
            check(Event, &deep, 0),
            Err(Error::InvalidJson { .. })
        ));
        assert!(matches!(
            check(BinaryEvent, &deep, 1),
            Err(Error::InvalidJson { .. })
        ));
        let fits = format!("[\"x\",{}{}]", "[".repeat(126), "]".repeat(126));
        assert!(check(Event, &fits, 0).is_ok());
        assert!(serde_json::from_str::<serde_json::Value>(&fits).is_ok());
        // Trailing whitespace is JSON; lone surrogates in skipped strings too.
        assert!(check(Event, "[\"x\",\"\\ud800\"] \n", 0).is_ok());
    }

    #[test]
    fn placeholders() {
        use PacketType::*;
        let ok = [
            r#"["x",{"_placeholder":true,"num":0}]"#,
            r#"["x",{"num":1,"_placeholder":true}]"#,
            r#"["x",[[{"a":{"_placeholder":true,"num":1}}]]]"#,
            r#"["x",{"_placeholder":false,"num":7,"extra":1}]"#,
            r#"["x",{"_placeholder":1,"num":-1}]"#,
            r#"["x",{"_placeholder":"true"}]"#,
        ];
        for json in ok {
            assert!(check(BinaryEvent, json, 2).is_ok(), "{json}");
        }
        let illegal = [
            r#"["x",{"_placeholder":true,"num":2}]"#,
            r#"["x",{"_placeholder":true,"num":-1}]"#,
            r#"["x",{"_placeholder":true,"num":1.0}]"#,
            r#"["x",{"_placeholder":true,"num":"0"}]"#,
            r#"["x",{"_placeholder":true}]"#,
            r#"["x",{"_placeholder":true,"num":0,"x":1}]"#,
            r#"["x",{"x":1,"_placeholder":true,"num":0}]"#,
            r#"["x",{"_placeholder":true,"num":0,"num":1}]"#,
            r#"["x",{"_placeholder":true,"_placeholder":true,"num":0}]"#,
            r#"["x",{"_placeholder":false,"num":{"_placeholder":true,"num":5}}]"#,
            r#"["x",{"_placeholder":true,"num":18446744073709551616}]"#,
        ];
        for json in illegal {
            assert!(
                matches!(check(BinaryEvent, json, 2), Err(Error::IllegalPlaceholder)),
                "{json}"
            );
        }
        // Outside binary packets a placeholder is an ordinary object.
        assert!(check(Event, r#"["x",{"_placeholder":true,"num":9}]"#, 0).is_ok());
        assert!(check(BinaryAck, r#"[{"_placeholder":true,"num":0}]"#, 1).is_ok());
        assert!(matches!(
            check(BinaryAck, r#"[{"_placeholder":true,"num":1}]"#, 1),
            Err(Error::IllegalPlaceholder)
        ));
    }
}
