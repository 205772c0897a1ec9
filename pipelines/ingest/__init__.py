"""Ingestion: raw school files → typed, lineage-carrying Arrow/Polars frames → DuckDB landing."""
