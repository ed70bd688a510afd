//! [`Packet`]: one Socket.IO v5 packet, its text form and its parser.

use std::borrow::Cow;
use std::fmt;
use std::fmt::Write as _;

use bytes::Bytes;
use serde::de::{self, Deserialize, Deserializer, Visitor};
use serde::Serialize;

use crate::payload::{utf8, Payload};
use crate::ser::{to_json_with_attachments, Attachments};
use crate::validate::validate_payload;
use crate::{Error, Utf8Bytes};

/// The event names an application may not use: the reference
/// implementations give them a meaning of their own, and reject events so
/// named.
pub const RESERVED_EVENT_NAMES: [&str; 6] = [
    "connect",
    "connect_error",
    "disconnect",
    "disconnecting",
    "newListener",
    "removeListener",
];

/// Whether `name` is one of [`RESERVED_EVENT_NAMES`].
pub fn is_reserved_event_name(name: &str) -> bool {
    RESERVED_EVENT_NAMES.contains(&name)
}

/// The largest ack id: 2^53 - 1, JavaScript's `Number.MAX_SAFE_INTEGER`.
pub const MAX_ACK_ID: u64 = (1 << 53) - 1;

/// The main namespace, `/`, which the wire format leaves out.
pub const MAIN_NAMESPACE: &str = "/";

/// The seven Socket.IO v5 packet types, with their digit on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum PacketType {
    /// `0`: connect to a namespace (client, with optional auth data) or
    /// accept the connection (server, with `{"sid":..}`).
    Connect = 0,
    /// `1`: leave a namespace.
    Disconnect = 1,
    /// `2`: an event, `[name, ...args]`.
    Event = 2,
    /// `3`: the answer to an event that asked for one, `[...args]`.
    Ack = 3,
    /// `4`: the server refuses a connection, `{"message":..}`.
    ConnectError = 4,
    /// `5`: an event with binary attachments.
    BinaryEvent = 5,
    /// `6`: an ack with binary attachments.
    BinaryAck = 6,
}

impl PacketType {
    /// The type for its wire digit (`b'0'`..=`b'6'`).
    pub fn from_digit(byte: u8) -> Option<PacketType> {
        Some(match byte {
            b'0' => PacketType::Connect,
            b'1' => PacketType::Disconnect,
            b'2' => PacketType::Event,
            b'3' => PacketType::Ack,
            b'4' => PacketType::ConnectError,
            b'5' => PacketType::BinaryEvent,
            b'6' => PacketType::BinaryAck,
            _ => return None,
        })
    }

    /// The wire digit, `b'0'`..=`b'6'`.
    pub fn digit(self) -> u8 {
        b'0' + self as u8
    }

    /// Whether this is `BINARY_EVENT` or `BINARY_ACK`.
    pub fn is_binary(self) -> bool {
        matches!(self, PacketType::BinaryEvent | PacketType::BinaryAck)
    }

    /// The protocol's name of the type, `CONNECT` .. `BINARY_ACK`.
    pub fn name(self) -> &'static str {
        match self {
            PacketType::Connect => "CONNECT",
            PacketType::Disconnect => "DISCONNECT",
            PacketType::Event => "EVENT",
            PacketType::Ack => "ACK",
            PacketType::ConnectError => "CONNECT_ERROR",
            PacketType::BinaryEvent => "BINARY_EVENT",
            PacketType::BinaryAck => "BINARY_ACK",
        }
    }
}

impl fmt::Display for PacketType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The name of an event: a string, or (the reference parser accepts it) a
/// number.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventName<'a> {
    /// A string name, borrowed from the payload unless it has escapes.
    Str(Cow<'a, str>),
    /// A numeric name.
    Number(serde_json::Number),
}

