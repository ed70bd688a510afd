// Node `ws` as a server for a tether client (run by
// crates/ws/tests/interop_node.rs). Echoes text and binary; on the text
// "close:<code>:<reason>" closes with that code; speaks chat.v1. Prints
// "listening <port>" once it listens on 127.0.0.1.
import { WebSocketServer } from "ws";

const wss = new WebSocketServer({
  host: "127.0.0.1",
  port: 0,
  maxPayload: 64 << 20,
  handleProtocols: (protocols) => (protocols.has("chat.v1") ? "chat.v1" : false),
});
wss.on("connection", (ws) => {
  ws.on("message", (data, isBinary) => {
    if (!isBinary) {
      const text = data.toString("utf8");
      if (text.startsWith("close:")) {
        const [, code, reason] = text.split(":");
        ws.close(Number(code), reason);
        return;
      }
      ws.send(text);
    } else {
      ws.send(data);
    }
  });
});
wss.on("listening", () => console.log(`listening ${wss.address().port}`));
