"""The semantic checks of taxonomy/*.yaml: references, cycles, ambiguous precedence, regular
expressions, policy coverage. Each appends `Problem`s; none raises.

Regular expressions are checked with DuckDB's engine (RE2), the one that applies them in dbt, so a
pattern that passes here cannot fail the build (RE2 has no look-around or back-references)."""
from __future__ import annotations

import difflib
import re
from typing import Any

import duckdb

from dagster_project.contract import (
    DISCOVERY_SOURCES,
    EXTENSION_SOURCES,
    LICENSE_METRICS,
    LIFECYCLE_STATES,
    SOURCES,
)
from dagster_project.governance.class_tree import class_ancestors, resolve_classes
from dagster_project.governance.names import normalise_name
from dagster_project.governance.problems import Problem
from dagster_project.governance.schema import (
    ASSET_CLASSES,
    CLOUD_RULE_CONDITIONS,
    CYCLE_GROUP_REF,
    LIFECYCLE,
    MAINTENANCE_RULE_CONDITIONS,
    NORMALISATION,
    OWNERSHIP,
    PATTERN_CONDITIONS,
    POLICIES,
    RECORD_ATTRIBUTES,
    AssetClass,
    AssetClassesFile,
    LifecycleFile,
    NormalisationFile,
    OwnershipFile,
    OwnershipRule,
    PoliciesFile,
)
from dagster_project.governance.schema_errors import INVALID, any_invalid, key_path


class Regex:
    """Compiles patterns with DuckDB (RE2, case-insensitive), the engine dbt applies them with."""

    def __init__(self):
        self._con = duckdb.connect(":memory:")

    def problem(self, pattern: str) -> str | None:
        try:
            self._con.execute("select regexp_matches('', ?, 'i')", [pattern]).fetchone()
        except duckdb.Error as exc:
            return str(exc).removeprefix("Invalid Input Error: ")
        return None

    def matches(self, value: str, pattern: str) -> bool:
        return bool(self._con.execute("select regexp_matches(?, ?, 'i')", [value, pattern]).fetchone()[0])

    def close(self):
        self._con.close()


def _one_of(name: str, known, what: str) -> str:
    known = [k for k in known if isinstance(k, str)]
    close = difflib.get_close_matches(str(name), known, n=1)
    hint = f"did you mean '{close[0]}'? " if close else ""
    return f"{hint}use one of the {what}: {', '.join(sorted(known))}"


def check_regex(rx: Regex, file: str, path: str, pattern: str, out: list[Problem]) -> bool:
    if not pattern.strip():
        out.append(Problem(file, path, "the pattern is blank and would match everything",
                           "remove the key to match anything, or write a pattern"))
        return False
    err = rx.problem(pattern)
    if err:
        out.append(Problem(file, path, f"invalid regular expression {pattern!r}: {err}",
                           "fix the pattern (RE2 syntax: alternatives with '|', no look-ahead or "
                           "back-references; escape literal . ( ) [ ] with a backslash)"))
        return False
    return True


def _find_cycles(classes: dict[str, AssetClass]) -> list[list[str]]:
    cycles, seen_in_cycle = [], set()
    for start in classes:
        chain, cur = [], start
        while isinstance(cur, str) and cur in classes and cur not in chain:
            chain.append(cur)
            cur = classes[cur].parent
        if isinstance(cur, str) and cur in chain:
            cycle = chain[chain.index(cur):]
            if not seen_in_cycle & set(cycle):
                seen_in_cycle |= set(cycle)
                cycles.append(cycle)
    return cycles


def duplicated(values) -> list[str]:
    seen, dup = set(), []
    for v in values:
        if v is INVALID:
            continue
        if v in seen and v not in dup:
            dup.append(v)
        seen.add(v)
    return dup