impl EventName<'_> {
    /// The name if it is a string.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            EventName::Str(s) => Some(s),
            EventName::Number(_) => None,
        }
    }

    /// The name, owning its string.
    pub fn into_owned(self) -> EventName<'static> {
        match self {
            EventName::Str(s) => EventName::Str(Cow::Owned(s.into_owned())),
            EventName::Number(n) => EventName::Number(n),
        }
    }
}

impl<'de> Deserialize<'de> for EventName<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct NameVisitor;
        impl<'de> Visitor<'de> for NameVisitor {
            type Value = EventName<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or a number")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(EventName::Str(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                Ok(EventName::Str(Cow::Owned(v.to_owned())))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
                Ok(EventName::Number(v.into()))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
                Ok(EventName::Number(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
                serde_json::Number::from_f64(v)
                    .map(EventName::Number)
                    .ok_or_else(|| E::custom("non-finite number"))
            }
        }
        d.deserialize_any(NameVisitor)
    }
}

/// One Socket.IO v5 packet.
///
/// Wire format (the packet is the text of one Engine.IO message; a binary
/// packet's attachments follow as that many binary messages):
///
/// ```text
/// <type digit>[<attachments>-][<namespace>,][<ack id>][<JSON payload>]
/// ```
///
/// | type | payload | ack id |
/// |---|---|---|
/// | `0` CONNECT | optional, an object | no |
/// | `1` DISCONNECT | none | no |
/// | `2` EVENT / `5` BINARY_EVENT | a non-empty array; first a string (not one of [`RESERVED_EVENT_NAMES`]) or a number | optional |
/// | `3` ACK / `6` BINARY_ACK | an array | required |
/// | `4` CONNECT_ERROR | a string or an object (required) | no |
///
/// The main namespace `/` is left out; another namespace starts with `/`
/// right after the type (and attachment count) and runs to the first `,`
/// or the end. The ack id is decimal, at most [`MAX_ACK_ID`].
///
/// A packet is valid by construction: decoded ones were checked by
/// [`PacketDecoder`](crate::PacketDecoder), built ones by their
/// constructors, so encoding cannot fail. A packet whose payload has
/// attachments is a `BINARY_EVENT` / `BINARY_ACK`, one without is an
/// `EVENT` / `ACK`, whichever constructor built it.
///
/// # Stricter than the reference parser
///
/// Rules the reference `socket.io-parser` (4.2) does not check, refused
/// here: an ack id on CONNECT, DISCONNECT and CONNECT_ERROR; an ACK without
/// one; a CONNECT_ERROR without payload; leading zeros in the attachment
/// count and the ack id, and ack ids above [`MAX_ACK_ID`]; an attachment
/// count on a non-binary packet; whitespace before the payload (which the
/// reference reads as ack id 0); an object with `"_placeholder": true` that
/// is not exactly `{"_placeholder":true,"num":i}` with an integer `i` below
/// the attachment count (the reference checks only `num`).
#[derive(Clone, Debug)]
pub struct Packet {
    packet_type: PacketType,
    namespace: Utf8Bytes,
    ack_id: Option<u64>,
    payload: Option<Payload>,
    /// The whole text, when a constructor wrote it in one buffer (then
    /// encoding is a reference-count bump).
    text: Option<Utf8Bytes>,
}

/// Packets are equal when their fields are (however they were built).
impl PartialEq for Packet {
    fn eq(&self, other: &Packet) -> bool {
        self.packet_type == other.packet_type
            && self.namespace == other.namespace
            && self.ack_id == other.ack_id
            && self.payload == other.payload
    }
}

impl Eq for Packet {}

impl Packet {
    /// A CONNECT packet without data (a client connecting without auth).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidNamespace`].
    pub fn connect(namespace: impl Into<Utf8Bytes>) -> Result<Packet, Error> {
        Packet::new(PacketType::Connect, namespace.into(), None, None)
    }

