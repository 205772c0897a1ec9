"""Reference data as assets: validated on load, written to the `reference` schema."""

from collections.abc import Callable
from pathlib import Path

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from pipelines.assets.constants import DUCKDB_POOL, OWNER
from pipelines.assets.metadata import markdown_table
from pipelines.ingest.sources import PERIODS_BY_REPORT
from pipelines.reference.calendar import load_calendar
from pipelines.reference.cds_index import load_index
from pipelines.reference.code_lists import load_code_lists
from pipelines.reference.consistency_rules import load_consistency_rules
from pipelines.reference.emis_codes import load_emis_codes
from pipelines.reference.labels import load_labels_frame
from pipelines.reference.statistical_forms import load_statistical_forms
from pipelines.reference.store import replace_table, store_index
from pipelines.reference.sync_calendar import load_sync_calendar
from pipelines.resources import CdsPaths

INDEX_TABLES = {
    "cds_index": "Bộ chỉ số đã nạp: mã, tên, văn bản gốc và ngưỡng các mức (một dòng).",
    "cds_index_levels_in_scope": "Các cấp học mà bộ chỉ số đánh giá.",
    "cds_index_groups": "Các nhóm tiêu chí của bộ chỉ số và điểm tối đa của mỗi nhóm.",
    "cds_index_indicators": "Các chỉ số: nhóm, tiêu chí, cách tính điểm, điểm tối đa, nguồn nội "
    "dung (đã xác nhận / giả định).",
    "cds_index_bands": "Các khoảng điểm của chỉ số tính theo khoảng, theo từng cấp học nếu bộ "
    "chỉ số quy định riêng.",
}


@dg.multi_asset(
    name="cds_index",
    group_name="reference",
    pool=DUCKDB_POOL,
    specs=[
        dg.AssetSpec(
            ["reference", table],
            description=(
                f"{text} Lấy từ tệp bộ chỉ số CĐS (cds_index.yaml: QĐ 4725/QĐ-BGDĐT kèm theo "
                "phần mềm, hoặc tệp trong --reference), được kiểm tra trước khi dùng: tệp sai "
                "thì lần chạy dừng và nêu mục sai."
            ),
            owners=[OWNER],
            kinds={"python", "duckdb"},
        )
        for table, text in INDEX_TABLES.items()
    ],
)
def cds_index(context: dg.AssetExecutionContext, paths: CdsPaths, duckdb: DuckDBResource):
    path = paths.settings.reference_file("cds_index.yaml")
    index = load_index(path)
    with duckdb.get_connection() as con:
        counts = store_index(con, index)
    indicators = pl.DataFrame(
        [
            {
                "mã": i.code,
                "nhóm": i.group,
                "quy tắc": i.rule,
                "điểm": i.max_points,
                "nguồn gốc": i.provenance,
                "nội dung": i.name,
            }
            for i in index.indicators
        ]
    )
    assumed = sum(1 for i in index.indicators if i.provenance == "assumed")
    context.log.info(
        f"Bộ chỉ số {index.index_id}: {len(index.indicators)} chỉ số, {assumed} giả định"
    )
    common = {"bộ chỉ số": index.index_id, "tệp": dg.MetadataValue.path(str(path))}
    for table, n in counts.items():
        extra = (
            {"số chỉ số giả định": assumed, "các chỉ số": markdown_table(indicators, limit=100)}
            if table == "cds_index_indicators"
            else {"cấp học được đánh giá": ", ".join(index.levels_in_scope)}
            if table == "cds_index"
            else {}
        )
        yield dg.MaterializeResult(
            asset_key=["reference", table], metadata={**common, "dagster/row_count": n, **extra}
        )


def reference_table(
    table: str,
    filename: str,
    load: Callable[[Path], pl.DataFrame],
    description: str,
    preview: Callable[[pl.DataFrame], pl.DataFrame] | None = None,
) -> dg.AssetsDefinition:
    """The asset of a reference file that is one table: validated on load (a broken file
    stops the run with a message naming the line), then written to reference.<table>."""

    @dg.asset(
        key=["reference", table],
        group_name="reference",
        owners=[OWNER],
        pool=DUCKDB_POOL,
        kinds={"python", "duckdb"},
        description=description,
    )
    def _reference(paths: CdsPaths, duckdb: DuckDBResource) -> dg.MaterializeResult:
        path = paths.settings.reference_file(filename)
        frame = load(path)
        with duckdb.get_connection() as con:
            n = replace_table(con, table, frame)
        metadata = {"tệp": dg.MetadataValue.path(str(path)), "dagster/row_count": n}
        if preview is not None:
            metadata["xem trước"] = markdown_table(preview(frame), limit=100)
        return dg.MaterializeResult(metadata=metadata)

    return _reference


