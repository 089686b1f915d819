"""The image builder's bookkeeping on the real Docker engine: a rebuild leaves no
untagged image behind, and never removes one that a container still uses."""

from __future__ import annotations

import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from runners.images import SUITE, Builder

pytestmark = [pytest.mark.docker]


def _exists(docker: str, image: str) -> bool:
    proc = subprocess.run([docker, "image", "inspect", image], capture_output=True, check=False)
    return proc.returncode == 0


@pytest.fixture
def builder() -> Builder:
    return Builder("playground", "offline")


@pytest.fixture
def tag(builder: Builder) -> Iterator[str]:
    name = f"playground-test/replaced-{uuid.uuid4().hex[:8]}:latest"
    yield name
    subprocess.run([builder.docker, "rmi", "-f", name], capture_output=True, check=False)


def _build(builder: Builder, tmp_path: Path, tag: str, generation: int) -> str:
    """An image one label away from the base image (no layer of its own to build)."""
    context = tmp_path / f"gen{generation}"
    context.mkdir()
    (context / "Dockerfile").write_text(f"FROM playground/base:{SUITE}\n")
    return builder._docker_build(
        context,
        context / "Dockerfile",
        tag,
        labels={"playground.test.generation": str(generation)},
        network=False,
    )


def test_a_rebuilt_image_replaces_the_previous_one(
    builder: Builder, tag: str, tmp_path: Path
) -> None:
    first = _build(builder, tmp_path, tag, 1)
    second = _build(builder, tmp_path, tag, 2)
    assert first != second
    assert _exists(builder.docker, first)  # untagged now, but still there

    builder.drop_replaced(first, tag)

    assert not _exists(builder.docker, first)
    assert _exists(builder.docker, tag)
    assert builder.image_id(tag) == second


def test_an_image_in_use_or_still_current_stays(builder: Builder, tag: str, tmp_path: Path) -> None:
    first = _build(builder, tmp_path, tag, 1)
    container = subprocess.run(
        [builder.docker, "create", "--network", "none", first, "true"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    try:
        _build(builder, tmp_path, tag, 2)
        builder.drop_replaced(first, tag)
        assert _exists(builder.docker, first), "removed an image a container uses"
    finally:
        subprocess.run([builder.docker, "rm", "-f", container], capture_output=True, check=False)
    builder.drop_replaced(first, tag)
    assert not _exists(builder.docker, first)

    # Nothing was rebuilt: the image the tag names is not "replaced".
    current = builder.image_id(tag)
    builder.drop_replaced(current, tag)
    assert _exists(builder.docker, tag)
