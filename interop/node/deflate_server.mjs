// Node `ws` as a permessage-deflate echo server for a tether client (run
// by crates/ws/tests/deflate_interop.rs). Accepts the client's parameters
// (perMessageDeflate with threshold 0, so everything is compressed),
// echoes text and binary, answers "params?" with the extension header it
// sent. Prints "listening <port>" once it listens on 127.0.0.1.
//
// The query string of the request path sets what ws imposes on that
// connection: `snct` (serverNoContextTakeover), `cnct`
// (clientNoContextTakeover), `sb=N` (serverMaxWindowBits), `cb=N`
// (clientMaxWindowBits); for instance `/?snct&sb=10`. One WebSocketServer
// per distinct query string, sharing one HTTP server.
import { createServer } from "node:http";
import { WebSocketServer } from "ws";

function perMessageDeflate(query) {
  const options = { threshold: 0 };
  if (query.has("snct")) options.serverNoContextTakeover = true;
  if (query.has("cnct")) options.clientNoContextTakeover = true;
  if (query.has("sb")) options.serverMaxWindowBits = Number(query.get("sb"));
  if (query.has("cb")) options.clientMaxWindowBits = Number(query.get("cb"));
  return options;
}

function echoServer(query) {
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: 64 << 20,
    maxFragments: 1 << 20,
    perMessageDeflate: perMessageDeflate(query),
  });
  wss.on("headers", (headers, req) => {
    const line = headers.find((h) => h.toLowerCase().startsWith("sec-websocket-extensions")) ?? "";
    req.extensionHeader = line.replace(/^sec-websocket-extensions:\s*/i, "");
  });
  wss.on("connection", (ws, req) => {
    const header = req.extensionHeader ?? "";
    ws.on("message", (data, isBinary) => {
      if (!isBinary && data.toString("utf8") === "params?") {
        ws.send(header);
        return;
      }
      ws.send(isBinary ? data : data.toString("utf8"), { binary: isBinary });
    });
  });
  return wss;
}

const servers = new Map();
const http = createServer((_, res) => res.writeHead(426).end());
http.on("upgrade", (req, socket, head) => {
  const query = new URL(req.url, "ws://127.0.0.1").searchParams;
  const key = query.toString();
  if (!servers.has(key)) servers.set(key, echoServer(query));
  const wss = servers.get(key);
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit("connection", ws, req));
});
http.listen(0, "127.0.0.1", () => console.log(`listening ${http.address().port}`));
