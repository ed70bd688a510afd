// Node's official engine.io-client (6.6, under socket.io-client in the
// lockfile) against a tether EngineServer.
//
// Usage: node eio_server_check.mjs <port> <scenario> [args...]
//
//   echo <polling|websocket|upgrade> <maxPayload>
//       text (ASCII, multi-byte, maxPayload-sized) and binary (256 bytes,
//       empty, 97 % of maxPayload as base64) sent and echoed in order; with
//       `upgrade`, messages are sent before, during and after the upgrade
//       and the session must end on WebSocket.
//   heartbeat <polling|websocket>
//       answers the server's pings for 1.5 s (expects several), then stops
//       answering and expects the server to close the session.
//   many <count>
//       <count> concurrent sessions (half polling, half WebSocket), 20
//       messages each, every one echoed in order.
//   abort
//       opens a polling session and exits while its GET is pending (the
//       connection drops mid-poll, as a closed browser tab does).
//   server-close <polling|websocket>
//       sends "bye"; the server answers "farewell" and closes: both the
//       answer and the close must arrive.
//
// Prints "ok ..." lines and exits 0, or exits 1 with the reason. Bounded
// by a 60 s timer.
import { Socket } from "engine.io-client";

const [port, scenario, ...args] = process.argv.slice(2);
const url = `http://127.0.0.1:${port}`;
const fail = (why) => {
  console.error(`eio_server_check ${scenario}: ${why}`);
  process.exit(1);
};
setTimeout(() => fail("timed out"), 60000).unref();

const transportsOf = (mode) =>
  mode === "polling" ? ["polling"] : mode === "websocket" ? ["websocket"] : ["polling", "websocket"];

const same = (a, b) =>
  Buffer.isBuffer(a)
    ? (Buffer.isBuffer(b) || b instanceof ArrayBuffer) && Buffer.from(b).equals(a)
    : typeof b === "string" && a === b;

function open(mode, extra = {}) {
  return new Socket(url, { transports: transportsOf(mode), upgrade: mode === "upgrade", ...extra });
}

async function echo(mode, maxPayload) {
  const max = Number(maxPayload);
  // Binary near maxPayload, with room for the client's size estimate
  // (it counts base64 as 1.33 bytes per byte, a little under the real
  // 4/3, so a batch it thinks fits could be a few bytes over).
  const binLen = Math.floor(((max - 1) / 4) * 3 * 0.97);
  // The empty binary message goes last in each batch: engine.io-client
  // 6.6 sizes it as NaN when it splits its polling batches at maxPayload,
  // which turns off the split for the packets after it.
  const batch = (tag) => [
    `${tag} hello`,
    `${tag} héllo €𝄞`,
    Buffer.from([...Array(256).keys()]),
    Buffer.alloc(0),
  ];
  const before = batch("before").slice(0, 3);
  const big = [ "x".repeat(max - 1), Buffer.alloc(binLen, 7) ];
  const socket = open(mode);
  const sent = [];
  const got = [];
  const send = (m) => {
    sent.push(m);
    socket.send(m);
  };
  await new Promise((resolve, reject) => {
    socket.on("error", (e) => reject(new Error(`error ${e}`)));
    socket.on("close", (r) => reject(new Error(`closed early: ${r}`)));
    socket.on("open", () => {
      console.log(`ok open on ${socket.transport.name} sid length ${socket.id.length}`);
      if (socket.transport.ws) console.log(`ok extensions [${socket.transport.ws.extensions}]`);
      before.forEach(send);
      big.forEach(send);
      if (mode !== "upgrade") batch("after").forEach(send);
    });
    socket.on("upgrading", () => batch("during").forEach(send));
    socket.on("upgrade", (t) => {
      console.log(`ok upgraded to ${t.name}`);
      if (t.ws) console.log(`ok extensions [${t.ws.extensions}]`);
      batch("after").forEach(send);
    });
    socket.on("message", (data) => {
      got.push(data);
      if (got.length === sent.length && (mode !== "upgrade" || socket.transport.name === "websocket")) {
        resolve();
      }
    });
  });
  sent.forEach((m, i) => {
    if (!same(m, got[i])) fail(`message ${i} came back as ${typeof got[i]} of length ${got[i]?.length}`);
  });
  console.log(`ok echoed ${got.length} messages in order on ${socket.transport.name}`);
  socket.removeAllListeners("close");
  socket.close();
}

async function heartbeat(mode) {
  const socket = open(mode);
  let pings = 0;
  const start = Date.now();
  await new Promise((resolve, reject) => {
    socket.on("error", (e) => reject(new Error(`error ${e}`)));
    socket.on("ping", () => (pings += 1));
    socket.on("close", (reason) => {
      const alive = Date.now() - start;
      if (alive < 1500) return reject(new Error(`closed after ${alive} ms: ${reason}`));
      console.log(`ok closed by the server when pongs stopped: ${reason}`);
      resolve();
    });
    socket.on("open", () => {
      setTimeout(() => {
        if (pings < 3) return reject(new Error(`only ${pings} pings in 1.5 s`));
        console.log(`ok answered ${pings} pings`);
        // Stop answering: the client's own packet sender drops pongs.
        const original = socket._sendPacket.bind(socket);
        socket._sendPacket = (type, ...rest) => (type === "pong" ? undefined : original(type, ...rest));
      }, 1500);
    });
  });
}

async function many(count) {
  const n = Number(count);
  const per = 20;
  let done = 0;
  await new Promise((resolve, reject) => {
    for (let c = 0; c < n; c++) {
      const socket = open(c % 2 === 0 ? "polling" : "websocket");
      const got = [];
      socket.on("error", (e) => reject(new Error(`session ${c}: error ${e}`)));
      socket.on("open", () => {
        for (let i = 0; i < per; i++) socket.send(`${c}:${i}`);
      });
      socket.on("message", (data) => {
        const want = `${c}:${got.length}`;
        if (data !== want) reject(new Error(`session ${c}: got ${data}, want ${want}`));
        got.push(data);
        if (got.length === per) {
          socket.close();
          if (++done === n) resolve();
        }
      });
    }
  });
  console.log(`ok ${n} sessions echoed ${per} messages each in order`);
  // Let the close packets of the polling sessions go out before exiting.
  await new Promise((r) => setTimeout(r, 1000));
}

async function serverClose(mode) {
  const socket = open(mode);
  let farewell = false;
  await new Promise((resolve, reject) => {
    socket.on("error", (e) => reject(new Error(`error ${e}`)));
    socket.on("open", () => socket.send("bye"));
    socket.on("message", (data) => {
      if (data === "farewell") farewell = true;
    });
    socket.on("close", (reason) => {
      if (!farewell) return reject(new Error(`closed (${reason}) before the last message`));
      console.log(`ok last message then closed by the server: ${reason}`);
      resolve();
    });
  });
}

async function abort() {
  const socket = open("polling");
  await new Promise((resolve, reject) => {
    socket.on("error", (e) => reject(new Error(`error ${e}`)));
    socket.on("open", () => setTimeout(resolve, 300));
  });
  console.log(`ok aborting mid-poll on ${socket.transport.name}`);
}

try {
  if (scenario === "abort") await abort();
  else if (scenario === "echo") await echo(args[0], args[1]);
  else if (scenario === "heartbeat") await heartbeat(args[0]);
  else if (scenario === "many") await many(args[0]);
  else if (scenario === "server-close") await serverClose(args[0]);
  else fail("unknown scenario");
  process.exit(0);
} catch (e) {
  fail(e.message);
}
