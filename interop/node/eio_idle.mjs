// Opens <count> idle Engine.IO WebSocket sessions to a server and holds
// them (for the bytes-per-idle-session measurement), with Node's `ws`.
//
// Usage: node eio_idle.mjs <port> <count>
//
// Prints "ready <count>" once every session has its open packet, then
// waits until its stdin closes. Bounded: 60 s to open them all.
import WebSocket from "ws";
import { once } from "node:events";

const [port, count] = process.argv.slice(2).map(Number);
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
    const ws = new WebSocket(`ws://127.0.0.1:${port}/engine.io/?EIO=4&transport=websocket`);
    ws.on("error", (e) => {
      console.error(`eio_idle: session ${j}: ${e.message}`);
      process.exit(1);
    });
    // Answer pings so the sessions stay open however long the measurement.
    ws.on("message", (data) => {
      if (data.toString() === "2") ws.send("3");
    });
    pending.push(once(ws, "message").then(() => (open += 1)));
    sockets.push(ws);
  }
  await Promise.all(pending);
}
console.log(`ready ${open}`);
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