def check_classes(m: AssetClassesFile, data: dict, complete: bool, rx: Regex, out: list[Problem]) -> bool:
    """Returns True when the class tree is sound (ancestry can be trusted by other checks)."""
    f = ASSET_CLASSES
    classes = m.classes if isinstance(m.classes, dict) else {}
    classes = {k: c for k, c in classes.items() if c is not INVALID}
    sound = m.classes is not INVALID
    for cid, c in classes.items():
        if c.parent is INVALID:
            sound = False
        elif c.parent is not None and c.parent not in classes:
            out.append(Problem(f, f"classes.{cid}.parent", f"unknown class '{c.parent}'",
                               _one_of(c.parent, [k for k in classes if k != cid], "classes")))
            sound = False
    for cycle in _find_cycles(classes):
        ring = " → ".join(cycle + [cycle[0]])
        out.append(Problem(f, f"classes.{cycle[0]}.parent", f"the class tree has a cycle: {ring}",
                           "a class cannot be its own ancestor: remove `parent` from one of these "
                           "classes to make it a root, or point it at another class"))
        sound = False
    for cid, c in classes.items():
        if isinstance(c.required_fields, list):
            dup = duplicated(c.required_fields)
            if dup:
                out.append(Problem(f, f"classes.{cid}.required_fields", f"{', '.join(dup)} listed twice",
                                   "list each field once"))

    rules = [r for r in (m.classification_rules if isinstance(m.classification_rules, list) else [])]
    if sound and complete:
        resolved = resolve_classes(classes)
        for cid, c in resolved.items():
            for attr in ("lifecycle_tracking", "capitalise"):
                if getattr(c, attr) is None:
                    root = c.class_path.split("/")[0]
                    out.append(Problem(f, f"classes.{cid}.{attr}", f"{attr} is not set on the class nor "
                                       "on any of its ancestors",
                                       f"set `{attr}:` on '{root}' (inherited by all its descendants) or on '{cid}'"))
        assigned = {r.class_ for r in rules}
        for cid, c in resolved.items():
            if cid in assigned and c.capitalise:
                for attr in ("useful_life_months", "depreciation_method"):
                    if getattr(c, attr) is None:
                        out.append(Problem(f, f"classes.{cid}.{attr}", f"the class is capitalised and assigned "
                                           f"by a classification rule but has no {attr} (nor inherits one)",
                                           f"set `{attr}:` on '{cid}' or on an ancestor, or set capitalise: false"))

    for i, r in enumerate(rules):
        if r is INVALID:
            continue
        path = key_path(data, ("classification_rules", i))
        if isinstance(r.id, str) and r.id in [x.id for x in rules[:i] if x is not INVALID]:
            out.append(Problem(f, path + ".id", f"rule id '{r.id}' is used by more than one rule",
                               "give every rule its own id"))
        if not any_invalid(r.class_) and r.class_ not in classes and m.classes is not INVALID:
            out.append(Problem(f, path + ".class", f"unknown class '{r.class_}'",
                               _one_of(r.class_, list(classes), "classes")))
        if any_invalid(r.applies_to):
            continue
        carried = (set().union(*RECORD_ATTRIBUTES.values()) if r.applies_to == "any"
                   else RECORD_ATTRIBUTES[r.applies_to])
        for cond in PATTERN_CONDITIONS + ("has_term_end",):
            value = getattr(r, cond)
            if value is None or value is INVALID:
                continue
            if cond not in carried:
                kinds = [k for k, attrs in RECORD_ATTRIBUTES.items() if cond in attrs]
                out.append(Problem(f, f"{path}.{cond}", f"{r.applies_to} records have no {cond}, so this "
                                   "rule can never match",
                                   f"remove `{cond}` or set applies_to to {' or '.join(kinds)}"))
                continue
            if cond == "has_term_end" or not check_regex(rx, f, f"{path}.{cond}", value, out):
                continue
            known = {"discovery_source": DISCOVERY_SOURCES, "license_metric": LICENSE_METRICS}.get(cond)
            if known and not any(rx.matches(k, value) for k in known):
                out.append(Problem(f, f"{path}.{cond}", f"pattern {value!r} matches none of the {cond} "
                                   f"values ({', '.join(known)}), so this rule can never match",
                                   "correct the spelling"))
    for j, b in enumerate(rules):
        if b is INVALID or any_invalid(b.precedence, b.applies_to):
            continue
        for a in rules[:j]:
            if a is INVALID or any_invalid(a.precedence, a.applies_to) or a.precedence != b.precedence:
                continue
            if a.applies_to == b.applies_to or "any" in (a.applies_to, b.applies_to):
                kind = b.applies_to if b.applies_to != "any" else a.applies_to
                out.append(Problem(
                    f, key_path(data, ("classification_rules", j)) + ".precedence",
                    f"precedence {b.precedence} is shared with rule '{a.id}' and both apply to "
                    f"{kind} records, so which one wins is undefined",
                    "give one of the two rules a different precedence (lower wins)"))
    # A rule whose conditions include all of an earlier rule's (same values) can never match.
    def conditions(r) -> dict:
        return {c: getattr(r, c) for c in PATTERN_CONDITIONS + ("has_term_end",) if getattr(r, c) is not None}

    for j, b in enumerate(rules):
        if b is INVALID or any_invalid(b.precedence, b.applies_to, *conditions(b).values()):
            continue
        for a in rules:
            if a is INVALID or a is b or any_invalid(a.precedence, a.applies_to, *conditions(a).values()):
                continue
            if a.precedence >= b.precedence or a.applies_to not in ("any", b.applies_to):
                continue
            ca, cb = conditions(a), conditions(b)
            if all(cb.get(k) == v for k, v in ca.items()):
                what = "has no conditions" if not ca else "has only conditions this rule also has"
                out.append(Problem(
                    f, key_path(data, ("classification_rules", j)) + ".precedence",
                    f"the rule can never match: rule '{a.id}' (precedence {a.precedence}) {what} and takes "
                    f"every such {b.applies_to if b.applies_to != 'any' else 'record'} first",
                    f"give this rule a precedence below {a.precedence}, or narrow rule '{a.id}' "
                    "(a catch-all rule belongs last)"))
                break
    return sound


