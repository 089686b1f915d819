# The playground server in a container. It starts run containers through the host's
# Docker daemon (mount /var/run/docker.sock); build the language images on that host
# first (`make images`, or `playground images build` with a registry). Needs BuildKit
# (the default builder since Docker 23; DOCKER_BUILDKIT=1 before).
ARG NODE_IMAGE=node:20-bookworm-slim
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
# Optional inputs for a build without a registry (README, Deploying): an image whose
# root holds an npm cache (`_cacache/`), and one whose root holds wheels for every
# Python dependency and the build backend. Both default to empty, and then the build
# fetches from the registries as usual.
ARG NPM_CACHE_IMAGE=scratch
ARG WHEELS_IMAGE=scratch

FROM ${NPM_CACHE_IMAGE} AS npm-cache
FROM ${WHEELS_IMAGE} AS wheels

FROM ${NODE_IMAGE} AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json web/.npmrc ./
# `--build-arg npm_config_offline=true`: install from the npm cache image alone.
ARG npm_config_offline
# The cache is a throwaway mount (writes vanish): nothing of it lands in a layer.
RUN --mount=type=bind,from=npm-cache,target=/tmp/npm-cache,rw \
    npm ci --no-audit --no-fund --cache /tmp/npm-cache
COPY web/ ./
RUN npm run build

FROM ${PYTHON_IMAGE}
WORKDIR /app
COPY pyproject.toml README.md ./
COPY playground playground
COPY crdt_store crdt_store
COPY runners runners
# `--build-arg PIP_NO_INDEX=1`: install from the wheels image alone.
ARG PIP_NO_INDEX
RUN --mount=type=bind,from=wheels,target=/tmp/wheels \
    python3 -m venv /opt/playground \
 && /opt/playground/bin/pip install --no-cache-dir --find-links /tmp/wheels . \
 && rm -rf playground crdt_store runners build playground.egg-info
COPY --from=web /src/web/dist /app/web/dist
ENV PATH=/opt/playground/bin:$PATH \
    PLAYGROUND_HOST=0.0.0.0 \
    PLAYGROUND_PORT=8000 \
    PLAYGROUND_DB=/data/playground.db \
    PLAYGROUND_WEB_DIST=/app/web/dist
VOLUME /data
EXPOSE 8000
# The port the server listens on, also when PLAYGROUND_PORT is set at run time.
HEALTHCHECK --interval=30s --timeout=5s CMD python3 -c "import sys, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{sys.argv[1]}/healthz')" "$PLAYGROUND_PORT"
CMD ["playground", "serve"]
