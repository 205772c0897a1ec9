"""`cds`: the warehouse's command line (contract §7)."""

from __future__ import annotations

import contextlib
import gc
import os
import signal
import sys
import time
from pathlib import Path

import click

from pipelines.settings import PROJECT_ROOT, Settings


@click.group(help="Kho dữ liệu chuyển đổi số và chất lượng dữ liệu của Phòng GDĐT.")
def main() -> None:
    pass


def _settings(
    raw: str,
    warehouse: str,
    reference: str | None,
    lake: str | None = None,
    lake_data: str | None = None,
    parallel: int | None = None,
) -> Settings:
    from pipelines.lake import Lake, LakeError

    try:
        parsed = Lake.parse(lake, lake_data) if lake and lake.strip() else None
    except LakeError as exc:
        raise click.BadParameter(str(exc), param_hint="--lake") from None
    if parallel is not None and parsed is None:
        raise click.BadParameter(
            "chỉ dùng được với --lake: warehouse.duckdb chỉ cho một tiến trình ghi",
            param_hint="--parallel",
        )
    if parallel and parallel > 1 and parsed is not None and parsed.catalog_file is not None:
        raise click.BadParameter(
            "nhiều tỉnh cùng lúc cần danh mục DuckLake trên PostgreSQL "
            "(--lake 'postgres:dbname=… host=…'): tệp danh mục chỉ cho một tiến trình ghi",
            param_hint="--parallel",
        )
    return Settings(
        raw_dir=Path(raw).resolve(),
        warehouse_dir=Path(warehouse).resolve(),
        reference_dir=Path(reference).resolve() if reference else None,
        lake=parsed,
        parallel=parallel,
    )


def _parallel_option(command):
    """`--parallel N` (or CDS_PARALLEL), contract §7: provinces ingested N at once."""
    return click.option(
        "--parallel",
        envvar="CDS_PARALLEL",
        default=None,
        type=click.IntRange(min=1),
        help="Nạp tối đa N tỉnh cùng lúc, mỗi tỉnh một tiến trình (cần --lake; N > 1 cần danh "
        "mục trên PostgreSQL), rồi một lần dbt và xuất bản.",
    )(command)


def _lake_options(command):
    """`--lake CATALOG --lake-data PATH` (or CDS_LAKE, CDS_LAKE_DATA), contract §7."""
    command = click.option(
        "--lake-data",
        envvar="CDS_LAKE_DATA",
        default=None,
        help="Thư mục (hoặc URL) chứa các tệp Parquet của DuckLake; mặc định với tệp danh "
        "mục: <tệp>.files bên cạnh nó.",
    )(command)
    return click.option(
        "--lake",
        envvar="CDS_LAKE",
        default=None,
        help="Giữ kho trên DuckLake thay cho warehouse.duckdb: tệp danh mục "
        "(ducklake:/đường/dẫn/catalog.ducklake) hoặc 'ducklake:postgres:dbname=… host=… "
        "port=…'.",
    )(command)


# DuckDB's message for a file written by a newer DuckDB (2.x wrote warehouse.duckdb
# before the pin to 1.5.5).
_NEWER_FILE = "created with a newer version of DuckDB"


def _warehouse_free(settings: Settings) -> tuple[int, str] | None:
    """None when the warehouse can be opened for writing, else an exit code and why not (in
    Vietnamese)."""
    import duckdb

    db = settings.warehouse_db
    db.parent.mkdir(parents=True, exist_ok=True)
    if settings.lake is not None:
        return _lake_free(settings)
    try:
        duckdb.connect(str(db)).close()
    except duckdb.IOException as exc:
        if _NEWER_FILE in " ".join(str(exc).split()).replace("an newer", "a newer"):
            return 1, (
                f"Kho dữ liệu {db} được ghi bởi một phiên bản DuckDB mới hơn {duckdb.__version__} "
                "(bản 2.x trước đây) nên không mở được. Dựng lại kho từ raw/: xóa tệp "
                f"warehouse.duckdb (rm {db}) rồi chạy lại cds run; số liệu như cũ."
            )
        return 3, (
            f"Không mở được kho dữ liệu {db} để ghi: một tiến trình khác (một lần chạy khác, "
            f"hoặc ai đó đang mở warehouse.duckdb) đang giữ tệp. Chờ nó xong rồi chạy lại. ({exc})"
        )
    return None


