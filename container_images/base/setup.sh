#!/bin/sh
# Turns a Debian bookworm root filesystem into the shared base of every language
# image. Runs as root inside it: in a chroot (registry-free build) or in a
# Dockerfile RUN step (registry build). Idempotent.
set -eu

# The unprivileged user every run executes as; its home is the run's work dir.
if ! getent passwd runner >/dev/null; then
  groupadd --gid 10001 runner
  useradd --uid 10001 --gid 10001 --no-create-home --home-dir /sandbox \
    --shell /bin/sh runner
fi
mkdir -p /sandbox
chown 10001:10001 /sandbox

# Packages installed later must not bring docs, man pages or translations.
cat >/etc/dpkg/dpkg.cfg.d/01-playground-slim <<'CFG'
path-exclude=/usr/share/doc/*
path-include=/usr/share/doc/*/copyright
path-exclude=/usr/share/man/*
path-exclude=/usr/share/info/*
path-exclude=/usr/share/locale/*
path-include=/usr/share/locale/locale.alias
path-exclude=/usr/share/lintian/*
CFG
rm -rf /usr/share/man/* /usr/share/info/* /usr/share/lintian/*
# Some postinst scripts (openjdk's) register man pages as alternatives and fail
# when the directory of the link is missing.
mkdir -p /usr/share/man/man1
find /usr/share/doc -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
find /usr/share/locale -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + \
  2>/dev/null || true

# Nothing in a run needs privileges: no setuid/setgid programs at all.
find / -xdev -type f -perm /6000 -exec chmod ug-s {} + 2>/dev/null || true
