"""The landing contract (../shared/spec/landing-contract.md) as data.

Everything that reads exports (ingestion, the generator, the native-format mappings, the GX
suites, the docs) takes entity and column definitions from here, so the contract lives in one
place. Types are the warehouse types the raw tables use; `values` lists an enum's allowed words.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

SOURCES = ("procurement", "finance", "discovery", "cmdb")
# Project extensions of the contract (docs/decisions/contract-extensions.md): optional entities
# that native mappings (FOCUS, endoflife.date, Microsoft's SKU list) produce. A landing folder
# without them is complete.
EXTENSION_SOURCES = ("reference",)
FILE_FORMATS = ("csv", "parquet", "json")

# Column kinds and the DuckDB type each lands as in raw.*
KIND_TYPES = {
    "text": "VARCHAR",
    "date": "DATE",
    "timestamp": "TIMESTAMP",  # stored as UTC, zone dropped after conversion
    "money": "DECIMAL(18,4)",
    "number": "DECIMAL(18,4)",
    "integer": "BIGINT",
    "boolean": "BOOLEAN",
    "enum": "VARCHAR",
    "period": "VARCHAR",  # YYYY-MM
}


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "text"
    required: bool = True
    values: tuple[str, ...] = ()
    # issue 17.6: the personal-data class of the column (PERSONAL_CLASSES), None = not personal
    personal: str | None = None

    @property
    def sql_type(self) -> str:
        return KIND_TYPES[self.kind]


@dataclass(frozen=True)
class Entity:
    source: str
    name: str
    columns: tuple[Column, ...]
    natural_key: tuple[str, ...] = field(default=())
    extension: bool = False  # not in the v1 contract; optional in a landing folder

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns if c.required)

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def column(self, name: str) -> Column:
        for c in self.columns:
            if c.name == name:
                return c
        raise KeyError(name)


def _req(name: str, kind: str = "text", values: tuple[str, ...] = ()) -> Column:
    return Column(name, kind, True, values)


def _opt(name: str, kind: str = "text", values: tuple[str, ...] = (), personal: str | None = None) -> Column:
    return Column(name, kind, False, values, personal)


DISCOVERY_SOURCES = ("agent", "network_scan", "mdm", "cloud_api")
LIFECYCLE_STATES = ("planned", "in_stock", "in_use", "in_repair", "retired", "disposed")
LICENSE_METRICS = ("device", "user", "core", "subscription")

ENTITIES: tuple[Entity, ...] = (
    Entity("procurement", "purchase_lines", (
        _req("po_number"), _req("po_line"), _req("order_date", "date"), _req("vendor"),
        _req("category", "enum", ("hardware", "software", "saas", "cloud", "service")),
        _req("description"), _req("quantity", "number"), _req("unit_cost", "money"),
        _req("currency"), _req("cost_center"),
        _opt("manufacturer"), _opt("model"), _opt("serial_number"), _opt("contract_id"),
        _opt("requester_email", personal="email"),
        _opt("asset_tag"),  # issue 14: the unit's asset tag, a match key after the serial
    ), ("po_number", "po_line", "serial_number")),
    Entity("procurement", "license_entitlements", (
        _req("entitlement_id"), _req("publisher"), _req("product"),
        _req("license_metric", "enum", LICENSE_METRICS), _req("quantity", "number"),
        _req("unit_cost", "money"), _req("currency"), _req("purchase_date", "date"),
        _req("cost_center"),
        _opt("contract_id"), _opt("term_start", "date"), _opt("term_end", "date"),
        _opt("maintenance_end", "date"), _opt("version_rights"),
    ), ("entitlement_id",)),
    Entity("finance", "gl_lines", (
        _req("period", "period"), _req("journal_id"), _req("line_no", "integer"),
        _req("gl_account"),
        _req("account_category", "enum",
             ("hardware", "software", "saas", "cloud", "maintenance", "services", "other")),
        _req("cost_center"), _req("amount", "money"), _req("currency"),
        _opt("vendor"), _opt("po_number"), _opt("description"),
    ), ("journal_id", "line_no")),
    Entity("finance", "cost_centers", (
        _req("cost_center"), _req("name"), _req("department"),
        _opt("owner_email", personal="email"), _opt("parent_cost_center"),
    ), ("cost_center",)),
    Entity("finance", "fixed_assets", (
        _req("asset_tag"), _req("acquisition_cost", "money"), _req("currency"),
        _req("in_service_date", "date"), _req("useful_life_months", "integer"),
        _req("cost_center"),
        _opt("serial_number"),
        _opt("depreciation_method", "enum", ("straight_line", "declining_balance")),
        _opt("disposal_date", "date"),
    ), ("asset_tag",)),
    Entity("discovery", "devices", (
        _req("observed_at", "timestamp"),
        _req("discovery_source", "enum", DISCOVERY_SOURCES), _req("hostname"),
        _opt("serial_number"), _opt("mac_address"), _opt("ip_address"), _opt("manufacturer"),
        _opt("model"), _opt("os_name"), _opt("os_version"), _opt("last_logged_on_user", personal="person"),
        _opt("cloud_instance_id"), _opt("cloud_account"),
        # issue 14.3: what inventory agents (GLPI/FusionInventory) report beyond the v1 contract.
        # device_type: the tool's item type (Computer, NetworkEquipment, Printer, Phone,
        # VirtualMachine); chassis_type: the hardware chassis (Laptop, Rack Mount Chassis...) or
        # VM type; uuid: the SMBIOS/VM uuid; is_partial: the inventory carries only what changed.
        _opt("device_type"), _opt("chassis_type"), _opt("cores", "integer"),
        _opt("sockets", "integer"), _opt("memory_mb", "integer"), _opt("firmware"), _opt("uuid"),
        _opt("is_partial", "boolean"),
        # the host (its serial, else hostname) a virtual machine or container runs on
        _opt("runs_on"),
    ), ()),
    Entity("discovery", "software_installs", (
        _req("observed_at", "timestamp"),
        _req("discovery_source", "enum", DISCOVERY_SOURCES), _req("hostname"),
        _req("publisher"), _req("product"),
        _opt("serial_number"), _opt("version"), _opt("install_date", "date"),
        _opt("last_used_at", "timestamp"),
    ), ()),
    Entity("discovery", "saas_usage", (
        _req("observed_at", "timestamp"), _req("app_name"), Column("user_email", "text", True, (), "email"),
        _opt("vendor"), _opt("license_assigned", "boolean"), _opt("last_active_at", "timestamp"),
    ), ()),
    Entity("cmdb", "configuration_items", (
        _req("ci_id"), _req("ci_class"), _req("name"),
        _req("status", "enum", LIFECYCLE_STATES), _req("updated_at", "timestamp"),
        _opt("serial_number"), _opt("asset_tag"), _opt("assigned_user_email", personal="email"),
        _opt("owner_group"), _opt("location"), _opt("cost_center"), _opt("business_service"),
        _opt("manufacturer"), _opt("model"), _opt("warranty_end", "date"),
        _opt("eol_date", "date"),  # issue 14: the asset's planned end of life (Snipe-IT EOL date)
    ), ("ci_id",)),
    Entity("cmdb", "ci_relationships", (
        _req("parent_ci_id"), _req("child_ci_id"), _req("relationship_type"),
        _opt("updated_at", "timestamp"),
    ), ("parent_ci_id", "child_ci_id", "relationship_type")),
    # --- extensions -------------------------------------------------------------------------
    # Cloud spend at FOCUS grain; tags kept as JSON so cost-center tag rules can apply later.
    Entity("finance", "cloud_costs", (
        _req("charge_period_start", "timestamp"), _req("provider"), _req("billed_cost", "money"),
        _req("currency"),
        _opt("charge_period_end", "timestamp"), _opt("billing_account_id"),
        _opt("sub_account_id"), _opt("sub_account_name"), _opt("service_name"),
        _opt("service_category"), _opt("resource_id"), _opt("resource_name"),
        _opt("charge_category"), _opt("effective_cost", "money"), _opt("list_cost", "money"),
        _opt("region"), _opt("tags"), _opt("charge_id"),
    ), ("charge_id",), extension=True),
    # End-of-life dates per product release cycle (endoflife.date); eol may be a date or a flag.
    Entity("reference", "eol_cycles", (
        _req("product"), _req("cycle"),
        _opt("release_date", "date"), _opt("eol_date", "date"), _opt("eol_flag", "boolean"),
        _opt("support_end_date", "date"), _opt("latest"), _opt("lts", "boolean"),
        # issue 14.7: end of extended (paid) support, e.g. Oracle's, after eol_date.
        _opt("extended_support_date", "date"),
    ), ("product", "cycle"), extension=True),
    # Licensable product names behind vendor SKU identifiers (Microsoft's licensing reference).
    Entity("reference", "sku_products", (
        _req("publisher"), _req("sku_id"), _req("product_name"),
        _opt("sku_string_id"), _opt("service_plan_name"), _opt("service_plan_id"),
    ), ("sku_id", "service_plan_id"), extension=True),
)

ENTITY_BY_NAME: dict[str, Entity] = {e.name: e for e in ENTITIES}

# Lineage columns added to every accepted row in raw.*
LINEAGE_COLUMNS = (
    ("_source", "VARCHAR"),
    ("_export_date", "DATE"),
    ("_file", "VARCHAR"),
    ("_row_number", "BIGINT"),
    ("_load_id", "VARCHAR"),
    ("_extra", "JSON"),  # unknown extra columns, kept and ignored downstream
)


CONTRACT_ENTITIES: tuple[Entity, ...] = tuple(e for e in ENTITIES if not e.extension)


def entity(source: str, name: str) -> Entity:
    e = ENTITY_BY_NAME.get(name)
    if e is None or e.source != source:
        raise KeyError(f"{source}/{name} is not an entity of the landing contract")
    return e


# --- personal data (issue 17.6; docs/landing-contract.md "Personal data") ---------------------
# The classes of personal data; taxonomy/privacy.yaml says how each is masked (hash or initials)
# and which roles see it in clear (dagster_project/governance/privacy.py applies it).
#   email        a person's e-mail address (users, requesters, budget owners)
#   person       a login or person name (last logged-on user: DOMAIN\\user, first.last)
#   staff        who recorded a decision: resolver, signer, waiver (an e-mail)
#   free_text    text that may quote personal values (exception details, notes)
#   quarantined  a quarantined value or record as delivered (any column, so any class)
PERSONAL_CLASSES = ("email", "person", "staff", "free_text", "quarantined")


@dataclass(frozen=True)
class PersonalColumn:
    """A column holding personal data wherever it appears under this name (`tables`)."""
    column: str
    kind: str                               # one of PERSONAL_CLASSES
    tables: tuple[str, ...]
    # Only the first group of this regular expression is personal (consumer_key 'seat:<e-mail>'
    # holds an e-mail, 'host:<hostname>' or an asset id does not); None = the whole value.
    part: str | None = None
    # Personal only in rows whose column `when[0]` holds one of `when[1]` (fct_asset_drift's
    # old_value/new_value are a user only when attribute = assigned_user); a frame without that
    # column is masked whole (the safe side).
    when: tuple[str, tuple[str, ...]] | None = None
    # False for names too generic to mean personal data elsewhere (audit.quarantine's `value`
    # and `record`; a KPI's value is not): only the listed tables, and never masked by name.
    anywhere: bool = True


def _landing_personal() -> tuple[PersonalColumn, ...]:
    by_name: dict[tuple[str, str], list[str]] = {}
    for e in ENTITIES:
        for c in e.columns:
            if c.personal:
                by_name.setdefault((c.name, c.personal), []).append(f"raw.{e.name}")
    return tuple(PersonalColumn(n, k, tuple(t)) for (n, k), t in by_name.items())


_USER_ATTRIBUTES = ("assigned_user", "last_logged_on_user")
# Where landing-derived personal data reaches the marts, audit and decisions tables (the marts
# YAML documents each column; docs/landing-contract.md lists them).
PERSONAL_COLUMNS: tuple[PersonalColumn, ...] = _landing_personal() + (
    PersonalColumn("assigned_user", "email", ("marts.dim_asset", "intermediate.int_assets",
                                              "intermediate.int_device_assets", "intermediate.int_asset_governance")),
    PersonalColumn("last_logged_on_user", "person", ("marts.dim_asset",)),
    # intermediate names of the same values (itam purge finds them by name)
    PersonalColumn("assigned_user_norm", "email", ("intermediate.int_cmdb_ci_snapshot",)),
    PersonalColumn("last_user", "person", ("intermediate.int_assets", "intermediate.int_device_assets",
                                           "intermediate.int_asset_governance")),
    PersonalColumn("last_user_norm", "person", ("intermediate.int_discovery_devices",)),
    PersonalColumn("user_key", "email", ("intermediate.int_license_items", "intermediate.int_license_coverage")),
    PersonalColumn("owner_email", "email", ("marts.dim_cost_center",)),
    PersonalColumn("user_email", "email", ("marts.fct_license_reclamation", "marts.fct_license_position_detail")),
    PersonalColumn("consumer_key", "email", ("marts.fct_license_reclamation", "marts.fct_license_position_detail"),
                   part=r"^seat:(.+)$"),
    PersonalColumn("old_value", "email", ("marts.fct_asset_drift",), when=("attribute", _USER_ATTRIBUTES)),
    PersonalColumn("new_value", "email", ("marts.fct_asset_drift",), when=("attribute", _USER_ATTRIBUTES)),
    PersonalColumn("detail", "free_text", ("marts.fct_reconciliation_exceptions",
                                           "marts.fct_reconciliation_quarters", "marts.fct_data_quality")),
    PersonalColumn("details", "free_text", ("marts.fct_asset_drift",)),
    PersonalColumn("note", "free_text", ("marts.fct_reconciliation_exceptions", "marts.fct_reconciliation_quarters",
                                         "marts.fct_signoffs", "decisions.resolutions", "decisions.signoffs")),
    PersonalColumn("resolved_by", "staff", ("marts.fct_reconciliation_exceptions",
                                            "marts.fct_reconciliation_quarters", "decisions.resolutions")),
    PersonalColumn("signed_by", "staff", ("marts.fct_signoffs", "decisions.signoffs")),
    PersonalColumn("waived_by", "staff", ("decisions.waivers",)),
    PersonalColumn("value", "quarantined", ("audit.quarantine",), anywhere=False),
    PersonalColumn("record", "quarantined", ("audit.quarantine",), anywhere=False),
    # audit.quarantine.value as the dashboards and reports select it (the name says what it is)
    PersonalColumn("quarantined_value", "quarantined", ("audit.quarantine",)),
)
PERSONAL_BY_COLUMN: dict[str, PersonalColumn] = {}
for _p in PERSONAL_COLUMNS:
    if _p.column in PERSONAL_BY_COLUMN:  # one class per column name: masking goes by name
        _prev = PERSONAL_BY_COLUMN[_p.column]
        assert _prev.kind == _p.kind, f"{_p.column} declared {_prev.kind} and {_p.kind}"
        PERSONAL_BY_COLUMN[_p.column] = dataclasses.replace(_prev, tables=_prev.tables + _p.tables)
    else:
        PERSONAL_BY_COLUMN[_p.column] = _p