    /// A CONNECT packet with data: a client's auth, or the server's
    /// `{"sid":..}`. Byte strings in `data` are written as arrays of
    /// numbers (CONNECT has no attachments).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidNamespace`]; [`Error::OutgoingInvalidPayload`] if
    /// `data` does not serialize to a map; [`Error::Serialize`].
    pub fn connect_with<T: Serialize + ?Sized>(
        namespace: impl Into<Utf8Bytes>,
        data: &T,
    ) -> Result<Packet, Error> {
        let payload = plain_payload(PacketType::Connect, data, |b| b == b'{')?;
        Packet::new(PacketType::Connect, namespace.into(), None, Some(payload))
    }

    /// A DISCONNECT packet.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidNamespace`].
    pub fn disconnect(namespace: impl Into<Utf8Bytes>) -> Result<Packet, Error> {
        Packet::new(PacketType::Disconnect, namespace.into(), None, None)
    }

    /// An EVENT packet `[name, ...args]`, or a BINARY_EVENT if `args`
    /// holds byte strings (see [`Payload::from_serialize`]).
    ///
    /// `args` is the list of arguments: anything that serializes to a
    /// sequence (a tuple such as `("a", 1)` or `(value,)`, a `Vec`, an
    /// array); `()` means no arguments.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidNamespace`]; [`Error::OutgoingReservedEventName`];
    /// [`Error::OutgoingInvalidPayload`] if `args` is not a sequence;
    /// [`Error::Serialize`].
    pub fn event<A: Serialize + ?Sized>(
        namespace: impl Into<Utf8Bytes>,
        name: &str,
        args: &A,
    ) -> Result<Packet, Error> {
        Packet::event_inner(namespace.into(), name, args, None)
    }

    /// An EVENT (or BINARY_EVENT) packet that asks for an ack with `ack_id`.
    ///
    /// # Errors
    ///
    /// As [`Packet::event`], and [`Error::OutgoingInvalidAckId`] if
    /// `ack_id` exceeds [`MAX_ACK_ID`].
    pub fn event_with_ack<A: Serialize + ?Sized>(
        namespace: impl Into<Utf8Bytes>,
        name: &str,
        args: &A,
        ack_id: u64,
    ) -> Result<Packet, Error> {
        Packet::event_inner(namespace.into(), name, args, Some(ack_id))
    }

    fn event_inner<A: Serialize + ?Sized>(
        namespace: Utf8Bytes,
        name: &str,
        args: &A,
        ack_id: Option<u64>,
    ) -> Result<Packet, Error> {
        if is_reserved_event_name(name) {
            return Err(Error::OutgoingReservedEventName);
        }
        check_header(&namespace, ack_id)?;
        // The whole packet text in one buffer: header, then the JSON.
        let mut out = Vec::with_capacity(namespace.len() + name.len() + 64);
        let json_start = write_header(&mut out, b'2', &namespace, ack_id);
        out.push(b'[');
        serde_json::to_writer(&mut out, name).map_err(Error::Serialize)?;
        let at = out.len();
        let attachments = Attachments::default();
        to_json_with_attachments(args, &mut out, &attachments).map_err(Error::Serialize)?;
        // `["name"` + `[a,b]` → `["name",a,b]`; `[]` or `null` → `["name"]`.
        match out.get(at..) {
            Some(b"[]" | b"null") => {
                out.truncate(at);
                out.push(b']');
            }
            Some([b'[', ..]) => {
                if let Some(b) = out.get_mut(at) {
                    *b = b',';
                }
            }
            _ => {
                return Err(Error::OutgoingInvalidPayload {
                    packet_type: PacketType::Event,
                })
            }
        }
        let attachments = attachments.take();
        let packet_type = if attachments.is_empty() {
            PacketType::Event
        } else {
            PacketType::BinaryEvent
        };
        Packet::from_text(packet_type, namespace, ack_id, out, json_start, attachments)
    }

