// Socket.IO v5 packets: encoding with binary attachments taken out as
// {"_placeholder":true,"num":i} (numbered depth-first), decoding with the
// attachments put back.
export const RESERVED = ["connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener"];

const bad = () => {
  throw new Error("parse error");
};

const isBinary = (x) => x instanceof ArrayBuffer || ArrayBuffer.isView(x) || x instanceof Blob;

const split = (x, out) => {
  if (isBinary(x)) return { ["_placeholder"]: true, num: out.push(x) - 1 };
  if (Array.isArray(x)) return x.map((v) => split(v, out));
  if (!x || typeof x != "object" || typeof x.toJSON == "function") return x;
  const o = {};
  for (const k of Object.keys(x)) o[k] = split(x[k], out);
  return o;
};

const join = (x, parts) => {
  if (x && typeof x == "object") {
    if (x["_placeholder"] === true) {
      const b = parts[+x.num];
      if (!b) bad();
      return b;
    }
    for (const k in x) {
      const v = join(x[k], parts);
      if (v !== x[k]) x[k] = v;
    }
  }
  return x;
};

// The packet's text, then its attachments.
export const encode = (p) => {
  let { type, data } = p;
  const parts = [];
  if (type == 2 || type == 3) {
    data = split(data, parts);
    if (parts.length) type += 3;
  }
  let s = "" + type;
  if (parts.length) s += parts.length + "-";
  if (p.nsp && p.nsp != "/") s += p.nsp + ",";
  if (p.id != null) s += p.id;
  if (data != null) s += JSON.stringify(data);
  return [s, ...parts];
};

// CONNECT: an object; DISCONNECT: nothing; EVENT: [name, ...args] with a
// name that is not reserved; ACK: an array; CONNECT_ERROR: anything.
const valid = (type, d) =>
  type % 3 == 2
    ? Array.isArray(d) && (typeof d[0] == "number" || (typeof d[0] == "string" && !RESERVED.includes(d[0])))
    : type % 3 ? (type == 1 ? d === undefined : d != null) : type ? Array.isArray(d) : !!d && d.constructor == Object;

const PACKET = /^(\d)(?:(\d+)-)?(?:(\/[^,]*),?)?(\d+)?([^]*)$/;

const decodeText = (s) => {
  const m = PACKET.exec(s);
  const type = m && +m[1];
  if (!m || type > 6 || (m[2] != null) != type > 4) bad();
  const data = m[5] ? JSON.parse(m[5]) : undefined;
  if (!valid(type, data)) bad();
  return { type, nsp: m[3] || "/", id: m[4] == null ? undefined : +m[4], data, n: +m[2] };
};

// A decoder: takes each Engine.IO message, calls `decoded` with each
// whole packet, throws on what does not parse.
export const decoder = (decoded) => {
  let pending, parts;
  return (x) => {
    if (typeof x == "string") {
      if (pending) bad();
      const p = decodeText(x);
      if (p.n) {
        pending = p;
        parts = [];
      } else decoded(p);
    } else {
      if (!pending) bad();
      if (parts.push(x) == pending.n) {
        const p = pending;
        pending = null;
        p.data = join(p.data, parts);
        decoded(p);
      }
    }
  };
};
