"""Reading a reference CSV: every loader reads its file the same way."""

from __future__ import annotations

from pathlib import Path

import polars as pl


def read_reference_csv(path: Path, error: type[Exception], what_vi: str) -> pl.DataFrame:
    """The file's rows as strings (the loader types and validates them); a missing or
    unreadable file raises the loader's `error`, naming the file (`what_vi`: what it holds,
    in Vietnamese)."""
    try:
        return pl.read_csv(path, infer_schema=False, encoding="utf8")
    except FileNotFoundError as exc:
        raise error(f"Không tìm thấy {what_vi}: {path}") from exc
    except pl.exceptions.PolarsError as exc:
        raise error(f"{Path(path).name}: không đọc được tệp CSV: {exc}") from exc
