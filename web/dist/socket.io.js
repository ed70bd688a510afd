// tether socket.io client (Socket.IO v5, Engine.IO v4): the global `io`. MIT OR Apache-2.0.
(() => {
  // src/emitter.js
  var Emitter = class {
    on(ev, fn) {
      const all = this._ls || (this._ls = {});
      (all[ev] || (all[ev] = [])).push(fn);
      return this;
    }
    once(ev, fn) {
      const once = (...args) => {
        this.off(ev, once);
        fn.apply(this, args);
      };
      once.fn = fn;
      return this.on(ev, once);
    }
    // off() drops every listener, off(ev) those of `ev`, off(ev, fn) `fn`.
    off(ev, fn) {
      const all = this._ls = ev && this._ls || {};
      all[ev] = fn ? this.listeners(ev).filter((f) => f !== fn && f.fn !== fn) : [];
      return this;
    }
    _emit(ev, ...args) {
      for (const fn of this.listeners(ev).slice()) fn.apply(this, args);
      return this;
    }
    listeners(ev) {
      return this._ls && this._ls[ev] || [];
    }
  };
  var proto = Emitter.prototype;
  proto.emit = proto._emit;
  proto.removeListener = proto.removeAllListeners = proto.off;
  var on = (target, ev, fn) => {
    target.on(ev, fn);
    return () => target.off(ev, fn);
  };

  // src/engine.js
  var TYPES = ["open", "close", "ping", "pong", "message", "upgrade", "noop"];
  var SEP = "";
  var tick = (fn) => Promise.resolve().then(fn);
  var error = (message, props) => Object.assign(new Error(message), props);
  var isBinary = (d) => d != null && typeof d == "object";
  var base64 = (d) => {
    const b = new Uint8Array(d.buffer || d, d.byteOffset, d.byteLength);
    let s = "";
    for (let i = 0; i < b.length; i += 8192) s += String.fromCharCode.apply(null, b.subarray(i, i + 8192));
    return btoa(s);
  };
  var text = (p) => TYPES.indexOf(p.type) + (p.data == null ? "" : p.data);
  var decodeText = (s) => ({ type: TYPES[s[0]] || "error", data: s[1] ? s.slice(1) : void 0 });
  var size = (d) => {
    const n = d == null ? 0 : new Blob([d]).size;
    return typeof d == "object" ? Math.ceil(n / 3) * 4 : n;
  };
  var transport = (engine2, name) => {
    const t = new Emitter();
    const o = engine2.opts;
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
    const paused = () => {
      if (onPause && !polling && t.writable) {
        onPause();
        onPause = 0;
      }
    };
    const request = (method, body, uri = engine2._uri()) => fetch(uri, { method, body, cache: "no-store", credentials: o.withCredentials ? "include" : void 0 }).then((r) => {
      if (!r.ok) throw r.status;
      return r.text();
    });
    const poll = () => {
      polling = 1;
      request("GET").then((payload) => {
        if (state > 2) return;
        for (const s of payload.split(SEP)) {
          const p = s[0] == "b" ? { type: "message", data: Uint8Array.from(atob(s.slice(1)), (c) => c.charCodeAt(0)).buffer } : decodeText(s);
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
        const uri = engine2._uri();
        Promise.all(
          packets.map((p) => {
            const d = p.data;
            return d instanceof Blob ? d.arrayBuffer().then((b) => "b" + base64(b)) : isBinary(d) ? "b" + base64(d) : text(p);
          })
        ).then((records) => request("POST", records.join(SEP), uri)).then(drained, () => fail("xhr post error"));
      };
    } else {
      t.open = () => {
        try {
          ws = new WebSocket(engine2._uri(1));
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
  var engine = (base, opts) => {
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
      }).on("packet", onpacket).on("error", (err) => {
        emit("error", err);
        close("transport error", err);
      }).on("close", () => close("transport close"));
    };
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
      }).once("error", fail).once("close", fail);
      e.once("close", fail);
      t.open();
    };
    const flush = () => {
      const t = e.transport;
      if (is("closed") || !t.writable || upgrading || !buf.length) return;
      let i = buf.length;
      if (hs.maxPayload && t.name == "polling")
        for (let n = (i = 0) + 1; i < buf.length; i++) {
          n += size(buf[i].data);
          if (i && n > hs.maxPayload) break;
          n += 2;
        }
      t.send(buf.slice(0, sent = i));
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
    e.close = () => {
      const forced = () => close("forced close");
      const then = () => upgrading ? e.once("upgrade", forced).once("upgradeError", forced) : forced();
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

  // src/parser.js
  var RESERVED = ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"];
  var bad = () => {
    throw new Error("parse error");
  };
  var isBinary2 = (x) => x instanceof ArrayBuffer || ArrayBuffer.isView(x) || x instanceof Blob;
  var split = (x, out) => {
    if (isBinary2(x)) return { ["_placeholder"]: true, num: out.push(x) - 1 };
    if (Array.isArray(x)) return x.map((v) => split(v, out));
    if (!x || typeof x != "object" || typeof x.toJSON == "function") return x;
    const o = {};
    for (const k of Object.keys(x)) o[k] = split(x[k], out);
    return o;
  };
  var join = (x, parts) => {
    if (x && typeof x == "object") {
      if (x["_placeholder"] === true) {
        const b = parts[+x.num];
        if (!b) bad();
        return b;
      }
      for (const k in x) {
        const v = join(x[k], parts);
        if (v !== x[k]) x[k] = v;
      }
    }
    return x;
  };
  var encode = (p) => {
    let { type, data } = p;
    const parts = [];
    if (type == 2 || type == 3) {
      data = split(data, parts);
      if (parts.length) type += 3;
    }
    let s = "" + type;
    if (parts.length) s += parts.length + "-";
    if (p.nsp && p.nsp != "/") s += p.nsp + ",";
    if (p.id != null) s += p.id;
    if (data != null) s += JSON.stringify(data);
    return [s, ...parts];
  };
  var valid = (type, d) => type % 3 == 2 ? Array.isArray(d) && (typeof d[0] == "number" || typeof d[0] == "string" && !RESERVED.includes(d[0])) : type % 3 ? type == 1 ? d === void 0 : d != null : type ? Array.isArray(d) : !!d && d.constructor == Object;
  var PACKET = /^(\d)(?:(\d+)-)?(?:(\/[^,]*),?)?(\d+)?([^]*)$/;
  var decodeText2 = (s) => {
    const m = PACKET.exec(s);
    const type = m && +m[1];
    if (!m || type > 6 || m[2] != null != type > 4) bad();
    const data = m[5] ? JSON.parse(m[5]) : void 0;
    if (!valid(type, data)) bad();
    return { type, nsp: m[3] || "/", id: m[4] == null ? void 0 : +m[4], data, n: +m[2] };
  };
  var decoder = (decoded) => {
    let pending, parts;
    return (x) => {
      if (typeof x == "string") {
        if (pending) bad();
        const p = decodeText2(x);
        if (p.n) {
          pending = p;
          parts = [];
        } else decoded(p);
      } else {
        if (!pending) bad();
        if (parts.push(x) == pending.n) {
          const p = pending;
          pending = null;
          p.data = join(p.data, parts);
          decoded(p);
        }
      }
    };
  };

  // src/socket.js
  var Socket = class extends Emitter {
    constructor(io2, nsp, opts) {
      super();
      this.io = io2;
      this.nsp = nsp;
      this.connected = false;
      this.recovered = false;
      this._recv = [];
      this.sendBuffer = [];
      this._ids = 0;
      this._acks = {};
      this._flags = {};
      this.auth = (this._opts = opts || {}).auth;
      if (io2._autoConnect) this.open();
    }
    get disconnected() {
      return !this.connected;
    }
    get active() {
      return !!this._subs;
    }
    connect() {
      if (this.connected) return this;
      const io2 = this.io;
      this._subs = this._subs || [
        on(io2, "open", () => this._onopen()),
        on(io2, "packet", (p) => this._onpacket(p)),
        on(io2, "error", (e) => this.connected || this._emit("connect_error", e)),
        on(io2, "close", (reason, desc) => this._onclose(reason, desc))
      ];
      if (!io2._reconnecting) io2.open();
      if (io2._readyState == "open") this._onopen();
      return this;
    }
    send(...args) {
      return this.emit("message", ...args);
    }
    emit(ev, ...args) {
      if (RESERVED.includes(ev)) throw new Error(ev + " is reserved");
      args.unshift(ev);
      const p = { type: 2, data: args };
      const f = this._flags;
      if (typeof args[args.length - 1] == "function") {
        p.id = this._ids++;
        this._ack(p.id, args.pop());
      }
      const e = this.io.engine;
      if (this.connected) {
        if (!f.volatile || e.transport.writable) this._packet(p);
      } else if (!f.volatile) this.sendBuffer.push(p);
      this._flags = {};
      return this;
    }
    _ack(id, fn) {
      const ms = this._flags.timeout != null ? this._flags.timeout : this._opts.ackTimeout;
      if (ms == null) return this._acks[id] = fn;
      const timer = setTimeout(() => {
        delete this._acks[id];
        this.sendBuffer = this.sendBuffer.filter((p) => p.id !== id);
        fn.call(this, new Error("operation has timed out"));
      }, ms);
      const ack = this._acks[id] = (...args) => {
        clearTimeout(timer);
        fn.apply(this, args);
      };
      ack.withError = true;
    }
    emitWithAck(ev, ...args) {
      return new Promise((resolve, reject) => {
        const fn = (err, v) => err ? reject(err) : resolve(v);
        fn.withError = true;
        this.emit(ev, ...args, fn);
      });
    }
    _packet(p) {
      p.nsp = this.nsp;
      this.io._packet(p);
    }
    // CONNECT, with the session to recover when the server gave one.
    _onopen() {
      const connect = (d) => this._packet({ type: 0, data: this._pid ? Object.assign({ pid: this._pid, offset: this._offset }, d) : d });
      if (typeof this.auth == "function") this.auth(connect);
      else connect(this.auth);
    }
    _onclose(reason, desc) {
      this.connected = false;
      delete this.id;
      this._emit("disconnect", reason, desc);
      for (const id in this._acks) {
        if (this.sendBuffer.some((p) => p.id == id)) continue;
        const ack = this._acks[id];
        delete this._acks[id];
        if (ack.withError) ack.call(this, new Error("socket has been disconnected"));
      }
    }
    _onpacket(p) {
      if (p.nsp != this.nsp) return;
      const d = p.data;
      switch (p.type) {
        case 0:
          if (d.sid) {
            this.id = d.sid;
            this.recovered = !!d.pid && this._pid === d.pid;
            this._pid = d.pid;
            this.connected = true;
            this._recv.forEach((args) => this._event(args));
            this.sendBuffer.forEach((q) => this._packet(q));
            this._recv = [];
            this.sendBuffer = [];
            this._emit("connect");
          }
          break;
        case 2:
        case 5: {
          const args = d;
          let sent;
          if (p.id != null)
            args.push((...data) => {
              if (!sent) this._packet({ type: 3, id: p.id, data });
              sent = 1;
            });
          if (this.connected) this._event(args);
          else this._recv.push(args);
          break;
        }
        case 3:
        case 6: {
          const ack = this._acks[p.id];
          if (typeof ack != "function") return;
          delete this._acks[p.id];
          if (ack.withError) d.unshift(null);
          ack.apply(this, d);
          break;
        }
        case 1:
          this._destroy();
          this._onclose("io server disconnect");
          break;
        case 4:
          this._destroy();
          this._emit("connect_error", error(d.message || d, { data: d.data }));
      }
    }
    _event(args) {
      for (const f of this.listenersAny().slice()) f.apply(this, args);
      super._emit(...args);
      const last = args[args.length - 1];
      if (this._pid && typeof last == "string") this._offset = last;
    }
    _destroy() {
      if (this._subs) this._subs.forEach((f) => f());
      this._subs = void 0;
      this.io._destroy(this);
    }
    disconnect() {
      if (this.connected) this._packet({ type: 1 });
      this._destroy();
      if (this.connected) this._onclose("io client disconnect");
      return this;
    }
    compress(c) {
      this._flags.compress = c;
      return this;
    }
    get volatile() {
      this._flags.volatile = true;
      return this;
    }
    timeout(ms) {
      this._flags.timeout = ms;
      return this;
    }
    onAny(fn) {
      this._any = this.listenersAny().concat(fn);
      return this;
    }
    offAny(fn) {
      this._any = fn ? this.listenersAny().filter((f) => f !== fn) : [];
      return this;
    }
    listenersAny() {
      return this._any || [];
    }
  };
  var proto2 = Socket.prototype;
  proto2.open = proto2.connect;
  proto2.close = proto2.disconnect;

  // src/manager.js
  var parse = (uri) => {
    if (uri == null) uri = location.origin;
    if (!/^(https?|wss?):\/\//.test(uri) && uri[0] != "/") uri = location.protocol + "//" + uri;
    return new URL(uri.replace(/^ws/, "http"), location.href);
  };
  var DEFAULTS = {
    path: "/socket.io",
    reconnection: true,
    reconnectionAttempts: Infinity,
    reconnectionDelay: 1e3,
    reconnectionDelayMax: 5e3,
    randomizationFactor: 0.5,
    timeout: 2e4
  };
  var Manager = class extends Emitter {
    constructor(uri, opts) {
      super();
      if (uri && typeof uri == "object") {
        opts = uri;
        uri = void 0;
      }
      const o = this.opts = Object.assign({}, opts);
      for (const k in DEFAULTS) if (o[k] == null) o[k] = DEFAULTS[k];
      this._base = parse(uri).origin;
      this._nsps = {};
      this._subs = [];
      this._attempts = 0;
      this._readyState = "closed";
      this._autoConnect = o.autoConnect !== false;
      if (this._autoConnect) this.open();
    }
    _backoff() {
      const o = this.opts;
      const ms = o.reconnectionDelay * 2 ** this._attempts++;
      return Math.min(ms + (Math.random() * 2 - 1) * o.randomizationFactor * ms, o.reconnectionDelayMax) | 0;
    }
    open(fn) {
      if (this._readyState.includes("open")) return this;
      const e = this.engine = engine(this._base, this.opts);
      this._readyState = "opening";
      this._skip = false;
      const failed = (err) => {
        this._cleanup();
        this._readyState = "closed";
        this._emit("error", err);
        if (fn) fn(err);
        else if (!this._reconnecting && this.opts.reconnection && !this._attempts) this.reconnect();
      };
      const opened = on(e, "open", () => {
        this._onopen();
        fn && fn();
      });
      this._subs.push(opened, on(e, "error", failed));
      const ms = this.opts.timeout;
      if (ms !== false) {
        const timer = setTimeout(() => {
          opened();
          failed(new Error("timeout"));
          e.close();
        }, ms);
        this._subs.push(() => clearTimeout(timer));
      }
      e._open();
      return this;
    }
    _onopen() {
      this._cleanup();
      this._readyState = "open";
      this._emit("open");
      const e = this.engine;
      const add = decoder((p) => tick(() => this._emit("packet", p)));
      this._subs.push(
        on(e, "ping", () => this._emit("ping")),
        on(e, "data", (data) => {
          try {
            add(data);
          } catch (err) {
            this._onclose("parse error", err);
          }
        }),
        on(e, "error", (err) => this._emit("error", err)),
        on(e, "close", (reason, err) => this._onclose(reason, err))
      );
    }
    socket(nsp, opts) {
      let s = this._nsps[nsp];
      if (!s) s = this._nsps[nsp] = new Socket(this, nsp, opts);
      else if (this._autoConnect && !s.active) s.connect();
      return s;
    }
    // When no namespace is left active, the connection closes.
    _destroy() {
      for (const nsp in this._nsps) if (this._nsps[nsp].active) return;
      this._close();
    }
    _packet(p) {
      for (const x of encode(p)) this.engine.write(x);
    }
    _cleanup() {
      this._subs.forEach((f) => f());
      this._subs.length = 0;
    }
    _close() {
      this._skip = true;
      this._reconnecting = false;
      this._onclose("forced close");
    }
    _onclose(reason, desc) {
      this._cleanup();
      if (this.engine) this.engine.close();
      this._attempts = 0;
      this._readyState = "closed";
      this._emit("close", reason, desc);
      if (this.opts.reconnection && !this._skip) this.reconnect();
    }
    reconnect() {
      if (this._reconnecting || this._skip) return this;
      if (this._attempts >= this.opts.reconnectionAttempts) {
        this._attempts = 0;
        this._emit("reconnect_failed");
        this._reconnecting = false;
      } else {
        this._reconnecting = true;
        const timer = setTimeout(() => {
          if (this._skip) return;
          this._emit("reconnect_attempt", this._attempts);
          if (this._skip) return;
          this.open((err) => {
            if (err) {
              this._reconnecting = false;
              this.reconnect();
              this._emit("reconnect_error", err);
            } else {
              const n = this._attempts;
              this._reconnecting = false;
              this._attempts = 0;
              this._emit("reconnect", n);
            }
          });
        }, this._backoff());
        this._subs.push(() => clearTimeout(timer));
      }
      return this;
    }
  };
  var proto3 = Manager.prototype;
  proto3.connect = proto3.open;
  proto3.disconnect = proto3.close = proto3._close;
  for (const name in DEFAULTS)
    proto3[name] = function(v) {
      if (v === void 0) return this.opts[name];
      this.opts[name] = v;
      if (name == "reconnection" && !v) this._skip = true;
      return this;
    };

  // src/index.js
  var cache = {};
  function io(uri, opts) {
    if (typeof uri == "object") {
      opts = uri;
      uri = void 0;
    }
    opts = Object.assign({}, opts);
    const u = parse(uri);
    const id = u.origin + (opts.path || "/socket.io");
    const nsp = u.pathname;
    if (u.search && !opts.query) opts.query = u.search.slice(1);
    const manager = opts.forceNew || opts.multiplex === false || cache[id] && nsp in cache[id]._nsps ? new Manager(u.origin, opts) : cache[id] || (cache[id] = new Manager(u.origin, opts));
    return manager.socket(nsp, opts);
  }
  Object.assign(io, { Manager, Socket, io, connect: io, protocol: 5 });

  // src/browser.js
  self.io = io;
})();
