"""The dbt project as Dagster assets, grouped by layer (staging, intermediate, marts).

dbt tests become asset checks; unit tests are run by the test suite, not on every run.
"""

import hashlib
import os
import re
import shutil
import time
from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import dagster as dg
import duckdb
import polars as pl
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, DbtProject, dbt_assets
from dagster_dbt.asset_utils import get_manifest_and_translator_from_dbt_assets

from pipelines.assets.constants import DUCKDB_POOL, OWNER
from pipelines.assets.metadata import markdown_table
from pipelines.dbt_selection import BuildPlan, buildable_nodes, exclusion_args
from pipelines.reports.warmup import warm_up_in_background
from pipelines.resources import CdsPaths, DbtResource, WarehouseDuckDB, dbt_executable
from pipelines.settings import DBT_PROJECT_DIR
from pipelines.warehouse_lock import warehouse_lock

dbt_project = DbtProject(project_dir=DBT_PROJECT_DIR, profiles_dir=DBT_PROJECT_DIR)
# dbt's target folder: the manifest, the parse state, kept docs, each invocation's folder
TARGET_DIR = Path(dbt_project.project_dir) / dbt_project.target_path


def project_sources(project_dir: Path = DBT_PROJECT_DIR) -> list[Path]:
    """The files dbt parses: models, macros, tests and dbt_project.yml, in a stable order."""
    return sorted(
        p
        for pattern in ("models/**/*", "macros/**/*", "tests/**/*", "dbt_project.yml")
        for p in project_dir.glob(pattern)
        if p.is_file()
    )


def ensure_manifest(project: DbtProject = dbt_project) -> None:
    """Parse the project when the manifest is missing or older than any dbt source file.
    dbt is the one beside this Python, not whatever is on PATH: `.venv/bin/cds run` called
    by cron or a service manager has no activated environment (dagster-dbt's own preparer
    looks for `dbt` on PATH and fails there). Processes starting at once (a test suite, the
    UI's code server and a run) parse one at a time, each into its own folder, and the
    manifest is renamed into place: nobody ever reads half of it."""
    from filelock import FileLock

    manifest = project.manifest_path
    sources = project_sources(Path(project.project_dir))

    def fresh() -> bool:
        newest = max((p.stat().st_mtime for p in sources), default=0)
        return manifest.exists() and manifest.stat().st_mtime >= newest

    if fresh():
        return
    manifest.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(str(manifest.with_name("manifest.parse.lock")), timeout=900):
        if fresh():  # another process parsed it while this one waited
            return
        scratch = manifest.parent / f".parse-{os.getpid()}"
        try:
            dbt = DbtResource(project_dir=project, dbt_executable=dbt_executable())
            dbt.cli(["parse", "--quiet"], target_path=scratch).wait()
            state = scratch / "partial_parse.msgpack"
            if state.exists():
                os.replace(state, manifest.with_name("partial_parse.msgpack"))
            os.replace(scratch / "manifest.json", manifest)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)


def _keep_partial_parse(invocation) -> None:
    """Copy the invocation's parse state back to the project's target/, where dagster-dbt
    takes it for the next invocation: the next one starts from the latest parse, not from
    the one made with the manifest."""
    state = Path(invocation.target_path) / "partial_parse.msgpack"
    kept = TARGET_DIR / "partial_parse.msgpack"
    if state.exists() and state != kept:
        tmp = kept.with_name(f"{kept.name}.{os.getpid()}.tmp")
        shutil.copyfile(state, tmp)
        tmp.replace(kept)  # atomic: another process may be starting dbt from it


# What `dbt docs generate --static` writes that a reader opens; the rest is dbt's scratch.
DOCS_FILES = ("static_index.html", "index.html", "manifest.json", "catalog.json")


# dagster-dbt's folder for one invocation: `<op>-<run id[:7]>-<uuid[:7]>` (compiled SQL, the
# parse state, dbt's log; a build writes no manifest).
INVOCATION_FOLDER = re.compile(r"^[a-z_]+-[0-9a-f]{7}-[0-9a-f]{7}$")


