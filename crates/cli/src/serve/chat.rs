//! The chat, on the Socket.IO main namespace `/`, with connection state
//! recovery on: a client that loses its connection and comes back within
//! `--recovery-window` keeps its socket id, rooms and nickname and gets
//! every event it missed, once.
//!
//! Client to server (each with an optional ack; an ack is
//! `{"ok":true,...}` or `{"ok":false,"error":"..."}`):
//!
//! | event | arguments | does | ack |
//! |---|---|---|---|
//! | `nick` | name | renames the socket (1 to 24 characters), tells its rooms | `{ok, nick}` |
//! | `join` | room | joins (a room name: 1 to 32 of `A-Z a-z 0-9 - _`), tells the room | `{ok, room, members, history}` |
//! | `leave` | room | leaves, tells the room | `{ok, room}` |
//! | `chat` | room, text | sends `chat` to the room, the sender included (text: 1 to 1000 characters) | `{ok, id, at}` |
//! | `typing` | room, bool | sends `typing` to the others in the room | none |
//!
//! Server to client:
//!
//! | event | argument |
//! |---|---|
//! | `chat` | a message `{id, seq, room, kind, from, nick, text, at}`: `kind` is `chat` (a user's, `from` is the socket id) or `notice` (`alice joined`, `alice left`, `alice is now bob`) |
//! | `presence` | `{room, members: [{id, nick}]}`, whenever who is in the room changes (join, leave, rename, disconnect, recovery) |
//! | `typing` | `{room, id, nick, typing}` |
//!
//! The nickname comes from the handshake's auth (`{"nick":"alice"}`) or a
//! `nick` event, else `guest-XXXX`. A message id (`<boot>-<seq>`) is
//! unique across server restarts, so a client can merge a room's history
//! and the live events without showing one twice. Rooms are Socket.IO
//! rooms named `room:<name>`, apart from the sockets' own rooms.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::json;
use tether_socketio::server::{EmitError, Event, Namespace, Room, Socket, SocketIo};
use tracing::{info, warn};

use super::events::Events;

/// The longest nickname, in characters.
const MAX_NICK: usize = 24;
/// The longest room name, in characters.
const MAX_ROOM: usize = 32;
/// The longest message, in characters.
const MAX_TEXT: usize = 1000;
/// At most this many rooms per socket.
const MAX_ROOMS_PER_SOCKET: usize = 16;
/// At most this many rooms have a history; the one written to longest ago
/// goes when another is needed. With `--history 50` and the longest
/// messages that bounds the histories to about 256 × 50 × 4 KB.
const MAX_HISTORIES: usize = 256;
/// The prefix of the Socket.IO rooms of the chat's rooms.
const ROOM_PREFIX: &str = "room:";

/// A socket's nickname, in its extensions (kept across a recovery).
#[derive(Clone, Debug)]
struct Nick(Arc<str>);

/// The handshake auth the page sends.
#[derive(Deserialize)]
struct Auth {
    nick: Option<String>,
}

/// What a message is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum Kind {
    /// A user's message.
    Chat,
    /// The server's: joined, left, renamed.
    Notice,
}

/// A message of a room, as sent in `chat` and kept in the history.
#[derive(Clone, Debug, Serialize)]
struct Message {
    id: String,
    seq: u64,
    room: String,
    kind: Kind,
    /// The sender's socket id (none for a notice).
    from: Option<String>,
    nick: String,
    text: String,
    /// Milliseconds since the Unix epoch.
    at: u64,
}

/// Someone in a room.
#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
struct Member {
    nick: String,
    id: String,
}

/// The latest messages of each room.
#[derive(Default)]
struct Histories {
    rooms: HashMap<Arc<str>, History>,
}

struct History {
    messages: VecDeque<Message>,
    /// The `seq` of the last message written.
    last: u64,
}

/// Counts for the `tick` events.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Counts {
    /// Sockets connected to the chat.
    pub(crate) sockets: usize,
    /// Rooms with someone in them.
    pub(crate) rooms: usize,
    /// Chat messages since the start.
    pub(crate) messages: u64,
}

