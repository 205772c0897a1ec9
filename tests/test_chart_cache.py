"""Issue 16.7: the HTML report's charts are rendered by vl-convert only when their
specification (data included) changed; otherwise the SVG rendered before is used, so a run
whose charts did not change never starts vl-convert's JavaScript engine (0.4 s)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import polars as pl
import pytest

from pipelines.reports import charts


@pytest.fixture
def rendered(monkeypatch) -> list[int]:
    """How many charts vl-convert rendered."""
    calls: list[int] = []
    real = charts.vlc.vegalite_to_svg

    def counted(spec, *args, **kwargs):
        calls.append(1)
        return real(spec, *args, **kwargs)

    monkeypatch.setattr(charts.vlc, "vegalite_to_svg", counted)
    return calls


def _targets(pct: float) -> pl.DataFrame:
    return pl.DataFrame({"Chỉ tiêu": ["Internet mọi phòng học"], "Tỉ lệ (%)": [pct]})


def test_an_unchanged_chart_is_read_back_and_a_changed_one_rendered(
    tmp_path: Path, rendered: list[int]
) -> None:
    cache = tmp_path / ".charts"
    first = charts.targets_met(_targets(80.0), cache)
    again = charts.targets_met(_targets(80.0), cache)
    assert again == first and len(rendered) == 1
    assert first == charts.targets_met(_targets(80.0))  # the same SVG as without a cache
    changed = charts.targets_met(_targets(81.0), cache)
    assert changed != first and len(rendered) == 3
    assert len(list(cache.glob("*.svg"))) == 2 and not list(cache.glob(".*"))


def test_charts_not_used_for_a_month_are_removed(tmp_path: Path) -> None:
    cache = tmp_path / ".charts"
    charts.targets_met(_targets(80.0), cache)
    charts.targets_met(_targets(81.0), cache)
    old, recent = sorted(cache.glob("*.svg"))
    month_ago = time.time() - 31 * 86400
    os.utime(old, (month_ago, month_ago))
    charts.prune_chart_cache(cache)
    assert list(cache.glob("*.svg")) == [recent]