def _last_written(folder: Path) -> float:
    """When anything in `folder` was last written: dbt writes each node's compiled SQL as it
    runs, while its log (warnings only) may stay untouched from start to end."""
    newest = folder.stat().st_mtime
    for path in folder.rglob("*"):
        try:
            newest = max(newest, path.stat().st_mtime)
        except FileNotFoundError:  # removed meanwhile
            continue
    return newest


def prune_invocations(target: Path, keep: int = 10, idle_seconds: float = 600) -> list[Path]:
    """Delete dbt's invocation folders under `target` but the `keep` newest, and never one
    written in the last `idle_seconds` (another process's dbt may be writing it). Every run
    left one behind, so the folder grew by 17 MB a run without end. Returns what it deleted."""
    folders = []
    for path in target.iterdir() if target.is_dir() else []:
        if path.is_dir() and INVOCATION_FOLDER.match(path.name):
            folders.append((_last_written(path), path))
    folders.sort(reverse=True)
    now = time.time()
    doomed = [path for mtime, path in folders[keep:] if now - mtime > idle_seconds]
    for path in doomed:
        shutil.rmtree(path, ignore_errors=True)
    return doomed


def keep_docs(generated: Path, shared: Path) -> None:
    """Keep generated docs under their fingerprint in the dbt project's target folder, so
    that another warehouse built by the same project with the same columns (a second
    office's, a test's) copies them instead of running dbt again. Written aside and renamed:
    another process may be reading or writing the same fingerprint."""
    if shared.exists():
        return
    aside = shared.with_name(f"{shared.name}.{os.getpid()}.tmp")
    shutil.rmtree(aside, ignore_errors=True)
    aside.mkdir(parents=True)
    for name in DOCS_FILES:
        shutil.copy2(generated / name, aside / name)
    try:
        aside.rename(shared)
    except OSError:  # the same docs, kept by another process meanwhile
        shutil.rmtree(aside, ignore_errors=True)


def copy_docs(shared: Path, target: Path) -> bool:
    """Copy docs kept under the same fingerprint into `target`; False when there are none."""
    if not all((shared / name).is_file() for name in DOCS_FILES):
        return False
    target.mkdir(parents=True, exist_ok=True)
    for name in DOCS_FILES:
        shutil.copy2(shared / name, target / name)
    return True


def docs_fingerprint(project_dir: Path, columns: list[tuple]) -> str:
    """What the dbt docs show: the project's sources and the warehouse's columns."""
    h = hashlib.sha256()
    for path in project_sources(project_dir):
        h.update(path.relative_to(project_dir).as_posix().encode())
        h.update(path.read_bytes())
    h.update(repr(sorted(columns)).encode())
    return h.hexdigest()


