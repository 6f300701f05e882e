"""The declared governance model: taxonomy/*.yaml, validated, and written to schema `taxonomy`.

The five YAML files are data a governance person edits (docs/taxonomy.md). `load_taxonomy` reads
them, checks their shape (pydantic models with unknown keys forbidden, so a typo is an error, not
a silently ignored key) and their meaning (references, cycles, ambiguous precedence, regular
expressions, policy coverage), and raises one `TaxonomyError` that lists EVERY problem found, each
as ``<file>: <key path>: <problem> — <how to fix>``. `write_taxonomy_tables` writes the validated
model to the warehouse tables of docs/architecture.md ("taxonomy schema") in one transaction.

Regular expressions are checked with DuckDB's engine (RE2), the one that applies them in dbt, so a
pattern that passes here cannot fail the build (RE2 has no look-around or back-references).
"""
from __future__ import annotations

import difflib
import hashlib
import re
import types
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import duckdb
import yaml
from pydantic import BaseModel, ConfigDict, Field, StringConstraints, TypeAdapter, ValidationError, field_validator

from dagster_project.contract import (
    DISCOVERY_SOURCES,
    EXTENSION_SOURCES,
    LICENSE_METRICS,
    LIFECYCLE_STATES,
    SOURCES,
    entity,
)
from dagster_project.yamlfile import NotesDuplicateKeys, parse

ASSET_CLASSES = "asset_classes.yaml"
OWNERSHIP = "ownership.yaml"
LIFECYCLE = "lifecycle.yaml"
POLICIES = "policies.yaml"
NORMALISATION = "normalisation.yaml"
FILES = (ASSET_CLASSES, OWNERSHIP, LIFECYCLE, POLICIES, NORMALISATION)
# Issue 13 (licensing): optional; a taxonomy folder without it gets the defaults of LicensingFile.
LICENSING = "licensing.yaml"

# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    file: str
    path: str
    problem: str
    fix: str

    def __str__(self) -> str:
        return f"{self.file}: {self.path}: {self.problem} — {self.fix}"


