"""One module per raw source: its table spec and its typing and row rules."""

from pipelines.ingest.sources.base import IngestContext, Shaped, Source
from pipelines.ingest.sources.cds_assessment import CDS_ASSESSMENT
from pipelines.ingest.sources.emis_report import EMIS_REPORT
from pipelines.ingest.sources.schools import SCHOOLS
from pipelines.ingest.sources.students import STUDENTS
from pipelines.ingest.sources.teachers import TEACHERS

SOURCES: dict[str, Source] = {
    s.name: s for s in (SCHOOLS, CDS_ASSESSMENT, EMIS_REPORT, STUDENTS, TEACHERS)
}

__all__ = ["SOURCES", "IngestContext", "Shaped", "Source"]
