"""Names shared by the asset modules."""

DUCKDB_POOL = "duckdb_writer"  # every writer of warehouse.duckdb: one at a time
OWNER = "team:phong-gddt-du-lieu"