class TaxonomyError(Exception):
    """The taxonomy is invalid. `problems` lists every problem; str() is one problem per line."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


# ---------------------------------------------------------------------------------------------
# Schema (one pydantic model per file). Field descriptions are shown in error messages.
# ---------------------------------------------------------------------------------------------

ID_PATTERN = r"^[a-z][a-z0-9_]*$"
RULE_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"
CURRENCY_PATTERN = r"^[A-Z]{3}$"
MONTH_PATTERN = r"^[0-9]{4}-(0[1-9]|1[0-2])$"
PATTERN_WORDS = {
    ID_PATTERN: "lower-case letters, digits and underscores, starting with a letter (e.g. end_user_device)",
    RULE_ID_PATTERN: "letters, digits, '-', '_' or '.', starting with a letter or digit (e.g. laptop-model)",
    CURRENCY_PATTERN: "a three-letter upper-case ISO 4217 currency code (e.g. EUR, USD)",
    MONTH_PATTERN: "a month written YYYY-MM in quotes (e.g. \"2026-07\")",
}

Ident = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
RuleId = Annotated[str, StringConstraints(pattern=RULE_ID_PATTERN)]
Currency = Annotated[str, StringConstraints(pattern=CURRENCY_PATTERN)]
Month = Annotated[str, StringConstraints(pattern=MONTH_PATTERN)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
Pattern = Annotated[str, StringConstraints(min_length=1)]
Months = Annotated[int, Field(strict=True, gt=0)]
Days = Annotated[int, Field(strict=True, gt=0)]


def _none_to_empty(v: Any, empty: Any) -> Any:
    return empty if v is None else v


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, coerce_numbers_to_str=True,
                              populate_by_name=False)


# asset_classes.yaml --------------------------------------------------------------------------

class AssetClass(_Strict):
    parent: Ident | None = Field(None, description="the class this one refines (omit for a root class)")
    label: Text = Field(description="the display name, e.g. Laptop")
    lifecycle_tracking: Literal["full", "lightweight"] | None = Field(
        None, description="full (every state change governed) or lightweight (inventory only)")
    useful_life_months: Months | None = Field(None, description="a whole number of months above 0")
    refresh_cycle_months: Months | None = Field(None, description="a whole number of months above 0")
    depreciation_method: Literal["straight_line", "declining_balance"] | None = Field(
        None, description="straight_line or declining_balance")
    capitalise: bool | None = Field(None, description="true or false")
    required_fields: list[Ident] | None = Field(
        None, description="a list of dim_asset column names, e.g. [serial_number, cost_center]")


class ClassificationRule(_Strict):
    id: RuleId = Field(description="a unique rule id, e.g. laptop-model")
    class_: Ident = Field(alias="class", description="the class the rule assigns (a key of classes)")
    precedence: int = Field(strict=True, ge=0, description="a whole number; lower wins")
    applies_to: Literal["device", "entitlement", "saas_app", "any"] = Field(
        description="device, entitlement, saas_app or any")
    ci_class: Pattern | None = Field(None, description="a regular expression")
    purchase_category: Pattern | None = Field(None, description="a regular expression")
    manufacturer: Pattern | None = Field(None, description="a regular expression")
    model: Pattern | None = Field(None, description="a regular expression")
    os_name: Pattern | None = Field(None, description="a regular expression")
    hostname: Pattern | None = Field(None, description="a regular expression")
    discovery_source: Pattern | None = Field(None, description="a regular expression")
    license_metric: Pattern | None = Field(None, description="a regular expression")
    has_term_end: bool | None = Field(None, description="true or false")
    # issue 14.3: the discovery tool's item type (GLPI itemtype: Computer, NetworkEquipment,
    # Printer, Phone, VirtualMachine) and the chassis type (Laptop, Rack Mount Chassis, ...).
    device_type: Pattern | None = Field(None, description="a regular expression")
    chassis_type: Pattern | None = Field(None, description="a regular expression")


PATTERN_CONDITIONS = ("ci_class", "purchase_category", "manufacturer", "model", "os_name",
                      "hostname", "discovery_source", "license_metric",
                      "device_type", "chassis_type")  # issue 14.3
# The attributes each record kind carries (dbt/models/intermediate/int_assets.sql); a condition
# on an attribute the kind never has can never match.
RECORD_ATTRIBUTES = {
    "device": {"ci_class", "purchase_category", "manufacturer", "model", "os_name", "hostname",
               "discovery_source", "device_type", "chassis_type"},
    "entitlement": {"purchase_category", "manufacturer", "model", "license_metric", "has_term_end"},
    "saas_app": {"purchase_category", "manufacturer", "model"},
}


class ModelFamily(_Strict):
    # Issue 13: one family of hardware models and whether it can take the next supported OS release.
    id: RuleId = Field(description="a unique family id, e.g. pre-win11-intel")
    model: Pattern = Field(description="a regular expression on '<manufacturer> <model>'")
    os: Pattern = Field(".*", description="a regular expression on '<os_name> <os_version>' the family limit applies to")
    os_upgrade: bool = Field(description="false = the model cannot run a supported release of that OS")
    note: Text | None = Field(None, description="why (e.g. CPU below the OS's hardware requirements)")


class AssetClassesFile(_Strict):
    classes: dict[Ident, AssetClass] = Field(description="the class tree: class id → attributes")
    classification_rules: list[ClassificationRule] = Field(
        description="a list of rules (id, class, precedence, applies_to, conditions)")
    # Issue 13 (refresh plan): hardware model families that cannot run a supported release of an
    # OS, so an OS end of life on them means new hardware, not an os_upgrade.
    model_families: list[ModelFamily] = Field(
        default_factory=list, description="a list of {id, model, manufacturer, os, os_upgrade, note}")

    @field_validator("model_families", mode="before")
    @classmethod
    def _no_families(cls, v):
        return _none_to_empty(v, [])

    @field_validator("classes")
    @classmethod
    def _some_classes(cls, v):
        if not v:
            raise ValueError("there are no classes")
        return v


# ownership.yaml ------------------------------------------------------------------------------

class OwnershipRule(_Strict):
    id: RuleId = Field(description="a unique rule id, e.g. servers")
    precedence: int = Field(strict=True, ge=0, description="a whole number; lower wins")
    class_: Ident | None = Field(None, alias="class",
                                 description="a class id; matches the class and its descendants (omit = any class)")
    cost_center: Text | None = Field(None, description="a cost center code (omit = any)")
    owning_function: Text = Field(description="the owning business function, e.g. IT")
    accountable_owner: Text = Field(description="the accountable person, e.g. cto@example.com")
    asset_manager: Text | None = Field(
        None, description="the asset manager (omit to use asset_managers of the class or an ancestor)")


class OwnershipFile(_Strict):
    asset_managers: dict[Ident, Text] = Field(
        default_factory=dict, description="default asset manager per class (and its descendants)")
    rules: list[OwnershipRule] = Field(description="a list of ownership rules")

    @field_validator("asset_managers", mode="before")
    @classmethod
    def _none(cls, v):
        return _none_to_empty(v, {})


# lifecycle.yaml ------------------------------------------------------------------------------

class LifecycleFile(_Strict):
    states: list[Ident] = Field(description="the lifecycle states in order, e.g. [planned, in_stock, in_use]")
    transitions: dict[str, list[str]] = Field(
        description="state → list of states it may move to ([] for a final state)")
    retirement_evidence: list[Ident] = Field(
        min_length=1, description="dim_asset fields a retired/disposed asset must carry, e.g. [disposal_certificate]")
    status_map: dict[Ident, dict[str, Ident]] = Field(
        default_factory=dict, description="source system → {source status: state}")

    @field_validator("states")
    @classmethod
    def _some_states(cls, v):
        if not v:
            raise ValueError("there are no states")
        return v

    @field_validator("transitions", mode="before")
    @classmethod
    def _null_lists(cls, v):
        if isinstance(v, dict):
            return {k: ([] if t is None else t) for k, t in v.items()}
        return v


# policies.yaml -------------------------------------------------------------------------------

class FxRate(_Strict):
    from_: Month = Field(alias="from", description="the first month the rate applies, \"YYYY-MM\"")
    rate: float = Field(gt=0, description="a positive number: reporting-currency units per unit")


# The words of the landing contract (gl_lines.account_category) and the declared drivers.
ACCOUNT_CATEGORIES = entity("finance", "gl_lines").column("account_category").values
ALLOCATION_DRIVERS = ("device_count", "user_count", "seats", "cloud_tags")
Driver = Literal[ALLOCATION_DRIVERS]
AccountCategory = Literal[ACCOUNT_CATEGORIES]


class SharedCostCenter(_Strict):
    driver: Driver = Field(description="device_count, user_count, seats or cloud_tags")
    by_category: dict[AccountCategory, Driver] = Field(
        default_factory=dict, description="account category → driver, overriding `driver` for that category")

    @field_validator("by_category", mode="before")
    @classmethod
    def _none(cls, v):
        return _none_to_empty(v, {})


CLOUD_RULE_CONDITIONS = ("tag_key", "tag_value", "sub_account", "provider", "service", "charge_category")


class CloudCostRule(_Strict):
    id: RuleId = Field(description="a unique rule id, e.g. cost-center-tag")
    precedence: int = Field(strict=True, ge=0, description="a whole number; lower wins")
    tag_key: Pattern | None = Field(None, description="a regular expression on a tag key")
    tag_value: Pattern | None = Field(None, description="a regular expression on that tag's value")
    sub_account: Pattern | None = Field(None, description="a regular expression on SubAccountId or SubAccountName")
    provider: Pattern | None = Field(None, description="a regular expression on the provider")
    service: Pattern | None = Field(None, description="a regular expression on the service name")
    charge_category: Pattern | None = Field(None, description="a regular expression on ChargeCategory")
    cost_center: Text | None = Field(
        None, description="the cost center assigned (omit to take the matching tag's value)")


class MaintenanceGlRule(_Strict):
    # Issue 13: GL maintenance/support lines that no purchase line links to devices are shared by
    # the assets in service of `class` (and its sub-classes); conditions are case-insensitive
    # regular expressions, an omitted one matches anything.
    id: RuleId = Field(description="a unique rule id, e.g. server-support")
    class_: Ident = Field(alias="class", description="the asset class whose assets share the lines")
    account_category: Pattern | None = Field(None, description="a regular expression on the GL account category")
    gl_account: Pattern | None = Field(None, description="a regular expression on the GL account")
    vendor: Pattern | None = Field(None, description="a regular expression on the GL vendor")
    description: Pattern | None = Field(None, description="a regular expression on the GL description")


MAINTENANCE_RULE_CONDITIONS = ("account_category", "gl_account", "vendor", "description")


class PoliciesFile(_Strict):
    reporting_currency: Currency = Field(description="an ISO currency code, e.g. EUR")
    fx_rates: dict[Currency, Annotated[list[FxRate], Field(min_length=1)]] = Field(
        description="currency → list of {from: \"YYYY-MM\", rate: number}")
    stale_window_days: dict[str, Days] = Field(
        description="discovery source → days (" + ", ".join(DISCOVERY_SOURCES) + ")")
    cmdb_stale_window_days: Days = Field(description="a whole number of days above 0")
    reclaim_window_days: Days = Field(description="a whole number of days above 0")
    deployment_window_days: Days = Field(description="a whole number of days above 0")
    warranty_horizon_months: Months = Field(description="a whole number of months above 0")
    eol_horizon_months: Months = Field(description="a whole number of months above 0")
    capitalisation_threshold: float = Field(ge=0, description="an amount in the reporting currency, 0 or more")
    default_cores_per_device: Annotated[int, Field(strict=True, gt=0)] = Field(
        description="a whole number above 0")
    declining_balance_factor: float = Field(gt=0, description="a number above 0 (2 = double-declining)")
    kpi_materiality_pct: float = Field(ge=0, le=100, description="a percentage from 0 to 100")
    age_horizon_months: Months = Field(6, description="a whole number of months above 0")
    # Finance (fct_cost_allocation, fct_cloud_cost): optional, so an older policies.yaml still loads.
    shared_cost_centers: dict[Text, SharedCostCenter] = Field(
        default_factory=dict, description="cost center → {driver, by_category} (shared IT costs to spread)")
    unallocated_cost_center: Text = Field(
        "UNALLOCATED", description="the cost center code that cloud spend no rule places is reported on")
    cloud_cost_rules: list[CloudCostRule] = Field(
        default_factory=list, description="a list of rules (id, precedence, conditions, cost_center)")

    @field_validator("shared_cost_centers", mode="before")
    @classmethod
    def _no_shared(cls, v):
        return _none_to_empty(v, {})

    @field_validator("cloud_cost_rules", mode="before")
    @classmethod
    def _no_rules(cls, v):
        return _none_to_empty(v, [])

    @field_validator("maintenance_gl_rules", mode="before")
    @classmethod
    def _no_maintenance_rules(cls, v):
        return _none_to_empty(v, [])
    # Data quality (docs/data-quality.md): when a whole export feed counts as silent, and stale
    # windows that differ for one asset class (and its sub-classes) from one record source.
    export_stale_window_days: dict[str, Days] = Field(
        default_factory=lambda: {s: 100 for s in SOURCES},
        description="landing source → days (" + ", ".join(SOURCES + EXTENSION_SOURCES) + ")")
    stale_window_class_days: dict[str, dict[Ident, Days]] = Field(
        default_factory=dict,
        description="record source (" + ", ".join(DISCOVERY_SOURCES + ("cmdb",)) + ") → {class: days}")
    # issue 17.5: a file with more than this share of its rows quarantined stops the build
    # (nothing published, exit code "data"); 100 = never.
    max_quarantined_pct: float = Field(
        100, ge=0, le=100, description="a percentage from 0 to 100 of a file's rows")
    # Reconciliation sign-off (issue 17.2): the signer of a quarter's pack may not be one of the people
    # whose resolutions the pack lists (four eyes); false allows one person to do both.
    signer_must_differ_from_resolvers: bool = Field(
        True, description="true or false: may the signer of a pack have resolved exceptions in it?")
    # Issue 13 (TCO that reconciles, refresh plan that plans; docs/decisions/tco-gl-reconciliation.md,
    # docs/decisions/refresh-plan.md). Optional, so an older policies.yaml still loads.
    maintenance_gl_rules: list[MaintenanceGlRule] = Field(
        default_factory=list, description="a list of {id, class, account_category, gl_account, vendor, description}")
    tco_gl_scope: list[AccountCategory] = Field(
        default_factory=lambda: ["hardware", "software", "saas", "cloud", "maintenance"],
        description="the GL account categories whose cost fct_asset_tco attributes to assets")
    tco_gl_tolerance_pct: float = Field(
        5, ge=0, le=100, description="a percentage from 0 to 100 (TCO vs GL difference accepted)")
    os_upgrade_cost: float = Field(0, ge=0, description="an amount in the reporting currency, 0 or more")
    warranty_end_action: Literal["extend_or_replace", "replace"] = Field(
        "extend_or_replace", description="extend_or_replace or replace")
    refresh_capacity_pct_per_quarter: float = Field(
        10, gt=0, le=100, description="a percentage above 0 up to 100 of the devices in service")
    # Issue 14 (imports): an amount dated before a currency's first rate fails the build naming
    # the currency and the earliest month needed (fail), or is converted at that first rate
    # (use_first), a choice the governance owner makes knowingly.
    fx_before_first_rate: Literal["use_first", "fail"] = Field(
        "fail", description="use_first or fail (the default): what an amount older than its "
                            "currency's first fx_rates month gets")


# normalisation.yaml --------------------------------------------------------------------------

class UnauthorisedRule(_Strict):
    id: RuleId | None = Field(None, description="a unique rule id (default unauthorised-<n>)")
    publisher: Pattern = Field(description="a regular expression on the publisher ('.*' = any)")
    product: Pattern = Field(description="a regular expression on the product ('.*' = any)")
    reason: Text = Field(description="why the software is not allowed")


class EolProductRule(_Strict):
    id: RuleId = Field(description="a unique rule id, e.g. windows-server")
    # issue 14.7: software (an installed product) and firmware (a device's firmware) added.
    match: Literal["os", "model", "software", "firmware"] = Field(
        description="os (reads '<os_name> <os_version>'), model (reads '<manufacturer> <model>'), "
                    "software (reads '<product> <version>' of an install, product as normalised) "
                    "or firmware (reads '<manufacturer> <firmware>')")
    pattern: Pattern = Field(description="a regular expression; (groups) can be used in cycle as \\1, \\2")
    product: Text = Field(description="the endoflife.date product id, e.g. windows-server")
    cycle: Text = Field(description="the endoflife.date release cycle, e.g. 2019 or \\1")


# A back-reference to a pattern group in an eol_products cycle template: \1 .. \9.
CYCLE_GROUP_REF = re.compile(r"\\([0-9])")


def _lists(v):
    if isinstance(v, dict):
        return {k: ([] if x is None else x) for k, x in v.items()}
    return _none_to_empty(v, {})


class NormalisationFile(_Strict):
    publisher_aliases: dict[Text, list[Text]] = Field(
        default_factory=dict, description="canonical publisher → list of other spellings")
    product_aliases: dict[Text, dict[Text, list[Text]]] = Field(
        default_factory=dict, description="publisher → {canonical product: list of other names}")
    saas_categories: dict[Text, list[Text]] = Field(
        default_factory=dict, description="function category → list of SaaS app names")
    unauthorised_software: list[UnauthorisedRule] = Field(
        default_factory=list, description="a list of {publisher, product, reason}")
    eol_products: list[EolProductRule] = Field(
        default_factory=list, description="a list of {id, match, pattern, product, cycle}")

    @field_validator("publisher_aliases", "saas_categories", mode="before")
    @classmethod
    def _null_lists(cls, v):
        return _lists(v)

    @field_validator("unauthorised_software", "eol_products", mode="before")
    @classmethod
    def _null_rules(cls, v):
        return _none_to_empty(v, [])

    @field_validator("product_aliases", mode="before")
    @classmethod
    def _products(cls, v):
        if isinstance(v, dict):
            return {k: _lists(x) for k, x in v.items()}
        return _none_to_empty(v, {})


FILE_MODELS: dict[str, type[_Strict]] = {
    ASSET_CLASSES: AssetClassesFile, OWNERSHIP: OwnershipFile, LIFECYCLE: LifecycleFile,
    POLICIES: PoliciesFile, NORMALISATION: NormalisationFile,
}


# licensing.yaml (issue 13) -------------------------------------------------------------------

class LicenseProductRule(_Strict):
    vm_min_cores: Annotated[int, Field(strict=True, ge=0)] = Field(
        0, description="a whole number of cores, 0 or more: the least a VM not covered by its host counts")
    core_factor: bool = Field(
        False, description="true to multiply physical cores by the processor's core factor (core_factors)")
    downgrade_rights: bool = Field(
        True, description="true: an entitlement for a release also covers older releases; false: only its own")
    bundle: list[Text] = Field(
        default_factory=list, description="the products (of the same publisher) an entitlement of this one grants")


class CoreFactor(_Strict):
    processor: Pattern = Field(description="a regular expression on the processor discovery reports")
    factor: float = Field(gt=0, le=4, description="a number above 0, e.g. 0.5")


class ServicePlanProduct(_Strict):
    publisher: Text = Field(description="the canonical publisher, e.g. Microsoft")
    product: Text = Field(description="the canonical product the service plan grants, e.g. Visio Professional")


def _none_rule(v):
    if isinstance(v, dict):
        return {k: ({} if x is None else x) for k, x in v.items()}
    return _none_to_empty(v, {})


class LicensingFile(_Strict):
    metric_order: list[Literal[LICENSE_METRICS]] = Field(
        default_factory=lambda: ["subscription", "user", "device", "core"],
        description="every license metric once (" + ", ".join(LICENSE_METRICS) + "), in covering order")
    maintenance_pct: float = Field(
        20.0, ge=0, le=100, description="a percentage from 0 to 100 (annual support fee of a perpetual license)")
    vm_host_relationships: dict[Text, Literal["parent", "child"]] = Field(
        default_factory=lambda: {"Virtualized by::Virtualizes": "child", "Runs on::Runs": "child",
                                 "runs_on": "child"},
        description="CMDB relationship type → the side that is the host (parent or child)")
    core_factors: list[CoreFactor] = Field(
        default_factory=list, description="a list of {processor, factor}; the first match wins")
    default_core_factor: float = Field(1.0, gt=0, le=4, description="a number above 0 (1 = cores as counted)")
    products: dict[Text, dict[Text, LicenseProductRule]] = Field(
        default_factory=dict, description="publisher → {product: {vm_min_cores, core_factor, downgrade_rights, bundle}}")
    service_plans: dict[Text, ServicePlanProduct] = Field(
        default_factory=dict, description="Microsoft service plan name (e.g. VISIOCLIENT) → {publisher, product}")

    @field_validator("vm_host_relationships", "service_plans", mode="before")
    @classmethod
    def _no_map(cls, v):
        return _none_to_empty(v, {})

    @field_validator("core_factors", "metric_order", mode="before")
    @classmethod
    def _no_list(cls, v):
        return _none_to_empty(v, [])

    @field_validator("products", mode="before")
    @classmethod
    def _products(cls, v):
        if isinstance(v, dict):
            return {k: _none_rule(x) for k, x in v.items()}
        return _none_to_empty(v, {})

# ---------------------------------------------------------------------------------------------
# The validated model
# ---------------------------------------------------------------------------------------------

INHERITED_ATTRIBUTES = ("lifecycle_tracking", "useful_life_months", "refresh_cycle_months",
                        "depreciation_method", "capitalise", "required_fields")


FILE_MODELS[LICENSING] = LicensingFile  # issue 13: optional file, validated like the others


@dataclass(frozen=True)
class ResolvedClass:
    class_id: str
    parent_class_id: str | None
    label: str
    class_path: str
    depth: int  # 0 for a root class
    lifecycle_tracking: str | None
    useful_life_months: int | None
    refresh_cycle_months: int | None
    depreciation_method: str | None
    capitalise: bool | None
    required_fields: tuple[str, ...]
    inherited: dict[str, str] = field(default_factory=dict)  # attribute → class it came from


@dataclass(frozen=True)
class ResolvedOwnershipRule:
    rule_id: str
    precedence: int
    class_id: str | None
    cost_center: str | None
    owning_function: str
    accountable_owner: str
    asset_manager: str
    asset_manager_from: str | None  # the asset_managers class it came from, None if on the rule


@dataclass(frozen=True)
class Taxonomy:
    directory: Path
    asset_classes: AssetClassesFile
    ownership: OwnershipFile
    lifecycle: LifecycleFile
    policies: PoliciesFile
    normalisation: NormalisationFile
    content_hash: str
    licensing: LicensingFile = field(default_factory=LicensingFile)  # issue 13: licensing.yaml

    # -- classes --
    @property
    def classes(self) -> dict[str, ResolvedClass]:
        """Every class with inheritance resolved, in tree order (roots then children, as written)."""
        return _resolve_classes(self.asset_classes.classes)

    def ancestors(self, class_id: str) -> list[str]:
        """The class itself, then its parent, ... up to its root."""
        return _ancestors(self.asset_classes.classes, class_id)

    def children(self, class_id: str | None) -> list[str]:
        return [c for c, d in self.asset_classes.classes.items() if d.parent == class_id]

    # -- rules --
    @property
    def classification_rules(self) -> list[ClassificationRule]:
        return sorted(self.asset_classes.classification_rules, key=lambda r: (r.precedence, r.id))

    @property
    def ownership_rules(self) -> list[ResolvedOwnershipRule]:
        out = []
        for r in sorted(self.ownership.rules, key=lambda r: (r.precedence, r.id)):
            manager, source = r.asset_manager, None
            if manager is None:
                source = next((a for a in self.ancestors(r.class_) if a in self.ownership.asset_managers), None)
                manager = self.ownership.asset_managers[source]
            out.append(ResolvedOwnershipRule(r.id, r.precedence, r.class_, r.cost_center, r.owning_function,
                                             r.accountable_owner, manager, source))
        return out

    @property
    def unauthorised_rules(self) -> list[tuple[str, UnauthorisedRule]]:
        return [(u.id or f"unauthorised-{i}", u)
                for i, u in enumerate(self.normalisation.unauthorised_software, start=1)]

    # -- tables --
    def table_rows(self) -> dict[str, list[tuple]]:
        """Rows of every taxonomy table (TABLES), in a stable order."""
        lc, pol, norm = self.lifecycle, self.policies, self.normalisation
        classes = self.classes
        rows: dict[str, list[tuple]] = {}
        rows["asset_classes"] = [
            (c.class_id, c.parent_class_id, c.label, c.class_path, c.depth, c.lifecycle_tracking,
             c.useful_life_months, c.refresh_cycle_months, c.depreciation_method, c.capitalise,
             list(c.required_fields)) for c in classes.values()]
        rows["class_ancestors"] = [(c, a, d) for c in classes for d, a in enumerate(self.ancestors(c))]
        rows["classification_rules"] = [
            (r.id, r.class_, r.precedence, r.applies_to, *(getattr(r, k) for k in PATTERN_CONDITIONS),
             r.has_term_end) for r in self.classification_rules]
        rows["ownership_rules"] = [
            (r.rule_id, r.precedence, r.class_id, r.cost_center, r.owning_function, r.accountable_owner,
             r.asset_manager) for r in self.ownership_rules]
        rows["lifecycle_states"] = [(s, i) for i, s in enumerate(lc.states, start=1)]
        rows["lifecycle_transitions"] = [(f, t) for f in lc.states for t in dict.fromkeys(lc.transitions.get(f, []))]
        rows["status_map"] = sorted({(system, status.strip().lower(), state)
                                     for system, m in lc.status_map.items() for status, state in m.items()})
        rows["policy"] = [(pol.reporting_currency, pol.cmdb_stale_window_days, pol.reclaim_window_days,
                           pol.deployment_window_days, pol.warranty_horizon_months, pol.eol_horizon_months,
                           pol.capitalisation_threshold, pol.default_cores_per_device,
                           pol.declining_balance_factor, pol.kpi_materiality_pct,
                           pol.age_horizon_months, pol.unallocated_cost_center,
                           # issue 13
                           pol.tco_gl_tolerance_pct, list(pol.tco_gl_scope), pol.os_upgrade_cost,
                           pol.warranty_end_action, pol.refresh_capacity_pct_per_quarter,
                           # issue 14
                           pol.fx_before_first_rate)]
        rows["stale_windows"] = [(s, d) for s, d in pol.stale_window_days.items()]
        rows["export_stale_windows"] = [(s, d) for s, d in pol.export_stale_window_days.items()]
        rows["class_stale_windows"] = [(s, c, d) for s, by_class in pol.stale_window_class_days.items()
                                       for c, d in by_class.items()]
        fx = [(cur, r.from_, r.rate) for cur, rates in pol.fx_rates.items() for r in rates]
        if pol.reporting_currency not in pol.fx_rates:
            fx.insert(0, (pol.reporting_currency, IMPLICIT_FX_FROM, 1.0))
        rows["fx_rates"] = fx
        pubs = []
        for canonical, aliases in norm.publisher_aliases.items():
            pubs.append((canonical, canonical))
            pubs.extend((a, canonical) for a in aliases if a != canonical)
        rows["publisher_aliases"] = list(dict.fromkeys(pubs))
        prods = []
        for publisher, products in norm.product_aliases.items():
            for product, aliases in products.items():
                prods.append((publisher, product, product))
                prods.extend((publisher, a, product) for a in aliases if a != product)
        rows["product_aliases"] = list(dict.fromkeys(prods))
        rows["saas_categories"] = list(dict.fromkeys(
            (app, cat) for cat, apps in norm.saas_categories.items() for app in apps))
        rows["unauthorised_software"] = [(rid, u.publisher, u.product, u.reason)
                                         for rid, u in self.unauthorised_rules]
        rows["retirement_evidence"] = [(f,) for f in dict.fromkeys(lc.retirement_evidence)]
        rows["eol_products"] = [(r.id, i, r.match, r.pattern, r.product, r.cycle)
                                for i, r in enumerate(norm.eol_products, start=1)]
        # One row per shared cost center and category (NULL category = the cost center's driver).
        rows["allocation_rules"] = [
            row for cc, sc in pol.shared_cost_centers.items()
            for row in [(cc, None, sc.driver), *((cc, cat, d) for cat, d in sc.by_category.items())]]
        # issue 13: maintenance GL rules (written order) and model families
        rows["maintenance_gl_rules"] = [
            (r.id, i, r.class_, *(getattr(r, c) for c in MAINTENANCE_RULE_CONDITIONS))
            for i, r in enumerate(pol.maintenance_gl_rules, start=1)]
        rows["model_families"] = [(f.id, i, f.model, f.os, f.os_upgrade, f.note)
                                  for i, f in enumerate(self.asset_classes.model_families, start=1)]
        rows["cloud_cost_rules"] = [
            (r.id, r.precedence, *(getattr(r, c) for c in CLOUD_RULE_CONDITIONS), r.cost_center)
            for r in sorted(pol.cloud_cost_rules, key=lambda r: (r.precedence, r.id))]
        rows.update(_licensing_rows(self.licensing))  # issue 13
        return rows


def _licensing_rows(lic: LicensingFile) -> dict[str, list[tuple]]:
    """licensing.yaml's tables (issue 13): one row of settings, then one table per list."""
    return {
        "license_settings": [(lic.maintenance_pct, lic.default_core_factor)],
        "license_metric_order": [(m, i) for i, m in enumerate(lic.metric_order, start=1)],
        "vm_host_relationships": [(t, side) for t, side in lic.vm_host_relationships.items()],
        "core_factors": [(i, f.processor, f.factor) for i, f in enumerate(lic.core_factors, start=1)],
        "license_products": [(pub, prod, r.vm_min_cores, r.core_factor, r.downgrade_rights)
                             for pub, prods in lic.products.items() for prod, r in prods.items()],
        "license_bundles": list(dict.fromkeys(
            (pub, prod, pub, c) for pub, prods in lic.products.items() for prod, r in prods.items()
            for c in r.bundle)),
        "sku_service_plans": [(plan, sp.publisher, sp.product) for plan, sp in lic.service_plans.items()],
    }


