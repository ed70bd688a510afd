//! A small Socket.IO v5 client over the Engine.IO v4 WebSocket transport,
//! for `tether connect` and `tether load`.
//!
//! It speaks WebSocket with `tether-ws` and Socket.IO with
//! `tether-socketio`'s [`Packet`] and [`PacketDecoder`], and handles one
//! namespace per connection: the Engine.IO open packet, CONNECT with
//! optional auth (answered by CONNECT or CONNECT_ERROR), events and acks
//! both ways with binary attachments, the heartbeat (every ping answered;
//! no packet for `pingInterval + pingTimeout` is a `ping timeout`), and
//! the reasons for a disconnect as `socket.io-client` names them. No
//! long-polling, no reconnection, no connection state recovery: a fuller
//! Rust client is planned in `tether-socketio`.
//!
//! | state | event | result |
//! |---|---|---|
//! | opening | `0{...}` (Engine.IO open) | CONNECT sent, connecting |
//! | connecting | CONNECT | [`Client::connect`] returns the client |
//! | connecting | CONNECT_ERROR | [`ClientError::Refused`] with its data |
//! | connected | EVENT / ACK on the namespace | [`Incoming::Event`] / [`Incoming::Ack`] |
//! | connected | Engine.IO ping | pong sent, nothing returned |
//! | connected | DISCONNECT on the namespace | [`Incoming::Disconnected`] (`io server disconnect`) |
//! | connected | Engine.IO close, WebSocket close or end | [`Incoming::Disconnected`] (`transport close`) |
//! | connected | nothing for `pingInterval + pingTimeout` | [`Incoming::Disconnected`] (`ping timeout`) |
//! | any | undecodable packet | [`Incoming::Disconnected`] (`parse error`) |
//!
//! # Binary data as JSON
//!
//! [`event_json`] and [`ack_json`] show a received attachment as the
//! object `{"_binary": "<base64>"}` (standard alphabet, padded) in the
//! place of its placeholder, and [`JsonArgs`] turns such an object in
//! outgoing arguments back into a binary attachment.

use std::fmt;
use std::time::Duration;

use base64::Engine as _;
use bytes::Bytes;
use futures::{SinkExt, StreamExt};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::Serialize;
use serde_json::Value;
use tether_socketio::{EnginePacket, Packet, PacketDecoder, PacketType, Utf8Bytes, MAIN_NAMESPACE};
use tether_ws::{Message, WebSocketConfig};
use tokio::time::Instant;

/// A client WebSocket connection as `tether_ws::connect` opens it.
pub type Ws = tether_ws::WebSocketStream<tether_ws::MaybeTlsStream>;

/// The key of the object that stands for binary data in JSON
/// (`{"_binary": "<base64>"}`).
pub const BINARY_KEY: &str = "_binary";

/// Where and how to connect.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub struct Options {
    /// The server: `http://host:port[/namespace]` or `https://...`
    /// (`ws://` and `wss://` are taken as they are). A path other than `/`
    /// is the namespace, as `socket.io-client`'s `io(url)` reads it, unless
    /// [`Options::namespace`] is set.
    pub url: String,
    /// The namespace (default: from the URL's path, else `/`).
    pub namespace: Option<String>,
    /// The auth object sent with CONNECT.
    pub auth: Option<Value>,
    /// The Engine.IO path. Default: `/socket.io/`.
    pub path: String,
    /// How long the WebSocket handshake, the Engine.IO open packet and the
    /// answer to CONNECT may each take. Default: 10 s.
    pub timeout: Duration,
}

impl Options {
    /// Options for `url` with the defaults.
    pub fn new(url: impl Into<String>) -> Options {
        Options {
            url: url.into(),
            namespace: None,
            auth: None,
            path: "/socket.io/".to_owned(),
            timeout: Duration::from_secs(10),
        }
    }

    /// Sets [`Options::namespace`].
    pub fn with_namespace(mut self, namespace: Option<String>) -> Options {
        self.namespace = namespace;
        self
    }

    /// Sets [`Options::auth`].
    pub fn with_auth(mut self, auth: Option<Value>) -> Options {
        self.auth = auth;
        self
    }

    /// Sets [`Options::path`].
    pub fn with_path(mut self, path: impl Into<String>) -> Options {
        self.path = path.into();
        self
    }

