"""Data-quality asset checks beyond dbt tests (Great Expectations suites: docs/data-quality.md)."""
quality_checks: list = []