# The reporting currency converts to itself at 1.0; when policies.yaml does not list it, this row
# (from the first month any amount can have) is written for it.
IMPLICIT_FX_FROM = "1900-01"


def _ancestors(classes: dict[str, AssetClass], class_id: str | None) -> list[str]:
    out: list[str] = []
    while class_id is not None and class_id in classes and class_id not in out:
        out.append(class_id)
        class_id = classes[class_id].parent
    return out


def _resolve_classes(classes: dict[str, AssetClass]) -> dict[str, ResolvedClass]:
    order: list[str] = []

    def visit(parent: str | None) -> None:
        for cid, c in classes.items():
            if c.parent == parent:
                order.append(cid)
                visit(cid)

    visit(None)
    out: dict[str, ResolvedClass] = {}
    for cid in order:
        chain = _ancestors(classes, cid)
        values: dict[str, Any] = {}
        inherited: dict[str, str] = {}
        for attr in INHERITED_ATTRIBUTES:
            values[attr] = None
            for a in chain:
                v = getattr(classes[a], attr)
                if v is not None:
                    values[attr] = v
                    if a != cid:
                        inherited[attr] = a
                    break
        out[cid] = ResolvedClass(
            class_id=cid, parent_class_id=classes[cid].parent, label=classes[cid].label,
            class_path="/".join(reversed(chain)), depth=len(chain) - 1,
            lifecycle_tracking=values["lifecycle_tracking"],
            useful_life_months=values["useful_life_months"],
            refresh_cycle_months=values["refresh_cycle_months"],
            depreciation_method=values["depreciation_method"], capitalise=values["capitalise"],
            required_fields=tuple(dict.fromkeys(values["required_fields"] or ())), inherited=inherited)
    return out


