"""A folder of report files rebuilt whole and swapped in, where a file whose inputs did not
change since the last build is carried over instead of written again (issue 16, item 7).

A folder of per-school or per-area workbooks (`reports/truong/`, `reports/tham_dinh/`, each
year of `reports/bieu_mau/`) is written beside the old one and renamed into place, so a mail
merge or a reader never sees half of it and a school or area that left leaves no stale file.
Writing every workbook again cost most of the publication after one school's correction
(hundreds of workbooks in a province, about 0.05–0.15 s each). So each file is written from a
fingerprint of everything it is made of: its rows, its other arguments, and the code of
`pipelines/reports/` and of the labels with the versions of xlsxwriter and Polars. The
fingerprints are kept in the folder itself (`.cds-inputs.json`, swapped in with the files, so
they never disagree with them), each with the file's size and modification time: a file
whose fingerprint is unchanged and that nobody has saved over since (a reviewer filling in
a worksheet where it lies) is linked (copied where links are refused) from the old folder.
A file is never patched in place. One build of a folder at a time (a lock beside it): what
another build left beside the folder is then a killed run's, and is removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
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
    """The report writers' code (every file of `pipelines/reports/`, and the labels' module
    they translate through) and the versions of xlsxwriter and Polars (which writes the
    tables): a change to any writes every file again."""
    from importlib.metadata import version

    from pipelines.reference import labels

    here = Path(__file__).parent
    h = hashlib.sha256(f"{version('xlsxwriter')} {version('polars')}".encode())
    code = sorted(p for p in here.rglob("*") if p.is_file() and p.suffix != ".pyc")
    for path in [*code, Path(labels.__file__)]:
        h.update(path.name.encode())
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


def _remove_leftovers(folder: Path) -> None:
    """Remove what a killed build of `folder` left beside it (`.<name>.<id>.tmp` or `.old`);
    called with the folder's lock held, so no build is running."""
    for path in folder.parent.glob(f".{folder.name}.*"):
        if path.suffix in (".tmp", ".old") and path.is_dir():
            shutil.rmtree(path, ignore_errors=True)


def swap_in(tmp: Path, folder: Path) -> None:
    """Put the folder built at `tmp` in place of `folder`. If the second rename fails (on
    Windows, a workbook open in Excel), the old folder is put back and the build removed."""
    old = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.old")
    if folder.exists():
        folder.rename(old)
    try:
        tmp.rename(folder)
    except OSError:
        if old.exists():
            old.rename(folder)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _stamp(path: Path) -> list[int]:
    """What tells a file saved over since it was published: size and modification time."""
    st = path.stat()
    return [st.st_size, st.st_mtime_ns]


class FreshFolder:
    """`with FreshFolder(folder) as new: new.write(rel, inputs, writer)`: files written into a
    folder beside `folder`, swapped in when the block ends without an error (on an error the
    old folder stays as it was). `writer(path)` writes one file; it is not called when the
    old folder holds that file, untouched, made from the same inputs."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.tmp = folder.with_name(f".{folder.name}.{uuid.uuid4().hex}.tmp")
        self.written: list[str] = []
        self.kept: list[str] = []
        self._made: dict[str, dict[str, Any]] = {}
        self._previous: dict[str, Any] = {}
        self._lock: Any = None

    def __enter__(self) -> FreshFolder:
        from filelock import FileLock

        self.folder.parent.mkdir(parents=True, exist_ok=True)
        self._lock = FileLock(str(self.folder.with_name(f".{self.folder.name}.lock")))
        self._lock.acquire()
        try:
            _remove_leftovers(self.folder)
            self.tmp.mkdir()
            try:
                text = (self.folder / FINGERPRINTS).read_text(encoding="utf-8")
                self._previous = json.loads(text)
            except (OSError, ValueError):  # none yet, or unreadable: every file is written
                self._previous = {}
        except BaseException:
            self._lock.release()
            raise
        return self

    def _unchanged(self, rel: str, inputs: str) -> bool:
        made = self._previous.get(rel)
        old = self.folder / rel
        if not isinstance(made, dict) or made.get("inputs") != inputs or not old.is_file():
            return False
        return made.get("stamp") == _stamp(old)

    def write(self, rel: str, inputs: str, writer: Callable[[Path], None]) -> Path:
        """The file `rel` (a path relative to the folder) made by `writer` from `inputs` (a
        `fingerprint`); returns where it will be once the folder is swapped in."""
        target = self.tmp / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if self._unchanged(rel, inputs):
            try:
                os.link(self.folder / rel, target)
            except OSError:  # a file system without hard links
                shutil.copy2(self.folder / rel, target)
            self.kept.append(rel)
        else:
            writer(target)
            self.written.append(rel)
        self._made[rel] = {"inputs": inputs, "stamp": _stamp(target)}
        return self.folder / rel

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        try:
            if kind is not None:
                shutil.rmtree(self.tmp, ignore_errors=True)
                return
            (self.tmp / FINGERPRINTS).write_text(
                json.dumps(self._made, sort_keys=True, ensure_ascii=False), encoding="utf-8"
            )
            swap_in(self.tmp, self.folder)
        finally:
            self._lock.release()
