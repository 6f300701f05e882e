"""Personal data governed (issue 17.6): taxonomy/privacy.yaml, validated, and the one masker.

The contract declares which columns hold personal data and their class (contract.PERSONAL_COLUMNS:
e-mails, person names, who decided, free text, quarantined records). privacy.yaml says, per
class, how a value is masked (`hash`: a stable pseudonym `anon-<10 hex>`, the same person gives
the same pseudonym everywhere, so counts and joins still work; `initials`: `H.A.` for
hannah.asset@example.com) and which roles see it in clear; which viewers (the e-mail the
dashboard's OIDC login returns) hold which role; and how long landing-derived personal data is
kept (`itam purge`).

`Masker` is the ONE place masking happens: the dashboards (every table and download goes through
dashboards/downloads.show_table) and every export (the reconciliation pack, `itam export`) pass
their rows through it. Masked is the default; a value is clear only when the viewer holds a role
the column's class lists in clear_roles (docs/decisions/personal-data-masking.md).
"""
from __future__ import annotations

import fnmatch
import hashlib
import hmac
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, StringConstraints, ValidationError, field_validator

from dagster_project.contract import (
    PERSONAL_BY_COLUMN,
    PERSONAL_CLASSES,
    PersonalColumn,
)
from dagster_project.governance.problems import Problem, TaxonomyError
from dagster_project.governance.schema import FILE_MODELS, Ident, _Strict
from dagster_project.governance.schema_errors import schema_problems
from dagster_project.governance.yaml_reader import read_yaml

PRIVACY = "privacy.yaml"
MODES = ("hash", "initials")
# Modes that make sense per class: initials of a free text or a quarantined record say nothing
# and could still identify (a hostname's first letter is not what they are for).
INITIALS_CLASSES = ("email", "person", "staff")
HASH_PREFIX = "anon-"
HASH_HEX = 10
_DEFAULT_HASH_KEY = b"itam-personal-data"  # without ITAM_MASKING_KEY: stable but guessable (docs)

Viewer = Annotated[str, StringConstraints(strip_whitespace=True, to_lower=True,
                                          pattern=r"^(\*|[A-Za-z0-9._%+'-]+)@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")]


class ClassPolicy(_Strict):
    mode: Literal["hash", "initials"] = Field(description="hash or initials")
    clear_roles: list[Ident] = Field(default_factory=list,
                                     description="the roles that see this class in clear, e.g. [privacy_officer]")

    @field_validator("clear_roles", mode="before")
    @classmethod
    def _none(cls, v):
        return [] if v is None else v


class Retention(_Strict):
    personal_data_days: Annotated[int, Field(strict=True, gt=0)] = Field(
        description="a whole number of days above 0: landing-derived personal data older than this is purged")


class PrivacyFile(_Strict):
    classes: dict[str, ClassPolicy] = Field(
        description="personal-data class (" + ", ".join(PERSONAL_CLASSES) + ") → {mode, clear_roles}")
    roles: dict[Ident, list[Viewer]] = Field(
        default_factory=dict, description="role → viewers' e-mails (or *@domain) as the OIDC login returns them")
    retention: Retention = Field(description="{personal_data_days: N}")

    @field_validator("roles", mode="before")
    @classmethod
    def _none_roles(cls, v):
        return {} if v is None else {k: ([] if t is None else t) for k, t in v.items()} if isinstance(v, dict) else v


FILE_MODELS[PRIVACY] = PrivacyFile  # so the schema errors read like every other taxonomy file's


@dataclass(frozen=True)
class PrivacyPolicy:
    classes: dict[str, ClassPolicy]
    roles: dict[str, tuple[str, ...]]
    retention_days: int
    file: Path | None = None

    def roles_of(self, viewer: str | None) -> frozenset[str]:
        """The roles the policy gives a viewer (an e-mail; None = not logged in: no role)."""
        if not viewer:
            return frozenset()
        who = viewer.strip().lower()
        return frozenset(r for r, patterns in self.roles.items()
                         if any(fnmatch.fnmatchcase(who, p) for p in patterns))

    def clear_roles(self) -> frozenset[str]:
        """Every role that sees at least one class in clear."""
        return frozenset(r for c in self.classes.values() for r in c.clear_roles)