    /// A packet whose text (header and JSON, written for a non-binary
    /// type) is `out`, the JSON from `json_start`: the header becomes the
    /// binary type's if there are attachments, and the text is kept for
    /// [`encode_text`](Self::encode_text).
    fn from_text(
        packet_type: PacketType,
        namespace: Utf8Bytes,
        ack_id: Option<u64>,
        mut out: Vec<u8>,
        mut json_start: usize,
        attachments: Vec<Bytes>,
    ) -> Result<Packet, Error> {
        if !attachments.is_empty() {
            // `2...` → `5<n>-...` (a small move of the header and JSON,
            // rare next to the attachments themselves).
            let count = format!("{}-", attachments.len());
            if let Some(t) = out.first_mut() {
                *t = packet_type.digit();
            }
            out.splice(1..1, count.bytes());
            json_start += count.len();
        }
        let text = Utf8Bytes::try_from(Bytes::from(out)).map_err(|_| {
            Error::Serialize(<serde_json::Error as serde::ser::Error>::custom(
                "serializer wrote invalid UTF-8",
            ))
        })?;
        let json = text
            .slice(json_start..text.len())
            .ok_or_else(|| Error::OutgoingInvalidPayload { packet_type })?;
        Ok(Packet {
            packet_type,
            namespace,
            ack_id,
            payload: Some(Payload { json, attachments }),
            text: Some(text),
        })
    }

    /// This EVENT or BINARY_EVENT with the string `arg` appended as its
    /// last argument (connection state recovery's offset), or `None` for
    /// another packet type.
    #[cfg(feature = "server")]
    pub(crate) fn with_last_arg(&self, arg: &str) -> Option<Packet> {
        if !self.is_event() {
            return None;
        }
        let json = self.payload.as_ref()?.json.as_bytes();
        let body = json.strip_suffix(b"]")?;
        let mut out = Vec::with_capacity(self.text_len() + arg.len() + 4);
        let json_start = write_header(&mut out, b'2', &self.namespace, self.ack_id);
        out.extend_from_slice(body);
        out.push(b',');
        serde_json::to_writer(&mut out, arg).ok()?;
        out.push(b']');
        Packet::from_text(
            self.packet_type,
            self.namespace.clone(),
            self.ack_id,
            out,
            json_start,
            self.attachments().to_vec(),
        )
        .ok()
    }

    /// An ACK packet `[...args]` answering the event with `ack_id`, or a
    /// BINARY_ACK if `args` holds byte strings. `args` as in
    /// [`Packet::event`].
    ///
    /// # Errors
    ///
    /// [`Error::InvalidNamespace`]; [`Error::OutgoingInvalidAckId`];
    /// [`Error::OutgoingInvalidPayload`] if `args` is not a sequence;
    /// [`Error::Serialize`].
    pub fn ack<A: Serialize + ?Sized>(
        namespace: impl Into<Utf8Bytes>,
        ack_id: u64,
        args: &A,
    ) -> Result<Packet, Error> {
        let namespace = namespace.into();
        check_header(&namespace, Some(ack_id))?;
        let mut out = Vec::with_capacity(namespace.len() + 64);
        let json_start = write_header(&mut out, b'3', &namespace, Some(ack_id));
        let attachments = Attachments::default();
        to_json_with_attachments(args, &mut out, &attachments).map_err(Error::Serialize)?;
        match out.get(json_start..) {
            Some(b"null") => {
                out.truncate(json_start);
                out.extend_from_slice(b"[]");
            }
            Some([b'[', ..]) => {}
            _ => {
                return Err(Error::OutgoingInvalidPayload {
                    packet_type: PacketType::Ack,
                })
            }
        }
        let attachments = attachments.take();
        let packet_type = if attachments.is_empty() {
            PacketType::Ack
        } else {
            PacketType::BinaryAck
        };
        Packet::from_text(
            packet_type,
            namespace,
            Some(ack_id),
            out,
            json_start,
            attachments,
        )
    }

