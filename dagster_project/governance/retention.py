"""Retention of personal data (issue 17.6): `itam purge --older-than AGE`.

Landing-derived personal data (the columns contract.PERSONAL_COLUMNS declares) of exports older
than the cutoff is replaced by pseudonyms `purged-<10 hex>`: in raw.* (rows whose _export_date is
before the cutoff), in audit.quarantine (the value and the personal fields of the delivered
record), and in every derived table that carries the columns with an as_of_date before the
cutoff (marts, intermediate). Nothing else changes, so counts, costs and every aggregate stay
exactly as they were; the same person gets the same pseudonym throughout one purge, so distinct
counts (users per cost center) hold when the marts are rebuilt from raw. The pseudonyms use a
random key drawn for the purge and then forgotten: they cannot be reversed, not even by whoever
ran the purge (docs/decisions/personal-data-retention.md).

Like a build, a purge holds the warehouse's one-writer lock, works on a copy, and publishes it
through the build's publish step (identity check, fsync, atomic rename). What it did is recorded
in audit.purges, one row per table and column. The published versions kept for rollback still
hold the purged data, so they are deleted once the purged warehouse is published.
"""
from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from dagster_project.contract import ENTITY_BY_NAME, PERSONAL_BY_COLUMN, PersonalColumn
from dagster_project.settings import Settings

PREFIX = "purged-"
AUDIT_TABLE = "audit.purges"
# Schemas never purged: governance and decisions are not landing-derived (who decided is the
# audit trail), and the build's own bookkeeping holds no personal data.
SKIP_SCHEMAS = ("decisions", "taxonomy", "information_schema", "pg_catalog")
# The date that says how old a row's data is, in order of preference.
AGE_COLUMNS = ("_export_date", "export_date", "as_of_date")
_AGE = re.compile(r"^\s*(\d+)\s*(d|w|m|y)?\s*$", re.IGNORECASE)


class PurgeError(Exception):
    """The purge did not publish (a one-line reason); the published warehouse is unchanged."""


def parse_age(text: str) -> int:
    """'730', '730d', '104w', '24m', '2y' → days (a month is 30 days, a year 365)."""
    m = _AGE.match(str(text))
    if not m or int(m.group(1)) <= 0:
        raise ValueError(f"--older-than {text!r}: write a positive number of days (730 or 730d), weeks (104w), "
                         "months (24m) or years (2y)")
    n, unit = int(m.group(1)), (m.group(2) or "d").lower()
    return n * {"d": 1, "w": 7, "m": 30, "y": 365}[unit]


@dataclass
class Target:
    table: str          # schema.table
    column: str
    age_column: str
    personal: PersonalColumn
    rows: int = 0


def targets(con) -> tuple[list[Target], list[str]]:
    """(what can be purged, tables holding personal columns but no date to age them by)."""
    cols = con.execute(
        "select c.table_schema, c.table_name, list(c.column_name order by c.ordinal_position), "
        "list(c.column_name) filter (where c.data_type in ('VARCHAR', 'JSON')) "
        "from information_schema.columns c join information_schema.tables t "
        "  on t.table_schema = c.table_schema and t.table_name = c.table_name and t.table_catalog = c.table_catalog "
        "where t.table_type = 'BASE TABLE' and c.table_catalog = current_database() "
        "group by all order by 1, 2").fetchall()
    out, undated = [], []
    for schema, table, columns, texts in cols:
        if schema in SKIP_SCHEMAS:
            continue
        name = f"{schema}.{table}"
        personal = [c for c in columns if c in PERSONAL_BY_COLUMN and c in (texts or [])
                    and (PERSONAL_BY_COLUMN[c].anywhere or name in PERSONAL_BY_COLUMN[c].tables)]
        if not personal:
            continue
        age = next((a for a in AGE_COLUMNS if a in columns), None)
        if age is None:
            undated.append(name)
            continue
        for c in personal:
            p = PERSONAL_BY_COLUMN[c]
            if p.when and p.when[0] not in columns:
                p = dataclasses.replace(p, when=None)
            out.append(Target(name, c, age, p))
    return out, undated


def _pseudonym(key: bytes):
    def fn(value: str | None) -> str | None:
        if value is None or value.startswith(PREFIX) or not value.strip():
            return value
        return PREFIX + hmac.new(key, value.strip().lower().encode(), hashlib.sha256).hexdigest()[:10]
    return fn


def _q(name: str) -> str:
    return ".".join('"' + part.replace('"', '""') + '"' for part in name.split("."))


