// Node `ws` as the server a tether client streams a message to (run by
// crates/ws/tests/streaming.rs). Prints "listening <port>" once it listens
// on 127.0.0.1. On each connection, in rounds:
//   * on the text "ping me", sends a ping ("mid-stream <round>") and prints
//     "pinged <round>" once the ping is written to the socket;
//   * on any other message, echoes it, then, once the pong of that round's
//     ping has come (or 10 s have passed), sends the text
//     "report <round> <bytes received> <pong before the message's end> <pong seen>".
import { WebSocketServer } from "ws";

const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, maxPayload: 0, perMessageDeflate: false });
wss.on("connection", (ws) => {
  let round = 0;
  let pong = null;
  let ponged = false;
  let gotPong = () => {};
  ws.on("pong", (payload) => {
    if (payload.toString() === `mid-stream ${round}`) {
      ponged = true;
      gotPong();
    }
  });
  ws.on("message", (data, isBinary) => {
    if (!isBinary && data.toString() === "ping me") {
      round++;
      ponged = false;
      pong = new Promise((resolve) => {
        gotPong = resolve;
        setTimeout(resolve, 10000);
      });
      const r = round;
      ws.ping(`mid-stream ${r}`, undefined, () => console.log(`pinged ${r}`));
      return;
    }
    const before = ponged;
    ws.send(data, { binary: isBinary });
    (pong ?? Promise.resolve()).then(() =>
      ws.send(`report ${round} ${data.length} ${before} ${ponged}`),
    );
  });
});
wss.on("listening", () => console.log(`listening ${wss.address().port}`));
