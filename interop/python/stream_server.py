"""Python `websockets` as a server for crates/ws/tests/streaming.rs.

Prints "listening <port>" once it accepts connections on 127.0.0.1.

* Path /sink: receives one message with recv_streaming(), fragment by
  fragment, never holding it whole; sends back the text
  "received <bytes> <sha256> <fragments>", then waits for the close.
* Path /stream: in rounds, as interop/node/stream_server.mjs: on the text
  "ping me", pings ("mid-stream <round>") and prints "pinged <round>"; on
  any other message, echoes it, waits for that ping's pong (at most 10 s),
  then sends "report <round> <bytes received> <pong before the message's
  end> <pong seen>" (booleans as true/false). Whether the pong came before
  the message's end is recorded in wire order, as the frames are parsed
  (`Recorder`), not when the handler gets to look.
"""

import asyncio
import hashlib

from websockets.asyncio.server import ServerConnection, serve
from websockets.frames import Frame, Opcode


class Recorder(ServerConnection):
    """Records, for each data message, the pongs received before its last
    frame, in the order the frames were parsed."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.pongs = set()
        self.pongs_at_end = []

    def process_event(self, event):
        if isinstance(event, Frame):
            if event.opcode is Opcode.PONG:
                self.pongs.add(bytes(event.data))
            elif event.opcode in (Opcode.TEXT, Opcode.BINARY, Opcode.CONT) and event.fin:
                self.pongs_at_end.append(frozenset(self.pongs))
        super().process_event(event)


async def sink(ws):
    digest = hashlib.sha256()
    size = 0
    fragments = 0
    async for fragment in ws.recv_streaming(decode=False):
        digest.update(fragment)
        size += len(fragment)
        fragments += 1
    await ws.send(f"received {size} {digest.hexdigest()} {fragments}")
    await ws.wait_closed()


def js_bool(value):
    return "true" if value else "false"


async def stream(ws):
    round_ = 0
    pong = None
    received = 0
    async for message in ws:
        received += 1
        if message == "ping me":
            round_ += 1
            pong = await ws.ping(f"mid-stream {round_}".encode())
            print(f"pinged {round_}", flush=True)
            continue
        payload = f"mid-stream {round_}".encode()
        before = payload in ws.pongs_at_end[received - 1]
        await ws.send(message)
        seen = False
        if pong is not None:
            try:
                await asyncio.wait_for(asyncio.shield(pong), 10)
                seen = True
            except TimeoutError:
                pass
        size = len(message.encode() if isinstance(message, str) else message)
        await ws.send(f"report {round_} {size} {js_bool(before)} {js_bool(seen)}")


async def handler(ws):
    if ws.request.path == "/sink":
        await sink(ws)
    else:
        await stream(ws)


async def main():
    async with serve(handler, "127.0.0.1", 0, max_size=None, ping_interval=None,
                     compression=None, create_connection=Recorder) as server:
        port = server.sockets[0].getsockname()[1]
        print(f"listening {port}", flush=True)
        await asyncio.get_running_loop().create_future()


if __name__ == "__main__":
    asyncio.run(main())
