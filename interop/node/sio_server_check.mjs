// Node's official socket.io-client (4.8, from the lockfile) against a
// tether Socket.IO server (crates/socketio/tests/server_app).
//
// Usage: node sio_server_check.mjs <port> <scenario> [args...]
//
//   basic <polling|websocket|upgrade>
//       connect; ids; events with text and binary both ways; acks both
//       ways (client asks, server asks, server asks and times out); no
//       automatic ack without a handler; the catch-all handler; the
//       handshake the server saw; a server-side namespace disconnect.
//   namespaces
//       middleware refusal with message and data, then auth accepted; an
//       unknown namespace; a dynamic namespace; a client namespace
//       disconnect that leaves the others connected.
//   rooms
//       three clients: room broadcast from a socket (not to itself), the
//       server's except, broadcast acks (all and with a timeout),
//       fetch_sockets, leave, volatile.
//   recovery
//       a client whose transport drops while events are sent to its room
//       reconnects with its id and rooms, recovered, and gets every missed
//       event once, in order; an explicit disconnect is not recovered.
//   many <count>
//       <count> clients in 10 rooms; 20 events broadcast to each room all
//       arrive, in order.
//
// Prints "ok ..." lines and exits 0, or exits 1 with the reason. Bounded
// by a 90 s timer.
import { io } from "socket.io-client";

const [port, scenario, ...args] = process.argv.slice(2);
const url = `http://127.0.0.1:${port}`;
const fail = (why) => {
  console.error(`sio_server_check ${scenario}: ${why}`);
  process.exit(1);
};
setTimeout(() => fail("timed out"), 90000).unref();
const ok = (what) => console.log(`ok ${what}`);
const check = (cond, what) => (cond ? ok(what) : fail(`not ${what}`));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const transportsOf = (mode) =>
  mode === "polling" ? ["polling"] : mode === "websocket" ? ["websocket"] : ["polling", "websocket"];

function client(nsp = "/", opts = {}) {
  return io(url + nsp, { forceNew: true, reconnection: false, ...opts });
}

function connected(socket) {
  return new Promise((resolve, reject) => {
    if (socket.connected) return resolve(socket);
    socket.once("connect", () => resolve(socket));
    socket.once("connect_error", (e) => reject(e));
  });
}

