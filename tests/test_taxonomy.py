"""The declared governance model (taxonomy/*.yaml): loading, every validation error, the warehouse
tables, the report and the CLI commands. Fast: no Dagster, no dbt, an in-memory DuckDB."""
from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from dagster_project.governance.loading import content_hash, load_taxonomy
from dagster_project.governance.names import normalise_name
from dagster_project.governance.problems import TaxonomyError
from dagster_project.governance.report import check_command, render_report, report_command
from dagster_project.governance.schema import FILES
from dagster_project.governance.tables import TABLES, write_taxonomy_tables

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "taxonomy"
MINIMAL = REPO / "tests" / "fixtures" / "taxonomy" / "minimal"


@pytest.fixture(scope="module")
def shipped():
    return load_taxonomy(SHIPPED)


@pytest.fixture(scope="module")
def con(shipped):
    c = duckdb.connect(":memory:")
    write_taxonomy_tables(c, shipped)
    yield c
    c.close()


def copy_taxonomy(tmp_path: Path, source: Path = SHIPPED) -> Path:
    d = tmp_path / "taxonomy"
    shutil.copytree(source, d)
    return d


def edit(d: Path, file: str, old: str, new: str) -> None:
    p = d / file
    text = p.read_text()
    assert old in text, f"{old!r} not in {file}"
    p.write_text(text.replace(old, new, 1))


def problems_after(tmp_path: Path, *edits) -> list[str]:
    d = copy_taxonomy(tmp_path)
    for e in edits:
        edit(d, *e)
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(d)
    return [str(p) for p in info.value.problems]


def assert_problem(problems: list[str], file_and_path: str, *fragments: str) -> str:
    """One problem line starts with '<file>: <key path>: ' and holds every fragment."""
    hits = [p for p in problems if p.startswith(file_and_path + ": ") and all(f in p for f in fragments)]
    assert hits, f"no problem '{file_and_path}: ...{fragments}' in:\n" + "\n".join(problems)
    assert " — " in hits[0], "every problem says how to fix it"
    return hits[0]


# ---------------------------------------------------------------------------------------------
# The shipped taxonomy
# ---------------------------------------------------------------------------------------------

def test_shipped_taxonomy_loads(shipped):
    assert len(shipped.asset_classes.classes) == 15  # + virtual_machine (issue 14.3)
    assert len(shipped.asset_classes.classification_rules) == 25  # + 8 by device / chassis type
    assert len(shipped.ownership.rules) == 8
    laptop = shipped.classes["laptop"]
    assert laptop.class_path == "hardware/end_user_device/laptop"
    assert laptop.depth == 2
    assert laptop.capitalise is True and laptop.inherited["capitalise"] == "hardware"
    assert laptop.useful_life_months == 36 and "useful_life_months" not in laptop.inherited
    assert shipped.ancestors("laptop") == ["laptop", "end_user_device", "hardware"]


def test_tables_have_the_architecture_columns(con):
    for table, columns in TABLES.items():
        got = con.execute("select column_name, data_type from information_schema.columns "
                          "where table_schema = 'taxonomy' and table_name = ? order by ordinal_position",
                          [table]).fetchall()
        assert [c for c, _ in got] == [c for c, _ in columns], table
    assert con.execute("select column_name from information_schema.columns where table_schema = 'taxonomy' "
                       "and table_name = 'meta' order by ordinal_position").fetchall() == [("loaded_at",), ("content_hash",)]


def test_table_counts(con):
    counts = {t: con.execute(f"select count(*) from taxonomy.{t}").fetchone()[0] for t in TABLES}
    assert counts == {
        "asset_classes": 15, "class_ancestors": 15 + 10 + 4,  # self rows + parents + grandparents
        "classification_rules": 25, "ownership_rules": 8, "lifecycle_states": 6,
        "lifecycle_transitions": 12, "status_map": 18, "policy": 1, "stale_windows": 4, "fx_rates": 5,
        "export_stale_windows": 4, "class_stale_windows": 0,
        "publisher_aliases": 17 + 37, "product_aliases": 6 + 14, "saas_categories": 23,
        "unauthorised_software": 3, "retirement_evidence": 2, "eol_products": 29 + 12,
        "allocation_rules": 2 + 3 + 2, "cloud_cost_rules": 1,  # two shared cost centers + their overrides
        # licensing.yaml (issue 13)
        "license_settings": 1, "license_metric_order": 4, "vm_host_relationships": 3, "core_factors": 4,
        "license_products": 3, "license_bundles": 0, "sku_service_plans": 4,
        # policies.yaml maintenance rules and asset_classes.yaml model families (issue 13)
        "maintenance_gl_rules": 4, "model_families": 2,
    }


