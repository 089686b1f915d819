# Every target sets up what it needs, idempotently: a second run with nothing
# changed takes seconds.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: install run test check images docker chromium node-deps web clean

install: $(STAMP) node-deps web

$(STAMP): pyproject.toml
	scripts/setup-python.sh
	@touch $(STAMP)

# npm packages the tests drive (stock yjs + y-websocket clients, the reference server).
node-deps:
	scripts/setup-node.sh

web: node-deps
	scripts/build-web.sh

docker:
	scripts/ensure-docker.sh

images: install docker
	$(VENV)/bin/playground images build

chromium:
	scripts/ensure-chromium.sh

run: install images
	$(VENV)/bin/playground serve

# The web client's unit tests first, so pytest's summary is the closing line.
test: install images chromium
	cd web && npm test --silent
	$(VENV)/bin/pytest

check: $(STAMP)
	$(VENV)/bin/ruff format --check playground crdt_store runners tests bench
	$(VENV)/bin/ruff check playground crdt_store runners tests bench
	$(VENV)/bin/mypy
	cd web && npm run --silent lint && npm run --silent typecheck

clean:
	rm -rf $(VENV) web/dist web/node_modules tests/node/node_modules
