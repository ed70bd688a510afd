// A real socket.io 4 server (Node) for tether-socketio's interop tests.
//
// Usage: node sio_server.mjs [port]
//
// Listens on 127.0.0.1 (port 0, i.e. any free port, unless one is given),
// then prints exactly one line "PORT <n>" to stdout. Both transports are
// allowed (WebSocket and HTTP long-polling) under the default path
// /socket.io/, so a client's WebSocket URL is
//   ws://127.0.0.1:<n>/socket.io/?EIO=4&transport=websocket
//
// It exits when its stdin closes (the spawning test drops the pipe), and in
// any case after 120 s. Everything else it says goes to stderr.
//
// Environment (all optional):
//   SIO_PING_INTERVAL_MS  engine.io pingInterval (socket.io default 25000)
//   SIO_PING_TIMEOUT_MS   engine.io pingTimeout (socket.io default 20000)
//   SIO_WIRE=1            log every engine.io packet in and out to stderr
//
// Namespace "/":
//   on connection  emit "welcome" {sid: socket.id, ns: "/"}
//   "echo"         ack with the other arguments, or emit "echo" back
//   "binary"       the same, for arguments holding Buffers
//   "keys"         ack (or emit "keys") with JSON.stringify(arg0)
//   "ask"          emit "question" ("q?", 42) with an ack callback; when the
//                  client acks, emit "answered" with the acked arguments
// Namespace "/admin":
//   middleware     handshake.auth.token must be "secret", otherwise
//                  CONNECT_ERROR {"message":"not authorized"}
//   on connection  emit "welcome" {ns: "/admin", auth: handshake.auth}
//   "echo"         as on "/"
import { createServer } from "node:http";
import { Server } from "socket.io";

const port = Number(process.argv[2] ?? 0);
const envInt = (name, fallback) => {
  const v = process.env[name];
  return v === undefined || v === "" ? fallback : Number(v);
};

const httpServer = createServer();
const io = new Server(httpServer, {
  transports: ["polling", "websocket"],
  pingInterval: envInt("SIO_PING_INTERVAL_MS", 25000),
  pingTimeout: envInt("SIO_PING_TIMEOUT_MS", 20000),
  maxHttpBufferSize: 16 << 20,
  serveClient: false,
});

const log = (...args) => console.error("[sio_server]", ...args);

if (process.env.SIO_WIRE === "1") {
  io.engine.on("connection", (conn) => {
    const show = (p) =>
      Buffer.isBuffer(p.data)
        ? `<binary ${p.data.length} bytes>`
        : JSON.stringify(p.data ?? "");
    conn.on("packet", (p) => log(`${conn.id} <- ${p.type} ${show(p)}`));
    conn.on("packetCreate", (p) => log(`${conn.id} -> ${p.type} ${show(p)}`));
  });
}

// Splits a trailing ack function off the arguments.
const splitAck = (args) =>
  args.length > 0 && typeof args[args.length - 1] === "function"
    ? [args.slice(0, -1), args[args.length - 1]]
    : [args, null];

// Answers through the ack when there is one, otherwise emits `event` back.
const replyWith = (socket, event) => (...raw) => {
  const [args, ack] = splitAck(raw);
  if (ack) ack(...args);
  else socket.emit(event, ...args);
};

const logLifecycle = (socket) => {
  log(`connect ${socket.nsp.name} ${socket.id}`);
  socket.on("disconnect", (reason) =>
    log(`disconnect ${socket.nsp.name} ${socket.id}: ${reason}`),
  );
};

io.on("connection", (socket) => {
  logLifecycle(socket);
  socket.emit("welcome", { sid: socket.id, ns: "/" });
  socket.on("echo", replyWith(socket, "echo"));
  socket.on("binary", replyWith(socket, "binary"));
  socket.on("keys", (...raw) => {
    const [args, ack] = splitAck(raw);
    const text = JSON.stringify(args[0]);
    if (ack) ack(text);
    else socket.emit("keys", text);
  });
  socket.on("ask", () => {
    socket.emit("question", "q?", 42, (...answer) => {
      socket.emit("answered", ...answer);
    });
  });
});

const admin = io.of("/admin");
admin.use((socket, next) => {
  if (socket.handshake.auth && socket.handshake.auth.token === "secret") next();
  else next(new Error("not authorized"));
});
admin.on("connection", (socket) => {
  logLifecycle(socket);
  socket.emit("welcome", { ns: "/admin", auth: socket.handshake.auth });
  socket.on("echo", replyWith(socket, "echo"));
});

const shutdown = (why) => {
  log(`exiting: ${why}`);
  io.close();
  process.exit(0);
};

httpServer.listen(port, "127.0.0.1", () => {
  // stdout is a pipe or a file here: writes are synchronous, so the line is
  // out before anything else happens.
  process.stdout.write(`PORT ${httpServer.address().port}\n`);
});

process.stdin.on("end", () => shutdown("stdin closed"));
process.stdin.on("close", () => shutdown("stdin closed"));
process.stdin.on("error", () => shutdown("stdin error"));
process.stdin.resume();
setTimeout(() => shutdown("120 s safety bound"), 120_000);
