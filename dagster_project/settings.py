"""Where things are: one set of defaults shared by the CLI, the Dagster resources and the dbt
profile, all overridable through environment variables (docs/architecture.md)."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_DIR = PROJECT_ROOT / "dbt"
DEFAULT_LANDING = Path("data/landing")
DEFAULT_WAREHOUSE = Path("data/warehouse.duckdb")
DEFAULT_TAXONOMY = PROJECT_ROOT / "taxonomy"
# Reconciliation decisions (resolutions, sign-offs): versionable files beside the taxonomy, read
# into the warehouse at build time, never written by a build (docs/reconciliation.md).
DEFAULT_DECISIONS = PROJECT_ROOT / "decisions"


@dataclass(frozen=True)
class Settings:
    landing: Path
    warehouse: Path
    taxonomy: Path
    as_of: str | None
    memory_limit: str
    threads: int
    decisions: Path = DEFAULT_DECISIONS

    @property
    def build_db(self) -> Path:
        """The private file a build writes; published by an atomic rename over `warehouse`."""
        override = os.environ.get("ITAM_BUILD_DB")
        return Path(override).resolve() if override else Path(f"{self.warehouse}.building")

    @classmethod
    def from_env(cls) -> "Settings":
        return cls(
            landing=Path(os.environ.get("ITAM_LANDING", DEFAULT_LANDING)).resolve(),
            warehouse=Path(os.environ.get("ITAM_WAREHOUSE", DEFAULT_WAREHOUSE)).resolve(),
            taxonomy=Path(os.environ.get("ITAM_TAXONOMY", DEFAULT_TAXONOMY)).resolve(),
            as_of=os.environ.get("ITAM_AS_OF") or None,
            memory_limit=os.environ.get("ITAM_DUCKDB_MEMORY", "4GB"),
            threads=int(os.environ.get("ITAM_DUCKDB_THREADS", "2")),
            decisions=Path(os.environ.get("ITAM_DECISIONS", DEFAULT_DECISIONS)).resolve(),
        )

    def export_env(self) -> None:
        """Make these settings visible to Dagster resources and to dbt's profile."""
        os.environ["ITAM_LANDING"] = str(self.landing)
        os.environ["ITAM_WAREHOUSE"] = str(self.warehouse)
        os.environ["ITAM_TAXONOMY"] = str(self.taxonomy)
        os.environ["ITAM_BUILD_DB"] = str(self.build_db.resolve())
        os.environ["ITAM_DUCKDB_MEMORY"] = self.memory_limit
        os.environ["ITAM_DUCKDB_THREADS"] = str(self.threads)
        os.environ["ITAM_DECISIONS"] = str(self.decisions)
        if self.as_of:
            os.environ["ITAM_AS_OF"] = self.as_of
        else:
            os.environ.pop("ITAM_AS_OF", None)
