// The tether demo page: a Socket.IO chat (rooms, nicknames, who is online,
// typing, connection state recovery), the /events Server-Sent Events
// stream, and the /ws WebSocket echo. Plain JavaScript, no build step;
// `io` comes from /socket.io/socket.io.js, which the server serves.
//
// The query may set the nickname and a room to open: /?nick=alice&room=rust
// `window.tetherDemo` exposes the state (for the console and for tests).
"use strict";

(() => {
  const $ = (id) => document.getElementById(id);
  const params = new URLSearchParams(location.search);
  const ACK_TIMEOUT_MS = 5000;
  const TYPING_IDLE_MS = 2500;
  const TYPING_SHOWN_MS = 6000;
  const MAX_LOG = 300;
  const MAX_PANEL = 30;

  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text != null) node.textContent = text;
    return node;
  };
  const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit" });
  const showError = (text) => {
    $("error").textContent = text || "";
  };

  // ---- state ---------------------------------------------------------

  const stored = (() => {
    try {
      return localStorage.getItem("tether-nick");
    } catch {
      return null;
    }
  })();
  let nick = (params.get("nick") || stored || `guest-${Math.floor(Math.random() * 9000) + 1000}`).slice(0, 24);
  // name -> { members: [{id, nick}], log: [message], ids: Set, typing: Map(id -> {nick, until}), unread }
  const rooms = new Map();
  let current = "lobby";
  // Chat events as they arrived: ids seen, duplicates (an id twice).
  const stats = { events: 0, duplicates: 0, connects: 0, recoveries: 0, disconnects: 0, lastReason: null };
  const liveSeen = new Set();
  let socket = null;
  let held = false;

  const room = (name) => {
    let r = rooms.get(name);
    if (!r) {
      r = { members: [], log: [], ids: new Set(), typing: new Map(), unread: 0 };
      rooms.set(name, r);
    }
    return r;
  };

  // ---- rendering -----------------------------------------------------

  const setStatus = (state, text) => {
    const s = $("status");
    s.dataset.state = state;
    s.textContent = text;
  };

  const connectedStatus = () => {
    if (!socket || !socket.connected) return;
    const engine = socket.io.engine;
    const transport = engine && engine.transport ? engine.transport.name : "?";
    const parts = [`connected as ${nick}`, `id ${socket.id}`, transport];
    if (socket.recovered) parts.push("recovered");
    setStatus("connected", parts.join(" · "));
  };

  const renderRooms = () => {
    const list = $("room-list");
    list.replaceChildren();
    for (const [name, r] of rooms) {
      const item = el("li", name === current ? "room current" : "room");
      item.dataset.room = name;
      const link = el("button", "room-name", `#${name}`);
      link.type = "button";
      link.addEventListener("click", () => select(name));
      item.append(link);
      if (r.unread > 0) item.append(el("span", "badge", String(r.unread)));
      if (name !== "lobby") {
        const leave = el("button", "leave", "×");
        leave.type = "button";
        leave.title = `leave #${name}`;
        leave.addEventListener("click", () => leaveRoom(name));
        item.append(leave);
      }
      list.append(item);
    }
  };

  const messageItem = (m) => {
    const item = el("li", `msg ${m.kind}${socket && m.from && m.from === socket.id ? " mine" : ""}`);
    item.dataset.id = m.id;
    item.append(el("time", null, clock(m.at)));
    if (m.kind === "chat") {
      item.append(el("b", "nick", m.nick), el("span", "text", m.text));
    } else {
      item.append(el("span", "text", m.text));
    }
    return item;
  };

  const renderLog = () => {
    const log = $("log");
    const atBottom = log.scrollTop + log.clientHeight >= log.scrollHeight - 8;
    log.replaceChildren(...room(current).log.map(messageItem));
    if (atBottom) log.scrollTop = log.scrollHeight;
  };

  const renderOnline = () => {
    const r = room(current);
    $("online-room").textContent = `#${current}`;
    $("online-count").textContent = `(${r.members.length})`;
    $("online").replaceChildren(
      ...r.members.map((m) => {
        const me = socket && m.id === socket.id;
        const item = el("li", me ? "member me" : "member", me ? `${m.nick} (you)` : m.nick);
        item.dataset.id = m.id;
        return item;
      })
    );
  };

  const renderTyping = () => {
    const now = Date.now();
    const r = room(current);
    for (const [id, t] of r.typing) if (t.until <= now || (socket && id === socket.id)) r.typing.delete(id);
    const names = [...r.typing.values()].map((t) => t.nick);
    let text = "";
    if (names.length === 1) text = `${names[0]} is typing…`;
    else if (names.length === 2) text = `${names[0]} and ${names[1]} are typing…`;
    else if (names.length > 2) text = `${names.length} people are typing…`;
    $("typing").textContent = text;
  };

  const select = (name) => {
    if (current !== name) stopTyping();
    current = name;
    room(name).unread = 0;
    $("room-title").textContent = `#${name}`;
    $("message-input").placeholder = `Message #${name}`;
    renderRooms();
    renderLog();
    renderOnline();
    renderTyping();
  };

  // Adds a message once (by id), in order; true if it was new.
  const addMessage = (m) => {
    const r = room(m.room);
    if (r.ids.has(m.id)) return false;
    r.ids.add(m.id);
    const after = (a, b) => a.at > b.at || (a.at === b.at && a.seq > b.seq);
    let i = r.log.length;
    while (i > 0 && after(r.log[i - 1], m)) i--;
    r.log.splice(i, 0, m);
    while (r.log.length > MAX_LOG) r.ids.delete(r.log.shift().id);
    if (m.kind === "chat" && m.from) r.typing.delete(m.from);
    return true;
  };

  // ---- Socket.IO -----------------------------------------------------

  // An emit with an ack, as a promise: rejects on `{ok:false}` or no
  // answer in time.
  // Offline, it fails at once rather than queue (a queued emit that went
  // out after its timeout would be sent twice by a user who retries).
  const request = (event, ...args) =>
    new Promise((resolve, reject) => {
      if (!socket || !socket.connected) return reject(new Error(`offline: ${event} not sent`));
      let done = false;
      const timer = setTimeout(() => {
        if (done) return;
        done = true;
        reject(new Error(`${event}: no answer in ${ACK_TIMEOUT_MS / 1000} s`));
      }, ACK_TIMEOUT_MS);
      socket.emit(event, ...args, (answer) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        if (answer && answer.ok) resolve(answer);
        else reject(new Error(answer && answer.error ? answer.error : `${event} failed`));
      });
    });

  const joinRoom = async (name, open) => {
    const answer = await request("join", name);
    const r = room(answer.room);
    r.members = answer.members;
    for (const m of answer.history) addMessage(m);
    if (open) select(answer.room);
    else {
      renderRooms();
      if (answer.room === current) {
        renderLog();
        renderOnline();
      }
    }
    return answer.room;
  };

  const leaveRoom = async (name) => {
    try {
      await request("leave", name);
      rooms.delete(name);
      if (current === name) select("lobby");
      else renderRooms();
    } catch (e) {
      showError(e.message);
    }
  };

  const setNick = async (asked) => {
    const answer = await request("nick", asked);
    nick = answer.nick;
    $("nick-input").value = nick;
    try {
      localStorage.setItem("tether-nick", nick);
    } catch {
      // Storage may be off: the nickname lasts for the page.
    }
    connectedStatus();
  };

  // Typing: `typing true` on the first keystroke, `false` after a pause,
  // on sending, or on switching rooms.
  let typingIn = null;
  let typingTimer = null;
  const stopTyping = () => {
    clearTimeout(typingTimer);
    if (typingIn && socket && socket.connected) socket.emit("typing", typingIn, false);
    typingIn = null;
  };
  const typed = () => {
    if (!socket || !socket.connected) return;
    if ($("message-input").value.trim() === "") return stopTyping();
    if (typingIn !== current) {
      stopTyping();
      typingIn = current;
      socket.emit("typing", current, true);
    }
    clearTimeout(typingTimer);
    typingTimer = setTimeout(stopTyping, TYPING_IDLE_MS);
  };

  const connect = () => {
    // The auth is read at each connection: the nickname of the moment.
    socket = io({ auth: (cb) => cb({ nick }) });

    socket.on("connect", async () => {
      stats.connects++;
      $("drop").disabled = false;
      connectedStatus();
      const engine = socket.io.engine;
      if (engine && typeof engine.on === "function") engine.on("upgrade", connectedStatus);
      if (socket.recovered) {
        // Same id, rooms and nickname; what was missed arrives as events.
        stats.recoveries++;
        return;
      }
      // A new session: (re)join the rooms, their history fills the gap.
      try {
        await setNick(nick);
        const names = rooms.size ? [...rooms.keys()] : ["lobby"];
        const wanted = params.get("room");
        if (wanted && !names.includes(wanted) && stats.connects === 1) names.push(wanted);
        for (const name of names) await joinRoom(name, stats.connects === 1 && name === (wanted || "lobby"));
        if (stats.connects > 1) select(current);
      } catch (e) {
        showError(e.message);
      }
    });
    socket.io.on("reconnect_attempt", () => setStatus("connecting", "reconnecting…"));
    socket.on("connect_error", (e) => setStatus("error", `cannot connect: ${e.message}`));
    socket.on("disconnect", (reason) => {
      stats.disconnects++;
      stats.lastReason = reason;
      setStatus("offline", held ? `offline (dropped, ${reason}): click Reconnect` : `offline (${reason})`);
      for (const r of rooms.values()) r.typing.clear();
      renderTyping();
    });

    socket.on("chat", (m) => {
      stats.events++;
      if (liveSeen.has(m.id)) stats.duplicates++;
      liveSeen.add(m.id);
      if (!rooms.has(m.room)) return;
      if (addMessage(m)) {
        if (m.room === current) renderLog();
        else {
          room(m.room).unread++;
          renderRooms();
        }
        if (m.room === current) renderTyping();
      }
    });
    socket.on("presence", (p) => {
      if (!rooms.has(p.room)) return;
      const r = room(p.room);
      r.members = p.members;
      // Someone who left is typing no more.
      const here = new Set(p.members.map((m) => m.id));
      for (const id of r.typing.keys()) if (!here.has(id)) r.typing.delete(id);
      if (p.room === current) {
        renderOnline();
        renderTyping();
      }
    });
    socket.on("typing", (t) => {
      if (!rooms.has(t.room)) return;
      const r = room(t.room);
      if (t.typing) r.typing.set(t.id, { nick: t.nick, until: Date.now() + TYPING_SHOWN_MS });
      else r.typing.delete(t.id);
      if (t.room === current) renderTyping();
    });
  };

  // ---- controls ------------------------------------------------------

  $("nick-input").value = nick;
  $("nick-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    showError("");
    try {
      await setNick($("nick-input").value);
    } catch (err) {
      showError(err.message);
    }
  });
  $("join-form").addEventListener("submit", async (e) => {
    e.preventDefault();
    showError("");
    const name = $("join-input").value.trim();
    if (!name || !socket) return;
    try {
      await joinRoom(name, true);
      $("join-input").value = "";
    } catch (err) {
      showError(err.message);
    }
  });
  $("message-input").addEventListener("input", typed);
  $("composer").addEventListener("submit", async (e) => {
    e.preventDefault();
    const input = $("message-input");
    const text = input.value.trim();
    if (!text || !socket) return;
    stopTyping();
    input.value = "";
    showError("");
    try {
      await request("chat", current, text);
    } catch (err) {
      showError(err.message);
      if (!input.value) input.value = text;
    }
  });
  // Drop: close the transport with reconnection off, so the page stays
  // offline while the others talk; Reconnect: the server recovers the
  // session and sends what was missed.
  $("drop").addEventListener("click", () => {
    if (!socket) return;
    const button = $("drop");
    if (!held) {
      held = true;
      button.textContent = "Reconnect";
      socket.io.reconnection(false);
      socket.io.engine.close();
    } else {
      held = false;
      button.textContent = "Drop connection";
      socket.io.reconnection(true);
      setStatus("connecting", "reconnecting…");
      socket.connect();
    }
  });
  setInterval(renderTyping, 1000);

  room("lobby");
  renderRooms();
  renderOnline();
  if (typeof io !== "function") {
    setStatus("error", "the Socket.IO client did not load from /socket.io/socket.io.js");
  } else {
    connect();
  }

  // ---- /events: Server-Sent Events -----------------------------------

  const sse = { count: 0, lastId: null, opens: 0 };
  const sseStatus = (state, text) => {
    const s = $("sse-status");
    s.dataset.state = state;
    s.textContent = text;
  };
  const describe = (type, data) => {
    if (type !== "tick") return data;
    try {
      const t = JSON.parse(data);
      return `tick ${t.n}: ${t.sockets} sockets · ${t.rooms} rooms · ${t.messages} messages · ${t.sse} sse · ${t.ws} ws`;
    } catch {
      return `tick ${data}`;
    }
  };
  const source = new EventSource("/events");
  source.onopen = () => {
    sse.opens++;
    sseStatus("open", sse.lastId ? `open (resumed after #${sse.lastId})` : "open");
  };
  source.onerror = () => sseStatus("connecting", "reconnecting…");
  for (const type of ["tick", "activity"]) {
    source.addEventListener(type, (e) => {
      sse.count++;
      sse.lastId = e.lastEventId;
      const item = el("li", `sse ${type}`);
      item.dataset.id = e.lastEventId;
      item.append(el("span", "id", `#${e.lastEventId}`), el("span", "text", describe(type, e.data)));
      const log = $("sse-log");
      log.prepend(item);
      while (log.children.length > MAX_PANEL) log.lastChild.remove();
    });
  }

  // ---- /ws: WebSocket echo -------------------------------------------

  const echo = { sent: 0, received: 0 };
  let ws = null;
  const pending = [];
  const wsStatus = (state, text) => {
    const s = $("ws-status");
    s.dataset.state = state;
    s.textContent = text;
  };
  const wsLog = (className, text) => {
    const log = $("ws-log");
    log.prepend(el("li", className, text));
    while (log.children.length > MAX_PANEL) log.lastChild.remove();
  };
  const openWs = () => {
    ws = new WebSocket(`${location.protocol === "https:" ? "wss" : "ws"}://${location.host}/ws`);
    wsStatus("connecting", "connecting…");
    ws.onopen = () => {
      wsStatus("open", "open");
      while (pending.length) ws.send(pending.shift());
    };
    ws.onmessage = (e) => {
      echo.received++;
      const sent = sentAt.shift();
      const ms = sent != null ? ` (${Math.round(performance.now() - sent)} ms)` : "";
      wsLog("echo", `echo: ${e.data}${ms}`);
    };
    ws.onclose = (e) => {
      wsStatus("closed", `closed (${e.code}): sending opens it again`);
      ws = null;
    };
  };
  const sentAt = [];
  $("ws-form").addEventListener("submit", (e) => {
    e.preventDefault();
    const input = $("ws-input");
    const text = input.value;
    if (!text) return;
    input.value = "";
    echo.sent++;
    sentAt.push(performance.now());
    wsLog("sent", `sent: ${text}`);
    if (ws && ws.readyState === WebSocket.OPEN) ws.send(text);
    else {
      pending.push(text);
      if (!ws) openWs();
    }
  });
  openWs();

  window.tetherDemo = {
    get socket() {
      return socket;
    },
    get nick() {
      return nick;
    },
    get current() {
      return current;
    },
    rooms,
    stats,
    sse,
    echo,
  };
})();
