"""itam docs: the documentation of a published warehouse, readable offline in a browser.

Writes one folder (default `<warehouse>.docs/`) and serves it on 127.0.0.1 unless told:
  index.html          links the three below
  dbt.html            dbt docs (`dbt docs generate --static`: one file, models, columns, lineage)
  taxonomy.html       the governance model (`itam taxonomy report --format html`)
  data-quality.html   every expectation of every load (dagster_project/quality/datadocs.py)
Every page is a single file with nothing loaded from the internet, so the folder can be zipped
and opened anywhere (docs/decisions/offline-docs.md)."""
from __future__ import annotations

import functools
import json
import shutil
import subprocess
import tempfile
from html import escape
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from dagster_project.cli import CliError
from dagster_project.commands.build import export_masker
from dagster_project.settings import DBT_DIR

PAGES = (
    ("dbt.html", "Warehouse models (dbt docs)",
     "every staging, intermediate and mart model with its description, columns, tests and lineage"),
    ("taxonomy.html", "Governance model (taxonomy report)",
     "asset classes, classification and ownership rules, lifecycle, policies, as declared in taxonomy/*.yaml"),
    ("data-quality.html", "Data-quality report",
     "Great Expectations results of every load: pass rates per export and each expectation of the latest one"),
)


def _dbt_docs(warehouse: Path, out: Path) -> None:
    """dbt docs of the published marts. dbt opens its database read-write, which would lock the
    published file against the dashboards: it reads a copy instead."""
    from dagster_project.dbt.project import dbt_executable

    with tempfile.TemporaryDirectory(prefix="itam-docs-") as tmp:
        db = Path(tmp) / "warehouse.duckdb"
        shutil.copy2(warehouse, db)
        target = Path(tmp) / "target"
        # The file and limits go in as --vars, as the build passes them (dbt/profiles.yml).
        dbt_vars = json.dumps({"build_db": str(db), "threads": 1, "memory_limit": "1GB"})
        done = subprocess.run([dbt_executable(), "docs", "generate", "--static", "--quiet",
                               "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR),
                               "--target-path", str(target), "--vars", dbt_vars],
                              cwd=DBT_DIR, capture_output=True, text=True)
        page = target / "static_index.html"
        if done.returncode != 0 or not page.exists():
            detail = (done.stdout + done.stderr).strip().splitlines()[-1:] or ["no output"]
            raise CliError(f"dbt docs generate failed: {detail[0]}")
        shutil.copyfile(page, out / "dbt.html")


def _index(out: Path, warehouse: Path) -> None:
    items = "\n".join(f"<li><a href='{f}'>{escape(t)}</a> — {escape(d)}</li>" for f, t, d in PAGES)
    (out / "index.html").write_text(
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>ITAM warehouse documentation</title>"
        "<style>body{font-family:system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem;"
        "color:#1f2a37}li{margin:.6rem 0}a{color:#4c78a8;font-weight:600}</style></head><body>"
        f"<h1>ITAM warehouse documentation</h1><p>Warehouse <code>{escape(warehouse.name)}</code>.</p>"
        f"<ul>{items}</ul></body></html>\n", encoding="utf-8")


def write_docs(warehouse: Path, out: Path, taxonomy: Path, masker=None) -> Path:
    """The site; `masker` (commands.build.export_masker) shows the failing samples of personal
    columns in the data-quality page as an export would (masked unless --unmasked with a role)."""
    from dagster_project.governance.loading import load_taxonomy
    from dagster_project.governance.problems import TaxonomyError
    from dagster_project.governance.report import render_report
    from dagster_project.quality.datadocs import write_quality_report

    out.mkdir(parents=True, exist_ok=True)
    try:
        (out / "taxonomy.html").write_text(render_report(load_taxonomy(taxonomy), "html"), encoding="utf-8")
    except TaxonomyError as exc:
        raise CliError(f"{taxonomy} does not validate (run `itam taxonomy check`): {str(exc).splitlines()[0]}")
    write_quality_report(warehouse, out / "data-quality.html", masker=masker)
    _dbt_docs(warehouse, out)
    _index(out, warehouse)
    return out / "index.html"


def run(args) -> int:
    warehouse = args.warehouse.resolve()
    if not warehouse.is_file():
        raise CliError(f"no published warehouse at {warehouse} (run `itam build` first)")
    out = (args.out or Path(f"{warehouse}.docs")).resolve()
    index = write_docs(warehouse, out, args.taxonomy, masker=export_masker(args))
    for f, title, _ in PAGES:
        print(f"{title}: {out / f}")
    if args.no_serve:
        print(f"open {index}")
        return 0
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(out))
    with ThreadingHTTPServer((args.host, args.port), handler) as server:
        print(f"docs on http://{args.host}:{server.server_address[1]}/ (Ctrl-C stops)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
    return 0
