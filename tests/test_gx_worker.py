"""Issue 16.7: Great Expectations warmed up in a worker process started with the run
(`pipelines.validation.worker`). The worker only saves time: its outcome is the one this
process computes, a batch too large for it is validated here, and a dead worker is replaced
by this process without losing the batch."""

from __future__ import annotations

import os
import signal

import pandas as pd
import pytest

from pipelines.validation import worker as worker_module
from pipelines.validation.gx_suites import run_suite
from pipelines.validation.worker import WarmValidator

PARAMETERS = {
    "school_codes": ["31305001", "31305002"],
    "indicator_codes": [],
    "emis_codes": [],
}


def _schools(n_bad_codes: int) -> pd.DataFrame:
    """A small registry in the landing table's shape; `n_bad_codes` codes of the wrong shape."""
    from pipelines.ingest.landing import LINEAGE_SCHEMA
    from pipelines.ingest.sources import SOURCES

    schema = {**SOURCES["schools"].landing_schema, **LINEAGE_SCHEMA}
    frame = pd.DataFrame({name: [None] * 4 for name in schema})
    frame["school_code"] = ["31305001", "31305002", "313050XX", "31305001"][: 4 - n_bad_codes] + [
        "abc"
    ] * n_bad_codes
    frame["_load_seq"], frame["_row"] = 1, [5, 6, 7, 8]
    frame["_source_file"] = "schools/truong.xlsx"
    return frame


def _key(outcome) -> list:
    return sorted(
        (f.expectation, f.column or "", f.unexpected_count or 0, tuple(f.places))
        for f in outcome.failures
    )


@pytest.fixture
def counted_here(monkeypatch) -> list[str]:
    """Suites validated in this process (the worker's calls are not seen here)."""
    calls: list[str] = []

    def here(name, df, parameters=None, docs_dir=None):
        calls.append(name)
        return run_suite(name, df, parameters, docs_dir=docs_dir)

    monkeypatch.setattr(worker_module, "run_suite", here)
    return calls


def test_the_worker_gives_this_process_outcome(counted_here) -> None:
    df = _schools(n_bad_codes=2)
    parameters = {**PARAMETERS, "landing_columns": list(df.columns)}
    here = run_suite("landing_schools", df, parameters)
    assert here.failures, "the frame must break some rules, or the comparison proves little"
    validator = WarmValidator(warm=True)
    try:
        assert validator.warm
        there = validator.run_suite("landing_schools", df, parameters)
    finally:
        validator.close()
    assert counted_here == [], "a small batch must be validated by the worker"
    assert (there.suite, there.element_count, there.evaluated) == (
        here.suite,
        here.element_count,
        here.evaluated,
    )
    assert _key(there) == _key(here)


def test_a_batch_over_the_limit_and_a_cold_validator_stay_here(counted_here) -> None:
    df = _schools(n_bad_codes=0)
    parameters = {**PARAMETERS, "landing_columns": list(df.columns)}
    validator = WarmValidator(warm=True, max_rows=len(df) - 1)
    try:
        validator.run_suite("landing_schools", df, parameters)
    finally:
        validator.close()
    cold = WarmValidator(warm=False)
    assert not cold.warm
    cold.run_suite("landing_schools", df, parameters)
    assert counted_here == ["landing_schools", "landing_schools"]


def test_a_dead_worker_leaves_the_batch_to_this_process(counted_here) -> None:
    df = _schools(n_bad_codes=1)
    parameters = {**PARAMETERS, "landing_columns": list(df.columns)}
    validator = WarmValidator(warm=True)
    try:
        validator.run_suite("landing_schools", df, parameters)  # the worker is up
        [pid] = list(validator._pool._processes)  # type: ignore[union-attr]
        os.kill(pid, signal.SIGKILL)
        outcome = validator.run_suite("landing_schools", df, parameters)
        assert not validator.warm
    finally:
        validator.close()
    assert counted_here == ["landing_schools"]
    assert _key(outcome) == _key(run_suite("landing_schools", df, parameters))


def test_the_worker_leaves_when_the_run_is_killed() -> None:
    """A run's process killed outright (SIGKILL, the OOM killer) runs no clean-up: its
    worker must notice and leave, not wait on its queue for ever with 300–400 MB."""
    import subprocess
    import sys
    import time

    code = (
        "import os, signal, time\n"
        "from pipelines.validation.worker import WarmValidator\n"
        "v = WarmValidator(warm=True)\n"
        "v._pool.submit(int).result()\n"  # the worker is up
        "print(list(v._pool._processes)[0], flush=True)\n"
        "os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    run = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    worker = int(run.stdout.readline())  # the worker holds the pipe too: read one line only
    run.wait(timeout=60)
    run.stdout.close()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            return
        time.sleep(0.2)
    os.kill(worker, signal.SIGKILL)
    raise AssertionError(f"the worker {worker} outlived its killed run")
