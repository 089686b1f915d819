# Stands in for python:3.11-slim-bookworm where no registry answers: Debian
# bookworm's own Python 3.11 with venv, on the project's base image, installed from
# .debs downloaded on the host (`docker build --network none`).
ARG BASE
FROM ${BASE}
RUN --mount=type=bind,source=debs,target=/tmp/debs \
    set -e; apt-get install -y --no-install-recommends /tmp/debs/*.deb; \
    rm -rf /var/cache/apt/* /var/log/apt /var/log/dpkg.log
ENV LANG=C.UTF-8
CMD ["python3"]
