"""Write a small text file so that a reader, or a power cut, finds the old content or the
new one, never half of it."""

from __future__ import annotations

import os
from pathlib import Path


def write_text_atomically(path: Path, text: str) -> None:
    """A temporary file of this process beside `path`, flushed to disk, then renamed."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with tmp.open("w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def write_text_if_changed(path: Path, text: str) -> None:
    """`write_text_atomically`, unless the file already holds exactly `text` (a damaged or
    stale file is written again)."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    write_text_atomically(path, text)
