"""The images of the deployment test, all built with no registry and no network.

The server image is built from the real `Dockerfile` with `docker build --network
none`. Its base images cannot be pulled here, so local stand-ins take their place
(`NODE_IMAGE`, `PYTHON_IMAGE`), and its package installs read the Dockerfile's
optional offline inputs (`NPM_CACHE_IMAGE`, `WHEELS_IMAGE`) prepared from what the
host already has: its npm cache and wheels downloaded by its pip.

Every image but the server's carries a recipe label (a hash of what it is made from)
and is rebuilt only when that changes; the server image is always rebuilt, which
BuildKit's layer cache makes take seconds when nothing changed.
"""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from runners.build_tools import docker_client, file_hash, read_text, run
from runners.images import CACHE_DIR, RECIPE_LABEL, SUITE, Builder

ROOT = Path(__file__).resolve().parent.parent.parent
HERE = Path(__file__).resolve().parent
CACHE = CACHE_DIR.parent / "deploy"
PREFIX = "playground"
BASE = f"{PREFIX}/base:{SUITE}"
PYTHON_STANDIN = f"{PREFIX}/standin-python:3.11"
NODE_STANDIN = f"{PREFIX}/standin-node:20"
WHEELS = f"{PREFIX}/offline-wheels:latest"
NPM_CACHE = f"{PREFIX}/offline-npm-cache:latest"
# Not compose's `playground/server:latest`: a deployment on this host keeps its image.
SERVER = f"{PREFIX}/server:deploy-test"
# Debian's python3 is 3.11 in bookworm; `python3 -m venv` needs python3-venv there.
PYTHON_PACKAGES = ["python3", "python3-venv"]


@functools.cache
def _builder() -> Builder:
    """The image builder's own bookkeeping: ids, recipe labels, replaced images."""
    return Builder(PREFIX, "offline")


def image_id(tag: str) -> str | None:
    return _builder().image_id(tag)


def _label(tag: str) -> str | None:
    return _builder().recipe_of(tag)


def _build(
    tag: str,
    context: Path,
    *,
    dockerfile: Path | None = None,
    dockerfile_text: str | None = None,
    build_args: dict[str, str] | None = None,
    recipe: str | None = None,
) -> str:
    """`docker build --network none` of `tag`, labelled with `recipe` if given; the
    image it replaces is removed. Returns the new image id."""
    previous = image_id(tag)
    cmd = [docker_client(), "build", "--network", "none", "--progress", "plain", "-t", tag]
    for key, value in (build_args or {}).items():
        cmd += ["--build-arg", f"{key}={value}"]
    if recipe:
        cmd += ["--label", f"{RECIPE_LABEL}={recipe}"]
    cmd += ["-f", str(dockerfile) if dockerfile else "-", str(context)]
    proc = subprocess.run(
        cmd,
        input=dockerfile_text or "",
        env={**os.environ, "DOCKER_BUILDKIT": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        # BuildKit's plain progress ends with the failing step's output and its error.
        tail = "\n".join(proc.stdout.strip().splitlines()[-40:])
        raise AssertionError(f"docker build {tag} failed (exit {proc.returncode}):\n{tail}")
    built = image_id(tag)
    assert built is not None, f"docker build {tag} left no image"
    _builder().drop_replaced(previous, tag)
    return built


def _empty_dir(path: Path) -> Path:
    if path.exists():
        shutil.rmtree(path)
    path.mkdir(parents=True)
    return path


def python_standin() -> None:
    """Debian's Python 3.11 with venv on the base image, from .debs fetched on the host."""
    dockerfile = HERE / "standins" / "python.Dockerfile"
    recipe = file_hash([str(image_id(BASE)), *PYTHON_PACKAGES, read_text(dockerfile)])
    if _label(PYTHON_STANDIN) == recipe:
        return
    context = CACHE / "standin-python"
    context.mkdir(parents=True, exist_ok=True)
    _builder().download_debs("standin-python", PYTHON_PACKAGES, context / "debs")
    _build(PYTHON_STANDIN, context, dockerfile=dockerfile, build_args={"BASE": BASE}, recipe=recipe)


def node_standin() -> None:
    """The host's Node 20 and npm on the base image."""
    dockerfile = HERE / "standins" / "node.Dockerfile"
    node = Path(shutil.which("node") or "/usr/bin/node").resolve()
    npm = node.parent.parent / "lib" / "node_modules" / "npm"
    if not (npm / "package.json").exists():
        raise AssertionError(f"npm is not where the node stand-in looks for it: {npm}")
    version = run([str(node), "--version"], "node --version", capture=True).strip()
    if not version.startswith("v20."):
        raise AssertionError(f"the node stand-in needs the host's Node 20, found {version}")
    recipe = file_hash(
        [str(image_id(BASE)), version, read_text(npm / "package.json"), read_text(dockerfile)]
    )
    if _label(NODE_STANDIN) == recipe:
        return
    context = _empty_dir(CACHE / "standin-node")
    shutil.copy2(node, context / "node")
    shutil.copytree(npm, context / "npm", symlinks=True)
    _build(NODE_STANDIN, context, dockerfile=dockerfile, build_args={"BASE": BASE}, recipe=recipe)


def wheels() -> None:
    """Wheels of the project's dependencies and build backend, fetched by the host's pip
    (from its caches and configured indexes), as an image for `WHEELS_IMAGE`."""
    pyproject = read_text(ROOT / "pyproject.toml")
    recipe = file_hash([pyproject, sys.version.split()[0]])
    if _label(WHEELS) == recipe:
        return
    dest = _empty_dir(CACHE / "wheels")
    backend = tomllib.loads(pyproject)["build-system"]["requires"]
    run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--dest",
            str(dest),
            *backend,
            str(ROOT),
        ],
        "pip download",
        env={**os.environ, "PIP_DISABLE_PIP_VERSION_CHECK": "1"},
    )
    # The project itself is built from the Dockerfile's own COPY, never from here.
    for own in dest.glob("playground-*"):
        own.unlink()
    _build(WHEELS, dest, dockerfile_text="FROM scratch\nCOPY . /\n", recipe=recipe)


def npm_cache() -> None:
    """The host's npm cache (filled by `make install`'s `npm ci` in web/) as an image
    for `NPM_CACHE_IMAGE`."""
    web = ROOT / "web"
    recipe = file_hash([read_text(web / n) for n in ("package.json", "package-lock.json")])
    if _label(NPM_CACHE) == recipe:
        return
    cache = Path(run(["npm", "config", "get", "cache"], "npm config", capture=True).strip())
    if not (cache / "_cacache").is_dir():
        raise AssertionError(f"no npm cache at {cache}: run `make install` first")
    _build(
        NPM_CACHE,
        cache / "_cacache",
        dockerfile_text="FROM scratch\nCOPY . /_cacache/\n",
        recipe=recipe,
    )


def server() -> str:
    """The server image from the real Dockerfile, offline. Returns its tag."""
    if image_id(BASE) is None:
        raise AssertionError(f"{BASE} is missing: run `make images`")
    python_standin()
    node_standin()
    wheels()
    npm_cache()
    _build(
        SERVER,
        ROOT,
        dockerfile=ROOT / "Dockerfile",
        build_args={
            "NODE_IMAGE": NODE_STANDIN,
            "PYTHON_IMAGE": PYTHON_STANDIN,
            "NPM_CACHE_IMAGE": NPM_CACHE,
            "WHEELS_IMAGE": WHEELS,
            "npm_config_offline": "true",
            "PIP_NO_INDEX": "1",
        },
    )
    return SERVER
