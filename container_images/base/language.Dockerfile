# One language layer on the shared base, for hosts that reach a registry (the base
# then comes from `Dockerfile` here, FROM debian:bookworm-slim). Without a registry,
# `playground images build` installs the same packages offline instead
# (`offline.Dockerfile`). The build context holds the language's `packages` and
# `files/` (a copy of the language folder's `files/`, possibly empty).
ARG BASE=playground/base:bookworm
FROM ${BASE}
COPY packages /tmp/packages
RUN set -e; apt-get update; \
    grep -v '^#' /tmp/packages | xargs -r apt-get install -y --no-install-recommends; \
    rm -rf /var/lib/apt/lists/* /tmp/packages
COPY files/ /opt/playground/
# A language may finish its layer with `files/setup.sh` (as root).
RUN if [ -f /opt/playground/setup.sh ]; then sh /opt/playground/setup.sh; fi
USER 10001:10001
WORKDIR /sandbox