def check_ownership(m: OwnershipFile, data: dict, classes: dict[str, AssetClass] | None,
                     tree_sound: bool, out: list[Problem]) -> None:
    """`classes` is None when asset_classes.yaml could not be read; `tree_sound` says whether
    ancestry can be trusted (no unknown parents, no cycles)."""
    f = OWNERSHIP
    managers = m.asset_managers if isinstance(m.asset_managers, dict) else {}
    if classes is not None:
        for cid in managers:
            if cid not in classes:
                out.append(Problem(f, f"asset_managers.{cid}", f"unknown class '{cid}'",
                                   _one_of(cid, list(classes), f"classes of {ASSET_CLASSES}")))
    rules = m.rules if isinstance(m.rules, list) else []
    usable: list[tuple[int, OwnershipRule]] = []  # rules whose scope is fully known
    for i, r in enumerate(rules):
        if r is INVALID:
            continue
        path = key_path(data, ("rules", i))
        if isinstance(r.id, str) and r.id in [x.id for x in rules[:i] if x is not INVALID]:
            out.append(Problem(f, path + ".id", f"rule id '{r.id}' is used by more than one rule",
                               "give every rule its own id"))
        if any_invalid(r.class_):
            continue
        if classes is not None and r.class_ is not None and r.class_ not in classes:
            out.append(Problem(f, path + ".class", f"unknown class '{r.class_}'",
                               _one_of(r.class_, list(classes), f"classes of {ASSET_CLASSES}")))
            continue
        if r.asset_manager is None and m.asset_managers is not INVALID:
            if r.class_ is None:
                chain = []
            elif classes is not None and tree_sound:
                chain = class_ancestors(classes, r.class_)
            else:
                chain = [r.class_]
            if not any(a in managers for a in chain) and (tree_sound or r.class_ is None):
                where = f"'{r.class_}' or its ancestors" if r.class_ else "a rule for any class"
                out.append(Problem(f, path + ".asset_manager", f"no asset manager: the rule sets none and "
                                   f"asset_managers has no entry for {where}",
                                   "add `asset_manager:` to the rule, or add the class to asset_managers"))
        if not any_invalid(r.precedence, r.cost_center):
            usable.append((i, r))
    if classes is None or not tree_sound:
        return

    def overlap(a: str | None, b: str | None) -> bool:
        if a is None or b is None:
            return True
        return a in class_ancestors(classes, b) or b in class_ancestors(classes, a)

    def scope(r: OwnershipRule) -> str:
        return (f"class {r.class_}" if r.class_ else "any class") + \
            (f", cost center {r.cost_center}" if r.cost_center else ", any cost center")

    def contains(a: OwnershipRule, b: OwnershipRule) -> bool:
        return (a.class_ is None or (b.class_ is not None and a.class_ in class_ancestors(classes, b.class_))) \
            and (a.cost_center is None or a.cost_center == b.cost_center)

    for j, b in usable:
        for _, a in usable:
            if a.precedence < b.precedence and contains(a, b):
                out.append(Problem(
                    f, key_path(data, ("rules", j)) + ".precedence",
                    f"the rule can never match: rule '{a.id}' (precedence {a.precedence}) covers every asset "
                    f"this rule covers ({scope(b)}) and comes first",
                    f"give this rule a precedence below {a.precedence} (the more specific rule goes first)"))
                break

    for n, (j, b) in enumerate(usable):
        for _, a in usable[:n]:
            if a.precedence != b.precedence or not overlap(a.class_, b.class_):
                continue
            if a.cost_center is not None and b.cost_center is not None and a.cost_center != b.cost_center:
                continue
            out.append(Problem(
                f, key_path(data, ("rules", j)) + ".precedence",
                f"precedence {b.precedence} is shared with rule '{a.id}' and both can match the same asset "
                f"({scope(b)} / {scope(a)})",
                "give one of the two rules a different precedence (lower wins; put the more specific rule first)"))


