"""Finding export files in a landing folder: <landing>/<source>/<YYYY-MM-DD>/<entity>.<csv|parquet|json>.

Folders and files whose name starts with `_` or `.` are ignored by convention (generator
manifests, import reports, editor droppings); each file under them is still listed in
`LandingScan.ignored` so it gets an audit.loads row. Everything else that does not fit the
layout is returned as a `LandingProblem`, one per file, never silently skipped. A symbolic link
is followed only when it resolves inside the landing folder: one pointing outside is refused.
"""
from __future__ import annotations

import difflib
import os
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from dagster_project.contract import ENTITIES, ENTITY_BY_NAME, FILE_FORMATS

SOURCES: tuple[str, ...] = tuple(dict.fromkeys(e.source for e in ENTITIES))
_DATE_DIR = re.compile(r"\d{4}-\d{2}-\d{2}")
_LAYOUT = "<source>/<YYYY-MM-DD>/<entity>.<" + "|".join(FILE_FORMATS) + ">"


@dataclass(frozen=True)
class LandingFile:
    path: Path            # absolute path
    rel: str              # path relative to the landing folder, '/'-separated (the file's identity)
    source: str
    export_date: date
    entity: str
    file_format: str      # csv | parquet | json


@dataclass(frozen=True)
class LandingProblem:
    path: Path
    rel: str
    reason: str
    # What could be inferred, so the problem can be reported against an entity (None if unknown).
    entity: str | None = None
    source: str | None = None
    export_date: date | None = None

    @property
    def message(self) -> str:
        return f"{self.rel}: {self.reason}"

    def __str__(self) -> str:
        return self.message


@dataclass
class LandingScan:
    files: list[LandingFile]
    problems: list[LandingProblem]
    ignored: list[LandingProblem] = field(default_factory=list)  # under _ or . names, by convention


def _ignored(p: Path) -> bool:
    return p.name.startswith(("_", "."))


def _parse_date(name: str) -> date | None:
    if not _DATE_DIR.fullmatch(name):
        return None
    try:
        return date.fromisoformat(name)
    except ValueError:
        return None


def _files_under(d: Path) -> list[Path]:
    """Every file below folder d (symbolic links not followed), or [d] when it holds none."""
    found = [Path(root) / n for root, _, names in os.walk(d) for n in names]
    return sorted(found) or [d]


def discover_files(landing: Path) -> LandingScan:
    """Every export file of a contract entity under `landing`, plus every misplaced thing."""
    landing = Path(landing)
    if not landing.is_dir():
        raise FileNotFoundError(f"landing folder {landing} does not exist or is not a folder")
    root = landing.resolve()
    files: list[LandingFile] = []
    problems: list[LandingProblem] = []
    ignored: list[LandingProblem] = []

    def rel(p: Path) -> str:
        return p.relative_to(landing).as_posix()

    def problem(p: Path, reason: str, **kw) -> None:
        """One problem per file: a folder's problem is reported against every file in it."""
        targets = _files_under(p) if p.is_dir() and not p.is_symlink() else [p]
        for t in targets:
            problems.append(LandingProblem(t, rel(t) + ("/" if t.is_dir() else ""), reason, **kw))

    def outside(p: Path) -> bool:
        """A symbolic link (or a path through one) resolving outside the landing folder."""
        if not p.is_symlink():
            return False
        target = p.resolve()
        if target == root or root in target.parents:
            return False
        problems.append(LandingProblem(
            p, rel(p), f"symbolic link to {target} outside the landing folder: refused (copy the "
            "export into the landing folder)", entity=_entity_of(p.name)))
        return True

    def ignore(p: Path) -> None:
        targets = _files_under(p) if p.is_dir() and not p.is_symlink() else [p]
        for t in targets:
            ignored.append(LandingProblem(t, rel(t), "ignored: names starting with _ or . are not exports"))

    for src_dir in sorted(landing.iterdir()):
        if _ignored(src_dir):
            ignore(src_dir)
            continue
        if outside(src_dir):
            continue
        if not src_dir.is_dir():
            problem(src_dir, f"not in the {_LAYOUT} layout (a file directly in the landing folder)",
                    entity=_entity_of(src_dir.name))
            continue
        source = src_dir.name
        if source not in SOURCES:
            problem(src_dir, f"unknown source folder {source!r} (expected one of {', '.join(SOURCES)})")
            continue
        for date_dir in sorted(src_dir.iterdir()):
            if _ignored(date_dir):
                ignore(date_dir)
                continue
            if outside(date_dir):
                continue
            if not date_dir.is_dir():
                problem(date_dir, f"not in the {_LAYOUT} layout (a file directly in the source folder)",
                        entity=_entity_of(date_dir.name), source=source)
                continue
            export_date = _parse_date(date_dir.name)
            entries = []
            for p in sorted(date_dir.iterdir()):
                if _ignored(p):
                    ignore(p)
                elif not outside(p):
                    entries.append(p)
            if export_date is None:
                why = f"export folder {date_dir.name!r} is not a date YYYY-MM-DD"
                if not entries:
                    problem(date_dir, why, source=source)
                for p in entries:
                    problem(p, why, entity=_entity_of(p.name), source=source)
                continue
            for p in entries:
                kw = dict(entity=_entity_of(p.name), source=source, export_date=export_date)
                if p.is_dir():
                    problem(p, "unexpected sub-folder in an export folder", **kw)
                    continue
                if not p.is_file():
                    problem(p, "not a regular file (a device, pipe or broken link)", **kw)
                    continue
                stem, _, ext = p.name.partition(".")
                if ext not in FILE_FORMATS:
                    problem(p, f"unsupported file type (expected {stem}.csv, .parquet or .json, lower case)", **kw)
                    continue
                e = ENTITY_BY_NAME.get(stem)
                if e is None:
                    names = ", ".join(x.name for x in ENTITIES if x.source == source)
                    close = difflib.get_close_matches(stem.lower(), [x.name for x in ENTITIES], n=1, cutoff=0.8)
                    hint = f"; did you mean {close[0]}.{ext}?" if close else ""
                    # A misspelt name is reported against the entity it probably means.
                    kw["entity"] = kw["entity"] or (close[0] if close else None)
                    problem(p, f"unknown entity {stem!r} for source {source} (expected one of {names}){hint}", **kw)
                    continue
                if e.source != source:
                    problem(p, f"{stem} belongs in {e.source}/, not {source}/", **kw)
                    continue
                files.append(LandingFile(p.resolve(), rel(p), source, export_date, stem, ext))

    # Two files for one entity in one export folder (e.g. .csv and .json) are ambiguous: refuse both.
    groups: dict[tuple, list[LandingFile]] = defaultdict(list)
    for f in files:
        groups[(f.source, f.export_date, f.entity)].append(f)
    for group in groups.values():
        if len(group) > 1:
            names = ", ".join(f.path.name for f in group)
            for f in group:
                files.remove(f)
                problems.append(LandingProblem(
                    f.path, f.rel, f"more than one export of {f.entity} in this folder ({names}); keep one",
                    entity=f.entity, source=f.source, export_date=f.export_date))
    files.sort(key=lambda f: (f.entity, f.export_date, f.rel))
    return LandingScan(files, problems, ignored)


def _entity_of(name: str) -> str | None:
    """The entity a misplaced file is probably meant for (to report it against), if any."""
    e = ENTITY_BY_NAME.get(name.partition(".")[0])
    return e.name if e is not None else None
