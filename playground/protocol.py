"""The y-websocket wire protocol, decoded defensively: every byte is untrusted.

A message is `varuint type` then a type-specific body. Sync messages carry
`varuint subtype, varbytes payload`; awareness messages `varbytes update`, where an
awareness update is `varuint count` and per client `varuint id, varuint clock,
varstring state-json`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MSG_SYNC = 0
MSG_AWARENESS = 1
MSG_AUTH = 2
MSG_QUERY_AWARENESS = 3

SYNC_STEP1 = 0
SYNC_STEP2 = 1
SYNC_UPDATE = 2


class ProtocolError(ValueError):
    """A frame that does not decode; the connection that sent it is closed."""


class Decoder:
    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def var_uint(self) -> int:
        num = 0
        shift = 0
        while True:
            if self.pos >= len(self.data):
                raise ProtocolError("truncated varint")
            byte = self.data[self.pos]
            self.pos += 1
            num |= (byte & 0x7F) << shift
            if byte < 0x80:
                return num
            shift += 7
            if shift > 63:
                raise ProtocolError("varint too long")

    def var_bytes(self) -> bytes:
        length = self.var_uint()
        end = self.pos + length
        if end > len(self.data):
            raise ProtocolError("length runs past the end of the frame")
        chunk = self.data[self.pos : end]
        self.pos = end
        return chunk

    def var_string(self) -> str:
        try:
            return self.var_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise ProtocolError("string is not UTF-8") from exc

    def at_end(self) -> bool:
        return self.pos >= len(self.data)


def write_var_uint(num: int) -> bytes:
    out = bytearray()
    while num > 0x7F:
        out.append(0x80 | (num & 0x7F))
        num >>= 7
    out.append(num)
    return bytes(out)


def write_var_bytes(data: bytes) -> bytes:
    return write_var_uint(len(data)) + data


def sync_message(subtype: int, payload: bytes) -> bytes:
    return bytes([MSG_SYNC, subtype]) + write_var_bytes(payload)


def awareness_message(update: bytes) -> bytes:
    return bytes([MSG_AWARENESS]) + write_var_bytes(update)


@dataclass(frozen=True)
class SyncMessage:
    subtype: int
    payload: bytes


@dataclass(frozen=True)
class AwarenessEntry:
    client_id: int
    clock: int
    state_json: str

    @property
    def removed(self) -> bool:
        return self.state_json == "null"


@dataclass(frozen=True)
class AwarenessMessage:
    entries: list[AwarenessEntry]


@dataclass(frozen=True)
class QueryAwareness:
    pass


Message = SyncMessage | AwarenessMessage | QueryAwareness


def decode_message(data: bytes) -> Message:
    """Decodes one client frame or raises ProtocolError."""
    dec = Decoder(data)
    kind = dec.var_uint()
    if kind == MSG_SYNC:
        subtype = dec.var_uint()
        if subtype not in (SYNC_STEP1, SYNC_STEP2, SYNC_UPDATE):
            raise ProtocolError(f"unknown sync message type {subtype}")
        return SyncMessage(subtype, dec.var_bytes())
    if kind == MSG_AWARENESS:
        return AwarenessMessage(decode_awareness(dec.var_bytes()))
    if kind == MSG_QUERY_AWARENESS:
        return QueryAwareness()
    raise ProtocolError(f"unknown message type {kind}")


def decode_awareness(update: bytes) -> list[AwarenessEntry]:
    dec = Decoder(update)
    count = dec.var_uint()
    if count > 10_000:
        raise ProtocolError("too many awareness entries")
    entries = []
    for _ in range(count):
        client_id = dec.var_uint()
        clock = dec.var_uint()
        state = dec.var_string()
        try:
            json.loads(state)
        except ValueError as exc:
            raise ProtocolError("awareness state is not JSON") from exc
        entries.append(AwarenessEntry(client_id, clock, state))
    return entries


def encode_awareness(entries: list[AwarenessEntry]) -> bytes:
    out = bytearray(write_var_uint(len(entries)))
    for entry in entries:
        out += write_var_uint(entry.client_id)
        out += write_var_uint(entry.clock)
        out += write_var_bytes(entry.state_json.encode("utf-8"))
    return bytes(out)


def user_name(state_json: str) -> str | None:
    """`user.name` from an awareness state, when the client set one."""
    try:
        state: Any = json.loads(state_json)
    except ValueError:
        return None
    user = state.get("user") if isinstance(state, dict) else None
    name = user.get("name") if isinstance(user, dict) else None
    return name[:100] if isinstance(name, str) and name else None


# An awareness update with no entries: stock clients apply it as a no-op, but it counts
# as a message received, which is what keeps them from reconnecting after 30 s alone.
KEEPALIVE = awareness_message(encode_awareness([]))
