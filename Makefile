# computewatch — `make demo` and `make test` work on a fresh machine with only python3 on it.
PY      ?= python3
TOOLS   := .tools
UV      := $(TOOLS)/bin/uv
VENV    := .venv
export UV_PYTHON_DOWNLOADS := never
export UV_PROJECT_ENVIRONMENT := $(VENV)
# Scrapy's cookie middleware (via tldextract) would fetch the public suffix list: no network here.
export TLDEXTRACT_PUBLIC_SUFFIX_LIST_URLS :=

.PHONY: install lint demo test test-fast conformance realtext bench bench-crawl bench-daemon bench-facts bench-export bench-faults clean

install: $(VENV)/.installed

# uv itself comes from PyPI into a private tools venv; it then installs the locked versions.
$(UV):
	$(PY) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet --upgrade pip
	$(TOOLS)/bin/pip install --quiet "uv==0.13.9"

# --all-extras: the analysts' optional pandas and pyarrow too, so that their tests run here and in CI.
$(VENV)/.installed: pyproject.toml uv.lock $(UV)
	$(UV) sync --frozen --all-extras --python $(PY)
	touch $@

demo: install
	$(VENV)/bin/computewatch demo

# Every test, with the real services (PostgreSQL, Redis) started on 127.0.0.1 and stopped afterwards;
# the test files are shared out over TEST_JOBS processes (each file's tests stay in one process).
TEST_JOBS ?= 2
test: install lint
	scripts/browser.sh
	scripts/with-services.sh $(VENV)/bin/python -m pytest -q -n $(TEST_JOBS) --dist loadfile

# pyflakes' errors (undefined names, unused imports): rules in pyproject.toml [tool.ruff].
lint: install
	$(VENV)/bin/ruff check .

# Quick loop while developing: no PostgreSQL or Redis (their tests skip, saying so).
test-fast: install
	$(VENV)/bin/python -m pytest -q -m "not postgres"

conformance: install
	$(VENV)/bin/python bench/conformance_report.py

# The real-text development set (tests/realtext), scored per script; JOBS=2 at most.
realtext: install
	$(VENV)/bin/python bench/realtext_report.py --jobs $(or $(JOBS),1)

# Speed and memory goals are measured by these scripts, each comparing in one run.
bench: install
	$(VENV)/bin/python bench/extract_bench.py
	$(VENV)/bin/python bench/crawl_bench.py

bench-crawl: install
	$(VENV)/bin/python bench/crawl_bench.py

bench-facts: install
	$(VENV)/bin/python bench/facts_bench.py

bench-export: install
	$(VENV)/bin/python bench/export_bench.py

bench-daemon: install
	$(VENV)/bin/python bench/daemon_soak.py

# 40 trials of random SIGKILLs of crawls and workers, then every page exactly once (SQLite).
bench-faults: install
	$(VENV)/bin/python bench/fault_trials.py

clean:
	rm -rf $(VENV) $(TOOLS) .pytest_cache
