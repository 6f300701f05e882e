"""Calendar quarters as the reconciliation names them: '2026Q3' = 2026-07-01 .. 2026-09-30."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> "Quarter":
        """'2026Q3' (also '2026-Q3', '2026q3'); ValueError with the expected form otherwise."""
        m = _QUARTER.match(text or "")
        if not m:
            raise ValueError(f"'{text}' is not a quarter (expected YYYYQn, e.g. 2026Q3)")
        return cls(int(m.group(1)), int(m.group(2)))

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        nxt = date(self.year + 1, 1, 1) if self.number == 4 else date(self.year, 3 * self.number + 1, 1)
        return nxt - timedelta(days=1)

    def __contains__(self, d: date) -> bool:
        return self.start <= d <= self.end

    def __str__(self) -> str:
        return self.label
