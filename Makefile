# Guichet — the two commands of the README: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=
# Links written into the demo's messages carry the demo server's port.
demo demo-data run: export GUICHET_PUBLIC_PORT = $(PORT)

.PHONY: demo test install system-deps messages migrate demo-data run browser clean

install: system-deps $(VENV)/.installed

# WeasyPrint (postal letters) needs Pango from the system; the mail room's OCR needs Tesseract with its French
# data and poppler's pdftoppm (scanned PDF letters to images).
system-deps:
	@ldconfig -p | grep -q libpango-1.0 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core)
	@(command -v tesseract >/dev/null && test -n "$$(ls /usr/share/tesseract-ocr/*/tessdata/fra.traineddata 2>/dev/null)" && command -v pdftoppm >/dev/null) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tesseract-ocr tesseract-ocr-fra poppler-utils)

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

# Compiled translations (the .po catalogues are the source; polib compiles them without gettext).
messages: install
	$(PY) -c "import glob, polib; [polib.pofile(p).save_as_mofile(p[:-3] + '.mo') for p in glob.glob('src/guichet/**/locale/*/LC_MESSAGES/*.po', recursive=True)]"

migrate: install messages
	$(MANAGE) migrate --noinput -v 0

demo-data: migrate
	$(MANAGE) load_demo

# Web server and background worker together; Ctrl-C stops both.
run:
	@trap 'kill 0' EXIT INT TERM; \
	$(MANAGE) worker --interval 1 & \
	$(MANAGE) runserver $(HOST):$(PORT) --noreload

demo: demo-data
	$(MANAGE) demo_logins --port $(PORT)
	$(MAKE) --no-print-directory run

# Debian's chromium for the browser tests (Playwright drives it), axe-core from npm.
browser: node_modules/.installed
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-dejavu-core)

node_modules/.installed: package.json
	npm install --no-audit --no-fund --silent
	touch $@

test: install messages browser
	$(PY) -m pytest $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) node_modules var