    /// A CONNECT_ERROR packet `{"message":..}`, the form Socket.IO v5
    /// servers send.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidNamespace`].
    pub fn connect_error(namespace: impl Into<Utf8Bytes>, message: &str) -> Result<Packet, Error> {
        #[derive(Serialize)]
        struct Message<'a> {
            message: &'a str,
        }
        Packet::connect_error_with(namespace, &Message { message })
    }

    /// A CONNECT_ERROR packet with any data that serializes to a string or
    /// a map (for example `{"message":..,"data":..}`).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidNamespace`]; [`Error::OutgoingInvalidPayload`];
    /// [`Error::Serialize`].
    pub fn connect_error_with<T: Serialize + ?Sized>(
        namespace: impl Into<Utf8Bytes>,
        data: &T,
    ) -> Result<Packet, Error> {
        let payload = plain_payload(PacketType::ConnectError, data, |b| b == b'{' || b == b'"')?;
        Packet::new(
            PacketType::ConnectError,
            namespace.into(),
            None,
            Some(payload),
        )
    }

    fn new(
        packet_type: PacketType,
        namespace: Utf8Bytes,
        ack_id: Option<u64>,
        payload: Option<Payload>,
    ) -> Result<Packet, Error> {
        if !namespace.starts_with('/') || namespace.contains(',') {
            return Err(Error::InvalidNamespace);
        }
        if ack_id.is_some_and(|id| id > MAX_ACK_ID) {
            return Err(Error::OutgoingInvalidAckId);
        }
        Ok(Packet {
            packet_type,
            namespace,
            ack_id,
            payload,
            text: None,
        })
    }

    /// The packet type (binary if and only if there are attachments).
    pub fn packet_type(&self) -> PacketType {
        self.packet_type
    }

    /// The namespace, `/` for the main one.
    pub fn namespace(&self) -> &Utf8Bytes {
        &self.namespace
    }

    /// The ack id: on an event, the id its ack must carry; on an ack, the id
    /// of the event it answers.
    pub fn ack_id(&self) -> Option<u64> {
        self.ack_id
    }

    /// The payload, if any.
    pub fn payload(&self) -> Option<&Payload> {
        self.payload.as_ref()
    }

    /// The payload, taking it out of the packet.
    pub fn into_payload(self) -> Option<Payload> {
        self.payload
    }

    /// The binary attachments (empty unless a binary packet).
    pub fn attachments(&self) -> &[Bytes] {
        self.payload
            .as_ref()
            .map_or(&[][..], |p| p.attachments.as_slice())
    }

    /// Whether this is an event (binary or not).
    pub fn is_event(&self) -> bool {
        matches!(
            self.packet_type,
            PacketType::Event | PacketType::BinaryEvent
        )
    }

    /// Whether this is an ack (binary or not).
    pub fn is_ack(&self) -> bool {
        matches!(self.packet_type, PacketType::Ack | PacketType::BinaryAck)
    }

    /// An event's name (the first element of its payload), read from the
    /// text without parsing the arguments; `None` for other packets.
    pub fn event_name(&self) -> Option<EventName<'_>> {
        if !self.is_event() {
            return None;
        }
        let json = self.payload.as_ref()?.json.as_str();
        // The usual form, `["name",...` with no escape in the name: the name
        // is the text up to the next quote (the payload was validated).
        if let Some(rest) = json.strip_prefix("[\"") {
            if let Some(end) = rest.bytes().position(|c| c == b'"' || c == b'\\') {
                if rest.as_bytes().get(end) == Some(&b'"') {
                    return rest.get(..end).map(|n| EventName::Str(Cow::Borrowed(n)));
                }
            }
        }
        let rest = json.trim_start().strip_prefix('[')?;
        serde_json::Deserializer::from_str(rest)
            .into_iter::<EventName<'_>>()
            .next()?
            .ok()
    }

    /// An event's arguments (the payload after the name), deserialized
    /// straight from the text into `T` as a sequence: a tuple such as
    /// `(String, u32)`, a `Vec`, a struct (its fields in order). Arguments
    /// past those `T` takes are ignored, as a JavaScript handler ignores
    /// them. Attachments are put back as in [`Payload::deserialize`].
    ///
    /// # Errors
    ///
    /// [`Error::WrongPacketType`] if this is not an event;
    /// [`Error::Deserialize`] if the arguments do not fit `T`.
    pub fn args<'a, T: Deserialize<'a>>(&'a self) -> Result<T, Error> {
        if !self.is_event() {
            return Err(self.wrong_type());
        }
        self.elements(1)
    }

    /// An ack's arguments (the whole payload), as a sequence, as
    /// [`Packet::args`].
    ///
    /// # Errors
    ///
    /// [`Error::WrongPacketType`] if this is not an ack;
    /// [`Error::Deserialize`] if the arguments do not fit `T`.
    pub fn ack_args<'a, T: Deserialize<'a>>(&'a self) -> Result<T, Error> {
        if !self.is_ack() {
            return Err(self.wrong_type());
        }
        self.elements(0)
    }

    fn elements<'a, T: Deserialize<'a>>(&'a self, skip: usize) -> Result<T, Error> {
        let payload = self.payload.as_ref().ok_or_else(|| self.wrong_type())?;
        crate::de::from_json_elements(&payload.json, &payload.attachments, skip)
            .map_err(Error::Deserialize)
    }

    /// The whole payload deserialized into `T` (CONNECT data,
    /// CONNECT_ERROR data, or an event's or ack's whole array), `None` if
    /// there is no payload. See [`Payload::deserialize`].
    ///
    /// # Errors
    ///
    /// [`Error::Deserialize`] if the payload does not fit `T`.
    pub fn data<'a, T: Deserialize<'a>>(&'a self) -> Result<Option<T>, Error> {
        self.payload.as_ref().map(Payload::deserialize).transpose()
    }

    fn wrong_type(&self) -> Error {
        Error::WrongPacketType {
            packet_type: self.packet_type,
        }
    }

    /// The length of the packet's text form, in bytes.
    pub fn text_len(&self) -> usize {
        let mut len = 1;
        if self.packet_type.is_binary() {
            len += decimal_len(self.attachments().len() as u64) + 1;
        }
        if self.namespace != MAIN_NAMESPACE {
            len += self.namespace.len() + 1;
        }
        if let Some(id) = self.ack_id {
            len += decimal_len(id);
        }
        len + self.payload.as_ref().map_or(0, |p| p.json.len())
    }

    /// Appends the packet's text form to `out`: header, then the payload
    /// text as it is (a decoded packet is written back byte for byte, except
    /// that a namespace is always followed by `,`).
    pub fn write_text(&self, out: &mut String) {
        out.push(char::from(self.packet_type.digit()));
        if self.packet_type.is_binary() {
            // Writing to a String cannot fail.
            let _ = write!(out, "{}-", self.attachments().len());
        }
        if self.namespace != MAIN_NAMESPACE {
            out.push_str(&self.namespace);
            out.push(',');
        }
        if let Some(id) = self.ack_id {
            let _ = write!(out, "{id}");
        }
        if let Some(payload) = &self.payload {
            out.push_str(&payload.json);
        }
    }

    /// The packet's text form, in one buffer of the exact size.
    pub fn encode_text(&self) -> Utf8Bytes {
        if let Some(text) = &self.text {
            return text.clone();
        }
        let mut out = String::with_capacity(self.text_len());
        self.write_text(&mut out);
        Utf8Bytes::from(out)
    }

    /// The packet as Engine.IO messages: the text, then the attachments to
    /// send as binary messages in this order (shared, not copied).
    pub fn encode(&self) -> (Utf8Bytes, Vec<Bytes>) {
        (self.encode_text(), self.attachments().to_vec())
    }

    /// Parses the text of a packet. Returns the packet (its attachments
    /// still to come) and how many attachments it announced.
    #[inline]
    pub(crate) fn parse(
        text: &Utf8Bytes,
        max_attachments: usize,
    ) -> Result<(Packet, usize), Error> {
        let b = text.as_bytes();
        let (&first, _) = b.split_first().ok_or(Error::EmptyPacket)?;
        let packet_type =
            PacketType::from_digit(first).ok_or(Error::UnknownPacketType { byte: first })?;
        let mut i = 1;

        // `<n>-`
        let mut attachments = 0;
        let digits = digits_at(b, i);
        if packet_type.is_binary() {
            let count = digits.iter().fold(0u64, |n, d| {
                n.saturating_mul(10).saturating_add(u64::from(d - b'0'))
            });
            let dash = b.get(i + digits.len()) == Some(&b'-');
            if !dash || count == 0 || digits.first() == Some(&b'0') {
                return Err(Error::InvalidAttachmentCount);
            }
            attachments = usize::try_from(count)
                .ok()
                .filter(|&n| n <= max_attachments)
                .ok_or(Error::TooManyAttachments {
                    count,
                    max: max_attachments,
                })?;
            i += digits.len() + 1;
        } else if !digits.is_empty() && b.get(i + digits.len()) == Some(&b'-') {
            return Err(Error::UnexpectedAttachmentCount { packet_type });
        }

        // `<namespace>,`
        let namespace = if b.get(i) == Some(&b'/') {
            let end = b
                .get(i..)
                .and_then(|rest| rest.iter().position(|&c| c == b','))
                .map_or(b.len(), |p| i + p);
            let namespace = slice(text, i, end, packet_type)?;
            i = (end + 1).min(b.len());
            namespace
        } else {
            Utf8Bytes::from_static(MAIN_NAMESPACE)
        };

        // `<ack id>`
        let digits = digits_at(b, i);
        let ack_id = if digits.is_empty() {
            None
        } else {
            if digits.len() > 1 && digits.first() == Some(&b'0') {
                return Err(Error::InvalidAckId);
            }
            let id = digits
                .iter()
                .try_fold(0u64, |n, d| {
                    n.checked_mul(10)
                        .and_then(|n| n.checked_add(u64::from(d - b'0')))
                        .filter(|&n| n <= MAX_ACK_ID)
                })
                .ok_or(Error::InvalidAckId)?;
            i += digits.len();
            Some(id)
        };
        match packet_type {
            PacketType::Connect | PacketType::Disconnect | PacketType::ConnectError
                if ack_id.is_some() =>
            {
                return Err(Error::UnexpectedAckId { packet_type })
            }
            PacketType::Ack | PacketType::BinaryAck if ack_id.is_none() => {
                return Err(Error::MissingAckId { packet_type })
            }
            _ => {}
        }

        // `<JSON payload>`
        let payload = if i < b.len() {
            if packet_type == PacketType::Disconnect {
                return Err(Error::InvalidPayload { packet_type });
            }
            if matches!(b.get(i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                return Err(Error::InvalidJson { offset: i });
            }
            let json = slice(text, i, b.len(), packet_type)?;
            validate_payload(packet_type, &json, attachments, i)?;
            Some(Payload {
                json,
                attachments: Vec::with_capacity(attachments),
            })
        } else {
            if !matches!(packet_type, PacketType::Connect | PacketType::Disconnect) {
                return Err(Error::InvalidPayload { packet_type });
            }
            None
        };
        let packet = Packet {
            packet_type,
            namespace,
            ack_id,
            payload,
            text: None,
        };
        Ok((packet, attachments))
    }

    /// Adds a received attachment (decoder only).
    pub(crate) fn push_attachment(&mut self, data: Bytes) {
        if let Some(payload) = &mut self.payload {
            payload.attachments.push(data);
        }
    }
}