/// The chat's state. Shared by every socket's handlers.
pub(crate) struct Chat {
    ns: Namespace,
    events: Events,
    /// Milliseconds since the epoch at the start, in hex: the prefix of
    /// message ids.
    boot: String,
    next_seq: AtomicU64,
    messages: AtomicU64,
    history_len: usize,
    histories: Mutex<Histories>,
}

/// Milliseconds since the Unix epoch.
fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
}

/// The chat room `name` as a Socket.IO room.
fn room_key(name: &str) -> String {
    format!("{ROOM_PREFIX}{name}")
}

/// The chat room of a Socket.IO room, if it is one.
fn room_name(room: &Room) -> Option<&str> {
    room.strip_prefix(ROOM_PREFIX)
}

/// A valid room name: 1 to 32 of `A-Z a-z 0-9 - _`, trimmed.
fn valid_room(name: &str) -> Result<&str, &'static str> {
    let name = name.trim();
    if name.is_empty() {
        return Err("a room needs a name");
    }
    if name.chars().count() > MAX_ROOM {
        return Err("a room name has at most 32 characters");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    {
        return Err("a room name has only letters, digits, - and _");
    }
    Ok(name)
}

/// A valid nickname: 1 to 24 characters, trimmed, none a control one.
fn valid_nick(nick: &str) -> Result<&str, &'static str> {
    let nick = nick.trim();
    if nick.is_empty() {
        return Err("a nickname cannot be empty");
    }
    if nick.chars().count() > MAX_NICK {
        return Err("a nickname has at most 24 characters");
    }
    if nick.chars().any(char::is_control) {
        return Err("a nickname has no control characters");
    }
    Ok(nick)
}

/// A valid message: 1 to 1000 characters once trimmed; control characters
/// become spaces.
fn valid_text(text: &str) -> Result<String, &'static str> {
    let text = text.trim();
    if text.is_empty() {
        return Err("an empty message");
    }
    if text.chars().count() > MAX_TEXT {
        return Err("a message has at most 1000 characters");
    }
    Ok(text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect())
}

/// Logs an emit or ack that did not go out (a disconnected client is
/// normal and not logged).
fn sent(what: &str, result: Result<(), EmitError>) {
    match result {
        Ok(()) | Err(EmitError::Disconnected) => {}
        Err(e) => warn!(what, error = %e, "not sent"),
    }
}

/// Answers `event`'s ack with `{"ok":false,"error":error}`.
fn refuse(event: &Event, error: &str) {
    sent("ack", event.ack(&(json!({ "ok": false, "error": error }),)));
}

/// The socket's nickname.
fn nick_of(socket: &Socket) -> Arc<str> {
    socket
        .extensions()
        .get::<Nick>()
        .map_or_else(|| Arc::from("?"), |n| n.0)
}

/// The chat rooms the socket is in.
fn rooms_of(socket: &Socket) -> Vec<String> {
    socket
        .rooms()
        .iter()
        .filter_map(room_name)
        .map(str::to_owned)
        .collect()
}

impl Chat {
    /// The chat on `io`'s main namespace, reporting to `events`, keeping
    /// `history_len` messages per room.
    pub(crate) fn install(io: &SocketIo, events: Events, history_len: usize) -> Arc<Chat> {
        // The main namespace exists from the start; its handler is set
        // below.
        let ns = io.of("/").unwrap_or_else(|| io.ns("/", |_socket| async {}));
        let chat = Arc::new(Chat {
            ns,
            events,
            boot: format!("{:x}", now_ms()),
            next_seq: AtomicU64::new(1),
            messages: AtomicU64::new(0),
            history_len,
            histories: Mutex::new(Histories::default()),
        });
        let handler = chat.clone();
        io.ns("/", move |socket| {
            handler.connected(&socket);
            let chat = handler.clone();
            async move { chat.arrived(&socket).await }
        });
        chat
    }

