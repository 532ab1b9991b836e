# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export PATH := $(abspath $(BIN)):$(PATH)

.PHONY: install run test lint fmt schema bench soak clean

$(VENV)/.installed: pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e ".[dev]"
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	./bin/run-dev

# Two test processes, a file each at a time (a file's fixtures are set up once);
# each gets its own test database and Redis database. TEST_PROCESSES=0: one process.
TEST_PROCESSES ?= 2

test: install
	$(BIN)/pytest -n $(TEST_PROCESSES) --dist loadfile

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .
	$(BIN)/python manage.py makemigrations --check --dry-run
	# Security linting: no finding of high severity may land.
	$(BIN)/bandit --quiet --recursive . --exclude ./.venv,./tests,./bench,./static --severity-level high

fmt: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

# The committed OpenAPI schema; tests/test_api_schema.py fails when it is stale.
schema: install
	$(BIN)/python manage.py spectacular --validate --fail-on-warn --lang en --file docs/openapi.yaml

# The benchmark suite (docs/BENCHMARKS.md): PostgreSQL and Redis on 127.0.0.1,
# wrk and Chromium installed when missing; about 20 minutes on two cores. It
# writes bench/results/latest.json and the table of docs/BENCHMARKS.md.
bench: install
	@for pkg in wrk chromium; do dpkg -s $$pkg >/dev/null 2>&1 || missing="$$missing $$pkg"; done; \
	if [ -n "$$missing" ]; then \
	  export DEBIAN_FRONTEND=noninteractive; \
	  apt-get install -y -qq $$missing || (apt-get update -qq && apt-get install -y -qq $$missing); \
	fi
	$(BIN)/python -m bench.run --docs

# Steady widget traffic for several minutes against gunicorn with production
# settings, then the books: no error, flat memory, one row per accepted answer.
# Needs DATABASE_URL (PostgreSQL) and REDIS_URL; see docs/RELIABILITY.md.
SOAK_SECONDS ?= 300
SOAK_RATE ?= 40
soak: install
	$(BIN)/python -m bench.soak --duration $(SOAK_SECONDS) --rate $(SOAK_RATE)

clean:
	rm -rf $(VENV) .run db.sqlite3 staticfiles .pytest_cache .mypy_cache .ruff_cache
