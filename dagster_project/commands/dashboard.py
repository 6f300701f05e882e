"""itam dashboard: Streamlit on the published warehouse, bound to localhost unless told."""
from __future__ import annotations

import os
import subprocess
import sys

from dagster_project.settings import PROJECT_ROOT


def run(args) -> int:
    env = dict(os.environ, ITAM_WAREHOUSE=str(args.warehouse.resolve()))
    app = PROJECT_ROOT / "dashboards" / "app.py"
    print(f"dashboards on http://{args.host}:{args.port} reading {args.warehouse}")
    cmd = [sys.executable, "-m", "streamlit", "run", str(app),
           "--server.address", args.host, "--server.port", str(args.port),
           "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    return subprocess.call(cmd, env=env)