# ---------------------------------------------------------------------------------------------
# Name normalisation: the Python twin of dbt/macros/normalise.sql `normalise_name`, used to find
# dictionary entries that the warehouse would read as the same name.
# ---------------------------------------------------------------------------------------------

_SUFFIX = re.compile(r"(^| )(inc|incorporated|corp|corporation|co|company|ltd|limited|llc|gmbh|plc|pty|sro|s r o|ag|sa|bv|nv|the)( |$)")


def normalise_name(name: str) -> str:
    s = re.sub(r"[^a-z0-9+#]+", " ", name.strip().lower())
    s = _SUFFIX.sub(" ", s)
    s = _SUFFIX.sub(" ", s)
    return re.sub(r"\s+", " ", s).strip()


# ---------------------------------------------------------------------------------------------
# Reading YAML
# ---------------------------------------------------------------------------------------------

class _Loader(NotesDuplicateKeys, getattr(yaml, "CSafeLoader", yaml.SafeLoader)):  # libyaml when present: 10x faster
    """Safe YAML with three governance-friendly changes: only true/false are booleans (`on`, `no`,
    `yes` stay words: `no` is Norway, `on order` a status), dates stay text, mapping keys are the
    text as written (a status `1` or a key `null` is not turned into a number or nothing), and a
    key written twice in one block is reported instead of silently keeping the last."""

    def construct_mapping(self, node, deep=False):
        if not isinstance(node, yaml.MappingNode):
            return super().construct_mapping(node, deep=deep)
        self.flatten_mapping(node)
        self.note_keys(node)
        out: dict = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise yaml.constructor.ConstructorError(
                    "while reading a block", node.start_mark, "a key must be a plain word", key_node.start_mark)
            out[key_node.value] = self.construct_object(value_node, deep=deep)
        return out


_Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers
         if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def _read_yaml(path: Path, content: bytes | None, problems: list[Problem]) -> dict | None:
    name = path.name
    if content is None:
        problems.append(Problem(name, "(file)", f"file not found in {path.parent}",
                                f"restore {name} (every taxonomy folder needs {', '.join(FILES)})"))
        return None
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError as exc:
        problems.append(Problem(name, "(file)", f"not UTF-8 text (byte {exc.start})",
                                "save the file as UTF-8"))
        return None
    data, syntax, duplicates = parse(text, _Loader)
    if syntax is not None and not syntax.marked:
        problems.append(Problem(name, "(file)", f"YAML syntax error: {syntax.what}", "fix the file's syntax"))
        return None
    if syntax is not None:
        what = syntax.what
        if syntax.block_line is not None:
            block = syntax.context.removeprefix("while parsing a ") if syntax.context else "block"
            what += f" (the {block} starts at line {syntax.block_line})"
        problems.append(Problem(name, syntax.where, f"YAML syntax error: {what}",
                                "check the indentation and quoting on that line and the one before "
                                "(a value with ': ' or '#' needs quotes)"))
        return None
    for key, line, first in duplicates:
        problems.append(Problem(name, f"line {line}", f"key '{key}' is written twice in the same block "
                                f"(first at line {first}); YAML would silently keep only the last",
                                "merge the two entries or rename one"))
    if data is None:
        problems.append(Problem(name, "(file)", "the file is empty", "restore its content (see docs/taxonomy.md)"))
        return None
    if not isinstance(data, dict):
        problems.append(Problem(name, "(file)", "the file must be a set of `key: value` entries, not a "
                                f"{type(data).__name__}", "restore its top-level keys (see docs/taxonomy.md)"))
        return None
    return data


# ---------------------------------------------------------------------------------------------
# Schema errors → governance-readable problems
# ---------------------------------------------------------------------------------------------

def _unwrap(t):
    while True:
        origin = get_origin(t)
        if origin is Annotated:
            t = get_args(t)[0]
        elif origin is Union or origin is types.UnionType:
            args = [a for a in get_args(t) if a is not type(None)]
            if len(args) != 1:
                return t
            t = args[0]
        else:
            return t


def _field_at(model: type[BaseModel], loc: tuple):
    """The FieldInfo of the last key of loc (None when it is not a model field)."""
    holder = _model_at(model, loc[:-1]) if loc else None
    if holder is None:
        return None
    return next((f for n, f in holder.model_fields.items() if (f.alias or n) == loc[-1]), None)


def _model_at(model: type[BaseModel], loc: tuple) -> type[BaseModel] | None:
    t: Any = model
    for part in loc:
        t = _unwrap(t)
        if isinstance(t, type) and issubclass(t, BaseModel):
            f = next((f for n, f in t.model_fields.items() if (f.alias or n) == part), None)
            if f is None:
                return None
            t = f.annotation
        elif get_origin(t) is dict:
            t = get_args(t)[1]
        elif get_origin(t) is list:
            t = get_args(t)[0]
        else:
            return None
    t = _unwrap(t)
    return t if isinstance(t, type) and issubclass(t, BaseModel) else None


