"""The validated governance model (`Taxonomy`) and the rows of every warehouse table derived
from it (`Taxonomy.table_rows`)."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dagster_project.governance.class_tree import ResolvedClass, class_ancestors, resolve_classes
from dagster_project.governance.schema import (
    CLOUD_RULE_CONDITIONS,
    MAINTENANCE_RULE_CONDITIONS,
    PATTERN_CONDITIONS,
    AssetClassesFile,
    ClassificationRule,
    LicensingFile,
    LifecycleFile,
    NormalisationFile,
    OwnershipFile,
    PoliciesFile,
    UnauthorisedRule,
)


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
        return resolve_classes(self.asset_classes.classes)

    def ancestors(self, class_id: str) -> list[str]:
        """The class itself, then its parent, ... up to its root."""
        return class_ancestors(self.asset_classes.classes, class_id)

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
