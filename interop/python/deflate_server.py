"""Python `websockets` as a permessage-deflate echo server for a tether
client (run by crates/ws/tests/deflate_interop.rs).

Accepts permessage-deflate with whatever parameters the client requests
(ServerPerMessageDeflateFactory with its defaults), echoes text and binary,
and answers the text "params?" with the Sec-WebSocket-Extensions header it
sent. Prints "listening <port>" once it accepts connections on 127.0.0.1.
"""

import asyncio

from websockets.asyncio.server import serve
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory


async def handler(ws):
    async for message in ws:
        if message == "params?":
            await ws.send(ws.response.headers.get("Sec-WebSocket-Extensions", ""))
            continue
        await ws.send(message)


async def main():
    factory = ServerPerMessageDeflateFactory()
    async with serve(handler, "127.0.0.1", 0, max_size=None, ping_interval=None,
                     compression=None, extensions=[factory]) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening {port}", flush=True)
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main())
