"""Finding export files in a landing folder: <landing>/<source>/<YYYY-MM-DD>/<entity>.<csv|parquet|json>.

Folders and files whose name starts with `_` or `.` are ignored (generator manifests, import
reports, editor droppings). Everything else that does not fit the layout is returned as a
`LandingProblem`, never silently skipped.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
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


def _ignored(p: Path) -> bool:
    return p.name.startswith(("_", "."))


def _parse_date(name: str) -> date | None:
    if not _DATE_DIR.fullmatch(name):
        return None
    try:
        return date.fromisoformat(name)
    except ValueError:
        return None


def discover_files(landing: Path) -> LandingScan:
    """Every export file of a contract entity under `landing`, plus every misplaced thing."""
    landing = Path(landing)
    if not landing.is_dir():
        raise FileNotFoundError(f"landing folder {landing} does not exist or is not a folder")
    files: list[LandingFile] = []
    problems: list[LandingProblem] = []

    def rel(p: Path) -> str:
        return p.relative_to(landing).as_posix()

    def problem(p: Path, reason: str, **kw) -> None:
        problems.append(LandingProblem(p, rel(p) + ("/" if p.is_dir() else ""), reason, **kw))

    for src_dir in sorted(landing.iterdir()):
        if _ignored(src_dir):
            continue
        if not src_dir.is_dir():
            problem(src_dir, f"not in the {_LAYOUT} layout (a file directly in the landing folder)")
            continue
        source = src_dir.name
        if source not in SOURCES:
            problem(src_dir, f"unknown source folder {source!r} (expected one of {', '.join(SOURCES)})")
            continue
        for date_dir in sorted(src_dir.iterdir()):
            if _ignored(date_dir):
                continue
            if not date_dir.is_dir():
                problem(date_dir, f"not in the {_LAYOUT} layout (a file directly in the source folder)",
                        entity=_entity_of(date_dir.name), source=source)
                continue
            export_date = _parse_date(date_dir.name)
            entries = [p for p in sorted(date_dir.iterdir()) if not _ignored(p)]
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
                stem, _, ext = p.name.partition(".")
                if ext not in FILE_FORMATS:
                    problem(p, f"unsupported file type (expected {stem}.csv, .parquet or .json, lower case)", **kw)
                    continue
                e = ENTITY_BY_NAME.get(stem)
                if e is None:
                    names = ", ".join(x.name for x in ENTITIES if x.source == source)
                    problem(p, f"unknown entity {stem!r} for source {source} (expected one of {names})", **kw)
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
    return LandingScan(files, problems)


def _entity_of(name: str) -> str | None:
    """The entity a misplaced file is probably meant for (to report it against), if any."""
    e = ENTITY_BY_NAME.get(name.partition(".")[0])
    return e.name if e is not None else None
