// The Node `engine.io` server (6.6, under socket.io in the lockfile) as an
// echo server for the Engine.IO load benchmark (benches/src/bin/eio_load.rs).
//
// Usage: node eio_echo_server.mjs
//
// Listens on 127.0.0.1 (a free port), prints "listening <port>", echoes
// every message on /engine.io/. Heartbeat: pingInterval 25 s, as the others.
import http from "node:http";
import { Server } from "engine.io";

const httpServer = http.createServer();
const engine = new Server({ pingInterval: 25000, pingTimeout: 20000, maxHttpBufferSize: 1e6 });
engine.attach(httpServer);
engine.on("connection", (socket) => {
  socket.on("message", (data) => socket.send(data));
});
httpServer.listen(0, "127.0.0.1", () => {
  console.log(`listening ${httpServer.address().port}`);
});
