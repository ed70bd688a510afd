// Smoke test of sio_server.mjs with the real socket.io-client over
// WebSocket only. Spawns the server, runs the checks, kills the server by
// closing its stdin. Exits 0 and prints "N passed, 0 failed" when all pass.
//
// Usage: node sio_client_check.mjs            (spawns sio_server.mjs)
//        node sio_client_check.mjs <port>     (uses a running server)
import { spawn } from "node:child_process";
import { once } from "node:events";
import { fileURLToPath } from "node:url";
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { io } from "socket.io-client";

const here = fileURLToPath(new URL(".", import.meta.url));

async function startServer() {
  const child = spawn(process.execPath, [`${here}sio_server.mjs`], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  let buf = "";
  for await (const chunk of child.stdout) {
    buf += chunk;
    const m = /^PORT (\d+)\n/.exec(buf);
    if (m) return { child, port: Number(m[1]) };
  }
  throw new Error(`server ended before printing PORT: ${JSON.stringify(buf)}`);
}

const withTimeout = (p, ms, what) =>
  Promise.race([
    p,
    new Promise((_, rej) => setTimeout(() => rej(new Error(`timeout: ${what}`)), ms)),
  ]);

let passed = 0;
let failed = 0;
async function check(name, fn) {
  try {
    await withTimeout(fn(), 5000, name);
    passed++;
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}: ${e.stack || e}`);
  }
}

const spawned = process.argv[2] ? null : await startServer();
const port = spawned ? spawned.port : Number(process.argv[2]);
const url = `http://127.0.0.1:${port}`;
const opts = { transports: ["websocket"], reconnection: false, forceNew: false };

const main = io(url, opts);
const welcome = once(main, "welcome");
await check("main namespace connects over websocket with welcome", async () => {
  await once(main, "connect");
  const [w] = await welcome;
  deepStrictEqual(w, { sid: main.id, ns: "/" });
  strictEqual(main.io.engine.transport.name, "websocket");
});

await check("echo with ack returns the arguments", async () => {
  const res = await main.emitWithAck("echo", "a", 1, { b: [true, null] });
  // emitWithAck resolves with the first ack argument only; use a callback
  // to see all of them.
  strictEqual(res, "a");
  const all = await new Promise((r) => main.emit("echo", "a", 1, { b: [true, null] }, (...x) => r(x)));
  deepStrictEqual(all, ["a", 1, { b: [true, null] }]);
});

await check("echo without ack is emitted back", async () => {
  const back = once(main, "echo");
  main.emit("echo", "x", { y: 2 });
  deepStrictEqual(await back, ["x", { y: 2 }]);
});

await check("binary with ack returns Buffers in place", async () => {
  const big = Buffer.alloc(65536, 7);
  const all = await new Promise((r) =>
    main.emit("binary", { name: "x", data: big }, [Buffer.from([1, 2, 3])], (...x) => r(x)),
  );
  strictEqual(all.length, 2);
  strictEqual(all[0].name, "x");
  ok(Buffer.from(all[0].data).equals(big));
  ok(Buffer.from(all[1][0]).equals(Buffer.from([1, 2, 3])));
});

await check("binary without ack is emitted back", async () => {
  const back = once(main, "binary");
  main.emit("binary", Buffer.from("hi"));
  const [b] = await back;
  ok(Buffer.from(b).equals(Buffer.from("hi")));
});

await check("keys keeps object key order", async () => {
  const s = await main.emitWithAck("keys", { z: 1, a: 2, m: { y: 0, b: 1 } });
  strictEqual(s, '{"z":1,"a":2,"m":{"y":0,"b":1}}');
});

await check("ask: server question with ack, then answered", async () => {
  const answered = once(main, "answered");
  main.once("question", (q, n, ack) => {
    strictEqual(q, "q?");
    strictEqual(n, 42);
    ack("yes", 7);
  });
  main.emit("ask");
  deepStrictEqual(await answered, ["yes", 7]);
});

const admin = io(`${url}/admin`, { ...opts, auth: { token: "secret", extra: [1] } });
await check("admin namespace with token connects on the same connection", async () => {
  const w = once(admin, "welcome");
  await once(admin, "connect");
  deepStrictEqual((await w)[0], { ns: "/admin", auth: { token: "secret", extra: [1] } });
  strictEqual(admin.io, main.io);
  const all = await new Promise((r) => admin.emit("echo", "adm", (...x) => r(x)));
  deepStrictEqual(all, ["adm"]);
});

await check("admin namespace without token gets connect_error", async () => {
  const bad = io(`${url}/admin`, { ...opts, forceNew: true, auth: { token: "nope" } });
  const [err] = await once(bad, "connect_error");
  strictEqual(err.message, "not authorized");
  bad.disconnect();
});

admin.disconnect();
main.disconnect();
if (spawned) {
  const exited = once(spawned.child, "exit");
  spawned.child.stdin.end();
  await check("server exits when stdin closes", async () => {
    const [code] = await exited;
    strictEqual(code, 0);
  });
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
