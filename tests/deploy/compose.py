"""docker-compose.yml as `docker run` flags, so the deployment test runs the container
the way the compose file says and the two cannot drift apart.

`run_flags` translates every key of the service; a key it does not know fails the test
until it is taught what that key means for `docker run`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import yaml

SERVICE = "playground"
# The image's own port (Dockerfile: ENV PLAYGROUND_PORT=8000, EXPOSE 8000).
IMAGE_PORT = "8000"


class ComposeError(AssertionError):
    """docker-compose.yml holds something this reader does not understand."""


def parse_yaml(text: str) -> dict[str, Any]:
    document = yaml.safe_load(text) or {}
    if not isinstance(document, dict):
        raise ComposeError("docker-compose.yml is not a mapping")
    return document


_VARIABLE = re.compile(r"\$\{(\w+)(?::?-([^}]*))?\}|\$(\w+)")


def interpolate(value: str, env: dict[str, str]) -> str:
    """Compose's `${NAME}`, `${NAME:-default}`, `${NAME-default}`, `$NAME` against
    `env` (the `:-` and `-` forms differ only for set-but-empty, irrelevant here)."""

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(3)
        return env.get(name) or (match.group(2) or "")

    return _VARIABLE.sub(substitute, value.replace("$$", "\0")).replace("\0", "$")


def duration_s(value: str) -> float:
    """A compose duration (`15s`, `1m30s`, `500ms`) in seconds."""
    parts = re.findall(r"(\d+(?:\.\d+)?)(ms|us|h|m|s)", value)
    if not parts or "".join(n + u for n, u in parts) != value:
        raise ComposeError(f"not a compose duration: {value!r}")
    scale = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 1e-3, "us": 1e-6}
    return sum(float(n) * scale[u] for n, u in parts)


@dataclass(frozen=True)
class RunPlan:
    """What `docker run` needs to start the service as compose would."""

    flags: list[str]
    build_context: str
    grace_s: float


def run_flags(compose_text: str, *, volume: str, port: int) -> RunPlan:
    """`docker run` flags for the playground service, with the compose file's named
    volume replaced by `volume`, its environment interpolated as in an empty shell
    (every `${VAR:-}` takes its default), and its port mapping by host networking on
    `port`: the daemon here runs without a bridge, so `-p` cannot work."""
    compose = parse_yaml(compose_text)
    services = compose.get("services") or {}
    if SERVICE not in services:
        raise ComposeError(f"docker-compose.yml has no service {SERVICE!r}")
    service: dict[str, Any] = services[SERVICE]
    named_volumes = compose.get("volumes") or {}
    known = {"build", "image", "restart", "ports", "environment", "volumes", "stop_grace_period"}
    unknown = sorted(set(service) - known)
    if unknown:
        raise ComposeError(
            f"docker-compose.yml sets {unknown} on {SERVICE!r}: teach tests/deploy/compose.py "
            "which `docker run` flag that is"
        )
    flags: list[str] = []
    if "restart" in service:
        flags += ["--restart", service["restart"]]

    environment = service.get("environment") or {}
    if isinstance(environment, list):
        environment = dict(item.partition("=")[::2] for item in environment)
    for name, value in environment.items():
        flags += ["-e", f"{name}={interpolate(value or '', {})}"]

    for spec in service.get("volumes") or []:
        source, _, target = spec.partition(":")
        if not target:
            raise ComposeError(f"volume {spec!r}: anonymous volumes are not supported here")
        if source in named_volumes:
            flags += ["-v", f"{volume}:{target}"]
        elif source.startswith("/"):
            flags += ["-v", spec]
        else:
            raise ComposeError(f"volume {spec!r}: neither a declared named volume nor a path")

    ports = service.get("ports") or []
    if len(ports) != 1:
        raise ComposeError(f"ports: {ports!r}: expected the one mapping of port {IMAGE_PORT}")
    parts = ports[0].split(":")
    host_ip, container_port = ("0.0.0.0", *parts)[-3], parts[-1]
    if len(parts) not in (2, 3) or container_port != IMAGE_PORT:
        raise ComposeError(f"port {ports[0]!r}: expected [HOST_IP:]HOST_PORT:{IMAGE_PORT}")
    # The one difference from compose: the daemon here has no bridge, so instead of
    # publishing the image's port the server listens on the host's network, on the
    # interface the mapping names and on a free port.
    flags += ["--network", "host", "-e", f"PLAYGROUND_HOST={host_ip}"]
    flags += ["-e", f"PLAYGROUND_PORT={port}"]

    grace_s = duration_s(service.get("stop_grace_period") or "10s")
    flags += ["--stop-timeout", str(round(grace_s))]
    # `image` only names what compose tags its build; the test tags its own.
    build = service.get("build")
    if not isinstance(build, str):
        raise ComposeError(f"build: {build!r}: only a context path is supported here")
    return RunPlan(flags, build, grace_s)
