// Node `ws`: N concurrent clients of a tether echo server, each sending M
// numbered messages of mixed sizes and checking that the echoes come back
// complete and in order (run by crates/ws/tests/interop_node.rs). Bounded:
// fails after 60 s. Prints "ok <messages>".
import assert from "node:assert/strict";
import WebSocket from "ws";

const [url, n, m] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4])];
const timer = setTimeout(() => { console.error("timed out"); process.exit(2); }, 60_000);

function client(id) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    let expected = 0;
    const body = (i) => `${id}:${i}:` + "x".repeat((id * 7 + i * 13) % 2000);
    ws.on("open", () => { for (let i = 0; i < m; i++) ws.send(body(i)); });
    ws.on("message", (data) => {
      assert.equal(data.toString(), body(expected), `client ${id} message ${expected}`);
      expected += 1;
      if (expected === m) ws.close(1000);
    });
    ws.on("close", () => (expected === m ? resolve(m) : reject(new Error(`client ${id}: ${expected}/${m}`))));
    ws.on("error", reject);
  });
}

const counts = await Promise.all(Array.from({ length: n }, (_, id) => client(id)));
clearTimeout(timer);
console.log(`ok ${counts.reduce((a, b) => a + b, 0)}`);
