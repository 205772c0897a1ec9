# Two commands for a fresh machine: `make run` (the pipeline on the bundled sample) and
# `make test`. Both first install exactly what uv.lock pins (uv itself comes from PyPI).
UV := $(shell command -v uv 2>/dev/null)
ifeq ($(UV),)
UV := python3 -m uv
endif

.PHONY: install run test lint ui sample clean

install:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	$(UV) sync --locked --all-groups

run: install
	$(UV) run --locked cds run --raw raw --warehouse warehouse

test: install
	$(UV) run --locked ruff check .
	$(UV) run --locked pytest -n 2 --dist loadfile

lint: install
	$(UV) run --locked ruff check . && $(UV) run --locked ruff format --check .

ui: install
	$(UV) run --locked cds ui

# Regenerate the bundled sample district under raw/ (deterministic for the seed).
sample: install
	rm -rf raw && $(UV) run --locked cds generate --scale district --out raw --seed 20241 --faults

clean:
	rm -rf warehouse .dagster_home dbt_project/target
