"""The data officer's automation, tested with Dagster's own tools: the raw/ sensor, the
calendar-driven schedule, and partitioned ingestion of the periodic sources."""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import duckdb
import polars as pl
import pytest

from pipelines.definitions import build_definitions
from pipelines.ingest.sources import PERIODS_BY_REPORT
from pipelines.partitions import period_keys
from pipelines.reference.calendar import parse_calendar
from pipelines.resources import CdsPaths
from pipelines.schedules import TIMEZONE, refresh_reason
from pipelines.settings import PROJECT_ROOT, Settings

SAMPLE = PROJECT_ROOT / "raw"
EMIS = "emis_report/{year}/{period}/31305/{school}_emis_report.xlsx"


def _copy(raw: Path, rel: str) -> Path:
    target = raw / rel
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(SAMPLE / rel, target)
    old = time.time() - 3600  # dropped an hour ago: settled
    os.utime(target, (old, old))
    return target


@pytest.fixture()
def deployment(tmp_path: Path, monkeypatch):
    for key in ("CDS_RAW_DIR", "CDS_WAREHOUSE_DIR", "CDS_REFERENCE_DIR"):
        monkeypatch.setenv(key, os.environ.get(key, ""))  # build_definitions sets them
    monkeypatch.setenv("CDS_SETTLE_SECONDS", "15")
    raw = tmp_path / "raw"
    _copy(raw, "schools/danh_muc_truong.xlsx")
    _copy(raw, EMIS.format(year="2024-2025", period="dau_nam", school="31305001"))
    settings = Settings(raw_dir=raw, warehouse_dir=tmp_path / "wh", reference_dir=tmp_path / "ref")
    settings.reference_dir.mkdir()
    defs = build_definitions(settings)
    return settings, defs


def _tick(defs: dg.Definitions, settings: Settings, cursor: str | None):
    sensor = defs.resolve_sensor_def("raw_files")
    context = dg.build_sensor_context(
        cursor=cursor,
        repository_def=defs.get_repository_def(),
        resources={"paths": CdsPaths.from_settings(settings)},
    )
    result = sensor(context)
    return result, result.cursor


def test_sensor_runs_for_new_files_and_not_for_an_unchanged_folder(deployment) -> None:
    settings, defs = deployment
    first, cursor = _tick(defs, settings, None)
    assert len(first.run_requests) == 1  # the first look: everything is new, one full run
    selected = {k.to_user_string() for k in first.run_requests[0].asset_selection}
    assert {"landing/schools", "landing/emis_report", "publish/analytics_db"} <= selected
    # nothing is built yet: the reference group too, or GX flags every code (issue 15)
    assert {
        "reference/code_lists",
        "reference/cds_index_indicators",
        "reference/reporting_calendar",
    } <= selected

    again, cursor = _tick(defs, settings, cursor)
    assert again.run_requests == []
    assert "Không có tệp mới" in again.skip_reason.skip_message

    # touched, copied under another name: same content, nothing to do
    emis = settings.raw_dir / EMIS.format(year="2024-2025", period="dau_nam", school="31305001")
    os.utime(emis, (time.time() - 60, time.time() - 60))
    shutil.copy2(emis, emis.with_name("ban_sao.xlsx"))
    os.utime(emis.with_name("ban_sao.xlsx"), (time.time() - 60, time.time() - 60))
    touched, cursor = _tick(defs, settings, cursor)
    assert touched.run_requests == []


