"""The writer lock (pipelines/warehouse_lock.py): held by `cds run`, found held by the step
processes it starts (children, or grandchildren through Dagster's fork server), and refused
to every other process, whatever its environment says."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import psutil
import pytest

from pipelines import warehouse_lock as lock_module
from pipelines.warehouse_lock import WarehouseBusy, held_by_this_process, warehouse_lock

# Takes the lock without waiting; prints "taken", or "busy" when refused.
TAKE = """
import sys
from pathlib import Path
from pipelines.warehouse_lock import WarehouseBusy, warehouse_lock
try:
    with warehouse_lock(Path(sys.argv[1]), wait=False):
        print("taken")
except WarehouseBusy:
    print("busy")
"""

# The same, from a grandchild: a child that starts TAKE and waits for it (a fork server's
# place between `cds run` and a step).
THROUGH_A_CHILD = """
import subprocess, sys
sys.exit(subprocess.run([sys.executable, "-c", sys.argv[1], sys.argv[2]]).returncode)
"""


def _take(warehouse: Path, env: dict[str, str], *, grandchild: bool = False) -> str:
    cmd = [sys.executable, "-c", TAKE, str(warehouse)]
    if grandchild:
        cmd = [sys.executable, "-c", THROUGH_A_CHILD, TAKE, str(warehouse)]
    result = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, **env}, check=True
    )
    return result.stdout.strip()


def test_the_holders_children_and_grandchildren_write_others_are_refused(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    stranger = subprocess.Popen(["sleep", "60"])  # alive, and no ancestor of the takers
    try:
        with warehouse_lock(warehouse, wait=False):
            mine = held_by_this_process(warehouse)
            assert _take(warehouse, mine) == "taken"
            assert _take(warehouse, mine, grandchild=True) == "taken"
            # without the variable, naming a process that is not an ancestor, or naming
            # another folder: refused at once
            assert _take(warehouse, {}) == "busy"
            [(key, value)] = mine.items()
            folder = value.split(":", 1)[1]
            assert _take(warehouse, {key: f"{stranger.pid}:{folder}"}) == "busy"
            assert _take(warehouse, held_by_this_process(tmp_path / "other")) == "busy"
            with warehouse_lock(warehouse, wait=False):  # this process re-enters
                pass
        assert _take(warehouse, {}) == "taken"  # released
    finally:
        stranger.kill()
        stranger.wait()


HOLD = """
import sys, time
from pathlib import Path
from pipelines.warehouse_lock import warehouse_lock
with warehouse_lock(Path(sys.argv[1]), wait=False):
    print("taken", flush=True)
    time.sleep(60)
"""


def test_this_process_is_refused_while_another_holds_it(tmp_path: Path) -> None:
    warehouse = tmp_path / "warehouse"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(warehouse)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout.readline().strip() == "taken"
        with pytest.raises(WarehouseBusy), warehouse_lock(warehouse, wait=False):
            pass
    finally:
        holder.kill()
        holder.wait()


def test_an_ancestor_ending_during_the_walk_is_no_holder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """psutil raises when an ancestor ends while its parents are read (a run being killed):
    the step is then no holder (it waits for the lock like any other), never a traceback."""

    def ended(self: psutil.Process) -> list:
        raise psutil.NoSuchProcess(os.getppid())

    warehouse = tmp_path / "warehouse"
    monkeypatch.setenv(*next(iter(held_by_this_process(warehouse).items())))
    assert lock_module._held_by_ancestor(warehouse.resolve()) is False  # own pid: no ancestor
    monkeypatch.setenv(lock_module.HELD_BY, f"{os.getppid()}:{warehouse.resolve()}")
    assert lock_module._held_by_ancestor(warehouse.resolve()) is True
    monkeypatch.setattr(psutil.Process, "parents", ended)
    assert lock_module._held_by_ancestor(warehouse.resolve()) is False
