"""Python `websockets` as a permessage-deflate echo server for a tether
client (run by crates/ws/tests/deflate_interop.rs).

Accepts permessage-deflate with whatever parameters the client requests
(ServerPerMessageDeflateFactory with its defaults), echoes text and binary,
and answers the text "params?" with the Sec-WebSocket-Extensions header it
sent. Prints "listening <port>" once it accepts connections on 127.0.0.1.

The query string of the request path sets what the factory imposes on that
connection: `snct` (server_no_context_takeover), `cnct`
(client_no_context_takeover), `sb=N` (server_max_window_bits), `cb=N`
(client_max_window_bits); for instance `/?snct&sb=10`.
"""

import asyncio
import urllib.parse

from websockets.asyncio.server import serve
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory


async def handler(ws):
    async for message in ws:
        if message == "params?":
            await ws.send(ws.response.headers.get("Sec-WebSocket-Extensions", ""))
            continue
        await ws.send(message)


def impose(connection, request):
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(request.path).query,
                                  keep_blank_values=True)
    options = {}
    if "snct" in query:
        options["server_no_context_takeover"] = True
    if "cnct" in query:
        options["client_no_context_takeover"] = True
    if "sb" in query:
        options["server_max_window_bits"] = int(query["sb"][0])
    if "cb" in query:
        options["client_max_window_bits"] = int(query["cb"][0])
    # Read by the protocol when it answers, after process_request.
    connection.protocol.available_extensions = [ServerPerMessageDeflateFactory(**options)]


async def main():
    factory = ServerPerMessageDeflateFactory()
    async with serve(handler, "127.0.0.1", 0, max_size=None, ping_interval=None,
                     compression=None, extensions=[factory],
                     process_request=impose) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening {port}", flush=True)
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main())