def check_lifecycle(m: LifecycleFile, out: list[Problem]) -> None:
    f = LIFECYCLE
    if isinstance(m.retirement_evidence, list):
        dup = duplicated(m.retirement_evidence)
        if dup:
            out.append(Problem(f, "retirement_evidence", f"{', '.join(dup)} listed twice", "list each field once"))
    if not isinstance(m.states, list):
        return  # every other check compares with the states
    states = [s for s in m.states if s is not INVALID]
    declared = set(states)
    for s in duplicated(states):
        out.append(Problem(f, "states", f"state '{s}' is listed twice", "list each state once"))
    for s in LIFECYCLE_STATES:
        if s not in declared and len(states) == len(m.states):
            out.append(Problem(f, "states", f"state '{s}' is missing",
                               "the landing contract's CMDB status values (" + ", ".join(LIFECYCLE_STATES)
                               + ") must all be states; you may add more"))
    transitions = m.transitions if isinstance(m.transitions, dict) else {}
    for src, targets in transitions.items():
        if src not in declared:
            out.append(Problem(f, f"transitions.{src}", f"transition from undeclared state '{src}'",
                               _one_of(src, states, "states (or add it to states)")))
        for t in targets if isinstance(targets, list) else []:
            if t is not INVALID and t not in declared:
                out.append(Problem(f, f"transitions.{src}", f"transition to undeclared state '{t}'",
                                   _one_of(t, states, "states (or add it to states)")))
    if m.transitions is not INVALID:
        for s in states:
            if s not in transitions:
                out.append(Problem(f, "transitions", f"state '{s}' has no entry",
                                   f"add `{s}: [...]` listing the states it may move to (`{s}: []` if it is final)"))
    status_map = m.status_map if isinstance(m.status_map, dict) else {}
    for system, mapping in status_map.items():
        if not isinstance(mapping, dict):
            continue
        lowered: dict[str, tuple[str, str]] = {}
        for status, state in mapping.items():
            path = f"status_map.{system}.{status}"
            if state is INVALID:
                continue
            if state not in declared:
                out.append(Problem(f, path, f"maps onto undeclared state '{state}'",
                                   _one_of(state, states, "states")))
            key = status.strip().lower()
            if not key:
                out.append(Problem(f, path, "the source status is blank", "write the status word"))
            elif key in lowered and lowered[key][1] != state:
                out.append(Problem(f, path, f"'{status}' and '{lowered[key][0]}' are the same status "
                                   "(compared in lower case) but map to different states",
                                   "keep one of the two entries"))
            lowered.setdefault(key, (status, state))