def test_table_values(con, shipped):
    def one(sql, *p):
        return con.execute(sql, list(p)).fetchone()

    assert one("select parent_class_id, label, class_path, depth, lifecycle_tracking, useful_life_months, "
               "refresh_cycle_months, depreciation_method, capitalise, required_fields "
               "from taxonomy.asset_classes where class_id = 'laptop'") == (
        "end_user_device", "Laptop", "hardware/end_user_device/laptop", 2, "full", 36, 48, "straight_line",
        True, ["serial_number", "hostname", "cost_center", "assigned_user"])
    # desktop sets no required_fields: it inherits hardware's list
    assert one("select required_fields from taxonomy.asset_classes where class_id = 'desktop'") == (
        ["serial_number", "cost_center", "owner_function"],)
    assert one("select capitalise, lifecycle_tracking from taxonomy.asset_classes where class_id = 'mobile'") == (
        False, "lightweight")
    assert con.execute("select ancestor_class_id, distance from taxonomy.class_ancestors "
                       "where class_id = 'perpetual' order by distance").fetchall() == [
        ("perpetual", 0), ("license", 1), ("software", 2)]
    assert one("select class_id, precedence, applies_to, model, ci_class, has_term_end "
               "from taxonomy.classification_rules where rule_id = 'laptop-model'") == (
        "laptop", 45, "device", "latitude|thinkpad|elitebook|probook|macbook|surface laptop|xps|zbook", None, None)
    assert one("select has_term_end from taxonomy.classification_rules where rule_id = 'perpetual-entitlement'") == (False,)
    assert one("select precedence, class_id, cost_center, owning_function, accountable_owner, asset_manager "
               "from taxonomy.ownership_rules where rule_id = 'servers-in-infrastructure'") == (
        10, "server", "CC-IT-INFRA", "IT", "infra.lead@example.com", "hannah.asset@example.com")
    assert one("select ordinal from taxonomy.lifecycle_states where state = 'in_use'") == (3,)
    assert one("select count(*) from taxonomy.lifecycle_transitions where from_state = 'disposed'") == (0,)
    assert one("select state from taxonomy.status_map where source_system = 'cmdb' and source_status = 'on order'") == (
        "planned",)
    assert one("select count(*) from taxonomy.status_map where source_status <> lower(source_status)") == (0,)
    policy = one("select * from taxonomy.policy")
    assert policy[0] == "EUR" and policy[1:6] == (180, 90, 60, 6, 6)
    assert float(policy[6]) == 1000 and policy[7] == 8 and float(policy[8]) == 2 and float(policy[9]) == 2
    assert one("select stale_days from taxonomy.stale_windows where discovery_source = 'cloud_api'") == (7,)
    assert [(c, p, float(r)) for c, p, r in con.execute(
        "select * from taxonomy.fx_rates where currency = 'USD' order by from_period").fetchall()] == [
        ("USD", "1970-01", 0.92), ("USD", "2026-07", 0.90)]
    assert one("select publisher from taxonomy.publisher_aliases where alias = 'MSFT'") == ("Microsoft",)
    assert one("select publisher from taxonomy.publisher_aliases where alias = 'Microsoft'") == ("Microsoft",)
    assert one("select product from taxonomy.product_aliases where publisher = 'Adobe' and alias = 'Acrobat Pro'") == (
        "Acrobat Pro",)
    assert one("select product from taxonomy.product_aliases where alias = 'Visio Plan 2'") == ("Visio Professional",)
    assert one("select function_category from taxonomy.saas_categories where app_name = 'Slack'") == ("team_chat",)
    assert one("select publisher_pattern, product_pattern from taxonomy.unauthorised_software "
               "where rule_id = 'teamviewer'") == ("teamviewer", ".*")
    assert one("select content_hash from taxonomy.meta") == (shipped.content_hash,)
    assert one("select position, match, pattern, product, cycle from taxonomy.eol_products "
               "where rule_id = 'windows-server'") == (19, "os", "windows server (\\d{4})", "windows-server", "\\1")
    assert one("select age_horizon_months from taxonomy.policy") == (6,)


def test_rewrite_replaces_contents_and_failure_keeps_old(shipped, tmp_path, monkeypatch):
    c = duckdb.connect(":memory:")
    write_taxonomy_tables(c, shipped)
    c.execute("create table taxonomy.leftover (x int)")
    minimal = load_taxonomy(MINIMAL)
    write_taxonomy_tables(c, minimal)
    assert c.execute("select count(*) from taxonomy.asset_classes").fetchone() == (2,)
    assert c.execute("select count(*) from information_schema.tables where table_name = 'leftover'").fetchone() == (0,)
    # a failure half-way leaves the previous model in place
    broken = minimal.table_rows()
    broken["unauthorised_software"] = [("only", "one")]
    monkeypatch.setattr(type(shipped), "table_rows", lambda self: broken)
    with pytest.raises(duckdb.Error):
        write_taxonomy_tables(c, shipped)
    assert c.execute("select count(*) from taxonomy.asset_classes").fetchone() == (2,)
    assert c.execute("select content_hash from taxonomy.meta").fetchone() == (minimal.content_hash,)


def test_content_hash_follows_the_files(tmp_path):
    d = copy_taxonomy(tmp_path)
    before = content_hash(d)
    assert before == content_hash(SHIPPED)
    edit(d, "policies.yaml", "reclaim_window_days: 90", "reclaim_window_days: 91")
    assert content_hash(d) != before


def test_minimal_taxonomy_defaults():
    t = load_taxonomy(MINIMAL)
    rows = t.table_rows()
    # the reporting currency converts to itself at 1.0 without being listed
    assert rows["fx_rates"][0] == ("NOK", "1900-01", 1.0)
    # a rule without asset_manager takes asset_managers of its class's nearest listed ancestor
    assert rows["ownership_rules"][0] == ("computers", 0, "computer", "4100", "IT", "desk@example.com",
                                          "manager@example.com")
    # `No` stays a word (not YAML 1.1's false); a null transition list is final; extra states allowed
    assert ("glpi", "no", "lost") in rows["status_map"]
    assert ("lost", 7) in rows["lifecycle_states"]
    assert not [r for r in rows["lifecycle_transitions"] if r[0] == "disposed"]
    assert rows["publisher_aliases"] == [("Microsoft", "Microsoft")]
    assert rows["saas_categories"] == [] and rows["unauthorised_software"] == []
    # optional keys added later default: no end-of-life rules, a 6-month age horizon
    assert rows["eol_products"] == [] and t.policies.age_horizon_months == 6