def _lake_free(settings: Settings) -> tuple[int, str] | None:
    """None when the lake can be attached, else an exit code and why not."""
    import duckdb

    from pipelines.lake import LakeError, attach

    assert settings.lake is not None
    con = duckdb.connect()
    try:
        attach(con, settings.lake, settings.warehouse_dir)
    except duckdb.IOException as exc:
        if "lock" in str(exc).lower():
            return 3, (
                f"Không mở được danh mục DuckLake {settings.lake.catalog}: một tiến trình khác "
                f"đang giữ tệp danh mục. Chờ nó xong rồi chạy lại. ({exc})"
            )
        return 1, f"Không mở được DuckLake {settings.lake.catalog}: {exc}"
    except (duckdb.Error, LakeError) as exc:
        return 1, f"Không mở được DuckLake {settings.lake.catalog}: {exc}"
    finally:
        con.close()
    return None


@main.command(help="Chạy toàn bộ: nạp, kiểm tra, biến đổi, xuất bản (không cần giao diện).")
@click.option("--raw", default="raw", show_default=True, help="Thư mục tệp nộp (raw/).")
@click.option("--warehouse", default="warehouse", show_default=True, help="Thư mục kho dữ liệu.")
@click.option("--reference", default=None, help="Thư mục dữ liệu tham chiếu thay thế.")
@click.option(
    "--timings",
    default=None,
    type=click.Path(dir_okay=False),
    help="Ghi thời gian từng bước và từng giai đoạn (JSON) vào tệp này.",
)
@_lake_options
@_parallel_option
def run(
    raw: str,
    warehouse: str,
    reference: str | None,
    timings: str | None,
    lake: str | None,
    lake_data: str | None,
    parallel: int | None,
) -> None:
    settings = _settings(raw, warehouse, reference, lake, lake_data, parallel)
    _exit_if_no_raw(settings)
    _exit_if_reference_broken(settings)
    from pipelines.warehouse_lock import WarehouseBusy, warehouse_lock

    writer = contextlib.ExitStack()  # held until the process ends
    try:
        writer.enter_context(warehouse_lock(settings.warehouse_dir, wait=False))
    except WarehouseBusy as exc:
        click.echo(f"✗ {exc}", err=True)
        sys.exit(3)
    if refused := _warehouse_free(settings):  # e.g. an analyst holding the file
        code, reason = refused
        click.echo(reason, err=True)
        sys.exit(code)
    started = time.monotonic()
    # One date for the whole run (dbt's run_date() macro and the ingest rules read it): a run
    # crossing midnight does not count days late against two different days.
    from pipelines.settings import run_date

    os.environ["CDS_RUN_DATE"] = run_date().isoformat()
    click.echo(f"▶ Dữ liệu nộp: {settings.raw_dir}")
    click.echo(f"▶ Kho dữ liệu: {settings.warehouse_dir}")
    if settings.lake:
        click.echo(f"▶ DuckLake: {settings.lake.catalog} (dữ liệu: {settings.lake.data_path})")
    if settings.parallel:
        click.echo(f"▶ Nạp song song: tối đa {settings.parallel} tỉnh cùng lúc")
    from dagster import DagsterInstance

    from pipelines.definitions import FULL_PIPELINE, build_definitions, full_run_tags
    from pipelines.reference.calendar import CalendarError
    from pipelines.reference.cds_index import CdsIndexError
    from pipelines.reference.code_lists import CodeListError

    run_config = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}
    try:
        defs = build_definitions(settings)
        if settings.parallel:
            from pipelines.definitions import province_job
            from pipelines.parallel_run import run_in_order

            with (
                writer,
                run_in_order(defs, settings, run_config, province_job) as (instance, results),
            ):
                outcome = _outcome(results)
                if timings:
                    _write_timings(Path(timings), defs, instance, results, started)
        else:
            job = defs.resolve_job_def(FULL_PIPELINE)
            with writer, DagsterInstance.ephemeral() as instance:
                result = job.execute_in_process(
                    instance=instance,
                    raise_on_error=False,
                    tags=full_run_tags(defs),
                    run_config=run_config,
                )
                outcome = _outcome([result])
                if timings:
                    _write_timings(Path(timings), defs, instance, [result], started)
    except (CdsIndexError, CalendarError, CodeListError) as exc:
        click.echo(f"✗ Dữ liệu tham chiếu không hợp lệ: {exc}", err=True)
        sys.exit(2)
    success, failures, evaluations = outcome
    failed_checks = [e for e in evaluations if e.severity.value == "ERROR"]
    warned_checks = [e for e in evaluations if e.severity.value == "WARN"]
    if not success:
        for step_key, msg in failures:
            click.echo(f"✗ Bước {step_key} thất bại: {msg}", err=True)
        sys.exit(1)
    from pipelines.summary import run_summary

    click.echo(run_summary(settings))
    for e in warned_checks:  # the run completed, but these are the officer's to-do
        first, *rest = (e.description or "").splitlines() or [""]
        click.echo(f"⚠ {e.asset_key.to_user_string()} / {e.check_name}: {first}")
        for line in rest:
            click.echo(f"    {line}")
    if failed_checks:
        for e in failed_checks:
            click.echo(
                f"✗ Kiểm tra {e.asset_key.to_user_string()} / {e.check_name} không đạt: dữ liệu "
                "phía sau không được cập nhật (xem chi tiết trong giao diện Dagster)",
                err=True,
            )
        sys.exit(1)
    click.echo(f"✓ Hoàn tất sau {time.monotonic() - started:.0f} giây.")
    # Everything is written and closed. Python's last collection at exit walks every object
    # of Dagster, dbt and pandas left loaded: 0.4 s of a 15 s incremental run. Frozen, they
    # are left to the OS (exit handlers still run).
    gc.freeze()


