"""Governance as code (issue 3): a change to taxonomy/*.yaml reflows into the marts on the next
build. The small landing is built once with the shipped taxonomy (conftest `small_warehouse`)
and once with an edited copy; the differences are hand-derived below."""
from __future__ import annotations

import shutil
from decimal import Decimal

import pytest
import yaml
from conftest import REPO, SMALL_LANDING, Warehouse, built_warehouse

Q3 = "2026-09-30"


@pytest.fixture(scope="module")
def edited_warehouse(tmp_path_factory) -> Warehouse:
    base = tmp_path_factory.mktemp("reflow")
    tax = base / "taxonomy"
    shutil.copytree(REPO / "taxonomy", tax)

    # 1. A new class: CMDB ci_class "widget" (CI006, serial W1) becomes an end-user device.
    classes = yaml.safe_load((tax / "asset_classes.yaml").read_text())
    classes["classes"]["widget"] = {"parent": "end_user_device", "label": "Widget"}
    classes["classification_rules"].append({"id": "widget-class", "class": "widget", "precedence": 58,
                             "applies_to": "device", "ci_class": "widget"})
    (tax / "asset_classes.yaml").write_text(yaml.safe_dump(classes, sort_keys=False))

    # 2. A changed owner: end-user devices move to a new accountable owner, and printers get a rule.
    owners = yaml.safe_load((tax / "ownership.yaml").read_text())
    for rule in owners["rules"]:
        if rule["id"] == "end-user-devices":
            rule["accountable_owner"] = "new.workplace.lead@example.com"
    owners["rules"].append({"id": "printers", "precedence": 45, "class": "printer",
                            "owning_function": "Facilities", "accountable_owner": "facilities@example.com",
                            "asset_manager": "hannah.asset@example.com"})
    (tax / "ownership.yaml").write_text(yaml.safe_dump(owners, sort_keys=False))

    # 3. A changed reclaim window: 90 -> 365 days.
    policies = yaml.safe_load((tax / "policies.yaml").read_text())
    policies["reclaim_window_days"] = 365
    (tax / "policies.yaml").write_text(yaml.safe_dump(policies, sort_keys=False))

    return built_warehouse(SMALL_LANDING, base / "warehouse.duckdb", taxonomy=tax)


def owner_of(wh, serial):
    return wh.rows("select asset_class, classification_rule, owner_function, accountable_owner, ownership_rule "
                   "from marts.dim_asset where as_of_date = ? and serial_number = ?", [Q3, serial])[0]


def open_exceptions(wh, exception_type):
    return {k for (k,) in wh.rows(
        "select problem_key from marts.fct_reconciliation_exceptions where as_of_date = ? "
        "and exception_type = ? and status <> 'resolved'", [Q3, exception_type])}


def test_new_class_classifies_and_owns_the_widget(small_warehouse, edited_warehouse):
    assert owner_of(small_warehouse, "W1")[:2] == (None, None)
    # widget inherits from end_user_device, so the end-user-devices owner rule now covers it.
    assert owner_of(edited_warehouse, "W1") == ("widget", "widget-class", "IT",
                                                "new.workplace.lead@example.com", "end-user-devices")
    assert "serial:W1" in open_exceptions(small_warehouse, "unclassified")
    assert open_exceptions(edited_warehouse, "unclassified") == set()


def test_changed_owner_reflows(small_warehouse, edited_warehouse):
    assert owner_of(small_warehouse, "AB123")[3] == "workplace.lead@example.com"
    assert owner_of(edited_warehouse, "AB123")[3] == "new.workplace.lead@example.com"
    # Printers were unowned and W1 unclassified (so unowned); both are owned now.
    assert open_exceptions(small_warehouse, "unowned") == {"serial:W1", "serial:PRN1"}
    assert owner_of(edited_warehouse, "PRN1")[2:] == ("Facilities", "facilities@example.com", "printers")
    assert open_exceptions(edited_warehouse, "unowned") == set()


def test_changed_reclaim_window_reflows(small_warehouse, edited_warehouse):
    def reclaim(wh, product):
        return wh.rows("select reclaimable, recurring_savings_per_year from marts.fct_license_position "
                       "where as_of_date = ? and product = ?", [Q3, product])[0]
    # 90 days: LAP-002 (last used 2026-03-01, 213 days before Q3) and bob's Creative Cloud seat
    # (inactive since May, > 90 days) are reclaimable. Visio is short one license, so reclaiming
    # LAP-002 covers the shortfall and saves nothing; the Creative Cloud seat saves 552 EUR a year.
    assert reclaim(small_warehouse, "Visio Professional") == (1, Decimal("0.00"))
    assert reclaim(small_warehouse, "Creative Cloud") == (1, Decimal("552.00"))
    # 365 days: both were used within the window, nothing is reclaimable.
    assert reclaim(edited_warehouse, "Visio Professional") == (0, Decimal("0.00"))
    assert reclaim(edited_warehouse, "Creative Cloud") == (0, Decimal("0.00"))


def test_each_build_records_the_taxonomy_it_applied(small_warehouse, edited_warehouse):
    # The content hash of the applied YAML is kept, so a mart can be traced to the rules behind it.
    shipped = small_warehouse.one("select content_hash from taxonomy.meta")
    edited = edited_warehouse.one("select content_hash from taxonomy.meta")
    assert shipped and edited and shipped != edited