def test_normalise_name_matches_the_dbt_macro():
    assert normalise_name("Microsoft Corp.") == "microsoft"
    assert normalise_name("  JetBrains s.r.o. ") == "jetbrains"
    assert normalise_name("Adobe Systems Incorporated") == "adobe systems"
    assert normalise_name("The Foo Co. Ltd") == "foo"
    assert normalise_name("Notepad++") == "notepad++"


# ---------------------------------------------------------------------------------------------
# Files and YAML
# ---------------------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    d = copy_taxonomy(tmp_path)
    (d / "ownership.yaml").unlink()
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(d)
    assert_problem([str(p) for p in info.value.problems], "ownership.yaml: (file)", "file not found")


def test_missing_folder(tmp_path):
    with pytest.raises(TaxonomyError, match="folder does not exist"):
        load_taxonomy(tmp_path / "nowhere")


def test_yaml_syntax_error_names_the_line(tmp_path):
    problems = problems_after(tmp_path, ("policies.yaml", "reclaim_window_days: 90", "reclaim_window_days: [90"))
    line = next(i for i, ln in enumerate((SHIPPED / "policies.yaml").read_text().splitlines(), 1)
                if ln.startswith("reclaim_window_days"))
    assert_problem(problems, "policies.yaml: line 21, column 1", "YAML syntax error",
                   f"flow sequence starts at line {line})")


def test_bad_indentation_is_a_syntax_error(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", "    label: Laptop\n", "    label: Laptop\n     x: 1\n"))
    line = (SHIPPED / "asset_classes.yaml").read_text().splitlines().index("    label: Laptop") + 2
    assert_problem(problems, f"asset_classes.yaml: line {line}, column 7", "YAML syntax error",
                   "mapping values are not allowed")


def test_duplicate_key(tmp_path):
    problems = problems_after(tmp_path, ("policies.yaml", "eol_horizon_months: 6", "eol_horizon_months: 6\neol_horizon_months: 9"))
    line = (SHIPPED / "policies.yaml").read_text().splitlines().index("eol_horizon_months: 6") + 1
    assert_problem(problems, f"policies.yaml: line {line + 1}", "key 'eol_horizon_months' is written twice",
                   f"first at line {line}")


def test_empty_file_and_wrong_top_level(tmp_path):
    d = copy_taxonomy(tmp_path)
    (d / "lifecycle.yaml").write_text("# nothing\n")
    (d / "normalisation.yaml").write_text("- just\n- a list\n")
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(d)
    problems = [str(p) for p in info.value.problems]
    assert_problem(problems, "lifecycle.yaml: (file)", "the file is empty")
    assert_problem(problems, "normalisation.yaml: (file)", "must be a set of `key: value` entries")


def test_every_problem_of_every_file_is_listed(tmp_path):
    problems = problems_after(
        tmp_path,
        ("asset_classes.yaml", "parent: end_user_device\n    label: Laptop", "parent: end_user_devices\n    label: Laptop"),
        ("ownership.yaml", "class: saas", "class: saas_apps"),
        ("lifecycle.yaml", "archived: disposed", "archived: destroyed"),
        ("policies.yaml", "cloud_api: 7", "cloud_api: 0"),
        ("normalisation.yaml", "[Figma, Canva, Miro]", "[Figma, Canva, Miro, Zoom]"),
    )
    assert [p.split(":")[0] for p in problems] == list(FILES)  # grouped by file, in FILES order


def test_a_schema_error_does_not_hide_the_other_problems(tmp_path):
    problems = problems_after(
        tmp_path,
        ("asset_classes.yaml", "    useful_life_months: 24", "    useful_life_months: 0"),  # schema
        ("asset_classes.yaml", "precedence: 45", "precedence: 40"),  # meaning, same file
        ("ownership.yaml", "cost_center: CC-IT-INFRA", "costcenter: CC-IT-INFRA"),  # schema
        ("ownership.yaml", "class: saas", "class: saas_apps"),  # meaning, same file
        ("policies.yaml", "reporting_currency: EUR", "reporting_currency: eur"),  # schema
        ("policies.yaml", "  mdm: 30\n", ""),  # meaning, same file
    )
    assert_problem(problems, "asset_classes.yaml: classes.mobile.useful_life_months", "greater than 0")
    assert_problem(problems, "asset_classes.yaml: classification_rules[laptop-model].precedence", "shared")
    assert_problem(problems, "ownership.yaml: rules[servers-in-infrastructure].costcenter", "unknown key")
    assert_problem(problems, "ownership.yaml: rules[saas].class", "unknown class 'saas_apps'")
    assert_problem(problems, "policies.yaml: reporting_currency", "'eur' is not valid")
    assert_problem(problems, "policies.yaml: stale_window_days", "'mdm'")
    # the misspelt cost_center leaves that rule's scope unknown: no guessed overlap with 'servers'
    assert len(problems) == 6, problems


# ---------------------------------------------------------------------------------------------
# Schema errors (typos caught by the models)
# ---------------------------------------------------------------------------------------------

def test_unknown_key_suggests_the_right_one(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", "    parent: end_user_device\n    label: Laptop",
                                         "    parnet: end_user_device\n    label: Laptop"))
    assert_problem(problems, "asset_classes.yaml: classes.laptop.parnet", "unknown key 'parnet'",
                   "did you mean 'parent'?")


def test_unknown_key_in_a_rule_names_the_rule(tmp_path):
    problems = problems_after(tmp_path, ("ownership.yaml", "    cost_center: CC-IT-INFRA", "    costcenter: CC-IT-INFRA"))
    assert_problem(problems, "ownership.yaml: rules[servers-in-infrastructure].costcenter", "unknown key",
                   "did you mean 'cost_center'?")


