"""Python `websockets` as a permessage-deflate client of a tether echo
server (run by crates/ws/tests/deflate_interop.rs).

Usage: deflate_client.py URL BITS...

For every combination of server_no_context_takeover, client_no_context_takeover
and the window bits listed (server_max_window_bits x client_max_window_bits),
connects requesting them, checks the answer grants them, echoes small
messages of every kind; then, with the defaults, echoes compressible and
incompressible text and binary from 0 B to 16 MiB. Prints "ok" at the end.
"""

import asyncio
import base64
import os
import sys

from websockets.asyncio.client import connect
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory


def payloads(sizes):
    out = []
    for n in sizes:
        text = ('{"id":1,"user":"alice","msg":"hello world"},' * (n // 40 + 1))[:n]
        rand = base64.b64encode(os.urandom(n))[:n].decode()
        out += [text, rand, text.encode(), os.urandom(n)]
    block = os.urandom(20 << 10)
    out += [block + block, block + block]
    return out


async def echo(ws, messages):
    for i, m in enumerate(messages):
        await ws.send(m)
        got = await ws.recv()
        if got != m:
            raise SystemExit(f"message {i} ({len(m)} bytes) came back different")


async def main():
    url = sys.argv[1]
    bits = [int(b) for b in sys.argv[2:]]
    small = payloads([0, 1, 125, 126, 1000])
    for snct in (False, True):
        for cnct in (False, True):
            for sb in bits:
                for cb in bits:
                    factory = ClientPerMessageDeflateFactory(
                        server_no_context_takeover=snct,
                        client_no_context_takeover=cnct,
                        server_max_window_bits=sb if sb < 15 else None,
                        client_max_window_bits=cb,
                    )
                    async with connect(url, compression=None, extensions=[factory],
                                       max_size=None, ping_interval=None) as ws:
                        header = ws.response.headers.get("Sec-WebSocket-Extensions", "")
                        want = []
                        if snct:
                            want.append("server_no_context_takeover")
                        if cnct:
                            want.append("client_no_context_takeover")
                        if sb < 15:
                            want.append(f"server_max_window_bits={sb}")
                        if cb < 15:
                            want.append(f"client_max_window_bits={cb}")
                        for w in want:
                            if w not in header:
                                raise SystemExit(f"{w} missing from {header!r}")
                        if not header.startswith("permessage-deflate"):
                            raise SystemExit(f"not negotiated: {header!r}")
                        await echo(ws, small)
    async with connect(url, compression="deflate", max_size=None,
                       ping_interval=None) as ws:
        await echo(ws, payloads([0, 1, 125, 126, 1000, 65535, 65536, 1 << 20, 16 << 20]))
    print("ok", flush=True)


if __name__ == "__main__":
    asyncio.run(main())
