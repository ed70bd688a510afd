// The Manager: one Engine.IO connection shared by the namespaces of an
// origin, with reconnection (exponential backoff with jitter).
import { Emitter, on } from "./emitter.js";
import { engine, tick } from "./engine.js";
import { Socket } from "./socket.js";
import { encode, decoder } from "./parser.js";

// http(s) URL of `uri`, relative to the page; a bare host gets the page's
// protocol, ws(s) becomes http(s).
export const parse = (uri) => {
  if (uri == null) uri = location.origin;
  if (!/^(https?|wss?):\/\//.test(uri) && uri[0] != "/") uri = location.protocol + "//" + uri;
  return new URL(uri.replace(/^ws/, "http"), location.href);
};

const DEFAULTS = {
  path: "/socket.io",
  reconnection: true,
  reconnectionAttempts: Infinity,
  reconnectionDelay: 1000,
  reconnectionDelayMax: 5000,
  randomizationFactor: 0.5,
  timeout: 2e4,
};

export class Manager extends Emitter {
  constructor(uri, opts) {
    super();
    if (uri && typeof uri == "object") {
      opts = uri;
      uri = undefined;
    }
    const o = (this.opts = Object.assign({}, opts));
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
    const e = (this.engine = engine(this._base, this.opts));
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
}

const proto = Manager.prototype;
proto.connect = proto.open;
proto.disconnect = proto.close = proto._close;
// Getters and setters of the options, as the reference's.
for (const name in DEFAULTS)
  proto[name] = function (v) {
    if (v === undefined) return this.opts[name];
    this.opts[name] = v;
    if (name == "reconnection" && !v) this._skip = true;
    return this;
  };