def load_privacy(directory: Path | str) -> PrivacyPolicy:
    """Read and validate <taxonomy>/privacy.yaml. Raises TaxonomyError listing every problem."""
    path = Path(directory) / PRIVACY
    problems: list[Problem] = []
    if not path.is_file():
        raise TaxonomyError([Problem(PRIVACY, "(file)", f"file not found in {path.parent}",
                                     "restore privacy.yaml (how personal data is masked, who sees it in "
                                     "clear, how long it is kept; docs/taxonomy.md)")])
    data = read_yaml(path, path.read_bytes(), problems)
    if data is None or problems:
        raise TaxonomyError(problems or [Problem(PRIVACY, "(file)", "empty", "write classes, roles, retention")])
    try:
        model = PrivacyFile.model_validate(data)
    except ValidationError as exc:
        raise TaxonomyError(schema_problems(PRIVACY, data, exc)) from None
    for name in PERSONAL_CLASSES:
        if name not in model.classes:
            problems.append(Problem(PRIVACY, "classes", f"class '{name}' has no policy (the contract declares "
                                    "columns of it)", f"add `{name}: {{mode: hash, clear_roles: [...]}}`"))
    for name, c in model.classes.items():
        if name not in PERSONAL_CLASSES:
            problems.append(Problem(PRIVACY, f"classes.{name}", "not a personal-data class of the contract",
                                    "use one of " + ", ".join(PERSONAL_CLASSES)))
        elif c.mode == "initials" and name not in INITIALS_CLASSES:
            problems.append(Problem(PRIVACY, f"classes.{name}.mode", f"initials cannot mask {name} (it is not "
                                    "a name)", "use mode: hash"))
        for r in c.clear_roles:
            if r not in model.roles:
                problems.append(Problem(PRIVACY, f"classes.{name}.clear_roles", f"role '{r}' is not declared "
                                        "under roles", f"add `{r}: [viewer@example.com]` under roles, or remove it"))
    if problems:
        raise TaxonomyError(problems)
    return PrivacyPolicy(classes=dict(model.classes), roles={k: tuple(v) for k, v in model.roles.items()},
                         retention_days=model.retention.personal_data_days, file=path.resolve())


# ------------------------------------------------------------------------------------ masking