reporting_calendar = reference_table(
    "reporting_calendar",
    "reporting_calendar.csv",
    lambda path: load_calendar(path, PERIODS_BY_REPORT),
    "Lịch báo cáo (reporting_calendar.csv): báo cáo nào, của các cấp học nào, năm học và kỳ "
    "nào, trường nộp trước ngày nào (due_school) và Phòng gửi lên Sở trước ngày nào "
    "(due_district). Việc nộp đúng hạn và lịch chạy tự động đều tính theo lịch này.",
    preview=lambda f: f.with_columns(pl.col(pl.Date).cast(pl.String)),
)
sync_calendar = reference_table(
    "sync_calendar",
    "sync_calendar.csv",
    load_sync_calendar,
    "Lịch đẩy dữ liệu lên CSDL ngành (sync_calendar.csv): mỗi năm học, học kỳ và đợt đẩy (học "
    "sinh, giáo viên, lớp học, kết quả học tập), các cấp học phải đẩy, ngày mở đợt (opens_on) "
    "và hạn đẩy (due_on). Từ ngày mở đợt, trường đang hoạt động chưa đẩy đợt đó là thiếu.",
    preview=lambda f: f.with_columns(pl.col(pl.Date).cast(pl.String)),
)
code_lists = reference_table(
    "code_lists",
    "code_lists.csv",
    lambda path: load_code_lists(path).frame,
    "Danh mục mã (code_lists.csv): cách trường ghi cấp học, loại hình, trạng thái, kỳ báo cáo "
    "và câu trả lời có/không, quy về mã thống nhất.",
)
emis_indicators = reference_table(
    "emis_indicators",
    "emis_indicators.csv",
    load_emis_codes,
    "Danh mục chỉ tiêu của báo cáo thống kê (emis_indicators.csv, hợp đồng dữ liệu §2.3): cấp "
    "học và kỳ nào phải báo cáo mỗi mã số, mã nào có cột nữ / dân tộc.",
    preview=lambda f: f.select("code", "label", "levels", "periods"),
)
consistency_rules = reference_table(
    "consistency_rules",
    "consistency_rules.csv",
    load_consistency_rules,
    "Quy tắc nhất quán và hợp lý của báo cáo thống kê (consistency_rules.csv): mỗi dòng một "
    "quy tắc với mã, nhóm, cách kiểm tra, các mã số, sai số cho phép, mức độ và thông báo. "
    "Phòng thêm quy tắc tại đây; mọi dòng đều được kiểm tra ở mỗi lần chạy.",
    preview=lambda f: f.select("rule_id", "family", "kind", "message_vi"),
)

labels_vi = reference_table(
    "labels_vi",
    "labels_vi.csv",
    load_labels_frame,
    "Nhãn tiếng Việt (labels_vi.csv): tên bảng, tên cột và tên các mã (loại báo cáo, kỳ báo "
    "cáo, cấp học…). Danh sách việc cần đôn đốc và các thông báo lỗi ghi tên này thay cho mã.",
)

statistical_forms = reference_table(
    "statistical_forms",
    "statistical_forms.csv",
    load_statistical_forms,
    "Biểu mẫu thống kê đầu năm Sở gửi Bộ (statistical_forms.csv, Thông tư 25/2024: 01.ĐN-MN, "
    "02.ĐN-TH, 03.ĐN-THCS): mỗi dòng một chỉ tiêu của biểu theo thứ tự, với TT, tên, đơn vị "
    "tính, mã số và cách kho dữ liệu tính (đếm trường, cộng mã số của báo cáo thống kê), hoặc "
    "lý do để trống. Bố cục theo biểu đã công bố năm 2020; lời văn 2025 chưa được xác nhận.",
    preview=lambda f: f.filter(f["method"] != "heading").select(
        "form", "ma_so", "label", "method", "codes", "levels"
    ),
)

REFERENCE_ASSETS = [
    cds_index,
    reporting_calendar,
    sync_calendar,
    code_lists,
    emis_indicators,
    consistency_rules,
    labels_vi,
    statistical_forms,
]