    /// Sets [`Options::timeout`].
    pub fn with_timeout(mut self, timeout: Duration) -> Options {
        self.timeout = timeout;
        self
    }

    /// The WebSocket URL of the Engine.IO transport and the namespace.
    ///
    /// # Errors
    ///
    /// [`ClientError::InvalidUrl`] for a URL that does not parse, has no
    /// host, or another scheme than http, https, ws or wss.
    pub fn endpoint(&self) -> Result<(String, String), ClientError> {
        let bad = |why: &str| ClientError::InvalidUrl(format!("{}: {why}", self.url));
        let uri: tether_ws::http::Uri = self.url.parse().map_err(|_| bad("not a URL"))?;
        let scheme = match uri.scheme_str() {
            Some("http" | "ws") => "ws",
            Some("https" | "wss") => "wss",
            _ => return Err(bad("the scheme is not http, https, ws or wss")),
        };
        let authority = uri.authority().ok_or_else(|| bad("no host"))?;
        let url_path = uri.path();
        let namespace = match &self.namespace {
            Some(ns) if ns.starts_with('/') => ns.clone(),
            Some(ns) => format!("/{ns}"),
            None if url_path.is_empty() || url_path == "/" => MAIN_NAMESPACE.to_owned(),
            None => url_path.trim_end_matches('/').to_owned(),
        };
        let mut path = self.path.clone();
        if !path.starts_with('/') {
            path.insert(0, '/');
        }
        if !path.ends_with('/') {
            path.push('/');
        }
        let mut ws_url = format!("{scheme}://{authority}{path}?EIO=4&transport=websocket");
        if let Some(query) = uri.query().filter(|q| !q.is_empty()) {
            ws_url.push('&');
            ws_url.push_str(query);
        }
        Ok((ws_url, namespace))
    }
}

/// Why a connection ended, as `socket.io-client` names it.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DisconnectReason {
    /// The server sent DISCONNECT for the namespace (`io server disconnect`).
    ServerDisconnect,
    /// This client disconnected (`io client disconnect`).
    ClientDisconnect,
    /// The Engine.IO session or the WebSocket was closed (`transport close`).
    TransportClose,
    /// The WebSocket failed (`transport error`), with the error.
    TransportError(String),
    /// Nothing arrived for `pingInterval + pingTimeout` (`ping timeout`).
    PingTimeout,
    /// The server sent something undecodable (`parse error`), with why.
    ParseError(String),
}

impl DisconnectReason {
    /// The reason string of `socket.io-client`.
    pub fn as_str(&self) -> &'static str {
        match self {
            DisconnectReason::ServerDisconnect => "io server disconnect",
            DisconnectReason::ClientDisconnect => "io client disconnect",
            DisconnectReason::TransportClose => "transport close",
            DisconnectReason::TransportError(_) => "transport error",
            DisconnectReason::PingTimeout => "ping timeout",
            DisconnectReason::ParseError(_) => "parse error",
        }
    }

    /// More about the reason, if there is more (an error message).
    pub fn detail(&self) -> Option<&str> {
        match self {
            DisconnectReason::TransportError(d) | DisconnectReason::ParseError(d) => Some(d),
            _ => None,
        }
    }
}

impl fmt::Display for DisconnectReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.detail() {
            Some(d) => write!(f, "{} ({d})", self.as_str()),
            None => f.write_str(self.as_str()),
        }
    }
}

/// What can go wrong.
#[derive(Debug)]
#[non_exhaustive]
pub enum ClientError {
    /// The URL is not one this client can connect to.
    InvalidUrl(String),
    /// The WebSocket failed (the handshake, or later).
    WebSocket(tether_ws::Error),
    /// No Engine.IO open packet, or no answer to CONNECT, in time.
    Timeout(&'static str),
    /// The server refused the namespace: CONNECT_ERROR, with its data
    /// (`{"message": ..., "data": ...}` from a Socket.IO v5 server).
    Refused(Value),
    /// The server broke the protocol (with why).
    Protocol(String),
    /// The connection ended.
    Disconnected(DisconnectReason),
    /// A packet could not be built from what was given (reserved event
    /// name, arguments that are not a list, ...).
    Packet(tether_socketio::Error),
}

impl fmt::Display for ClientError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ClientError::InvalidUrl(u) => write!(f, "invalid Socket.IO URL {u}"),
            ClientError::WebSocket(e) => write!(f, "WebSocket: {e}"),
            ClientError::Timeout(what) => write!(f, "timed out waiting for {what}"),
            ClientError::Refused(data) => write!(f, "connection refused: {data}"),
            ClientError::Protocol(why) => write!(f, "protocol error: {why}"),
            ClientError::Disconnected(reason) => write!(f, "disconnected: {reason}"),
            ClientError::Packet(e) => write!(f, "cannot build the packet: {e}"),
        }
    }
}

