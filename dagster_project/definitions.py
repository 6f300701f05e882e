"""The Dagster code location `make dagster` (dagster dev) loads: the build graph for the settings
of the environment. `itam build` builds the same graph for its own settings (build/runner.py)."""
from dagster_project.build.definitions import build_definitions
from dagster_project.settings import Settings

defs = build_definitions(Settings.from_env())