class LayeredTranslator(DagsterDbtTranslator):
    """Models keyed and grouped by their folder: `marts/cds_maturity_school`."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "model":
            return dg.AssetKey([dbt_resource_props["fqn"][1], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props["resource_type"] == "model":
            return dbt_resource_props["fqn"][1]
        return super().get_group_name(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return [OWNER]

    def get_description(self, dbt_resource_props: Mapping[str, Any]) -> str:
        """The model's YAML description, after its Vietnamese name where labels_vi.csv has
        one; never the raw SQL dagster-dbt would append (officers read this)."""
        name = dbt_resource_props["name"]
        text = " ".join((dbt_resource_props.get("description") or "").split())
        if not hasattr(self, "_labels"):  # read once per translator
            self._labels = _table_labels()
        label = self._labels.get(name)
        if label and text:
            return f"{label} — {text}"
        return label or text or f"Bảng {name} (dbt)"

    def get_asset_check_spec(
        self,
        asset_spec: dg.AssetSpec,
        manifest: Mapping[str, Any],
        unique_id: str,
        project: DbtProject | None,
    ) -> dg.AssetCheckSpec | None:
        spec = super().get_asset_check_spec(asset_spec, manifest, unique_id, project)
        if spec is None or spec.description:
            return spec
        test = manifest["nodes"].get(unique_id, {})
        return spec._replace(description=dbt_test_description(test))


def _table_labels() -> dict[str, str]:
    """Vietnamese table names (labels_vi.csv, the --reference one if any)."""
    from pipelines.reference.labels import load_labels_or_none
    from pipelines.settings import Settings

    return load_labels_or_none(Settings.from_env().reference_file("labels_vi.csv")).tables


def _listed(values: Any) -> str:
    if isinstance(values, list | tuple):
        return ", ".join(str(v) for v in values)
    return str(values)


def _row_rules_description(kwargs: Mapping[str, Any]) -> str:
    """The rules of a `row_rules` test (dbt_project/macros/row_rules.sql), one sentence each."""
    rules = []
    if kwargs.get("not_null"):
        rules.append(f"Các cột không được để trống: {_listed(kwargs['not_null'])}.")
    for column, values in (kwargs.get("accepted_values") or {}).items():
        rules.append(f"Cột {column} chỉ nhận các giá trị: {_listed(values)}.")
    for column, (low, high) in (kwargs.get("between") or {}).items():
        rules.append(f"Cột {column} nằm trong khoảng {low} đến {high}.")
    for expression in kwargs.get("expressions") or []:
        rules.append(f"Mọi dòng thỏa điều kiện: {' '.join(str(expression).split())}.")
    return " ".join(rules) + " Các dòng sai có cột broken_rules nêu quy tắc bị vi phạm."


def dbt_test_description(test: Mapping[str, Any]) -> str:
    """What a dbt test checks, in Vietnamese, from its generic test's name and arguments."""
    meta = test.get("test_metadata") or {}
    kwargs = meta.get("kwargs") or {}
    column = kwargs.get("column_name")
    kind = meta.get("name")
    if kind == "not_null":
        what = f"Cột {column} không được để trống."
    elif kind == "row_rules":
        what = _row_rules_description(kwargs)
    elif kind == "unique":
        what = f"Mỗi giá trị của cột {column} chỉ xuất hiện một lần."
    elif kind == "accepted_values":
        what = f"Cột {column} chỉ nhận các giá trị: {_listed(kwargs.get('values', []))}."
    elif kind == "relationships":
        target = str(kwargs.get("to", "")).replace("ref(", "").strip("()'\" ")
        what = f"Mỗi giá trị của cột {column} có trong cột {kwargs.get('field')} của {target}."
    elif kind == "unique_combination":
        what = f"Không có hai dòng trùng nhau ở bộ cột: {_listed(kwargs.get('columns', []))}."
    else:
        what = " ".join((test.get("description") or "").split()) or (
            f"Kiểm tra dbt {test.get('name', '')}: không có dòng nào vi phạm."
        )
    severity = str((test.get("config") or {}).get("severity") or "error").lower()
    effect = (
        "Mức lỗi: không đạt thì dừng các bước phía sau."
        if severity == "error"
        else "Mức cảnh báo: không đạt chỉ báo vàng, không chặn."
    )
    return f"{what} {effect}"


def failing_examples(con, compiled_sql: str | None, limit: int = 5) -> pl.DataFrame:
    """The first rows a failed dbt test returns (its compiled query selects the failures)."""
    if not compiled_sql:
        return pl.DataFrame()
    try:
        return con.sql(f"select * from ({compiled_sql}) as failures limit {limit}").pl()
    except duckdb.Error:
        return pl.DataFrame()


def broken_rule_counts(con, compiled_sql: str | None) -> list[tuple[str, int]]:
    """A failed `row_rules` test's rules with the rows breaking each, most first; none for
    another test (its rows have no `broken_rules`)."""
    if not compiled_sql:
        return []
    try:
        return con.sql(
            f"select rule, count(*) as n from (select unnest(broken_rules) as rule "
            f"from ({compiled_sql}) as failures) group by rule order by n desc, rule"
        ).fetchall()
    except duckdb.Error:
        return []


