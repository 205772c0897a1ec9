"""Assets by layer: reference → landing → audit → dbt (staging, intermediate, marts) → publish."""
