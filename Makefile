# Every target sets itself up first; `make test` works on a fresh machine.
VENV      := .venv
SAM_VENV  := .venv/sam-cli
PY        := $(VENV)/bin/python
export AWS_DEFAULT_REGION ?= us-east-1
export REDIS_URL ?= redis://127.0.0.1:6379/0

.PHONY: setup sam-setup redis chromium lint test test-fast build clean demo dev bench

setup:
	@bash scripts/setup_venv.sh $(VENV) requirements-dev.txt

sam-setup:
	@bash scripts/setup_venv.sh $(SAM_VENV) requirements-sam.txt

redis:
	@bash scripts/ensure_redis.sh

# Debian's Chromium for the console's browser tests (Playwright drives it; no browser download).
chromium:
	@bash scripts/ensure_chromium.sh

lint: setup
	$(VENV)/bin/ruff check .

# The whole suite: lint, unit + integration tests, sam validate (both modes), sam build and the build check.
test: setup sam-setup redis chromium lint
	$(PY) -m pytest

# Everything but the SAM template/build checks.
test-fast: setup redis
	$(PY) -m pytest -m "not sam"

# A whole agent session on the local cloud, narrated (no Docker, no AWS account, no API key needed).
demo: setup
	$(PY) -m localcloud demo

# The local cloud in the foreground with the default scenario, plus ready-to-paste curl/wscat commands.
dev: setup
	$(PY) -m localcloud up --dev

# The benchmarks (a few minutes): a figure / target / measured table, bench/results.json and bench/RESULTS.md.
bench: setup redis
	$(PY) -m bench

build: sam-setup
	$(SAM_VENV)/bin/sam build

clean:
	rm -rf .aws-sam .pytest_cache .ruff_cache
