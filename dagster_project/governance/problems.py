"""A problem found in the declared governance model, and the one error that lists them all
(`<file>: <key path>: <problem> — <how to fix>`)."""
from __future__ import annotations

from dataclasses import dataclass


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