def check_policies(m: PoliciesFile, out: list[Problem]) -> None:
    f = POLICIES
    rc = m.reporting_currency
    fx = m.fx_rates if isinstance(m.fx_rates, dict) else {}
    if not any_invalid(rc) and isinstance(fx.get(rc), list):
        for i, r in enumerate(fx[rc]):
            if r is not INVALID and not any_invalid(r.rate) and r.rate != 1.0:
                out.append(Problem(f, f"fx_rates.{rc}[#{i + 1}].rate", f"the reporting currency {rc} must "
                                   f"convert to itself at 1.0, found {r.rate}",
                                   f"set the rate to 1.0 or remove {rc} from fx_rates (1.0 is then implied)"))
    for cur, rates in fx.items():
        if not isinstance(rates, list):
            continue
        for i in range(1, len(rates)):
            a, b = rates[i - 1], rates[i]
            if INVALID in (a, b) or any_invalid(a.from_, b.from_):
                continue
            if b.from_ <= a.from_:
                out.append(Problem(f, f"fx_rates.{cur}[#{i + 1}].from",
                                   f"'{b.from_}' is not after the previous entry's '{a.from_}'",
                                   "list the rates oldest first, one entry per starting month"))
    if isinstance(m.stale_window_days, dict):
        for src in DISCOVERY_SOURCES:
            if src not in m.stale_window_days:
                out.append(Problem(f, "stale_window_days", f"no window for discovery source '{src}'",
                                   f"add `{src}: <days>` (every source needs one: {', '.join(DISCOVERY_SOURCES)})"))
        for src in m.stale_window_days:
            if src not in DISCOVERY_SOURCES:
                out.append(Problem(f, f"stale_window_days.{src}", f"unknown discovery source '{src}'",
                                   _one_of(src, DISCOVERY_SOURCES, "discovery sources")))


def check_finance(m: PoliciesFile, data: dict, rx: Regex, out: list[Problem]) -> None:
    """Shared cost centers and cloud cost rules (docs/decisions/cost-allocation-drivers.md)."""
    f = POLICIES
    shared = m.shared_cost_centers if isinstance(m.shared_cost_centers, dict) else {}
    unallocated = m.unallocated_cost_center
    if not any_invalid(unallocated) and isinstance(unallocated, str) and unallocated in shared:
        out.append(Problem(f, f"shared_cost_centers.{unallocated}",
                           f"'{unallocated}' is also the unallocated_cost_center",
                           "give unplaced cloud spend its own code, or remove the shared cost center"))
    rules = m.cloud_cost_rules if isinstance(m.cloud_cost_rules, list) else []
    ids: set[str] = set()
    by_precedence: dict[int, str] = {}
    for i, r in enumerate(rules):
        if r is INVALID:
            continue
        path = key_path(data, ("cloud_cost_rules", i))
        if not any_invalid(r.id):
            if r.id in ids:
                out.append(Problem(f, path + ".id", f"rule id '{r.id}' is used by more than one rule",
                                   "give every rule its own id"))
            ids.add(r.id)
        if not any_invalid(r.precedence) and isinstance(r.precedence, int):
            if r.precedence in by_precedence:
                out.append(Problem(f, path + ".precedence",
                                   f"precedence {r.precedence} is shared with rule '{by_precedence[r.precedence]}'",
                                   "give every cloud cost rule its own precedence (lower wins)"))
            by_precedence.setdefault(r.precedence, r.id if not any_invalid(r.id) else f"#{i + 1}")
        for key in CLOUD_RULE_CONDITIONS:
            value = getattr(r, key)
            if isinstance(value, str):
                check_regex(rx, f, f"{path}.{key}", value, out)
        if not any_invalid(r.tag_value, r.tag_key) and r.tag_value is not None and r.tag_key is None:
            out.append(Problem(f, path + ".tag_value", "tag_value is given without tag_key",
                               "add tag_key: the pattern of the tag key whose value is tested"))
        if not any_invalid(r.cost_center, r.tag_key) and r.cost_center is None and r.tag_key is None:
            out.append(Problem(f, path, "the rule has no cost_center and no tag_key to take one from",
                               "add `cost_center: <code>`, or a tag_key whose value is the cost center"))


