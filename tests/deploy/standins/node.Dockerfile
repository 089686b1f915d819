# Stands in for node:20-bookworm-slim where no registry answers: the host's Node 20
# and npm (bookworm's own nodejs is 18, too old for Vite 7) on the project's base
# image, which already has the libstdc++ and libgcc node links against.
ARG BASE
FROM ${BASE}
COPY node /usr/local/bin/node
COPY npm /usr/local/lib/node_modules/npm
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && node --version && npm --version
CMD ["node"]