def _with_examples(result: dg.AssetCheckResult, compiled: dict, con) -> dg.AssetCheckResult:
    unique_id = _meta(result, "unique_id")
    sql = compiled.get(unique_id)
    examples = failing_examples(con, sql)
    count = _meta(result, "dagster_dbt/failed_row_count")
    rules = broken_rule_counts(con, sql)
    # a row_rules test names each rule broken and its rows, on the line `cds run` prints
    which = "; ".join(f"{rule}: {n} dòng" for rule, n in rules)
    return dg.AssetCheckResult(
        passed=result.passed,
        asset_key=result.asset_key,
        check_name=result.check_name,
        severity=result.severity,
        description=f"dbt test {result.check_name} trên {result.asset_key.to_user_string()}: "
        f"{count} dòng sai" + (f" — {which}" if which else "") + f" (quy tắc {unique_id})",
        metadata={**result.metadata, "failing_examples": markdown_table(examples)},
    )


TRANSLATOR = LayeredTranslator()


def _whole_project(context: dg.AssetExecutionContext) -> bool:
    """Whether this step builds every dbt model and test (a full run, not a subset: a UI
    selection, or a sensor run of what a file affects), as dagster-dbt itself tells."""
    assets_def = context.assets_def
    return (
        assets_def.keys_by_output_name == assets_def.node_keys_by_output_name
        and assets_def.check_specs_by_output_name == assets_def.node_check_specs_by_output_name
    )


def _plan(context: dg.AssetExecutionContext, duckdb: WarehouseDuckDB, manifest: Mapping[str, Any]):
    """What this build must run since the last successful one, and the state it builds from."""
    from pipelines.dbt_selection import BuildState, plan_build, project_fingerprint
    from pipelines.dbt_state import last_state, missing_relations, source_fingerprints
    from pipelines.settings import run_date

    with duckdb.get_connection() as con:
        state = BuildState(
            project_fingerprint(manifest),
            run_date().isoformat(),
            source_fingerprints(con, manifest),
        )
        previous = last_state(con)
        plan = plan_build(manifest, previous, state, missing_relations(con, manifest))
    total = len(buildable_nodes(manifest))
    context.log.info(
        f"dbt: {'dựng toàn bộ' if plan.full else f'dựng {len(plan.nodes)}/{total} nút'} "
        f"({plan.reason})"
    )
    return plan, state, previous


def _unchanged_outputs(
    context: dg.AssetExecutionContext, manifest: Mapping[str, Any], plan
) -> list:
    """An output for every model this build does not run, in dependency order: its table
    already holds what a rebuild would give (none of its inputs changed), and the steps
    after it wait for it."""
    from pipelines.dbt_selection import unchanged_models

    return [
        dg.Output(
            None,
            output_name=context.assets_def.get_output_name_for_asset_key(
                TRANSLATOR.get_asset_key(manifest["nodes"][uid])
            ),
            metadata={
                "dựng lại": False,
                "lý do": "không đầu vào nào đổi từ lần dựng thành công trước",
            },
        )
        for uid in unchanged_models(manifest, plan)
    ]


def _kept_check_results(
    context: dg.AssetExecutionContext, manifest: Mapping[str, Any], plan, previous
):
    """The result of every test this build does not run: the last build's, which stands
    because none of the test's inputs changed (a warning test that failed still fails)."""
    from dagster_dbt.asset_utils import get_asset_check_key_for_test

    from pipelines.dbt_selection import unchanged_tests

    checks = set(context.assets_def.check_keys)
    for uid in unchanged_tests(manifest, plan):
        key = get_asset_check_key_for_test(manifest, TRANSLATOR, uid, dbt_project)
        if key is None or key not in checks:
            continue
        warned = uid in previous.warned
        yield dg.AssetCheckResult(
            asset_key=key.asset_key,
            check_name=key.name,
            passed=not warned,
            severity=dg.AssetCheckSeverity.WARN if warned else dg.AssetCheckSeverity.ERROR,
            description=f"dbt test {key.name}: {'không đạt' if warned else 'đạt'} ở lần dựng "
            "trước; không chạy lại vì không đầu vào nào đổi.",
            metadata={"chạy lại": False, "unique_id": uid},
        )


