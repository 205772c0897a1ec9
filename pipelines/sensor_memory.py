"""What the raw/ sensor has seen, kept in a file in the warehouse folder; its cursor only
names it.

Dagster stores a sensor's cursor with every tick, skipped ones included. A cursor holding
each file's size, mtime and hash was 114 KB for the bundled district's 699 files: 2 GB a
day at a tick every 5 s, and it grows with raw/. So the map lives in
`<warehouse>/.sensor/<digest>.json`, written only when it changes, and the cursor is
`seen:<digest>` (70 bytes, whatever the number of files).

Resetting the cursor in the UI, deleting the warehouse (the memory goes with it) or a memory
file that cannot be read makes the next tick see every file as new: one run of everything,
which a deleted warehouse needs. When the folder cannot be written, the cursor holds the
map itself, as it did before this module (and such a cursor is still read).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from pipelines.atomic_file import write_text_if_changed

PREFIX = "seen:"
FOLDER = ".sensor"

Seen = dict[str, list]


def load_seen(warehouse_dir: Path, cursor: str | None, log: Callable[[str], None]) -> Seen:
    """The map the cursor names; empty (with a word in the log) when there is none to read."""
    if not cursor:
        return {}
    if not cursor.startswith(PREFIX):  # the map itself: an older cursor, or no folder
        return json.loads(cursor)
    path = warehouse_dir / FOLDER / f"{cursor.removeprefix(PREFIX)}.json"
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        reason = "không còn" if isinstance(exc, FileNotFoundError) else f"không đọc được ({exc})"
        log(
            f"Tệp ghi nhớ của cảm biến {path} {reason}: kho mới hoặc đã bị xoá; "
            "xét lại toàn bộ raw/ (một lần chạy toàn bộ)"
        )
        return {}


def store_seen(
    warehouse_dir: Path, seen: Seen, cursor: str | None, log: Callable[[str], None]
) -> str:
    """Write the map (when new) and return the cursor naming it. The memory the previous
    cursor named is kept too (a tick that fails before Dagster records the new cursor is
    evaluated again from the old one); older ones are removed, but not by an evaluation
    without a cursor (the UI's "Test sensor"), which would remove the live one."""
    folder = warehouse_dir / FOLDER
    text = json.dumps(seen, sort_keys=True)
    digest = hashlib.sha256(text.encode()).hexdigest()[:32]
    target = folder / f"{digest}.json"
    try:
        write_text_if_changed(target, text)  # the same map, the same name: rewritten if damaged
        if cursor is not None:
            keep = {target.name, f"{cursor.removeprefix(PREFIX)}.json"}
            for old in folder.glob("*.json"):
                if old.name not in keep:
                    old.unlink(missing_ok=True)
    except OSError as exc:
        log(
            f"Không ghi được tệp ghi nhớ của cảm biến vào {folder} ({exc}): "
            "cảm biến vẫn chạy, ghi nhớ trong con trỏ của Dagster"
        )
        return json.dumps(seen)
    return f"{PREFIX}{digest}"
