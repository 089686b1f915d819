"""A server's own fan-out time, read off the loopback interface.

The fan-out driver's latencies include the driver: one Node process decodes every
client's copy of an update in turn, so the 60th client learns of it ~5 ms after the
first whichever server sent it. This tap takes the driver out. It watches `lo` with a
packet socket (root only) and stamps, with the kernel's clock:
- when the typist's frame carrying update `<i>` left the typist, and
- when the server's frame carrying `<i>` left the server for each receiver.
The difference is the server's time alone: waking up, reading, applying, storing and
sending to that receiver, whatever the driver does with the bytes afterwards.

Only frames sent uncompressed are read (the typed updates are far under any compression
threshold); compressed ones are counted, so that a run that had any says so.
"""

from __future__ import annotations

import ctypes
import re
import socket
import struct
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from websockets.frames import apply_mask

ETH_P_ALL = 0x0003
SO_TIMESTAMPNS = 35
SO_ATTACH_FILTER = 26
SO_RCVBUFFORCE = 33
PACKET_OUTGOING = 4
ETH_HEADER = 14

# Classic BPF: keep a loopback packet once (its outgoing copy), drop the incoming twin.
#   ld  [SKF_AD_OFF + SKF_AD_PKTTYPE]; jeq #PACKET_OUTGOING, 0, 1; ret #262144; ret #0
_FILTER = [
    (0x20, 0, 0, 0xFFFFF000 + 4),
    (0x15, 0, 1, PACKET_OUTGOING),
    (0x06, 0, 0, 0x40000),
    (0x06, 0, 0, 0),
]
MARKER = re.compile(rb"<(\d+)>")


@dataclass
class _Flow:
    """One direction of one TCP connection: its bytes after the HTTP upgrade."""

    handshake: bool = True
    buffer: bytearray = field(default_factory=bytearray)


class Tap:
    """Records the TCP payloads that go to or from `port` on `lo`, stamped by the kernel.

    `with Tap(port) as tap: ...` then `tap.packets`: (seconds, source port, destination
    port, payload), in the order they were sent."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.packets: list[tuple[float, int, int, bytes]] = []
        try:
            self._sock = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
        except PermissionError as e:
            raise SystemExit("--wire reads packets off lo and needs root (CAP_NET_RAW)") from e
        code = b"".join(struct.pack("HBBI", *insn) for insn in _FILTER)
        program = ctypes.create_string_buffer(code)
        fprog = struct.pack("HP", len(_FILTER), ctypes.addressof(program))
        self._sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_FILTER, fprog)
        self._sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 64 << 20)
        self._sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        self._sock.bind(("lo", 0))
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._read, daemon=True)

    def _read(self) -> None:
        while True:
            try:
                data, ancillary, _, _ = self._sock.recvmsg(1 << 17, 64)
            except TimeoutError:
                if self._stop.is_set():
                    return
                continue
            stamp = next((d for level, kind, d in ancillary if kind == SO_TIMESTAMPNS), None)
            if stamp is None or len(data) < ETH_HEADER + 40:
                continue
            ip = data[ETH_HEADER:]
            if ip[0] >> 4 != 4 or ip[9] != socket.IPPROTO_TCP:
                continue
            tcp = ip[(ip[0] & 0xF) * 4 : struct.unpack_from("!H", ip, 2)[0]]  # total length
            source, destination = struct.unpack_from("!HH", tcp)
            if self.port not in (source, destination):
                continue
            payload = tcp[(tcp[12] >> 4) * 4 :]
            if payload:
                seconds, nanoseconds = struct.unpack("qq", stamp)
                self.packets.append((seconds + nanoseconds / 1e9, source, destination, payload))

    def __enter__(self) -> Tap:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()


def _frames(flow: _Flow, payload: bytes) -> list[tuple[bool, bytes]]:
    """Appends `payload` to the flow, returns the WebSocket frames it completes as
    (compressed, unmasked payload)."""
    flow.buffer += payload
    if flow.handshake:
        end = flow.buffer.find(b"\r\n\r\n")
        if end < 0:
            return []
        del flow.buffer[: end + 4]
        flow.handshake = False
    out = []
    buf = flow.buffer
    while len(buf) >= 2:
        length, at = buf[1] & 0x7F, 2
        if length == 126:
            if len(buf) < 4:
                break
            length, at = struct.unpack_from("!H", buf, 2)[0], 4
        elif length == 127:
            if len(buf) < 10:
                break
            length, at = struct.unpack_from("!Q", buf, 2)[0], 10
        masked = buf[1] & 0x80
        mask = bytes(buf[at : at + 4]) if masked else b""
        at += len(mask)
        if len(buf) < at + length:
            break
        body = bytes(buf[at : at + length])
        if masked:
            body = apply_mask(body, mask)
        out.append((bool(buf[0] & 0x40), body))
        del buf[: at + length]
    return out


def turnaround(
    packets: list[tuple[float, int, int, bytes]], port: int, warmup: int
) -> dict[str, Any]:
    """The server's time from each typed update's arrival to its departure to each
    receiver (ms), for the updates numbered `warmup` on."""
    flows: dict[tuple[int, int], _Flow] = defaultdict(_Flow)
    arrived: dict[int, float] = {}
    typists: set[int] = set()
    departed: dict[int, list[tuple[int, float]]] = defaultdict(list)
    compressed = 0
    for stamp, source, destination, payload in packets:
        for is_compressed, body in _frames(flows[source, destination], payload):
            if is_compressed:
                compressed += 1
                continue
            for match in MARKER.finditer(body):
                i = int(match[1])
                if destination == port:
                    arrived.setdefault(i, stamp)
                    typists.add(source)
                else:
                    departed[i].append((destination, stamp))
    samples, first, last = [], [], []
    for i, stamp in arrived.items():
        if i < warmup:
            continue
        # The reference also echoes an update to its author: not a receiver's copy.
        times = [(t - stamp) * 1000 for to, t in departed[i] if to not in typists]
        samples += times
        if times:
            first.append(min(times))
            last.append(max(times))
    return {
        "wire_ms": sorted(samples),
        "wire_first_ms": sorted(first),
        "wire_last_ms": sorted(last),
        "wire_updates": len(last),
        "wire_compressed": compressed,
    }
