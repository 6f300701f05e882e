"""Typed parsing of native cell values into the contract's canonical text.

Every parser returns the canonical text (what the landing CSV holds) or raises `ValueProblem`
with a reason a person can act on. Nothing here guesses: dates are tried only in the declared
formats, a value two formats read differently is ambiguous, numbers only lose the currency
symbols and thousands separator the mapping declares.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal, InvalidOperation


class ValueProblem(ValueError):
    """A value that cannot become the contract type; str() is the reason."""


# --- dates ----------------------------------------------------------------------------------

# strptime directives a mapping may use, each with the strict pattern it must match (so "%Y"
# never reads "23" as the year 23 and "%y" never swallows four digits).
_DIRECTIVES = {
    "Y": r"\d{4}", "y": r"\d{2}", "m": r"\d{1,2}", "d": r"\d{1,2}", "H": r"\d{1,2}",
    "I": r"\d{1,2}", "M": r"\d{2}", "S": r"\d{2}", "f": r"\d{1,6}", "p": r"(?:[AaPp][Mm])",
    "b": r"[A-Za-z]{3}", "B": r"[A-Za-z]+", "a": r"[A-Za-z]{3}", "A": r"[A-Za-z]+",
    "z": r"(?:Z|[+-]\d{2}:?\d{2})", "j": r"\d{1,3}", "%": "%",
}
ISO = "iso"  # ISO 8601 date or date-time, with or without zone (datetime.fromisoformat)


def compile_format(fmt: str) -> re.Pattern | None:
    """The strict pattern of a strptime format; raises ValueError naming an unknown directive."""
    if fmt == ISO:
        return None
    out, i = [], 0
    while i < len(fmt):
        ch = fmt[i]
        if ch == "%":
            if i + 1 >= len(fmt):
                raise ValueError(f"format '{fmt}' ends with a lone '%'")
            d = fmt[i + 1]
            if d not in _DIRECTIVES:
                raise ValueError(f"format '{fmt}' uses %{d}, which is not supported "
                                 f"(use %{', %'.join(k for k in _DIRECTIVES if k != '%')} or 'iso')")
            out.append(_DIRECTIVES[d] if d != "%" else "%")
            i += 2
        else:
            out.append(re.escape(ch))
            i += 1
    return re.compile("".join(out))


@dataclass(frozen=True)
class DatePolicy:
    formats: tuple[str, ...]
    ambiguous: str = "reject"  # reject | first
    _patterns: tuple = field(default=(), compare=False)

    @classmethod
    def of(cls, formats, ambiguous: str = "reject") -> DatePolicy:
        formats = tuple(formats)
        return cls(formats, ambiguous, tuple(compile_format(f) for f in formats))

    def parse(self, text: str) -> datetime:
        hits: list[tuple[str, datetime]] = []
        for fmt, rx in zip(self.formats, self._patterns):
            got = _parse_one(text, fmt, rx)
            if got is None:
                continue
            if not hits:
                hits.append((fmt, got))
                if self.ambiguous == "first":
                    break
            elif _instant(got) != _instant(hits[0][1]):
                hits.append((fmt, got))
        if not hits:
            raise ValueProblem(f"'{text}' matches none of the declared date formats "
                               f"[{', '.join(self.formats)}]")
        if len(hits) > 1:
            readings = " or ".join(f"{d.isoformat(sep=' ')} ({f})" for f, d in hits)
            raise ValueProblem(f"'{text}' is ambiguous: {readings}; declare one format first and "
                               f"`ambiguous_dates: first`, or keep only the right format")
        return hits[0][1]

    def matches(self, text: str) -> bool:
        try:
            self.parse(text)
            return True
        except ValueProblem:
            return False


def _instant(dt: datetime) -> datetime:
    """Comparable reading: zone-less means UTC (the contract's rule), so 10:00Z == 10:00."""
    if dt.tzinfo is not None:
        dt = (dt - dt.utcoffset()).replace(tzinfo=None)
    return dt


def _parse_one(text: str, fmt: str, rx: re.Pattern | None) -> datetime | None:
    if rx is None:  # iso
        try:
            if len(text) == 10:
                return datetime.combine(date.fromisoformat(text), datetime.min.time())
            return datetime.fromisoformat(text)
        except ValueError:
            return None
    if not rx.fullmatch(text):
        return None
    try:
        return datetime.strptime(text, fmt)
    except ValueError:
        return None


def canonical_date(dt: datetime) -> str:
    return dt.date().isoformat()


def canonical_timestamp(dt: datetime) -> str:
    return dt.isoformat(timespec="microseconds" if dt.microsecond else "seconds")


def canonical_period(dt: datetime) -> str:
    return f"{dt.year:04d}-{dt.month:02d}"


# --- numbers ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class NumberPolicy:
    currency_symbols: tuple[str, ...] = ("$", "€", "£", "¥")
    thousands_separator: str | None = None
    decimal_separator: str = "."

    def parse(self, text: str) -> Decimal:
        s = text.strip()
        negative = False
        if s.startswith("(") and s.endswith(")"):
            negative, s = True, s[1:-1].strip()
        if s.startswith("-"):
            negative, s = (not negative), s[1:].strip()
        for sym in sorted(self.currency_symbols, key=len, reverse=True):
            if s.startswith(sym):
                s = s[len(sym):].strip()
                break
            if s.endswith(sym):
                s = s[: -len(sym)].strip()
                break
        if s.startswith("-"):
            negative, s = (not negative), s[1:].strip()
        if self.thousands_separator:
            s = s.replace(self.thousands_separator, "")
        if self.decimal_separator != ".":
            if "." in s:
                raise ValueProblem(f"'{text}' is not a number (the declared decimal separator "
                                   f"is '{self.decimal_separator}')")
            s = s.replace(self.decimal_separator, ".")
        if not re.fullmatch(r"\d+(\.\d*)?|\.\d+|\d+(\.\d*)?[eE][+-]?\d+", s):
            hint = ""
            if "," in s and not self.thousands_separator:
                hint = " (a ',' needs `numbers: {thousands_separator: ','}` in the mapping)"
            raise ValueProblem(f"'{text}' is not a number{hint}")
        try:
            d = Decimal(s)
        except InvalidOperation:
            raise ValueProblem(f"'{text}' is not a number")
        return -d if negative else d


def canonical_decimal(d: Decimal) -> str:
    s = format(d, "f")
    return "0" if s in ("-0", "") else s


def canonical_integer(d: Decimal, text: str) -> str:
    if d != d.to_integral_value():
        raise ValueProblem(f"'{text}' is not a whole number")
    return str(int(d))


# --- booleans, JSON ---------------------------------------------------------------------------

TRUE_WORDS = ("true", "1", "yes", "y", "t")
FALSE_WORDS = ("false", "0", "no", "n", "f")


@dataclass(frozen=True)
class BooleanPolicy:
    true: tuple[str, ...] = TRUE_WORDS
    false: tuple[str, ...] = FALSE_WORDS

    def parse(self, text: str) -> str:
        low = text.strip().casefold()
        if low in {w.casefold() for w in self.true}:
            return "true"
        if low in {w.casefold() for w in self.false}:
            return "false"
        raise ValueProblem(f"'{text}' is not a boolean (declared words: "
                           f"{'/'.join(self.true)} or {'/'.join(self.false)})")

    def matches(self, text: str) -> bool:
        try:
            self.parse(text)
            return True
        except ValueProblem:
            return False


def check_json(text: str, shape: str) -> str:
    """Validate JSON text kept as text; returns it unchanged."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise ValueProblem(f"'{_short(text)}' is not valid JSON ({exc.msg} at character {exc.pos})")
    if shape == "object" and not isinstance(value, dict):
        raise ValueProblem(f"'{_short(text)}' is JSON but not an object ({{...}})")
    if shape == "array" and not isinstance(value, list):
        raise ValueProblem(f"'{_short(text)}' is JSON but not an array ([...])")
    return text


def _short(text: str, n: int = 60) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def as_text(value) -> str:
    """A native JSON/YAML value as cell text (None → '', booleans as true/false, containers as
    compact JSON)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return str(value)
