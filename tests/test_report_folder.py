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
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == ["truong"]  # nothing beside


def test_a_failed_build_leaves_the_old_folder_as_it_was(tmp_path: Path) -> None:
    folder = tmp_path / "tham_dinh"
    _build(folder, {"a.xlsx": "A"}, [])

    def broken(path: Path) -> None:
        raise OSError("disk full")

    with pytest.raises(OSError), FreshFolder(folder) as fresh:
        fresh.write("b.xlsx", fingerprint("B"), broken)
    assert _contents(folder) == {"a.xlsx": "A"}
    assert [p.name for p in tmp_path.iterdir() if p.is_dir()] == ["tham_dinh"]


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


def test_a_file_saved_over_where_it_lies_is_written_again(tmp_path: Path) -> None:
    """A reviewer who fills in a worksheet in the reports folder: the next build publishes a
    blank one again, not the filled copy."""
    folder = tmp_path / "tham_dinh"
    _build(folder, {"2024/a.xlsx": "A", "2024/b.xlsx": "B"}, [])
    (folder / "2024" / "a.xlsx").write_text("A, filled in by hand")
    calls: list[str] = []
    _build(folder, {"2024/a.xlsx": "A", "2024/b.xlsx": "B"}, calls)
    assert calls == ["2024/a.xlsx"]
    assert _contents(folder) == {"2024/a.xlsx": "A", "2024/b.xlsx": "B"}


def test_what_a_killed_build_left_is_removed(tmp_path: Path) -> None:
    folder = tmp_path / "truong"
    for leftover in (tmp_path / ".truong.dead.tmp", tmp_path / ".truong.dead.old"):
        leftover.mkdir()
        (leftover / "a.xlsx").write_text("half")
    _build(folder, {"a.xlsx": "A"}, [])
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["truong"]


def test_a_failed_swap_puts_the_old_folder_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On Windows a workbook open in Excel stops the new folder from being renamed in."""
    folder = tmp_path / "truong"
    _build(folder, {"a.xlsx": "A"}, [])
    rename = Path.rename

    def refuse_the_new_folder(self: Path, target: Path) -> Path:
        if self.suffix == ".tmp" and Path(target) == folder:
            raise PermissionError("in use")
        return rename(self, target)

    monkeypatch.setattr(Path, "rename", refuse_the_new_folder)
    with pytest.raises(PermissionError):
        _build(folder, {"a.xlsx": "A2"}, [])
    assert _contents(folder) == {"a.xlsx": "A"}
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["truong"]