impl std::error::Error for ClientError {}

impl From<tether_ws::Error> for ClientError {
    fn from(e: tether_ws::Error) -> ClientError {
        ClientError::WebSocket(e)
    }
}

impl From<tether_socketio::Error> for ClientError {
    fn from(e: tether_socketio::Error) -> ClientError {
        ClientError::Packet(e)
    }
}

/// What the server sent the application.
#[derive(Debug)]
#[non_exhaustive]
pub enum Incoming {
    /// An event on the namespace (it asks for an ack if it has an ack id).
    Event(Packet),
    /// The ack of an event this client emitted with
    /// [`Client::emit_with_ack`].
    Ack(Packet),
    /// The connection ended; the client is finished.
    Disconnected(DisconnectReason),
}

/// A Socket.IO connection to one namespace.
#[derive(Debug)]
pub struct Client {
    ws: Ws,
    decoder: PacketDecoder,
    namespace: Utf8Bytes,
    sid: String,
    next_ack: u64,
    /// `pingInterval + pingTimeout`: silence past it is a ping timeout.
    heartbeat: Duration,
    alive_until: Instant,
    ended: Option<DisconnectReason>,
    /// A ping arrived that has not been answered yet.
    pong_owed: bool,
}

/// What one received WebSocket message meant.
enum Step {
    Nothing,
    Packet(Packet),
    Open(tether_engineio::OpenPacket),
    End(DisconnectReason),
}

impl Client {
    /// Connects: the WebSocket handshake, the Engine.IO open packet, then
    /// CONNECT to the namespace with the auth, each within
    /// [`Options::timeout`].
    ///
    /// # Errors
    ///
    /// [`ClientError::InvalidUrl`], [`ClientError::WebSocket`],
    /// [`ClientError::Timeout`], [`ClientError::Refused`] (CONNECT_ERROR),
    /// [`ClientError::Protocol`], [`ClientError::Disconnected`],
    /// [`ClientError::Packet`] for an auth that is not an object.
    pub async fn connect(options: &Options) -> Result<Client, ClientError> {
        let (url, namespace) = options.endpoint()?;
        let uri = url
            .parse()
            .map_err(|_| ClientError::InvalidUrl(url.clone()))?;
        let request = tether_ws::handshake::client::ClientRequest::new(uri)
            .map_err(|e| ClientError::WebSocket(e.into()))?;
        let mut config = WebSocketConfig::default();
        config.handshake = config.handshake.with_timeout(options.timeout);
        let (ws, _) = tether_ws::connect_with_config(request, config).await?;
        let mut client = Client {
            ws,
            decoder: PacketDecoder::new(),
            namespace: Utf8Bytes::from(namespace),
            sid: String::new(),
            next_ack: 0,
            heartbeat: Duration::from_secs(45),
            alive_until: Instant::now() + options.timeout,
            ended: None,
            pong_owed: false,
        };
        let deadline = Instant::now() + options.timeout;
        // Engine.IO: the server speaks first.
        loop {
            let message = tokio::time::timeout_at(deadline, client.ws.next())
                .await
                .map_err(|_| ClientError::Timeout("the Engine.IO open packet"))?;
            match client.step(message) {
                Step::Open(open) => {
                    client.heartbeat =
                        Duration::from_millis(open.ping_interval.saturating_add(open.ping_timeout));
                    client.alive_until = Instant::now() + client.heartbeat;
                    break;
                }
                Step::End(reason) => return Err(ClientError::Disconnected(reason)),
                // A WebSocket ping or pong.
                Step::Nothing if !client.pong_owed => {}
                Step::Nothing | Step::Packet(_) => {
                    return Err(ClientError::Protocol(
                        "the first packet is not the Engine.IO open packet".into(),
                    ))
                }
            }
        }
        let connect = match &options.auth {
            Some(auth) => Packet::connect_with(client.namespace.clone(), auth)?,
            None => Packet::connect(client.namespace.clone())?,
        };
        client.send(&connect).await?;
        loop {
            let message = tokio::time::timeout_at(deadline, client.ws.next())
                .await
                .map_err(|_| ClientError::Timeout("the answer to CONNECT"))?;
            let packet = match client.step(message) {
                Step::Packet(p) => p,
                Step::Nothing => {
                    client.answer_pings().await?;
                    continue;
                }
                Step::End(reason) => return Err(ClientError::Disconnected(reason)),
                Step::Open(_) => return Err(ClientError::Protocol("a second open packet".into())),
            };
            if packet.namespace() != &client.namespace {
                continue;
            }
            match packet.packet_type() {
                PacketType::Connect => {
                    let data: Option<Value> = packet.data().unwrap_or(None);
                    client.sid = data
                        .as_ref()
                        .and_then(|d| d.get("sid"))
                        .and_then(Value::as_str)
                        .unwrap_or_default()
                        .to_owned();
                    return Ok(client);
                }
                PacketType::ConnectError => {
                    let data: Option<Value> = packet.data().unwrap_or(None);
                    return Err(ClientError::Refused(data.unwrap_or(Value::Null)));
                }
                _ => {}
            }
        }
    }

