"""What was wrong with the files a run loaded, as non-blocking warning checks (issue 15).

A run that loads a rejected file, quarantines rows or breaks a rule must not look all green:
each landing asset carries the check `tep_moi_hop_le` (the files it loaded in this run have
no problem), and the published issue list carries `quy_tac_tep_moi` (no consistency rule is
broken by a file of this run). Both fail with WARN: the run and the asset turn yellow, and
the description names school, file and rule in Vietnamese. They block nothing: the data
stays usable, the officer has something to chase.
"""

from datetime import datetime

import dagster as dg
import duckdb
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.assets.constants import DUCKDB_POOL
from pipelines.assets.metadata import markdown_table

FILES_CHECK = "tep_moi_hop_le"
RULES_CHECK = "quy_tac_tep_moi"
SHOWN = 5  # problems named in a check's description; the metadata table has them all

SEVERITY_VI = {"error": "lỗi", "warning": "cảnh báo"}

_PROBLEM_SCHEMA = {
    "school_code": pl.String,
    "source_file": pl.String,
    "rule_id": pl.String,
    "severity": pl.String,
    "n": pl.Int64,
    "message_vi": pl.String,
}


def landing_problems(
    con: duckdb.DuckDBPyConnection, source: str, loaded_at: datetime
) -> pl.DataFrame:
    """Per file and rule, the problems of the files one landing step wrote (`loaded_at` is
    that step's stamp): rejections, quarantined rows and warnings; errors first."""
    return con.sql(
        """
        select * from (
            select school_code, source_file, rule_id, severity, count(*)::bigint as n,
                   min(message_vi) as message_vi
            from audit.ingest_issues
            where source = ? and loaded_at = ?
            group by all
        )
        order by severity = 'error' desc, n desc, source_file, rule_id
        """,
        params=[source, loaded_at],
    ).pl()


def rule_breaches_since(con: duckdb.DuckDBPyConnection, since: datetime) -> pl.DataFrame:
    """Consistency-rule breaches (dbt's `data_quality_issues`, kind `rule_violation`) of the
    files loaded since `since` (the run's start)."""
    try:
        return con.sql(
            """
            select * from (
                select i.school_code, i.source_file, i.rule_id, i.severity,
                       count(*)::bigint as n, min(i.message_vi) as message_vi
                from marts.data_quality_issues i
                where i.kind = 'rule_violation'
                  and i.source_file in (
                      select source_file from audit.ingest_files where loaded_at >= ?
                  )
                group by all
            )
            order by severity = 'error' desc, n desc, source_file, rule_id
            """,
            params=[since],
        ).pl()
    except duckdb.CatalogException:  # nothing published yet
        return pl.DataFrame(schema=_PROBLEM_SCHEMA)


def describe(problems: pl.DataFrame, what: str) -> str:
    """A Vietnamese heading (how many files), then one line per file and rule, the first
    few only: the metadata table has them all."""
    files = problems["source_file"].n_unique()
    lines = [
        f"- trường {r['school_code'] or '(chưa rõ)'}, tệp '{r['source_file']}', "
        f"quy tắc {r['rule_id']} ({SEVERITY_VI.get(r['severity'], r['severity'])}, "
        f"{r['n']} lần): {r['message_vi']}"
        for r in problems.head(SHOWN).iter_rows(named=True)
    ]
    more = problems.height - SHOWN
    if more > 0:
        lines.append(f"- … và {more} nhóm lỗi khác (xem bảng 'chi tiết')")
    return "\n".join([f"{files} tệp {what}:", *lines])


def problems_result(
    problems: pl.DataFrame, check_name: str, asset: dg.AssetKey, what: str
) -> dg.AssetCheckResult:
    table = problems.rename(
        {
            "school_code": "trường",
            "source_file": "tệp",
            "rule_id": "quy tắc",
            "severity": "mức",
            "n": "số lần",
            "message_vi": "nội dung",
        }
    )
    return dg.AssetCheckResult(
        check_name=check_name,
        asset_key=asset,
        passed=problems.height == 0,
        severity=dg.AssetCheckSeverity.WARN,
        description=describe(problems, what) if problems.height else f"Không có tệp {what}",
        metadata={
            "số tệp có vấn đề": problems["source_file"].n_unique(),
            "số lỗi (cách ly, từ chối)": int(
                problems.filter(pl.col("severity") == "error")["n"].sum()
            ),
            "số cảnh báo": int(problems.filter(pl.col("severity") == "warning")["n"].sum()),
            "chi tiết": markdown_table(table),
        },
    )


def files_check_spec(asset: dg.AssetKey) -> dg.AssetCheckSpec:
    return dg.AssetCheckSpec(
        FILES_CHECK,
        asset=asset,
        blocking=False,
        description=(
            "Các tệp nạp trong lần chạy này không có vấn đề: không tệp bị từ chối, không dòng bị "
            "cách ly, không cảnh báo. Nếu có, kiểm tra chuyển vàng (không chặn) và nêu trường, "
            "tệp, quy tắc cần sửa."
        ),
    )


MARTS_ISSUES = dg.AssetKey(["marts", "data_quality_issues"])


@dg.asset_check(
    asset=MARTS_ISSUES,
    name=RULES_CHECK,
    blocking=False,
    pool=DUCKDB_POOL,
    description=(
        "Các tệp nạp trong lần chạy này không vi phạm quy tắc nhất quán nào (tổng khớp chi "
        "tiết, so với kỳ trước, so với trường khác, so với dữ liệu CSDL ngành). Nếu có, kiểm tra "
        "chuyển vàng (không chặn) và nêu trường, tệp, quy tắc."
    ),
)
def new_rule_breaches(
    context: dg.AssetCheckExecutionContext, duckdb: DuckDBResource
) -> dg.AssetCheckResult:
    record = context.instance.get_run_record_by_id(context.run.run_id)
    started = record.start_time if record and record.start_time else None
    since = datetime.fromtimestamp(started) if started else datetime.now()
    with duckdb.get_connection() as con:
        breaches = rule_breaches_since(con, since)
    result = problems_result(breaches, RULES_CHECK, MARTS_ISSUES, "vi phạm quy tắc nhất quán")
    if breaches.height:
        context.log.warning(result.description)
    return result
