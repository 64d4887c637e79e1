# Two commands on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: install demo test lint format bench bench-floor bench-quality bench-analysts bench-crawl-url bench-redis fuzz clean

$(BIN)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("newscrawl needs Python 3.11+") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,analysis]'
	@touch $@

install: $(BIN)/.installed

demo: install
	$(BIN)/newscrawl demo

# Everything, the slow end-to-end tests too (scrapyd, the kill campaign, every real page),
# on every CPU (TEST_PROCESSES=1 for one process); `.venv/bin/pytest` alone leaves out those
# marked slow, for quick runs while coding.
TEST_PROCESSES ?= auto
test: install lint
	$(BIN)/pytest -m 'slow or not slow' -n $(TEST_PROCESSES) --dist worksteal

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

bench: install
	$(BIN)/python bench/run.py
	$(BIN)/python bench/quality.py

# Profile extraction beside lxml's parse and the least any extraction on lxml (or lexbor) costs.
bench-floor: install
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python bench/extract_floor.py

# Quality on the real pages beside the repository (read in place, never copied), beside trafilatura alone.
bench-quality: install
	$(BIN)/python bench/quality.py

# 200,000 generated records: export and read_records against DuckDB alone (a few minutes).
bench-analysts: install
	$(BIN)/python bench/analysts.py

# Each generated portal crawled by its URL alone, no profile: articles found, listings written, off-host requests.
bench-crawl-url: install
	$(BIN)/python bench/crawl_by_url.py

# Distributed mode: 1, 2 and 4 workers on one Redis (127.0.0.1:6379, db 12) against a local
# crawl, on the 10,000-article portal with 50 ms of latency (about 40 minutes).
bench-redis: install
	$(BIN)/python bench/redis_workers.py

# The long fuzzing campaign of extraction (about 15 minutes on 2 CPUs); see tests/fuzz/.
fuzz: install
	$(BIN)/python -m tests.fuzz.campaign --inputs 200000 --processes 2

clean:
	rm -rf out .pytest_cache .ruff_cache
