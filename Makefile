# Two commands for a fresh machine: `make run` (the pipeline on the bundled sample) and
# `make test`. Both first install exactly what uv.lock pins (uv itself comes from PyPI).
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif

.PHONY: install browser postgres run test test-fast lint ui sample screenshots bench audit clean

# Two workers, each module on one worker with its fixtures; tests/conftest.py hands the
# heaviest modules out first and keeps the modules sharing one pipeline run together.
PYTEST := $(UV) run --locked pytest -n 2 --dist loadfile

# --compile-bytecode: every library compiled once here. Where PYTHONDONTWRITEBYTECODE is set
# (as on our CI machines) Python never writes its own .pyc, and each process (a run, dbt, a
# test worker) compiled some 4,000 modules again: 10-20 s of every `cds run`.
install:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --locked --all-groups --compile-bytecode

# The browser test drives Debian's Chromium (no browser download from Playwright).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
		echo "Installing Debian's chromium for the browser test"; \
		$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
		$(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; }

# The lake tests start (and stop) their own throwaway server from Debian's postgresql:
# initdb and pg_ctl under /usr/lib/postgresql/*/bin, on 127.0.0.1 and a free port.
postgres:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { \
		echo "Installing Debian's postgresql for the lake tests"; \
		$(if $(filter 0,$(shell id -u)),,sudo) apt-get update -qq && \
		$(if $(filter 0,$(shell id -u)),,sudo) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null; }

run: install
	$(UV) run --locked cds run --raw raw --warehouse warehouse

test: install browser postgres
	$(UV) run --locked ruff check .
	$(PYTEST)

# The edit-test loop: everything but the tests that start the whole pipeline, the UI or a
# browser (marked e2e); under 2 minutes on idle cores (2 is the aim).
test-fast: install
	$(UV) run --locked ruff check .
	$(PYTEST) -m "not e2e"

lint: install
	$(UV) run --locked ruff check . && $(UV) run --locked ruff format --check .

ui: install
	$(UV) run --locked cds ui

# Regenerate the bundled sample district under raw/ (deterministic for the seed), a third of
# its schools sending CSDL ngành's own downloads (C1-HocSinh, CSDL_GiaoVien) so `make run`
# reads both layouts.
sample: install
	rm -rf raw && $(UV) run --locked cds generate --scale district --out raw --seed 20241 --faults --layout mixed

# Screenshots of the UI for the README (docs/img/), taken by the browser test.
screenshots: install browser
	CDS_SCREENSHOT_DIR=docs/img $(UV) run --locked pytest tests/test_ui_browser.py

# Speed and memory at district, province and a national fraction (not part of the tests):
# generates each scale once into .bench/, prints the table and writes BENCHMARKS.md.
# Takes about 40 minutes; BENCH_ARGS="--scales district" for a quick look. First, provinces in
# parallel on a lake (national-4, --parallel 1 and 2, one-core workers, a throwaway
# PostgreSQL; about 1.5 hours here; PARALLEL_ARGS="--districts 4" takes 20 minutes, "--districts
# 2" about 10), and the district embedded
# against a lake, written to benchmarks/parallel.md.
bench: install postgres
	$(UV) run --locked python -m benchmarks.parallel $(PARALLEL_ARGS)
	$(UV) run --locked python -m benchmarks.hostile
	$(UV) run --locked python -m benchmarks.drop_to_result --repeat 3
	$(UV) run --locked python -m benchmarks $(BENCH_ARGS)

# Known vulnerabilities in every locked dependency (pip-audit against PyPI's advisory data).
# Needs pypi.org's JSON API, which the development machines here cannot reach.
audit: install
	$(UV) export --locked --all-groups --no-hashes --no-emit-project --quiet \
		| $(UV) run --locked pip-audit --requirement /dev/stdin --no-deps --disable-pip --strict

clean:
	rm -rf warehouse .dagster_home dbt_project/target