def purge_connection(con, cutoff: date, *, dry_run: bool = False, key: bytes | None = None) -> tuple[list[Target], list[str]]:
    """Pseudonymise the personal data older than `cutoff` in the open warehouse `con` (one
    transaction). Returns (targets with the rows changed, undated tables left alone)."""
    pseudo = _pseudonym(key or secrets.token_bytes(32))

    def part(pattern: str):
        rx = re.compile(pattern)

        def fn(value: str | None) -> str | None:
            m = rx.match(value) if value else None
            return value if not m else value[:m.start(1)] + pseudo(m.group(1)) + value[m.end(1):]
        return fn

    def record(entity: str | None, text: str | None) -> str | None:
        """The personal fields of a quarantined record (as delivered) replaced."""
        e = ENTITY_BY_NAME.get(entity or "")
        if text is None or e is None:
            return text
        try:
            data = json.loads(text)
        except ValueError:
            return pseudo(text)
        if not isinstance(data, dict):
            return text
        personal = {c.name for c in e.columns if c.personal}
        return json.dumps({k: (pseudo(str(v)) if k in personal and v is not None else v) for k, v in data.items()},
                          ensure_ascii=False)

    con.create_function("itam_pseudo", pseudo, ["VARCHAR"], "VARCHAR", null_handling="special")
    patterns = {}
    found, undated = targets(con)
    con.execute("begin transaction")
    try:
        for t in found:
            col = _q(t.column)
            where = [f"{_q(t.age_column)} < ?", f"{col} is not null",
                     f"not starts_with(cast({col} as varchar), '{PREFIX}')"]
            params: list = [cutoff]
            if t.personal.when:
                where.append(f"{_q(t.personal.when[0])} in ({', '.join('?' for _ in t.personal.when[1])})")
                params += list(t.personal.when[1])
            if t.table == "audit.quarantine":
                if t.column == "record":
                    fn = "itam_record"
                    if "itam_record" not in patterns:
                        con.create_function("itam_record", record, ["VARCHAR", "VARCHAR"], "VARCHAR",
                                            null_handling="special")
                        patterns["itam_record"] = True
                    new = f"{fn}(entity, cast({col} as varchar))"
                    where[-1] = f"cast({col} as varchar) not like '%\"{PREFIX}%'"
                else:  # a quarantined value is personal when its column is
                    names = sorted({c.name for e in ENTITY_BY_NAME.values() for c in e.columns if c.personal})
                    where.append(f"column_name in ({', '.join('?' for _ in names)})")
                    params += names
                    new = f"itam_pseudo(cast({col} as varchar))"
            elif t.personal.part:
                name = f"itam_part_{len(patterns)}"
                if t.personal.part not in patterns:
                    con.create_function(name, part(t.personal.part), ["VARCHAR"], "VARCHAR", null_handling="special")
                    patterns[t.personal.part] = name
                new = f"{patterns[t.personal.part]}({col})"
                where.append(f"regexp_matches({col}, ?)")
                params.append(t.personal.part)
            else:
                new = f"itam_pseudo(cast({col} as varchar))"
            sql_where = " and ".join(where)
            t.rows = con.execute(f"select count(*) from {_q(t.table)} where {sql_where}", params).fetchone()[0]
            if t.rows and not dry_run:
                con.execute(f"update {_q(t.table)} set {col} = {new} where {sql_where}", params)
        con.execute("rollback" if dry_run else "commit")
    except BaseException:
        con.execute("rollback")
        raise
    return found, undated


def latest_export_date(con) -> date | None:
    try:
        return con.execute("select max(export_date) from audit.loads where status = 'loaded'").fetchone()[0]
    except Exception:  # noqa: BLE001 - a warehouse without audit.loads has nothing landing-derived
        return None


def purge(settings: Settings, older_than_days: int, *, dry_run: bool = False, wait_seconds: float = 0.0,
          say=print) -> dict:
    """Purge a copy of the published warehouse and publish it (module docstring)."""
    from dagster_project.build.publish import change_published_copy, versions_dir
    from dagster_project.warehouse import connect

    if not settings.warehouse.is_file():
        raise PurgeError(f"no published warehouse at {settings.warehouse} (run `itam build`)")
    with change_published_copy(settings, "purge", PurgeError, wait_seconds=wait_seconds, say=say) as copy:
        run_id = copy.run_id
        con = connect(copy.path, settings=copy.settings)
        try:
            latest = latest_export_date(con)
            if latest is None:
                raise PurgeError(f"{settings.warehouse} has no loaded export (audit.loads): nothing to age")
            cutoff = latest - timedelta(days=older_than_days)
            found, undated = purge_connection(con, cutoff, dry_run=dry_run)
            result = {"cutoff": cutoff, "latest_export_date": latest, "older_than_days": older_than_days,
                      "targets": found, "undated": undated, "purge_id": run_id, "published": None,
                      "versions_dropped": 0}
            if dry_run:
                return result
            now = datetime.now(UTC).replace(tzinfo=None)
            con.execute(f"create table if not exists {AUDIT_TABLE} (purge_id VARCHAR, purged_at TIMESTAMP, "
                        "older_than_days INTEGER, cutoff_date DATE, table_name VARCHAR, column_name VARCHAR, "
                        "rows_purged BIGINT)")
            con.executemany(f"insert into {AUDIT_TABLE} values (?, ?, ?, ?, ?, ?, ?)",
                            [[run_id, now, older_than_days, cutoff, t.table, t.column, t.rows] for t in found])
            con.execute("checkpoint")
        finally:
            con.close()
        published = copy.publish()
        # A rollback to a kept version would bring the purged personal data back.
        dropped = 0
        for old in [*versions_dir(settings.warehouse).glob("*.duckdb"), Path(f"{settings.warehouse}.rolled-back")]:
            if old.exists():
                old.unlink()
                dropped += 1
        return {**result, "published": published["published"], "versions_dropped": dropped}
