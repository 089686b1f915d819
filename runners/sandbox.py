"""One locked-down container running one program, once.

A `Sandbox` is created, attached and started ahead of time (the warm pool keeps
them): its shell waits on stdin for a header line and a tar holding the source and a
run script, unpacks them into the tmpfs work dir and execs the script; the rest of
stdin is the program's. The container is used for exactly one run and then removed.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import platform
import re
import shlex
import socket
import tarfile
import time
import uuid
from dataclasses import dataclass
from typing import Any

from runners.docker_api import AttachStream, DockerAPI
from runners.errors import RuntimeUnavailable, SandboxError
from runners.languages import Language
from runners.output import OutputCollector
from runners.run_control import RunControl

RUN_UID = 10001
MANAGED_LABEL = "playground.managed"
INSTANCE_LABEL = "playground.instance"
PID_LABEL = "playground.pid"
HOST_LABEL = "playground.host"


def process_host() -> str:
    """Where our process ids mean something: the host name plus the PID namespace.

    A server in a container (host networking gives it the host's name) must not take
    the host's server processes for dead ones, nor the other way round."""
    try:
        namespace = os.stat("/proc/self/ns/pid").st_ino
    except OSError:
        return socket.gethostname()
    return f"{socket.gethostname()}/pidns:{namespace}"


LANGUAGE_LABEL = "playground.language"

# Reads a header line (the tar's size), unpacks exactly that many bytes into the
# work dir and execs the run script. `read` in sh consumes stdin byte by byte and
# dd reads exactly the tar, so nothing of the program's own stdin is swallowed.
BOOTSTRAP = (
    "IFS= read -r n || exit 125; "
    'dd bs="$n" count=1 iflag=fullblock status=none | tar -x -C /sandbox -f - || exit 125; '
    "cd /sandbox && exec /bin/sh ./.run"
)


# A language's warm compiler starts with the container, in the background (stdin
# /dev/null, stdout to stderr), and loads what it can before the program comes. It
# then opens the FIFO WARM_GO to read, which blocks until the run's compile step
# writes to it (the source is in place by then); compiles, with its diagnostics on
# stderr; writes the compiler's exit code to the FIFO WARM_DONE and exits without
# closing it, so that the compile step, reading to the end, returns only once the
# compiler's memory is given back. Without a live warm compiler the step compiles
# as usual.
WARM_GO, WARM_DONE, WARM_PID = "/tmp/.warm-go", "/tmp/.warm-done", "/tmp/.warm-pid"


def bootstrap(lang: Language) -> str:
    """The container's shell command: the language's warm compiler in the background,
    if it has one, then BOOTSTRAP."""
    if lang.warm is None:
        return BOOTSTRAP
    return (
        f"mkfifo {WARM_GO} {WARM_DONE} && "
        f"{{ {shlex.join(lang.warm)} </dev/null >&2 & echo $! >{WARM_PID}; }}; {BOOTSTRAP}"
    )


def compile_step(lang: Language) -> str | None:
    """The run script's compile step: through the warm compiler while it lives."""
    if lang.compile is None:
        return None
    # The compiler never reads the program's stdin, and all it says is diagnostics.
    cold = f"{shlex.join(lang.compile)} </dev/null >&2 || exit $?"
    if lang.warm is None:
        return cold
    return (
        f'if [ -p {WARM_GO} ] && kill -0 "$(cat {WARM_PID} 2>/dev/null)" 2>/dev/null; then\n'
        f"  echo go >{WARM_GO}\n"
        f"  code=$(cat {WARM_DONE})\n"
        '  [ "$code" = 0 ] || exit "${code:-1}"\n'
        f"else\n  {cold}\nfi"
    )


# Grace after the program exits or is killed to drain trailing output.
DRAIN_S = 1.0


# The least memory a run may be given: under it even a shell barely starts (and Docker
# refuses under 6 MiB). A lower request takes the server's limit instead.
MIN_MEMORY_MB = 16


@dataclass(frozen=True)
class Limits:
    """The resource limits of one run."""

    time_limit_s: float = 10.0
    memory_mb: int = 256
    pids: int = 128
    output_bytes: int = 1024 * 1024
    cpus: float = 1.0
    tmpfs_mb: int = 64
    nofile: int = 256
    fsize_mb: int = 64


@dataclass(frozen=True)
class Usage:
    """What a program used, as its run script measured it (None: not measurable)."""

    cpu_ms: int | None
    memory_kb: int | None


@dataclass(frozen=True)
class Outcome:
    """What happened to the program."""

    exit_code: int | None
    timed_out: bool
    stopped: bool
    oom_killed: bool
    output_truncated: bool
    duration_ms: int
    # Whether the compile step succeeded (None: the language has none).
    compiled: bool | None = None
    # What the program used (None: it never ran, or was killed before it ended).
    usage: Usage | None = None


def instance_labels(instance: str) -> dict[str, str]:
    """Labels marking a container as this process's (see `runners.reaper`)."""
    return {
        MANAGED_LABEL: "1",
        INSTANCE_LABEL: instance,
        PID_LABEL: str(os.getpid()),
        HOST_LABEL: process_host(),
    }


def container_config(
    lang: Language, image: str, limits: Limits, labels: dict[str, str], *, warm: bool = False
) -> dict[str, Any]:
    """The Engine API create body: every isolation setting, no opt-out. `warm`: start
    the language's warm compiler (a container for the pool, which has time for it)."""
    memory = limits.memory_mb * 1024 * 1024
    tmpfs_opts = (
        f"rw,exec,nosuid,nodev,size={limits.tmpfs_mb}m,nr_inodes=4096,"
        f"uid={RUN_UID},gid={RUN_UID},mode=0700"
    )
    fsize = limits.fsize_mb * 1024 * 1024
    return {
        "Image": image,
        "Cmd": ["/bin/sh", "-c", bootstrap(lang) if warm else BOOTSTRAP],
        "Entrypoint": [],
        "User": f"{RUN_UID}:{RUN_UID}",
        "WorkingDir": "/sandbox",
        "Env": [f"{k}={v}" for k, v in lang.environment(limits.memory_mb).items()]
        + ["PATH=/usr/local/bin:/usr/bin:/bin"],
        "Labels": {**labels, LANGUAGE_LABEL: lang.id},
        "AttachStdin": True,
        "AttachStdout": True,
        "AttachStderr": True,
        "OpenStdin": True,
        # stdin closes when our attach half-closes: the program sees EOF.
        "StdinOnce": True,
        "Tty": False,
        "NetworkDisabled": True,
        "HostConfig": {
            "NetworkMode": "none",
            "ReadonlyRootfs": True,
            "Tmpfs": {"/sandbox": tmpfs_opts, "/tmp": tmpfs_opts},
            "CapDrop": ["ALL"],
            "SecurityOpt": ["no-new-privileges"],
            "PidsLimit": limits.pids,
            "Memory": memory,
            "MemorySwap": memory,
            "MemorySwappiness": 0,
            "OomKillDisable": False,
            "NanoCpus": int(limits.cpus * 1e9),
            "Ulimits": [
                {"Name": "nofile", "Soft": limits.nofile, "Hard": limits.nofile},
                {"Name": "fsize", "Soft": fsize, "Hard": fsize},
                {"Name": "core", "Soft": 0, "Hard": 0},
            ],
            "Init": True,
            "LogConfig": {"Type": "none", "Config": {}},
            "IpcMode": "private",
            "Privileged": False,
            "AutoRemove": False,
            "RestartPolicy": {"Name": "no"},
        },
    }


# Written by the run script once the compile step has succeeded, just before the program
# starts. Compilers' stdout is sent to stderr, so on stdout these are the first bytes of
# the run: `_CompiledMark` takes them off, and a run that never wrote them never got
# past its compile step.
COMPILED_MARK = b"\x1eplayground:compiled\x1e\n"
_COMPILED_PRINTF = "printf '\\036playground:compiled\\036\\n'"


class _CompiledMark:
    """Takes `COMPILED_MARK` off the head of stdout and notes whether it came."""

    def __init__(self, expected: bool) -> None:
        self._looking = expected
        self._head = b""
        self.seen = False

    def stdout(self, data: bytes) -> bytes:
        """What of `data` is the program's: all of it once the head has been judged."""
        if not self._looking:
            return data
        self._head += data
        if len(self._head) < len(COMPILED_MARK) and COMPILED_MARK.startswith(self._head):
            return b""
        self._looking = False
        head, self._head = self._head, b""
        if head.startswith(COMPILED_MARK):
            self.seen = True
            return head[len(COMPILED_MARK) :]
        return head

    def rest(self) -> bytes:
        """Bytes held back when stdout ended part way into what looked like the mark."""
        self._looking = False
        head, self._head = self._head, b""
        return head


# What the program used. The run step execs Perl (perl-base is part of every Debian
# system) with `_SUPERVISOR`, which runs the program as its child, waits for it, kills
# whatever it left running, and only then writes the trailer: the last bytes on
# stdout, so anything like it the program printed comes before and stays output
# (`_UsageTrailer` takes off only what ends the stream). The trailer holds the peak
# resident memory of the program or the largest process it waited for, in KiB (wait4's
# ru_maxrss), and its CPU time in microseconds: the container's cgroup counter (v1 or
# v2) over the run step, or the program's user + system time where the cgroup cannot
# be read; `-` for what could not be measured.
USAGE_HEAD = b"\x1eplayground:usage "
_USAGE = re.compile(rb"\x1eplayground:usage (?P<rss>\d{1,15}|-) (?P<cpu>\d{1,18}|-)\x1e\n")
# Every proper prefix of a trailer matches this or is a prefix of USAGE_HEAD.
_USAGE_PREFIX = re.compile(rb"\x1eplayground:usage (\d{0,15}|-)( (\d{0,18}|-)(\x1e\n?)?)?")

# wait4(2)'s number, for the architectures images are built on here (a container's
# architecture is its host's); elsewhere no memory is reported. Not getrusage: the
# supervisor is exec'd by the shell that ran the compiler, so its children's figures
# would include the compiler's.
_WAIT4 = {"x86_64": 61, "aarch64": 260}.get(platform.machine())
SUPERVISOR = ".supervise.pl"
_SUPERVISOR = r"""
use strict;
my $wait4 = WAIT4_NR;
sub cgroup_cpu_us {
    if (open my $f, '<', '/sys/fs/cgroup/cpuacct/cpuacct.usage') {
        my $ns = <$f>;
        return int($1 / 1000) if defined $ns && $ns =~ /^(\d+)$/;
    }
    if (open my $f, '<', '/sys/fs/cgroup/cpu.stat') {
        while (<$f>) { return $1 if /^usage_usec (\d+)$/ }
    }
    return '-';
}
my $before = cgroup_cpu_us();
my $pid = fork;
if (!defined $pid) { print STDERR "cannot start the program: $!\n"; exit 126 }
if ($pid == 0) {
    exec { $ARGV[0] } @ARGV;
    print STDERR "$ARGV[0]: $!\n";
    exit 127;
}
my ($status, $rss, $cpu) = (0, '-', '-');
my ($raw, $usage) = ("\0" x 4, "\0" x 144);
if ($wait4 && syscall($wait4, $pid, $raw, 0, $usage) == $pid) {
    $status = unpack 'i', $raw;
    my ($us, $uus, $ss, $sus, $maxrss) = unpack 'q5', $usage;
    ($rss, $cpu) = ($maxrss, ($us + $ss) * 1000000 + $uus + $sus);
} else {
    waitpid($pid, 0);
    $status = $?;
}
kill 'KILL', -1;
my $after = cgroup_cpu_us();
$cpu = $after - $before if $before ne '-' && $after ne '-';
$| = 1;
print "\x1eplayground:usage $rss $cpu\x1e\n";
exit($status & 127 ? 128 + ($status & 127) : $status >> 8);
""".replace("WAIT4_NR", str(_WAIT4 or 0))


def _measured_run(command: tuple[str, ...]) -> str:
    """The run step: `command` under the supervisor where the image has Perl."""
    run = shlex.join(command)
    return f"command -v perl >/dev/null || exec {run}\nexec perl ./{SUPERVISOR} {run}"


class _UsageTrailer:
    """Takes the usage trailer off the end of stdout and reads it.

    Holds back at most a trailer's length while stdout ends in what could be the
    start of one; anything that turns out not to end the stream is the program's."""

    def __init__(self) -> None:
        self._held = b""
        self.usage: Usage | None = None

    def stdout(self, data: bytes) -> bytes:
        """What of `data` is surely the program's by now."""
        buf = self._held + data
        start = _trailer_start(buf)
        self._held = buf[start:]
        return buf[:start]

    def end(self) -> bytes:
        """Stdout has ended: read the trailer if it is what ended it, else give it back."""
        held, self._held = self._held, b""
        match = _USAGE.fullmatch(held)
        if match is None:
            return held
        rss, cpu = match["rss"], match["cpu"]
        self.usage = Usage(
            cpu_ms=None if cpu == b"-" else round(int(cpu) / 1000),
            memory_kb=None if rss == b"-" else int(rss),
        )
        return b""


def _trailer_start(buf: bytes) -> int:
    """Where in `buf` a possible trailer starts (len(buf): nowhere). A trailer holds two
    record separators, so it starts at one of the last two."""
    last = buf.rfind(b"\x1e")
    if last < 0:
        return len(buf)
    before = buf.rfind(b"\x1e", 0, last)
    for start in (before, last):
        if start >= 0 and _USAGE_PREFIX.fullmatch(buf, start) is not None:
            return start
        if start >= 0 and USAGE_HEAD.startswith(buf[start:]):
            return start
    return len(buf)


def payload(lang: Language, code: str) -> bytes:
    """The stdin prefix of a run: header line, then a tar of the source and run script."""
    steps = [step for step in (compile_step(lang),) if step is not None]
    if steps:
        steps.append(_COMPILED_PRINTF)
    steps.append(_measured_run(lang.run))
    script = "\n".join(steps) + "\n"
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        files = ((lang.source, code), (".run", script), (SUPERVISOR, _SUPERVISOR))
        for name, text in files:
            data = text.encode()
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o600
            info.uid = info.gid = RUN_UID
            info.mtime = int(time.time())
            tar.addfile(info, io.BytesIO(data))
    body = buf.getvalue()
    return f"{len(body)}\n".encode() + body


class Sandbox:
    """A started container waiting for its program. Use `prepare` to make one."""

    def __init__(
        self,
        api: DockerAPI,
        container_id: str,
        lang: Language,
        stream: AttachStream,
        limits: Limits,
        tracked: set[str],
    ) -> None:
        self.api = api
        self._tracked = tracked
        self.id = container_id
        self.lang = lang
        self.limits = limits
        self._stream = stream
        self._used = False
        self._removed = False
        self.prepared_at = time.monotonic()

    @classmethod
    async def prepare(
        cls,
        api: DockerAPI,
        lang: Language,
        image: str,
        limits: Limits,
        labels: dict[str, str],
        tracked: set[str],
        *,
        warm: bool = False,
    ) -> Sandbox:
        """Create, attach (established), then start a container for `lang` (`warm`: with
        its warm compiler, for the pool).

        Its id is in `tracked` from creation until removal (the reaper spares those).
        """
        name = f"playground-{lang.id}-{uuid.uuid4().hex[:12]}"
        config = container_config(lang, image, limits, labels, warm=warm)
        container_id = await api.create(config, name)
        tracked.add(container_id)
        try:
            stream = await api.attach(container_id)
            try:
                await api.start(container_id)
            except BaseException:
                await stream.close()
                raise
        except BaseException:
            with contextlib.suppress(RuntimeUnavailable, SandboxError):
                await asyncio.shield(api.remove(container_id))
            tracked.discard(container_id)
            raise
        return cls(api, container_id, lang, stream, limits, tracked)

    def usable(self) -> bool:
        """Not used yet and its container still attached."""
        return not self._used and not self._removed and self._stream.alive()

    async def execute(
        self, code: str, control: RunControl, collector: OutputCollector, time_limit_s: float
    ) -> Outcome:
        """Run `code` once: stream its output into `collector`, enforce the limits.

        The wall clock starts when the source is handed over, so it covers any
        compile step. Always kills the program before returning; `remove` frees it.
        """
        if self._used:
            raise SandboxError("a sandbox runs one program only")
        self._used = True
        started = time.monotonic()
        await self._stream.write(payload(self.lang, code))
        mark = _CompiledMark(self.lang.compile is not None)
        trailer = _UsageTrailer()
        reader = asyncio.create_task(self._read(collector, mark, trailer))
        feeder = asyncio.create_task(self._feed(control))
        stop = asyncio.create_task(control.stopped.wait())
        cap = asyncio.create_task(collector.capped.wait())
        timed_out = stopped = False
        try:
            done, _ = await asyncio.wait(
                {reader, stop, cap},
                timeout=time_limit_s,
                return_when=asyncio.FIRST_COMPLETED,
            )
            if reader not in done:
                if cap in done:
                    # Stop reading first: a blocked attach stream blocks `kill` too.
                    await self._stream.close()
                else:
                    stopped = stop in done
                    timed_out = not done
                await self._kill()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(DRAIN_S):
                        await asyncio.shield(reader)
        finally:
            for task in (reader, feeder, stop, cap):
                task.cancel()
            await asyncio.gather(reader, feeder, stop, cap, return_exceptions=True)
            collector.close()
        duration_ms = int((time.monotonic() - started) * 1000)
        exit_code, oom = await self._exit_status()
        return Outcome(
            exit_code=exit_code,
            timed_out=timed_out,
            stopped=stopped,
            oom_killed=oom,
            output_truncated=collector.truncated,
            duration_ms=duration_ms,
            compiled=mark.seen if self.lang.compile is not None else None,
            usage=trailer.usage,
        )

    async def remove(self) -> None:
        """Kill and remove the container; never raises, safe to call twice."""
        if self._removed:
            return
        self._removed = True
        await self._stream.close()
        with contextlib.suppress(RuntimeUnavailable, SandboxError):
            await self.api.remove(self.id)
        self._tracked.discard(self.id)

    async def _read(
        self, collector: OutputCollector, mark: _CompiledMark, trailer: _UsageTrailer
    ) -> None:
        while True:
            frame = await self._stream.read()
            if frame is None:
                collector.feed("stdout", trailer.stdout(mark.rest()) + trailer.end())
                return
            fd, data = frame
            if fd == 2:
                collector.feed("stderr", data)
            else:
                collector.feed("stdout", trailer.stdout(mark.stdout(data)))

    async def _feed(self, control: RunControl) -> None:
        while True:
            data = await control.next_stdin()
            if data is None:
                self._stream.close_stdin()
                return
            await self._stream.write(data)

    async def _kill(self) -> None:
        try:
            await self.api.kill(self.id)
        except RuntimeUnavailable:
            # A kill that hangs means the engine is blocked writing to us: unblock it.
            await self._stream.close()
            with contextlib.suppress(RuntimeUnavailable, SandboxError):
                await self.api.kill(self.id)

    async def _exit_status(self) -> tuple[int | None, bool]:
        try:
            await self.api.wait(self.id, limit_s=5.0)
            info = await self.api.inspect(self.id)
        except (RuntimeUnavailable, SandboxError):
            return None, False
        state = info.get("State") or {}
        code = state.get("ExitCode")
        return (int(code) if code is not None else None), bool(state.get("OOMKilled"))
