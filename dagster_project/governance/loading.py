"""`load_taxonomy`: read taxonomy/*.yaml once, validate shape and meaning, and raise one
`TaxonomyError` listing EVERY problem found, or return the `Taxonomy`; `content_hash` is the
version of exactly the bytes validated."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dagster_project.contract import (
    LICENSE_METRICS,
)
from dagster_project.governance.problems import Problem, TaxonomyError
from dagster_project.governance.schema import (
    ASSET_CLASSES,
    FILE_MODELS,
    FILES,
    LICENSING,
    LIFECYCLE,
    NORMALISATION,
    OWNERSHIP,
    POLICIES,
    LicensingFile,
)
from dagster_project.governance.schema_errors import INVALID, partial_model, schema_problems
from dagster_project.governance.taxonomy import Taxonomy
from dagster_project.governance.validation import (
    Regex,
    check_classes,
    check_finance,
    check_lifecycle,
    check_model_families,
    check_normalisation,
    check_ownership,
    check_policies,
    check_regex,
    check_stale_windows,
    check_tco_rules,
    duplicated,
)
from dagster_project.governance.yaml_reader import read_yaml


def _load_licensing(directory: Path, contents: dict, rx: Regex, out: list[Problem]) -> LicensingFile:
    """licensing.yaml (issue 13) is optional: absent, the defaults of LicensingFile apply."""
    if contents.get(LICENSING) is None:
        return LicensingFile()
    data = read_yaml(directory / LICENSING, contents[LICENSING], out)
    if data is None:
        return LicensingFile()
    try:
        lic = LicensingFile.model_validate(data)
    except ValidationError as exc:
        out.extend(schema_problems(LICENSING, data, exc))
        return LicensingFile()
    order = list(lic.metric_order)
    for m in duplicated(order):
        out.append(Problem(LICENSING, "metric_order", f"metric '{m}' is listed twice",
                           "list each metric once, in the order its entitlements cover consumption"))
    missing = [m for m in LICENSE_METRICS if m not in order]
    if missing:
        out.append(Problem(LICENSING, "metric_order", f"metric(s) {', '.join(missing)} not listed",
                           "add them: every metric needs a place in the covering order"))
    for i, f in enumerate(lic.core_factors):
        check_regex(rx, LICENSING, f"core_factors[{i}].processor", f.processor, out)
    for pub, prods in lic.products.items():
        for prod, r in prods.items():
            if prod in r.bundle:
                out.append(Problem(LICENSING, f"products.{pub}.{prod}.bundle",
                                   "the product lists itself as a component of its own bundle",
                                   "remove it: a bundle grants other products"))
    return lic


def _read_files(directory: Path) -> dict[str, bytes | None]:
    return {name: (directory / name).read_bytes() if (directory / name).is_file() else None
            for name in (*FILES, LICENSING)}


def _hash(contents: dict[str, bytes | None]) -> str:
    h = hashlib.sha256()
    for name in FILES:
        h.update(name.encode() + b"\0")
        h.update(b"<missing>" if contents[name] is None else contents[name])
        h.update(b"\0")
    if contents.get(LICENSING) is not None:  # optional (issue 13): absent leaves the hash as before
        h.update(LICENSING.encode() + b"\0" + contents[LICENSING] + b"\0")
    return h.hexdigest()


def content_hash(directory: Path | str) -> str:
    """sha256 over the five files (name and bytes, in FILES order): the taxonomy's version."""
    return _hash(_read_files(Path(directory)))


def load_taxonomy(directory: Path | str) -> Taxonomy:
    """Read and validate taxonomy/*.yaml. Raises TaxonomyError listing every problem."""
    directory = Path(directory)
    problems: list[Problem] = []
    if not directory.is_dir():
        raise TaxonomyError([Problem(str(directory), "(folder)", "the taxonomy folder does not exist",
                                     "point --taxonomy (or ITAM_TAXONOMY) at the folder holding "
                                     + ", ".join(FILES))])
    raw: dict[str, dict] = {}
    models: dict[str, Any] = {}
    complete: dict[str, bool] = {}
    contents = _read_files(directory)  # read once: the hash is of exactly what was validated
    for name in FILES:
        data = read_yaml(directory / name, contents[name], problems)
        if data is None:
            continue
        raw[name] = data
        try:
            models[name] = FILE_MODELS[name].model_validate(data)
            complete[name] = True
        except ValidationError as exc:
            problems.extend(schema_problems(name, data, exc))
            models[name] = partial_model(FILE_MODELS[name], data)
            complete[name] = False

    rx = Regex()
    try:
        tree_sound, classes = False, None
        if ASSET_CLASSES in models:
            m = models[ASSET_CLASSES]
            tree_sound = check_classes(m, raw[ASSET_CLASSES], complete[ASSET_CLASSES], rx, problems)
            if isinstance(m.classes, dict):
                classes = {k: c for k, c in m.classes.items() if c is not INVALID}
        if OWNERSHIP in models:
            check_ownership(models[OWNERSHIP], raw[OWNERSHIP], classes, tree_sound, problems)
        if LIFECYCLE in models:
            check_lifecycle(models[LIFECYCLE], problems)
        if POLICIES in models:
            check_policies(models[POLICIES], problems)
            check_finance(models[POLICIES], raw[POLICIES], rx, problems)
            check_stale_windows(models[POLICIES], classes, problems)
            check_tco_rules(models[POLICIES], raw[POLICIES], classes, rx, problems)  # issue 13
        if ASSET_CLASSES in models:
            check_model_families(models[ASSET_CLASSES], raw[ASSET_CLASSES], rx, problems)  # issue 13
        if NORMALISATION in models:
            check_normalisation(models[NORMALISATION], raw[NORMALISATION], rx, problems)
        licensing = _load_licensing(directory, contents, rx, problems)  # issue 13
    finally:
        rx.close()
    if problems:
        order = {name: i for i, name in enumerate(FILES)}
        raise TaxonomyError(sorted(problems, key=lambda p: order.get(p.file, -1)))  # stable: by file
    return Taxonomy(directory=directory.resolve(), asset_classes=models[ASSET_CLASSES],
                    ownership=models[OWNERSHIP], lifecycle=models[LIFECYCLE], policies=models[POLICIES],
                    normalisation=models[NORMALISATION], content_hash=_hash(contents), licensing=licensing)
