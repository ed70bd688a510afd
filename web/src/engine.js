// Engine.IO v4 client: packets and payloads, the long-polling (fetch) and
// WebSocket transports, the upgrade (probe, pause, upgrade), heartbeat and
// write batching under the server's maxPayload.
import { Emitter } from "./emitter.js";

const TYPES = ["open", "close", "ping", "pong", "message", "upgrade", "noop"];
const SEP = "\x1e";
export const tick = (fn) => Promise.resolve().then(fn);
export const error = (message, props) => Object.assign(new Error(message), props);

const isBinary = (d) => d != null && typeof d == "object";

const base64 = (d) => {
  const b = new Uint8Array(d.buffer || d, d.byteOffset, d.byteLength);
  let s = "";
  for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode.apply(null, b.subarray(i, i + 8192));
  return btoa(s);
};

const text = (p) => TYPES.indexOf(p.type) + (p.data == null ? "" : p.data);

const decodeText = (s) => ({ type: TYPES[s[0]] || "error", data: s[1] ? s.slice(1) : undefined });

// Bytes a packet's data takes in a payload (UTF-8, or base64).
const size = (d) => {
  const n = d == null ? 0 : new Blob([d]).size;
  return typeof d == "object" ? Math.ceil(n / 3) * 4 : n;
};

// A transport: name, writable, open(), send(packets), close() and, for
// polling, pause(fn); it emits open, packet, drain, error and close.
// state: 0 opening, 1 open, 2 pausing, 3 closed.
const transport = (engine, name) => {
  const t = new Emitter();
  const o = engine.opts;
  const emit = (ev, x) => t._emit(ev, x);
  let state = 0;
  let ws, polling, onPause;
  const opened = () => {
    state = t.writable = 1;
    emit("open");
  };
  const fail = (message) => state < 3 && emit("error", error(message));
  const closed = () => {
    if (state < 3) {
      state = 3;
      t.writable = 0;
      emit("close");
    }
  };
  const drained = () => {
    if (state < 3) {
      t.writable = 1;
      emit("drain");
      paused();
    }
  };
  // For pause: once the poll in flight is back and the last write done.
  const paused = () => {
    if (onPause && !polling && t.writable) {
      onPause();
      onPause = 0;
    }
  };
  const request = (method, body, uri = engine._uri()) =>
    fetch(uri, { method, body, cache: "no-store", credentials: o.withCredentials ? "include" : undefined }).then((r) => {
      if (!r.ok) throw r.status;
      return r.text();
    });
  const poll = () => {
    polling = 1;
    request("GET").then((payload) => {
      if (state > 2) return;
      for (const s of payload.split(SEP)) {
        const p =
          s[0] == "b" ? { type: "message", data: Uint8Array.from(atob(s.slice(1)), (c) => c.charCodeAt(0)).buffer } : decodeText(s);
        if (!state && p.type == "open") opened();
        if (p.type == "close") return closed();
        emit("packet", p);
      }
      polling = 0;
      paused();
      if (state == 1) poll();
    }, () => fail("xhr poll error"));
  };
  t.name = name;
  t.pause = (fn) => {
    state = 2;
    onPause = fn;
    paused();
  };
  t.close = () => {
    if (state < 2) {
      if (ws) {
        ws.onerror = null;
        ws.close();
      } else if (state) t.send([{ type: "close" }]);
      closed();
    }
  };
  if (name == "polling") {
    t.open = poll;
    t.send = (packets) => {
      t.writable = 0;
      const uri = engine._uri();
      // Binary as "b" + base64; a Blob is read first.
      Promise.all(
        packets.map((p) => {
          const d = p.data;
          return d instanceof Blob ? d.arrayBuffer().then((b) => "b" + base64(b)) : isBinary(d) ? "b" + base64(d) : text(p);
        })
      )
        .then((records) => request("POST", records.join(SEP), uri))
        .then(drained, () => fail("xhr post error"));
    };
  } else {
    t.open = () => {
      try {
        ws = new WebSocket(engine._uri(1));
      } catch (e) {
        return tick(() => fail(e.message));
      }
      ws.binaryType = "arraybuffer";
      ws.onopen = opened;
      ws.onclose = closed;
      ws.onmessage = ({ data }) => emit("packet", typeof data == "string" ? decodeText(data) : { type: "message", data });
      ws.onerror = () => fail("websocket error");
    };
    t.send = (packets) => {
      t.writable = 0;
      for (const p of packets) ws.send(isBinary(p.data) ? p.data : text(p));
      tick(drained);
    };
  }
  return t;
};