/// The run of ASCII digits at `b[i..]`.
fn digits_at(b: &[u8], i: usize) -> &[u8] {
    let rest = b.get(i..).unwrap_or_default();
    let len = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    rest.get(..len).unwrap_or_default()
}

/// `text[start..end]`, shared. The bounds are next to ASCII bytes or at the
/// end, so always on character boundaries.
fn slice(
    text: &Utf8Bytes,
    start: usize,
    end: usize,
    packet_type: PacketType,
) -> Result<Utf8Bytes, Error> {
    text.slice(start..end)
        .ok_or_else(|| Error::InvalidPayload { packet_type })
}

/// The checks [`Packet::new`] makes, for the constructors that write the
/// header themselves.
fn check_header(namespace: &str, ack_id: Option<u64>) -> Result<(), Error> {
    if !namespace.starts_with('/') || namespace.contains(',') {
        return Err(Error::InvalidNamespace);
    }
    if ack_id.is_some_and(|id| id > MAX_ACK_ID) {
        return Err(Error::OutgoingInvalidAckId);
    }
    Ok(())
}

/// Writes `<digit>[<nsp>,][<id>]`; returns where the JSON starts.
fn write_header(out: &mut Vec<u8>, digit: u8, namespace: &str, ack_id: Option<u64>) -> usize {
    out.push(digit);
    if namespace != MAIN_NAMESPACE {
        out.extend_from_slice(namespace.as_bytes());
        out.push(b',');
    }
    if let Some(id) = ack_id {
        let mut digits = [0u8; 20];
        let mut n = id;
        let mut i = digits.len();
        loop {
            i -= 1;
            if let Some(d) = digits.get_mut(i) {
                *d = b'0' + (n % 10) as u8;
            }
            n /= 10;
            if n == 0 {
                break;
            }
        }
        out.extend_from_slice(digits.get(i..).unwrap_or_default());
    }
    out.len()
}

