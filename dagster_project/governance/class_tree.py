"""The asset-class tree with inheritance resolved: a class inherits every attribute it does not set
from its nearest ancestor that does."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dagster_project.governance.schema import AssetClass

INHERITED_ATTRIBUTES = ("lifecycle_tracking", "useful_life_months", "refresh_cycle_months",
                        "depreciation_method", "capitalise", "required_fields")

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

def class_ancestors(classes: dict[str, AssetClass], class_id: str | None) -> list[str]:
    out: list[str] = []
    while class_id is not None and class_id in classes and class_id not in out:
        out.append(class_id)
        class_id = classes[class_id].parent
    return out


def resolve_classes(classes: dict[str, AssetClass]) -> dict[str, ResolvedClass]:
    order: list[str] = []

    def visit(parent: str | None) -> None:
        for cid, c in classes.items():
            if c.parent == parent:
                order.append(cid)
                visit(cid)

    visit(None)
    out: dict[str, ResolvedClass] = {}
    for cid in order:
        chain = class_ancestors(classes, cid)
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
