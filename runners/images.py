"""`playground images build [LANG ...]`: build the language images.

Two routes, chosen explicitly (`--via`, default `auto`):

- `offline` (needs root and `debootstrap`; what `auto` picks when both are present,
  because it never needs an image registry): debootstrap a slim, security-upgraded
  Debian bookworm once and import it as `PREFIX/base:bookworm`; download each
  language's `.deb` closure on the host once (cached in `.cache/images/<lang>/debs`);
  then `docker build --network none` each language on the base with the debs
  bind-mounted (`container_images/base/offline.Dockerfile`).
- `registry`: for hosts that can pull `debian:bookworm-slim`: the base from
  `container_images/base/Dockerfile`, then each language's packages installed with
  apt (`container_images/base/language.Dockerfile`).

Every image carries a `playground.recipe` label: a hash of everything it is built
from. An image whose label matches is skipped, so a second call with nothing changed
takes seconds. Builds run in parallel (`--jobs`).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from runners.apt_sources import debian_mirrors
from runners.build_tools import BuildError, docker_client, file_hash, packages_in, read_text, run
from runners.errors import RunnerError
from runners.languages import LANGUAGES, Language, get_language

ROOT = Path(__file__).resolve().parent.parent
IMAGES_DIR = ROOT / "container_images"
# Outside the checkout, so every clone on a machine shares the downloads and the base
# rootfs ("build each once and reuse it").
CACHE_DIR = Path(
    os.environ.get("PLAYGROUND_IMAGE_CACHE")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "playground" / "images"
)
RECIPE_LABEL = "playground.recipe"
VERSION_LABEL = "playground.version"
SUITE = "bookworm"
# Bump to rebuild every image when the way they are built changes.
RECIPE_VERSION = "1"


def cli(argv: list[str], image_prefix: str) -> int:
    """`playground images build [LANG ...] [--via ...] [--jobs N] [--force]`.

    `argv` may start with `build` or hold only what follows it. Returns the exit status.
    """
    if argv[:1] == ["build"]:
        argv = argv[1:]
    parser = argparse.ArgumentParser(
        prog="playground images build", description="build language images (default: all)"
    )
    parser.add_argument("languages", nargs="*", metavar="LANG")
    parser.add_argument(
        "--via",
        choices=("auto", "offline", "registry"),
        default=os.environ.get("PLAYGROUND_IMAGES_VIA", "auto"),
        help="offline: debootstrap + local .debs, no registry; registry: the Dockerfiles; "
        "auto: offline when root with debootstrap, else registry (env PLAYGROUND_IMAGES_VIA)",
    )
    parser.add_argument("--jobs", type=int, default=3, help="parallel builds (default 3)")
    parser.add_argument("--force", action="store_true", help="rebuild even if up to date")
    args = parser.parse_intermixed_args(argv)
    try:
        langs = [get_language(x) for x in args.languages] or list(LANGUAGES)
    except RunnerError as exc:
        print(f"playground images: {exc.message}", file=sys.stderr)
        return 2
    try:
        Builder(image_prefix, _choose_route(args.via), force=args.force).build(langs, args.jobs)
    except BuildError as exc:
        print(f"playground images: {exc}", file=sys.stderr)
        return 1
    return 0


def _choose_route(via: str) -> str:
    if via != "auto":
        return via
    if os.geteuid() == 0 and shutil.which("debootstrap"):
        return "offline"
    return "registry"


class Builder:
    """Builds the base image and language images along one route."""

    def __init__(self, image_prefix: str, route: str, *, force: bool = False) -> None:
        self.prefix = image_prefix
        self.route = route
        self.force = force
        self.docker = docker_client()
        self.base_tag = f"{image_prefix}/base:{SUITE}"

    def build(self, langs: list[Language], jobs: int) -> None:
        """Build the base if needed, then every language in `langs` in parallel."""
        print(f"building images via the {self.route} route", flush=True)
        base_hash = self._base_recipe()
        outdated = [
            lang
            for lang in langs
            if self.force
            or self.recipe_of(lang.image(self.prefix)) != self._language_recipe(lang, base_hash)
        ]
        # --force rebuilds the languages asked for; the shared base only when it changed,
        # or when a language must be built and the base's rootfs (whose apt resolves
        # the .deb closures) is not on this machine.
        if self.recipe_of(self.base_tag) != base_hash or (outdated and self._base_rootfs_missing()):
            self._build_base(base_hash)
        else:
            print(f"{self.base_tag}: up to date", flush=True)
        failures: list[str] = []
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            results = pool.map(lambda lang: self._build_language_safely(lang, base_hash), langs)
            failures = [msg for msg in results if msg]
        if failures:
            raise BuildError("; ".join(failures))

    # -- base ---------------------------------------------------------------

    def _base_recipe(self) -> str:
        parts = [RECIPE_VERSION, self.route, SUITE, read_text(IMAGES_DIR / "base" / "setup.sh")]
        parts.append(read_text(IMAGES_DIR / "base" / "packages"))
        if self.route == "offline":
            main, security = debian_mirrors(SUITE)
            parts += [main, security or ""]
        else:
            parts.append(read_text(IMAGES_DIR / "base" / "Dockerfile"))
        return file_hash(parts)

    def _base_rootfs_missing(self) -> bool:
        return self.route == "offline" and not (self._rootfs() / "etc" / "os-release").exists()

    def _rootfs(self) -> Path:
        return CACHE_DIR / "base" / "rootfs"

    def _build_base(self, recipe: str) -> None:
        print(f"{self.base_tag}: building", flush=True)
        previous = self.image_id(self.base_tag)
        if self.route == "registry":
            self._docker_build(
                IMAGES_DIR / "base",
                IMAGES_DIR / "base" / "Dockerfile",
                self.base_tag,
                labels={RECIPE_LABEL: recipe},
                network=True,
            )
        else:
            self._import_base(recipe)
        self.drop_replaced(previous, self.base_tag)
        print(f"{self.base_tag}: built", flush=True)

    def _import_base(self, recipe: str) -> None:
        """The offline route: debootstrap a rootfs on the host, `docker import` it."""
        main, security = debian_mirrors(SUITE)
        rootfs = self._rootfs()
        if rootfs.exists():
            shutil.rmtree(rootfs)
        rootfs.parent.mkdir(parents=True, exist_ok=True)
        run(["debootstrap", "--variant=minbase", SUITE, str(rootfs), main], "debootstrap")
        sources = [f"deb {main} {SUITE} main", f"deb {main} {SUITE}-updates main"]
        if security:
            sources.append(f"deb {security} {SUITE}-security main")
        (rootfs / "etc" / "apt" / "sources.list").write_text("\n".join(sources) + "\n")
        shutil.copyfile("/etc/resolv.conf", rootfs / "etc" / "resolv.conf")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}
        run(["chroot", str(rootfs), "apt-get", "update", "-q"], "apt-get update", env=env)
        run(["chroot", str(rootfs), "apt-get", "-y", "-q", "upgrade"], "apt-get upgrade", env=env)
        extra = packages_in(IMAGES_DIR / "base" / "packages")
        if extra:
            run(
                [
                    "chroot",
                    str(rootfs),
                    "apt-get",
                    "install",
                    "-y",
                    "-q",
                    "--no-install-recommends",
                    *extra,
                ],
                "base packages",
                env=env,
            )
        shutil.copyfile(IMAGES_DIR / "base" / "setup.sh", rootfs / "tmp" / "setup.sh")
        run(["chroot", str(rootfs), "sh", "/tmp/setup.sh"], "base setup", env=env)
        (rootfs / "tmp" / "setup.sh").unlink()
        # The rootfs keeps its apt lists (the .deb downloads need them); the image not.
        excludes = [
            "./var/lib/apt/lists/*",
            "./var/cache/apt/*",
            "./var/cache/playground/*",
            "./etc/resolv.conf",
            "./var/log/*",
        ]
        tar = subprocess.Popen(
            [
                "tar",
                "-C",
                str(rootfs),
                "--numeric-owner",
                *[f"--exclude={x}" for x in excludes],
                "-c",
                ".",
            ],
            stdout=subprocess.PIPE,
        )
        try:
            run(
                [self.docker, "import", "-c", f"LABEL {RECIPE_LABEL}={recipe}", "-", self.base_tag],
                "docker import",
                stdin=tar.stdout,
            )
        finally:
            if tar.stdout:
                tar.stdout.close()
            if tar.wait() != 0:
                raise BuildError("tar of the base rootfs failed")

    # -- languages -----------------------------------------------------------

    def _build_language_safely(self, lang: Language, base_hash: str) -> str:
        try:
            self._build_language(lang, base_hash)
        except BuildError as exc:
            print(f"{lang.image(self.prefix)}: FAILED: {exc}", file=sys.stderr, flush=True)
            return f"{lang.id}: {exc}"
        return ""

    def _dockerfile(self) -> Path:
        name = "offline.Dockerfile" if self.route == "offline" else "language.Dockerfile"
        return IMAGES_DIR / "base" / name

    def _language_recipe(self, lang: Language, base_hash: str) -> str:
        """A hash of everything the language's image is built from."""
        folder = IMAGES_DIR / lang.id
        if not (folder / "packages").exists():
            raise BuildError(f"{folder}/packages is missing")
        files = (
            sorted(p for p in (folder / "files").rglob("*") if p.is_file())
            if (folder / "files").is_dir()
            else []
        )
        parts = [base_hash, self.route, lang.version, *packages_in(folder / "packages")]
        parts += [f"{p.relative_to(folder)}:{read_text(p)}" for p in files]
        parts.append(read_text(self._dockerfile()))
        return file_hash(parts)

    def _build_language(self, lang: Language, base_hash: str) -> None:
        tag = lang.image(self.prefix)
        folder = IMAGES_DIR / lang.id
        recipe = self._language_recipe(lang, base_hash)
        packages = packages_in(folder / "packages")
        dockerfile = self._dockerfile()
        if not self.force and self.recipe_of(tag) == recipe:
            print(f"{tag}: up to date", flush=True)
            return
        print(f"{tag}: building", flush=True)
        previous = self.image_id(tag)
        # The context: the language's files/ (possibly empty) and, offline, its .debs
        # downloaded on the host; with a registry, its package list for apt.
        context = CACHE_DIR / lang.id
        context.mkdir(parents=True, exist_ok=True)
        if (context / "files").exists():
            shutil.rmtree(context / "files")
        if (folder / "files").is_dir():
            shutil.copytree(folder / "files", context / "files")
        else:
            (context / "files").mkdir()
        network = self.route != "offline"
        if network:
            shutil.copyfile(folder / "packages", context / "packages")
            # Offline builds of the same language leave their .debs here: not context.
            (context / ".dockerignore").write_text("debs\n")
        else:
            self._download_debs(lang.id, packages, context / "debs", base_hash)
        build_args = {"BASE": self.base_tag}
        unlabelled = self._docker_build(
            context, dockerfile, tag, labels={}, network=network, build_args=build_args
        )
        version = self._version(tag, lang)
        # The same build again, fully cached, now with the labels: an image carries
        # the recipe label only once it is complete and its version is known.
        labelled = self._docker_build(
            context,
            dockerfile,
            tag,
            network=network,
            build_args=build_args,
            labels={RECIPE_LABEL: recipe, VERSION_LABEL: version},
        )
        if unlabelled != labelled:
            # Only its config differs from the labelled image: do not leave it dangling.
            subprocess.run([self.docker, "rmi", unlabelled], capture_output=True, check=False)
        self.drop_replaced(previous, tag)
        print(f"{tag}: built ({version})", flush=True)

    def download_debs(self, name: str, packages: list[str], dest: Path) -> None:
        """The `.deb` closure of `packages` over the base, downloaded into `dest` on the
        host (skipped when `dest` already holds it), for another image built FROM the
        base with `docker build --network none`. Offline route only, base built."""
        if self.route != "offline" or self._base_rootfs_missing():
            raise BuildError(
                "downloading .debs needs the offline route's base rootfs: "
                "run `playground images build` as root with debootstrap installed"
            )
        self._download_debs(name, packages, dest, self._base_recipe())

    def _download_debs(self, lang_id: str, packages: list[str], dest: Path, base: str) -> None:
        stamp = dest / ".stamp"
        want = file_hash([base, *packages])
        if stamp.exists() and stamp.read_text() == want:
            return
        if dest.exists():
            shutil.rmtree(dest)
        dest.mkdir(parents=True)
        if not packages:
            stamp.write_text(want)
            return
        # Downloaded by apt inside the base rootfs, so the closure is exactly what the
        # base lacks; one archive dir per language, no lock shared between them.
        inner = Path("/var/cache/playground") / lang_id
        archive = self._rootfs() / inner.relative_to("/")
        if archive.exists():
            shutil.rmtree(archive)
        (archive / "partial").mkdir(parents=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive", "LC_ALL": "C"}
        run(
            [
                "chroot",
                str(self._rootfs()),
                "apt-get",
                "install",
                "-y",
                "-q",
                "--download-only",
                "--no-install-recommends",
                "-o",
                "Debug::NoLocking=1",
                "-o",
                f"Dir::Cache::archives={inner}",
                *packages,
            ],
            f"downloading {lang_id} packages",
            env=env,
        )
        for deb in archive.glob("*.deb"):
            shutil.move(str(deb), dest / deb.name)
        shutil.rmtree(archive)
        stamp.write_text(want)

    def _version(self, tag: str, lang: Language) -> str:
        out = run(
            [
                self.docker,
                "run",
                "--rm",
                "--pull",
                "never",
                "--network",
                "none",
                "--user",
                "10001:10001",
                "--entrypoint",
                "/bin/sh",
                tag,
                "-c",
                f"cd /tmp && {lang.version}",
            ],
            f"{lang.id} version",
            capture=True,
        )
        return out.strip().splitlines()[0] if out.strip() else "unknown"

    # -- docker -------------------------------------------------------------

    def drop_replaced(self, previous: str | None, tag: str) -> None:
        """Removes `previous`, the image `tag` named before a rebuild, so that rebuilds
        leave no untagged images behind; one still used by a container stays (rmi
        without force refuses), as does one with another tag."""
        if previous and previous != self.image_id(tag):
            subprocess.run([self.docker, "rmi", previous], capture_output=True, check=False)

    def image_id(self, tag: str) -> str | None:
        proc = subprocess.run(
            [self.docker, "image", "inspect", "--format", "{{.Id}}", tag],
            capture_output=True,
            text=True,
            check=False,
        )
        return proc.stdout.strip() or None if proc.returncode == 0 else None

    def recipe_of(self, tag: str) -> str | None:
        proc = subprocess.run(
            [
                self.docker,
                "image",
                "inspect",
                "--format",
                f'{{{{index .Config.Labels "{RECIPE_LABEL}"}}}}',
                tag,
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        return proc.stdout.strip() or None if proc.returncode == 0 else None

    def _docker_build(
        self,
        context: Path,
        dockerfile: Path,
        tag: str,
        *,
        labels: dict[str, str],
        network: bool,
        build_args: dict[str, str] | None = None,
    ) -> str:
        """Build `tag`; returns the image id."""
        iidfile = CACHE_DIR / f".iid-{tag.replace('/', '_').replace(':', '_')}"
        iidfile.parent.mkdir(parents=True, exist_ok=True)
        cmd = [
            self.docker,
            "build",
            "--quiet",
            "--iidfile",
            str(iidfile),
            "-f",
            str(dockerfile),
            "-t",
            tag,
        ]
        if not network:
            cmd += ["--network", "none"]
        for key, value in (build_args or {}).items():
            cmd += ["--build-arg", f"{key}={value}"]
        for key, value in labels.items():
            cmd += ["--label", f"{key}={value}"]
        env = {**os.environ, "DOCKER_BUILDKIT": "1"}
        run([*cmd, str(context)], f"docker build {tag}", env=env)
        image_id = iidfile.read_text().strip()
        iidfile.unlink()
        return image_id
