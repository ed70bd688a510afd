"""Python `websockets` as a client of a tether server (run by
crates/ws/tests/interop_python.rs).

The server echoes text and binary messages, answers the text
"close:<code>:<reason>" by closing with that code, speaks the subprotocols
chat.v2 and chat.v1, and echoes the code of a client's Close. Exits 0 and
prints "ok" when every check passed; an assertion error otherwise.
"""

import asyncio
import os
import sys

from websockets.asyncio.client import connect
from websockets.exceptions import ConnectionClosed, InvalidStatus


def text_of(size):
    return ("é€😀x" * (size // 4 + 1))[: size // 3]


async def main(url):
    # Echo from 0 B to 16 MiB, text and binary; the client offers
    # permessage-deflate (the server must decline it) and two subprotocols.
    async with connect(url, max_size=None, ping_interval=None,
                       subprotocols=["chat.v1", "chat.v2"]) as ws:
        assert ws.subprotocol == "chat.v1", ws.subprotocol
        for size in [0, 1, 125, 126, 127, 65535, 65536, 1 << 20, 16 << 20]:
            data = os.urandom(size)
            await ws.send(data)
            assert await ws.recv() == data, f"binary {size}"
            text = text_of(size)
            await ws.send(text)
            assert await ws.recv() == text, f"text {size}"
        # Fragmented messages (websockets sends an iterable as fragments).
        await ws.send(["frag", "mented ", "é", "€", "😀"])
        assert await ws.recv() == "fragmented é€😀"
        await ws.send([b"ab", b"", b"cd"])
        assert await ws.recv() == b"abcd"
        # Ping: the server answers with the same payload.
        waiter = await ws.ping(b"python ping")
        await asyncio.wait_for(waiter, 5)
        # Many messages in a row, in order.
        for i in range(500):
            await ws.send(f"seq {i}")
        for i in range(500):
            assert await ws.recv() == f"seq {i}"
        # The client closes with a code; the server echoes it.
        await ws.close(code=4001, reason="python bye")
        assert ws.close_code == 4001, ws.close_code

    # The server closes with a code and reason.
    async with connect(url, ping_interval=None) as ws:
        await ws.send("close:4002:server bye")
        try:
            await ws.recv()
            raise AssertionError("expected the server to close")
        except ConnectionClosed as e:
            assert e.rcvd is not None and e.rcvd.code == 4002, e
            assert e.rcvd.reason == "server bye", e.rcvd.reason

    # No common subprotocol: the connection opens without one.
    async with connect(url, ping_interval=None, subprotocols=["other"]) as ws:
        assert ws.subprotocol is None
        await ws.send("x")
        assert await ws.recv() == "x"
    # A refused handshake: the server's callback answers 403.
    try:
        async with connect(url + "refuse", ping_interval=None):
            raise AssertionError("expected a refusal")
    except InvalidStatus as e:
        assert e.response.status_code == 403, e
    print("ok")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