// The Engine.IO socket: readyState (opening, open, closing, closed), id,
// transport, write(data), close(); emits open, handshake, packet, data,
// ping, drain, upgrade, upgradeError, error and close.
export const engine = (base, opts) => {
  const e = new Emitter();
  const emit = (ev, x, y) => e._emit(ev, x, y);
  const names = opts.transports || ["polling", "websocket"];
  const is = (...states) => states.includes(e.readyState);
  let buf = [];
  let sent = 0;
  let upgrading, pingTimer, hs;

  e.readyState = "opening";
  e.opts = opts;

  e._uri = (ws) => {
    const q = new URLSearchParams(opts.query);
    q.set("EIO", 4);
    q.set("transport", ws ? "websocket" : "polling");
    if (e.id) q.set("sid", e.id);
    return (ws ? base.replace(/^http/, "ws") : base) + opts.path.replace(/\/$/, "") + "/?" + q;
  };

  const use = (t) => {
    if (e.transport) e.transport.off();
    e.transport = t;
    t.on("drain", () => {
      buf.splice(0, sent);
      sent = 0;
      if (buf.length) flush();
      else emit("drain");
    })
      .on("packet", onpacket)
      .on("error", (err) => {
        emit("error", err);
        close("transport error", err);
      })
      .on("close", () => close("transport close"));
  };

  // The server pings every pingInterval; without one within pingTimeout
  // more, the connection is gone.
  const beat = () => {
    clearTimeout(pingTimer);
    pingTimer = setTimeout(() => close("ping timeout"), hs.pingInterval + hs.pingTimeout);
  };

  const onpacket = (p) => {
    if (is("closed")) return;
    emit("packet", p);
    const d = p.data;
    switch (p.type) {
      case "open":
        hs = JSON.parse(d);
        emit("handshake", hs);
        e.id = hs.sid;
        e.readyState = "open";
        emit("open");
        flush();
        if (!is("open")) return;
        if (opts.upgrade !== false && e.transport.name == "polling" && hs.upgrades.includes("websocket") && names.includes("websocket"))
          probe();
        return beat();
      case "ping":
        send("pong");
        emit("ping");
        return beat();
      case "error":
        emit("error", error("server error", { code: d }));
        return close("transport error");
      case "message":
        emit("data", d);
    }
  };

  // WebSocket next to polling: ping "probe", pong "probe", pause polling,
  // upgrade, then everything on the WebSocket.
  const probe = () => {
    const t = transport(e, "websocket");
    let failed;
    const cleanup = () => {
      t.off();
      e.off("close", fail);
    };
    const fail = () => {
      if (failed) return;
      failed = 1;
      cleanup();
      t.close();
      emit("upgradeError", error("probe error"));
    };
    t.once("open", () => {
      t.send([{ type: "ping", data: "probe" }]);
      t.once("packet", (p) => {
        if (p.type != "pong" || p.data != "probe") return fail();
        upgrading = 1;
        e.transport.pause(() => {
          if (failed || is("closed")) return;
          cleanup();
          use(t);
          t.send([{ type: "upgrade" }]);
          emit("upgrade", t);
          upgrading = 0;
          flush();
        });
      });
    })
      .once("error", fail)
      .once("close", fail);
    e.once("close", fail);
    t.open();
  };

  const flush = () => {
    const t = e.transport;
    if (is("closed") || !t.writable || upgrading || !buf.length) return;
    // As many packets as one polling payload of at most maxPayload bytes
    // holds (at least one).
    let i = buf.length;
    if (hs.maxPayload && t.name == "polling")
      for (let n = (i = 0) + 1; i < buf.length; i++) {
        n += size(buf[i].data);
        if (i && n > hs.maxPayload) break;
        n += 2;
      }
    t.send(buf.slice(0, (sent = i)));
  };

  const send = (type, data) => {
    if (is("closing", "closed")) return;
    buf.push({ type, data });
    flush();
  };

  const close = (reason, err) => {
    if (is("closed")) return;
    clearTimeout(pingTimer);
    const t = e.transport;
    t.off();
    t.close();
    e.readyState = "closed";
    e.id = null;
    emit("close", reason, err);
    buf = [];
    sent = 0;
  };

  e.write = (data) => {
    send("message", data);
    return e;
  };

  // Once what is buffered is written and an upgrade under way is done.
  e.close = () => {
    const forced = () => close("forced close");
    const then = () => (upgrading ? e.once("upgrade", forced).once("upgradeError", forced) : forced());
    if (is("opening", "open")) {
      e.readyState = "closing";
      if (buf.length) e.once("drain", then);
      else then();
    }
    return e;
  };

  e._open = () => {
    use(transport(e, names[0]));
    e.transport.open();
  };
  return e;
};
