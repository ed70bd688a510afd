// A small event emitter, API-compatible with @socket.io/component-emitter
// for what applications use: on, once, off, listeners.
// `_emit` fires local listeners; Socket overrides `emit` to send instead.
export class Emitter {
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
    const all = (this._ls = (ev && this._ls) || {});
    all[ev] = fn ? this.listeners(ev).filter((f) => f !== fn && f.fn !== fn) : [];
    return this;
  }

  _emit(ev, ...args) {
    for (const fn of this.listeners(ev).slice()) fn.apply(this, args);
    return this;
  }

  listeners(ev) {
    return (this._ls && this._ls[ev]) || [];
  }
}

const proto = Emitter.prototype;
proto.emit = proto._emit;
proto.removeListener = proto.removeAllListeners = proto.off;

// Subscribes and returns the unsubscription.
export const on = (target, ev, fn) => {
  target.on(ev, fn);
  return () => target.off(ev, fn);
};
