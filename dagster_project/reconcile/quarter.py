"""Calendar quarters as the reconciliation names them: '2026Q3' = 2026-07-01 .. 2026-09-30.
The parser is the project's one period syntax (dagster_project/period.py)."""
from dagster_project.period import Quarter

__all__ = ["Quarter"]
