// Node's engine.io-client (the transport under socket.io-client) against a
// tether Engine.IO server, WebSocket transport only.
//
// Usage: node eio_client.mjs <port>
//
// Sends text (ASCII, multi-byte, 100 KiB) and binary (256 bytes, empty)
// messages, expects each echoed in order, waits for two server pings
// (answered by the client itself), then closes. Prints one "ok ..." line per
// check and exits 0, or exits 1 with the reason. Bounded: 20 s.
import { Socket } from "engine.io-client";

const port = process.argv[2];
const fail = (why) => {
  console.error(`eio_client: ${why}`);
  process.exit(1);
};
setTimeout(() => fail("timed out"), 20000).unref();

const big = "x".repeat(100 * 1024);
const bin = Buffer.from([...Array(256).keys()]);
const sent = ["hello", "héllo €𝄞", big, bin, Buffer.alloc(0)];
const got = [];
let pings = 0;

const socket = new Socket(`ws://127.0.0.1:${port}`, { transports: ["websocket"] });
socket.on("open", () => {
  if (!/^[A-Za-z0-9_-]{22}$/.test(socket.id)) fail(`sid ${socket.id}`);
  console.log(`ok open sid of ${socket.id.length} URL-safe characters`);
  for (const m of sent) socket.send(m);
});
socket.on("ping", () => {
  pings += 1;
  maybeDone();
});
socket.on("message", (data) => {
  got.push(data);
  maybeDone();
});
socket.on("error", (e) => fail(`error ${e}`));
socket.on("close", (reason) => {
  if (!done) fail(`closed early: ${reason}`);
});

let done = false;
function maybeDone() {
  if (got.length < sent.length || pings < 2 || done) return;
  sent.forEach((m, i) => {
    const g = got[i];
    const same = Buffer.isBuffer(m)
      ? Buffer.isBuffer(g) && g.equals(m)
      : typeof g === "string" && g === m;
    if (!same) fail(`message ${i} came back as ${typeof g} of length ${g?.length}`);
  });
  console.log(`ok echoed ${got.length} messages in order`);
  console.log(`ok answered ${pings} pings`);
  done = true;
  socket.close();
  process.exit(0);
}