def test_missing_required_key(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", "    label: Laptop\n", ""))
    assert_problem(problems, "asset_classes.yaml: classes.laptop.label", "required key is missing", "add `label:`")


def test_missing_policy(tmp_path):
    problems = problems_after(tmp_path, ("policies.yaml", "default_cores_per_device: 8\n", ""))
    assert_problem(problems, "policies.yaml: default_cores_per_device", "required key is missing")


def test_value_not_allowed(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", "    lifecycle_tracking: full\n", "    lifecycle_tracking: fulll\n"))
    assert_problem(problems, "asset_classes.yaml: classes.hardware.lifecycle_tracking", "'fulll' is not an allowed value",
                   "'full' or 'lightweight'")


def test_applies_to_not_allowed(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", "applies_to: saas_app", "applies_to: saas"))
    assert_problem(problems, "asset_classes.yaml: classification_rules[saas-app].applies_to", "'saas' is not an allowed value")


def test_months_must_be_whole_positive(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", "useful_life_months: 36", "useful_life_months: three years"),
                              ("asset_classes.yaml", "useful_life_months: 24", "useful_life_months: 0"))
    assert_problem(problems, "asset_classes.yaml: classes.laptop.useful_life_months", "valid integer", "'three years'")
    assert_problem(problems, "asset_classes.yaml: classes.mobile.useful_life_months", "greater than 0")


def test_class_name_format(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", "  printer:", "  Printer:"))
    assert_problem(problems, "asset_classes.yaml: classes.Printer", "name 'Printer' is not allowed", "lower-case")


def test_no_classes(tmp_path):
    d = copy_taxonomy(tmp_path)
    text = (d / "asset_classes.yaml").read_text()
    (d / "asset_classes.yaml").write_text("classes: {}\n" + text[text.index("classification_rules:"):])
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(d)
    assert_problem([str(p) for p in info.value.problems], "asset_classes.yaml: classes", "there are no classes")


# ---------------------------------------------------------------------------------------------
# asset_classes.yaml: the class tree and classification rules
# ---------------------------------------------------------------------------------------------

def test_unknown_parent(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", "parent: end_user_device\n    label: Laptop",
                                         "parent: end_user_devices\n    label: Laptop"))
    assert_problem(problems, "asset_classes.yaml: classes.laptop.parent", "unknown class 'end_user_devices'",
                   "did you mean 'end_user_device'?", "desktop, end_user_device")


def test_cycle_in_class_tree(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", "  hardware:\n", "  hardware:\n    parent: laptop\n"))
    hit = assert_problem(problems, "asset_classes.yaml: classes.hardware.parent", "cycle")
    assert "hardware → laptop → end_user_device → hardware" in hit


def test_class_parent_of_itself(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", "  saas:\n", "  saas:\n    parent: saas\n"))
    assert_problem(problems, "asset_classes.yaml: classes.saas.parent", "cycle: saas → saas")


def test_unresolved_lifecycle_tracking(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", "    label: SaaS application\n    lifecycle_tracking: lightweight\n",
                                         "    label: SaaS application\n"))
    assert_problem(problems, "asset_classes.yaml: classes.saas.lifecycle_tracking", "not set on the class nor on any of its ancestors")


def test_capitalised_class_needs_depreciation(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", "    capitalise: true\n    depreciation_method: straight_line\n",
                                         "    capitalise: true\n"))
    assert_problem(problems, "asset_classes.yaml: classes.network.depreciation_method", "capitalised")
    assert not [p for p in problems if "classes.server." in p]  # server sets its own method


def test_required_field_listed_twice(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", "[serial_number, hostname, cost_center, location]",
                                         "[serial_number, hostname, cost_center, hostname]"))
    assert_problem(problems, "asset_classes.yaml: classes.server.required_fields", "hostname listed twice")


def test_rule_with_unknown_class(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", "    class: laptop\n    precedence: 45",
                                         "    class: laptops\n    precedence: 45"))
    assert_problem(problems, "asset_classes.yaml: classification_rules[laptop-model].class", "unknown class 'laptops'",
                   "did you mean 'laptop'?")


def test_duplicate_classification_rule_id(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", "id: server-model", "id: server-os"))
    assert_problem(problems, "asset_classes.yaml: classification_rules[server-os].id", "used by more than one rule")


def test_equal_precedence_same_applies_to(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", "precedence: 45", "precedence: 40"))
    assert_problem(problems, "asset_classes.yaml: classification_rules[laptop-model].precedence",
                   "precedence 40 is shared with rule 'cmdb-laptop-class'", "device")


def test_equal_precedence_with_any(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", "precedence: 120\n    applies_to: saas_app",
                                         "precedence: 110\n    applies_to: any"))
    assert_problem(problems, "asset_classes.yaml: classification_rules[saas-app].precedence",
                   "shared with rule 'perpetual-entitlement'")


def test_equal_precedence_different_record_kinds_is_fine(tmp_path):
    d = copy_taxonomy(tmp_path)
    edit(d, "asset_classes.yaml", "precedence: 120", "precedence: 110")  # saas_app vs entitlement
    load_taxonomy(d)


def test_catch_all_rule_shadows_later_rules(tmp_path):
    problems = problems_after(tmp_path, ('asset_classes.yaml', '    ci_class: "server|cmdb_ci_server|cmdb_ci_linux_server|cmdb_ci_win_server|cmdb_ci_esx_server"\n', ''))
    hit = assert_problem(problems, "asset_classes.yaml: classification_rules[server-os].precedence",
                         "can never match", "rule 'cmdb-server-class' (precedence 20) has no conditions")
    assert "a catch-all rule belongs last" in hit
    assert not [p for p in problems if "[cloud-instance]" in p or "[subscription-entitlement]" in p]


def test_rule_with_the_conditions_of_an_earlier_rule(tmp_path):
    problems = problems_after(tmp_path, ('asset_classes.yaml', '    os_name: "windows server|red hat|rhel|ubuntu server|vmware esxi|suse"\n',
                                         '    os_name: "windows server|red hat|rhel|ubuntu server|vmware esxi|suse"\n    discovery_source: cloud_api\n'))
    assert_problem(problems, "asset_classes.yaml: classification_rules[server-os].precedence",
                   "rule 'cloud-instance' (precedence 10) has only conditions this rule also has")


def test_invalid_regex(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", '"poweredge|proliant|thinksystem|ucs"',
                                         '"poweredge|(proliant|thinksystem|ucs"'))
    assert_problem(problems, "asset_classes.yaml: classification_rules[server-model].model",
                   "invalid regular expression", "missing )")


def test_look_ahead_is_not_re2(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", '"laptop|notebook"', '"laptop(?!s)|notebook"'))
    assert_problem(problems, "asset_classes.yaml: classification_rules[cmdb-laptop-class].ci_class",
                   "invalid regular expression")


def test_blank_pattern(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", '"laptop|notebook"', '" "'))
    assert_problem(problems, "asset_classes.yaml: classification_rules[cmdb-laptop-class].ci_class", "blank")


def test_condition_the_record_kind_never_has(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", '    license_metric: "subscription"',
                                         '    ci_class: "subscription"'))
    assert_problem(problems, "asset_classes.yaml: classification_rules[subscription-entitlement].ci_class",
                   "entitlement records have no ci_class", "set applies_to to device")


def test_discovery_source_pattern_matching_no_source(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", "discovery_source: cloud_api", "discovery_source: cloud-api"))
    assert_problem(problems, "asset_classes.yaml: classification_rules[cloud-instance].discovery_source",
                   "matches none of the discovery_source values")


# ---------------------------------------------------------------------------------------------
# ownership.yaml
# ---------------------------------------------------------------------------------------------

def test_ownership_unknown_class(tmp_path):
    problems = problems_after(tmp_path, ("ownership.yaml", "class: end_user_device", "class: end_user_devices"))
    assert_problem(problems, "ownership.yaml: rules[end-user-devices].class", "unknown class 'end_user_devices'",
                   "did you mean 'end_user_device'?")


def test_ownership_unknown_class_while_asset_classes_is_broken(tmp_path):
    problems = problems_after(tmp_path, ("asset_classes.yaml", "    lifecycle_tracking: full\n", "    lifecycle_tracking: fulll\n"),
                              ("ownership.yaml", "class: network", "class: netwrok"))
    assert_problem(problems, "ownership.yaml: rules[network].class", "unknown class 'netwrok'")


def test_asset_managers_unknown_class(tmp_path):
    problems = problems_after(tmp_path, ("ownership.yaml", "  software: sam", "  softwares: sam"))
    assert_problem(problems, "ownership.yaml: asset_managers.softwares", "unknown class 'softwares'")


def test_duplicate_ownership_rule_id(tmp_path):
    problems = problems_after(tmp_path, ("ownership.yaml", "id: mobile", "id: network"))
    assert_problem(problems, "ownership.yaml: rules[network].id", "used by more than one rule")


def test_ownership_equal_precedence_ancestor_scope(tmp_path):
    # end_user_device (30) vs a new hardware rule at 30: hardware is an ancestor of end_user_device
    problems = problems_after(tmp_path, ("ownership.yaml", "    class: network\n", "    class: hardware\n"),
                              ("ownership.yaml", "precedence: 40", "precedence: 30"))
    assert_problem(problems, "ownership.yaml: rules[network].precedence", "precedence 30 is shared with rule 'end-user-devices'")


def test_ownership_equal_precedence_same_class_one_cost_center(tmp_path):
    problems = problems_after(tmp_path, ("ownership.yaml", "precedence: 20", "precedence: 10"))
    assert_problem(problems, "ownership.yaml: rules[servers].precedence", "shared with rule 'servers-in-infrastructure'",
                   "cost center CC-IT-INFRA")


def test_ownership_equal_precedence_disjoint_scopes_is_fine(tmp_path):
    d = copy_taxonomy(tmp_path)
    edit(d, "ownership.yaml", "precedence: 40", "precedence: 30")  # network vs end_user_device: disjoint
    load_taxonomy(d)
    edit(d, "ownership.yaml", "precedence: 20\n    class: server\n",
         "precedence: 10\n    class: server\n    cost_center: CC-OTHER\n")  # two cost centers
    load_taxonomy(d)


def test_ownership_rule_shadowed_by_a_broader_earlier_rule(tmp_path):
    problems = problems_after(tmp_path, ("ownership.yaml", "precedence: 10", "precedence: 25"))
    assert_problem(problems, "ownership.yaml: rules[servers-in-infrastructure].precedence", "can never match",
                   "rule 'servers' (precedence 20) covers every asset", "below 20")
    problems = problems_after(tmp_path / "b", ("ownership.yaml", "precedence: 40\n    class: network", "precedence: 40\n    class: hardware"))
    assert_problem(problems, "ownership.yaml: rules[mobile].precedence", "rule 'network' (precedence 40)")


def test_ownership_rule_without_asset_manager(tmp_path):
    problems = problems_after(tmp_path, ("ownership.yaml", "  software: sam.licence@example.com\n", ""),
                              ("ownership.yaml", "    accountable_owner: procurement.lead@example.com\n    asset_manager: sam.licence@example.com\n",
                               "    accountable_owner: procurement.lead@example.com\n"))
    assert_problem(problems, "ownership.yaml: rules[licenses].asset_manager", "no asset manager",
                   "add the class to asset_managers")


def test_ownership_asset_manager_default(tmp_path):
    d = copy_taxonomy(tmp_path)
    edit(d, "ownership.yaml", "    accountable_owner: network.lead@example.com\n    asset_manager: hannah.asset@example.com\n",
         "    accountable_owner: network.lead@example.com\n")
    rule = next(r for r in load_taxonomy(d).ownership_rules if r.rule_id == "network")
    assert (rule.asset_manager, rule.asset_manager_from) == ("hannah.asset@example.com", "hardware")


# ---------------------------------------------------------------------------------------------
# lifecycle.yaml
# ---------------------------------------------------------------------------------------------

def test_transition_to_undeclared_state(tmp_path):
    problems = problems_after(tmp_path, ("lifecycle.yaml", "retired: [disposed, in_stock]", "retired: [disposed, instock]"))
    assert_problem(problems, "lifecycle.yaml: transitions.retired", "transition to undeclared state 'instock'",
                   "did you mean 'in_stock'?")


def test_transition_from_undeclared_state(tmp_path):
    problems = problems_after(tmp_path, ("lifecycle.yaml", "  disposed: []", "  disposed: []\n  lost: [disposed]"))
    assert_problem(problems, "lifecycle.yaml: transitions.lost", "transition from undeclared state 'lost'")


def test_state_without_transitions_entry(tmp_path):
    problems = problems_after(tmp_path, ("lifecycle.yaml", "  disposed: []\n", ""))
    assert_problem(problems, "lifecycle.yaml: transitions", "state 'disposed' has no entry", "`disposed: []`")


def test_contract_state_missing(tmp_path):
    problems = problems_after(tmp_path, ("lifecycle.yaml", "in_repair, retired, disposed]", "retired, disposed]"),
                              ("lifecycle.yaml", "  in_repair: [in_use, in_stock, retired]\n", ""),
                              ("lifecycle.yaml", "[in_stock, in_repair, retired]", "[in_stock, retired]"))
    assert_problem(problems, "lifecycle.yaml: states", "state 'in_repair' is missing")
    hit = assert_problem(problems, "lifecycle.yaml: status_map.cmdb.in repair", "undeclared state 'in_repair'")
    assert "did you mean" not in hit or "in_repair" not in hit.split("did you mean")[1][:15]


def test_state_listed_twice(tmp_path):
    problems = problems_after(tmp_path, ("lifecycle.yaml", "retired, disposed]", "retired, disposed, retired]"))
    assert_problem(problems, "lifecycle.yaml: states", "state 'retired' is listed twice")


def test_status_map_onto_undeclared_state(tmp_path):
    problems = problems_after(tmp_path, ("lifecycle.yaml", "deployed: in_use", "deployed: inuse"))
    assert_problem(problems, "lifecycle.yaml: status_map.cmdb.deployed", "maps onto undeclared state 'inuse'",
                   "did you mean 'in_use'?")


def test_status_map_case_collision(tmp_path):
    problems = problems_after(tmp_path, ("lifecycle.yaml", "    archived: disposed", "    archived: disposed\n    Retired: disposed"))
    assert_problem(problems, "lifecycle.yaml: status_map.cmdb.Retired", "same status", "different states")


def test_retirement_evidence_missing_or_empty(tmp_path):
    problems = problems_after(tmp_path, ("lifecycle.yaml", "retirement_evidence: [sanitisation_date, disposal_certificate]\n", ""))
    assert_problem(problems, "lifecycle.yaml: retirement_evidence", "required key is missing")
    problems = problems_after(tmp_path / "b", ("lifecycle.yaml", "[sanitisation_date, disposal_certificate]", "[]"))
    assert_problem(problems, "lifecycle.yaml: retirement_evidence", "at least 1 item")


def test_retirement_evidence_listed_twice(tmp_path):
    problems = problems_after(tmp_path, ("lifecycle.yaml", "[sanitisation_date, disposal_certificate]",
                                         "[sanitisation_date, sanitisation_date]"))
    assert_problem(problems, "lifecycle.yaml: retirement_evidence", "sanitisation_date listed twice")


# ---------------------------------------------------------------------------------------------
# policies.yaml
# ---------------------------------------------------------------------------------------------

def test_reporting_currency_rate_must_be_one(tmp_path):
    problems = problems_after(tmp_path, ('policies.yaml', 'EUR: [{from: "1970-01", rate: 1.0}]', 'EUR: [{from: "1970-01", rate: 1.1}]'))
    assert_problem(problems, "policies.yaml: fx_rates.EUR[#1].rate", "must convert to itself at 1.0")


def test_reporting_currency_may_be_omitted_from_fx_rates(tmp_path):
    d = copy_taxonomy(tmp_path)
    edit(d, "policies.yaml", '  EUR: [{from: "1970-01", rate: 1.0}]\n', "")
    assert load_taxonomy(d).table_rows()["fx_rates"][0] == ("EUR", "1900-01", 1.0)


def test_rate_must_be_positive(tmp_path):
    problems = problems_after(tmp_path, ("policies.yaml", "rate: 1.17", "rate: 0"), ("policies.yaml", "rate: 1.04", "rate: -1"))
    assert_problem(problems, "policies.yaml: fx_rates.GBP[#1].rate", "greater than 0")
    assert_problem(problems, "policies.yaml: fx_rates.CHF[#1].rate", "greater than 0")


def test_from_month_format(tmp_path):
    problems = problems_after(tmp_path, ("policies.yaml", '{from: "2026-07", rate: 0.90}', "{from: 2026-07-01, rate: 0.90}"),
                              ("policies.yaml", 'GBP: [{from: "1970-01"', 'GBP: [{from: "2000-13"'))
    assert_problem(problems, "policies.yaml: fx_rates.USD[#2].from", "'2026-07-01' is not valid", "YYYY-MM")
    assert_problem(problems, "policies.yaml: fx_rates.GBP[#1].from", "'2000-13' is not valid")


def test_from_months_ascending(tmp_path):
    problems = problems_after(tmp_path, ("policies.yaml", '{from: "2026-07", rate: 0.90}', '{from: "1969-07", rate: 0.90}'))
    assert_problem(problems, "policies.yaml: fx_rates.USD[#2].from", "'1969-07' is not after", "oldest first")


def test_currency_code(tmp_path):
    problems = problems_after(tmp_path, ("policies.yaml", "reporting_currency: EUR", "reporting_currency: euro"),
                              ("policies.yaml", "  CHF:", "  Chf:"))
    assert_problem(problems, "policies.yaml: reporting_currency", "'euro' is not valid", "ISO 4217")
    assert_problem(problems, "policies.yaml: fx_rates.Chf", "name 'Chf' is not allowed")


def test_stale_window_for_every_discovery_source(tmp_path):
    problems = problems_after(tmp_path, ("policies.yaml", "  mdm: 30\n", ""))
    assert_problem(problems, "policies.yaml: stale_window_days", "no window for discovery source 'mdm'", "add `mdm: <days>`")


def test_stale_window_unknown_source(tmp_path):
    problems = problems_after(tmp_path, ("policies.yaml", "  network_scan: 45", "  network-scan: 45"))
    assert_problem(problems, "policies.yaml: stale_window_days.network-scan", "unknown discovery source",
                   "did you mean 'network_scan'?")


def test_windows_positive_whole_numbers(tmp_path):
    problems = problems_after(tmp_path, ("policies.yaml", "cmdb_stale_window_days: 180", "cmdb_stale_window_days: 0"),
                              ("policies.yaml", "reclaim_window_days: 90", "reclaim_window_days: 90.5"),
                              ("policies.yaml", "agent: 30", "agent: -1"),
                              ("policies.yaml", "warranty_horizon_months: 6", "warranty_horizon_months: six"),
                              ("policies.yaml", "kpi_materiality_pct: 2", "kpi_materiality_pct: 200"))
    assert_problem(problems, "policies.yaml: cmdb_stale_window_days", "greater than 0")
    assert_problem(problems, "policies.yaml: reclaim_window_days", "90.5")
    assert_problem(problems, "policies.yaml: stale_window_days.agent", "greater than 0")
    assert_problem(problems, "policies.yaml: warranty_horizon_months", "'six'")
    assert_problem(problems, "policies.yaml: kpi_materiality_pct", "less than or equal to 100")


# ---------------------------------------------------------------------------------------------
# normalisation.yaml
# ---------------------------------------------------------------------------------------------

def test_alias_mapped_to_two_publishers(tmp_path):
    problems = problems_after(tmp_path, ("normalisation.yaml", "Dell: [Dell Inc., Dell Technologies]",
                                         "Dell: [Dell Inc., Dell Technologies, Broadcom]"))
    assert_problem(problems, "normalisation.yaml: publisher_aliases.Dell", "'Broadcom' is also mapped to 'VMware'",
                   "two different canonical names")


def test_alias_collision_after_normalisation(tmp_path):
    problems = problems_after(tmp_path, ("normalisation.yaml", "Apple: [Apple Inc., Apple Computer]",
                                         "Apple: [Apple Inc., Apple Computer, Google, Inc.]"))
    assert_problem(problems, "normalisation.yaml: publisher_aliases.Apple", "'Google' is also mapped to 'Google'")
    assert_problem(problems, "normalisation.yaml: publisher_aliases.Apple", "'Inc.' is empty once normalised")


def test_product_alias_unknown_publisher(tmp_path):
    problems = problems_after(tmp_path, ("normalisation.yaml", "  Adobe:\n    Acrobat Pro", "  Adobee:\n    Acrobat Pro"))
    assert_problem(problems, "normalisation.yaml: product_aliases.Adobee", "unknown publisher 'Adobee'", "did you mean 'Adobe'?")


def test_product_alias_mapped_to_two_products(tmp_path):
    problems = problems_after(tmp_path, ("normalisation.yaml", "[Adobe Creative Cloud, Creative Cloud All Apps]",
                                         "[Adobe Creative Cloud, Creative Cloud All Apps, Acrobat Pro DC]"))
    assert_problem(problems, "normalisation.yaml: product_aliases.Adobe.Creative Cloud",
                   "'Acrobat Pro DC' is also mapped to product 'Acrobat Pro'")


def test_saas_app_in_two_categories(tmp_path):
    problems = problems_after(tmp_path, ("normalisation.yaml", "[Figma, Canva, Miro]", "[Figma, Canva, Miro, zoom]"))
    assert_problem(problems, "normalisation.yaml: saas_categories.design", "app 'zoom' is also in category 'video_conferencing'")


def test_unauthorised_software_regex(tmp_path):
    problems = problems_after(tmp_path, ("normalisation.yaml", 'product: "cryptominer|xmrig"', 'product: "cryptominer|[xmrig"'))
    assert_problem(problems, "normalisation.yaml: unauthorised_software[crypto-mining].product", "invalid regular expression")


def test_unauthorised_software_duplicate_id(tmp_path):
    problems = problems_after(tmp_path, ("normalisation.yaml", "id: crypto-mining", "id: teamviewer"))
    assert_problem(problems, "normalisation.yaml: unauthorised_software[teamviewer].id", "used by more than one rule")


def test_unauthorised_software_missing_reason(tmp_path):
    problems = problems_after(tmp_path, ("normalisation.yaml", "    reason: cryptocurrency mining software\n", ""))
    assert_problem(problems, "normalisation.yaml: unauthorised_software[crypto-mining].reason", "required key is missing")


def test_eol_products_regex(tmp_path):
    problems = problems_after(tmp_path, ("normalisation.yaml", 'pattern: "ubuntu\\\\D*(\\\\d+\\\\.\\\\d+)"',
                                         'pattern: "ubuntu(?=\\\\d)"'))
    assert_problem(problems, "normalisation.yaml: eol_products[ubuntu].pattern", "invalid regular expression")


def test_eol_products_duplicate_id(tmp_path):
    problems = problems_after(tmp_path, ("normalisation.yaml", "{id: rhel,", "{id: ubuntu,"))
    assert_problem(problems, "normalisation.yaml: eol_products[ubuntu].id", "used by more than one rule")


def test_eol_products_cycle_refers_to_a_missing_group(tmp_path):
    problems = problems_after(tmp_path, ("normalisation.yaml", 'product: ubuntu, cycle: "\\\\1"',
                                         'product: ubuntu, cycle: "\\\\2"'))
    assert_problem(problems, "normalisation.yaml: eol_products[ubuntu].cycle", "refers to group 2", "1 group(s)")


def test_eol_products_match_kind(tmp_path):
    problems = problems_after(tmp_path, ("normalisation.yaml", "{id: rhel, match: os,", "{id: rhel, match: hostname,"))
    assert_problem(problems, "normalisation.yaml: eol_products[rhel].match", "hostname")


# ---------------------------------------------------------------------------------------------
# Report and commands
# ---------------------------------------------------------------------------------------------

def test_report_markdown(shipped):
    md = render_report(shipped, "md")
    assert md.startswith("# ITAM governance model")
    for heading in ("## Asset classes", "## Classification rules", "## Ownership rules", "## Lifecycle",
                    "## Policies", "## Normalisation dictionaries"):
        assert heading in md
    assert "└─\u00a0`laptop` | Laptop | _full_ | 36 | 48 |" in md
    # rules in precedence order, pipes escaped inside tables
    assert md.index("`cloud-instance`") < md.index("`cmdb-server-class`") < md.index("`saas-app`")
    assert r"`laptop\|notebook`" in md
    assert "Coverage gap" in md and "printer" in md


def test_report_html_is_self_contained(shipped):
    page = render_report(shipped, "html")
    assert page.startswith("<!DOCTYPE html>") and "<style>" in page
    assert "<script" not in page.lower() and "http" not in page.split("<body>")[0].lower().replace("http-equiv", "")
    assert "<code>laptop</code>" in page and "&lt;" not in page.split("<body>")[0]
    with pytest.raises(ValueError):
        render_report(shipped, "pdf")


def test_check_command(tmp_path, capsys):
    assert check_command(SHIPPED) == 0
    assert capsys.readouterr().out.strip() == "taxonomy OK: 15 classes, 25 classification rules, 8 ownership rules"
    d = copy_taxonomy(tmp_path)
    edit(d, "ownership.yaml", "class: saas", "class: saas_apps")
    assert check_command(d) == 1
    err = capsys.readouterr().err
    assert "invalid (1 problem)" in err and "ownership.yaml: rules[saas].class: unknown class 'saas_apps'" in err


def test_report_command(tmp_path, capsys):
    out = tmp_path / "out" / "model.html"
    assert report_command(SHIPPED, "html", out) == 0
    assert out.read_text().startswith("<!DOCTYPE html>")
    assert report_command(str(SHIPPED), "md", None) == 0
    assert capsys.readouterr().out.startswith("# ITAM governance model")
    assert report_command(tmp_path / "missing", "md", None) == 1


def test_cli_wiring(capsys):
    from dagster_project.cli import main

    assert main(["taxonomy", "check", "--taxonomy", str(SHIPPED)]) == 0
    assert "taxonomy OK" in capsys.readouterr().out


def test_currency_without_rates(tmp_path):
    problems = problems_after(tmp_path, ("policies.yaml", "fx_rates:\n", "fx_rates:\n  JPY: []\n"))
    assert_problem(problems, "policies.yaml: fx_rates.JPY", "at least 1 item")


def test_blank_source_status(tmp_path):
    problems = problems_after(tmp_path, ("lifecycle.yaml", "    archived: disposed", '    archived: disposed\n    " ": disposed'))
    assert_problem(problems, "lifecycle.yaml: status_map.cmdb. ", "the source status is blank")


def test_list_expected(tmp_path):
    problems = problems_after(tmp_path, ("lifecycle.yaml", "states: [planned, in_stock, in_use, in_repair, retired, disposed]",
                                         "states: planned"))
    assert_problem(problems, "lifecycle.yaml: states", "valid list", "'planned'")


def test_not_utf8(tmp_path):
    d = copy_taxonomy(tmp_path)
    (d / "ownership.yaml").write_bytes((SHIPPED / "ownership.yaml").read_bytes().replace(b"IT\n", b"IT \xe9\n", 1))
    with pytest.raises(TaxonomyError) as info:
        load_taxonomy(d)
    assert_problem([str(p) for p in info.value.problems], "ownership.yaml: (file)", "not UTF-8")
