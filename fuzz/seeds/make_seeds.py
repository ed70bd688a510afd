#!/usr/bin/env python3
"""Writes the seed corpora of the tether fuzz targets (fuzz/seeds/<target>/).

Run from anywhere: python3 fuzz/seeds/make_seeds.py. The files are committed;
this script is their provenance. Wire bytes marked "RFC 6455 5.7" are the
examples of RFC 6455 section 5.7 verbatim; the rest are built here with the
same rules. Each target prefixes the wire with its own config bytes (see
fuzz/README.md):

  frame_decode, frame_stream_decode: [config, k, k chunk sizes..., wire...]
    config bit 0: client role; bits 1-3: max_frame_size index
    (0 = 16 MiB default, 3 = 7 bytes); bits 4-5: allowed RSV set;
    bit 6: require_minimal_length off; bit 7: limit 2^63 - 1.
  frame_differential: [config, wire...]
    config bits 0-2: limit index (0 = 16 MiB); bit 3: all RSV allowed;
    bit 4: client role.
  message_decode: [config, k, k chunk sizes..., wire...]
    config bit 0: client role; bits 1-3: max_message_size index
    (0 = 64 MiB default, 6 = 1000 bytes); bits 4-6: max_fragments index
    (0 = default, 4 = 4 fragments).
  handshake: [config, k, k chunk sizes..., bytes...]
    config bit 0: a response (client side) instead of a request; bits 1-2:
    max_header_bytes index (0 = 16 KiB); bits 3-4: max_headers index.
    The request and the accept value are those of RFC 6455 section 1.3.
  engineio_packet: the text of one Engine.IO packet (no prefix).
  engineio_payload: [config, k, k chunk sizes..., body]; config bits 0-2:
    max_payload index (0 = 1,000,000, 5 = 100); bits 3-4: max_packets index.
  socketio_packet: [config, message...], each message [kind, len (u16 LE),
    bytes]; kind even: text, odd: binary. config bits 0-1: max_attachments
    index (0 = 10 default, 1 = 0, 2 = 1, 3 = 3); bit 2: small size limits.
  connection: [c0, c1, c2, read_ahead..., op...]: the config bytes, then
    c2 >> 4 bytes read ahead, then a script of ops (peer bytes inline in
    the read ops); see fuzz/README.md and the helpers in
    connection_seeds().
  frame_header: the bytes of a header (no prefix).
  close_payload: a close frame payload (no prefix).

Regression inputs found by fuzzing are not generated here: they are kept as
found, named regress-*, next to these seeds.
"""

import os
import struct

HERE = os.path.dirname(os.path.abspath(__file__))
KEY = bytes([0x37, 0xFA, 0x21, 0x3D])  # the RFC 6455 5.7 masking key


def mask(payload, key=KEY):
    return bytes(b ^ key[i % 4] for i, b in enumerate(payload))


def frame(first, payload, key=None, length_form=None):
    """first: FIN|RSV|opcode byte. length_form: None (minimal), 16 or 64."""
    n = len(payload)
    mbit = 0x80 if key else 0
    if length_form is None:
        length_form = 7 if n < 126 else 16 if n < 0x10000 else 64
    if length_form == 7:
        head = bytes([first, mbit | n])
    elif length_form == 16:
        head = bytes([first, mbit | 126]) + struct.pack(">H", n)
    else:
        head = bytes([first, mbit | 127]) + struct.pack(">Q", n)
    if key:
        return head + key + mask(payload, key)
    return head + payload


HELLO = b"Hello"
BIN256 = bytes(range(256))

