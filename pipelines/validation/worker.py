"""Great Expectations warmed up in a process of its own while the run ingests (issue 16.7).

Importing GX costs about 2 s of one core (its registry of core expectations pulls in
scipy.stats); a run that brings one corrected report spent most of its validation step on
that import, with the other core idle. `WarmValidator` starts one spawned worker that imports
GX at once, beside the ingest, and validates the new rows there. A thread would not do: the
import holds the GIL and slowed the ingest by as much as it saved (benchmarks/profiling.md).

Only batches up to `max_rows` go to the worker (they are pickled across): a whole province's
table is validated in this process, where the import is small beside the validation. If the
worker is gone (killed, out of memory), the batch is validated here: the worker only saves
time, it never decides an outcome.
"""

from __future__ import annotations

import atexit
import logging
import multiprocessing
import multiprocessing.connection
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.validation import gx_suites
from pipelines.validation.gx_suites import SuiteOutcome, run_suite

if TYPE_CHECKING:
    import pandas as pd

logger = logging.getLogger(__name__)

# a batch this large is about 30 MB pickled: well under the validation's own time
MAX_WORKER_ROWS = 200_000


def _leave_with_the_run() -> None:
    """The worker's set-up. It leaves at once when told to stop: winding down GX's modules
    took half a second at the end of every run, and nothing is left to flush (results go
    back synchronously before it is told to stop). And it leaves when the run's process
    dies without stopping it (killed, out of memory, a forced termination): an idle worker
    waits on its queue and would otherwise keep its 300–400 MB for ever."""
    atexit.register(os._exit, 0)
    parent = multiprocessing.parent_process()
    if parent is not None:

        def watch() -> None:
            multiprocessing.connection.wait([parent.sentinel])
            os._exit(0)

        threading.Thread(target=watch, name="cds-gx-parent-watch", daemon=True).start()


def _import_gx() -> None:
    """The worker's first task: what `run_suite` would otherwise import at its first call."""
    from pipelines.validation.gx_suites import _context

    _context()


class WarmValidator:
    """`run_suite` in a worker started now, or in this process when there is no worker."""

    def __init__(self, warm: bool, max_rows: int = MAX_WORKER_ROWS) -> None:
        self.max_rows = max_rows
        self._pool: ProcessPoolExecutor | None = None
        if warm:
            try:
                # spawn, not fork: this process holds DuckDB connections and Dagster's threads
                self._pool = ProcessPoolExecutor(
                    max_workers=1,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_leave_with_the_run,
                )
                self._pool.submit(_import_gx)  # starts the worker and the import at once
            except OSError as exc:  # no semaphores (a container without /dev/shm), no process
                logger.warning("GX worker not started, validating in this process: %s", exc)
                self.close()

    @property
    def warm(self) -> bool:
        return self._pool is not None

    def run_suite(
        self,
        name: str,
        df: pd.DataFrame,
        parameters: dict[str, Any] | None = None,
        docs_dir: Path | None = None,
    ) -> SuiteOutcome:
        if self._pool is not None and len(df) <= self.max_rows:
            try:
                return self._pool.submit(
                    gx_suites.run_suite, name, df, parameters, docs_dir=docs_dir
                ).result()
            except BrokenProcessPool:  # the worker died: validate here, without it from now on
                self.close()
        return run_suite(name, df, parameters, docs_dir=docs_dir)

    def close(self) -> None:
        """Stop the worker; waits for a task under way (at most the import's rest)."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=True, cancel_futures=True)
