"""The contract's controlled vocabulary (contract, "Vocabulary")."""

import re

SCHOOL_LEVELS: tuple[str, ...] = ("MN", "TH", "THCS", "TH_THCS", "THPT")
SCHOOL_YEAR_RE = re.compile(r"^(\d{4})-(\d{4})$")


def is_school_year(value: str) -> bool:
    """`2024-2025`: two consecutive years."""
    m = SCHOOL_YEAR_RE.match(value or "")
    return bool(m) and int(m.group(2)) == int(m.group(1)) + 1
