// io(url, options): a socket for the URL's namespace, on the Manager
// cached for its origin and path unless forceNew (or the namespace is
// taken already).
import { Manager, parse } from "./manager.js";
import { Socket } from "./socket.js";

const cache = {};

export function io(uri, opts) {
  if (typeof uri == "object") {
    opts = uri;
    uri = undefined;
  }
  opts = Object.assign({}, opts);
  const u = parse(uri);
  const id = u.origin + (opts.path || "/socket.io");
  const nsp = u.pathname;
  if (u.search && !opts.query) opts.query = u.search.slice(1);
  const manager =
    opts.forceNew || opts.multiplex === false || (cache[id] && nsp in cache[id]._nsps)
      ? new Manager(u.origin, opts)
      : cache[id] || (cache[id] = new Manager(u.origin, opts));
  return manager.socket(nsp, opts);
}

Object.assign(io, { Manager, Socket, io, connect: io, protocol: 5 });
