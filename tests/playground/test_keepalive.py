"""Pings find connections whose other end has gone silent, and spare the rest."""

from __future__ import annotations

import asyncio

import pytest
from pycrdt import Doc

from playground.protocol import MSG_QUERY_AWARENESS, SYNC_STEP1, sync_message
from playground.settings import Settings
from tests.conftest import ServerProcess, metric
from tests.raw_socket import RawSocket

FAST_PINGS = pytest.mark.server_env(
    {"PLAYGROUND_WS_PING_INTERVAL_S": "0.5", "PLAYGROUND_WS_PING_TIMEOUT_S": "1"}
)


async def _synced_clients(server: ServerProcess, n: int) -> list[RawSocket]:
    """`n` raw clients of one new session, each past its sync step 1."""
    path = f"/ws/doc/{server.create_session(code='')['id']}"
    clients = []
    for _ in range(n):
        raw, _ = await RawSocket.connect(server.port, path)
        raw.send(sync_message(SYNC_STEP1, Doc().get_state()), compress=False)
        clients.append(raw)
    return clients


@FAST_PINGS
async def test_answered_pings_keep_a_connection_and_silence_closes_it(
    server: ServerProcess,
) -> None:
    answering, silent = await _synced_clients(server, 2)

    loop = asyncio.get_running_loop()
    started = loop.time()

    async def closed() -> tuple[int | None, float]:
        code = await silent.close_code(timeout=10)
        return code, loop.time() - started

    # One ping per interval: ~8 in 4 s for the client that answers them, while the one
    # that answers nothing is closed once its first ping has gone unanswered for the
    # timeout (interval + timeout + a sweep slot: ~1.6 s; the bound leaves room for a
    # busy machine).
    pings, (code, after) = await asyncio.gather(answering.answer_pings(4.0), closed())
    assert pings >= 4
    assert code == 1011 and after < 5
    assert metric(server, "playground_clients") == 1
    answering.close()
    silent.close()


@FAST_PINGS
async def test_a_client_that_keeps_talking_is_not_pinged_until_it_falls_silent(
    server: ServerProcess,
) -> None:
    (talker,) = await _synced_clients(server, 1)

    async def talk(seconds: float) -> None:
        # A presence query every 0.1 s: a message, answered by nothing here.
        for _ in range(int(seconds / 0.1)):
            talker.send(bytes([MSG_QUERY_AWARENESS]), compress=False)
            await asyncio.sleep(0.1)

    # ~6 pings in 3 s for a client that sends nothing (the test above); one may still
    # come if this process stalls for longer than an interval.
    pings, _ = await asyncio.gather(talker.answer_pings(3.0), talk(3.0))
    assert pings <= 1
    # Silent, and answering nothing: pinged at its next turn, then closed.
    loop = asyncio.get_running_loop()
    started = loop.time()
    assert await talker.close_code(timeout=10) == 1011
    assert loop.time() - started < 6
    talker.close()


@pytest.mark.parametrize(
    ("name", "value"), [("WS_PING_INTERVAL_S", "-1"), ("WS_PING_TIMEOUT_S", "0")]
)
def test_ping_settings_that_would_drop_everyone_or_nobody_are_refused(
    name: str, value: str
) -> None:
    with pytest.raises(SystemExit, match=name.lower()):
        Settings.from_sources(env={f"PLAYGROUND_{name}": value})
