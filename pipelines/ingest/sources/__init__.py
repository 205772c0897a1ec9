"""One module per raw source: its table spec and its typing and row rules."""

from pipelines.ingest.sources.base import IngestContext, Shaped, Source
from pipelines.ingest.sources.cds_assessment import CDS_ASSESSMENT
from pipelines.ingest.sources.cds_review import CDS_REVIEW
from pipelines.ingest.sources.emis_report import EMIS_REPORT
from pipelines.ingest.sources.schools import SCHOOLS
from pipelines.ingest.sources.students import STUDENTS
from pipelines.ingest.sources.sync_log import SYNC_LOG
from pipelines.ingest.sources.teachers import TEACHERS

# The source registry: every raw source, declared once in its own module (docs/adding-a-source.md).
# The registry comes first: the others' rules check school codes against it.
SOURCES: dict[str, Source] = {
    s.name: s
    for s in (SCHOOLS, CDS_ASSESSMENT, EMIS_REPORT, STUDENTS, TEACHERS, CDS_REVIEW, SYNC_LOG)
}

# report → the periods it is due in: what reporting_calendar.csv may schedule
PERIODS_BY_REPORT: dict[str, tuple[str, ...]] = {
    s.name: s.periods for s in SOURCES.values() if s.periods
}

# what a layout (layouts.yaml) may name for each source: its table's fields, and the
# fields read outside the table (header block, fixed value, folder)
LAYOUT_COLUMNS: dict[str, tuple[str, ...]] = {
    s.name: tuple(c.key for c in s.spec.columns) for s in SOURCES.values()
}
LAYOUT_FIELDS: dict[str, tuple[str, ...]] = {
    s.name: tuple(h.key for h in s.spec.header_fields) for s in SOURCES.values()
}

__all__ = [
    "LAYOUT_COLUMNS",
    "LAYOUT_FIELDS",
    "PERIODS_BY_REPORT",
    "SOURCES",
    "IngestContext",
    "Shaped",
    "Source",
]
