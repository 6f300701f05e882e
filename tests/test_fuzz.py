"""Fuzz (issue 17.7): generated malformed files through every landing reader and every native
mapping. Whatever arrives, ingestion must not crash, and every file must be accounted for: a
loaded file has rows_read = rows_loaded + rows_quarantined (each quarantined row with a reason),
a rejected file has a one-line reason naming it. Deterministic (derandomize) so a failure
reproduces; 150 + 4 per native sample (17 samples) = 218 generated files in all.

That a failed build leaves the published warehouse unchanged is asserted by
tests/test_quality.py::test_a_duplicate_key_is_held_back_and_an_aggregate_failure_still_blocks
(and test_pipeline's failing dbt test): a fuzzed file can only ever be quarantined or rejected
at ingestion, which these tests prove, so the only way to fail a build is a check.
"""
from __future__ import annotations

import csv
import io
import json
import tempfile
from datetime import date
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dagster_project.contract import ENTITIES
from dagster_project.ingest import ensure_schemas, ingest_landing
from dagster_project.ingest.rules import load_rules
from dagster_project.mappings.engine import MappingError, import_native, list_systems

REPO = Path(__file__).resolve().parents[1]
REALDATA = REPO.parent / "shared" / "realdata"
if not REALDATA.is_dir():  # a worktree sits one level deeper than the main checkout
    REALDATA = REPO.parents[1] / "shared" / "realdata"
RULES = load_rules()
EXPORT = date(2026, 9, 30)
FUZZ = settings(derandomize=True, deadline=None, database=None,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])

NASTY = ["", " ", "\x00", "\x07", "\x1b[0m", '"', '""', ",", "\n", "\r\n", "\r", "\ufeff", "é", "日本",
         "=HYPERLINK(\"x\")", "9" * 40, "-1e400", "1e10", "99999999999999", "2026-02-30", "9999-12-31",
         "1900-01-01", "NaN", "yes", "\\", "'", "\t", "null", "[1,2]", '{"a":1}', "\udcff"[:0] + "\u2028",
         "2026-09-30T25:61:00Z", "+12.50", "12,50", "$5", "in_use", "hardware", "agent"]
VALID = {"date": ["2026-01-15", "2025-12-31"], "timestamp": ["2026-09-01T10:00:00Z", "2026-09-01 10:00"],
         "money": ["1200.50", "0", "-3"], "number": ["1", "2.5"], "integer": ["1", "36"],
         "boolean": ["true", "0"], "period": ["2026-09"], "text": ["X-1", "Dell"]}


def value_for(kind: str, values: tuple[str, ...]):
    good = list(values) or VALID.get(kind, VALID["text"])
    return st.one_of(st.sampled_from(good), st.sampled_from(good), st.sampled_from(NASTY),
                     st.text(max_size=8))