def _path(data: Any, loc: tuple) -> str:
    """Key path for humans: dict keys joined by '.', list items as [rule-id] or [#n] (1-based)."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and part < len(node) else None
            ident = item.get("id") if isinstance(item, dict) else None
            out += f"[{ident}]" if isinstance(ident, (str, int)) and str(ident) else f"[#{part + 1}]"
            node = item
        else:
            out += ("." if out else "") + str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out or "(top level)"


def _keys(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


def _schema_problems(file: str, data: dict, exc: ValidationError) -> list[Problem]:
    model = FILE_MODELS[file]
    out: list[Problem] = []
    for e in exc.errors():
        loc, kind, value = tuple(e["loc"]), e["type"], e.get("input")
        if loc and loc[-1] == "[key]":
            loc = loc[:-1]
            key = loc[-1] if loc else value
            rx = (e.get("ctx") or {}).get("pattern")
            problem = f"name '{key}' is not allowed here"
            fix = f"write it as {PATTERN_WORDS.get(rx, 'a valid name')}" if rx else "rename it"
            out.append(Problem(file, _path(data, loc), problem, fix))
            continue
        path = _path(data, loc)
        if kind == "extra_forbidden":
            holder = _model_at(model, loc[:-1])
            allowed = _keys(holder) if holder else []
            close = difflib.get_close_matches(str(loc[-1]), allowed, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            out.append(Problem(file, path, f"unknown key '{loc[-1]}'",
                               f"{hint}allowed keys here: {', '.join(allowed)}"))
            continue
        info = _field_at(model, loc)
        desc = info.description if info is not None and info.description else None
        if desc is None:  # a value inside a field (a dict entry, a list item): the field's description
            for n in range(len(loc) - 1, 0, -1):
                outer = _field_at(model, loc[:n])
                if outer is not None and outer.description:
                    desc = f"a value as in: {outer.description}"
                    break
        if kind == "missing":
            out.append(Problem(file, path, "required key is missing",
                               f"add `{loc[-1]}:`" + (f" ({desc})" if desc else "")))
        elif kind == "literal_error":
            out.append(Problem(file, path, f"{value!r} is not an allowed value",
                               f"use {e['ctx']['expected']}"))
        elif kind == "string_pattern_mismatch":
            rx = e["ctx"]["pattern"]
            out.append(Problem(file, path, f"{value!r} is not valid",
                               f"write {PATTERN_WORDS.get(rx, desc or 'a valid value')}"))
        elif kind == "value_error":
            out.append(Problem(file, path, e["msg"].removeprefix("Value error, "),
                               f"expected {desc}" if desc else "see docs/taxonomy.md"))
        else:
            msg = e["msg"][0].lower() + e["msg"][1:]
            shown = "nothing" if value is None else repr(value)
            out.append(Problem(file, path, f"{msg} (found {shown})",
                               f"write {desc}" if desc else "correct the value"))
    return out


# ---------------------------------------------------------------------------------------------
# Semantic checks
# ---------------------------------------------------------------------------------------------
#
# They run on every file, also on one with schema errors: such a file is rebuilt "partially"
# (every value that failed its schema becomes INVALID, everything else is kept), so a single typo
# does not hide the other problems. Checks skip INVALID values (their problem is already listed),
# and checks that need the whole file (inheritance, coverage) run only on a schema-valid file.

class _Invalid:
    def __repr__(self) -> str:
        return "<invalid>"


INVALID: Any = _Invalid()


def _bad(*values) -> bool:
    return any(v is INVALID for v in values)


def _annotation(info) -> Any:
    return Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation


def _partial_model(model: type[BaseModel], data: Any) -> Any:
    if not isinstance(data, dict):
        return INVALID
    values = {}
    keys = {info.alias or name for name, info in model.model_fields.items()}
    misspelt = any(k not in keys for k in data)  # an absent optional key may be the misspelt one
    for name, info in model.model_fields.items():
        key = info.alias or name
        if key in data:
            values[name] = _partial_value(_annotation(info), data[key])
        elif info.is_required() or misspelt:
            values[name] = INVALID
        else:
            values[name] = info.get_default(call_default_factory=True)
    return model.model_construct(**values)


def _partial_value(tp: Any, value: Any) -> Any:
    try:
        return TypeAdapter(tp).validate_python(value)
    except ValidationError:
        pass
    base = _unwrap(tp)
    origin = get_origin(base)
    if isinstance(base, type) and issubclass(base, BaseModel):
        return _partial_model(base, value)
    if origin is dict:
        if value is None:
            return {}
        if not isinstance(value, dict):
            return INVALID
        key_type, value_type = get_args(base)
        out = {}
        for k, v in value.items():
            try:
                TypeAdapter(key_type).validate_python(k)
            except ValidationError:
                continue  # a bad name is reported; the entry cannot be referred to anyway
            out[k] = _partial_value(value_type, v)
        return out
    if origin is list:
        if value is None:
            return []
        if not isinstance(value, list):
            return INVALID
        (item_type,) = get_args(base)
        return [_partial_value(item_type, v) for v in value]  # positions kept for key paths
    return INVALID


class _Regex:
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


def _check_regex(rx: _Regex, file: str, path: str, pattern: str, out: list[Problem]) -> bool:
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


def _duplicates(values) -> list[str]:
    seen, dup = set(), []
    for v in values:
        if v is INVALID:
            continue
        if v in seen and v not in dup:
            dup.append(v)
        seen.add(v)
    return dup


def _check_classes(m: AssetClassesFile, data: dict, complete: bool, rx: _Regex, out: list[Problem]) -> bool:
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
            dup = _duplicates(c.required_fields)
            if dup:
                out.append(Problem(f, f"classes.{cid}.required_fields", f"{', '.join(dup)} listed twice",
                                   "list each field once"))

    rules = [r for r in (m.classification_rules if isinstance(m.classification_rules, list) else [])]
    if sound and complete:
        resolved = _resolve_classes(classes)
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
        path = _path(data, ("classification_rules", i))
        if isinstance(r.id, str) and r.id in [x.id for x in rules[:i] if x is not INVALID]:
            out.append(Problem(f, path + ".id", f"rule id '{r.id}' is used by more than one rule",
                               "give every rule its own id"))
        if not _bad(r.class_) and r.class_ not in classes and m.classes is not INVALID:
            out.append(Problem(f, path + ".class", f"unknown class '{r.class_}'",
                               _one_of(r.class_, list(classes), "classes")))
        if _bad(r.applies_to):
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
            if cond == "has_term_end" or not _check_regex(rx, f, f"{path}.{cond}", value, out):
                continue
            known = {"discovery_source": DISCOVERY_SOURCES, "license_metric": LICENSE_METRICS}.get(cond)
            if known and not any(rx.matches(k, value) for k in known):
                out.append(Problem(f, f"{path}.{cond}", f"pattern {value!r} matches none of the {cond} "
                                   f"values ({', '.join(known)}), so this rule can never match",
                                   "correct the spelling"))
    for j, b in enumerate(rules):
        if b is INVALID or _bad(b.precedence, b.applies_to):
            continue
        for a in rules[:j]:
            if a is INVALID or _bad(a.precedence, a.applies_to) or a.precedence != b.precedence:
                continue
            if a.applies_to == b.applies_to or "any" in (a.applies_to, b.applies_to):
                kind = b.applies_to if b.applies_to != "any" else a.applies_to
                out.append(Problem(
                    f, _path(data, ("classification_rules", j)) + ".precedence",
                    f"precedence {b.precedence} is shared with rule '{a.id}' and both apply to "
                    f"{kind} records, so which one wins is undefined",
                    "give one of the two rules a different precedence (lower wins)"))
    # A rule whose conditions include all of an earlier rule's (same values) can never match.
    def conditions(r) -> dict:
        return {c: getattr(r, c) for c in PATTERN_CONDITIONS + ("has_term_end",) if getattr(r, c) is not None}

    for j, b in enumerate(rules):
        if b is INVALID or _bad(b.precedence, b.applies_to, *conditions(b).values()):
            continue
        for a in rules:
            if a is INVALID or a is b or _bad(a.precedence, a.applies_to, *conditions(a).values()):
                continue
            if a.precedence >= b.precedence or a.applies_to not in ("any", b.applies_to):
                continue
            ca, cb = conditions(a), conditions(b)
            if all(cb.get(k) == v for k, v in ca.items()):
                what = "has no conditions" if not ca else "has only conditions this rule also has"
                out.append(Problem(
                    f, _path(data, ("classification_rules", j)) + ".precedence",
                    f"the rule can never match: rule '{a.id}' (precedence {a.precedence}) {what} and takes "
                    f"every such {b.applies_to if b.applies_to != 'any' else 'record'} first",
                    f"give this rule a precedence below {a.precedence}, or narrow rule '{a.id}' "
                    "(a catch-all rule belongs last)"))
                break
    return sound


def _check_ownership(m: OwnershipFile, data: dict, classes: dict[str, AssetClass] | None,
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
        path = _path(data, ("rules", i))
        if isinstance(r.id, str) and r.id in [x.id for x in rules[:i] if x is not INVALID]:
            out.append(Problem(f, path + ".id", f"rule id '{r.id}' is used by more than one rule",
                               "give every rule its own id"))
        if _bad(r.class_):
            continue
        if classes is not None and r.class_ is not None and r.class_ not in classes:
            out.append(Problem(f, path + ".class", f"unknown class '{r.class_}'",
                               _one_of(r.class_, list(classes), f"classes of {ASSET_CLASSES}")))
            continue
        if r.asset_manager is None and m.asset_managers is not INVALID:
            if r.class_ is None:
                chain = []
            elif classes is not None and tree_sound:
                chain = _ancestors(classes, r.class_)
            else:
                chain = [r.class_]
            if not any(a in managers for a in chain) and (tree_sound or r.class_ is None):
                where = f"'{r.class_}' or its ancestors" if r.class_ else "a rule for any class"
                out.append(Problem(f, path + ".asset_manager", f"no asset manager: the rule sets none and "
                                   f"asset_managers has no entry for {where}",
                                   "add `asset_manager:` to the rule, or add the class to asset_managers"))
        if not _bad(r.precedence, r.cost_center):
            usable.append((i, r))
    if classes is None or not tree_sound:
        return

    def overlap(a: str | None, b: str | None) -> bool:
        if a is None or b is None:
            return True
        return a in _ancestors(classes, b) or b in _ancestors(classes, a)

    def scope(r: OwnershipRule) -> str:
        return (f"class {r.class_}" if r.class_ else "any class") + \
            (f", cost center {r.cost_center}" if r.cost_center else ", any cost center")

    def contains(a: OwnershipRule, b: OwnershipRule) -> bool:
        return (a.class_ is None or (b.class_ is not None and a.class_ in _ancestors(classes, b.class_))) \
            and (a.cost_center is None or a.cost_center == b.cost_center)

    for j, b in usable:
        for _, a in usable:
            if a.precedence < b.precedence and contains(a, b):
                out.append(Problem(
                    f, _path(data, ("rules", j)) + ".precedence",
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
                f, _path(data, ("rules", j)) + ".precedence",
                f"precedence {b.precedence} is shared with rule '{a.id}' and both can match the same asset "
                f"({scope(b)} / {scope(a)})",
                "give one of the two rules a different precedence (lower wins; put the more specific rule first)"))


def _check_lifecycle(m: LifecycleFile, out: list[Problem]) -> None:
    f = LIFECYCLE
    if isinstance(m.retirement_evidence, list):
        dup = _duplicates(m.retirement_evidence)
        if dup:
            out.append(Problem(f, "retirement_evidence", f"{', '.join(dup)} listed twice", "list each field once"))
    if not isinstance(m.states, list):
        return  # every other check compares with the states
    states = [s for s in m.states if s is not INVALID]
    declared = set(states)
    for s in _duplicates(states):
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


def _check_policies(m: PoliciesFile, out: list[Problem]) -> None:
    f = POLICIES
    rc = m.reporting_currency
    fx = m.fx_rates if isinstance(m.fx_rates, dict) else {}
    if not _bad(rc) and isinstance(fx.get(rc), list):
        for i, r in enumerate(fx[rc]):
            if r is not INVALID and not _bad(r.rate) and r.rate != 1.0:
                out.append(Problem(f, f"fx_rates.{rc}[#{i + 1}].rate", f"the reporting currency {rc} must "
                                   f"convert to itself at 1.0, found {r.rate}",
                                   f"set the rate to 1.0 or remove {rc} from fx_rates (1.0 is then implied)"))
    for cur, rates in fx.items():
        if not isinstance(rates, list):
            continue
        for i in range(1, len(rates)):
            a, b = rates[i - 1], rates[i]
            if INVALID in (a, b) or _bad(a.from_, b.from_):
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


def _check_finance(m: PoliciesFile, data: dict, rx: _Regex, out: list[Problem]) -> None:
    """Shared cost centers and cloud cost rules (docs/decisions/cost-allocation-drivers.md)."""
    f = POLICIES
    shared = m.shared_cost_centers if isinstance(m.shared_cost_centers, dict) else {}
    unallocated = m.unallocated_cost_center
    if not _bad(unallocated) and isinstance(unallocated, str) and unallocated in shared:
        out.append(Problem(f, f"shared_cost_centers.{unallocated}",
                           f"'{unallocated}' is also the unallocated_cost_center",
                           "give unplaced cloud spend its own code, or remove the shared cost center"))
    rules = m.cloud_cost_rules if isinstance(m.cloud_cost_rules, list) else []
    ids: set[str] = set()
    by_precedence: dict[int, str] = {}
    for i, r in enumerate(rules):
        if r is INVALID:
            continue
        path = _path(data, ("cloud_cost_rules", i))
        if not _bad(r.id):
            if r.id in ids:
                out.append(Problem(f, path + ".id", f"rule id '{r.id}' is used by more than one rule",
                                   "give every rule its own id"))
            ids.add(r.id)
        if not _bad(r.precedence) and isinstance(r.precedence, int):
            if r.precedence in by_precedence:
                out.append(Problem(f, path + ".precedence",
                                   f"precedence {r.precedence} is shared with rule '{by_precedence[r.precedence]}'",
                                   "give every cloud cost rule its own precedence (lower wins)"))
            by_precedence.setdefault(r.precedence, r.id if not _bad(r.id) else f"#{i + 1}")
        for key in CLOUD_RULE_CONDITIONS:
            value = getattr(r, key)
            if isinstance(value, str):
                _check_regex(rx, f, f"{path}.{key}", value, out)
        if not _bad(r.tag_value, r.tag_key) and r.tag_value is not None and r.tag_key is None:
            out.append(Problem(f, path + ".tag_value", "tag_value is given without tag_key",
                               "add tag_key: the pattern of the tag key whose value is tested"))
        if not _bad(r.cost_center, r.tag_key) and r.cost_center is None and r.tag_key is None:
            out.append(Problem(f, path, "the rule has no cost_center and no tag_key to take one from",
                               "add `cost_center: <code>`, or a tag_key whose value is the cost center"))


def _check_rule_list(file: str, data: dict, key: str, items: Any, patterns: tuple[str, ...], rx: _Regex,
                     out: list[Problem]) -> list[tuple[str, Any]]:
    """Issue 13: a list of {id, <patterns>…}: ids unique, patterns valid. Returns (path, item) of
    the valid items, for checks of their own."""
    seen: set[str] = set()
    valid = []
    for i, item in enumerate(items if isinstance(items, list) else []):
        if item is INVALID:
            continue
        path = _path(data, (key, i))
        if not _bad(item.id):
            if item.id in seen:
                out.append(Problem(file, path + ".id", f"id '{item.id}' is used by more than one rule",
                                   "give every entry its own id"))
            seen.add(item.id)
        for attr in patterns:
            value = getattr(item, attr)
            if isinstance(value, str):
                _check_regex(rx, file, f"{path}.{attr}", value, out)
        valid.append((path, item))
    return valid


def _check_tco_rules(m: PoliciesFile, data: dict, classes: dict | None, rx: _Regex, out: list[Problem]) -> None:
    """Issue 13: maintenance GL rules name a known class and valid patterns; ids are unique."""
    for path, r in _check_rule_list(POLICIES, data, "maintenance_gl_rules", m.maintenance_gl_rules,
                                    MAINTENANCE_RULE_CONDITIONS, rx, out):
        if classes is not None and not _bad(r.class_) and r.class_ not in classes:
            out.append(Problem(POLICIES, path + ".class", f"unknown class '{r.class_}'",
                               _one_of(r.class_, classes, "classes of asset_classes.yaml")))


def _check_model_families(m: AssetClassesFile, data: dict, rx: _Regex, out: list[Problem]) -> None:
    """Issue 13: model family ids are unique and their patterns compile."""
    _check_rule_list(ASSET_CLASSES, data, "model_families", m.model_families, ("model", "os"), rx, out)


STALE_RECORD_SOURCES = DISCOVERY_SOURCES + ("cmdb",)


def _check_stale_windows(m: PoliciesFile, classes: dict | None, out: list[Problem]) -> None:
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


def _check_normalisation(m: NormalisationFile, data: dict, rx: _Regex, out: list[Problem]) -> None:
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
        path = _path(data, ("unauthorised_software", i))
        if not _bad(u.id):
            rid = u.id or f"unauthorised-{i + 1}"
            if rid in ids:
                out.append(Problem(f, path + ".id", f"rule id '{rid}' is used by more than one rule",
                                   "give every rule its own id"))
            ids.add(rid)
        for key in ("publisher", "product"):
            if not _bad(getattr(u, key)):
                _check_regex(rx, f, f"{path}.{key}", getattr(u, key), out)
    _check_eol_products(m, data, rx, out)


def _check_eol_products(m: NormalisationFile, data: dict, rx: _Regex, out: list[Problem]) -> None:
    f = NORMALISATION
    rules = m.eol_products if isinstance(m.eol_products, list) else []
    ids: set[str] = set()
    for i, r in enumerate(rules):
        if r is INVALID:
            continue
        path = _path(data, ("eol_products", i))
        if not _bad(r.id):
            if r.id in ids:
                out.append(Problem(f, path + ".id", f"rule id '{r.id}' is used by more than one rule",
                                   "give every rule its own id"))
            ids.add(r.id)
        if _bad(r.pattern) or not _check_regex(rx, f, f"{path}.pattern", r.pattern, out) or _bad(r.cycle):
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


# ---------------------------------------------------------------------------------------------
# Loading
# ---------------------------------------------------------------------------------------------

def _load_licensing(directory: Path, contents: dict, rx: "_Regex", out: list[Problem]) -> LicensingFile:
    """licensing.yaml (issue 13) is optional: absent, the defaults of LicensingFile apply."""
    if contents.get(LICENSING) is None:
        return LicensingFile()
    data = _read_yaml(directory / LICENSING, contents[LICENSING], out)
    if data is None:
        return LicensingFile()
    try:
        lic = LicensingFile.model_validate(data)
    except ValidationError as exc:
        out.extend(_schema_problems(LICENSING, data, exc))
        return LicensingFile()
    order = list(lic.metric_order)
    for m in _duplicates(order):
        out.append(Problem(LICENSING, "metric_order", f"metric '{m}' is listed twice",
                           "list each metric once, in the order its entitlements cover consumption"))
    missing = [m for m in LICENSE_METRICS if m not in order]
    if missing:
        out.append(Problem(LICENSING, "metric_order", f"metric(s) {', '.join(missing)} not listed",
                           "add them: every metric needs a place in the covering order"))
    for i, f in enumerate(lic.core_factors):
        _check_regex(rx, LICENSING, f"core_factors[{i}].processor", f.processor, out)
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
        data = _read_yaml(directory / name, contents[name], problems)
        if data is None:
            continue
        raw[name] = data
        try:
            models[name] = FILE_MODELS[name].model_validate(data)
            complete[name] = True
        except ValidationError as exc:
            problems.extend(_schema_problems(name, data, exc))
            models[name] = _partial_model(FILE_MODELS[name], data)
            complete[name] = False

    rx = _Regex()
    try:
        tree_sound, classes = False, None
        if ASSET_CLASSES in models:
            m = models[ASSET_CLASSES]
            tree_sound = _check_classes(m, raw[ASSET_CLASSES], complete[ASSET_CLASSES], rx, problems)
            if isinstance(m.classes, dict):
                classes = {k: c for k, c in m.classes.items() if c is not INVALID}
        if OWNERSHIP in models:
            _check_ownership(models[OWNERSHIP], raw[OWNERSHIP], classes, tree_sound, problems)
        if LIFECYCLE in models:
            _check_lifecycle(models[LIFECYCLE], problems)
        if POLICIES in models:
            _check_policies(models[POLICIES], problems)
            _check_finance(models[POLICIES], raw[POLICIES], rx, problems)
            _check_stale_windows(models[POLICIES], classes, problems)
            _check_tco_rules(models[POLICIES], raw[POLICIES], classes, rx, problems)  # issue 13
        if ASSET_CLASSES in models:
            _check_model_families(models[ASSET_CLASSES], raw[ASSET_CLASSES], rx, problems)  # issue 13
        if NORMALISATION in models:
            _check_normalisation(models[NORMALISATION], raw[NORMALISATION], rx, problems)
        licensing = _load_licensing(directory, contents, rx, problems)  # issue 13
    finally:
        rx.close()
    if problems:
        order = {name: i for i, name in enumerate(FILES)}
        raise TaxonomyError(sorted(problems, key=lambda p: order.get(p.file, -1)))  # stable: by file
    return Taxonomy(directory=directory.resolve(), asset_classes=models[ASSET_CLASSES],
                    ownership=models[OWNERSHIP], lifecycle=models[LIFECYCLE], policies=models[POLICIES],
                    normalisation=models[NORMALISATION], content_hash=_hash(contents), licensing=licensing)


# ---------------------------------------------------------------------------------------------
# Writing the warehouse tables
# ---------------------------------------------------------------------------------------------

SCHEMA = "taxonomy"
TABLES: dict[str, tuple[tuple[str, str], ...]] = {
    "asset_classes": (("class_id", "VARCHAR"), ("parent_class_id", "VARCHAR"), ("label", "VARCHAR"),
                      ("class_path", "VARCHAR"), ("depth", "INTEGER"), ("lifecycle_tracking", "VARCHAR"),
                      ("useful_life_months", "INTEGER"), ("refresh_cycle_months", "INTEGER"),
                      ("depreciation_method", "VARCHAR"), ("capitalise", "BOOLEAN"),
                      ("required_fields", "VARCHAR[]")),
    "class_ancestors": (("class_id", "VARCHAR"), ("ancestor_class_id", "VARCHAR"), ("distance", "INTEGER")),
    "classification_rules": (("rule_id", "VARCHAR"), ("class_id", "VARCHAR"), ("precedence", "INTEGER"),
                             ("applies_to", "VARCHAR"),
                             *((c, "VARCHAR") for c in PATTERN_CONDITIONS), ("has_term_end", "BOOLEAN")),
    "ownership_rules": (("rule_id", "VARCHAR"), ("precedence", "INTEGER"), ("class_id", "VARCHAR"),
                        ("cost_center", "VARCHAR"), ("owning_function", "VARCHAR"),
                        ("accountable_owner", "VARCHAR"), ("asset_manager", "VARCHAR")),
    "lifecycle_states": (("state", "VARCHAR"), ("ordinal", "INTEGER")),
    "lifecycle_transitions": (("from_state", "VARCHAR"), ("to_state", "VARCHAR")),
    "status_map": (("source_system", "VARCHAR"), ("source_status", "VARCHAR"), ("state", "VARCHAR")),
    "policy": (("reporting_currency", "VARCHAR"), ("cmdb_stale_window_days", "INTEGER"),
               ("reclaim_window_days", "INTEGER"), ("deployment_window_days", "INTEGER"),
               ("warranty_horizon_months", "INTEGER"), ("eol_horizon_months", "INTEGER"),
               ("capitalisation_threshold", "DECIMAL(18,4)"), ("default_cores_per_device", "INTEGER"),
               ("declining_balance_factor", "DECIMAL(18,4)"), ("kpi_materiality_pct", "DECIMAL(18,4)"),
               ("age_horizon_months", "INTEGER"), ("unallocated_cost_center", "VARCHAR"),
               # issue 13
               ("tco_gl_tolerance_pct", "DECIMAL(18,4)"), ("tco_gl_scope", "VARCHAR[]"),
               ("os_upgrade_cost", "DECIMAL(18,2)"), ("warranty_end_action", "VARCHAR"),
               ("refresh_capacity_pct_per_quarter", "DECIMAL(18,4)"),
               # issue 14
               ("fx_before_first_rate", "VARCHAR")),
    "stale_windows": (("discovery_source", "VARCHAR"), ("stale_days", "INTEGER")),
    "export_stale_windows": (("source", "VARCHAR"), ("stale_days", "INTEGER")),
    "class_stale_windows": (("source", "VARCHAR"), ("class_id", "VARCHAR"), ("stale_days", "INTEGER")),
    "fx_rates": (("currency", "VARCHAR"), ("from_period", "VARCHAR"), ("rate", "DECIMAL(18,8)")),
    "publisher_aliases": (("alias", "VARCHAR"), ("publisher", "VARCHAR")),
    "product_aliases": (("publisher", "VARCHAR"), ("alias", "VARCHAR"), ("product", "VARCHAR")),
    "saas_categories": (("app_name", "VARCHAR"), ("function_category", "VARCHAR")),
    "unauthorised_software": (("rule_id", "VARCHAR"), ("publisher_pattern", "VARCHAR"),
                              ("product_pattern", "VARCHAR"), ("reason", "VARCHAR")),
    # Not in the architecture table list: lifecycle.yaml's retirement evidence, for the checks.
    "retirement_evidence": (("field_name", "VARCHAR"),),
    # normalisation.yaml's eol_products, in written order (position: the first match wins).
    "eol_products": (("rule_id", "VARCHAR"), ("position", "INTEGER"), ("match", "VARCHAR"),
                     ("pattern", "VARCHAR"), ("product", "VARCHAR"), ("cycle", "VARCHAR")),
    # Finance (policies.yaml): how shared cost centers are spread and how cloud spend is placed.
    "allocation_rules": (("cost_center", "VARCHAR"), ("account_category", "VARCHAR"), ("driver", "VARCHAR")),
    "cloud_cost_rules": (("rule_id", "VARCHAR"), ("precedence", "INTEGER"),
                         *((c, "VARCHAR") for c in CLOUD_RULE_CONDITIONS), ("cost_center", "VARCHAR")),
    # Licensing (licensing.yaml, issue 13).
    "license_settings": (("maintenance_pct", "DECIMAL(18,4)"), ("default_core_factor", "DECIMAL(18,4)")),
    "license_metric_order": (("license_metric", "VARCHAR"), ("position", "INTEGER")),
    "vm_host_relationships": (("relationship_type", "VARCHAR"), ("host_side", "VARCHAR")),
    "core_factors": (("position", "INTEGER"), ("processor_pattern", "VARCHAR"), ("factor", "DECIMAL(18,4)")),
    "license_products": (("publisher", "VARCHAR"), ("product", "VARCHAR"), ("vm_min_cores", "INTEGER"),
                         ("core_factor", "BOOLEAN"), ("downgrade_rights", "BOOLEAN")),
    "license_bundles": (("publisher", "VARCHAR"), ("product", "VARCHAR"),
                        ("component_publisher", "VARCHAR"), ("component_product", "VARCHAR")),
    "sku_service_plans": (("service_plan_name", "VARCHAR"), ("publisher", "VARCHAR"), ("product", "VARCHAR")),
    # Issue 13: GL maintenance lines shared by a class's assets; model families' OS upgrade limits.
    "maintenance_gl_rules": (("rule_id", "VARCHAR"), ("position", "INTEGER"), ("class_id", "VARCHAR"),
                             *((c, "VARCHAR") for c in MAINTENANCE_RULE_CONDITIONS)),
    "model_families": (("family_id", "VARCHAR"), ("position", "INTEGER"), ("model_pattern", "VARCHAR"),
                       ("os_pattern", "VARCHAR"), ("os_upgrade", "BOOLEAN"), ("note", "VARCHAR")),
}
META_TABLE = "meta"


def write_taxonomy_tables(con: duckdb.DuckDBPyConnection, taxonomy: Taxonomy) -> None:
    """(Re)create schema `taxonomy` with every table of TABLES plus taxonomy.meta(loaded_at,
    content_hash), replacing all contents in one transaction: a reader sees the old model or the
    new one, never a mix, and a failure leaves the old one in place."""
    rows = taxonomy.table_rows()
    con.execute("begin transaction")
    try:
        con.execute(f"drop schema if exists {SCHEMA} cascade")
        con.execute(f"create schema {SCHEMA}")
        for table, columns in TABLES.items():
            cols = ", ".join(f"{c} {t}" for c, t in columns)
            con.execute(f"create table {SCHEMA}.{table} ({cols})")
            if rows[table]:
                marks = ", ".join("?" for _ in columns)
                con.executemany(f"insert into {SCHEMA}.{table} values ({marks})", [list(r) for r in rows[table]])
        con.execute(f"create table {SCHEMA}.{META_TABLE} (loaded_at TIMESTAMP, content_hash VARCHAR)")
        con.execute(f"insert into {SCHEMA}.{META_TABLE} values (?, ?)",
                    [datetime.now(timezone.utc).replace(tzinfo=None), taxonomy.content_hash])
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