def pseudonym(value: str, key: bytes | None = None) -> str:
    """`anon-` + 10 hex of an HMAC-SHA256 of the trimmed, lower-cased value: the same person gives
    the same pseudonym in every table and file. With ITAM_MASKING_KEY it cannot be reversed by
    hashing a list of candidate e-mails; without, it can (docs/decisions/personal-data-masking.md)."""
    digest = hmac.new(key or _DEFAULT_HASH_KEY, value.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()
    return HASH_PREFIX + digest[:HASH_HEX]


_WORDS = re.compile(r"[^\W\d_]+", re.UNICODE)


def initials(value: str) -> str:
    """'hannah.asset@example.com' → 'H.A.'; 'CORP\\\\jdoe' → 'J.'; 'Jane van Dyke' → 'J.V.D.'.
    The domain is dropped; nothing left → '?'."""
    text = value.strip().split("@", 1)[0]
    text = text.rsplit("\\", 1)[-1]
    letters = [w[0].upper() + "." for w in _WORDS.findall(text)]
    return "".join(letters) or "?"


@dataclass(frozen=True)
class Masker:
    """How one viewer sees personal data. `Masker(None)` masks nothing (the build, tests of
    numbers); `for_viewer` is what outputs and dashboards use."""
    policy: PrivacyPolicy | None
    roles: frozenset[str] = field(default_factory=frozenset)
    key: bytes | None = field(default=None, repr=False)

    @classmethod
    def for_viewer(cls, policy: PrivacyPolicy, roles: Sequence[str] = (), key: str | bytes | None = None) -> Masker:
        return cls(policy, frozenset(roles), key.encode() if isinstance(key, str) else key)

    def is_clear(self, kind: str) -> bool:
        if self.policy is None:
            return True
        c = self.policy.classes.get(kind)
        return c is not None and bool(self.roles & set(c.clear_roles))

    @property
    def masks_anything(self) -> bool:
        return self.policy is not None and not all(self.is_clear(k) for k in PERSONAL_CLASSES)

    def value(self, kind: str, value):
        """One value of a class as this viewer sees it (None and '' stay as they are)."""
        if not isinstance(value, str) or self.is_clear(kind):  # numbers, dates: never personal
            return value
        text = str(value)
        if not text.strip():
            return value
        mode = self.policy.classes[kind].mode
        return initials(text) if mode == "initials" else pseudonym(text, self.key)

    def _cell(self, p: PersonalColumn, value):
        if p.part and isinstance(value, str):
            m = re.match(p.part, value)
            if not m:
                return value
            return value[:m.start(1)] + str(self.value(p.kind, m.group(1))) + value[m.end(1):]
        return self.value(p.kind, value)

    def column_value(self, column: str, value):
        """One value of a column (by name) as this viewer sees it."""
        p = PERSONAL_BY_COLUMN.get(column)
        return value if p is None else self._cell(p, value)

    def personal(self, columns: Sequence[str]) -> list[tuple[int, PersonalColumn]]:
        return [(i, PERSONAL_BY_COLUMN[c]) for i, c in enumerate(columns)
                if c in PERSONAL_BY_COLUMN and PERSONAL_BY_COLUMN[c].anywhere
                and not self.is_clear(PERSONAL_BY_COLUMN[c].kind)]

    def rows(self, columns: Sequence[str], rows: Sequence[Sequence]) -> list[list]:
        """Rows of a table with these column names, personal columns masked for this viewer."""
        columns = list(columns)
        hits = self.personal(columns)
        if not hits:
            return [list(r) for r in rows]
        out = []
        for r in rows:
            r = list(r)
            for i, p in hits:
                if p.when and p.when[0] in columns and r[columns.index(p.when[0])] not in p.when[1]:
                    continue
                r[i] = self._cell(p, r[i])
            out.append(r)
        return out

    def frame(self, df):
        """A pandas DataFrame with its personal columns masked (a copy; the input is untouched)."""
        import pandas as pd

        hits = self.personal([str(c) for c in df.columns])
        if not hits:
            return df
        out = df.copy()
        for i, p in hits:
            col = out.columns[i]
            s = out[col].astype(object)
            masked = s.map(lambda v, p=p: None if v is None or pd.isna(v) else self._cell(p, v))
            if p.when and p.when[0] in out.columns:
                applies = out[p.when[0]].isin(p.when[1])
                masked = masked.where(applies, s)
            out[col] = masked
        return out


def masker_for(taxonomy: Path | str, *, roles: Sequence[str] = (), key: str | None = None,
               unmasked: bool = False) -> Masker:
    """The masker of a CLI export: masked unless `unmasked` is asked AND a role is given (ITAM_ROLES
    through Settings) that the policy lets see personal data in clear. Raises ValueError with the
    reason otherwise."""
    policy = load_privacy(taxonomy)
    if not unmasked:
        return Masker.for_viewer(policy, (), key)
    granted = set(roles) & policy.clear_roles()
    if not roles:
        raise ValueError("--unmasked needs a role: set ITAM_ROLES to a role of taxonomy/privacy.yaml that "
                         "sees personal data in clear (" + ", ".join(sorted(policy.clear_roles())) + ")")
    if not granted:
        raise ValueError(f"--unmasked: role(s) {', '.join(sorted(roles))} in ITAM_ROLES see no personal data in "
                         f"clear (privacy.yaml grants it to {', '.join(sorted(policy.clear_roles())) or 'nobody'})")
    return Masker.for_viewer(policy, sorted(roles), key)
