"""One writer at a time on a warehouse, across processes.

DuckDB lets one process write a file, but a run opens and closes its connection step by
step, and dbt writes from a subprocess: without more, `cds run` and a run started by the
UI's sensor could take turns between steps and fail on each other's locks. Every writer
takes `warehouse/.cds-writer.lock` (a file lock, released by the OS if the process dies):

- `cds run` holds it for the whole run and is refused at once, with a message, when
  another run holds it;
- a run launched from the Dagster UI takes it for each writing step and waits for it,
  saying so in the step's log.

Re-entrant within a process: the steps of `cds run` find it already held. With
`--parallel`, the steps of `cds run` are also child processes (Dagster's multiprocess
executor, forked from its fork server): `cds run` names itself in `CDS_WRITER_LOCK_HELD_BY`
(pid and folder), and its descendants find the lock held by that ancestor.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
from filelock import FileLock, Timeout

LOCK_FILE = ".cds-writer.lock"
WAIT_SECONDS = 6 * 3600  # a national run takes well under this

_guard = threading.Lock()
_held: dict[Path, tuple[FileLock, int]] = {}


class WarehouseBusy(RuntimeError):
    def __init__(self, warehouse_dir: Path) -> None:
        super().__init__(
            f"Kho dữ liệu {warehouse_dir} đang được một lần chạy khác sử dụng (giao diện Dagster "
            "hoặc một lệnh cds run khác). Chờ lần chạy đó xong rồi chạy lại."
        )


HELD_BY = "CDS_WRITER_LOCK_HELD_BY"


def held_by_this_process(warehouse_dir: Path) -> dict[str, str]:
    """The environment that tells this process's children it holds the lock."""
    return {HELD_BY: f"{os.getpid()}:{Path(warehouse_dir).resolve()}"}


def _held_by_ancestor(key: Path) -> bool:
    """The process named in CDS_WRITER_LOCK_HELD_BY, for this folder, is one of this
    process's ancestors (a step's parent is `cds run`, or its fork server, a child of it)."""
    pid, _, folder = os.environ.get(HELD_BY, "").partition(":")
    if folder != str(key) or not pid.isdigit():
        return False
    try:
        return int(pid) in {p.pid for p in psutil.Process().parents()}
    except psutil.Error:  # an ancestor ended during the walk (its run is being killed)
        return False


@contextmanager
def warehouse_lock(
    warehouse_dir: Path, *, wait: bool, log: Callable[[str], None] | None = None
) -> Iterator[None]:
    key = Path(warehouse_dir).resolve()
    if _held_by_ancestor(key):
        yield
        return
    with _guard:
        if key in _held:
            lock, depth = _held[key]
            _held[key] = (lock, depth + 1)
            reentered = True
        else:
            reentered = False
    if not reentered:
        key.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(key / LOCK_FILE), thread_local=False)
        try:
            lock.acquire(timeout=0)
        except Timeout:
            if not wait:
                raise WarehouseBusy(key) from None
            if log:
                log(
                    f"Kho dữ liệu {key} đang được một lần chạy khác ghi (vd cds run): "
                    "bước này chờ đến lượt."
                )
            started = time.monotonic()
            lock.acquire(timeout=WAIT_SECONDS)
            if log:
                log(f"Đã đến lượt ghi sau {time.monotonic() - started:.0f} giây chờ.")
        with _guard:
            _held[key] = (lock, 1)
    try:
        yield
    finally:
        with _guard:
            lock, depth = _held[key]
            if depth > 1:
                _held[key] = (lock, depth - 1)
            else:
                del _held[key]
                lock.release()
