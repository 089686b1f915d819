# One language layer on the shared base, built with `docker build --network none`:
# its Debian packages were downloaded on the host beforehand and are bind-mounted,
# so no registry and no network is needed. The build context holds `debs/` and
# `files/` (a copy of the language folder's `files/`, possibly empty).
ARG BASE
FROM ${BASE}
# `set -e`: a failed install must fail the build, not leave a labelled image.
RUN --mount=type=bind,source=debs,target=/tmp/debs \
    set -e; set -- /tmp/debs/*.deb; \
    if [ -e "$1" ]; then apt-get install -y --no-install-recommends "$@"; fi; \
    rm -rf /var/cache/apt/* /var/log/apt /var/log/dpkg.log
COPY files/ /opt/playground/
# A language may finish its layer with `files/setup.sh` (as root, still offline).
RUN if [ -f /opt/playground/setup.sh ]; then sh /opt/playground/setup.sh; fi
USER 10001:10001
WORKDIR /sandbox
