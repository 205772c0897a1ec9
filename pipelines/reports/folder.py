"""A folder of report files rebuilt whole and swapped in, where a file whose inputs did not
change since the last build is carried over instead of written again (issue 16, item 7).

A folder of per-school or per-area workbooks (`reports/truong/`, `reports/tham_dinh/`, each
year of `reports/bieu_mau/`) is written beside the old one and renamed into place, so a mail
merge or a reader never sees half of it and a school or area that left leaves no stale file.
Writing every workbook again cost most of the publication after one school's correction
(hundreds of workbooks in a province, about 0.05–0.15 s each). So each file is written from a
fingerprint of everything it is made of: its rows, its other arguments, and the code of
`pipelines/reports/` with xlsxwriter's version. The fingerprints are kept in the folder
itself (`.cds-inputs.json`, swapped in with the files, so they never disagree with them); a
file whose fingerprint is unchanged is linked (copied where links are refused) from the old
folder. A file is never patched in place.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable
from functools import cache
from pathlib import Path
from types import TracebackType
from typing import Any

import polars as pl

FINGERPRINTS = ".cds-inputs.json"


@cache
def writers_version() -> str:
    """The report writers' code (every module of `pipelines/reports/` and its templates) and
    xlsxwriter's version: a change to either writes every file again."""
    from importlib.metadata import version

    here = Path(__file__).parent
    h = hashlib.sha256(version("xlsxwriter").encode())
    for path in sorted(p for p in here.rglob("*") if p.is_file() and p.suffix != ".pyc"):
        h.update(path.relative_to(here).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()


def fingerprint(*parts: Any) -> str:
    """A digest of a file's inputs: frames by their schema and rows in order, other values
    by their `repr` (dataclasses, dates, dicts of plain values)."""
    h = hashlib.sha256(writers_version().encode())
    for part in parts:
        if isinstance(part, pl.DataFrame):
            h.update(repr(part.schema).encode())
            h.update(part.write_csv().encode())
        else:
            h.update(repr(part).encode())
        h.update(b"\x1f")
    return h.hexdigest()


# A build folder older than this is a killed run's: nothing publishes for an hour.
LEFTOVER_SECONDS = 3600


def _remove_leftovers(folder: Path) -> None:
    """Remove what a run killed while building `folder` left beside it (`.<name>.<id>.tmp`,
    `.<name>.<id>.old`); a younger one may be another run's, still building."""
    now = time.time()
    for path in folder.parent.glob(f".{folder.name}.*"):
        if path.suffix in (".tmp", ".old") and path.is_dir():
            try:
                if now - path.stat().st_mtime > LEFTOVER_SECONDS:
                    shutil.rmtree(path, ignore_errors=True)
            except OSError:  # removed meanwhile
                continue


class FreshFolder:
    """`with FreshFolder(folder) as new: new.write(rel, inputs, writer)`: files written into a
    folder beside `folder`, swapped in when the block ends without an error (on an error the
    old folder stays as it was). `writer(path)` writes one file; it is not called when the
    old folder holds that file made from the same inputs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.tmp = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.tmp")
        self.written: list[str] = []
        self.kept: list[str] = []
        self._fingerprints: dict[str, str] = {}
        self._previous: dict[str, str] = {}

    def __enter__(self) -> FreshFolder:
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        _remove_leftovers(self.folder)
        self.tmp.mkdir()
        try:
            self._previous = json.loads((self.folder / FINGERPRINTS).read_text(encoding="utf-8"))
        except (OSError, ValueError):  # none yet, or unreadable: every file is written
            self._previous = {}
        return self

    def write(self, rel: str, inputs: str, writer: Callable[[Path], None]) -> Path:
        """The file `rel` (a path relative to the folder) made by `writer` from `inputs` (a
        `fingerprint`); returns where it is in the new folder."""
        target = self.tmp / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        old = self.folder / rel
        if self._previous.get(rel) == inputs and old.is_file():
            try:
                os.link(old, target)
            except OSError:  # a file system without hard links
                shutil.copy2(old, target)
            self.kept.append(rel)
        else:
            writer(target)
            self.written.append(rel)
        self._fingerprints[rel] = inputs
        return target

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if kind is not None:
            shutil.rmtree(self.tmp, ignore_errors=True)
            return
        (self.tmp / FINGERPRINTS).write_text(
            json.dumps(self._fingerprints, sort_keys=True, ensure_ascii=False), encoding="utf-8"
        )
        old = self.folder.with_name(f".{self.folder.name}.{uuid.uuid4().hex}.old")
        if self.folder.exists():
            self.folder.rename(old)
        self.tmp.rename(self.folder)
        shutil.rmtree(old, ignore_errors=True)
