// The Node `socket.io` server (4.8) running the application of the Socket.IO
// load benchmark (benches/src/bin/sio_load.rs), as bench-sio-server does for
// tether and socketioxide.
//
// Usage: node sio_bench_server.mjs [port]
//
// Listens on 127.0.0.1 (port 0, i.e. a free one, unless one is given),
// prints "listening <port>". Default configuration (path /socket.io/, both
// transports, pingInterval 25 s). Namespace "/":
//   "ack" (arg)          acknowledged with arg
//   "join" (room)        the socket joins room; acknowledged
//   "fanout" (room, n)   emits n "msg" events (i for i in 0..n) to room,
//                        then acknowledges
import http from "node:http";
import { Server } from "socket.io";

// The most "msg" events one "fanout" emits, as bench-sio-server.
const MAX_FANOUT = 100000;

const port = Number(process.argv[2] ?? 0);
const httpServer = http.createServer();
const io = new Server(httpServer);
io.on("connection", (socket) => {
  socket.on("ack", (arg, ack) => {
    if (typeof ack === "function") ack(arg);
  });
  socket.on("join", (room, ack) => {
    socket.join(String(room));
    if (typeof ack === "function") ack();
  });
  socket.on("fanout", (room, n, ack) => {
    const count = Math.min(Number(n) || 0, MAX_FANOUT);
    const to = io.to(String(room));
    for (let i = 0; i < count; i++) to.emit("msg", i);
    if (typeof ack === "function") ack();
  });
});
httpServer.listen(port, "127.0.0.1", () => {
  console.log(`listening ${httpServer.address().port}`);
});
