// Node `ws` as a permessage-deflate client of tether servers that impose
// parameters (run by crates/ws/tests/deflate_interop.rs).
//
// Usage: node deflate_imposed_client.mjs NAME,OFFER,MAX,URL...
//
// OFFER is "bare" (ws's default offer, `permessage-deflate;
// client_max_window_bits`), "plain" (`clientMaxWindowBits: false`:
// `permessage-deflate` without parameters) or "cnct-false" (the default
// offer, with `clientNoContextTakeover: false` set explicitly). All with
// threshold 0, so that every message is compressed. For each case, connects
// to URL with that offer and prints one line:
//
//     case NAME ECHOED VIEW
//
// VIEW is what ws negotiated, read from its PerMessageDeflate params (the
// ones its zlib streams are made with): "deflate SNCT CNCT SB CB"
// (server_no_context_takeover, client_no_context_takeover as 0 or 1, then
// server_max_window_bits and client_max_window_bits, 15 when absent), "none"
// without compression, or "failed <error>" when ws refused the server's
// answer. ECHOED is how many messages came back identical: compressible and
// incompressible text and binary from 0 B to MAX bytes (64 KiB or 1 MiB),
// each up to 16 KiB sent three times in a row (so that context takeover
// matters), and twice 40 KiB made of a 20 KiB block repeated. Prints "ok" at
// the end.
import { randomBytes } from "node:crypto";
import WebSocket from "ws";

const OFFERS = {
  bare: { threshold: 0 },
  plain: { threshold: 0, clientMaxWindowBits: false },
  "cnct-false": { threshold: 0, clientNoContextTakeover: false },
};

function payloads(max) {
  const out = [];
  for (const n of [0, 1, 125, 126, 1000, 16384, 65536, 1 << 20].filter((n) => n <= max)) {
    const text = '{"id":1,"user":"alice","msg":"héllo wörld"},'.repeat(Math.floor(n / 40) + 1).slice(0, n);
    const rand = randomBytes(n).toString("base64").slice(0, n);
    const times = n <= 16384 ? 3 : 1;
    for (const m of [text, rand, Buffer.from(text), randomBytes(n)]) {
      for (let i = 0; i < times; i++) out.push(m);
    }
  }
  const block = randomBytes(20 << 10);
  out.push(Buffer.concat([block, block]), Buffer.concat([block, block]));
  return out;
}

function open(url, perMessageDeflate) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate, maxPayload: 64 << 20, handshakeTimeout: 10000 });
    ws.on("open", () => resolve(ws));
    ws.on("error", reject);
  });
}

function view(ws) {
  const ext = ws._extensions["permessage-deflate"];
  if (!ext) return "none";
  const p = ext.params;
  const bits = (b) => (typeof b === "number" ? b : 15);
  return `deflate ${p.server_no_context_takeover ? 1 : 0} ${p.client_no_context_takeover ? 1 : 0} ` +
    `${bits(p.server_max_window_bits)} ${bits(p.client_max_window_bits)}`;
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
  return messages.length;
}

function close(ws) {
  return new Promise((resolve) => { ws.on("close", resolve); ws.close(1000); });
}

for (const arg of process.argv.slice(2)) {
  const [name, offer, max, ...rest] = arg.split(",");
  const url = rest.join(",");
  const messages = payloads(Number(max));
  if (!(offer in OFFERS)) throw new Error(`unknown offer ${offer}`);
  let ws;
  try {
    ws = await open(url, OFFERS[offer]);
  } catch (e) {
    console.log(`case ${name} 0 failed ${e.message}`);
    continue;
  }
  const seen = view(ws);
  const echoed = await echo(ws, messages);
  await close(ws);
  console.log(`case ${name} ${echoed} ${seen}`);
}
console.log("ok");
