# Yimen — GNU make targets. Needs only Python 3.11, make and git.
#
#   make run      the demo: install, migrate, load the demo, start web server + worker on http://127.0.0.1:8000
#                 (demo mode: fictional city, published passwords, SMS code on the page, a banner on every page;
#                 DEMO_MATTERS=500 make run: a smaller demo, loaded only into an empty database)
#   make serve    a centre's own start: install, migrate, start web server + worker, configured only by the
#                 environment (YIMEN_SECRET_KEY, YIMEN_DATABASE_URL, … — see docs/operations.md); no demo
#   make test     the whole test suite on SQLite, then on PostgreSQL when reachable
#   make bench    performance figures (bench/, PostgreSQL)
#   make screenshots  save the main workbench pages to docs/screenshots/ (headless Chromium)
#   make lock     regenerate requirements.lock and requirements-dev.lock with uv
#   make messages collect new interface strings into the English catalogue (needs GNU gettext), compile it
#   make clean    caches and collected static files; `make distclean` also removes .venv and var/

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV    := .venv
PY      := $(VENV)/bin/python
YIMEN   := $(VENV)/bin/yimen
VAR_DIR := $(or $(YIMEN_VAR_DIR),var)
DEMO_MATTERS ?= 2000
# python3.11, or python3 when that is 3.11 (checked when the venv is made).
PYTHON  ?= $(shell command -v python3.11 2>/dev/null || command -v python3 2>/dev/null)

# Install stamps carry a checksum of what they were installed from: a changed lock (or pyproject)
# gives a new stamp name, and only then does pip run again.
RUNTIME_STAMP := $(VENV)/.installed-runtime-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
DEV_STAMP     := $(VENV)/.installed-dev-$(shell cat requirements-dev.lock pyproject.toml | cksum | cut -d' ' -f1)
# Front-end assets (htmx, …) come from the npm registry through package-lock.json, never from a CDN.
NODE_STAMP    := node_modules/.installed-$(shell cat package-lock.json | cksum | cut -d' ' -f1)

.PHONY: help run serve install install-dev assets browser migrate demo test bench screenshots lock messages clean distclean

help:
	@sed -n 's/^#   //p' Makefile

$(PY):
	@if [ -z "$(PYTHON)" ] || ! "$(PYTHON)" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then \
	  echo "需要 Python 3.11 (Yimen needs Python 3.11): install python3.11, or run make PYTHON=/path/to/python3.11" >&2; \
	  exit 1; fi
	"$(PYTHON)" -m venv $(VENV)

$(RUNTIME_STAMP): | $(PY)
	@echo "安装依赖 (installing requirements.lock) …"
	$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r requirements.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-runtime-* && touch $@

$(DEV_STAMP): | $(PY)
	@echo "安装开发依赖 (installing requirements-dev.lock) …"
	$(PY) -m pip install -q --disable-pip-version-check --require-hashes -r requirements-dev.lock
	$(PY) -m pip install -q --disable-pip-version-check --no-deps --no-build-isolation -e .
	@rm -f $(VENV)/.installed-dev-* && touch $@

$(NODE_STAMP): package-lock.json
	@command -v npm >/dev/null || { echo "需要 Node.js 与 npm 来安装前端资源 (Yimen needs Node.js and npm for its front-end assets): apt-get install nodejs npm" >&2; exit 1; }
	@echo "安装前端资源 (npm ci: package-lock.json) …"
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@rm -f node_modules/.installed-* && touch $@

assets: $(NODE_STAMP)
install: $(RUNTIME_STAMP) assets
install-dev: $(DEV_STAMP) assets

# Browser tests drive Debian's Chromium; scripts/browser.sh installs it when it can (root + apt-get).
browser:
	@scripts/browser.sh

migrate: install
	@mkdir -p "$(VAR_DIR)"
	$(YIMEN) migrate --noinput

# Demo mode exists only where it is asked for: these two targets (and what they run) ask for it.
run demo: export YIMEN_DEMO = true

demo: migrate
	$(YIMEN) demo load --matters $(DEMO_MATTERS)

run: demo
	$(YIMEN) collectstatic --noinput -v 0
	scripts/run.sh

# No demo, no debug: the start-up checks refuse the default secret key, demo passwords and the SMS echo.
serve: migrate
	$(YIMEN) collectstatic --noinput -v 0
	scripts/run.sh

test: install-dev browser
	scripts/test.sh

screenshots: install-dev browser
	$(PY) -m yimen.web.screenshots docs/screenshots

bench: install-dev
	$(PY) -m bench $(BENCH_ARGS)

lock: | $(PY)
	@[ -x $(VENV)/bin/uv ] || $(PY) -m pip install --disable-pip-version-check uv
	$(VENV)/bin/uv pip compile pyproject.toml --python-version 3.11 --generate-hashes -o requirements.lock
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --python-version 3.11 --generate-hashes -o requirements-dev.lock

# The Chinese text is the message id; only English has a catalogue (yimen/locale/en). makemessages
# needs xgettext; compiling and checking are pure Python (Babel), and the .mo is committed.
messages: install-dev
	@command -v xgettext >/dev/null || { echo "需要 GNU gettext 来提取界面文字 (make messages needs GNU gettext: apt-get install gettext)" >&2; exit 1; }
	$(YIMEN) makemessages -l en --add-location file --no-obsolete --ignore ".venv/*" --ignore "node_modules/*" --ignore "*/tests/*" --ignore "bench/*"
	$(YIMEN) translations compile
	-$(YIMEN) translations check

clean:
	find . -path ./$(VENV) -prune -o -name __pycache__ -type d -exec rm -rf {} +
	rm -rf *.egg-info .pytest_cache "$(VAR_DIR)/static"

distclean: clean
	rm -rf $(VENV) "$(VAR_DIR)"
