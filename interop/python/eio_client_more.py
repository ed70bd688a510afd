"""More python-engineio client scenarios against a tether EngineServer.

Usage: eio_client_more.py <port> <scenario> [arg]

  heartbeat <polling|websocket>
      answers the server's pings for 1.5 s (expects several), then stops
      answering (its pong packets are dropped) and expects the server to
      close the session.
  server-close <polling|websocket>
      sends "bye"; the server answers "farewell" and closes the session:
      both must arrive, the answer first.
  abort
      opens a polling session and exits while its GET is pending.
  many <count>
      <count> concurrent clients (half polling, half WebSocket), 10
      messages each, every one echoed in order.

Prints "ok ..." lines and exits 0, or exits 1 with the reason. Bounded:
60 s.
"""

import sys
import threading
import time

import engineio
from engineio import packet

port, scenario = sys.argv[1], sys.argv[2]
arg = sys.argv[3] if len(sys.argv) > 3 else ""
url = f"http://127.0.0.1:{port}"


def fail(why):
    print(f"eio_client_more {scenario}: {why}", file=sys.stderr)
    sys.exit(1)


threading.Timer(60, lambda: (print("timed out", file=sys.stderr), sys.stdout.flush(), __import__("os")._exit(1))).start()


def heartbeat(transport):
    client = engineio.Client()
    pings = []
    closed = threading.Event()
    original = client._receive_packet

    def receive(pkt):
        if pkt.packet_type == packet.PING:
            pings.append(time.monotonic())
        original(pkt)

    client._receive_packet = receive
    client.on("disconnect", lambda *reason: closed.set())
    client.connect(url, transports=[transport])
    time.sleep(1.5)
    if len(pings) < 3:
        fail(f"only {len(pings)} pings in 1.5 s")
    print(f"ok answered {len(pings)} pings")
    send = client._send_packet
    client._send_packet = lambda pkt: None if pkt.packet_type == packet.PONG else send(pkt)
    if not closed.wait(5):
        fail("the server did not close the session")
    print("ok closed by the server when pongs stopped")


def server_close(transport):
    client = engineio.Client()
    got = []
    closed = threading.Event()
    client.on("message", lambda data: got.append(data))
    client.on("disconnect", lambda *reason: closed.set())
    client.connect(url, transports=[transport])
    client.send("bye")
    if not closed.wait(10):
        fail("the server did not close the session")
    if got != ["farewell"]:
        fail(f"got {got} before the close")
    print("ok last message then closed by the server")


def many(count):
    n = int(count)
    per = 10
    errors = []
    done = threading.Semaphore(0)
    clients = []
    for c in range(n):
        client = engineio.Client()
        got = []

        def on_message(data, c=c, got=got, client=client):
            want = f"{c}:{len(got)}"
            if data != want:
                errors.append(f"session {c}: got {data}, want {want}")
            got.append(data)
            if len(got) == per:
                done.release()

        client.on("message", on_message)
        clients.append((client, c))
    for client, c in clients:
        client.connect(url, transports=["polling" if c % 2 == 0 else "websocket"])
        for i in range(per):
            client.send(f"{c}:{i}")
    for _ in range(n):
        if not done.acquire(timeout=45):
            fail("not every session got its echoes")
    if errors:
        fail(errors[0])
    for client, _ in clients:
        client.disconnect()
    print(f"ok {n} sessions echoed {per} messages each in order")


def abort():
    client = engineio.Client()
    client.connect(url, transports=["polling"])
    time.sleep(0.3)
    print("ok aborting mid-poll on polling")
    sys.stdout.flush()
    __import__("os")._exit(0)


if scenario == "abort":
    abort()
elif scenario == "heartbeat":
    heartbeat(arg)
elif scenario == "server-close":
    server_close(arg)
elif scenario == "many":
    many(arg)
else:
    fail("unknown scenario")
sys.stdout.flush()
__import__("os")._exit(0)
