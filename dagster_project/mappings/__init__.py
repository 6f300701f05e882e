"""Declared mappings from real tools' native exports onto the landing contract (docs/mappings.md).

    load_mapping("glpi")                    → Mapping (mappings/glpi.yaml, validated)
    detect_system(Path("inventory.json"))   → "glpi" | None
    import_native(None, [Path(...)], landing, date(2026, 6, 30))  → ImportReport

Onboarding a source is a YAML file in mappings/, not code: the engine is generic.
"""
from dagster_project.mappings.engine import (
    REJECT_COLUMNS,
    Accounting,
    FileResult,
    ImportReport,
    OutputFile,
    Reject,
    candidates,
    check_mappings,
    declared_fields,
    detect_system,
    import_native,
    list_systems,
    load_mapping,
    mappings_dir,
)
from dagster_project.mappings.schema import Mapping, MappingError

__all__ = [
    "REJECT_COLUMNS", "Accounting", "FileResult", "ImportReport", "Mapping", "MappingError", "OutputFile",
    "Reject", "candidates", "check_mappings", "declared_fields", "detect_system", "import_native", "list_systems",
    "load_mapping", "mappings_dir",
]
