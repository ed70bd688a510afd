// Node `ws` as a client of a tether server (run by
// crates/ws/tests/interop_node.rs). Same checks as
// interop/python/ws_client.py. Exits 0 and prints "ok" when all passed.
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import WebSocket from "ws";

const url = process.argv[2];

function open(protocols) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { maxPayload: 64 << 20, perMessageDeflate: true });
    ws.binaryType = "nodebuffer";
    const queue = [];
    const waiters = [];
    ws.on("message", (data, isBinary) => {
      const m = isBinary ? data : data.toString("utf8");
      if (waiters.length) waiters.shift()(m); else queue.push(m);
    });
    ws.next = () => new Promise((res) => (queue.length ? res(queue.shift()) : waiters.push(res)));
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

const closed = (ws) => new Promise((res) => ws.once("close", (code, reason) => res({ code, reason: reason.toString() })));
const textOf = (size) => "é€😀x".repeat(Math.floor(size / 4) + 1).slice(0, Math.floor(size / 3));

let ws = await open(["chat.v1", "chat.v2"]);
assert.equal(ws.protocol, "chat.v1");
// The server declined permessage-deflate.
assert.equal(ws.extensions, "");
for (const size of [0, 1, 125, 126, 127, 65535, 65536, 1 << 20, 16 << 20]) {
  const data = randomBytes(size);
  ws.send(data);
  assert.ok(data.equals(await ws.next()), `binary ${size}`);
  const text = textOf(size);
  ws.send(text);
  assert.equal(await ws.next(), text, `text ${size}`);
}
// Fragmented: ws sends fragments with { fin: false }.
ws.send("frag", { fin: false });
ws.send("mented é€", { fin: false });
ws.send("😀", { fin: true });
assert.equal(await ws.next(), "fragmented é€😀");
// Ping: the server answers with the same payload.
const pong = new Promise((res) => ws.once("pong", res));
ws.ping("node ping");
assert.equal((await pong).toString(), "node ping");
for (let i = 0; i < 500; i++) ws.send(`seq ${i}`);
for (let i = 0; i < 500; i++) assert.equal(await ws.next(), `seq ${i}`);
let done = closed(ws);
ws.close(4001, "node bye");
assert.equal((await done).code, 4001);

// The server closes with a code and reason.
ws = await open(["chat.v1"]);
done = closed(ws);
ws.send("close:4002:server bye");
const got = await done;
assert.equal(got.code, 4002);
assert.equal(got.reason, "server bye");
// A refused handshake: the server's callback answers 403.
const status = await new Promise((resolve) => {
  const bad = new WebSocket(url + "refuse");
  bad.on("unexpected-response", (req, res) => { resolve(res.statusCode); req.destroy(); });
  bad.on("open", () => resolve("opened"));
  bad.on("error", () => {});
});
assert.equal(status, 403);
console.log("ok");