def _outcome(results: list) -> tuple[bool, list[tuple[str, str]], list]:
    """Whether every run succeeded, each failed step with its root cause, and the asset
    checks that did not pass, over the runs of one `cds run` (one, or three in parallel)."""
    failures, evaluations = [], []
    for result in results:
        evaluations += [e for e in result.get_asset_check_evaluations() if not e.passed]
        for event in result.all_events:
            if event.is_step_failure:
                err = event.step_failure_data.error
                while err is not None and err.cause is not None:  # the root cause, not wrappers
                    err = err.cause
                failures.append((event.step_key, err.message.strip() if err else ""))
    return all(r.success for r in results), failures, evaluations


def _write_timings(path: Path, defs, instance, results: list, started: float) -> None:
    import json

    from pipelines.run_timings import op_stages, stage_seconds, step_durations

    steps = [step for r in results for step in step_durations(instance, r.run_id)]
    stages = stage_seconds(steps, op_stages(defs))
    stages["overhead"] += time.monotonic() - started - sum(stages.values())
    path.write_text(
        json.dumps({"stages": stages, "steps": dict(steps)}, indent=1), encoding="utf-8"
    )


def _declared_source(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """`--source` names a declared source (the registry, read only when the option is given,
    so that `cds --help` stays quick)."""
    if value is None:
        return None
    from pipelines.ingest.sources import SOURCES

    if value not in SOURCES:
        raise click.BadParameter(f"'{value}' không phải nguồn đã khai báo ({', '.join(SOURCES)})")
    return value


def _exit_if_no_raw(settings: Settings) -> None:
    """The drop folder must exist: a run or a UI over a mistyped (or relative, from another
    folder) path would judge an empty registry and fail far from the cause."""
    if not settings.raw_dir.is_dir():
        raise click.ClickException(f"Không có thư mục dữ liệu nộp: {settings.raw_dir}")


def _exit_if_reference_broken(settings: Settings) -> None:
    """Every reference file checked before any work: a broken one is named with its
    loader's message, and the command exits 2."""
    from pipelines.ingest.sources import LAYOUT_COLUMNS, LAYOUT_FIELDS, PERIODS_BY_REPORT
    from pipelines.reference.validate import reference_errors

    if broken := reference_errors(
        settings.reference_file, PERIODS_BY_REPORT, LAYOUT_COLUMNS, LAYOUT_FIELDS
    ):
        for error in broken:
            click.echo(f"✗ Dữ liệu tham chiếu không hợp lệ: {error}", err=True)
        sys.exit(2)


@main.command(help="Kiểm tra tệp mà không nạp vào kho; in mọi lỗi tìm thấy.")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--source",
    default=None,
    callback=_declared_source,
    help="Loại tệp, tên một nguồn đã khai báo: schools, cds_assessment, emis_report, … "
    "(mặc định: đoán theo thư mục raw/<loại>/ hoặc theo tiêu đề cột).",
)
@click.option(
    "--raw",
    default="raw",
    show_default=True,
    help="Thư mục raw/ có danh mục trường để đối chiếu mã trường.",
)
@click.option("--reference", default=None, help="Thư mục dữ liệu tham chiếu thay thế.")
def check(files: tuple[str, ...], source: str | None, raw: str, reference: str | None) -> None:
    from pipelines.checker import check_files

    settings = _settings(raw, "warehouse", reference)
    _exit_if_reference_broken(settings)
    ok = check_files([Path(f) for f in files], settings, source, echo=click.echo)
    sys.exit(0 if ok else 1)