def _check_rule_list(file: str, data: dict, key: str, items: Any, patterns: tuple[str, ...], rx: Regex,
                     out: list[Problem]) -> list[tuple[str, Any]]:
    """Issue 13: a list of {id, <patterns>…}: ids unique, patterns valid. Returns (path, item) of
    the valid items, for checks of their own."""
    seen: set[str] = set()
    valid = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        if item is INVALID:
            continue
        path = key_path(data, (key, i))
        if not any_invalid(item.id):
            if item.id in seen:
                out.append(Problem(file, path + ".id", f"id '{item.id}' is used by more than one rule",
                                   "give every entry its own id"))
            seen.add(item.id)
        for attr in patterns:
            value = getattr(item, attr)
            if isinstance(value, str):
                check_regex(rx, file, f"{path}.{attr}", value, out)
        valid.append((path, item))
    return valid


def check_tco_rules(m: PoliciesFile, data: dict, classes: dict | None, rx: Regex, out: list[Problem]) -> None:
    """Issue 13: maintenance GL rules name a known class and valid patterns; ids are unique."""
    for path, r in _check_rule_list(POLICIES, data, "maintenance_gl_rules", m.maintenance_gl_rules,
                                    MAINTENANCE_RULE_CONDITIONS, rx, out):
        if classes is not None and not any_invalid(r.class_) and r.class_ not in classes:
            out.append(Problem(POLICIES, path + ".class", f"unknown class '{r.class_}'",
                               _one_of(r.class_, classes, "classes of asset_classes.yaml")))


def check_model_families(m: AssetClassesFile, data: dict, rx: Regex, out: list[Problem]) -> None:
    """Issue 13: model family ids are unique and their patterns compile."""
    _check_rule_list(ASSET_CLASSES, data, "model_families", m.model_families, ("model", "os"), rx, out)


STALE_RECORD_SOURCES = DISCOVERY_SOURCES + ("cmdb",)


def check_stale_windows(m: PoliciesFile, classes: dict | None, out: list[Problem]) -> None:
    """Export feeds must be landing sources; class windows name a record source and a class."""
    f = POLICIES
    if isinstance(m.export_stale_window_days, dict):
        for src in m.export_stale_window_days:
            if src not in SOURCES + EXTENSION_SOURCES:
                out.append(Problem(f, f"export_stale_window_days.{src}", f"unknown landing source '{src}'",
                                   _one_of(src, SOURCES + EXTENSION_SOURCES, "landing sources")))
    if isinstance(m.stale_window_class_days, dict):
        for src, by_class in m.stale_window_class_days.items():
            if src not in STALE_RECORD_SOURCES:
                out.append(Problem(f, f"stale_window_class_days.{src}", f"unknown record source '{src}'",
                                   _one_of(src, STALE_RECORD_SOURCES, "record sources")))
            if classes is None or not isinstance(by_class, dict):
                continue
            for cid in by_class:
                if cid not in classes:
                    out.append(Problem(f, f"stale_window_class_days.{src}.{cid}", f"unknown class '{cid}'",
                                       _one_of(cid, list(classes), "classes of asset_classes.yaml")))


def _names(d: Any) -> dict:
    """A dictionary's entries whose value is a usable list of names."""
    if not isinstance(d, dict):
        return {}
    return {k: [x for x in v if isinstance(x, str)] for k, v in d.items() if isinstance(v, list)}