@st.composite
def export_file(draw):
    """(entity, format, bytes): a contract export with mutated header, rows and bytes."""
    e = draw(st.sampled_from(ENTITIES))
    cols = [c for c in e.columns if c.required or draw(st.booleans())]
    if cols and draw(st.integers(0, 9)) == 0:  # a required column missing
        cols.pop(draw(st.integers(0, len(cols) - 1)))
    header = [draw(st.sampled_from([c.name, c.name.upper(), f" {c.name} "])) for c in cols]
    if draw(st.booleans()):
        header.append(draw(st.sampled_from(["extra", "Note", "extra", "po_number", "extra", "Note", ""])))
    n = draw(st.integers(1, 12))
    rows = []
    for _ in range(n):
        row = [draw(value_for(c.kind, c.values)) for c in cols]
        row += [draw(st.sampled_from(NASTY))] * (len(header) - len(cols))
        if row and draw(st.integers(0, 7)) == 0:  # ragged
            row = row[:-1] if draw(st.booleans()) else row + ["x"]
        rows.append(row)
    fmt = draw(st.sampled_from(["csv", "csv", "csv", "json", "json", "parquet"]))
    if fmt == "csv":
        buf = io.StringIO()
        if draw(st.booleans()):
            w = csv.writer(buf, lineterminator=draw(st.sampled_from(["\n", "\r\n"])))
            w.writerow(header)
            w.writerows(rows)
        else:  # no quoting at all: delimiters and quotes inside values break the row
            buf.write("\n".join(",".join(r) for r in [header] + rows) + "\n")
        data = (b"\xef\xbb\xbf" if draw(st.booleans()) else b"") + buf.getvalue().encode("utf-8", "surrogatepass")
    elif fmt == "json":
        records = [dict(zip(header, r)) for r in rows]
        if records and draw(st.booleans()):
            records[draw(st.integers(0, len(records) - 1))] = draw(st.sampled_from(["str", 5, None, [1]]))
        if draw(st.booleans()):
            data = json.dumps(records, ensure_ascii=False).encode("utf-8", "surrogatepass")
        else:
            data = "\n".join(json.dumps(r, ensure_ascii=False) for r in records).encode("utf-8", "surrogatepass")
    else:
        names = list(dict.fromkeys(h for h in header if h.strip())) or ["x"]
        table = pa.table({h: pa.array([r[i] if i < len(r) else None for r in rows], pa.string())
                          for i, h in enumerate(names)})
        sink = pa.BufferOutputStream()
        pq.write_table(table, sink)
        data = sink.getvalue().to_pybytes()
    mutation = draw(st.integers(0, 7))
    if mutation == 0 and data:  # truncated
        data = data[:draw(st.integers(len(data) // 3, len(data) - 1))]
    elif mutation == 1 and data:  # a stray byte (invalid UTF-8, NUL, quote, newline)
        at = draw(st.integers(0, len(data)))
        data = data[:at] + draw(st.sampled_from([b"\xff", b"\x00", b'"', b"\n", b"\xc3"])) + data[at:]
    return e, fmt, data


def accounted(con, landing: Path) -> None:
    """The invariants every file under the landing folder must satisfy after ingestion."""
    files = sorted(p.relative_to(landing).as_posix() for p in landing.rglob("*") if p.is_file())
    audited = dict(con.execute("select file, status from audit.loads").fetchall())
    assert set(files) <= set(audited), set(files) - set(audited)
    for file, status, read, loaded, quarantined, error, entity in con.execute(
            "select file, status, rows_read, rows_loaded, rows_quarantined, error, entity from audit.loads").fetchall():
        if status == "loaded":
            assert read == loaded + quarantined, file
            assert con.execute(f'select count(*) from raw."{entity}" where _file = ?', [file]).fetchone()[0] == loaded
            q = con.execute("select count(distinct row_number), count(*) filter (where reason is null or reason = ''), "
                            "count(*) filter (where contains(coalesce(value, ''), chr(0))) "
                            "from audit.quarantine where file = ?", [file]).fetchone()
            assert q == (quarantined, 0, 0), (file, q)
        else:
            assert status in ("rejected", "ignored") and error and "\n" not in error, (file, error)
            assert error.startswith(file) or status == "ignored", (file, error)


@settings(FUZZ, max_examples=150)
@given(st.lists(export_file(), min_size=1, max_size=1))
def test_landing_readers_account_for_every_row_of_malformed_files(exports):
    with tempfile.TemporaryDirectory() as d:
        landing = Path(d) / "landing"
        for e, fmt, data in exports:
            p = landing / e.source / EXPORT.isoformat() / f"{e.name}.{fmt}"
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_bytes(data)
        con = duckdb.connect(config={"threads": 1})
        ensure_schemas(con)
        ingest_landing(con, landing, log=lambda m: None, rules=RULES)
        accounted(con, landing)
        # a second run changes nothing (idempotent on whatever arrived)
        before = con.execute("select count(*) from audit.quarantine").fetchone()[0]
        ingest_landing(con, landing, log=lambda m: None, rules=RULES)
        assert con.execute("select count(*) from audit.quarantine").fetchone()[0] == before
        con.close()


def mapping_seeds() -> list[tuple[str, Path]]:
    """(system, sample file) for every declared mapping: the project's own samples and, when
    present, the real public ones (read from ../shared/realdata, never copied)."""
    own = REPO / "tests" / "fixtures" / "mappings"
    real = {"glpi": ["glpi-inventory/examples/computer_1.json", "glpi-inventory/xml/1.xml"],
            "snipe-it": ["snipe-it/assets-sample.csv", "snipe-it/licenses-sample.csv"],
            "focus": ["focus/focus_sample.csv"], "m365-sku": ["m365-sku/product_name_2023-08.csv"],
            "endoflife-date": []}
    seeds = []
    for system in list_systems():
        seeds += [(system, p) for p in sorted((own / system).glob("*")) if p.is_file()]
        seeds += [(system, REALDATA / r) for r in real.get(system, []) if (REALDATA / r).is_file()]
    return seeds


SEEDS = mapping_seeds()


@st.composite
def mutated(draw, data: bytes) -> bytes:
    lines = data.splitlines(keepends=True)[:60]  # big real samples: their head is enough
    for _ in range(draw(st.integers(1, 3))):
        op = draw(st.integers(0, 4))
        if not lines:
            break
        i = draw(st.integers(0, len(lines) - 1))
        if op == 0:
            lines = lines[:i + 1]  # truncated
        elif op == 1:
            at = draw(st.integers(0, len(lines[i])))
            junk = draw(st.sampled_from([b"\x00", b"\x07", b'"', b",", b"\xff\xfe", b"=cmd|x", b"\n", b"{", b"<"]))
            lines[i] = lines[i][:at] + junk + lines[i][at:]
        elif op == 2:
            lines.insert(i, lines[i])  # a duplicated record
        elif op == 3:
            del lines[i]
        else:
            lines[i] = lines[i][: max(0, len(lines[i]) // 2)]
    return b"".join(lines)


@pytest.mark.parametrize("system, seed", SEEDS, ids=[f"{s}:{p.name}" for s, p in SEEDS])
def test_native_mappings_survive_malformed_exports(system, seed):
    @settings(FUZZ, max_examples=4)
    @given(mutated(seed.read_bytes()))
    def run(data):
        with tempfile.TemporaryDirectory() as d:
            src = Path(d) / "in" / seed.name
            src.parent.mkdir()
            src.write_bytes(data)
            landing = Path(d) / "landing"
            try:
                report = import_native(system, [src], landing, EXPORT, log=lambda m: None)
            except MappingError as exc:
                assert str(exc).strip()  # a refusal says why
                return
            assert all(r.reason for r in report.rejects)
            if not landing.exists():
                return
            con = duckdb.connect(config={"threads": 1})
            ensure_schemas(con)
            ingest_landing(con, landing, log=lambda m: None, rules=RULES)
            accounted(con, landing)
            con.close()

    run()
