"""The Debian mirror this host's apt already uses, read at build time.

The image build never hard-codes a mirror: it reuses the host's apt sources
(deb822 `.sources` files and one-line `.list` files).
"""

from __future__ import annotations

from pathlib import Path

from runners.build_tools import BuildError

APT_DIR = Path("/etc/apt")


def debian_mirrors(suite: str, apt_dir: Path = APT_DIR) -> tuple[str, str | None]:
    """(archive URI serving `suite`, security URI serving `suite`-security or None)."""
    entries = list(_entries(apt_dir))
    main = next((uri for uri, suites in entries if suite in suites), None)
    security = next((uri for uri, suites in entries if f"{suite}-security" in suites), None)
    if main is None:
        raise BuildError(
            f"no apt source for Debian {suite} found in {apt_dir}/sources.list(.d); "
            "the registry-free image build needs one (or use --via registry)"
        )
    return main, security


def _entries(apt_dir: Path) -> list[tuple[str, set[str]]]:
    files = [apt_dir / "sources.list"]
    parts = apt_dir / "sources.list.d"
    if parts.is_dir():
        files += sorted(parts.iterdir())
    found: list[tuple[str, set[str]]] = []
    for path in files:
        if not path.is_file():
            continue
        if path.suffix == ".sources":
            found += _deb822(path.read_text())
        elif path.suffix == ".list" or path.name == "sources.list":
            found += _one_line(path.read_text())
    return found


def _deb822(text: str) -> list[tuple[str, set[str]]]:
    found: list[tuple[str, set[str]]] = []
    for stanza in text.split("\n\n"):
        fields: dict[str, str] = {}
        for line in stanza.splitlines():
            if line.startswith("#") or ":" not in line or line[:1].isspace():
                continue
            key, _, value = line.partition(":")
            fields[key.strip().lower()] = value.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        suites = set(fields.get("suites", "").split())
        found += [(uri.rstrip("/"), suites) for uri in fields.get("uris", "").split()]
    return found


def _one_line(text: str) -> list[tuple[str, set[str]]]:
    found: list[tuple[str, set[str]]] = []
    for line in text.splitlines():
        words = line.split("#", 1)[0].split()
        if len(words) < 3 or words[0] != "deb":
            continue
        if words[1].startswith("["):
            # Options: `deb [signed-by=...] URI SUITE COMPONENTS`.
            while words and not words[0].endswith("]"):
                words.pop(0)
            words = ["deb", *words[1:]]
        if len(words) >= 3:
            found.append((words[1].rstrip("/"), {words[2]}))
    return found
