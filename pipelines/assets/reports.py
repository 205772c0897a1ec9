"""What the district sends and shows, built from analytics.duckdb after each publication:
Parquet copies, the Excel report for the province, the HTML report."""

from __future__ import annotations

import dagster as dg
import duckdb

from pipelines.assets.constants import OWNER
from pipelines.reference.labels import load_labels
from pipelines.reports.content import (
    ReportContext,
    report_area_level,
    report_period,
    report_unit,
    report_year,
    section_frames,
)
from pipelines.reports.parquet import export_parquet
from pipelines.resources import CdsPaths
from pipelines.settings import run_date

ANALYTICS = dg.AssetKey(["publish", "analytics_db"])


def _read_analytics(paths: CdsPaths) -> duckdb.DuckDBPyConnection:
    return duckdb.connect(str(paths.settings.analytics_db), read_only=True)


def _report_inputs(paths: CdsPaths):
    settings = paths.settings
    labels = load_labels(settings.reference_file("labels_vi.csv"))
    con = _read_analytics(paths)
    try:
        year = report_year(con)
        if year is None:
            raise dg.Failure("Chưa có dữ liệu năm học nào trong analytics.duckdb để lập báo cáo")
        unit, unit_level = report_unit(con)
        ctx = ReportContext(
            unit=unit,
            school_year=year,
            period=report_period(con, year),
            made_on=run_date(),  # `cds run`'s one date for the run, else today
            unit_level=unit_level,
            area_level=report_area_level(con, year),
        )
        frames = section_frames(con, ctx)
    finally:
        con.close()
    return settings, labels, ctx, frames


@dg.asset(
    key=["publish", "parquet_exports"],
    group_name="publish",
    owners=[OWNER],
    kinds={"parquet", "duckdb"},
    deps=[ANALYTICS],
    description=(
        "Bản Parquet của mọi bảng đã xuất bản, warehouse/parquet/, chia theo năm học (thư mục "
        "`bảng/school_year=…/`), cho các phần mềm khác DuckDB. Thư mục mới được dựng bên cạnh "
        "rồi thay thư mục cũ."
    ),
)
def parquet_exports(paths: CdsPaths) -> dg.MaterializeResult:
    folder = paths.settings.warehouse_dir / "parquet"
    con = _read_analytics(paths)
    try:
        counts = export_parquet(con, folder)
    finally:
        con.close()
    return dg.MaterializeResult(
        metadata={
            "thư mục": dg.MetadataValue.path(str(folder)),
            "số bảng": len(counts),
            "dagster/row_count": sum(counts.values()),
        }
    )


@dg.asset(
    key=["publish", "excel_report"],
    group_name="publish",
    owners=[OWNER],
    kinds={"excel"},
    deps=[ANALYTICS],
    description=(
        "Báo cáo Excel gửi Sở, warehouse/reports/bao_cao_cds_<năm học>.xlsx: trang bìa (đơn vị, "
        "năm học, ngày lập, nội dung từng trang), rồi mức CĐS từng trường, tổng hợp theo cấp "
        "học, tình hình nộp báo cáo, mức đầy đủ dữ liệu và chỉ tiêu hạ tầng; tiêu đề tiếng "
        "Việt (từ reference/labels_vi.csv), có bộ lọc, cố định dòng tiêu đề và tô màu theo mức."
    ),
)
def excel_report(paths: CdsPaths) -> dg.MaterializeResult:
    settings, labels, ctx, frames = _report_inputs(paths)
    path = settings.warehouse_dir / "reports" / f"bao_cao_cds_{ctx.school_year}.xlsx"
    from pipelines.reports.excel import write_excel_report  # xlsxwriter: only here

    rows = write_excel_report(path, frames, ctx, labels)
    return dg.MaterializeResult(
        metadata={
            "tệp": dg.MetadataValue.path(str(path)),
            "năm học": ctx.school_year,
            "đơn vị": ctx.unit,
            "số dòng từng trang tính": dg.MetadataValue.json(rows),
        }
    )