@main.command(help="Mở giao diện Dagster trên 127.0.0.1.")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=3000, show_default=True, type=int)
@click.option("--raw", default="raw", show_default=True)
@click.option("--warehouse", default="warehouse", show_default=True)
@click.option("--reference", default=None)
@_lake_options
@_parallel_option
def ui(
    host: str,
    port: int,
    raw: str,
    warehouse: str,
    reference: str | None,
    lake: str | None,
    lake_data: str | None,
    parallel: int | None,
) -> None:
    settings = _settings(raw, warehouse, reference, lake, lake_data, parallel)
    _exit_if_no_raw(settings)
    env = {
        **os.environ,
        **settings.to_env(),
        "DAGSTER_HOME": str(PROJECT_ROOT),
        "CDS_DAGSTER_STORAGE": os.environ.get(
            "CDS_DAGSTER_STORAGE", str(PROJECT_ROOT / ".dagster_home")
        ),
    }
    Path(env["CDS_DAGSTER_STORAGE"]).mkdir(parents=True, exist_ok=True)
    from pipelines.warehouse_lock import HELD_BY

    env.pop(HELD_BY, None)  # the UI's runs take the writer lock themselves, always
    cmd = [
        sys.executable,
        "-m",
        "dagster",
        "dev",
        "-m",
        "pipelines.definitions",
        "-h",
        host,
        "-p",
        str(port),
    ]
    click.echo(f"Giao diện Dagster: http://{host}:{port}")
    sys.stdout.flush()
    # `dagster dev` in place of this process (same pid): a service manager's SIGTERM to
    # `cds ui` reaches Dagster, which stops its webserver and daemon; as a child, the UI
    # outlived a stopped `cds ui` and kept the port. Dagster stops on SIGTERM through
    # Python's SIGINT handler, which Python does not install when SIGINT is ignored (a
    # shell's `cds ui &` ignores it): SIGTERM would then be ignored too.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    os.chdir(PROJECT_ROOT)
    os.execve(sys.executable, cmd, env)


@main.command(
    "lake-maintain",
    help="Bảo trì DuckLake: gộp tệp nhỏ, bỏ ảnh chụp (snapshot) cũ, xóa tệp không còn dùng.",
)
@click.option("--warehouse", default="warehouse", show_default=True, help="Thư mục kho dữ liệu.")
@_lake_options
@click.option(
    "--keep-days",
    default=7.0,
    show_default=True,
    type=click.FloatRange(min=0),
    help="Giữ ảnh chụp và tệp cũ trong ngần này ngày (xem lại dữ liệu cũ, người đang đọc).",
)
def lake_maintain(
    warehouse: str, lake: str | None, lake_data: str | None, keep_days: float
) -> None:
    if not (lake and lake.strip()):
        raise click.UsageError("Cần --lake (hoặc biến CDS_LAKE): DuckLake cần bảo trì.")
    settings = _settings("raw", warehouse, None, lake, lake_data)
    from pipelines.warehouse_lock import WarehouseBusy, warehouse_lock

    try:
        with warehouse_lock(settings.warehouse_dir, wait=False):
            _maintain_lake(settings, keep_days)
    except WarehouseBusy as exc:
        click.echo(f"✗ {exc}", err=True)
        sys.exit(3)