# name -> (role, wire); role "c" = the decoder is a client (frames unmasked),
# "s" = a server (frames masked).
WIRES = {
    # RFC 6455 5.7: a single-frame unmasked text message.
    "rfc-text-unmasked": ("c", bytes.fromhex("810548656c6c6f")),
    # RFC 6455 5.7: a single-frame masked text message.
    "rfc-text-masked": ("s", bytes.fromhex("818537fa213d7f9f4d5158")),
    # RFC 6455 5.7: a fragmented unmasked text message.
    "rfc-fragmented-unmasked": ("c", bytes.fromhex("010348656c") + bytes.fromhex("80026c6f")),
    # RFC 6455 5.7: unmasked ping, then a masked pong (as a server reads it).
    "rfc-ping-unmasked": ("c", bytes.fromhex("890548656c6c6f")),
    "rfc-pong-masked": ("s", bytes.fromhex("8a8537fa213d7f9f4d5158")),
    # RFC 6455 5.7: 256 bytes binary in a single unmasked frame (16-bit length).
    "rfc-binary-256": ("c", bytes.fromhex("827e0100") + BIN256),
    # RFC 6455 5.7: 64 KiB binary in a single unmasked frame (64-bit
    # length); only the header and 6 payload bytes, so the stream ends
    # inside the frame (Truncated). The whole frame would make libFuzzer's
    # default max_len 64 KiB.
    "rfc-binary-64k-cut": ("c", bytes.fromhex("827f0000000000010000") + b"\x00\x01\x02\x03\x04\x05"),
    # The same 256 bytes masked, 16-bit length, as a server reads it.
    "binary-256-masked": ("s", frame(0x82, BIN256, KEY)),
    # A masked fragmented message with a ping in the middle.
    "fragmented-masked-ping": (
        "s",
        frame(0x01, b"Hel", KEY) + frame(0x89, b"", KEY) + frame(0x80, b"lo", KEY),
    ),
    # Close frames: 1000 "bye" masked; empty; unmasked 1001.
    "close-1000-bye": ("s", frame(0x88, struct.pack(">H", 1000) + b"bye", KEY)),
    "close-empty": ("s", frame(0x88, b"", KEY)),
    "close-1001-unmasked": ("c", frame(0x88, struct.pack(">H", 1001))),
    # Invalid close payloads: 1 byte; code 1005; reason not UTF-8.
    "close-one-byte": ("s", frame(0x88, b"\x03", KEY)),
    "close-1005": ("s", frame(0x88, struct.pack(">H", 1005), KEY)),
    "close-bad-utf8": ("s", frame(0x88, struct.pack(">H", 1000) + b"ok\xff", KEY)),
    # Other peer errors: reserved opcode, RSV1, fragmented ping, long ping.
    "reserved-opcode": ("s", frame(0x83, b"x", KEY)),
    "rsv1-text": ("s", frame(0xC1, HELLO, KEY)),
    "ping-no-fin": ("s", frame(0x09, b"", KEY)),
    "ping-126": ("s", frame(0x89, bytes(126), KEY)),
    # 64-bit length with its most significant bit set.
    "length-msb": ("c", bytes.fromhex("827f8000000000000000")),
}

# Frames with a non-minimal length encoding: fine with
# require_minimal_length off (config bit 6), errors with it on.
NON_MINIMAL = {
    "nonminimal-16": ("s", frame(0x82, HELLO, KEY, 16)),
    "nonminimal-64": ("s", frame(0x81, HELLO, KEY, 64)),
}


def split_target_seeds():
    seeds = {}
    for name, (role, wire) in WIRES.items():
        cfg = 1 if role == "c" else 0
        seeds[name] = bytes([cfg, 0]) + wire
    for name, (role, wire) in NON_MINIMAL.items():
        cfg = (1 if role == "c" else 0) | 0x40
        seeds[name] = bytes([cfg, 0]) + wire
        seeds[name + "-strict"] = bytes([cfg & ~0x40, 0]) + wire
    # Splits: the masked fragmented message in reads of 1, 2 and 5 bytes;
    # the 256-byte frame cut right after its header and mid-payload.
    _, wire = WIRES["fragmented-masked-ping"]
    seeds["fragmented-masked-ping-split-1-2-5"] = bytes([0, 3, 1, 2, 5]) + wire
    _, wire = WIRES["binary-256-masked"]
    seeds["binary-256-masked-split-8-100"] = bytes([0, 2, 8, 100]) + wire
    # A small limit (index 3: 7 bytes) with RSV1 allowed (bits 4-5 = 1):
    # "Hello" with RSV1 fits, the 256-byte frame is too large.
    _, wire = WIRES["rsv1-text"]
    seeds["rsv1-allowed-limit-7"] = bytes([(3 << 1) | (1 << 4), 0]) + wire + WIRES["binary-256-masked"][1]
    return seeds


