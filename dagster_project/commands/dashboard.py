"""itam dashboard: Streamlit on the published warehouse, bound to localhost unless told."""
from __future__ import annotations

import os
import subprocess
import sys

from dagster_project.settings import PROJECT_ROOT


def streamlit_command(args) -> list[str]:
    app = PROJECT_ROOT / "dashboards" / "app.py"
    return [sys.executable, "-m", "streamlit", "run", str(app),
            "--server.address", args.host, "--server.port", str(args.port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false"]


def run(args) -> int:
    env = dict(os.environ, ITAM_WAREHOUSE=str(args.warehouse.resolve()))
    print(f"dashboards on http://{args.host}:{args.port} reading {args.warehouse}", flush=True)
    # Streamlit reads .streamlit/config.toml (theme, toolbar) from its working directory.
    return subprocess.call(streamlit_command(args), env=env, cwd=PROJECT_ROOT)
