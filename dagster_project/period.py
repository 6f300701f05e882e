"""The one period syntax of the CLI (reconcile, export, and anything else that takes a period).

A period is a calendar quarter or a calendar month:

  2026Q3  2026-Q3  2026q3   the quarter 2026-07-01 .. 2026-09-30 (canonical label 2026Q3)
  2026-09                   the month 2026-09-01 .. 2026-09-30   (canonical label 2026-09)

`Period.parse` accepts every form; `Quarter.parse` accepts the quarter forms only and says so when
given a month. Labels are canonical, so a file named after a period does not depend on how the
user typed it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*[Qq]([1-4])\s*$")
_MONTH = re.compile(r"^\s*(\d{4})-(0[1-9]|1[0-2])\s*$")
FORMS = "YYYYQn or YYYY-Qn (a quarter, e.g. 2026Q3) or YYYY-MM (a month, e.g. 2026-09)"


def _month_end(year: int, month: int) -> date:
    nxt = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    return nxt - timedelta(days=1)


@dataclass(frozen=True, order=True)
class Quarter:
    year: int
    number: int

    @classmethod
    def parse(cls, text: str) -> Quarter:
        """'2026Q3' (also '2026-Q3', '2026q3'); ValueError naming the accepted forms otherwise."""
        p = Period.parse(text, quarter_only=True)
        return cls(p.year, p.quarter)

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.number}"

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.number - 2, 1)

    @property
    def end(self) -> date:
        return _month_end(self.year, 3 * self.number)

    @property
    def months(self) -> list[str]:
        return [f"{self.year}-{m:02d}" for m in range(3 * self.number - 2, 3 * self.number + 1)]

    def __contains__(self, d: date) -> bool:
        return self.start <= d <= self.end

    def __str__(self) -> str:
        return self.label


@dataclass(frozen=True)
class Period:
    year: int
    quarter: int | None = None   # set for a quarter
    month: int | None = None     # set for a month

    @classmethod
    def parse(cls, text: str, *, quarter_only: bool = False) -> Period:
        raw = text if isinstance(text, str) else ""
        m = _QUARTER.match(raw)
        if m:
            return cls(int(m.group(1)), quarter=int(m.group(2)))
        m = _MONTH.match(raw)
        if m and quarter_only:
            raise ValueError(f"'{text}' is a month; a quarter is needed here (expected YYYYQn, e.g. 2026Q3)")
        if m:
            return cls(int(m.group(1)), month=int(m.group(2)))
        if quarter_only:
            raise ValueError(f"'{text}' is not a quarter (expected YYYYQn, e.g. 2026Q3, or YYYY-Qn)")
        raise ValueError(f"'{text}' is not a period (expected {FORMS})")

    @property
    def is_quarter(self) -> bool:
        return self.quarter is not None

    @property
    def label(self) -> str:
        return f"{self.year}Q{self.quarter}" if self.is_quarter else f"{self.year}-{self.month:02d}"

    @property
    def months(self) -> list[str]:
        """The calendar months (YYYY-MM) the period covers, in order."""
        return Quarter(self.year, self.quarter).months if self.is_quarter else [self.label]

    @property
    def start(self) -> date:
        return date(self.year, 3 * self.quarter - 2 if self.is_quarter else self.month, 1)

    @property
    def end(self) -> date:
        return _month_end(self.year, 3 * self.quarter if self.is_quarter else self.month)

    def __str__(self) -> str:
        return self.label
