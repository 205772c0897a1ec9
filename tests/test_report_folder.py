"""A report folder rebuilt whole and swapped in, carrying over the files whose inputs did not
change (pipelines/reports/folder.py)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from pipelines.reports.folder import FINGERPRINTS, FreshFolder, fingerprint


def _build(folder: Path, files: dict[str, str], calls: list[str]) -> FreshFolder:
    """Write each `rel: text` into the folder, the text being the file's only input."""
    with FreshFolder(folder) as fresh:
        for rel, text in files.items():

            def writer(path: Path, rel: str = rel, text: str = text) -> None:
                calls.append(rel)
                path.write_text(text)

            fresh.write(rel, fingerprint(text), writer)
    return fresh


def _contents(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): p.read_text()
        for p in folder.rglob("*")
        if p.is_file() and p.name != FINGERPRINTS
    }


def test_unchanged_files_are_carried_over_changed_ones_written_gone_ones_removed(
    tmp_path: Path,
) -> None:
    folder = tmp_path / "truong"
    calls: list[str] = []
    _build(folder, {"a.xlsx": "A", "2024/b.xlsx": "B", "c.xlsx": "C"}, calls)
    assert sorted(calls) == ["2024/b.xlsx", "a.xlsx", "c.xlsx"]
    inode = (folder / "a.xlsx").stat().st_ino

    calls.clear()
    fresh = _build(folder, {"a.xlsx": "A", "2024/b.xlsx": "B2"}, calls)
    assert calls == ["2024/b.xlsx"]
    assert fresh.kept == ["a.xlsx"] and fresh.written == ["2024/b.xlsx"]
    assert _contents(folder) == {"a.xlsx": "A", "2024/b.xlsx": "B2"}  # c.xlsx left
    assert (folder / "a.xlsx").stat().st_ino == inode  # linked, not written
    assert [p.name for p in tmp_path.iterdir()] == ["truong"]  # nothing left beside it


def test_a_failed_build_leaves_the_old_folder_as_it_was(tmp_path: Path) -> None:
    folder = tmp_path / "tham_dinh"
    _build(folder, {"a.xlsx": "A"}, [])

    def broken(path: Path) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError), FreshFolder(folder) as fresh:
        fresh.write("b.xlsx", fingerprint("B"), broken)
    assert _contents(folder) == {"a.xlsx": "A"}
    assert [p.name for p in tmp_path.iterdir()] == ["tham_dinh"]


def test_without_readable_fingerprints_every_file_is_written(tmp_path: Path) -> None:
    folder = tmp_path / "bieu_mau"
    _build(folder, {"a.xlsx": "A"}, [])
    (folder / FINGERPRINTS).write_text("{not json")
    calls: list[str] = []
    _build(folder, {"a.xlsx": "A"}, calls)
    assert calls == ["a.xlsx"]
    # a file removed by hand is written again even when its fingerprint is kept
    (folder / "a.xlsx").unlink()
    calls.clear()
    _build(folder, {"a.xlsx": "A"}, calls)
    assert calls == ["a.xlsx"]


def test_fingerprint_tells_frames_by_rows_order_and_types() -> None:
    frame = pl.DataFrame({"code": ["01", "02"], "value": [1, 2]})
    assert fingerprint(frame) == fingerprint(frame.clone())
    assert fingerprint(frame) != fingerprint(frame.reverse())
    assert fingerprint(frame) != fingerprint(frame.with_columns(pl.col("value").cast(pl.Float64)))
    assert fingerprint(frame, "x") != fingerprint(frame, "y")
    assert fingerprint("a", "b") != fingerprint("ab")


def test_what_a_killed_build_left_is_removed_once_it_is_old(tmp_path: Path) -> None:
    import os
    import time

    folder = tmp_path / "truong"
    old, young = tmp_path / ".truong.dead.tmp", tmp_path / ".truong.live.tmp"
    for leftover in (old, young):
        leftover.mkdir()
        (leftover / "a.xlsx").write_text("half")
    hours_ago = time.time() - 2 * 3600
    os.utime(old, (hours_ago, hours_ago))
    _build(folder, {"a.xlsx": "A"}, [])
    assert sorted(p.name for p in tmp_path.iterdir()) == [".truong.live.tmp", "truong"]
