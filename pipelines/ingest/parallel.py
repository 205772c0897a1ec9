"""Read and judge files in worker processes, results in the listing's order.

Judging a file (read, header, rules, pseudonyms) is pure and costs ~10 ms of Python and
Polars per file whatever its size, so a province's 13,000 files keep one core busy for
minutes; the warehouse writes stay in the calling process. Workers are spawned (not
forked: the caller runs DuckDB and Dagster threads) and get the source and its reference
data once. At most a few dozen files are in flight, so memory does not grow with the
number of files.

A file that killed an earlier run (its entry is still open in the source's journal,
`journal.py`) is judged alone in a spawned child with a memory limit
(`CDS_ISOLATED_MEMORY_MB`, 2048 by default); so are the files in flight when a worker dies.
If that child dies too (a signal, MemoryError, any exit), the file is rejected as
`file_crashed_reader` and the run goes on.
"""

from __future__ import annotations

import multiprocessing
import os
import resource
import signal
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

from pipelines.ingest.journal import Journal
from pipelines.ingest.judge import crashed_outcome, evaluate_file
from pipelines.ingest.landing import FileOutcome
from pipelines.ingest.sources import IngestContext, Source

Item = tuple[Path, str, str]  # path, path relative to raw/, sha256
# Below this many files a worker, starting processes (1–2 s of imports each) costs more than
# it saves: a district's sources (~200 files each) are judged in the calling process.
MIN_FILES_PER_WORKER = 500
ISOLATED_MEMORY_MB = 2048

_worker: tuple[Source, IngestContext] | None = None


def ingest_workers() -> int:
    """`CDS_INGEST_WORKERS`, by default one per CPU core."""
    return max(1, int(os.environ.get("CDS_INGEST_WORKERS") or os.cpu_count() or 1))


def isolated_memory_mb() -> int:
    """`CDS_ISOLATED_MEMORY_MB`: the address space of a child judging a suspect file."""
    return max(256, int(os.environ.get("CDS_ISOLATED_MEMORY_MB") or ISOLATED_MEMORY_MB))


def _init(source: Source, ctx: IngestContext) -> None:
    global _worker
    _worker = (source, ctx)


def _init_isolated(source: Source, ctx: IngestContext, limit_mb: int) -> None:
    """A child for one suspect file at a time: its imports are done; from here on it may
    not map more than `limit_mb` (a runaway allocation fails here, not in the machine)."""
    limit = limit_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    _init(source, ctx)


def _judge(item: Item) -> FileOutcome:
    assert _worker is not None
    path, rel, sha = item
    return evaluate_file(path, rel, sha, *_worker)


def evaluate_in_order(
    items: Iterable[Item],
    source: Source,
    ctx: IngestContext,
    workers: int,
    journal: Journal | None = None,
) -> Iterator[tuple[Item, FileOutcome | Exception]]:
    """(item, outcome or the exception judging it raised), in the order of `items`. With a
    `journal`, each file is entered in it while it is judged, and the files an earlier run
    died on are judged alone in a child first."""
    items = list(items)
    suspects = journal.open(items) if journal is not None else set()
    try:
        alone = [k for k, item in enumerate(items) if item[2] in suspects]
        isolated = dict(
            zip(alone, _isolated([items[k] for k in alone], source, ctx, journal), strict=True)
        )
        rest = _evaluate([it for k, it in enumerate(items) if k not in isolated],
                         source, ctx, workers, journal)  # fmt: skip
        for k in range(len(items)):
            yield isolated[k] if k in isolated else next(rest)
    finally:
        if journal is not None:
            journal.close()


def _evaluate(
    items: list[Item], source: Source, ctx: IngestContext, workers: int, journal: Journal | None
) -> Iterator[tuple[Item, FileOutcome | Exception]]:
    workers = min(workers, len(items) // MIN_FILES_PER_WORKER)
    result: FileOutcome | Exception
    if workers <= 1:
        _init(source, ctx)
        for item in items:
            if journal is not None:
                journal.begin(item)
            try:
                result = _judge(item)
            except Exception as exc:
                result = exc
            if journal is not None:
                journal.end(item)
            yield item, result
        return
    spawn = multiprocessing.get_context("spawn")
    todo = deque(items)
    with ProcessPoolExecutor(workers, mp_context=spawn, initializer=_init,
                             initargs=(source, ctx)) as pool:  # fmt: skip
        pending: deque[tuple[Item, Future[FileOutcome]]] = deque()
        while todo or pending:
            while todo and len(pending) < 16 * workers:
                item = todo.popleft()
                if journal is not None:
                    journal.begin(item)
                pending.append((item, pool.submit(_judge, item)))
            item, future = pending.popleft()
            try:
                result = future.result()
            except BrokenProcessPool:
                break  # a worker died: the files in flight are judged alone, below
            except Exception as exc:
                result = exc
            if journal is not None:
                journal.end(item)
            yield item, result
        else:
            return
    # The pool is broken: each file that was in flight alone in a child (the one that
    # killed the worker is rejected there), then the rest in a new pool.
    yield from _isolated([item, *(i for i, _ in pending)], source, ctx, journal, same_run=True)
    yield from _evaluate(list(todo), source, ctx, workers, journal)


def _isolated(
    items: list[Item],
    source: Source,
    ctx: IngestContext,
    journal: Journal | None,
    *,
    same_run: bool = False,
) -> Iterator[tuple[Item, FileOutcome | Exception]]:
    """Judge files one at a time in a spawned child with a memory limit (one child for all
    of them until one dies): a file whose child dies is rejected, its entry left open."""
    if not items:
        return
    spawn = multiprocessing.get_context("spawn")
    limit = isolated_memory_mb()
    pool: ProcessPoolExecutor | None = None
    result: FileOutcome | Exception
    try:
        for item in items:
            if pool is None:
                pool = ProcessPoolExecutor(1, mp_context=spawn, initializer=_init_isolated,
                                           initargs=(source, ctx, limit))  # fmt: skip
            future = pool.submit(_judge, item)
            children = list(getattr(pool, "_processes", {}).values())
            try:
                result = future.result()
            except (BrokenProcessPool, MemoryError) as exc:
                how = "hết bộ nhớ" if isinstance(exc, MemoryError) else _death(children)
                pool.shutdown(wait=True, cancel_futures=True)
                pool = None
                earlier = None if same_run or journal is None else journal.suspects.get(item[2])
                yield item, crashed_outcome(*item, source, how=how, limit_mb=limit,
                                            earlier=earlier)  # fmt: skip
                continue
            except Exception as exc:
                result = exc
            if journal is not None:
                journal.end(item)
            yield item, result
    finally:
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)


def _death(children: list) -> str:
    """How the child died, in words: its signal or exit status."""
    for child in children:
        child.join(5)
        code = child.exitcode
        # the pool's own thread reaps the child too: the one that loses the race sees no
        # status for a moment, until the other has stored it
        for _ in range(100):
            if code is not None:
                break
            time.sleep(0.05)
            code = child.exitcode
        if code is None:
            continue
        if code < 0:
            try:
                return f"tín hiệu {signal.Signals(-code).name}"
            except ValueError:
                return f"tín hiệu {-code}"
        return f"mã thoát {code}"
    return "không rõ nguyên nhân"
