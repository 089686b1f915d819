"""A client that stops reading never holds up a room: it is closed, the others go on."""

from __future__ import annotations

import asyncio

import pytest
from pycrdt import Doc

from playground.protocol import SYNC_STEP1, sync_message
from tests.conftest import ServerProcess, metric
from tests.raw_socket import RawSocket
from tests.yjs_client import PyClient


# A short queue, and no pacing of the typist, so the backlog builds fast.
@pytest.mark.server_env(
    {"PLAYGROUND_CLIENT_SEND_QUEUE": "64", "PLAYGROUND_LIMIT_UPDATE_BYTES_PER_S": "0"}
)
async def test_a_client_that_stops_reading_is_closed_and_nobody_waits(
    server: ServerProcess,
) -> None:
    session = server.create_session(code="")
    # Joins, then never reads again; a tiny receive buffer fills at once.
    stalled, _ = await RawSocket.connect(server.port, f"/ws/doc/{session['id']}", rcvbuf=4096)
    stalled.send(sync_message(SYNC_STEP1, Doc().get_state()), compress=False)
    typist = await PyClient(server.ws_url, session["id"]).connect()
    watcher = await PyClient(server.ws_url, session["id"]).connect()
    await asyncio.wait_for(typist.synced.wait(), 10)
    await asyncio.wait_for(watcher.synced.wait(), 10)

    # ~1 MB of updates (each line typed, then deleted: the document stays small),
    # far more than the stalled client's socket, buffer and queue hold.
    line = "# " + "x" * 1000 + "\n"
    for _ in range(1000):
        typist.code.insert(0, line)
        del typist.code[0 : len(line)]
        await asyncio.sleep(0)
    typist.code.insert(0, "done\n")
    # Everyone else gets everything, in order, while the stalled client is behind.
    await watcher.wait_text("done\n", timeout=30)

    # The stalled client is dropped: 4408 when its queue overflows, or 1011 when
    # it stops answering pings first (a close frame waits behind a full socket like
    # any other message, so which one it gets depends on timing).
    assert await stalled.close_code() in (4408, 1011)
    for _ in range(100):  # it leaves the room once its socket is gone
        if metric(server, "playground_clients") == 2:
            break
        await asyncio.sleep(0.1)
    assert metric(server, "playground_clients") == 2
    stalled.close()
    await typist.close()
    await watcher.close()