def stream_seeds():
    seeds = split_target_seeds()
    # The huge limit (bit 7): a 64 KiB frame cut short is streamed out.
    _, wire = WIRES["rfc-binary-64k-cut"]
    seeds["rfc-binary-64k-cut-huge-limit"] = bytes([0x81, 1, 3]) + wire
    return seeds


def differential_seeds():
    seeds = {}
    for name, (role, wire) in {**WIRES, **NON_MINIMAL}.items():
        seeds[name] = bytes([0x10 if role == "c" else 0]) + wire
    # A server that reads an unmasked frame: tungstenite's reader accepts it.
    seeds["server-reads-unmasked"] = bytes([0]) + WIRES["rfc-text-unmasked"][1]
    # All RSV bits allowed, and a small limit (index 2: 1 byte).
    seeds["rsv-all-allowed"] = bytes([0x08]) + frame(0xF2, HELLO, KEY)
    seeds["limit-1"] = bytes([0x02]) + WIRES["rfc-text-masked"][1]
    return seeds


def header_seeds():
    seeds = {}
    for name, (_, wire) in {**WIRES, **NON_MINIMAL}.items():
        # The header, and 2 bytes more: a parse stops at the header.
        seeds[name] = wire[:16]
    return seeds


def close_seeds():
    code = lambda c: struct.pack(">H", c)
    return {
        "empty": b"",
        "one-byte": b"\x03",
        "1000": code(1000),
        # RFC 6455 5.5.1: a code, then a UTF-8 reason.
        "1000-bye": code(1000) + b"bye",
        "1001-utf8-reason": code(1001) + "bye \u00e9\u20ac\U0001F600".encode(),
        "3000": code(3000),
        "4999": code(4999),
        "1005": code(1005),
        "1015": code(1015),
        "5000": code(5000),
        "bad-utf8": code(1000) + b"ok\xff",
        "cut-utf8": code(1000) + b"\xe2\x82",
        "reason-123": code(1000) + b"x" * 123,
        "reason-124": code(1000) + b"x" * 124,
    }


def message_seeds():
    """Messages for a server (masked frames): fragmented text with control
    frames between fragments, a 4-byte character split across three
    fragments, invalid and incomplete UTF-8, order errors, limits."""
    k = KEY
    smile = "\U0001F600".encode()
    text = "h\u00e9llo w\u00f6rld \u20ac".encode()
    wires = {
        "text-single": frame(0x81, text, k),
        "binary-single": frame(0x82, BIN256, k),
        "text-fragments-ping-between": frame(0x01, text[:3], k)
        + frame(0x89, b"p", k)
        + frame(0x00, text[3:9], k)
        + frame(0x8A, b"q", k)
        + frame(0x80, text[9:], k),
        "smile-in-three-fragments": frame(0x01, b"<" + smile[:1], k)
        + frame(0x00, smile[1:3], k)
        + frame(0x80, smile[3:] + b">", k),
        "invalid-utf8-first-fragment": frame(0x01, b"ab\xc0\xaf", k),
        "surrogate-across-fragments": frame(0x01, b"abc\xed", k) + frame(0x80, b"\xa0\x80", k),
        "incomplete-utf8-end": frame(0x81, b"ab\xe2\x82", k),
        "continuation-without-message": frame(0x80, b"x", k),
        "data-while-open": frame(0x02, b"a", k) + frame(0x81, b"b", k),
        "close-between-fragments": frame(0x02, b"a", k) + frame(0x88, struct.pack(">H", 1000) + b"bye", k),
        "many-empty-fragments": frame(0x02, b"", k) + frame(0x00, b"", k) * 6 + frame(0x80, b"", k),
    }
    seeds = {}
    for name, wire in wires.items():
        seeds[name] = bytes([0x00, 0]) + wire
        # max_message_size 7, max_fragments 4, reads of 1, 2 and 5 bytes.
        seeds[name + "-limits-split-1-2-5"] = bytes([0x46, 3, 1, 2, 5]) + wire
    return seeds