@dg.asset(
    key=["publish", "html_report"],
    group_name="publish",
    owners=[OWNER],
    kinds={"html"},
    deps=[ANALYTICS],
    description=(
        "Báo cáo trang web, warehouse/reports/bao_cao_cds_<năm học>.html: một trang mở được "
        "không cần Internet, có biểu đồ (mức CĐS theo cấp học, nộp báo cáo đúng hạn, chỉ tiêu "
        "hạ tầng) và bảng xếp hạng mức đầy đủ dữ liệu."
    ),
)
def html_report(paths: CdsPaths) -> dg.MaterializeResult:
    settings, labels, ctx, frames = _report_inputs(paths)
    path = settings.warehouse_dir / "reports" / f"bao_cao_cds_{ctx.school_year}.html"
    from pipelines.reports.html import write_html_report  # Altair and vl-convert: only here

    write_html_report(path, frames, ctx, labels)
    return dg.MaterializeResult(
        metadata={
            "tệp": dg.MetadataValue.path(str(path)),
            "mở báo cáo": dg.MetadataValue.url(path.as_uri()),
            "năm học": ctx.school_year,
            "dung lượng (KB)": round(path.stat().st_size / 1024, 1),
        }
    )


@dg.asset(
    key=["publish", "school_todo"],
    group_name="publish",
    owners=[OWNER],
    kinds={"excel"},
    deps=[ANALYTICS],
    description=(
        "Việc cần làm của từng trường: warehouse/reports/truong/<mã trường>.xlsx, một tệp nhỏ "
        "cho mỗi trường còn báo cáo chưa nộp hoặc lỗi cần sửa (việc cần đôn đốc theo thứ tự ưu "
        "tiên, rồi từng lỗi với tệp, trang tính, dòng, cột), để Phòng/Sở gửi thư cho trường."
    ),
)
def school_todo(paths: CdsPaths) -> dg.MaterializeResult:
    settings, labels, ctx, frames = _report_inputs(paths)
    folder = settings.warehouse_dir / "reports" / "truong"
    from pipelines.reports.school_todo import write_school_todos  # xlsxwriter: only here

    written = write_school_todos(
        folder, frames["follow_up"], frames["issues"], ctx, labels, frames["places"]
    )
    return dg.MaterializeResult(
        metadata={
            "thư mục": dg.MetadataValue.path(str(folder)),
            "số trường có việc cần làm": len(written),
            "dagster/row_count": sum(written.values()),
        }
    )


@dg.asset(
    key=["publish", "statistical_forms"],
    group_name="publish",
    owners=[OWNER],
    kinds={"excel"},
    deps=[ANALYTICS],
    description=(
        "Biểu mẫu thống kê đầu năm Sở gửi Bộ (Thông tư 25/2024: 01.ĐN-MN, 02.ĐN-TH, "
        "03.ĐN-THCS), warehouse/reports/bieu_mau/<năm học>/<biểu>.xlsx cho tỉnh, và cùng biểu "
        "cho từng xã (xa/<mã>/) và từng huyện cũ (huyen/<mã>/): khối tiêu đề, dòng chữ cái, "
        "các chỉ tiêu theo thứ tự của reference/statistical_forms.csv, cột Tổng số / Công lập / "
        "Tư thục (/ Dân lập), Nữ, Dân tộc; trang cuối 'Chỉ tiêu chưa có dữ liệu' liệt kê các "
        "dòng để trống và lý do. Số liệu từ bảng statistical_forms_area."
    ),
)
def statistical_forms(paths: CdsPaths) -> dg.MaterializeResult:
    settings = paths.settings
    from pipelines.reference.statistical_forms import load_statistical_forms
    from pipelines.reports.statistical_forms import write_statistical_forms  # xlsxwriter

    layout = load_statistical_forms(settings.reference_file("statistical_forms.csv"))
    con = _read_analytics(paths)
    try:
        values = con.sql(
            "select * from marts.statistical_forms_area order by school_year, area_level, "
            "area_code, form, row_order"
        ).pl()
    finally:
        con.close()
    folder = settings.warehouse_dir / "reports" / "bieu_mau"
    written = write_statistical_forms(folder, values, layout)
    return dg.MaterializeResult(
        metadata={
            "thư mục": dg.MetadataValue.path(str(folder)),
            "biểu của tỉnh": dg.MetadataValue.json(written["province_files"]),
            "số tệp": written["n_workbooks"],
            "số chỉ tiêu tính được mỗi biểu": dg.MetadataValue.json(written["computed_rows"]),
            "số chỉ tiêu chưa có dữ liệu mỗi biểu": dg.MetadataValue.json(written["blank_rows"]),
            "năm học": ", ".join(values["school_year"].unique(maintain_order=True).to_list()),
        }
    )


