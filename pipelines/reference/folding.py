"""How a label is matched: folded (`fold_expr` in `ingest/text.py` does the same over a
column). Here, below both the reference data and ingestion, because code lists and
headers are both matched by it."""

from __future__ import annotations

import unicodedata


def fold(text: str | None) -> str:
    """Fold a header or label for matching: Unicode-normalised, case-, diacritic- and
    whitespace-insensitive (`"Mã\\ntrường "` and NFD `"MÃ TRƯỜNG"` both give `"matruong"`).
    A label made only of symbols (a tick `✓`, `√`) folds to itself, stripped, so that it
    can still be looked up in a code list."""
    if text is None:
        return ""
    decomposed = unicodedata.normalize("NFD", str(text))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    stripped = stripped.replace("đ", "d").replace("Đ", "D").casefold()
    folded = "".join(ch for ch in stripped if ch.isalnum())
    return folded or "".join(str(text).split())