    /// The counts for a tick.
    pub(crate) async fn counts(&self) -> Counts {
        let rooms = self.ns.broadcast().rooms().await;
        Counts {
            sockets: self.ns.local_sockets().len(),
            rooms: rooms.iter().filter_map(room_name).count(),
            messages: self.messages.load(Ordering::Relaxed),
        }
    }

    /// A socket connected (new or recovered): its nickname and handlers,
    /// registered before any await so that no event comes before them.
    fn connected(self: &Arc<Self>, socket: &Socket) {
        if !socket.extensions().contains::<Nick>() {
            let asked = socket.handshake().auth::<Auth>().ok().flatten();
            let nick = asked
                .and_then(|auth| auth.nick)
                .and_then(|nick| valid_nick(&nick).ok().map(Arc::from))
                .unwrap_or_else(|| {
                    let id = socket.id();
                    Arc::from(format!("guest-{}", id.as_str().get(..4).unwrap_or("0000")))
                });
            socket.extensions().insert(Nick(nick));
        }
        info!(
            id = %socket.id(),
            namespace = socket.namespace(),
            transport = %socket.transport(),
            peer = ?socket.handshake().address(),
            recovered = socket.recovered(),
            nick = &*nick_of(socket),
            "socket.io connected"
        );

        let chat = self.clone();
        socket.on("nick", move |socket, event| {
            let chat = chat.clone();
            async move { chat.on_nick(socket, event).await }
        });
        let chat = self.clone();
        socket.on("join", move |socket, event| {
            let chat = chat.clone();
            async move { chat.on_join(socket, event).await }
        });
        let chat = self.clone();
        socket.on("leave", move |socket, event| {
            let chat = chat.clone();
            async move { chat.on_leave(socket, event).await }
        });
        let chat = self.clone();
        socket.on("chat", move |socket, event| {
            let chat = chat.clone();
            async move { chat.on_chat(&socket, &event) }
        });
        socket.on("typing", |socket, event| async move {
            on_typing(&socket, &event);
        });
        let chat = self.clone();
        socket.on_disconnecting(move |socket, _reason| async move {
            // Still in its rooms: the others get the list without it.
            for room in rooms_of(&socket) {
                chat.presence(&room, Some(&socket)).await;
            }
        });
        let chat = self.clone();
        socket.on_disconnect(move |socket, reason| async move {
            let nick = nick_of(&socket);
            info!(
                id = %socket.id(),
                namespace = socket.namespace(),
                nick = &*nick,
                reason = %reason,
                "socket.io disconnected"
            );
            chat.events
                .activity(format!("{nick} disconnected ({reason})"));
        });
    }

    /// After the handlers: a recovered socket is back in its rooms, so
    /// they get its presence.
    async fn arrived(&self, socket: &Socket) {
        let nick = nick_of(socket);
        if socket.recovered() {
            let rooms = rooms_of(socket);
            for room in &rooms {
                self.presence(room, None).await;
            }
            self.events.activity(format!(
                "{nick} reconnected (recovered: {})",
                if rooms.is_empty() {
                    String::from("no rooms")
                } else {
                    rooms.join(", ")
                }
            ));
        } else {
            self.events.activity(format!("{nick} connected"));
        }
    }

    /// Who is in `room`, `without` a socket that is leaving.
    async fn members(&self, room: &str, without: Option<&Socket>) -> Vec<Member> {
        let mut members: Vec<Member> = self
            .ns
            .to(room_key(room))
            .sockets()
            .await
            .into_iter()
            .filter(|sid| without.is_none_or(|s| s.id() != *sid))
            .filter_map(|sid| self.ns.socket(sid))
            .map(|socket| Member {
                nick: nick_of(&socket).to_string(),
                id: socket.id().to_string(),
            })
            .collect();
        members.sort();
        members
    }

    /// Sends `presence` to `room` (but `without`, a socket that is leaving).
    async fn presence(&self, room: &str, without: Option<&Socket>) {
        let members = self.members(room, without).await;
        let presence = json!({ "room": room, "members": members });
        let target = match without {
            Some(socket) => socket.to(room_key(room)),
            None => self.ns.to(room_key(room)),
        };
        sent("presence", target.emit("presence", &(presence,)));
    }