def build_dbt_assets() -> dg.AssetsDefinition:
    ensure_manifest()

    @dbt_assets(
        manifest=dbt_project.manifest_path,
        project=dbt_project,
        dagster_dbt_translator=TRANSLATOR,
        pool=DUCKDB_POOL,
    )
    def dbt_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, duckdb: WarehouseDuckDB):
        """dbt build of what changed since the last successful build of the whole project
        (`pipelines.dbt_selection`; everything on a first run, a changed project or a UI
        subset); failed tests get their first failing rows as metadata (read once dbt has
        released the warehouse), and a failed build names the tests that broke."""
        from pipelines.dbt_selection import warned_after
        from pipelines.dbt_state import record_build

        failed: list[dg.AssetCheckResult] = []
        prune_invocations(TARGET_DIR)
        # the manifest the assets were built from, already parsed by dagster-dbt
        manifest = get_manifest_and_translator_from_dbt_assets([context.assets_def])[0]
        whole = _whole_project(context)
        with warehouse_lock(duckdb.warehouse_dir, wait=True, log=context.log.info):
            plan, state, previous = _plan(context, duckdb, manifest) if whole else (None,) * 3
            invocation = None
            if plan is not None and not plan.full:  # before the models that read them
                yield from _unchanged_outputs(context, manifest, plan)
                yield from _kept_check_results(context, manifest, plan, previous)
            if plan is None or plan.nodes:
                args = build_args(manifest, plan)
                invocation = dbt.cli(args, context=context, raise_on_error=False)
                # this process mostly waits for dbt's output now: load the report writers
                warming = warm_up_in_background()
                for event in invocation.stream():
                    if isinstance(event, dg.AssetCheckResult) and not event.passed:
                        failed.append(event)
                    else:
                        yield event
                warming.join()  # long done by now; never left running into a failing exit
        if failed:
            failed = _explained(context, duckdb, invocation, manifest, failed)
            yield from failed
        if invocation is not None:
            _keep_partial_parse(invocation)
            if not invocation.is_successful():
                broken = [r.description for r in failed if r.severity.value == "ERROR"]
                raise dg.Failure(
                    description="dbt build thất bại: "
                    + ("; ".join(broken) if broken else "xem nhật ký dbt của bước này"),
                    metadata={"failed_tests": len(broken)},
                )
        if plan is not None:  # what the models are now made from
            warned = {_meta(r, "unique_id") for r in failed if r.severity.value == "WARN"}
            state = replace(state, warned=warned_after(previous, plan, warned))
            with duckdb.get_connection() as con:
                record_build(con, state, plan, len(buildable_nodes(manifest)), context.run_id)

    return dbt_models


# dbt's file log (`dbt.log` in the invocation's folder) at debug level formats every query
# of every node, and its four threads queue on the log handler's lock: 1 s of a 9 s
# incremental build (benchmarks/profiling.md). Warnings and errors are kept there; the
# build's info events go to its JSON output (the step's stdout in the UI) either way.
FILE_LOG_LEVEL = "warn"


def build_args(manifest: Mapping[str, Any], plan: BuildPlan | None) -> list[str]:
    """`dbt build`'s arguments: every model and data test, or those `plan` leaves to build.
    No manifest.json nor run_results.json written at the end (0.3 s): the results come from
    dbt's events, a failed test's SQL from its compiled file (`compiled_sql`)."""
    args = ["build", "--exclude-resource-type", "unit_test", "--no-write-json"]
    args += file_log_args()
    if plan is not None and not plan.full:
        args += exclusion_args(manifest, plan)
    return args


def file_log_args() -> list[str]:
    """`--log-level-file warn`, unless DBT_LOG_LEVEL_FILE asks for another level (debug, to
    read each query again)."""
    return [] if os.environ.get("DBT_LOG_LEVEL_FILE") else ["--log-level-file", FILE_LOG_LEVEL]