def check_normalisation(m: NormalisationFile, data: dict, rx: Regex, out: list[Problem]) -> None:
    f = NORMALISATION
    publishers = _names(m.publisher_aliases)
    owner: dict[str, tuple[str, str]] = {}  # normalised name → (canonical, as written)
    for canonical, aliases in publishers.items():
        for name in [canonical] + aliases:
            norm = normalise_name(name)
            path = f"publisher_aliases.{canonical}"
            if not norm:
                out.append(Problem(f, path, f"'{name}' is empty once normalised (only punctuation or "
                                   "legal suffixes)", "remove it or write the actual name"))
                continue
            if norm in owner and owner[norm][0] != canonical:
                other, written = owner[norm]
                out.append(Problem(f, path, f"'{name}' is also mapped to '{other}' (as '{written}'; both read "
                                   f"as '{norm}'), so it maps to two different canonical names",
                                   "keep the alias under one publisher only"))
            owner.setdefault(norm, (canonical, name))
    canon_norm = {normalise_name(c) for c in publishers}
    products_by_pub = m.product_aliases if isinstance(m.product_aliases, dict) else {}
    for publisher, products in products_by_pub.items():
        if m.publisher_aliases is not INVALID and normalise_name(publisher) not in canon_norm:
            out.append(Problem(f, f"product_aliases.{publisher}", f"unknown publisher '{publisher}'",
                               _one_of(publisher, list(publishers),
                                       "canonical publishers of publisher_aliases (or add it there)")))
        powner: dict[str, tuple[str, str]] = {}
        for product, aliases in _names(products).items():
            for name in [product] + aliases:
                norm = normalise_name(name)
                path = f"product_aliases.{publisher}.{product}"
                if not norm:
                    out.append(Problem(f, path, f"'{name}' is empty once normalised", "write the actual name"))
                    continue
                if norm in powner and powner[norm][0] != product:
                    out.append(Problem(f, path, f"'{name}' is also mapped to product '{powner[norm][0]}' (both "
                                       f"read as '{norm}'), so it maps to two different canonical names",
                                       "keep the alias under one product only"))
                powner.setdefault(norm, (product, name))
    app_cat: dict[str, tuple[str, str]] = {}
    for cat, apps in _names(m.saas_categories).items():
        for app in apps:
            norm = normalise_name(app)
            if norm in app_cat and app_cat[norm][0] != cat:
                out.append(Problem(f, f"saas_categories.{cat}", f"app '{app}' is also in category "
                                   f"'{app_cat[norm][0]}'", "put every app in exactly one category"))
            app_cat.setdefault(norm, (cat, app))
    rules = m.unauthorised_software if isinstance(m.unauthorised_software, list) else []
    ids: set[str] = set()
    for i, u in enumerate(rules):
        if u is INVALID:
            continue
        path = key_path(data, ("unauthorised_software", i))
        if not any_invalid(u.id):
            rid = u.id or f"unauthorised-{i + 1}"
            if rid in ids:
                out.append(Problem(f, path + ".id", f"rule id '{rid}' is used by more than one rule",
                                   "give every rule its own id"))
            ids.add(rid)
        for key in ("publisher", "product"):
            if not any_invalid(getattr(u, key)):
                check_regex(rx, f, f"{path}.{key}", getattr(u, key), out)
    _check_eol_products(m, data, rx, out)


def _check_eol_products(m: NormalisationFile, data: dict, rx: Regex, out: list[Problem]) -> None:
    f = NORMALISATION
    rules = m.eol_products if isinstance(m.eol_products, list) else []
    ids: set[str] = set()
    for i, r in enumerate(rules):
        if r is INVALID:
            continue
        path = key_path(data, ("eol_products", i))
        if not any_invalid(r.id):
            if r.id in ids:
                out.append(Problem(f, path + ".id", f"rule id '{r.id}' is used by more than one rule",
                                   "give every rule its own id"))
            ids.add(r.id)
        if any_invalid(r.pattern) or not check_regex(rx, f, f"{path}.pattern", r.pattern, out) or any_invalid(r.cycle):
            continue
        groups = _group_count(r.pattern)
        for ref in sorted({int(g) for g in CYCLE_GROUP_REF.findall(r.cycle)}):
            if groups is not None and ref > groups:
                out.append(Problem(f, path + ".cycle", f"\\{ref} refers to group {ref} but the pattern has "
                                   f"{groups} group(s)", "put the part to copy in parentheses in the pattern, "
                                   "or write the cycle as text"))


def _group_count(pattern: str) -> int | None:
    """Capture groups in a pattern (RE2 and Python agree on group syntax); None if Python cannot
    read an RE2-only construct, in which case the count is not checked."""
    try:
        return re.compile(pattern).groups
    except re.error:
        return None