def _maintain_lake(settings: Settings, keep_days: float) -> None:
    import duckdb

    from pipelines.lake import attach
    from pipelines.lake_maintenance import maintain

    assert settings.lake is not None
    catalog_file = settings.lake.catalog_file
    if catalog_file is not None and not catalog_file.is_file():  # attaching would create it
        click.echo(f"✗ Không có DuckLake nào ở {catalog_file}: chưa có gì để bảo trì.", err=True)
        sys.exit(1)
    if refused := _lake_free(settings):
        code, reason = refused
        click.echo(f"✗ {reason}", err=True)
        sys.exit(code)
    click.echo(f"▶ DuckLake: {settings.lake.catalog} (dữ liệu: {settings.lake.data_path})")
    started = time.monotonic()
    con = duckdb.connect()
    try:
        attach(con, settings.lake, settings.warehouse_dir)
        report = maintain(con, keep_days, log=lambda line: click.echo(f"  {line}"))
    except duckdb.Error as exc:
        click.echo(f"✗ Bảo trì DuckLake thất bại: {exc}", err=True)
        sys.exit(1)
    finally:
        con.close()
    before, after = report.before, report.after
    click.echo(
        f"✓ Xong sau {time.monotonic() - started:.0f} giây: tệp dữ liệu {before.data_files} → "
        f"{after.data_files} ({before.bytes / 1e6:.1f} → {after.bytes / 1e6:.1f} MB), "
        f"ảnh chụp {before.snapshots} → {after.snapshots}."
    )


@main.command(help="Sinh dữ liệu nộp giả lập theo đúng định dạng hợp đồng dữ liệu.")
@click.option(
    "--scale",
    type=click.Choice(["district", "province", "national"]),
    default="district",
    show_default=True,
)
@click.option("--out", required=True, type=click.Path(file_okay=False))
@click.option("--seed", default=20241, show_default=True, type=int)
@click.option(
    "--faults", is_flag=True, help="Cài sẵn lỗi (mọi loại, hoặc các loại trong --fault-kinds)."
)
@click.option("--fault-kinds", default=None, help="Chỉ các loại lỗi này (cách nhau bởi dấu phẩy).")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["xlsx", "csv", "mixed"]),
    default="mixed",
    show_default=True,
)
@click.option(
    "--layout",
    type=click.Choice(["contract", "csdl", "mixed"]),
    default="contract",
    show_default=True,
    help="Bố cục danh sách học sinh, cán bộ: theo hợp đồng dữ liệu, tệp tải từ CSDL ngành "
    "(C1-HocSinh, CSDL_GiaoVien; trường, năm học, kỳ lấy từ thư mục), hay trộn cả hai.",
)
@click.option("--school-years", default="2024-2025,2025-2026", show_default=True)
@click.option("--workers", default=None, type=int, help="Số tiến trình (mặc định: số lõi CPU).")
@click.option(
    "--provinces",
    default=None,
    type=int,
    help="Chỉ sinh N tỉnh đầu tiên (đo một phần của quy mô toàn quốc).",
)
@click.option(
    "--districts",
    default=None,
    type=click.IntRange(min=1),
    help="Chỉ N huyện mỗi tỉnh (thu nhỏ quy mô, cho kiểm thử).",
)
@click.option(
    "--schools-per-level",
    default=None,
    type=click.IntRange(min=1),
    help="Tối đa N trường mỗi cấp học trong mỗi huyện (thu nhỏ quy mô).",
)
def generate(
    scale: str,
    out: str,
    seed: int,
    faults: bool,
    fault_kinds: str | None,
    fmt: str,
    layout: str,
    school_years: str,
    workers: int | None,
    provinces: int | None,
    districts: int | None,
    schools_per_level: int | None,
) -> None:
    from pipelines.generate import FAULT_KINDS
    from pipelines.generate import generate as gen

    kinds: set[str] = set()
    if faults:
        kinds = set(fault_kinds.split(",")) if fault_kinds else set(FAULT_KINDS)
        unknown = kinds - set(FAULT_KINDS)
        if unknown:
            raise click.ClickException(
                f"Loại lỗi không có: {', '.join(sorted(unknown))}. Có: {', '.join(FAULT_KINDS)}"
            )
    started = time.monotonic()
    manifest = gen(
        Path(out),
        scale=scale,
        seed=seed,
        faults=kinds,
        fmt=fmt,
        school_years=tuple(y.strip() for y in school_years.split(",")),
        workers=workers,
        provinces=provinces,
        layout=layout,
        districts=districts,
        schools_per_level=schools_per_level,
    )
    click.echo(
        f"Đã sinh {manifest['n_files']} tệp cho {manifest['n_schools']} trường vào {out} "
        f"trong {time.monotonic() - started:.1f} giây; {len(manifest['faults'])} lỗi cài sẵn "
        "(xem manifest.json)."
    )


if __name__ == "__main__":
    main()