    /// The session id the server gave in its CONNECT answer (empty if it
    /// gave none).
    pub fn sid(&self) -> &str {
        &self.sid
    }

    /// The namespace.
    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    /// The WebSocket connection underneath.
    pub fn websocket(&self) -> &Ws {
        &self.ws
    }

    /// Emits `event` with `args` (anything that serializes to a list; byte
    /// strings become attachments).
    ///
    /// # Errors
    ///
    /// [`ClientError::Packet`] for a reserved event name or arguments that
    /// are not a list; [`ClientError::WebSocket`] if sending fails.
    pub async fn emit<A: Serialize + ?Sized>(
        &mut self,
        event: &str,
        args: &A,
    ) -> Result<(), ClientError> {
        let packet = Packet::event(self.namespace.clone(), event, args)?;
        self.send(&packet).await
    }

    /// Emits `event` with `args` asking for an ack; returns the ack id the
    /// ack will carry ([`Incoming::Ack`]).
    ///
    /// # Errors
    ///
    /// As [`Client::emit`].
    pub async fn emit_with_ack<A: Serialize + ?Sized>(
        &mut self,
        event: &str,
        args: &A,
    ) -> Result<u64, ClientError> {
        let id = self.next_ack;
        self.next_ack = (self.next_ack + 1) % (tether_socketio::MAX_ACK_ID + 1);
        let packet = Packet::event_with_ack(self.namespace.clone(), event, args, id)?;
        self.send(&packet).await?;
        Ok(id)
    }

    /// Acknowledges the server's event that carried `ack_id` with `args`.
    ///
    /// # Errors
    ///
    /// As [`Client::emit`].
    pub async fn ack<A: Serialize + ?Sized>(
        &mut self,
        ack_id: u64,
        args: &A,
    ) -> Result<(), ClientError> {
        let packet = Packet::ack(self.namespace.clone(), ack_id, args)?;
        self.send(&packet).await
    }

    /// Sends a packet: its text as an Engine.IO message, then its
    /// attachments as binary messages.
    ///
    /// # Errors
    ///
    /// [`ClientError::WebSocket`].
    pub async fn send(&mut self, packet: &Packet) -> Result<(), ClientError> {
        let (text, attachments) = packet.encode();
        let mut engine = String::with_capacity(text.len() + 1);
        engine.push('4');
        engine.push_str(&text);
        self.ws.feed(Message::text(engine)).await?;
        for attachment in attachments {
            self.ws.feed(Message::Binary(attachment)).await?;
        }
        self.ws.flush().await?;
        Ok(())
    }

    /// Waits for the next WebSocket message. Cancel safe (for a
    /// `select!`); hand the result to [`Client::handle`].
    pub async fn recv_message(&mut self) -> Option<Result<Message, tether_ws::Error>> {
        self.ws.next().await
    }

    /// When silence becomes a ping timeout: `pingInterval + pingTimeout`
    /// after the last message received.
    pub fn heartbeat_deadline(&self) -> Instant {
        self.alive_until
    }

