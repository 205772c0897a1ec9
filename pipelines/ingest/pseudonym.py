"""Keyed pseudonyms for personal data (contract §3, Nghị định 13/2023/NĐ-CP).

`person_key` = HMAC-SHA256(secret, normalised personal ID), computed for a whole column at
once inside DuckDB (HMAC spelled out with its `sha256`, equal to Python's `hmac`). The
secret comes from `CDS_PSEUDONYM_KEY`, or from a key file (`CDS_PSEUDONYM_KEY_FILE`,
default `.secrets/pseudonym.key` in the project) created on first use with owner-only
permissions. It is never logged and never written anywhere else.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl

from pipelines.settings import PROJECT_ROOT

DEFAULT_KEY_FILE = PROJECT_ROOT / ".secrets" / "pseudonym.key"
_BLOCK = 64  # SHA-256 block size


@dataclass(frozen=True)
class Pseudonymizer:
    _key: bytes = field(repr=False)

    def __repr__(self) -> str:  # never show the secret, even in a traceback
        return "Pseudonymizer(<secret>)"

    @property
    def _pads(self) -> tuple[bytes, bytes]:
        key = self._key if len(self._key) <= _BLOCK else hashlib.sha256(self._key).digest()
        key = key.ljust(_BLOCK, b"\0")
        return bytes(b ^ 0x36 for b in key), bytes(b ^ 0x5C for b in key)

    def keys(self, values: pl.Series) -> pl.Series:
        """HMAC-SHA256 hex of every non-null value (null stays null), computed in bulk."""
        return self.key_columns(values.to_frame())[values.name]

    def key_columns(self, frame: pl.DataFrame) -> pl.DataFrame:
        """`keys` of every column of `frame` at once, in one DuckDB query (one per file, not
        one per column: the query's fixed cost dominated ingestion of small files)."""
        inner, outer = self._pads
        names = frame.columns
        text = frame.select(pl.all().cast(pl.String)).rename(
            {n: f"c{i}" for i, n in enumerate(names)}
        )
        hmac = ", ".join(
            f"case when c{i} is null then null else sha256($outer::blob || "
            f"unhex(sha256($inner::blob || encode(c{i})))) end as c{i}"
            for i in range(len(names))
        )
        con = _private_connection()
        con.register("frame", text.to_arrow())
        try:
            out = con.sql(f"select {hmac} from frame", params={"inner": inner, "outer": outer}).pl()
        finally:
            con.unregister("frame")
        return out.rename({f"c{i}": n for i, n in enumerate(names)})


_local = threading.local()


def _private_connection() -> duckdb.DuckDBPyConnection:
    """One in-memory DuckDB per thread: opening one costs ~12 ms, once per file it was the
    largest cost of ingesting a district (issue 9's profile)."""
    con = getattr(_local, "con", None)
    if con is None:
        con = _local.con = duckdb.connect()
    return con


def load_pseudonymizer(key_file: Path | None = None) -> Pseudonymizer:
    """The deployment's pseudonymizer; creates the key file (0600) on first use."""
    env = os.environ.get("CDS_PSEUDONYM_KEY")
    if env:
        return Pseudonymizer(env.encode("utf-8"))
    path = Path(os.environ.get("CDS_PSEUDONYM_KEY_FILE") or key_file or DEFAULT_KEY_FILE)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    mode = path.stat().st_mode & 0o777
    if mode & 0o077:
        raise PermissionError(
            f"Tệp khoá bí danh {path} có quyền {oct(mode)}: chỉ chủ sở hữu được đọc "
            f"(chạy: chmod 600 {path})"
        )
    return Pseudonymizer(path.read_text(encoding="utf-8").strip().encode("utf-8"))
