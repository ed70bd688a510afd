// A Node socket.io 4.8 server for the browser client's Chromium test
// (crates/socketio/tests/client_browser.rs), with the handlers of the
// in-process test app (crates/socketio/tests/server_app) that the page
// (interop/browser/client_test.html) calls.
//
// Usage: node sio_client_target.mjs <page origin>
//
// One HTTP server on an ephemeral 127.0.0.1 port, two Socket.IO servers on
// it: /socket.io/ (plain) and /recovery.io/ (connectionStateRecovery), both
// with pingInterval 1000 ms and pingTimeout 2000 ms and CORS for the page's
// origin. Prints "port <port>", then runs until stdin closes (the test's
// end) or 300 s pass.
import { createServer } from "node:http";
import { Server } from "socket.io";

const [origin] = process.argv.slice(2);
const log = [];

function handlers(io, socket) {
  let any = 0;
  socket.onAny(() => any++);
  socket.on("any_count", (cb) => cb(any));
  socket.on("echo", (...args) => {
    const cb = typeof args[args.length - 1] === "function" ? args.pop() : null;
    if (cb) cb(...args);
    else socket.emit("echo", ...args);
  });
  socket.on("bin", (data, nested, cb) => {
    cb({ len: data.length + nested.inner.length, reversed: Buffer.from(data).reverse(), nested });
  });
  socket.on("ask_client", async (ms, cb) => {
    try {
      cb(await socket.timeout(ms).emitWithAck("question", "life"));
    } catch {
      cb("timeout");
    }
  });
  socket.on("handshake", (cb) => {
    const hs = socket.handshake;
    cb({
      foo: hs.query.foo ?? null,
      token: hs.auth && hs.auth.token !== undefined ? hs.auth.token : null,
      address: hs.address.replace(/^::ffff:/, ""),
      xdomain: hs.xdomain,
      url: hs.url,
      issued: hs.issued,
      time: hs.time,
    });
  });
  socket.on("kick", () => socket.disconnect());
  socket.on("join", (room, cb) => {
    socket.join(room);
    cb([...socket.rooms]);
  });
  socket.on("tick_room", (room, start, count, cb) => {
    for (let k = start; k < start + count; k++) io.to(room).emit("tick", k);
    cb();
  });
  socket.on("volatile", (n) => {
    for (let i = 0; i < n; i++) socket.volatile.emit("vol", i);
    socket.emit("vol_done");
  });
  // Closes the client's Engine.IO connection, then sends ticks to the room
  // while the client is away.
  socket.on("drop", (room, start, count) => {
    socket.conn.close();
    setTimeout(() => {
      for (let k = start; k < start + count; k++) io.to(room).emit("tick", k);
    }, 300);
  });
  socket.on("reasons", (cb) => cb(log));
  socket.on("disconnect", (reason) => log.push(`${socket.nsp.name} ${reason}`));
}

const http = createServer();
const options = {
  pingInterval: 1000,
  pingTimeout: 2000,
  serveClient: false,
  destroyUpgrade: false,
  cors: { origin },
};
for (const [path, extra] of [
  ["/socket.io", {}],
  ["/recovery.io", { connectionStateRecovery: {} }],
]) {
  const io = new Server(http, { ...options, ...extra, path });
  io.on("connection", (socket) => handlers(io, socket));
  const admin = io.of("/admin");
  admin.use((socket, next) => {
    if (socket.handshake.auth && socket.handshake.auth.token === "secret") return next();
    const err = new Error("not authorized");
    err.data = { code: 42 };
    next(err);
  });
  admin.on("connection", (socket) => {
    socket.on("whoami", (cb) => cb({ nsp: socket.nsp.name, id: socket.id }));
    socket.on("disconnect", (reason) => log.push(`/admin ${reason}`));
  });
}
http.listen(0, "127.0.0.1", () => console.log(`port ${http.address().port}`));
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
setTimeout(() => process.exit(0), 300000).unref();