    /// What a message from [`Client::recv_message`] means for the
    /// application, answering a ping on the way (so not cancel safe);
    /// `None` if nothing (a ping, an attachment still to come, a packet
    /// for another namespace).
    pub async fn handle(
        &mut self,
        message: Option<Result<Message, tether_ws::Error>>,
    ) -> Option<Incoming> {
        if let Some(reason) = &self.ended {
            return Some(Incoming::Disconnected(reason.clone()));
        }
        let incoming = match self.step(message) {
            Step::Nothing => None,
            Step::Open(_) => {
                Some(self.end(DisconnectReason::ParseError("a second open packet".into())))
            }
            Step::End(reason) => Some(self.end(reason)),
            Step::Packet(p) if p.namespace() != &self.namespace => None,
            Step::Packet(p) => match p.packet_type() {
                PacketType::Event | PacketType::BinaryEvent => Some(Incoming::Event(p)),
                PacketType::Ack | PacketType::BinaryAck => Some(Incoming::Ack(p)),
                PacketType::Disconnect => Some(self.end(DisconnectReason::ServerDisconnect)),
                _ => None,
            },
        };
        if let Err(e) = self.answer_pings().await {
            return Some(self.end(DisconnectReason::TransportError(e.to_string())));
        }
        incoming
    }

    /// The next thing for the application, answering pings on the way;
    /// [`Incoming::Disconnected`] with `ping timeout` once nothing has
    /// arrived for `pingInterval + pingTimeout`.
    pub async fn next(&mut self) -> Incoming {
        loop {
            if let Some(reason) = &self.ended {
                return Incoming::Disconnected(reason.clone());
            }
            let deadline = self.alive_until;
            let message = match tokio::time::timeout_at(deadline, self.ws.next()).await {
                Ok(m) => m,
                Err(_) => return self.end(DisconnectReason::PingTimeout),
            };
            if let Some(incoming) = self.handle(message).await {
                return incoming;
            }
        }
    }

    /// Marks the heartbeat as expired now (for a caller that watches
    /// [`Client::heartbeat_deadline`] itself) and returns the
    /// disconnection.
    pub fn expire(&mut self) -> Incoming {
        self.end(DisconnectReason::PingTimeout)
    }

    /// Leaves: DISCONNECT for the namespace, then the WebSocket close
    /// handshake, bounded by `timeout` (a server that does not answer is
    /// left).
    pub async fn disconnect(mut self, timeout: Duration) {
        if self.ended.is_none() {
            if let Ok(packet) = Packet::disconnect(self.namespace.clone()) {
                let _ = tokio::time::timeout(timeout, self.send(&packet)).await;
            }
        }
        let _ = tokio::time::timeout(timeout, self.ws.close()).await;
    }

    fn end(&mut self, reason: DisconnectReason) -> Incoming {
        self.ended = Some(reason.clone());
        Incoming::Disconnected(reason)
    }

    /// Pongs owed (a flag set by [`Client::step`]) are sent.
    async fn answer_pings(&mut self) -> Result<(), tether_ws::Error> {
        if std::mem::take(&mut self.pong_owed) {
            self.ws
                .send(Message::text(Utf8Bytes::from_static("3")))
                .await?;
        }
        Ok(())
    }

    /// Decodes one received WebSocket message (no IO): a ping sets
    /// `pong_owed`, any message pushes the heartbeat deadline.
    fn step(&mut self, message: Option<Result<Message, tether_ws::Error>>) -> Step {
        let message = match message {
            None => return Step::End(DisconnectReason::TransportClose),
            Some(Err(e)) => return Step::End(DisconnectReason::TransportError(e.to_string())),
            Some(Ok(m)) => m,
        };
        self.alive_until = Instant::now() + self.heartbeat;
        let decoded = match message {
            Message::Text(text) => match EnginePacket::decode_text(text) {
                Ok(EnginePacket::Message(text)) => self.decoder.decode_text(text),
                Ok(EnginePacket::Binary(data)) => self.decoder.decode_binary(data),
                Ok(EnginePacket::Ping(_)) => {
                    self.pong_owed = true;
                    return Step::Nothing;
                }
                Ok(EnginePacket::Open(open)) => return Step::Open(open),
                Ok(EnginePacket::Close) => return Step::End(DisconnectReason::TransportClose),
                Ok(_) => return Step::Nothing,
                Err(e) => return Step::End(DisconnectReason::ParseError(e.to_string())),
            },
            Message::Binary(data) => self.decoder.decode_binary(data),
            Message::Close(_) => return Step::End(DisconnectReason::TransportClose),
            Message::Ping(_) | Message::Pong(_) => return Step::Nothing,
        };
        match decoded {
            Ok(Some(packet)) => Step::Packet(packet),
            Ok(None) => Step::Nothing,
            Err(e) => Step::End(DisconnectReason::ParseError(e.to_string())),
        }
    }
}

