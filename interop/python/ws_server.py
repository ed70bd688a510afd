"""Python `websockets` as a server for a tether client (run by
crates/ws/tests/interop_python.rs).

Echoes text and binary messages; on the text "close:<code>:<reason>" closes
with that code; speaks the subprotocol chat.v1. Prints "listening <port>"
once it accepts connections on 127.0.0.1.
"""

import asyncio
import sys

from websockets.asyncio.server import serve


async def handler(ws):
    async for message in ws:
        if isinstance(message, str) and message.startswith("close:"):
            _, code, reason = message.split(":", 2)
            await ws.close(code=int(code), reason=reason)
            return
        await ws.send(message)


async def main():
    async with serve(handler, "127.0.0.1", 0, max_size=None, ping_interval=None,
                     subprotocols=["chat.v1"]) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening {port}", flush=True)
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main())
