"""Quarterly reconciliation: the decisions store (resolutions, sign-offs), its load into the
warehouse, and the reconciliation pack (docs/reconciliation.md)."""