def compiled_sql(target: Path, node: Mapping[str, Any]) -> str | None:
    """The SQL dbt compiled for `node` in the invocation folder `target` (dbt writes every
    node's, `compiled/<package>/<file>[/<node>.sql]`, as dbt-core's get_target_write_path
    names it); None when it is not there."""
    original, name = node.get("original_file_path", ""), node.get("path", "")
    relative = original if Path(name).name == Path(original).name else f"{original}/{name}"
    path = target / "compiled" / node.get("package_name", "") / relative
    return path.read_text(encoding="utf-8") if path.is_file() else None


def _explained(
    context, duckdb: WarehouseDuckDB, invocation, manifest: Mapping[str, Any], failed: list
) -> list:
    """The failed tests' results with their first failing rows, each logged. The build
    writes no manifest (`--no-write-json`): the SQL comes from its compiled files."""
    target = Path(invocation.target_path)
    compiled = {
        uid: compiled_sql(target, manifest["nodes"][uid])
        for uid in (_meta(r, "unique_id") for r in failed)
        if uid in manifest["nodes"]
    }
    with duckdb.get_connection() as con:
        failed = [_with_examples(r, compiled, con) for r in failed]
    for result in failed:
        log = context.log.warning if result.severity.value == "WARN" else context.log.error
        log(result.description)
    return failed


def _meta(result: dg.AssetCheckResult, name: str) -> Any:
    value = result.metadata.get(name)
    return getattr(value, "value", value)


@dg.asset(
    key=["publish", "dbt_docs"],
    group_name="publish",
    owners=[OWNER],
    pool=DUCKDB_POOL,
    kinds={"dbt"},
    deps=[["publish", "analytics_db"]],
    description=(
        "Tài liệu dbt: warehouse/docs/dbt/static_index.html, mô tả mọi bảng và cột (tên tiếng "
        "Việt), các phép kiểm tra và dòng dữ liệu (lineage); một tệp mở được khi không có mạng "
        "(`dbt docs generate --static`)."
    ),
)
def dbt_docs(
    context: dg.AssetExecutionContext,
    dbt: DbtCliResource,
    paths: CdsPaths,
    duckdb: WarehouseDuckDB,
) -> dg.MaterializeResult:
    target = paths.settings.warehouse_dir / "docs" / "dbt"
    page = target / "static_index.html"
    stamp = target / "fingerprint.txt"
    with duckdb.get_connection() as con:
        columns = con.execute(
            "select table_catalog, table_schema, table_name, column_name, data_type "
            "from information_schema.columns where table_schema not in ('landing', 'audit') "
            "and table_catalog = current_database()"
        ).fetchall()
    fingerprint = docs_fingerprint(DBT_PROJECT_DIR, columns)
    regenerated = not (page.exists() and stamp.exists() and stamp.read_text() == fingerprint)
    shared = TARGET_DIR / f"docs-{fingerprint[:16]}"
    reused = regenerated and copy_docs(shared, target)
    if regenerated and not reused:
        with warehouse_lock(duckdb.warehouse_dir, wait=True, log=context.log.info):
            invocation = dbt.cli(
                ["docs", "generate", "--static"],
                manifest=dbt_project.manifest_path,
                target_path=target,
            ).wait()
        _keep_partial_parse(invocation)
        keep_docs(target, shared)
    if regenerated:
        stamp.write_text(fingerprint)
    else:
        context.log.info("Tài liệu dbt không đổi (cùng dự án, cùng các cột): không tạo lại")
    return dg.MaterializeResult(
        metadata={
            "đã tạo lại": regenerated,
            "chép từ bản đã tạo": reused,
            "tệp": dg.MetadataValue.path(str(page)),
            "mở trang": dg.MetadataValue.url(page.as_uri()),
            "dung lượng (KB)": round(page.stat().st_size / 1024, 1),
        }
    )
