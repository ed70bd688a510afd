"""python-socketio's AsyncClient (on aiohttp) against a tether Socket.IO
server (crates/socketio/tests/server_app).

Usage: sio_client.py <port> <scenario> <polling|websocket|upgrade>

  basic
      connect; events both ways; acks both ways (the client's call(), the
      server's emit_with_ack answered by a client handler, and one the
      client answers too late); bytes in events and acks, nested; the
      handshake the server saw; a server-side namespace disconnect.
  namespaces
      /admin refused by its middleware (message and data), then accepted
      with auth {"token": "secret"} next to a dynamic /dyn-3 on one
      Engine.IO session; a client disconnect.

Prints "ok ..." lines and exits 0, or exits 1 with the reason. Bounded:
every wait has a timeout and the whole run 60 s.
"""

import asyncio
import sys

import socketio

port, scenario, mode = sys.argv[1], sys.argv[2], sys.argv[3]
url = f"http://127.0.0.1:{port}"
transports = {"polling": ["polling"], "websocket": ["websocket"], "upgrade": ["polling", "websocket"]}[mode]


class Failed(Exception):
    pass


def ok(what):
    print(f"ok {what}", flush=True)


def check(cond, what):
    if not cond:
        raise Failed(f"not {what}")
    ok(what)


clients = []


def client():
    sio = socketio.AsyncClient(reconnection=False)
    clients.append(sio)
    return sio


async def on_transport(sio):
    """Waits for python-engineio's background upgrade, when asked for."""
    if mode == "upgrade":
        for _ in range(100):
            if sio.transport() == "websocket":
                break
            await asyncio.sleep(0.05)
    check(sio.transport() == transports[-1], f"on {transports[-1]}")


async def basic():
    sio = client()
    echoed = asyncio.Queue()
    disconnected = asyncio.Queue()
    late = {"answered": 0}

    @sio.on("echo")
    async def on_echo(*args):
        await echoed.put(list(args))

    @sio.on("question")
    async def on_question(q):
        if late["answered"] is None:
            # Answers after the server's ack timeout.
            await asyncio.sleep(0.6)
            return "too late"
        late["answered"] += 1
        return f"answer to {q}"

    @sio.on("disconnect")
    async def on_disconnect(reason=None):
        await disconnected.put(reason)

    await sio.connect(
        f"{url}?foo=bar%20baz",
        auth={"token": "t0"},
        transports=transports,
        wait_timeout=5,
    )
    sid = sio.get_sid()
    check(isinstance(sid, str) and len(sid) == 20, "socket id of 20 characters")
    check(sid != sio.eio.sid, "socket id distinct from the engine id")
    await on_transport(sio)

    # Events both ways, text.
    await sio.emit("echo", ("héllo €𝄞", 42, {"a": [1, None, True]}))
    got = await asyncio.wait_for(echoed.get(), 5)
    check(got == ["héllo €𝄞", 42, {"a": [1, None, True]}], "text event echoed by a server emit")

    # The client's ack.
    acked = await sio.call("echo", ("with ack", [1, 2]), timeout=5)
    check(acked == ("with ack", [1, 2]), "client call() answered with every argument")
    one = await sio.call("echo", "single", timeout=5)
    check(one == "single", "client call() with one argument")

    # Bytes, nested, in an event and in its ack.
    data = bytes([0, 1, 2, 255])
    inner = bytes([7]) * 1000
    answer = await sio.call("bin", (data, {"inner": inner, "n": 3}), timeout=5)
    check(answer["len"] == 1004, "binary lengths seen by the server")
    check(answer["reversed"] == bytes([255, 2, 1, 0]), "bytes in the ack")
    check(answer["nested"]["inner"] == inner and answer["nested"]["n"] == 3, "nested bytes back")
    # The test app's echo decodes into serde_json::Value, which has no bytes:
    # attachments come back as arrays of numbers (documented in de.rs).
    await sio.emit("echo", (b"\x00raw\xff", {"deep": [b"", b"xy"]}))
    got = await asyncio.wait_for(echoed.get(), 5)
    check(got == [[0, 114, 97, 119, 255], {"deep": [[], [120, 121]]}], "bytes through a Value come back as numbers")

    # The server asks, the client answers.
    asked = await sio.call("ask_client", 2000, timeout=5)
    check(asked == "answer to life" and late["answered"] == 1, "server ack answered by the client")
    late["answered"] = None
    timed_out = await sio.call("ask_client", 200, timeout=5)
    check(timed_out == "timeout", "server ack timed out")
    await asyncio.sleep(0.8)
    still = await sio.call("echo", "after the late ack", timeout=5)
    check(still == "after the late ack", "a late ack is dropped, the session goes on")

    # The handshake.
    hs = await sio.call("handshake", timeout=5)
    check(hs["foo"] == "bar baz" and hs["token"] == "t0", "query and auth in the handshake")
    check(hs["address"] == "127.0.0.1" and hs["url"].startswith("/socket.io/?"), "address and url")

    # The server disconnects the namespace.
    await sio.emit("kick")
    reason = await asyncio.wait_for(disconnected.get(), 5)
    # python-socketio's name for the reason ("io server disconnect" in JavaScript).
    check(reason == sio.reason.SERVER_DISCONNECT, f"server namespace disconnect seen ({reason})")
    for _ in range(100):
        if not sio.connected and sio.eio.state != "connected":
            break
        await asyncio.sleep(0.05)
    check(not sio.connected, "client closed after its only namespace left")
    await sio.disconnect()


async def namespaces():
    refused = client()
    errors = asyncio.Queue()

    @refused.on("connect_error", namespace="/admin")
    async def on_admin_error(data):
        await errors.put(data)

    try:
        await refused.connect(
            url, auth={"token": "wrong"}, namespaces=["/", "/admin"], transports=transports, wait_timeout=5
        )
        raise Failed("admitted without the token")
    except socketio.exceptions.ConnectionError as e:
        check("/admin" in str(e), f"connect() refused ({e})")
    err = await asyncio.wait_for(errors.get(), 5)
    check(err == {"message": "not authorized", "data": {"code": 42}}, "middleware refusal with message and data")
    await refused.disconnect()

    sio = client()
    await sio.connect(
        url,
        auth={"token": "secret"},
        namespaces=["/", "/admin", "/dyn-3"],
        transports=transports,
        wait_timeout=5,
    )
    await on_transport(sio)
    sids = {n: sio.get_sid(n) for n in ["/", "/admin", "/dyn-3"]}
    check(len(set(sids.values())) == 3, "three namespace sockets on one session")
    who = await sio.call("whoami", namespace="/admin", timeout=5)
    check(who == {"nsp": "/admin", "id": sids["/admin"]}, "admin accepted with the token")
    where = await sio.call("where", namespace="/dyn-3", timeout=5)
    check(where == "/dyn-3", "dynamic namespace")
    main = await sio.call("echo", "main", timeout=5)
    check(main == "main", "main namespace beside them")
    await sio.disconnect()
    ok("client disconnected")


async def main():
    run = {"basic": basic, "namespaces": namespaces}[scenario]
    try:
        await asyncio.wait_for(run(), 60)
    except Failed as e:
        print(f"sio_client {scenario} {mode}: {e}", file=sys.stderr)
        sys.exit(1)
    except asyncio.TimeoutError:
        print(f"sio_client {scenario} {mode}: timed out", file=sys.stderr)
        sys.exit(1)
    finally:
        for sio in clients:
            await asyncio.wait_for(sio.disconnect(), 5)


asyncio.run(main())
