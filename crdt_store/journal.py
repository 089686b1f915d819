"""The update journal: an append-only file that makes an update durable in one write.

A room may deliver an update only once it survives the server being killed (-9): what
anyone has seen must never be lost. An INSERT into SQLite's WAL costs ~100 µs on a
machine whose caches went cold between two keystrokes (it makes about fourteen
system calls: WAL locks, frame headers, pages), and a room cannot deliver before it
is done. One `write(2)` of the update to this file costs ~12 µs and is just as
durable against a killed process (the kernel holds it; SQLite with
synchronous=NORMAL promises no more). So the store writes here, the room delivers,
and the store copies the journaled updates into SQLite shortly after (within 20 ms,
all rooms' updates of that time in one statement, or at once when anything reads).
Opening the store copies over whatever a killed process left here (`recover`), then
empties the file.

One process owns a journal at a time (an exclusive `flock`); a second store on the
same database gets none and writes straight to SQLite.

Record: a header `<II` (payload length, CRC-32 of the payload), then the payload
`<qqHH` (seq, t, session id length, author length or 0xFFFF for none), the session
id, the author (UTF-8) and the update's bytes. A torn or corrupt record ends the
reading: nothing after it was ever acknowledged, since each record is written whole
before its update is delivered.
"""

from __future__ import annotations

import fcntl
import logging
import os
import struct
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from .records import StoredUpdate

log = logging.getLogger("playground.store")

_HEADER = struct.Struct("<II")
_FIELDS = struct.Struct("<qqHH")
_NO_AUTHOR = 0xFFFF
# No record is larger: the store journals only updates it would write inline.
MAX_RECORD_BYTES = 64 * 1024 * 1024
# The file is emptied once it is at least this large and all of it is in SQLite.
_RESET_BYTES = 1024 * 1024


@dataclass(frozen=True)
class JournaledUpdate:
    session_id: str
    update: StoredUpdate


def journal_path(db: Path) -> Path:
    return db.with_name(db.name + "-updates")


def encode(session_id: str, update: StoredUpdate) -> bytes:
    sid = session_id.encode("utf-8", "surrogatepass")
    author = b"" if update.author is None else update.author.encode("utf-8", "surrogatepass")
    if len(sid) >= _NO_AUTHOR or len(author) >= _NO_AUTHOR:
        raise ValueError("session id or author too long for the journal")
    payload = b"".join(
        (
            _FIELDS.pack(
                update.seq,
                update.t,
                len(sid),
                _NO_AUTHOR if update.author is None else len(author),
            ),
            sid,
            author,
            update.data,
        )
    )
    return _HEADER.pack(len(payload), zlib.crc32(payload)) + payload


def decode(data: bytes) -> Iterator[JournaledUpdate]:
    """The whole records of `data`, in order, up to the first torn or corrupt one."""
    view = memoryview(data)
    at = 0
    while at + _HEADER.size <= len(view):
        length, crc = _HEADER.unpack_from(view, at)
        start = at + _HEADER.size
        payload = view[start : start + length]
        if (
            length < _FIELDS.size
            or length > MAX_RECORD_BYTES
            or len(payload) < length
            or zlib.crc32(payload) != crc
        ):
            break
        seq, t, sid_len, author_len = _FIELDS.unpack_from(payload)
        sid_end = _FIELDS.size + sid_len
        data_at = sid_end + (0 if author_len == _NO_AUTHOR else author_len)
        if data_at > length:
            break
        try:
            sid = bytes(payload[_FIELDS.size : sid_end]).decode("utf-8", "surrogatepass")
            author = None
            if author_len != _NO_AUTHOR:
                author = bytes(payload[sid_end:data_at]).decode("utf-8", "surrogatepass")
        except UnicodeDecodeError:
            break
        yield JournaledUpdate(sid, StoredUpdate(seq, t, author, bytes(payload[data_at:])))
        at = start + length
    if at < len(view):
        log.warning("update journal: %d bytes after the last whole record ignored", len(view) - at)


class Journal:
    """An open, locked journal file. `open` returns None when another store owns it."""

    def __init__(self, path: Path, fd: int) -> None:
        self.path = path
        self._fd = fd
        self.size = os.fstat(fd).st_size

    @classmethod
    def open(cls, path: Path) -> Journal | None:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            log.warning("update journal %s is in use by another store: not journaling", path)
            return None
        except BaseException:
            os.close(fd)
            raise
        return cls(path, fd)

    def read(self) -> list[JournaledUpdate]:
        """Every whole record in the file (what a killed process may have left)."""
        chunks = []
        offset = 0
        while chunk := os.pread(self._fd, 1 << 20, offset):
            chunks.append(chunk)
            offset += len(chunk)
        return list(decode(b"".join(chunks)))

    def append(self, session_id: str, updates: Sequence[StoredUpdate]) -> None:
        """Writes the records with one system call; raises OSError (nothing usable
        written: a short write is cut off again) or ValueError."""
        data = b"".join(encode(session_id, u) for u in updates)
        written = os.write(self._fd, data)
        if written != len(data):
            os.ftruncate(self._fd, self.size)
            raise OSError(f"short write to the update journal ({written} of {len(data)} bytes)")
        self.size += written

    def reset_if_large(self) -> None:
        """Empties the file when it has grown; only when everything in it is in SQLite."""
        if self.size >= _RESET_BYTES:
            self.reset()

    def reset(self) -> None:
        os.ftruncate(self._fd, 0)
        self.size = 0

    def close(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)  # releases the lock
            self._fd = -1
