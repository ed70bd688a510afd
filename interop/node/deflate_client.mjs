// Node `ws` as a permessage-deflate client of a tether echo server (run by
// crates/ws/tests/deflate_interop.rs).
//
// Usage: node deflate_client.mjs URL BITS...
//
// For every combination of serverNoContextTakeover, clientNoContextTakeover
// and the window bits listed (serverMaxWindowBits x clientMaxWindowBits),
// connects requesting them, checks the answer grants them, echoes small
// messages of every kind; then, with the defaults, compressible and
// incompressible text and binary from 0 B to 16 MiB. Prints "ok".
import { randomBytes } from "node:crypto";
import WebSocket from "ws";

const [url, ...bitsArgs] = process.argv.slice(2);
const bits = bitsArgs.map(Number);

function payloads(sizes) {
  const out = [];
  for (const n of sizes) {
    const text = '{"id":1,"user":"alice","msg":"hello world"},'.repeat(Math.floor(n / 40) + 1).slice(0, n);
    const rand = randomBytes(n).toString("base64").slice(0, n);
    out.push(text, rand, Buffer.from(text), randomBytes(n));
  }
  const block = randomBytes(20 << 10);
  out.push(Buffer.concat([block, block]), Buffer.concat([block, block]));
  return out;
}

function open(perMessageDeflate) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate, maxPayload: 64 << 20, maxFragments: 1 << 20 });
    ws.on("upgrade", (res) => { ws.extHeader = res.headers["sec-websocket-extensions"] ?? ""; });
    ws.on("open", () => resolve(ws));
    ws.on("error", reject);
  });
}

async function echo(ws, messages) {
  const queue = [];
  let waiting = null;
  ws.on("message", (data, isBinary) => {
    const m = isBinary ? data : data.toString("utf8");
    if (waiting) { const w = waiting; waiting = null; w(m); } else queue.push(m);
  });
  const next = () => (queue.length ? Promise.resolve(queue.shift()) : new Promise((r) => { waiting = r; }));
  for (const [i, m] of messages.entries()) {
    ws.send(m, { binary: typeof m !== "string" });
    const got = await next();
    const same = typeof m === "string" ? got === m : Buffer.isBuffer(got) && got.equals(m);
    if (!same) throw new Error(`message ${i} (${m.length} bytes) came back different`);
  }
}

function close(ws) {
  return new Promise((resolve) => { ws.on("close", resolve); ws.close(1000); });
}

const small = payloads([0, 1, 125, 126, 1000]);
for (const snct of [false, true]) {
  for (const cnct of [false, true]) {
    for (const sb of bits) {
      for (const cb of bits) {
        const ws = await open({
          threshold: 0,
          serverNoContextTakeover: snct,
          clientNoContextTakeover: cnct,
          serverMaxWindowBits: sb < 15 ? sb : undefined,
          clientMaxWindowBits: cb,
        });
        const h = ws.extHeader;
        const want = [];
        if (snct) want.push("server_no_context_takeover");
        if (cnct) want.push("client_no_context_takeover");
        if (sb < 15) want.push(`server_max_window_bits=${sb}`);
        if (cb < 15) want.push(`client_max_window_bits=${cb}`);
        for (const w of want) if (!h.includes(w)) throw new Error(`${w} missing from ${h}`);
        if (!h.startsWith("permessage-deflate")) throw new Error(`not negotiated: ${h}`);
        await echo(ws, small);
        await close(ws);
      }
    }
  }
}
const ws = await open({ threshold: 0 });
await echo(ws, payloads([0, 1, 125, 126, 1000, 65535, 65536, 1 << 20, 16 << 20]));
await close(ws);
console.log("ok");
