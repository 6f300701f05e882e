"""The settings as a Dagster resource, passed to every asset of the build (issue 15.1).

The runner builds it from a `Settings` (which alone reads the environment); the Dagster UI's code
location builds it from `Settings.from_env()`. Assets call `itam.settings` and never look at the
environment; dbt gets its vars (as-of date, build file, memory, threads) from `dbt_vars()`."""
from __future__ import annotations

from pathlib import Path

from dagster import ConfigurableResource, EnvVar, InitResourceContext
from pydantic import PrivateAttr

from dagster_project.build import lock
from dagster_project.decisions.store import KEY_ENV
from dagster_project.settings import DEFAULT_SPARK_MEMORY, Settings


class ItamResource(ConfigurableResource):
    """Where the build reads and writes: landing, warehouse, governance files, DuckDB limits."""

    landing: str
    warehouse: str
    taxonomy: str
    as_of: str | None = None
    memory_limit: str = "4GB"
    threads: int = 2
    decisions: str
    expectations: str
    mappings: str
    build_file: str | None = None
    keep_versions: int = 3
    dagster_home: str | None = None
    # The decisions chain's HMAC key (a secret): given to Dagster as EnvVar, so run config and the
    # UI show the variable's name, never the key.
    decisions_key: str | None = None
    # issue 18: the engine dbt runs on (duckdb | spark) and the local Spark driver's memory
    engine: str = "duckdb"
    spark_memory: str = DEFAULT_SPARK_MEMORY

    @classmethod
    def from_settings(cls, s: Settings) -> ItamResource:
        return cls(
            landing=str(s.landing), warehouse=str(s.warehouse), taxonomy=str(s.taxonomy),
            as_of=s.as_of, memory_limit=s.memory_limit, threads=s.threads,
            decisions=str(s.decisions), expectations=str(s.expectations), mappings=str(s.mappings),
            build_file=str(s.build_file) if s.build_file else None, keep_versions=s.keep_versions,
            dagster_home=str(s.dagster_home) if s.dagster_home else None,
            decisions_key=EnvVar(KEY_ENV) if s.decisions_key else None,
            engine=s.engine, spark_memory=s.spark_memory,
        )

    @property
    def settings(self) -> Settings:
        return Settings(
            landing=Path(self.landing), warehouse=Path(self.warehouse), taxonomy=Path(self.taxonomy),
            as_of=self.as_of or None, memory_limit=self.memory_limit, threads=self.threads,
            decisions=Path(self.decisions), expectations=Path(self.expectations), mappings=Path(self.mappings),
            build_file=Path(self.build_file) if self.build_file else None, keep_versions=self.keep_versions,
            dagster_home=Path(self.dagster_home) if self.dagster_home else None,
            # resolved by Dagster inside a run; still the EnvVar when the resource is used outside one
            decisions_key=(self.decisions_key.get_value() if isinstance(self.decisions_key, EnvVar)
                           else self.decisions_key) or None,
            engine=self.engine, spark_memory=self.spark_memory,
        )

    def dbt_vars(self, extra: dict | None = None) -> dict:
        """What dbt needs, as --vars: dbt/profiles.yml reads the file and limits from these
        (falling back to env_var for `dbt build` run by hand), the models read as_of, and the
        incremental snapshot models the dates to recompute (`extra`: SnapshotPlan.dbt_vars())."""
        s = self.settings
        spark = ({"spark_dir": str(s.spark_dir), "spark_sources": str(s.spark_dir / "sources"),
                  "spark_memory": s.spark_memory} if s.engine == "spark" else {})
        return {"as_of": s.as_of or "", "build_db": str(s.build_db), "memory_limit": s.memory_limit,
                "threads": str(s.threads), **spark, **(extra or {})}

    def dbt_target(self) -> list[str]:
        """The dbt/profiles.yml output of this build's engine (none = the profile's default, duckdb)."""
        return ["--target", "spark"] if self.engine == "spark" else []


class WarehouseLockResource(ConfigurableResource):
    """Holds the warehouse's exclusive lock for the whole run: runs launched from the Dagster UI,
    the schedule or the sensor get the same one-writer guarantee as `itam build` (re-entrant, so
    the runner's own hold is simply shared)."""

    warehouse: str
    _held: bool = PrivateAttr(default=False)

    def setup_for_execution(self, context: InitResourceContext) -> None:
        log = context.log.warning if context.log else (lambda m: None)
        lock.acquire(Path(self.warehouse), say=log)
        self._held = True

    def teardown_after_execution(self, context: InitResourceContext) -> None:
        if self._held:
            lock.release(Path(self.warehouse))
            self._held = False