/// An event as JSON: its name and its arguments, attachments in place as
/// `{"_binary": "<base64>"}`.
///
/// # Errors
///
/// [`ClientError::Protocol`] if the packet is not an event (or its payload
/// is not the array it was validated to be).
pub fn event_json(packet: &Packet) -> Result<(Value, Vec<Value>), ClientError> {
    if !packet.is_event() {
        return Err(ClientError::Protocol("not an event".into()));
    }
    let mut all = payload_json(packet)?;
    if all.is_empty() {
        return Err(ClientError::Protocol("an event without a name".into()));
    }
    let name = all.remove(0);
    Ok((name, all))
}

/// An ack's arguments as JSON, attachments as in [`event_json`].
///
/// # Errors
///
/// [`ClientError::Protocol`] if the packet is not an ack.
pub fn ack_json(packet: &Packet) -> Result<Vec<Value>, ClientError> {
    if !packet.is_ack() {
        return Err(ClientError::Protocol("not an ack".into()));
    }
    payload_json(packet)
}

fn payload_json(packet: &Packet) -> Result<Vec<Value>, ClientError> {
    let payload = packet
        .payload()
        .ok_or_else(|| ClientError::Protocol("no payload".into()))?;
    let value: Value = serde_json::from_str(payload.json())
        .map_err(|e| ClientError::Protocol(format!("payload: {e}")))?;
    let Value::Array(mut items) = value else {
        return Err(ClientError::Protocol("the payload is not an array".into()));
    };
    if !payload.attachments().is_empty() {
        for item in &mut items {
            put_back_attachments(item, payload.attachments());
        }
    }
    Ok(items)
}

/// Replaces each `{"_placeholder":true,"num":i}` by
/// `{"_binary": base64(attachments[i])}` (the decoder checked the
/// placeholders and their numbers).
fn put_back_attachments(value: &mut Value, attachments: &[Bytes]) {
    match value {
        Value::Array(items) => {
            for item in items {
                put_back_attachments(item, attachments);
            }
        }
        Value::Object(map) => {
            let placeholder = map.len() == 2 && map.get("_placeholder") == Some(&Value::Bool(true));
            let data = placeholder
                .then(|| map.get("num").and_then(Value::as_u64))
                .flatten()
                .and_then(|n| usize::try_from(n).ok())
                .and_then(|n| attachments.get(n));
            if let Some(data) = data {
                *value = binary_value(data);
                return;
            }
            for item in map.values_mut() {
                put_back_attachments(item, attachments);
            }
        }
        _ => {}
    }
}

/// `{"_binary": "<base64>"}`.
pub fn binary_value(data: &[u8]) -> Value {
    let mut map = serde_json::Map::new();
    map.insert(
        BINARY_KEY.to_owned(),
        Value::String(base64::engine::general_purpose::STANDARD.encode(data)),
    );
    Value::Object(map)
}

/// Arguments to send, as JSON values in which every object
/// `{"_binary": "<base64>"}` (that one key, a base64 string) is binary
/// data: serialized as a byte string, so it becomes an attachment.
#[derive(Clone, Debug, PartialEq)]
pub struct JsonArgs(pub Vec<Value>);

impl JsonArgs {
    /// Parses whitespace-separated JSON values (`1 "two" {"three":3}`),
    /// checking that every `{"_binary": ...}` holds valid base64.
    ///
    /// # Errors
    ///
    /// The JSON error, or a message naming the bad base64.
    pub fn parse(text: &str) -> Result<JsonArgs, String> {
        let mut values = Vec::new();
        for value in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
            values.push(value.map_err(|e| format!("invalid JSON: {e}"))?);
        }
        for v in &values {
            check_binary(v)?;
        }
        Ok(JsonArgs(values))
    }
}

