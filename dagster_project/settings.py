"""Where things are: one set of defaults shared by the CLI, the Dagster resources and the dbt
profile. `Settings.from_env()` is the ONE place the process environment is read (issue 15.1,
tests/test_build_safety.py asserts it); everything else receives a Settings, or inside Dagster the
`ItamResource` built from one (dagster_project/build/resource.py)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DBT_DIR = PROJECT_ROOT / "dbt"
DEFAULT_LANDING = Path("data/landing")
DEFAULT_WAREHOUSE = Path("data/warehouse.duckdb")
DEFAULT_TAXONOMY = PROJECT_ROOT / "taxonomy"
# Reconciliation decisions (resolutions, sign-offs): versionable files beside the taxonomy, read
# into the warehouse at build time, never written by a build (docs/reconciliation.md).
DEFAULT_DECISIONS = PROJECT_ROOT / "decisions"
DEFAULT_EXPECTATIONS = PROJECT_ROOT / "expectations"
DEFAULT_MAPPINGS = PROJECT_ROOT / "mappings"
DEFAULT_KEEP_VERSIONS = 3
# issue 18: the engine dbt runs the models on (docs/scale-out.md); DuckDB is the default and the demo.
ENGINES = ("duckdb", "spark")
DEFAULT_ENGINE = "duckdb"
DEFAULT_SPARK_MEMORY = "2g"  # the local Spark driver's memory (ITAM_SPARK_MEMORY)


@dataclass(frozen=True)
class Settings:
    landing: Path
    warehouse: Path
    taxonomy: Path
    as_of: str | None
    memory_limit: str
    threads: int
    decisions: Path = DEFAULT_DECISIONS
    # issue 15.1: these bypassed Settings (read from the environment where used).
    expectations: Path = DEFAULT_EXPECTATIONS
    mappings: Path = DEFAULT_MAPPINGS
    build_file: Path | None = None  # ITAM_BUILD_DB; default <warehouse>.building
    # issue 17.1: published versions kept beside the warehouse for `itam publish --rollback`.
    keep_versions: int = DEFAULT_KEEP_VERSIONS
    # issue 15.5: the persistent Dagster instance `itam build` records its runs in
    # (default <warehouse folder>/dagster_home, the folder `make dagster` opens).
    dagster_home: Path | None = None
    # issue 17.2: HMAC key for the decisions chain's sign-offs and head (ITAM_DECISIONS_KEY; never in
    # the repo). Not in repr, so it cannot end up in a log line.
    decisions_key: str | None = field(default=None, repr=False)
    # issue 17.6: the roles of whoever runs a CLI export (ITAM_ROLES, comma-separated; `--unmasked`
    # shows personal data in clear only to a role taxonomy/privacy.yaml allows) and the key of the
    # pseudonyms (ITAM_MASKING_KEY; never in the repo, not in repr).
    roles: tuple[str, ...] = ()
    masking_key: str | None = field(default=None, repr=False)
    # issue 18: duckdb (default) or spark (ITAM_ENGINE, `itam build --engine`); on spark the sources
    # go to Spark as Parquet and the marts come back into the build file (docs/scale-out.md).
    engine: str = DEFAULT_ENGINE
    spark_memory: str = DEFAULT_SPARK_MEMORY

    def __post_init__(self):
        if self.engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {self.engine!r}")

    @property
    def build_db(self) -> Path:
        """The private file a build writes; published by an atomic rename over `warehouse`."""
        return Path(self.build_file).resolve() if self.build_file else Path(f"{self.warehouse}.building")

    @property
    def spark_dir(self) -> Path:
        """A Spark build's own folder beside the build file: the source Parquet, the local Spark
        session's metastore and the tables it writes (docs/scale-out.md)."""
        return Path(f"{self.build_db}.spark")

    @property
    def instance_dir(self) -> Path:
        return Path(self.dagster_home) if self.dagster_home else self.warehouse.parent / "dagster_home"

    @property
    def logs_dir(self) -> Path:
        """The full dbt and Dagster log of every build, next to the warehouse."""
        return self.warehouse.parent / "logs"

    @property
    def dbt_target_dir(self) -> Path:
        """dbt's target folder of this warehouse's builds (manifest, partial parse, run results,
        compiled SQL): never shared with a build of another warehouse, which would read or rewrite
        it while this one runs (docs/decisions/build-isolation.md). Kept between builds, so a
        rebuild with the same vars still parses partially."""
        return self.warehouse.parent / f".{self.warehouse.name}.dbt-target"

    @property
    def dbt_log_dir(self) -> Path:
        """dbt's own log (dbt.log) of this warehouse's builds, beside the build logs."""
        return self.logs_dir / f"dbt-{self.warehouse.name}"

    @classmethod
    def from_env(cls) -> Settings:
        env = os.environ
        build_file = env.get("ITAM_BUILD_DB")
        home = env.get("ITAM_DAGSTER_HOME") or env.get("DAGSTER_HOME")
        return cls(
            landing=Path(env.get("ITAM_LANDING", DEFAULT_LANDING)).resolve(),
            warehouse=Path(env.get("ITAM_WAREHOUSE", DEFAULT_WAREHOUSE)).resolve(),
            taxonomy=Path(env.get("ITAM_TAXONOMY", DEFAULT_TAXONOMY)).resolve(),
            as_of=env.get("ITAM_AS_OF") or None,
            memory_limit=env.get("ITAM_DUCKDB_MEMORY", "4GB"),
            threads=int(env.get("ITAM_DUCKDB_THREADS", "2")),
            decisions=Path(env.get("ITAM_DECISIONS", DEFAULT_DECISIONS)).resolve(),
            expectations=Path(env.get("ITAM_EXPECTATIONS", DEFAULT_EXPECTATIONS)).resolve(),
            mappings=Path(env.get("ITAM_MAPPINGS", DEFAULT_MAPPINGS)).resolve(),
            build_file=Path(build_file).resolve() if build_file else None,
            keep_versions=int(env.get("ITAM_KEEP_VERSIONS", DEFAULT_KEEP_VERSIONS)),
            dagster_home=Path(home).resolve() if home else None,
            decisions_key=env.get("ITAM_DECISIONS_KEY") or None,
            roles=tuple(r.strip() for r in env.get("ITAM_ROLES", "").split(",") if r.strip()),
            masking_key=env.get("ITAM_MASKING_KEY") or None,
            engine=env.get("ITAM_ENGINE", DEFAULT_ENGINE),
            spark_memory=env.get("ITAM_SPARK_MEMORY", DEFAULT_SPARK_MEMORY),
        )