    /// A new message of `room`: numbered and kept in the history.
    fn record(
        &self,
        room: &str,
        kind: Kind,
        from: Option<&Socket>,
        nick: Arc<str>,
        text: String,
    ) -> Message {
        let seq = self.next_seq.fetch_add(1, Ordering::Relaxed);
        let message = Message {
            id: format!("{}-{seq}", self.boot),
            seq,
            room: room.to_owned(),
            kind,
            from: from.map(|s| s.id().to_string()),
            nick: nick.to_string(),
            text,
            at: now_ms(),
        };
        if self.history_len > 0 {
            let mut histories = self
                .histories
                .lock()
                .unwrap_or_else(PoisonError::into_inner);
            if !histories.rooms.contains_key(room) && histories.rooms.len() >= MAX_HISTORIES {
                let oldest = histories
                    .rooms
                    .iter()
                    .min_by_key(|(_, h)| h.last)
                    .map(|(name, _)| name.clone());
                if let Some(oldest) = oldest {
                    histories.rooms.remove(&oldest);
                }
            }
            let history = histories
                .rooms
                .entry(Arc::from(room))
                .or_insert_with(|| History {
                    messages: VecDeque::new(),
                    last: 0,
                });
            while history.messages.len() >= self.history_len {
                history.messages.pop_front();
            }
            history.messages.push_back(message.clone());
            history.last = seq;
        }
        message
    }

    /// The kept messages of `room`, oldest first.
    fn history(&self, room: &str) -> Vec<Message> {
        self.histories
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .rooms
            .get(room)
            .map(|h| h.messages.iter().cloned().collect())
            .unwrap_or_default()
    }

    /// A notice to `room` (the socket `but` excepted), kept in the history.
    fn notice(&self, room: &str, but: Option<&Socket>, nick: Arc<str>, text: String) {
        let message = self.record(room, Kind::Notice, None, nick, text);
        let target = match but {
            Some(socket) => socket.to(room_key(room)),
            None => self.ns.to(room_key(room)),
        };
        sent("chat", target.emit("chat", &(message,)));
    }

    /// `nick`: renames the socket.
    async fn on_nick(&self, socket: Socket, event: Event) {
        let Ok((asked,)) = event.args::<(String,)>() else {
            return refuse(&event, "nick takes a name");
        };
        let nick = match valid_nick(&asked) {
            Ok(nick) => Arc::<str>::from(nick),
            Err(e) => return refuse(&event, e),
        };
        let old = nick_of(&socket);
        socket.extensions().insert(Nick(nick.clone()));
        sent("ack", event.ack(&(json!({ "ok": true, "nick": &*nick }),)));
        if old == nick {
            return;
        }
        let rooms = rooms_of(&socket);
        for room in &rooms {
            self.notice(room, None, nick.clone(), format!("{old} is now {nick}"));
            self.presence(room, None).await;
        }
        self.events.activity(format!("{old} is now {nick}"));
    }

    /// `join`: joins a room, answers with its members and history.
    async fn on_join(&self, socket: Socket, event: Event) {
        let Ok((asked,)) = event.args::<(String,)>() else {
            return refuse(&event, "join takes a room name");
        };
        let room = match valid_room(&asked) {
            Ok(room) => room.to_owned(),
            Err(e) => return refuse(&event, e),
        };
        let rooms = rooms_of(&socket);
        let new = !rooms.contains(&room);
        if new && rooms.len() >= MAX_ROOMS_PER_SOCKET {
            return refuse(&event, "at most 16 rooms at a time");
        }
        socket.join(room_key(&room));
        // Joined first, then the history: a message sent in between is
        // both in the history and live, never in neither.
        let history = self.history(&room);
        let members = self.members(&room, None).await;
        sent(
            "ack",
            event.ack(&(json!({
                "ok": true,
                "room": room,
                "members": members,
                "history": history,
            }),)),
        );
        if new {
            let nick = nick_of(&socket);
            self.notice(&room, None, nick.clone(), format!("{nick} joined"));
            self.presence(&room, None).await;
            let count = members.len();
            self.events.activity(format!(
                "{nick} joined {room} ({count} {})",
                if count == 1 { "member" } else { "members" }
            ));
        }
    }

