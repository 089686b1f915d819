"""A server that snapshots every few updates, so replay crosses many snapshots."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ServerProcess


@pytest.fixture
def history_server(tmp_path: Path) -> Iterator[ServerProcess]:
    proc = ServerProcess(
        tmp_path / "history.db",
        env={"PLAYGROUND_SNAPSHOT_EVERY": "7", "PLAYGROUND_HISTORY_IMPORT_MAX_MB": "1"},
    )
    proc.start()
    yield proc
    if proc.proc is not None and proc.proc.poll() is None:
        proc.kill()
