"""Asset checks: Great Expectations suites on landing tables (dbt tests come via dagster-dbt)."""
