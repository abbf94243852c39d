# 质量品牌领域专项资金申报系统 — developer commands. `make help` lists them.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
MANAGE := $(PY) manage.py
HOST ?= 127.0.0.1
PORT ?= 8000
# The base URL of the links in e-mails, notifications and QR codes follows where the demo serves.
SITE_URL ?= http://$(if $(filter 0.0.0.0,$(HOST)),127.0.0.1,$(HOST)):$(PORT)
export SITE_URL
# Debian packages the portal needs at run time (PDF rendering, CJK fonts, translations).
APT_PACKAGES := libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk fontconfig gettext
# Debian packages the tests add: Chromium for the browser journey and the accessibility audit, Node for axe-core.
TEST_APT_PACKAGES := chromium nodejs npm

.DEFAULT_GOAL := help
.PHONY: help install install-dev system-deps test-system-deps demo serve migrate seed test test-fast lint format lock check-deploy clean

help: ## Show this help
	@grep -E '^[a-zA-Z_-]+:.*?## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*?## "}; {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}'

system-deps: ## Install the Debian packages (only when running as root with apt and something is missing)
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo "system-deps: all present"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "system-deps: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null && fc-cache -f >/dev/null; \
	else echo "system-deps: please install:$$missing (PDF rendering needs them)"; fi

test-system-deps: ## Install Chromium and Node for the browser tests (root with apt, only what is missing)
	@missing=""; for p in $(TEST_APT_PACKAGES); do \
	  case $$p in nodejs|npm) command -v $$p >/dev/null 2>&1 && continue;; esac; \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -z "$$missing" ]; then echo "test-system-deps: all present"; \
	elif [ "$$(id -u)" = "0" ] && command -v apt-get >/dev/null; then \
	  echo "test-system-deps: installing$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	else echo "test-system-deps: please install:$$missing (browser tests need them)"; fi

# axe-core for the accessibility audit, from the npm registry at the version package-lock.json pins.
node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The venv's own pip, at a known version: the pip that ships with Python 3.11 (23.2) refuses a hash-locked file
# whose packages ask for an extra of a pinned one (pytest-cov wants coverage[toml]).
PIP_VERSION := 26.0.1
$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PIP) install -q --disable-pip-version-check 'pip==$(PIP_VERSION)'

$(VENV)/.installed: requirements/base.txt | $(PY)
	$(PIP) install -q --require-hashes -r requirements/base.txt
	@touch $@

$(VENV)/.installed-dev: requirements/dev.txt | $(PY)
	$(PIP) install -q --require-hashes -r requirements/dev.txt
	@touch $@ $(VENV)/.installed

install: system-deps $(VENV)/.installed ## Create .venv and install the locked dependencies (no server)

install-dev: system-deps test-system-deps $(VENV)/.installed-dev node_modules/.installed ## Install the locked dependencies plus the test tools (Chromium, axe-core)

migrate: install ## Apply database migrations and create the staff groups
	$(MANAGE) migrate --noinput
	$(MANAGE) sync_roles

seed: migrate ## Load the nine programs and the demo call, organisations and accounts
	$(MANAGE) seed_programs
	$(MANAGE) seed_demo --with-samples

demo: seed ## Set everything up and serve the portal with demo data on http://127.0.0.1:8000
	@echo ""
	@echo "  门户:     http://$(HOST):$(PORT)/"
	@echo "  管理后台: http://$(HOST):$(PORT)/admin/"
	@echo "  API 文档: http://$(HOST):$(PORT)/api/v1/docs/"
	@echo ""
	$(MANAGE) runserver $(HOST):$(PORT)

serve: install ## Serve without re-seeding
	$(MANAGE) runserver $(HOST):$(PORT)

test: install-dev ## Run the whole suite incl. browser journey, API fuzzing, a11y (SQLite; DATABASE_URL/REDIS_URL for PG/Redis)
	PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 $(VENV)/bin/pytest $(PYTEST_ARGS)

lint: install-dev ## ruff check, the import contracts (the layers in pyproject.toml) and the migrations check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports
	DJANGO_SETTINGS_MODULE=portal.settings.test $(MANAGE) makemigrations --check --dry-run

format: install-dev ## Format the code with ruff
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check-deploy: install ## Run Django's deployment checks with the production settings
	DJANGO_SETTINGS_MODULE=portal.settings.production SECRET_KEY=$$(openssl rand -hex 32) ALLOWED_HOSTS=portal.example.cn \
	  DATABASE_URL=postgres://portal@localhost/portal REDIS_URL=redis://localhost:6379/0 \
	  $(MANAGE) check --deploy --fail-level WARNING

lock: ## Re-resolve requirements/*.txt from pyproject.toml (needs uv)
	uv pip compile pyproject.toml --generate-hashes --python-version 3.11 -o requirements/base.txt
	uv pip compile pyproject.toml --group dev --generate-hashes --python-version 3.11 -o requirements/dev.txt

clean: ## Remove the virtualenv, the SQLite database and local media
	rm -rf $(VENV) db.sqlite3 media .test-media staticfiles node_modules test-artifacts
