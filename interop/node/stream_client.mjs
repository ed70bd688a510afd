// Node `ws` as a client sending one large message in fragments, generated
// on the fly (run by crates/ws/tests/streaming.rs). Prints lines of words
// for the test to check; exits 0 unless something unexpected happened.
//
//   binary <url> <size> <fragment>
//     One binary message of <size> bytes, a frame every <fragment> bytes:
//     the AES-128-CTR keystream of a fixed key (deterministic, never held
//     whole). Prints "sent <size> <sha256> <fragments>", then the first
//     text message the server sends back ("reply <text>"), or, if the
//     server closes first, "closed <code>".
//   text <url> <size>
//     One text message of at least <size> bytes from the generator below
//     (kept in step with `text_of` in streaming.rs), cut into fragments
//     of 1, 2, 3, 4093, 5, 65537, 7, 262147, ... bytes, most cuts inside a
//     code point. Prints "sent <bytes> <fragments> <cuts inside a code
//     point>", then "closed <code>" once the server closes.
//   invalid <url> <variant>
//     A text message whose first 1 MiB is valid (cut as above), then, in a
//     later fragment: "bad-byte" a 0xFF; "bad-continuation" a cut
//     three-byte code point completed with 'A'; "incomplete-end" a final
//     fragment that ends inside a code point. Prints "sent <valid bytes>",
//     then "closed <code>".
import assert from "node:assert/strict";
import { createCipheriv, createHash } from "node:crypto";
import WebSocket from "ws";

const [mode, url, ...args] = process.argv.slice(2);

// 1, 2, 3 and 4-byte characters, picked by a 32-bit LCG.
const CHARS = ["a", "é", "€", "😀", " ", "ß", "中", "𝄞"];
function textOf(size) {
  let x = 1;
  let bytes = 0;
  const parts = [];
  while (bytes < size) {
    x = (Math.imul(x, 1664525) + 1013904223) >>> 0;
    const c = CHARS[x >>> 29];
    parts.push(c);
    bytes += Buffer.byteLength(c);
  }
  return Buffer.from(parts.join(""), "utf8");
}
const CUTS = [1, 2, 3, 4093, 5, 65537, 7, 262147];

function open() {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { maxPayload: 0, perMessageDeflate: false });
    ws.once("open", () => resolve(ws));
    ws.once("error", reject);
  });
}

const send = (ws, data, options) =>
  new Promise((resolve, reject) => ws.send(data, options, (e) => (e ? reject(e) : resolve())));

// Resolves with "reply <text>" for the first text message, or "closed
// <code>" if the connection closes first.
function outcome(ws) {
  return new Promise((resolve) => {
    ws.once("message", (data, isBinary) => resolve(isBinary ? "binary" : `reply ${data.toString("utf8")}`));
    ws.once("close", (code) => resolve(`closed ${code}`));
  });
}
const closed = (ws) => new Promise((resolve) => ws.once("close", (code) => resolve(`closed ${code}`)));

// Sends `text` cut per CUTS, the last fragment with `fin`; returns
// [fragments, cuts inside a code point].
async function sendCut(ws, text, fin) {
  let at = 0;
  let fragments = 0;
  let inside = 0;
  while (at < text.length) {
    const end = Math.min(text.length, at + CUTS[fragments % CUTS.length]);
    if (end < text.length && (text[end] & 0xc0) === 0x80) inside++;
    await send(ws, text.subarray(at, end), { binary: false, fin: fin && end === text.length });
    fragments++;
    at = end;
  }
  return [fragments, inside];
}

if (mode === "binary") {
  const size = Number(args[0]);
  const fragment = Number(args[1]);
  const ws = await open();
  const result = outcome(ws);
  const keystream = createCipheriv("aes-128-ctr", Buffer.alloc(16, 7), Buffer.alloc(16, 0));
  const zeros = Buffer.alloc(fragment);
  const hash = createHash("sha256");
  let sent = 0;
  let fragments = 0;
  let failed = false;
  ws.once("close", () => (failed = true));
  while (sent < size && !failed) {
    const n = Math.min(fragment, size - sent);
    const piece = keystream.update(zeros.subarray(0, n));
    hash.update(piece);
    sent += n;
    fragments++;
    try {
      await send(ws, piece, { binary: true, fin: sent === size });
    } catch {
      break;
    }
  }
  console.log(`sent ${sent} ${hash.digest("hex")} ${fragments}`);
  const got = await result;
  console.log(got);
  if (got.startsWith("reply")) {
    const done = closed(ws);
    ws.close(1000);
    await done;
  }
} else if (mode === "text") {
  const text = textOf(Number(args[0]));
  const ws = await open();
  const done = closed(ws);
  const [fragments, inside] = await sendCut(ws, text, true);
  console.log(`sent ${text.length} ${fragments} ${inside}`);
  console.log(await done);
} else if (mode === "invalid") {
  const variant = args[0];
  const valid = textOf(1 << 20);
  const ws = await open();
  const done = closed(ws);
  await sendCut(ws, valid, false);
  // "€" is e2 82 ac.
  if (variant === "bad-byte") {
    await send(ws, Buffer.from("ok ff:\xff!", "latin1"), { binary: false, fin: false });
  } else if (variant === "bad-continuation") {
    await send(ws, Buffer.from([0x61, 0xe2, 0x82]), { binary: false, fin: false });
    await send(ws, Buffer.from("A and more", "utf8"), { binary: false, fin: false });
  } else if (variant === "incomplete-end") {
    await send(ws, Buffer.from([0x61, 0xe2, 0x82]), { binary: false, fin: true });
  } else {
    assert.fail(`unknown variant ${variant}`);
  }
  console.log(`sent ${valid.length}`);
  console.log(await done);
} else {
  assert.fail(`unknown mode ${mode}`);
}
