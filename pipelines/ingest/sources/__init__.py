"""One module per raw source: its table spec and its typing and row rules."""

from pipelines.ingest.sources.base import IngestContext, Shaped, Source
from pipelines.ingest.sources.cds_assessment import CDS_ASSESSMENT
from pipelines.ingest.sources.schools import SCHOOLS

SOURCES: dict[str, Source] = {s.name: s for s in (SCHOOLS, CDS_ASSESSMENT)}

__all__ = ["SOURCES", "IngestContext", "Shaped", "Source"]
