// The second participant of crates/socketio/tests/server_browser.rs: Node's
// socket.io-client in the rooms the browser page joins.
//
// Usage: node sio_room_peer.mjs <port> <room>...
//
// Joins every room, prints "ok joined", then answers the first "news"
// (room, text, bytes, from) in each room by shouting back to that room
// "re: <text>" with the bytes reversed. Exits 0 once every room is
// answered, or 1 with the reason. Bounded by a 60 s timer.
import { io } from "socket.io-client";

const [port, ...rooms] = process.argv.slice(2);
const fail = (why) => {
  console.error(`sio_room_peer: ${why}`);
  process.exit(1);
};
setTimeout(() => fail("timed out"), 60000).unref();
const ok = (what) => console.log(`ok ${what}`);

const s = io(`http://127.0.0.1:${port}`, { forceNew: true, reconnection: false, transports: ["websocket"] });
const waiting = new Set(rooms);
s.on("news", async (room, text, data, from) => {
  if (!waiting.delete(room)) return fail(`news for ${room} again or unasked`);
  if (!Buffer.isBuffer(data) || data.length !== 300 || from === s.id) fail(`odd news in ${room}`);
  ok(`news in ${room} from the browser (${text}, ${data.length} bytes)`);
  await s.timeout(10000).emitWithAck("shout", room, `re: ${text}`, Buffer.from(data).reverse());
  ok(`answered ${room}`);
  if (waiting.size === 0) {
    s.close();
    process.exit(0);
  }
});
s.on("connect_error", (e) => fail(`connect_error ${e.message}`));
s.once("connect", async () => {
  try {
    for (const room of rooms) await s.timeout(10000).emitWithAck("join", room);
    ok("joined");
  } catch (e) {
    fail(String(e));
  }
});
