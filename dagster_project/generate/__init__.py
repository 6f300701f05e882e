"""Deterministic, vectorised sample exports for the landing contract (docs/sample-data.md)."""
from dagster_project.generate.landing import generate_landing

__all__ = ["generate_landing"]
