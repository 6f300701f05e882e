"""Every mart is documented (issue 16.8): each model in dbt/models/marts has a YAML entry with a
description and an enforced contract, and every one of its columns a real description (what it
means, its unit or currency, its grain). The contract makes dbt fail a build whose SQL columns
differ from the YAML's, so the YAML column list is the model's column list."""
from __future__ import annotations

import shutil
from pathlib import Path

import yaml
from conftest import REPO

MARTS = REPO / "dbt" / "models" / "marts"
MIN_WORDS = 3  # "Reporting currency." is not a description of what a column means


def _real(text: str | None, name: str) -> bool:
    words = (text or "").split()
    return len(words) >= MIN_WORDS and " ".join(words).lower() != name.replace("_", " ").lower()


def undocumented(marts: Path) -> list[str]:
    """What lacks documentation in a marts folder, one line per model or column."""
    entries: dict[str, dict] = {}
    problems = []
    for path in sorted(marts.glob("*.yml")):
        for model in (yaml.safe_load(path.read_text()) or {}).get("models", []):
            if model["name"] in entries:
                problems.append(f"{model['name']}: described twice ({path.name})")
            entries[model["name"]] = model
    for sql in sorted(marts.glob("*.sql")):
        model = entries.get(sql.stem)
        if model is None:
            problems.append(f"{sql.stem}: no YAML entry in {marts.name}/_*.yml")
            continue
        if not _real(model.get("description"), sql.stem):
            problems.append(f"{sql.stem}: no model description")
        if not ((model.get("config") or {}).get("contract") or {}).get("enforced"):
            problems.append(f"{sql.stem}: contract not enforced (its YAML columns need not be its columns)")
        columns = model.get("columns") or []
        if not columns:
            problems.append(f"{sql.stem}: no columns listed")
        problems += [f"{sql.stem}.{c['name']}: no description" for c in columns
                     if not _real(c.get("description"), c["name"])]
    return problems


def test_every_mart_and_every_mart_column_is_described():
    assert undocumented(MARTS) == []


def test_the_check_finds_what_is_missing(tmp_path):
    # The same check on a copy of the marts with one column's description removed, a description
    # reduced to the column's name, and a model without YAML: each is reported.
    marts = tmp_path / "marts"
    shutil.copytree(MARTS, marts)
    path = marts / "_licensing.yml"
    doc = yaml.safe_load(path.read_text())
    position = next(m for m in doc["models"] if m["name"] == "fct_license_position")
    del next(c for c in position["columns"] if c["name"] == "currency")["description"]
    next(c for c in position["columns"] if c["name"] == "product_norm")["description"] = "product norm"
    path.write_text(yaml.safe_dump(doc, sort_keys=False))
    (marts / "fct_new_mart.sql").write_text("select 1 as x\n")
    assert undocumented(marts) == ["fct_license_position.currency: no description",
                                   "fct_license_position.product_norm: no description",
                                   "fct_new_mart: no YAML entry in marts/_*.yml"]
