// Node `ws` as a permessage-deflate echo server for a tether client (run
// by crates/ws/tests/deflate_interop.rs). Accepts the client's parameters
// (perMessageDeflate with threshold 0, so everything is compressed),
// echoes text and binary, answers "params?" with the extension header it
// sent. Prints "listening <port>" once it listens on 127.0.0.1.
import { WebSocketServer } from "ws";

let lastHeader = "";
const wss = new WebSocketServer({
  host: "127.0.0.1",
  port: 0,
  maxPayload: 64 << 20,
  maxFragments: 1 << 20,
  perMessageDeflate: { threshold: 0 },
});
wss.on("headers", (headers) => {
  lastHeader = headers.find((h) => h.toLowerCase().startsWith("sec-websocket-extensions")) ?? "";
});
wss.on("connection", (ws) => {
  const header = lastHeader;
  ws.on("message", (data, isBinary) => {
    if (!isBinary && data.toString("utf8") === "params?") {
      ws.send(header.replace(/^sec-websocket-extensions:\s*/i, ""));
      return;
    }
    ws.send(isBinary ? data : data.toString("utf8"), { binary: isBinary });
  });
});
wss.on("listening", () => console.log(`listening ${wss.address().port}`));