REVIEW_SCHOOLS_SQL = """
select m.school_code, m.school_year, coalesce(d.school_name, m.school_code) as school_name,
    m.self_level, m.verified_level, m.reviewed_level
from marts.cds_maturity_school as m
left join marts.dim_school as d on d.school_code = m.school_code
"""
REVIEW_SCORES_SQL = """
select s.*, coalesce(d.school_name, s.school_code) as school_name
from marts.cds_indicator_scores as s
left join marts.dim_school as d on d.school_code = s.school_code
"""


@dg.asset(
    key=["publish", "review_worksheets"],
    group_name="publish",
    owners=[OWNER],
    kinds={"excel"},
    deps=[ANALYTICS],
    description=(
        "Phiếu thẩm định của từng trường đã tự đánh giá CĐS: "
        "warehouse/reports/tham_dinh/<năm học>/<mã trường>.xlsx, đúng định dạng raw/cds_review/ "
        "(hợp đồng dữ liệu §2.6): mỗi chỉ số một dòng (dòng đầu là cả phiếu), cột quyết định để "
        "trống, bên cạnh là điểm tự đánh giá, điểm đã kiểm tra, minh chứng, tỉ lệ trường kê "
        "khai và theo dữ liệu đã nộp, ghi chú kiểm tra và quyết định đang có hiệu lực. Cán bộ "
        "thẩm định điền rồi chép vào raw/cds_review/; lần chạy sau tự nạp."
    ),
)
def review_worksheets(paths: CdsPaths) -> dg.MaterializeResult:
    import polars as pl

    from pipelines.reference.cds_index import load_index
    from pipelines.reports.review_sheets import SCORE_COLUMNS, write_review_worksheets

    settings = paths.settings
    labels = load_labels(settings.reference_file("labels_vi.csv"))
    names = {
        i.code: i.name for i in load_index(settings.reference_file("cds_index.yaml")).indicators
    }
    con = _read_analytics(paths)
    try:
        schools = con.sql(REVIEW_SCHOOLS_SQL).pl()
        scores = con.sql(REVIEW_SCORES_SQL).pl()
    finally:
        con.close()
    scores = scores.with_columns(
        pl.col("indicator_code")
        .replace_strict(names, default=None, return_dtype=pl.String)
        .alias("indicator_name")
    ).select(SCORE_COLUMNS)
    folder = settings.warehouse_dir / "reports" / "tham_dinh"
    written = write_review_worksheets(folder, schools, scores, labels)
    per_year = schools.group_by("school_year").len().sort("school_year")
    return dg.MaterializeResult(
        metadata={
            "thư mục": dg.MetadataValue.path(str(folder)),
            "số phiếu": len(written),
            "số phiếu theo năm học": dg.MetadataValue.json(
                dict(zip(per_year["school_year"], per_year["len"], strict=True))
            ),
            "ví dụ": dg.MetadataValue.path(str(folder / next(iter(written)))) if written else "",
            "cách dùng": (
                "Điền cột 'Kết quả thẩm định' (Đồng ý / Không đồng ý / Điều chỉnh), 'Điểm thẩm "
                "định' khi điều chỉnh, 'Lý do', 'Ngày thẩm định'; chép tệp vào raw/cds_review/"
            ),
            "dagster/row_count": sum(written.values()),
        }
    )


REPORT_ASSETS = [
    parquet_exports,
    excel_report,
    html_report,
    school_todo,
    statistical_forms,
    review_worksheets,
]