fn decimal_len(mut n: u64) -> usize {
    let mut len = 1;
    while n >= 10 {
        n /= 10;
        len += 1;
    }
    len
}

/// A payload without attachments whose JSON starts with a byte `ok` accepts.
fn plain_payload<T: Serialize + ?Sized>(
    packet_type: PacketType,
    data: &T,
    ok: impl Fn(u8) -> bool,
) -> Result<Payload, Error> {
    let out = serde_json::to_vec(data).map_err(Error::Serialize)?;
    if !out.first().copied().is_some_and(ok) {
        return Err(Error::OutgoingInvalidPayload { packet_type });
    }
    Ok(Payload {
        json: utf8(out)?,
        attachments: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<(Packet, usize), Error> {
        Packet::parse(&Utf8Bytes::from(s), 10)
    }

    #[test]
    fn types_round_trip() {
        for d in b'0'..=b'6' {
            let t = PacketType::from_digit(d).expect("type");
            assert_eq!(t.digit(), d);
        }
        assert_eq!(PacketType::from_digit(b'7'), None);
        assert_eq!(PacketType::ConnectError.to_string(), "CONNECT_ERROR");
    }

    #[test]
    fn header_fields() {
        let (p, n) = parse(r#"2/admin,12["x"]"#).expect("event");
        assert_eq!(
            (p.namespace().as_str(), p.ack_id(), n),
            ("/admin", Some(12), 0)
        );
        let (p, n) = parse(r#"51-/a,0[1,{"_placeholder":true,"num":0}]"#).expect("binary");
        assert_eq!((p.namespace().as_str(), p.ack_id(), n), ("/a", Some(0), 1));
        assert_eq!(
            p.payload().map(|p| p.attachments.capacity() >= 1),
            Some(true)
        );
        let (p, _) = parse("0/admin").expect("no comma");
        assert_eq!(p.namespace(), "/admin");
        assert!(p.payload().is_none());
    }

    #[test]
    fn decimal_lengths() {
        for n in [0, 9, 10, 99, 100, MAX_ACK_ID, u64::MAX] {
            assert_eq!(decimal_len(n), n.to_string().len());
        }
    }
}
