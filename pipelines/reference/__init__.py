"""Reference data (CĐS index, reporting calendar): loaded from files, validated, never hard-coded."""

from pipelines.reference.calendar import CalendarError, load_calendar
from pipelines.reference.cds_index import CdsIndex, CdsIndexError, load_index

__all__ = ["CalendarError", "CdsIndex", "CdsIndexError", "load_calendar", "load_index"]
