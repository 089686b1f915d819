# The playground server in a container. It starts run containers through the host's
# Docker daemon (mount /var/run/docker.sock); build the language images on that host
# first (`make images`, or `playground images build` with a registry).
ARG NODE_IMAGE=node:20-bookworm-slim
ARG PYTHON_IMAGE=python:3.11-slim-bookworm

FROM ${NODE_IMAGE} AS web
WORKDIR /src/web
COPY web/package.json web/package-lock.json web/.npmrc ./
RUN npm ci --no-audit --no-fund
COPY web/ ./
RUN npm run build

FROM ${PYTHON_IMAGE}
WORKDIR /app
COPY pyproject.toml README.md ./
COPY playground playground
COPY crdt_store crdt_store
COPY runners runners
RUN python3 -m venv /opt/playground \
 && /opt/playground/bin/pip install --no-cache-dir . \
 && rm -rf playground crdt_store runners
COPY --from=web /src/web/dist /app/web/dist
ENV PATH=/opt/playground/bin:$PATH \
    PLAYGROUND_HOST=0.0.0.0 \
    PLAYGROUND_PORT=8000 \
    PLAYGROUND_DB=/data/playground.db \
    PLAYGROUND_WEB_DIST=/app/web/dist
VOLUME /data
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python3 -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz')"
CMD ["playground", "serve"]
