"""itam dashboard: Streamlit on the published warehouse, bound to localhost unless told.

Issue 17.6: an address other than loopback serves the estate's personal data to a network, so it
needs a login: Streamlit's built-in OIDC login, configured by an [auth] section in
.streamlit/secrets.toml (docs/dashboards.md). Without one the command refuses to start, unless
--insecure is given (then it warns, and every viewer sees personal data masked)."""
from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
import tomllib
from pathlib import Path

from dagster_project.cli import CliError
from dagster_project.settings import PROJECT_ROOT

# What Streamlit needs in [auth] (its st.login documentation): redirect_uri and cookie_secret,
# and a provider: client_id, client_secret, server_metadata_url either in [auth] itself or in a
# named sub-section [auth.<provider>].
AUTH_SHARED = ("redirect_uri", "cookie_secret")
AUTH_PROVIDER = ("client_id", "client_secret", "server_metadata_url")


def is_loopback(host: str) -> bool:
    if host.strip().lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name: it may resolve to anything


def secrets_files(cwd: Path = PROJECT_ROOT) -> list[Path]:
    """Where Streamlit looks for secrets.toml (the app runs with the project as working folder)."""
    return [Path.home() / ".streamlit" / "secrets.toml", cwd / ".streamlit" / "secrets.toml"]


def auth_problem(files: list[Path]) -> str | None:
    """None when a complete [auth] section is configured; else what is missing, in one line."""
    found = [f for f in files if f.is_file()]
    if not found:
        return f"no secrets file ({' or '.join(str(f) for f in files)}) holds an [auth] section"
    auth: dict = {}
    for f in found:  # Streamlit merges them, the later file winning
        try:
            data = tomllib.loads(f.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            return f"{f} cannot be read ({exc})"
        if isinstance(data.get("auth"), dict):
            auth.update(data["auth"])
    if not auth:
        return f"{' and '.join(str(f) for f in found)} ha{'s' if len(found) == 1 else 've'} no [auth] section"
    missing = [k for k in AUTH_SHARED if not auth.get(k)]
    providers = [auth] + [v for v in auth.values() if isinstance(v, dict)]
    if not any(all(p.get(k) for k in AUTH_PROVIDER) for p in providers):
        missing.append("a provider (" + ", ".join(AUTH_PROVIDER) + ") in [auth] or [auth.<name>]")
    if missing:
        return "[auth] lacks " + ", ".join(missing)
    return None


def streamlit_command(args) -> list[str]:
    app = PROJECT_ROOT / "dashboards" / "app.py"
    return [sys.executable, "-m", "streamlit", "run", str(app),
            "--server.address", args.host, "--server.port", str(args.port),
            "--server.headless", "true", "--browser.gatherUsageStats", "false"]


def check_exposure(args) -> str | None:
    """Refuse (CliError) a non-loopback address without a login unless --insecure; returns the
    warning to print when serving insecurely."""
    if is_loopback(args.host):
        return None
    problem = auth_problem(secrets_files())
    if problem is None:
        return None
    if not getattr(args, "insecure", False):
        raise CliError(f"refusing to serve {args.host}: anyone who reaches it would see the dashboards without "
                       f"logging in, and {problem}; configure the OIDC login (docs/dashboards.md, "
                       "\"Serving beyond this machine\"), bind 127.0.0.1, or pass --insecure", code=2)
    return (f"WARNING: --insecure: serving {args.host}:{args.port} WITHOUT A LOGIN ({problem}). Anyone who can "
            "reach this address sees the dashboards; personal data stays masked for everyone.")


def run(args) -> int:
    warning = check_exposure(args)
    if warning:
        bar = "!" * min(len(warning), 100)
        print(f"{bar}\n{warning}\n{bar}", file=sys.stderr, flush=True)
    env = dict(os.environ, ITAM_WAREHOUSE=str(args.warehouse.resolve()))
    if getattr(args, "taxonomy", None):
        env["ITAM_TAXONOMY"] = str(Path(args.taxonomy).resolve())
    print(f"dashboards on http://{args.host}:{args.port} reading {args.warehouse}", flush=True)
    # Streamlit reads .streamlit/config.toml (theme, toolbar) and secrets.toml from its working directory.
    return subprocess.call(streamlit_command(args), env=env, cwd=PROJECT_ROOT)
