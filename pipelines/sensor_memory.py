"""What the raw/ sensor has seen, kept in a file beside the warehouse; its cursor only names it.

Dagster stores a sensor's cursor with every tick, skipped ones included (kept 7 days by
default). A cursor holding each file's size, mtime and hash was 114 KB for the bundled
district's 699 files: 2 GB a day at a tick every 5 s, and it grows with raw/. So the map
lives in `<warehouse>/.sensor/<digest>.json`, written only when it changes, and the cursor
is `seen:<digest>` (70 bytes, whatever the number of files).

Resetting the cursor in the UI, or deleting the warehouse (its memory goes with it), makes
the next tick see every file as new: one run of everything, which a deleted warehouse needs.
A cursor written before this module (the map itself, as JSON) is still read.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

PREFIX = "seen:"
FOLDER = ".sensor"

Seen = dict[str, list]


def _digest(seen: Seen) -> str:
    return hashlib.sha256(json.dumps(seen, sort_keys=True).encode()).hexdigest()[:32]


def load_seen(warehouse_dir: Path, cursor: str | None) -> Seen:
    """The map the cursor names; empty for no cursor or a memory no longer on disk."""
    if not cursor:
        return {}
    if not cursor.startswith(PREFIX):  # an older cursor: the map itself
        return json.loads(cursor)
    path = warehouse_dir / FOLDER / f"{cursor.removeprefix(PREFIX)}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}


def store_seen(warehouse_dir: Path, seen: Seen, cursor: str | None) -> str:
    """Write the map (when new) and return the cursor naming it. The memory the previous
    cursor named is kept too: a tick that fails before Dagster records the new cursor is
    evaluated again from the old one. Older memories are removed."""
    folder = warehouse_dir / FOLDER
    digest = _digest(seen)
    target = folder / f"{digest}.json"
    if not target.exists():
        folder.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".tmp")
        partial.write_text(json.dumps(seen, sort_keys=True), encoding="utf-8")
        os.replace(partial, target)
    keep = {target.name}
    if cursor and cursor.startswith(PREFIX):
        keep.add(f"{cursor.removeprefix(PREFIX)}.json")
    for old in folder.iterdir():
        if old.name not in keep:
            old.unlink(missing_ok=True)
    return f"{PREFIX}{digest}"