def test_the_cursor_stays_small_and_names_the_sensors_memory(deployment) -> None:
    """Dagster stores the cursor with every tick (one every 5 s): it held each file's size,
    mtime and hash, 114 KB for the bundled district, about 2 GB a day of tick history. The
    map now lives in the warehouse folder; the cursor names it, whatever the number of files."""
    settings, defs = deployment
    files = sorted(p.relative_to(SAMPLE).as_posix() for p in SAMPLE.rglob("*.xlsx"))
    for rel in [f for f in files if "/cuoi_nam/" not in f][:200]:
        _copy(settings.raw_dir, rel)
    first, cursor = _tick(defs, settings, None)
    assert first.run_requests
    assert len(cursor) < 100
    memory = settings.warehouse_dir / ".sensor"
    [kept] = memory.iterdir()
    assert len(json.loads(kept.read_text(encoding="utf-8"))) > 200  # the files, and reference
    quiet, same = _tick(defs, settings, cursor)
    assert quiet.run_requests == [] and same == cursor

    # a new file: a new memory; the one the previous cursor named is kept for a retried tick
    _copy(settings.raw_dir, EMIS.format(year="2024-2025", period="cuoi_nam", school="31305003"))
    _, newer = _tick(defs, settings, cursor)
    assert newer != cursor and len(list(memory.iterdir())) == 2
    again, _ = _tick(defs, settings, cursor)  # Dagster retrying the tick from the old cursor
    assert [r.partition_key for r in again.run_requests] == ["2024-2025_cuoi_nam"]
    _tick(defs, settings, newer)  # nothing new: the older memory is removed
    assert [p.name for p in memory.iterdir()] == [f"{newer.removeprefix('seen:')}.json"]

    # the warehouse deleted: everything is new again, one run of everything
    shutil.rmtree(settings.warehouse_dir)
    rebuilt, _ = _tick(defs, settings, newer)
    [run] = rebuilt.run_requests
    assert run.tags["cds/trigger"] == "reference"


