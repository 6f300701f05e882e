"""The shape of taxonomy/*.yaml: one pydantic model per file (unknown keys forbidden, so a typo
is an error, not a silently ignored key), the file names, and the words and patterns they allow.
Field descriptions are shown in error messages."""
from __future__ import annotations

import re
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator

from dagster_project.contract import (
    DISCOVERY_SOURCES,
    EXTENSION_SOURCES,
    LICENSE_METRICS,
    SOURCES,
    entity,
)

ASSET_CLASSES = "asset_classes.yaml"
OWNERSHIP = "ownership.yaml"
LIFECYCLE = "lifecycle.yaml"
POLICIES = "policies.yaml"
NORMALISATION = "normalisation.yaml"
FILES = (ASSET_CLASSES, OWNERSHIP, LIFECYCLE, POLICIES, NORMALISATION)
# Issue 13 (licensing): optional; a taxonomy folder without it gets the defaults of LicensingFile.
LICENSING = "licensing.yaml"

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

FILE_MODELS[LICENSING] = LicensingFile  # issue 13: optional file, validated like the others
