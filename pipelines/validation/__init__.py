"""Great Expectations suites (kept under `expectations/`) run against landing tables."""