    /// `leave`: leaves a room.
    async fn on_leave(&self, socket: Socket, event: Event) {
        let Ok((asked,)) = event.args::<(String,)>() else {
            return refuse(&event, "leave takes a room name");
        };
        let room = match valid_room(&asked) {
            Ok(room) => room.to_owned(),
            Err(e) => return refuse(&event, e),
        };
        let was_in = rooms_of(&socket).contains(&room);
        socket.leave(room_key(&room));
        sent("ack", event.ack(&(json!({ "ok": true, "room": room }),)));
        if was_in {
            let nick = nick_of(&socket);
            self.notice(&room, Some(&socket), nick.clone(), format!("{nick} left"));
            self.presence(&room, None).await;
            self.events.activity(format!("{nick} left {room}"));
        }
    }

    /// `chat`: a message to a room the socket is in.
    fn on_chat(&self, socket: &Socket, event: &Event) {
        let Ok((room, text)) = event.args::<(String, String)>() else {
            return refuse(event, "chat takes a room and a text");
        };
        let text = match valid_text(&text) {
            Ok(text) => text,
            Err(e) => return refuse(event, e),
        };
        if !rooms_of(socket).contains(&room) {
            return refuse(event, "join the room first");
        }
        let nick = nick_of(socket);
        let message = self.record(&room, Kind::Chat, Some(socket), nick.clone(), text);
        // The sender too: its copy is its confirmation, and with recovery
        // it is kept with an offset like the others'.
        sent(
            "chat",
            self.ns.to(room_key(&room)).emit("chat", &(&message,)),
        );
        sent(
            "ack",
            event.ack(&(json!({ "ok": true, "id": message.id, "at": message.at }),)),
        );
        let n = self.messages.fetch_add(1, Ordering::Relaxed) + 1;
        self.events.activity(format!(
            "{nick} wrote in {room} ({n} {})",
            if n == 1 { "message" } else { "messages" }
        ));
    }
}

/// `typing`: relayed to the others in the room.
fn on_typing(socket: &Socket, event: &Event) {
    let Ok((room, typing)) = event.args::<(String, bool)>() else {
        return;
    };
    if !rooms_of(socket).contains(&room) {
        return;
    }
    let typing = json!({
        "room": room,
        "id": socket.id().to_string(),
        "nick": &*nick_of(socket),
        "typing": typing,
    });
    sent(
        "typing",
        socket.to(room_key(&room)).emit("typing", &(typing,)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rooms() {
        assert_eq!(valid_room(" lobby "), Ok("lobby"));
        assert_eq!(valid_room("rust-2024_b"), Ok("rust-2024_b"));
        assert!(valid_room("").is_err());
        assert!(valid_room("a b").is_err());
        assert!(valid_room("room:x").is_err());
        assert!(valid_room(&"x".repeat(33)).is_err());
        assert_eq!(room_name(&Room::from(room_key("lobby"))), Some("lobby"));
        assert_eq!(room_name(&Room::from("Zk3abc")), None);
    }

    #[test]
    fn nicks_and_texts() {
        assert_eq!(valid_nick(" alice "), Ok("alice"));
        assert_eq!(valid_nick("Zoë ☕"), Ok("Zoë ☕"));
        assert!(valid_nick("").is_err());
        assert!(valid_nick("a\nb").is_err());
        assert!(valid_nick(&"é".repeat(25)).is_err());
        assert_eq!(valid_text(" hi\tthere "), Ok(String::from("hi there")));
        assert!(valid_text("   ").is_err());
        assert!(valid_text(&"x".repeat(1001)).is_err());
        assert!(valid_text(&"x".repeat(1000)).is_ok());
    }
}
