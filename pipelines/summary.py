"""The short summary `cds run` prints at the end, read from analytics.duckdb."""

from __future__ import annotations

import duckdb

from pipelines.settings import Settings

# Rejected files named one by one at the end of a run; a province's run rejects hundreds,
# which the follow-up list, the reports and marts.data_quality_issues hold all of.
SHOWN_REJECTED = 20


def run_summary(settings: Settings) -> str:
    con = duckdb.connect(str(settings.analytics_db), read_only=True)
    try:
        lines = ["", "Tóm tắt:"]
        n_schools, n_active = con.execute(
            "select count(*), count(*) filter (where is_active) from marts.dim_school"
        ).fetchone()
        lines.append(f"  Trường trong danh mục: {n_schools} ({n_active} đang hoạt động)")
        # every school of the warehouse: the nation's row (a registry may name no district)
        for year, n, assessed, l1, l2, l3 in con.execute(
            "select school_year, n_schools, n_assessed, n_level1, n_level2, n_level3 "
            "from marts.cds_maturity_area where area_level = 'nation' and level = 'ALL' "
            "order by school_year"
        ).fetchall():
            lines.append(
                f"  CĐS {year}: {assessed}/{n} trường đã đánh giá — mức 1: {l1}, mức 2: {l2}, "
                f"mức 3: {l3} (đã thẩm định)"
            )
        rejected = con.execute(
            "select source_file, message_vi from marts.data_quality_issues "
            "where kind = 'file_rejected' order by source_file"
        ).fetchall()
        lines.append(f"  Tệp bị từ chối: {len(rejected)}")
        lines.extend(f"    - {msg}" for _, msg in rejected[:SHOWN_REJECTED])
        if len(rejected) > SHOWN_REJECTED:
            lines.append(
                f"    … và {len(rejected) - SHOWN_REJECTED} tệp khác: xem trang 'Lỗi dữ liệu' "
                "của báo cáo Excel, hoặc bảng marts.data_quality_issues (kind = 'file_rejected')"
            )
        errors, warnings = con.execute(
            "select count(*) filter (where severity = 'error'), "
            "count(*) filter (where severity = 'warning') from marts.data_quality_issues"
        ).fetchone()
        lines.append(
            f"  Vấn đề dữ liệu: {errors} lỗi, {warnings} cảnh báo (bảng marts.data_quality_issues)"
        )
        lines.append(f"  Cơ sở dữ liệu cho phân tích: {settings.analytics_db}")
        return "\n".join(lines)
    finally:
        con.close()
