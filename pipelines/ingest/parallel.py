"""Read and judge files in worker processes, results in the listing's order.

Judging a file (read, header, rules, pseudonyms) is pure and costs ~10 ms of Python and
Polars per file whatever its size, so a province's 13,000 files keep one core busy for
minutes; the warehouse writes stay in the calling process. Workers are spawned (not
forked: the caller runs DuckDB and Dagster threads) and get the source and its reference
data once. At most a few dozen files are in flight, so memory does not grow with the
number of files.
"""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from pipelines.ingest.landing import FileOutcome
from pipelines.ingest.sources import IngestContext, Source

Item = tuple[Path, str, str]  # path, path relative to raw/, sha256
# Below this many files a worker, starting processes (1–2 s of imports each) costs more than
# it saves: a district's sources (~200 files each) are judged in the calling process.
MIN_FILES_PER_WORKER = 500

_worker: tuple[Source, IngestContext] | None = None


def ingest_workers() -> int:
    """`CDS_INGEST_WORKERS`, by default one per CPU core."""
    return max(1, int(os.environ.get("CDS_INGEST_WORKERS") or os.cpu_count() or 1))


def _init(source: Source, ctx: IngestContext) -> None:
    global _worker
    _worker = (source, ctx)


def _judge(item: Item) -> FileOutcome:
    from pipelines.ingest.runner import evaluate_file

    assert _worker is not None
    path, rel, sha = item
    return evaluate_file(path, rel, sha, *_worker)


def evaluate_in_order(
    items: Iterable[Item], source: Source, ctx: IngestContext, workers: int
) -> Iterator[tuple[Item, FileOutcome | Exception]]:
    """(item, outcome or the exception judging it raised), in the order of `items`."""
    items = list(items)
    workers = min(workers, len(items) // MIN_FILES_PER_WORKER)
    if workers <= 1:
        _init(source, ctx)
        for item in items:
            try:
                yield item, _judge(item)
            except Exception as exc:
                yield item, exc
        return
    spawn = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=spawn, initializer=_init,
                             initargs=(source, ctx)) as pool:  # fmt: skip
        pending: deque[tuple[Item, Future[FileOutcome]]] = deque()
        for item in items:
            pending.append((item, pool.submit(_judge, item)))
            if len(pending) >= 16 * workers:
                yield _result(*pending.popleft())
        while pending:
            yield _result(*pending.popleft())


def _result(item: Item, future: Future[FileOutcome]) -> tuple[Item, FileOutcome | Exception]:
    try:
        return item, future.result()
    except Exception as exc:
        return item, exc