fn binary_of(value: &Value) -> Option<&str> {
    match value {
        Value::Object(map) if map.len() == 1 => map.get(BINARY_KEY)?.as_str(),
        _ => None,
    }
}

fn check_binary(value: &Value) -> Result<(), String> {
    if let Some(b64) = binary_of(value) {
        return base64::engine::general_purpose::STANDARD
            .decode(b64)
            .map(|_| ())
            .map_err(|e| format!("invalid base64 in {{\"{BINARY_KEY}\": ...}}: {e}"));
    }
    match value {
        Value::Array(items) => items.iter().try_for_each(check_binary),
        Value::Object(map) => map.values().try_for_each(check_binary),
        _ => Ok(()),
    }
}

/// One value, with `{"_binary": ...}` as bytes.
struct WithBinary<'a>(&'a Value);

impl Serialize for WithBinary<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if let Some(b64) = binary_of(self.0) {
            let data = base64::engine::general_purpose::STANDARD
                .decode(b64)
                .map_err(serde::ser::Error::custom)?;
            return s.serialize_bytes(&data);
        }
        match self.0 {
            Value::Array(items) => {
                let mut seq = s.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(&WithBinary(item))?;
                }
                seq.end()
            }
            Value::Object(map) => {
                let mut m = s.serialize_map(Some(map.len()))?;
                for (k, v) in map {
                    m.serialize_entry(k, &WithBinary(v))?;
                }
                m.end()
            }
            other => other.serialize(s),
        }
    }
}

impl Serialize for JsonArgs {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.0.len()))?;
        for v in &self.0 {
            seq.serialize_element(&WithBinary(v))?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        let e = |url: &str, ns: Option<&str>| {
            Options::new(url)
                .with_namespace(ns.map(str::to_owned))
                .endpoint()
                .map_err(|e| e.to_string())
        };
        assert_eq!(
            e("http://127.0.0.1:3000", None).unwrap(),
            (
                "ws://127.0.0.1:3000/socket.io/?EIO=4&transport=websocket".to_owned(),
                "/".to_owned()
            )
        );
        assert_eq!(
            e("https://example.com/chat?x=1", None).unwrap(),
            (
                "wss://example.com/socket.io/?EIO=4&transport=websocket&x=1".to_owned(),
                "/chat".to_owned()
            )
        );
        assert_eq!(e("http://h:1/chat", Some("admin")).unwrap().1, "/admin");
        assert!(e("ftp://h/", None).is_err());
        assert!(e("nonsense", None).is_err());
    }

    #[test]
    fn binary_goes_out_as_attachments_and_comes_back_as_base64() {
        let args = JsonArgs::parse(r#"1 "two" {"f":{"_binary":"AQID"}} [{"_binary":""}]"#).unwrap();
        let packet = Packet::event_with_ack("/", "up", &args, 3).unwrap();
        let (text, attachments) = packet.encode();
        assert_eq!(
            text.as_str(),
            r#"52-3["up",1,"two",{"f":{"_placeholder":true,"num":0}},[{"_placeholder":true,"num":1}]]"#
        );
        assert_eq!(attachments, [Bytes::from_static(&[1, 2, 3]), Bytes::new()]);
        let mut decoder = PacketDecoder::new();
        assert!(decoder.decode_text(text).unwrap().is_none());
        assert!(decoder
            .decode_binary(attachments[0].clone())
            .unwrap()
            .is_none());
        let received = decoder
            .decode_binary(attachments[1].clone())
            .unwrap()
            .unwrap();
        let (name, args) = event_json(&received).unwrap();
        assert_eq!(name, "up");
        assert_eq!(
            Value::Array(args),
            serde_json::json!([1, "two", {"f": {"_binary": "AQID"}}, [{"_binary": ""}]])
        );
    }

    #[test]
    fn bad_input_is_refused() {
        assert!(JsonArgs::parse(r#"{"_binary":"!!"}"#).is_err());
        assert!(JsonArgs::parse("[1,").is_err());
        assert_eq!(JsonArgs::parse("").unwrap(), JsonArgs(vec![]));
        // An object with more keys is ordinary data.
        let args = JsonArgs::parse(r#"{"_binary":"!!","x":1}"#).unwrap();
        assert_eq!(
            Packet::event("/", "e", &args)
                .unwrap()
                .encode_text()
                .as_str(),
            r#"2["e",{"_binary":"!!","x":1}]"#
        );
    }
}
