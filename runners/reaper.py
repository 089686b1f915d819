"""Removes run containers nobody tracks any more.

Every container carries labels naming the server instance, its process id and host
(`runners.sandbox.instance_labels`). A container is removed when it is
- this instance's but not tracked (a leak), once older than `GRACE_S` (a container
  being created right now is not tracked yet), or
- another instance's on this host whose process is gone (a crash, a SIGKILL).
Containers of live servers, and of other hosts sharing the engine, are left alone.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from typing import Any

from runners.docker_api import DockerAPI
from runners.errors import RuntimeUnavailable, SandboxError
from runners.sandbox import HOST_LABEL, INSTANCE_LABEL, MANAGED_LABEL, PID_LABEL, process_host

log = logging.getLogger(__name__)

GRACE_S = 60.0


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _is_orphan(
    container: dict[str, Any],
    instance: str,
    tracked: set[str],
    host: str,
    now: float,
    *,
    everything_of_mine: bool,
) -> bool:
    labels = container.get("Labels") or {}
    if labels.get(INSTANCE_LABEL) == instance:
        if everything_of_mine:
            return True
        created = float(container.get("Created") or 0)
        return container["Id"] not in tracked and now - created > GRACE_S
    if labels.get(HOST_LABEL) != host:
        return False
    pid = labels.get(PID_LABEL, "")
    return pid.isdigit() and (int(pid) == os.getpid() or not _pid_alive(int(pid)))


async def reap(
    api: DockerAPI, instance: str, tracked: set[str], *, everything_of_mine: bool = False
) -> int:
    """One sweep; returns how many containers were removed.

    `everything_of_mine` also removes this instance's tracked containers (shutdown).
    """
    containers = await api.list_labelled(f"{MANAGED_LABEL}=1")
    host, now = process_host(), time.time()
    orphans = [
        c["Id"]
        for c in containers
        if _is_orphan(c, instance, tracked, host, now, everything_of_mine=everything_of_mine)
    ]
    results = await asyncio.gather(*(api.remove(cid) for cid in orphans), return_exceptions=True)
    for cid, result in zip(orphans, results, strict=True):
        if isinstance(result, BaseException):
            log.warning("reaper: could not remove %s: %s", cid[:12], result)
        else:
            tracked.discard(cid)
    if orphans:
        log.info("reaper: removed %d orphaned run containers", len(orphans))
    return len(orphans)


async def reap_forever(api: DockerAPI, instance: str, tracked: set[str], interval_s: float) -> None:
    """Sweep every `interval_s` seconds until cancelled; engine outages are waited out."""
    while True:
        try:
            await reap(api, instance, tracked)
        except (RuntimeUnavailable, SandboxError) as exc:
            log.debug("reaper: engine unavailable: %s", exc)
        await asyncio.sleep(interval_s)