def test_a_memory_that_cannot_be_read_or_written_costs_a_full_run_not_the_sensor(
    deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A memory file left empty (a power cut between write and disk) or a warehouse folder
    the sensor cannot write must not fail every tick: Dagster keeps failed ticks, and only
    a cursor reset would bring the sensor back."""
    settings, defs = deployment
    _, cursor = _tick(defs, settings, None)
    [memory] = (settings.warehouse_dir / ".sensor").iterdir()
    memory.write_text("", encoding="utf-8")
    again, cursor = _tick(defs, settings, cursor)
    [run] = again.run_requests  # everything is new again: one full run
    assert run.tags["cds/trigger"] == "reference"

    from pipelines import sensor_memory

    def refuse(path, text):
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(sensor_memory, "write_text_if_changed", refuse)
    _copy(settings.raw_dir, EMIS.format(year="2024-2025", period="cuoi_nam", school="31305003"))
    unwritable, legacy = _tick(defs, settings, cursor)
    assert [r.partition_key for r in unwritable.run_requests] == ["2024-2025_cuoi_nam"]
    assert legacy.startswith("{")  # the map itself, in Dagster's cursor, as before
    quiet, _ = _tick(defs, settings, legacy)
    assert quiet.run_requests == []


def test_an_evaluation_without_a_cursor_keeps_the_live_memory(deployment) -> None:
    """The UI's "Test sensor" evaluates with no cursor: it must not remove the memory the
    running sensor's cursor names."""
    settings, defs = deployment
    _, cursor = _tick(defs, settings, None)
    _copy(settings.raw_dir, EMIS.format(year="2024-2025", period="cuoi_nam", school="31305003"))
    _tick(defs, settings, None)  # "Test sensor", after a file was dropped
    result, _ = _tick(defs, settings, cursor)  # the running sensor: only that file is new
    assert [r.partition_key for r in result.run_requests] == ["2024-2025_cuoi_nam"]


def test_a_cursor_written_before_the_memory_file_is_still_read(deployment) -> None:
    """An office upgrading keeps its sensor's cursor: the map itself, as JSON."""
    settings, defs = deployment
    _, cursor = _tick(defs, settings, None)
    from pipelines.sensor_memory import load_seen

    legacy = json.dumps(load_seen(settings.warehouse_dir, cursor, print))
    shutil.rmtree(settings.warehouse_dir / ".sensor")
    quiet, upgraded = _tick(defs, settings, legacy)
    assert quiet.run_requests == []
    assert upgraded.startswith("seen:")


def test_a_new_report_runs_only_its_period_and_what_it_feeds(deployment) -> None:
    settings, defs = deployment
    _, cursor = _tick(defs, settings, None)
    _copy(settings.raw_dir, EMIS.format(year="2024-2025", period="cuoi_nam", school="31305003"))
    result, _ = _tick(defs, settings, cursor)
    [run] = result.run_requests
    assert run.partition_key == "2024-2025_cuoi_nam"
    selected = {k.to_user_string() for k in run.asset_selection}
    assert "landing/emis_report" in selected
    assert "marts/data_completeness_school" in selected
    assert "publish/analytics_db" in selected
    assert not {"landing/schools", "landing/students", "landing/cds_assessment"} & selected
    assert json.loads(run.tags["cds/files"]) == {"emis_report": 1}


def test_a_broken_report_runs_only_the_period_its_folder_names(deployment) -> None:
    """Issue 15: a run caused only by a file the reader refuses is scoped to the period its
    header or folders tell (it used to fall back to every period, repeating itself)."""
    settings, defs = deployment
    _, cursor = _tick(defs, settings, None)
    broken = settings.raw_dir / EMIS.format(year="2025-2026", period="dau_nam", school="31305009")
    broken.parent.mkdir(parents=True, exist_ok=True)
    broken.write_bytes(b"PK\x03\x04 not a workbook")
    old = time.time() - 3600
    os.utime(broken, (old, old))
    result, _ = _tick(defs, settings, cursor)
    [run] = result.run_requests
    assert run.partition_key == "2025-2026_dau_nam"


def test_a_changed_reference_file_rebuilds_everything_once(deployment) -> None:
    """Issue 15: editing the calendar (or any reference file, shipped or in --reference)
    starts one run of everything, reference group included; the next tick starts nothing."""
    settings, defs = deployment
    _, cursor = _tick(defs, settings, None)
    calendar = settings.reference_file("reporting_calendar.csv")
    override = settings.reference_dir / "reporting_calendar.csv"
    override.write_text(calendar.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    changed, cursor = _tick(defs, settings, cursor)
    [run] = changed.run_requests
    assert run.tags["cds/trigger"] == "reference"
    selected = {k.to_user_string() for k in run.asset_selection}
    assert {"reference/reporting_calendar", "landing/students", "publish/analytics_db"} <= selected
    quiet, _ = _tick(defs, settings, cursor)
    assert quiet.run_requests == []


def test_a_failed_run_is_run_again_by_the_daemon() -> None:
    """Issue 15: the UI's instance (dagster.yaml) lets Dagster's daemon retry a failed run."""
    import yaml

    config = yaml.safe_load((PROJECT_ROOT / "dagster.yaml").read_text(encoding="utf-8"))
    assert config["run_retries"] == {"enabled": True, "max_retries": 1}


def test_a_file_still_being_written_waits_for_the_next_tick(deployment) -> None:
    settings, defs = deployment
    _, cursor = _tick(defs, settings, None)
    fresh = _copy(
        settings.raw_dir, EMIS.format(year="2024-2025", period="cuoi_nam", school="31305003")
    )
    os.utime(fresh, None)  # modified just now
    result, cursor = _tick(defs, settings, cursor)
    assert result.run_requests == []
    assert "1 tệp đang được ghi" in result.skip_reason.skip_message
    old = time.time() - 60
    os.utime(fresh, (old, old))
    result, _ = _tick(defs, settings, cursor)
    assert [r.partition_key for r in result.run_requests] == ["2024-2025_cuoi_nam"]


CALENDAR = """report,school_year,period,levels,as_of,due_school,due_district
emis_report,2030-2031,dau_nam,,2030-09-30,2030-10-10,2030-10-20
cds_assessment,2030-2031,ca_nam,TH THCS TH_THCS THPT,2031-01-31,2031-02-28,2031-05-25
"""


def _ticks(defs: dg.Definitions, settings: Settings, start: date, days: int) -> dict[date, str]:
    schedule = defs.resolve_schedule_def("deadline_refresh")
    runs = {}
    for n in range(days):
        day = start + timedelta(days=n)
        context = dg.build_schedule_context(
            scheduled_execution_time=datetime(
                day.year, day.month, day.day, 6, tzinfo=ZoneInfo(TIMEZONE)
            ),
            resources={"paths": CdsPaths.from_settings(settings)},
        )
        result = schedule.evaluate_tick(context)
        if result.run_requests:
            [run] = result.run_requests
            assert run.run_key == f"refresh-{day.isoformat()}"
            runs[day] = run.tags["cds/reason"]
    return runs


def test_schedule_ticks_follow_a_made_up_calendar(deployment) -> None:
    settings, defs = deployment
    (settings.reference_dir / "reporting_calendar.csv").write_text(CALENDAR)
    runs = _ticks(defs, settings, date(2030, 9, 1), 61)  # September and October 2030
    daily = {
        date(2030, 9, 26) + timedelta(days=n) for n in range(25)
    }  # 14 days before 10/10 … 20/10
    mondays = {
        d for d in (date(2030, 9, 1) + timedelta(days=n) for n in range(61)) if d.weekday() == 0
    }
    assert set(runs) == daily | {d for d in mondays if d not in daily}
    assert runs[date(2030, 10, 10)].startswith("Sáng ngày hạn trường nộp emis_report")
    assert runs[date(2030, 10, 20)].startswith("Sáng ngày hạn gửi tỉnh emis_report")
    assert runs[date(2030, 10, 6)].startswith("Còn 4 ngày đến hạn trường nộp")
    assert runs[date(2030, 9, 2)].startswith("Làm mới hằng tuần")

    # moving the deadline in the CSV moves the refreshes, with no code change
    (settings.reference_dir / "reporting_calendar.csv").write_text(
        CALENDAR.replace("2030-10-10,2030-10-20", "2030-09-12,2030-09-15")
    )
    moved = _ticks(defs, settings, date(2030, 9, 1), 61)
    assert {date(2030, 8, 29) + timedelta(days=n) for n in range(4, 18)} <= set(moved)
    assert date(2030, 10, 8) not in moved  # a Tuesday, no deadline near any more


def test_refresh_reason_counts_both_deadlines() -> None:
    calendar = parse_calendar(pl.read_csv(CALENDAR.encode(), infer_schema=False), PERIODS_BY_REPORT)
    assert refresh_reason(calendar, date(2031, 2, 14)) == (
        "Còn 14 ngày đến hạn trường nộp cds_assessment 2030-2031 ca_nam (28/02/2031)"
    )
    assert refresh_reason(calendar, date(2031, 2, 13)) is None  # a Thursday, 15 days before
    assert refresh_reason(calendar, date(2031, 5, 25)).startswith("Sáng ngày hạn gửi tỉnh")


def test_partitions_come_from_the_calendar() -> None:
    calendar = parse_calendar(pl.read_csv(CALENDAR.encode(), infer_schema=False), PERIODS_BY_REPORT)
    assert period_keys(calendar) == ["2030-2031_dau_nam"]  # cds_assessment is not periodic


def test_a_partition_run_loads_only_its_period(deployment) -> None:
    settings, defs = deployment
    _copy(settings.raw_dir, EMIS.format(year="2024-2025", period="cuoi_nam", school="31305003"))
    job = defs.resolve_job_def("full_pipeline")
    settings.warehouse_dir.mkdir(exist_ok=True)
    with dg.DagsterInstance.ephemeral() as instance:
        keys = [
            dg.AssetKey(k)
            for k in (
                ["reference", "code_lists"],
                ["reference", "emis_indicators"],
                ["landing", "schools"],
            )
        ]
        assert job.execute_in_process(instance=instance, asset_selection=keys).success
        result = job.execute_in_process(
            instance=instance,
            asset_selection=[dg.AssetKey(["landing", "emis_report"])],
            partition_key="2024-2025_cuoi_nam",
        )
    [mat] = [
        e.event_specific_data.materialization for e in result.get_asset_materialization_events()
    ]
    assert mat.partition == "2024-2025_cuoi_nam"
    assert mat.metadata["số tệp để lần chạy của kỳ khác"].value == 1
    con = duckdb.connect(str(settings.warehouse_db), read_only=True)
    try:
        periods = con.sql("select distinct school_year, period from landing.emis_report").fetchall()
    finally:
        con.close()
    assert periods == [("2024-2025", "cuoi_nam")]


def test_the_ui_instance_runs_one_run_at_a_time_and_dequeues_within_a_second(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 15.10: the instance the UI loads from dagster.yaml queues runs one at a time
    (one DuckDB writer) and hands a queued run on within 1 s instead of Dagster's 5 s."""
    monkeypatch.setenv("DAGSTER_HOME", str(PROJECT_ROOT))
    monkeypatch.setenv("CDS_DAGSTER_STORAGE", str(tmp_path))
    with dg.DagsterInstance.get() as instance:
        assert instance.run_coordinator.dequeue_interval_seconds == 1
        assert instance.get_concurrency_config().run_queue_config.max_concurrent_runs == 1
        # skipped sensor ticks (one every 5 s) are kept one day, not Dagster's seven
        from dagster._core.definitions.run_request import InstigatorType
        from dagster._core.scheduler.instigation import TickStatus

        kept = instance.get_tick_retention_settings(InstigatorType.SENSOR)
        assert kept[TickStatus.SKIPPED] == 1
        assert kept[TickStatus.FAILURE] == 7  # a sensor failing every 5 s, for ever
