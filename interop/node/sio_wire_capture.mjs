// Speaks raw engine.io 4 / socket.io 5 frames to sio_server.mjs over a plain
// `ws` WebSocket and prints every frame in both directions, as the
// transcript in SIO_WIRE.md. Also asserts the server's answers, so it doubles
// as a check of the exact wire format a hand-written client must produce.
//
// Usage: node sio_wire_capture.mjs   (spawns sio_server.mjs with a 300 ms
//                                     pingInterval so a ping shows up)
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { strictEqual, match, ok } from "node:assert/strict";
import WebSocket from "ws";

const here = fileURLToPath(new URL(".", import.meta.url));
const child = spawn(process.execPath, [`${here}sio_server.mjs`], {
  stdio: ["pipe", "pipe", "inherit"],
  env: { ...process.env, SIO_PING_INTERVAL_MS: "300", SIO_PING_TIMEOUT_MS: "2000" },
});
let port;
{
  let buf = "";
  for await (const chunk of child.stdout) {
    buf += chunk;
    const m = /^PORT (\d+)\n/.exec(buf);
    if (m) { port = Number(m[1]); break; }
  }
}

const url = `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`;
console.log(`URL ${url.replace(String(port), "<port>")}`);
const ws = new WebSocket(url);
const queue = [];
let waiter = null;
ws.on("message", (data, isBinary) => {
  const frame = isBinary ? Buffer.from(data) : data.toString("utf8");
  if (waiter) { const w = waiter; waiter = null; w(frame); } else queue.push(frame);
});
const show = (f) =>
  typeof f === "string" ? `text   ${f}` : `binary ${f.length} bytes: ${f.subarray(0, 16).toString("hex")}${f.length > 16 ? "..." : ""}`;
const recv = () =>
  new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error("timeout waiting for a frame")), 3000);
    const done = (f) => { clearTimeout(t); console.log(`S->C ${show(f)}`); resolve(f); };
    if (queue.length) done(queue.shift()); else waiter = done;
  });
// Receives, answering (and printing) pings on the way.
const recvNonPing = async () => {
  for (;;) {
    const f = await recv();
    if (f === "2") { send("3"); continue; }
    return f;
  }
};
const send = (f) => { console.log(`C->S ${show(f)}`); ws.send(f); };
const note = (s) => console.log(`# ${s}`);
await new Promise((r) => ws.once("open", r));

note("engine.io open packet (type 0), sent by the server first");
const open = JSON.parse((await recv()).slice(1));
ok(open.sid && open.upgrades && open.pingInterval === 300 && open.pingTimeout === 2000 && open.maxPayload);

note("socket.io CONNECT to / (no auth): '40'; server answers 40{sid}, then the welcome event");
send("40");
match(await recvNonPing(), /^40\{"sid":"[^"]+"\}$/);
match(await recvNonPing(), /^42\["welcome",\{"sid":"[^"]+","ns":"\/"\}\]$/);

note("engine.io ping '2' from the server every pingInterval; the client answers pong '3'");
strictEqual(await recv(), "2");
send("3");

note("EVENT with ack id 1 -> ACK 431[...args]");
send('421["echo","a",1,{"b":[true,null]}]');
strictEqual(await recvNonPing(), '431["a",1,{"b":[true,null]}]');

note("EVENT without ack -> the server emits 'echo' back");
send('42["echo","x",{"y":2}]');
strictEqual(await recvNonPing(), '42["echo","x",{"y":2}]');

note("BINARY_EVENT with ack: header 45<n>-<id>[...], then n raw binary frames");
send('451-2["binary",{"name":"x","data":{"_placeholder":true,"num":0}}]');
send(Buffer.from([0xde, 0xad, 0xbe, 0xef]));
strictEqual(await recvNonPing(), '461-2[{"name":"x","data":{"_placeholder":true,"num":0}}]');
strictEqual((await recvNonPing()).toString("hex"), "deadbeef");

note("BINARY_EVENT with two attachments, no ack -> the server emits 'binary' back");
send('452-["binary",{"_placeholder":true,"num":0},[{"_placeholder":true,"num":1}]]');
send(Buffer.from([1, 2, 3]));
send(Buffer.from([]));
strictEqual(await recvNonPing(), '452-["binary",{"_placeholder":true,"num":0},[{"_placeholder":true,"num":1}]]');
strictEqual((await recvNonPing()).toString("hex"), "010203");
strictEqual((await recvNonPing()).length, 0);

note("key order survives the server's JSON.parse / JSON.stringify");
send('423["keys",{"z":1,"a":2}]');
strictEqual(await recvNonPing(), '433["{\\"z\\":1,\\"a\\":2}"]');

note("server-to-client EVENT with ack id; the client ACKs it, the server emits 'answered'");
send('42["ask"]');
const q = await recvNonPing();
const qm = /^42(\d+)\["question","q\?",42\]$/.exec(q);
ok(qm, q);
send(`43${qm[1]}["yes",7]`);
strictEqual(await recvNonPing(), '42["answered","yes",7]');

note("CONNECT to /admin with auth: 40/admin,{auth}; everything in it carries the '/admin,' prefix");
send('40/admin,{"token":"secret"}');
match(await recvNonPing(), /^40\/admin,\{"sid":"[^"]+"\}$/);
strictEqual(await recvNonPing(), '42/admin,["welcome",{"ns":"/admin","auth":{"token":"secret"}}]');
send('42/admin,5["echo","adm"]');
strictEqual(await recvNonPing(), '43/admin,5["adm"]');

note("DISCONNECT from /admin (no answer), then, after a pause, CONNECT with a wrong token -> CONNECT_ERROR (44)");
send("41/admin,");
// Node applies a DISCONNECT on the next tick; a CONNECT to the same namespace
// read in the same tick finds the old socket and force-closes the connection.
await new Promise((r) => setTimeout(r, 100));
send('40/admin,{"token":"nope"}');
strictEqual(await recvNonPing(), '44/admin,{"message":"not authorized"}');

note("DISCONNECT from /, then close the WebSocket");
send("41");
ws.close();
await new Promise((r) => ws.once("close", r));
child.stdin.end();
console.log("1 passed, 0 failed");
