// A namespace's socket: events, acks (with timeouts), buffering while
// disconnected, connection state recovery.
import { Emitter, on } from "./emitter.js";
import { RESERVED } from "./parser.js";
import { error } from "./engine.js";

export class Socket extends Emitter {
  constructor(io, nsp, opts) {
    super();
    this.io = io;
    this.nsp = nsp;
    this.connected = false;
    this.recovered = false;
    this._recv = [];
    this.sendBuffer = [];
    this._ids = 0;
    this._acks = {};
    this._flags = {};
    this.auth = (this._opts = opts || {}).auth;
    if (io._autoConnect) this.open();
  }

  get disconnected() {
    return !this.connected;
  }

  get active() {
    return !!this._subs;
  }

  connect() {
    if (this.connected) return this;
    const io = this.io;
    this._subs = this._subs || [
      on(io, "open", () => this._onopen()),
      on(io, "packet", (p) => this._onpacket(p)),
      on(io, "error", (e) => this.connected || this._emit("connect_error", e)),
      on(io, "close", (reason, desc) => this._onclose(reason, desc)),
    ];
    if (!io._reconnecting) io.open();
    if (io._readyState == "open") this._onopen();
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
    if (ms == null) return (this._acks[id] = fn);
    const timer = setTimeout(() => {
      delete this._acks[id];
      this.sendBuffer = this.sendBuffer.filter((p) => p.id !== id);
      fn.call(this, new Error("operation has timed out"));
    }, ms);
    const ack = (this._acks[id] = (...args) => {
      clearTimeout(timer);
      fn.apply(this, args);
    });
    ack.withError = true;
  }

  emitWithAck(ev, ...args) {
    return new Promise((resolve, reject) => {
      const fn = (err, v) => (err ? reject(err) : resolve(v));
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
    this._subs = undefined;
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
}

const proto = Socket.prototype;
proto.open = proto.connect;
proto.close = proto.disconnect;
