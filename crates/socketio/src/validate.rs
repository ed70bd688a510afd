//! The one validating pass over a decoded payload.
//!
//! [`crate::json`] checks the JSON syntax in one forward pass without serde
//! and without building a tree, and, in a binary packet, every object
//! against the placeholder rule; the packet type's rules then apply to what
//! it reports about the top level.

use crate::json::{self, First, JsonError, Top};
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
    struct Rule(PacketType);
    impl json::TopRule for Rule {
        fn top(&self, top: Top) -> bool {
            match self.0 {
                PacketType::Connect => top == Top::Object,
                PacketType::ConnectError => matches!(top, Top::Object | Top::String),
                PacketType::Event
                | PacketType::Ack
                | PacketType::BinaryEvent
                | PacketType::BinaryAck => top == Top::Array,
                PacketType::Disconnect => false,
            }
        }
    }
    let placeholders = packet_type.is_binary().then_some(attachments);
    let summary = json::check(json.as_bytes(), &Rule(packet_type), placeholders)
        .map_err(|e| match e {
            JsonError::Syntax(e) => Error::InvalidJson {
                offset: offset.saturating_add(e.offset),
            },
            JsonError::IllegalPlaceholder => Error::IllegalPlaceholder,
        })?
        .ok_or_else(|| Error::InvalidPayload { packet_type })?;
    if !matches!(packet_type, PacketType::Event | PacketType::BinaryEvent) {
        return Ok(());
    }
    match summary.first {
        First::Number => Ok(()),
        First::String {
            start,
            end,
            escaped,
        } => {
            let reserved = if escaped {
                // Rare: compare the unescaped name.
                let quoted = json
                    .get(start.saturating_sub(1)..end.saturating_add(1))
                    .unwrap_or_default();
                serde_json::from_str::<String>(quoted).is_ok_and(|n| is_reserved_event_name(&n))
            } else {
                is_reserved_event_name(json.get(start..end).unwrap_or_default())
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

    #[test]
    fn binary_and_plain_packets_accept_the_same_json() {
        use PacketType::*;
        // What JSON.parse accepts: lone surrogate escapes, huge numbers.
        let odd = r#"["x","\ud800",1e400,-0.0]"#;
        assert!(check(Event, odd, 0).is_ok());
        let odd_binary = r#"["x","\ud800",1e400,{"_placeholder":true,"num":0}]"#;
        assert!(check(BinaryEvent, odd_binary, 1).is_ok());
        // An escaped key is the same key.
        assert!(check(
            BinaryEvent,
            r#"["x",{"\u005fplaceholder":true,"num":0}]"#,
            1
        )
        .is_ok());
        assert!(matches!(
            check(
                BinaryEvent,
                r#"["x",{"\u005fplaceholder":true,"num":1}]"#,
                1
            ),
            Err(Error::IllegalPlaceholder)
        ));
        // Placeholders mean nothing outside binary packets.
        assert!(check(Event, r#"["x",{"_placeholder":true,"num":9,"y":1}]"#, 0).is_ok());
        // `num` is plain digits.
        for num in ["1.0", "-0", "1e0", "\"0\"", "null"] {
            let json = format!(r#"["x",{{"_placeholder":true,"num":{num}}}]"#);
            assert!(
                matches!(check(BinaryEvent, &json, 2), Err(Error::IllegalPlaceholder)),
                "{num}"
            );
        }
        // Nested placeholders inside objects and arrays, in any key order.
        let nested = r#"["x",{"a":[{"num":1,"_placeholder":true}],"b":{"c":{"_placeholder":true,"num":0}}}]"#;
        assert!(check(BinaryEvent, nested, 2).is_ok());
        assert!(matches!(
            check(BinaryEvent, nested, 1),
            Err(Error::IllegalPlaceholder)
        ));
    }
}