function next(socket, event, ms = 5000) {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${event} in ${ms} ms`)), ms);
    socket.once(event, (...a) => {
      clearTimeout(t);
      resolve(a);
    });
  });
}

const eq = (a, b) => JSON.stringify(a) === JSON.stringify(b);

async function basic(mode) {
  const s = client("/", {
    transports: transportsOf(mode),
    upgrade: mode === "upgrade",
    query: { foo: "bar baz" },
    auth: { token: "t0" },
    extraHeaders: { origin: "http://example.test" },
  });
  await connected(s);
  check(typeof s.id === "string" && s.id.length === 20, "socket id of 20 characters");
  check(s.id !== s.io.engine.id, "socket id distinct from the engine id");
  if (mode === "upgrade") {
    if (s.io.engine.transport.name !== "websocket") await next(s.io.engine, "upgrade");
    check(s.io.engine.transport.name === "websocket", "upgraded to websocket");
  }

  // Events and acks, text.
  const echoed = next(s, "echo");
  s.emit("echo", "héllo €𝄞", 42, { a: [1, null, true] });
  check(eq((await echoed), ["héllo €𝄞", 42, { a: [1, null, true] }]), "text event echoed");
  const acked = await s.emitWithAck("echo", "with ack", [1, 2]);
  check(eq(acked, "with ack"), "client ack answered (first argument)");

  // Binary both ways, nested.
  const bin = Buffer.from([0, 1, 2, 255]);
  const inner = Buffer.alloc(1000, 7);
  const { len, reversed, nested } = await s.emitWithAck("bin", bin, { inner, n: 3 });
  check(len === 1004, "binary lengths seen by the server");
  check(Buffer.from(reversed).equals(Buffer.from([255, 2, 1, 0])), "binary answer in the ack");
  check(Buffer.from(nested.inner).equals(inner) && nested.n === 3, "nested binary back");

  // Server asks, client answers.
  s.on("question", (q, cb) => cb(`answer to ${q}`));
  const asked = await s.timeout(5000).emitWithAck("ask_client", 2000);
  check(asked === "answer to life", "server ack answered by the client");
  s.off("question");
  s.on("question", () => {}); // never answers
  const timedOut = await s.timeout(5000).emitWithAck("ask_client", 200);
  check(timedOut === "timeout", "server ack timed out");

  // No automatic ack without a handler.
  try {
    await s.timeout(300).emitWithAck("nobody_handles_this", 1);
    fail("an ack came for an event without a handler");
  } catch (e) {
    ok("no automatic ack without a handler");
  }
  const anyCount = await s.emitWithAck("any_count");
  check(anyCount >= 6, `catch-all saw every event (${anyCount})`);

  // The handshake.
  const hs = await s.emitWithAck("handshake");
  check(hs.foo === "bar baz", "query percent-decoded");
  check(hs.token === "t0", "auth");
  check(hs.address === "127.0.0.1", "address");
  check(hs.xdomain === true, "xdomain");
  check(hs.url.startsWith("/socket.io/?") && hs.url.includes("EIO=4"), "url");
  check(hs.issued > 1.7e12 && hs.time.endsWith("GMT"), "issued and time");

  // The server disconnects the namespace.
  const reason = next(s, "disconnect");
  s.emit("kick");
  check((await reason)[0] === "io server disconnect", "server namespace disconnect seen");
  s.close();
}

async function namespaces() {
  const refused = client("/admin", { auth: { token: "wrong" } });
  try {
    await connected(refused);
    fail("admitted without the token");
  } catch (e) {
    check(e.message === "not authorized" && e.data && e.data.code === 42, "middleware refusal with data");
  }
  refused.close();

  const main = client("/");
  await connected(main);
  const admin = main.io.socket("/admin", { auth: { token: "secret" } });
  admin.connect();
  await connected(admin);
  check(admin.io === main.io && admin.io.engine.id === main.io.engine.id, "two namespaces on one session");
  const who = await admin.emitWithAck("whoami");
  check(who.nsp === "/admin" && who.id === admin.id && admin.id !== main.id, "namespace socket ids");

  const nope = main.io.socket("/nope");
  nope.connect();
  try {
    await connected(nope);
    fail("unknown namespace connected");
  } catch (e) {
    check(e.message === "Invalid namespace", "unknown namespace refused");
  }

  const dyn = main.io.socket("/dyn-7");
  dyn.connect();
  await connected(dyn);
  const where = await dyn.emitWithAck("where");
  check(where === "/dyn-7", "dynamic namespace");

  admin.disconnect();
  await sleep(100);
  const still = await main.emitWithAck("echo", "still here");
  check(still === "still here" && main.connected && dyn.connected, "client namespace disconnect leaves the others");
  const reasons = await main.emitWithAck("reasons");
  check(reasons.includes("/admin client namespace disconnect"), "server saw client namespace disconnect");
  main.close();
}

async function rooms() {
  const [a, b, c] = [client("/"), client("/"), client("/")];
  await Promise.all([a, b, c].map(connected));
  await a.emitWithAck("join", "r");
  const bRooms = await b.emitWithAck("join", "r");
  check(bRooms.includes("r") && bRooms.includes(b.id), "rooms include the room and the own id");

  const got = { a: [], b: [], c: [] };
  for (const [name, s] of Object.entries({ a, b, c })) s.on("room_msg", (m, from) => got[name].push([m, from]));
  await a.emitWithAck("to_room", "r", "hi room");
  await sleep(200);
  check(got.b.length === 1 && eq(got.b[0], ["hi room", a.id]), "room broadcast reaches the others in the room");
  check(got.a.length === 0 && got.c.length === 0, "not the sender, not outside the room");

  const except = { a: 0, b: 0, c: 0 };
  for (const [name, s] of Object.entries({ a, b, c })) s.on("except_msg", () => except[name]++);
  await c.emitWithAck("except_room", "r", "not for r");
  await sleep(200);
  check(except.c === 1 && except.a === 0 && except.b === 0, "server except leaves the room out");

  a.on("question", (q, cb) => cb(`a:${q}`));
  b.on("question", (q, cb) => cb(`b:${q}`));
  const all = await c.emitWithAck("ask_room", "r", 2000);
  check(all.expected === 2 && all.replies.length === 2 && !all.timed_out, "broadcast acks all collected");
  b.off("question");
  b.on("question", () => {});
  const partial = await c.emitWithAck("ask_room", "r", 300);
  check(partial.timed_out && partial.replies.length === 1 && partial.expected === 2, "broadcast ack timeout with what arrived");

  const ids = await c.emitWithAck("fetch", "r");
  check(eq([...ids].sort(), [a.id, b.id].sort()), "fetch_sockets in the room");
  await b.emitWithAck("leave", "r");
  const ids2 = await c.emitWithAck("fetch", "r");
  check(eq(ids2, [a.id]), "leave");

  let volatile = 0;
  a.on("vol", () => volatile++);
  const done = next(a, "vol_done");
  a.emit("volatile", 500);
  await done;
  check(volatile <= 500, `volatile events never more than sent (${volatile} of 500)`);
  [a, b, c].forEach((s) => s.close());
}

async function recovery() {
  const a = io(url, { forceNew: true, reconnectionDelay: 100, reconnectionDelayMax: 200, transports: ["websocket"] });
  const ctl = client("/");
  await Promise.all([connected(a), connected(ctl)]);
  check(a.recovered === false, "first connection not recovered");
  await a.emitWithAck("join", "r");
  const ticks = [];
  a.on("tick", (n) => ticks.push(n));
  await ctl.emitWithAck("tick_room", "r", 0, 3);
  await sleep(200);
  check(eq(ticks, [0, 1, 2]), "events before the drop");
  const id = a.id;

  // The transport drops; events go to the room meanwhile.
  const down = next(a, "disconnect");
  a.io.engine.close();
  ok(`transport dropped (${(await down)[0]})`);
  await ctl.emitWithAck("tick_room", "r", 3, 5);
  await next(a, "connect", 10000);
  check(a.recovered === true, "recovered");
  check(a.id === id, "same socket id");
  await sleep(200);
  check(eq(ticks, [0, 1, 2, 3, 4, 5, 6, 7]), `missed events replayed once, in order (${ticks})`);
  await ctl.emitWithAck("tick_room", "r", 8, 2);
  await sleep(200);
  check(eq(ticks, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]), "rooms kept after recovery");

  // An explicit disconnect is not recovered.
  a.disconnect();
  a.connect();
  await next(a, "connect");
  check(a.recovered === false && a.id !== id, "explicit disconnect starts a new session");
  a.close();
  ctl.close();
}

async function many(count) {
  const n = Number(count);
  const sockets = [];
  const seen = new Array(n).fill(0);
  let bad = null;
  for (let i = 0; i < n; i++) {
    const s = client("/", { transports: i % 4 === 0 ? ["polling"] : ["websocket"] });
    s.on("seq", (room, k) => {
      if (room !== `m${i % 10}` || k !== seen[i]) bad = bad || `client ${i} got ${room}/${k}, expected ${seen[i]}`;
      seen[i]++;
    });
    sockets.push(s);
  }
  await Promise.all(sockets.map(connected));
  ok(`${n} clients connected`);
  await Promise.all(sockets.map((s, i) => s.emitWithAck("join", `m${i % 10}`)));
  const ctl = sockets[0];
  for (let r = 0; r < 10; r++) await ctl.emitWithAck("blast", `m${r}`, 20);
  const deadline = Date.now() + 30000;
  while (seen.some((k) => k < 20) && Date.now() < deadline && !bad) await sleep(50);
  if (bad) fail(bad);
  check(seen.every((k) => k === 20), `every client got its 20 events in order (${seen.reduce((a, b) => a + b)})`);
  sockets.forEach((s) => s.close());
}

const scenarios = { basic, namespaces, rooms, recovery, many };
const run = scenarios[scenario];
if (!run) fail("unknown scenario");
run(...args).then(
  () => process.exit(0),
  (e) => fail(e && e.stack ? e.stack : String(e))
);
