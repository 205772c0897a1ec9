"""Remember which file was being read when a run died.

A file is judged (read by calamine, Polars, the rules) inside the ingest process itself when
a source has few files: a file that makes the reader abort (a runaway allocation the guard
did not foresee, a bug in a native library) takes the whole run down, and every later run
would read it first and die again. So, per source, an append-only journal under the
warehouse folder (`.ingest-journal/<source>.jsonl`) gets a line before a file is judged and
another once its outcome is back. A file begun and never ended was being judged when a run
died: the next runs judge it again in a spawned child process with a memory limit
(`parallel.py`), where a crash rejects the file instead of stopping the run. Its entry is
ended only when it is judged without a crash, so a file that crashes the reader stays
isolated for as long as it sits in the drop folder.

Entries are matched by content (sha256): a copy under another name is the same danger. The
journal is not fsynced: it must survive the process, not the machine.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import TextIO

import duckdb

Item = tuple[Path, str, str]  # path, path relative to raw/, sha256

FOLDER = ".ingest-journal"


class Journal:
    """One source's journal. `open(items)` returns the items' sha256 that killed an earlier
    run; `begin`/`end` bracket the judging of one file."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._out: TextIO | None = None
        self._open: dict[str, list] = {}  # sha256 → [times begun - ended, path, when]
        self.suspects: dict[str, tuple[str, str]] = {}  # sha256 → (path, when it was begun)

    @classmethod
    def for_connection(cls, con: duckdb.DuckDBPyConnection, source: str) -> Journal | None:
        """The journal next to the warehouse `con` writes to; None for an in-memory one. A
        lake connection names its local warehouse folder (`pipelines.lake.attach`)."""
        folder = con.execute("select getvariable('cds_warehouse_dir')").fetchone()
        if folder and folder[0]:
            return cls(Path(folder[0]) / FOLDER / f"{source}.jsonl")
        row = con.execute(
            "select path from duckdb_databases() where database_name = current_database()"
        ).fetchone()
        if not row or not row[0]:
            return None
        return cls(Path(row[0]).resolve().parent / FOLDER / f"{source}.jsonl")

    def _replay(self) -> dict[str, tuple[str, str]]:
        """Entries begun and not ended, as the file says (a line cut by a crash is skipped)."""
        begun: dict[str, tuple[str, str]] = {}
        count: Counter[str] = Counter()
        try:
            with self.path.open(encoding="utf-8") as f:
                for line in f:
                    try:
                        op, sha, rel, when = json.loads(line)
                    except (ValueError, TypeError):
                        continue
                    if op == "begin":
                        count[sha] += 1
                        begun[sha] = (rel, when)
                    elif op == "end":
                        count[sha] -= 1
        except FileNotFoundError:
            return {}
        return {sha: begun[sha] for sha, n in count.items() if n > 0}

    def _rewrite(self, entries: dict[str, tuple[str, str]]) -> None:
        """The journal holding only `entries`, begun (written aside, then renamed over)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as f:
            for sha, (rel, when) in entries.items():
                f.write(json.dumps(["begin", sha, rel, when], ensure_ascii=False) + "\n")
        os.replace(tmp, self.path)

    def open(self, items: list[Item]) -> set[str]:
        """Start this run's journal: what an earlier run left open, among the files about to
        be judged, is kept (and returned); the rest is forgotten."""
        listed = {sha for _, _, sha in items}
        self.suspects = {sha: e for sha, e in self._replay().items() if sha in listed}
        self._rewrite(self.suspects)
        self._open = {sha: [1, rel, when] for sha, (rel, when) in self.suspects.items()}
        self._out = self.path.open("a", encoding="utf-8")
        return set(self.suspects)

    def _write(self, op: str, item: Item) -> None:
        if self._out is None:
            return
        _, rel, sha = item
        when = datetime.now().isoformat(timespec="seconds")
        self._out.write(json.dumps([op, sha, rel, when], ensure_ascii=False) + "\n")
        self._out.flush()  # in the kernel before the file is read: it survives the process
        entry = self._open.setdefault(sha, [0, rel, when])
        entry[0] += 1 if op == "begin" else -1

    def begin(self, item: Item) -> None:
        """A file is about to be judged (a suspect's entry is open already)."""
        if item[2] not in self.suspects:
            self._write("begin", item)

    def end(self, item: Item) -> None:
        """A file's outcome is back: it did not kill the reader."""
        if self._open.get(item[2], [0])[0] > 0:
            self._write("end", item)

    def close(self) -> None:
        """Done judging: the journal keeps only what is still open (a file that killed its
        child too), and is removed when nothing is."""
        if self._out is None:
            return
        self._out.close()
        self._out = None
        still = {sha: (rel, when) for sha, (n, rel, when) in self._open.items() if n > 0}
        if still:
            self._rewrite(still)
        else:
            self.path.unlink(missing_ok=True)
