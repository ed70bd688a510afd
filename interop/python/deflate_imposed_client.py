"""Python `websockets` as a permessage-deflate client of tether servers that
impose parameters (run by crates/ws/tests/deflate_interop.rs).

Usage: deflate_imposed_client.py NAME,OFFER,MAX,URL...

OFFER is "bare" (websockets' default, `compression="deflate"`: it offers
`permessage-deflate; client_max_window_bits`) or "plain"
(`permessage-deflate` without parameters). For each case, connects to URL
with that offer and prints one line:

    case NAME ECHOED VIEW

VIEW is what websockets negotiated, read from its PerMessageDeflate object:
"deflate SNCT CNCT SB CB" (server_no_context_takeover,
client_no_context_takeover as 0 or 1, then server_max_window_bits and
client_max_window_bits), "none" without compression, or "failed
<exception>" when websockets refused the server's answer. ECHOED is how
many messages came back identical: compressible and incompressible text and
binary from 0 B to MAX bytes (64 KiB or 1 MiB), each up to 16 KiB sent three
times in a row (so that context takeover matters), and twice 40 KiB made of
a 20 KiB block repeated. Prints "ok" at the end.
"""

import asyncio
import base64
import os
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidHandshake
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
)


def payloads(max_size):
    out = []
    for n in [n for n in [0, 1, 125, 126, 1000, 16384, 65536, 1 << 20] if n <= max_size]:
        text = ('{"id":1,"user":"alice","msg":"héllo wörld"},' * (n // 40 + 1))[:n]
        rand = base64.b64encode(os.urandom(n))[:n].decode()
        times = 3 if n <= 16384 else 1
        for m in (text, rand, text.encode(), os.urandom(n)):
            out += [m] * times
    block = os.urandom(20 << 10)
    out += [block + block, block + block]
    return out


def view(ws):
    found = [e for e in ws.protocol.extensions if isinstance(e, PerMessageDeflate)]
    if not found:
        return "none"
    (e,) = found
    # The client's remote end is the server.
    return (
        f"deflate {int(e.remote_no_context_takeover)} {int(e.local_no_context_takeover)} "
        f"{e.remote_max_window_bits} {e.local_max_window_bits}"
    )


async def echo(ws, messages):
    for i, m in enumerate(messages):
        await ws.send(m)
        got = await ws.recv()
        if got != m:
            raise SystemExit(f"message {i} ({len(m)} bytes) came back different")
    return len(messages)


async def main():
    for arg in sys.argv[1:]:
        name, offer, max_size, url = arg.split(",", 3)
        messages = payloads(int(max_size))
        if offer == "bare":
            options = {"compression": "deflate"}
        elif offer == "plain":
            factory = ClientPerMessageDeflateFactory(client_max_window_bits=None)
            options = {"compression": None, "extensions": [factory]}
        else:
            raise SystemExit(f"unknown offer {offer!r}")
        try:
            async with connect(url, max_size=None, ping_interval=None,
                               open_timeout=10, **options) as ws:
                seen = view(ws)
                echoed = await echo(ws, messages)
        except InvalidHandshake as exc:
            seen = f"failed {type(exc).__name__}: {exc}"
            echoed = 0
        print(f"case {name} {echoed} {seen}", flush=True)
    print("ok", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