def handshake_seeds():
    req = (b"GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n"
           b"Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
           b"Origin: http://example.com\r\nSec-WebSocket-Protocol: chat, superchat\r\n"
           b"Sec-WebSocket-Version: 13\r\n\r\n")
    resp = (b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n")
    ext = b"\r\nSec-WebSocket-Extensions: permessage-deflate; client_max_window_bits, x; a=\"1\"\r\n\r\n"
    return {
        "rfc-request": bytes([0x00, 0]) + req,
        "rfc-request-split-1-7-30": bytes([0x00, 3, 1, 7, 30]) + req,
        "rfc-request-with-frame": bytes([0x00, 0]) + req + frame(0x81, HELLO, KEY),
        "request-small-limits": bytes([0x02 | 0x08, 0]) + req,
        "request-version-8": bytes([0x00, 0]) + req.replace(b"Version: 13", b"Version: 8"),
        "request-extensions": bytes([0x00, 0]) + req.replace(b"\r\n\r\n", ext),
        "rfc-response": bytes([0x01, 0]) + resp,
        "response-403": bytes([0x01, 2, 5, 9]) + b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n",
        "not-http": bytes([0x00, 0]) + b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",
    }


def engineio_packet_seeds():
    """Engine.IO v4 packets as in the protocol document (its open packet
    verbatim), and a few malformed ones. No prefix: the input is the text."""
    return {
        "open": b'0{"sid":"lv_VI97HAXpY6yYWAAAC","upgrades":["websocket"],'
        b'"pingInterval":25000,"pingTimeout":5000,"maxPayload":1000000}',
        "close": b"1",
        "ping": b"2",
        "pong": b"3",
        "ping-probe": b"2probe",
        "pong-probe": b"3probe",
        "message": b"4hello",
        "message-euro": "4\u20ac".encode(),
        "binary-b64": b"bAQIDBA==",
        "upgrade": b"5",
        "noop": b"6",
        "bad-type": b"9x",
        "noop-data": b"6x",
    }


def engineio_payload_seeds():
    """Long-polling payloads (the document's example first): [config, k,
    k chunk sizes..., body]. Config 0 is the default limits; config 5 is
    maxPayload 100."""
    bodies = {
        "doc-example": "4hello\x1e4\u20ac\x1ebAQIDBA==".encode(),
        "probe-noop": b"2probe\x1e6",
        "many": b"\x1e".join([b"4a"] * 20),
        "empty-tail": b"4a\x1e",
    }
    seeds = {}
    for name, body in bodies.items():
        seeds[name] = bytes([0, 2, 3, 1]) + body
        seeds[name + "-limit100"] = bytes([5, 0]) + body
    return seeds


def socketio_packet_seeds():
    """Socket.IO v5 packets as in the protocol document ("Packet encoding /
    Examples" and "Sample session"), as the Engine.IO message payloads that
    carry them (the Engine.IO type `4` stripped): CONNECT with auth and its
    reply, EVENT with an ack id, BINARY_EVENT with 1 and 2 attachments, ACK,
    BINARY_ACK, CONNECT_ERROR, DISCONNECT; then broken sequences and
    headers. [config, message...], each message [kind, len (u16 LE), bytes],
    kind 0 text, 1 binary."""

    def text(s):
        b = s.encode()
        return bytes([0]) + struct.pack("<H", len(b)) + b

    def binary(b):
        return bytes([1]) + struct.pack("<H", len(b)) + b

    p0 = '{"_placeholder":true,"num":0}'
    p1 = '{"_placeholder":true,"num":1}'
    doc = {
        "connect-auth": text('0/admin,{"token":"123"}'),
        "connect-reply": text('0/admin,{"sid":"oSO0OpakMV_3jnilAAAA"}'),
        "connect-main": text("0"),
        "connect-no-comma": text("0/admin"),
        "event-ack": text('2/admin,13["foo"]'),
        "event-ack-main": text('212["foo"]'),
        "binary-event-1": text('51-["baz",' + p0 + "]") + binary(b"\x01\x02\x03\x04"),
        "binary-event-2": text('52-/admin,["baz",' + p0 + "," + p1 + "]")
        + binary(b"\x01\x02")
        + binary(b"\x03\x04"),
        "ack": text('3/admin,13["bar"]'),
        "binary-ack": text('61-15["bar",' + p0 + "]") + binary(b"\x01\x02\x03\x04"),
        "connect-error": text('4{"message":"Not authorized"}'),
        "connect-error-string": text('4"Unauthorized"'),
        "disconnect": text("1/admin,"),
        "session": text('0{"sid":"wZX3oN0bSVIhsaknAAAI"}')
        + text('2["hey","Jude"]')
        + text('2/admin,1["tellme"]')
        + text("61-/admin,1[" + p0 + "]")
        + binary(b"\xff"),
    }
    broken = {
        "binary-first": binary(b"world") + text('2["hello"]'),
        "text-while-pending": text('51-["hello",' + p0 + "]") + text('2["hello"]') + text('2["after"]'),
        "placeholder-out-of-range": text('51-["hello",{"_placeholder":true,"num":1}]') + binary(b"world"),
        "placeholder-extra-key": text('51-["x",{"_placeholder":true,"num":0,"a":1}]') + binary(b"x"),
        "too-many-attachments": text('511-["a"]'),
        "zero-attachments": text('50-["a"]'),
        "event-empty-array": text("2[]"),
        "event-reserved-name": text('2["connect"]'),
        "event-unterminated": text('2["foo"'),
        "ack-without-id": text("3[]"),
        "connect-with-ack-id": text("0123{}"),
        "space-before-payload": text('2 ["foo"]'),
        "empty": text(""),
        "not-utf8-then-event": bytes([0, 2, 0, 0xC3, 0x28]) + text('2["ok"]'),
        "truncated-length": text('2["foo"]') + bytes([0, 0x40]),
    }
    seeds = {}
    for name, msgs in doc.items():
        seeds[name] = bytes([0]) + msgs
    # The two-attachment packet against max_attachments 1 and 3, and with
    # the small size limits.
    seeds["binary-event-2-max1"] = bytes([2]) + doc["binary-event-2"]
    seeds["binary-event-2-max3"] = bytes([3]) + doc["binary-event-2"]
    seeds["binary-event-1-max0"] = bytes([1]) + doc["binary-event-1"]
    seeds["session-small-limits"] = bytes([4]) + doc["session"]
    for name, msgs in broken.items():
        seeds[name] = bytes([0]) + msgs
    return seeds


# ----- connection: a script of ops (fuzz/fuzz_targets/connection.rs) -----

def conn_config(client=False, max_message=0, max_fragments=0, final_chunks=False,
                close_timeout=0, ping=0, idle=0, fragment_size=0,
                write_buffer=0, max_frame=0, read_ahead=b""):
    """The three config bytes and the read-ahead. Indexes into the tables of
    the target: close_timeout 0 = 5 s, 1 = 0, 2 = 15 ms, 3 = 200 ms; ping 0 =
    none, 1 = 10 ms, 2 = 40 ms; idle 0 = none, 1 = 25 ms, 2 = 100 ms;
    fragment_size 0 = none, 2 = 5 bytes, 3 = 1000; max_message 3 = 7 bytes,
    6 = 1000; max_fragments 4 = 4."""
    assert len(read_ahead) < 16
    c0 = int(client) | max_message << 1 | max_fragments << 4 | int(final_chunks) << 7
    c1 = close_timeout | ping << 2 | idle << 4 | fragment_size << 6
    c2 = write_buffer | max_frame << 2 | len(read_ahead) << 4
    return bytes([c0, c1, c2]) + read_ahead


def op_read(data, in_place=False):
    """Peer bytes in reads of at most 255 bytes."""
    op = 0x10 if in_place else 0x00
    out = b""
    while data:
        piece, data = data[:255], data[255:]
        if 1 <= len(piece) <= 15:
            out += bytes([op | len(piece)]) + piece
        else:
            out += bytes([op, len(piece)]) + piece
    return out


def op_reads(data, sizes, between=b""):
    """Peer bytes in reads of `sizes` (cycled), `between` after each."""
    out = b""
    i = 0
    while data:
        n = sizes[i % len(sizes)]
        i += 1
        out += op_read(data[:n]) + between
        data = data[n:]
    return out


def op_read_long(data):
    assert len(data) < 4096
    return bytes([0x20 | len(data) >> 8, len(data) & 0xFF]) + data


POLL = bytes([0x30])
POLL_ALL = bytes([0x38])
CHUNK = bytes([0x40])
CHUNK_ALL = bytes([0x48])
BEFORE_WAIT = bytes([0xA0])
EOF = bytes([0xB0])
RELEASE = bytes([0xE0])
POLL_TIMEOUT = bytes([0xE4])
TRANSMIT_TO = bytes([0xE8])
WRITE_ALL = bytes([0xEC])
SHUTDOWN = bytes([0xF0])
TRANSPORT_ERROR = bytes([0xFF])


def op_send(size, text=False, api=0, arg=0):
    """size: 0 = `arg` bytes, 1 = 125, 2 = 126, 3 = 2048, 4 = 2049, 5 = 300 +
    100 * arg, 6 = 65535, 7 = 65536. api: 0 unique Bytes, 1 shared, 2
    send_binary/send_text, 3 static."""
    return bytes([0x50 | arg, size | api << 3 | (0x20 if text else 0)])


def op_control(length, pong=False):
    """length: index into 0, 1, 4, 16, 124, 125, 126, 200."""
    return bytes([0x60 | length << 1 | int(pong)])


def op_close(index):
    """index: 0 none, 1 1000, 2 1000 "bye", 3 1001, 5 3000 with a 123-byte
    reason; 8-15 refused (1005, 1006, 1015, 999, 5000, a 124-byte reason,
    1004, 2999)."""
    return bytes([0x70 | index])


def op_fragment(kind, piece):
    """kind: 0 Start binary, 1 Start text, 2 Continue, 3 End. piece: "",
    "ab", c3, a9, e2 82, ac "!", ff, 3000 x "q"."""
    return bytes([0x80 | kind, piece])


def op_write(size, slices=16, chunk=False):
    """size: index into 0, 1, 2, 3, 5, 8, 13, 100, 131, 1000, 2050, 4096,
    16384, 20000, 70000, everything."""
    return bytes([0x90 | size, (slices - 1) | (0x10 if chunk else 0)])


def op_tick(index):
    """index into 0, 1, 2, 5, 9, 10, 11, 24, 25, 26, 50, 100, 199, 200, 1000,
    6000 ms."""
    return bytes([0xC0 | index])


def op_to_deadline(offset=0):
    """0: at the next deadline, 1: a millisecond before, 2: after."""
    return bytes([0xD0 | offset])


def connection_seeds():
    """Scripts for both roles: messages and pings from the peer at several
    splits, the close handshake both ways, the close, idle and keepalive
    timers, a ping flood while the writer is blocked, peer errors with data
    queued and a frame half written, streamed sends, text that fails
    before_wait, the transport ending early, small limits."""
    close = lambda code, reason=b"", key=None: frame(0x88, struct.pack(">H", code) + reason, key)
    text = "h\u00e9llo w\u00f6rld \u20ac".encode()
    seeds = {}
    for role in ("server", "client"):
        client = role == "client"
        k = None if client else KEY
        cfg = lambda **kw: conn_config(client=client, **kw)
        peer = lambda first, payload: frame(first, payload, k)
        fragmented = peer(0x01, text[:3]) + peer(0x89, b"p") + peer(0x00, text[3:9]) + peer(0x80, text[9:])
        s = {
            "hello": cfg() + op_read(peer(0x81, HELLO)) + POLL_ALL + op_send(0, True, 0, 5) + WRITE_ALL,
            "fragmented-ping-split-1-2-5": cfg()
            + op_reads(fragmented, [1, 2, 5], POLL)
            + POLL_ALL
            + WRITE_ALL,
            "fragmented-chunks": cfg(final_chunks=True)
            + op_reads(fragmented, [4, 7], CHUNK)
            + CHUNK_ALL
            + TRANSMIT_TO,
            "binary-3000-chunks-ping": cfg()
            + op_reads(peer(0x82, bytes(range(256)) * 12) + peer(0x89, b"x"), [255, 100], CHUNK + CHUNK)
            + CHUNK_ALL
            + WRITE_ALL,
            "read-in-place-long": cfg()
            + op_read(peer(0x81, HELLO)[:3], in_place=True)
            + op_read_long(peer(0x81, HELLO)[3:] + peer(0x82, bytes(300)))
            + POLL_ALL,
            # The peer's Close: answered with its code; a server closes the
            # transport, a client reads to the end first.
            "peer-close": cfg()
            + op_send(0, False, 2, 3)
            + op_read(close(1000, b"bye", k))
            + POLL_ALL
            + WRITE_ALL
            + EOF
            + SHUTDOWN,
            # Our Close, the peer's answer, then the end of the transport.
            "our-close-answered": cfg()
            + op_close(2)
            + op_send(0, True)
            + WRITE_ALL
            + op_read(peer(0x81, HELLO) + close(1000, b"", k))
            + POLL_ALL
            + POLL_TIMEOUT
            + EOF
            + SHUTDOWN,
            # Our Close, never answered: the close timeout (15 ms).
            "close-timeout": cfg(close_timeout=2)
            + op_close(1)
            + op_write(3)
            + op_tick(7)
            + op_to_deadline(1)
            + op_to_deadline(0)
            + WRITE_ALL,
            "close-timeout-0-client-read-to-end": cfg(close_timeout=1)
            + op_read(close(1001, b"", k))
            + POLL
            + WRITE_ALL
            + op_tick(0),
            # Idle 25 ms: bytes in the period restart it, silence fails (1001).
            "idle-timeout": cfg(idle=1)
            + op_tick(7)
            + op_read(peer(0x81, HELLO)[:2])
            + op_to_deadline(0)
            + POLL
            + op_to_deadline(0)
            + POLL_ALL
            + WRITE_ALL
            + op_to_deadline(0),
            # Keepalive 10 ms: a ping after a silent period only.
            "keepalive": cfg(ping=1, idle=2)
            + op_to_deadline(0)
            + op_write(15)
            + op_read(peer(0x8A, b""))
            + POLL
            + op_to_deadline(0)
            + op_to_deadline(0)
            + op_to_deadline(2)
            + WRITE_ALL
            + op_close(0)
            + op_tick(14),
            # A ping flood while a 64 KiB frame is half written: one pong.
            "ping-flood-blocked-writer": cfg()
            + op_send(7)
            + op_send(0, True, 0, 5)
            + op_write(7, 2)
            + b"".join(op_read(peer(0x89, bytes([i]))) + POLL for i in range(40))
            + op_write(12, 3, True)
            + WRITE_ALL,
            "streamed-send": cfg()
            + op_fragment(1, 2)
            + op_control(1)
            + op_fragment(2, 3)
            + op_send(0, False, 0, 1)
            + op_fragment(1, 1)
            + op_fragment(3, 4)
            + op_fragment(2, 4)
            + op_fragment(2, 6)
            + op_fragment(3, 5)
            + op_fragment(0, 7)
            + op_fragment(3, 0)
            + op_write(9, 1)
            + op_write(15, 2, True),
            "fragment-size-5-sends": cfg(fragment_size=2)
            + op_send(0, True, 0, 12)
            + op_send(1, False, 2)
            + op_write(6)
            + op_control(2, True)
            + op_send(5, False, 3)
            + WRITE_ALL,
            "sends-every-size": cfg(write_buffer=2)
            + b"".join(op_send(size, size % 2 == 0, api) for size, api in
                       [(0, 0), (1, 1), (2, 2), (3, 3), (4, 0), (5, 1), (6, 2), (7, 3)])
            + op_control(5)
            + op_control(6)
            + op_close(13)
            + op_close(8)
            + op_write(10, 4)
            + op_write(13, 1, True)
            + RELEASE
            + WRITE_ALL
            + RELEASE,
            # The end of the transport inside a frame, with no Close.
            "eof-mid-frame": cfg() + op_read(peer(0x81, HELLO)[:4]) + EOF + POLL + WRITE_ALL + SHUTDOWN,
            # The end of the transport after our Close: not an error.
            "eof-after-our-close": cfg() + op_close(3) + WRITE_ALL + EOF + POLL + SHUTDOWN,
            # Invalid text still arriving fails before waiting (1007).
            "invalid-text-before-wait": cfg()
            + op_read(peer(0x81, b"abc\xff" + b"d" * 200)[:40])
            + POLL
            + BEFORE_WAIT
            + POLL
            + WRITE_ALL,
            "transport-error-mid-write": cfg()
            + op_send(4)
            + op_write(7)
            + TRANSPORT_ERROR
            + POLL
            + op_tick(15),
            "limits-7-4-fragments": cfg(max_message=3, max_fragments=4)
            + op_read(peer(0x01, b"ab") + peer(0x00, b"cd") + peer(0x80, b"e") + peer(0x82, b"12345678"))
            + POLL_ALL
            + WRITE_ALL,
            "max-frame-7": cfg(max_frame=2)
            + op_read(peer(0x82, b"1234567") + peer(0x82, b"12345678"))
            + POLL_ALL
            + WRITE_ALL,
        }
        # The start of the first frames read with the handshake.
        s["read-ahead"] = cfg(read_ahead=peer(0x81, HELLO)) + op_read(peer(0x89, b"")) + POLL_ALL + WRITE_ALL
        # Peer errors while data is queued and a frame is half written: the
        # started frame is finished, the rest dropped, then the Close.
        bad = {
            "reserved-opcode": peer(0x83, b"x"),
            "invalid-utf8": peer(0x81, b"ok\xc0\xaf"),
            "continuation-without-message": peer(0x80, b"x"),
            "close-1005": close(1005, b"", k),
            "close-bad-utf8": close(1000, b"ok\xff", k),
            "ping-126": peer(0x89, bytes(126)),
            "rsv1": peer(0xC1, HELLO),
            "wrong-masking": frame(0x81, HELLO, KEY if client else None),
        }
        for name, wire in bad.items():
            s["error-" + name] = (cfg()
                + op_send(4)
                + op_send(0, True, 2, 7)
                + op_write(5)
                + op_read(peer(0x89, b"p") + wire)
                + POLL_ALL
                + op_write(9, 2)
                + WRITE_ALL
                + SHUTDOWN)
        for name, data in s.items():
            seeds[role + "-" + name] = data
    return seeds


def write(target, seeds):
    out = os.path.join(HERE, target)
    os.makedirs(out, exist_ok=True)
    for name, data in seeds.items():
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    write("frame_decode", split_target_seeds())
    write("frame_stream_decode", stream_seeds())
    write("frame_differential", differential_seeds())
    write("frame_header", header_seeds())
    write("close_payload", close_seeds())
    write("message_decode", message_seeds())
    write("handshake", handshake_seeds())
    write("engineio_packet", engineio_packet_seeds())
    write("engineio_payload", engineio_payload_seeds())
    write("socketio_packet", socketio_packet_seeds())
    write("connection", connection_seeds())
