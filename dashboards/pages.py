"""The pages of the app, in menu order (app.py, the benchmark and the tests share this list)."""
from __future__ import annotations

from pathlib import Path

VIEWS = Path(__file__).resolve().parent / "views"

PAGES = (  # (file in views/, title, icon); the URL path is the file name ("" for the first page)
    ("overview.py", "Overview", ":material/dashboard:"),
    ("licenses.py", "Licenses & reclamation", ":material/license:"),
    ("lifecycle.py", "Hardware lifecycle & refresh", ":material/devices:"),
    ("costs.py", "TCO & cost allocation", ":material/payments:"),
    ("exceptions.py", "Reconciliation exceptions", ":material/rule:"),
    ("quality.py", "Data quality & stale records", ":material/fact_check:"),
    ("saas.py", "SaaS overlap", ":material/cloud:"),
    ("taxonomy.py", "Taxonomy", ":material/account_tree:"),
    ("software_eol.py", "Software end of life", ":material/update:"),  # issue 14.7
)


def url_path(file: str) -> str:
    return "" if file == PAGES[0][0] else Path(file).stem
