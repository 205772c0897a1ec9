"""Column definitions of the report sources (contract §2.3–2.5).

The registry and the CĐS self-assessment keep their spec beside their rules; these three
are shared: their ingestion (emis_report.py, students.py, teachers.py), the generator's
tests and the personal-data scan read the same definitions.
"""

from pipelines.ingest.sources.base import (
    HF_EXPORT_DATE,
    HF_PERIOD,
    HF_REPORT_DATE,
    HF_SCHOOL,
    HF_YEAR,
)
from pipelines.ingest.workbook import ColumnSpec, TableSpec

EMIS_REPORT_SPEC = TableSpec(
    columns=(
        ColumnSpec("indicator_code", ("Mã số",), required=True),
        ColumnSpec("label", ("Chỉ tiêu",)),
        ColumnSpec("total", ("Tổng số",), required=True),
        ColumnSpec("female", ("Nữ",)),
        ColumnSpec("ethnic", ("Dân tộc",)),
    ),
    header_fields=(HF_SCHOOL, HF_YEAR, HF_PERIOD, HF_REPORT_DATE),
)

STUDENTS_SPEC = TableSpec(
    columns=(
        ColumnSpec("student_code", ("Mã học sinh",), required=True),
        ColumnSpec("full_name", ("Họ và tên", "Họ tên")),
        ColumnSpec("birth_date", ("Ngày sinh",)),
        ColumnSpec("gender", ("Giới tính",)),
        ColumnSpec("ethnicity", ("Dân tộc",)),
        ColumnSpec("grade", ("Khối",)),
        ColumnSpec("class_name", ("Lớp",)),
        ColumnSpec("status", ("Trạng thái",)),
        ColumnSpec("personal_id", ("Số định danh cá nhân", "Mã định danh")),
        ColumnSpec("digital_transcript", ("Học bạ số",)),
        ColumnSpec("results_hk1", ("KQHT HK1",)),
        ColumnSpec("results_hk2", ("KQHT HK2",)),
    ),
    header_fields=(HF_SCHOOL, HF_YEAR, HF_PERIOD, HF_EXPORT_DATE),
    combine_sheets=True,  # one sheet per class is common
)

TEACHERS_SPEC = TableSpec(
    columns=(
        ColumnSpec("staff_code", ("Mã cán bộ",), required=True),
        ColumnSpec("full_name", ("Họ và tên", "Họ tên")),
        ColumnSpec("birth_date", ("Ngày sinh",)),
        ColumnSpec("gender", ("Giới tính",)),
        ColumnSpec("ethnicity", ("Dân tộc",)),
        ColumnSpec("position", ("Nhóm chức vụ", "Vị trí việc làm")),
        ColumnSpec("qualification", ("Trình độ chuẩn",)),
        ColumnSpec("status", ("Trạng thái",)),
        ColumnSpec("personal_id", ("Số định danh cá nhân",)),
        ColumnSpec("digital_signature", ("Chữ ký số",)),
        ColumnSpec("training_account", ("Tài khoản bồi dưỡng",)),
    ),
    header_fields=(HF_SCHOOL, HF_YEAR, HF_PERIOD, HF_EXPORT_DATE),
    combine_sheets=True,  # one sheet per class is common
)
