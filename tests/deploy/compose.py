"""docker-compose.yml as `docker run` flags, so the deployment test runs the container
the way the compose file says and the two cannot drift apart.

PyYAML is not a dependency of the project, and the compose file is a few plain block
mappings and lists: `parse_yaml` reads exactly that subset and refuses anything else
(flow style, anchors, multi-line scalars), so a richer compose file fails loudly here
instead of being misread. `run_flags` translates every key of the service; a key it
does not know fails the test until it is taught what that key means for `docker run`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

SERVICE = "playground"
# The image's own port (Dockerfile: ENV PLAYGROUND_PORT=8000, EXPOSE 8000).
IMAGE_PORT = "8000"


class ComposeError(AssertionError):
    """docker-compose.yml holds something this reader does not understand."""


@dataclass(frozen=True)
class Line:
    number: int
    indent: int
    text: str


def _strip_comment(raw: str) -> str:
    quote = ""
    for i, char in enumerate(raw):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or raw[i - 1] in " \t"):
            return raw[:i]
    return raw


def _lines(text: str) -> list[Line]:
    lines = []
    for number, raw in enumerate(text.splitlines(), 1):
        if "\t" in raw[: len(raw) - len(raw.lstrip())]:
            raise ComposeError(f"line {number}: tab in indentation")
        stripped = _strip_comment(raw).rstrip()
        if stripped.strip():
            lines.append(Line(number, len(stripped) - len(stripped.lstrip()), stripped.strip()))
    return lines


def _scalar(text: str, number: int) -> str:
    if text[:1] in ("'", '"'):
        if len(text) < 2 or text[-1] != text[0]:
            raise ComposeError(f"line {number}: unterminated quote in {text!r}")
        return text[1:-1]
    if text[:1] in "{[&*!|>" or text.startswith("<<"):
        raise ComposeError(f"line {number}: unsupported YAML {text!r}")
    return text


def _block(lines: list[Line], i: int, indent: int) -> tuple[Any, int]:
    """The block starting at `lines[i]` (indented by `indent`); returns it and the
    index of the first line after it."""
    if lines[i].text == "-" or lines[i].text.startswith("- "):
        items: list[Any] = []
        while i < len(lines) and lines[i].indent == indent and lines[i].text.startswith("-"):
            item = lines[i].text[1:].strip()
            if not item or re.match(r"[^'\"\s][^\s]*:( |$)", item):
                raise ComposeError(f"line {lines[i].number}: only plain list items are supported")
            items.append(_scalar(item, lines[i].number))
            i += 1
        return items, i
    mapping: dict[str, Any] = {}
    while i < len(lines) and lines[i].indent == indent:
        line = lines[i]
        key, sep, rest = line.text.partition(":")
        if not sep or (rest and not rest.startswith(" ")) or key.startswith("-"):
            raise ComposeError(f"line {line.number}: expected `key: value`, got {line.text!r}")
        key = _scalar(key.strip(), line.number)
        if key in mapping:
            raise ComposeError(f"line {line.number}: duplicate key {key!r}")
        rest = rest.strip()
        i += 1
        if rest:
            mapping[key] = _scalar(rest, line.number)
        elif i < len(lines) and lines[i].indent > indent:
            mapping[key], i = _block(lines, i, lines[i].indent)
        elif i < len(lines) and lines[i].indent == indent and lines[i].text.startswith("- "):
            mapping[key], i = _block(lines, i, indent)
        else:
            mapping[key] = None
    if i < len(lines) and lines[i].indent > indent:
        raise ComposeError(f"line {lines[i].number}: unexpected indentation")
    return mapping, i


def parse_yaml(text: str) -> dict[str, Any]:
    """The block-style YAML subset compose files are written in (strings only)."""
    lines = _lines(text)
    if not lines:
        return {}
    document, end = _block(lines, 0, lines[0].indent)
    if end != len(lines) or not isinstance(document, dict):
        raise ComposeError(f"line {lines[min(end, len(lines) - 1)].number}: unexpected content")
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
