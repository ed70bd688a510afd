// Opens <count> idle Engine.IO WebSocket sessions to a server and holds
// them (for the bytes-per-idle-session measurement), with Node's `ws`.
//
// Usage: node eio_idle.mjs <port> <count> [sio]
//
// Prints "ready <count>" once every session has its open packet (with
// `sio`: once each has also joined the Socket.IO main namespace, at
// /socket.io/), then waits until its stdin closes. Bounded: 60 s to open
// them all.
import WebSocket from "ws";
import { once } from "node:events";

const [port, count] = process.argv.slice(2, 4).map(Number);
const sio = process.argv[4] === "sio";
const path = sio ? "/socket.io/" : "/engine.io/";
setTimeout(() => {
  console.error("eio_idle: timed out opening sessions");
  process.exit(1);
}, 60000).unref();

const sockets = [];
let open = 0;
const batch = 200;
for (let i = 0; i < count; i += batch) {
  const pending = [];
  for (let j = i; j < Math.min(count, i + batch); j++) {
    const ws = new WebSocket(`ws://127.0.0.1:${port}${path}?EIO=4&transport=websocket`);
    ws.on("error", (e) => {
      console.error(`eio_idle: session ${j}: ${e.message}`);
      process.exit(1);
    });
    // Answer pings so the sessions stay open however long the measurement.
    ws.on("message", (data) => {
      if (data.toString() === "2") ws.send("3");
    });
    const ready = sio
      ? new Promise((resolve) => {
          ws.on("message", (data) => {
            const text = data.toString();
            if (text.startsWith("0{")) ws.send("40");
            else if (text.startsWith("40{")) resolve();
          });
        })
      : once(ws, "message");
    pending.push(ready.then(() => (open += 1)));
    sockets.push(ws);
  }
  await Promise.all(pending);
}
console.log(`ready ${open}`);
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
