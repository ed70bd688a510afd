"""python-engineio's client against a tether EngineServer.

Usage: eio_client.py <port> <polling|websocket|upgrade> <maxPayload>

Sends text (ASCII, multi-byte, maxPayload-sized) and binary (256 bytes,
maxPayload-sized as base64) messages and expects each echoed in order, on
the transport asked for (`upgrade`: starts on polling, must end on
WebSocket). Prints "ok ..." lines and exits 0, or exits 1 with the reason.
Bounded: 30 s.
"""

import sys
import threading

import engineio

port, mode, max_payload = sys.argv[1], sys.argv[2], int(sys.argv[3])
transports = {"polling": ["polling"], "websocket": ["websocket"], "upgrade": ["polling", "websocket"]}[mode]

client = engineio.Client()
got = []
bin_len = (max_payload - 1) // 4 * 3
sent = ["hello", "héllo €𝄞", bytes(range(256)), "x" * (max_payload - 1), bytes([7]) * bin_len, "last"]


client.connect(f"http://127.0.0.1:{port}", transports=transports)
print(f"ok connected on {client.transport()} sid length {len(client.sid)}")
if mode == "upgrade":
    # python-engineio upgrades in the background right after the handshake.
    for _ in range(100):
        if client.transport() == "websocket":
            break
        threading.Event().wait(0.05)
# One at a time: python-engineio joins whatever is queued into one POST
# without looking at maxPayload, so two large messages queued together
# would make a body the server must refuse (413), as the reference does.
arrived = threading.Condition()


@client.on("message")
def on_message_counted(data):
    with arrived:
        got.append(data)
        arrived.notify_all()


for i, m in enumerate(sent):
    client.send(m)
    with arrived:
        if not arrived.wait_for(lambda: len(got) > i, timeout=30):
            print(f"timed out with {len(got)} of {len(sent)} messages", file=sys.stderr)
            sys.exit(1)
for i, (a, b) in enumerate(zip(sent, got)):
    if a != b:
        print(f"message {i} came back as {type(b).__name__} of length {len(b)}", file=sys.stderr)
        sys.exit(1)
print(f"ok echoed {len(got)} messages in order on {client.transport()}")
client.disconnect()
sys.exit(0)
