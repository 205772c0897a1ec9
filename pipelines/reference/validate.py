"""Every reference file checked at once, before a run starts: a broken file is named with
its own loader's Vietnamese message, and `cds run` exits 2 without touching the warehouse."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from pipelines.reference.calendar import load_calendar
from pipelines.reference.cds_index import load_index
from pipelines.reference.code_lists import load_code_lists
from pipelines.reference.consistency_rules import load_consistency_rules
from pipelines.reference.emis_codes import load_emis_codes
from pipelines.reference.labels import load_labels
from pipelines.reference.layouts import load_layouts
from pipelines.reference.statistical_forms import load_statistical_forms
from pipelines.reference.sync_calendar import load_sync_calendar


def loaders(
    periods_by_report: Mapping[str, tuple[str, ...]],
    layout_columns: Mapping[str, tuple[str, ...]] | None = None,
    layout_fields: Mapping[str, tuple[str, ...]] | None = None,
) -> dict[str, Callable[[Path], object]]:
    """File name → its loader (each raises a ValueError subclass with a Vietnamese message);
    the calendar is checked against the reports and periods the sources declare."""
    return {
        "cds_index.yaml": load_index,
        "reporting_calendar.csv": lambda path: load_calendar(path, periods_by_report),
        "sync_calendar.csv": load_sync_calendar,
        "code_lists.csv": load_code_lists,
        "emis_indicators.csv": load_emis_codes,
        "consistency_rules.csv": load_consistency_rules,
        "labels_vi.csv": load_labels,
        "layouts.yaml": lambda path: load_layouts(path, layout_columns, layout_fields),
        "statistical_forms.csv": load_statistical_forms,
    }


def reference_errors(
    resolve: Callable[[str], Path],
    periods_by_report: Mapping[str, tuple[str, ...]],
    layout_columns: Mapping[str, tuple[str, ...]] | None = None,
    layout_fields: Mapping[str, tuple[str, ...]] | None = None,
) -> list[str]:
    """`file: message` for every reference file that does not load; `resolve` maps a file
    name to the file in force (`Settings.reference_file`)."""
    errors = []
    for name, load in loaders(periods_by_report, layout_columns, layout_fields).items():
        path = resolve(name)
        try:
            load(path)
        except (ValueError, OSError) as exc:
            errors.append(f"{path}: {exc}")
    return errors
