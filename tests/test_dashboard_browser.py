"""A real headless Chromium loads every page of the served app (`streamlit run`, 127.0.0.1, a
free port), saves a screenshot per page and fails on any Streamlit error box. It then publishes a
new warehouse file under the running server and checks that a reload shows the new as-of date.

Needs Debian's chromium (`apt-get install chromium`; `.ci/run` installs it). Elsewhere it skips,
saying so. Screenshots go to $ITAM_SCREENSHOTS when set (e.g. artifacts/screenshots, ignored by
git), else to the test's tmp dir."""
from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb
import pytest
from cdp import Chromium, find_chromium
from conftest import REPO

HOW_TO_ENABLE = ("no chromium here: install Debian's chromium package (apt-get install chromium) "
                 "or run .ci/run, which installs it, to run the browser test")
# Decided before any fixture runs, so a machine without chromium does not build a warehouse for nothing.
pytestmark = [pytest.mark.browser, pytest.mark.skipif(find_chromium() is None, reason=HOW_TO_ENABLE)]

# Streamlit marks its root with the connection and script-run state; the page is done when it is
# connected, not running, has drawn its title, and every chart has drawn its canvas.
READY = """(() => {
  const app = document.querySelector('[data-testid="stApp"]');
  if (!app || app.dataset.testConnectionState !== 'CONNECTED' || app.dataset.testScriptState !== 'notRunning') return false;
  if (!document.querySelector('h1')) return false;
  if (document.querySelector('[data-testid="stSkeleton"]')) return false;
  return [...document.querySelectorAll('[data-testid="stVegaLiteChart"]')].every(c => c.querySelector('canvas, svg'));
})()"""
ERRORS = """[...document.querySelectorAll('[data-testid="stException"], [data-testid="stAlertContentError"]')]
  .map(e => e.innerText.slice(0, 500))"""
TITLE = "document.querySelector('h1') ? document.querySelector('h1').innerText : ''"
BODY = "document.body.innerText"
METRICS = """[...document.querySelectorAll('[data-testid="stMetric"]')].map(m => m.innerText.replace(/\\s+/g, ' '))"""
# The Python repr of a missing value anywhere in the page's text (tables draw on a canvas and are
# checked by the AppTests; "(none)" is the filter value for "no owner" and is not this).
REPR_OF_MISSING = r"\b(None|nan|NaN|NaT)\b"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _settled(browser: Chromium, timeout: float = 90) -> bool:
    """READY, and the page's text unchanged for a second (late reruns, lazy tables)."""
    deadline = time.monotonic() + timeout
    last, stable_since = None, None
    while time.monotonic() < deadline:
        if browser.js(READY):
            text = browser.js("document.body.innerText.length + ':' + document.querySelectorAll('*').length")
            if text == last:
                if time.monotonic() - stable_since >= 1.0:
                    return True
            else:
                last, stable_since = text, time.monotonic()
        time.sleep(0.25)
    return False


@pytest.fixture
def chromium():
    binary = find_chromium()
    if binary is None:
        pytest.skip(HOW_TO_ENABLE)
    try:
        import websockets.sync.client  # noqa: F401  (ships with streamlit)
    except ImportError:
        pytest.skip("the websockets package (a Streamlit dependency) is missing")
    browser = Chromium(binary)
    yield browser
    browser.close()


@pytest.fixture
def served(small_warehouse, tmp_path):
    """`itam dashboard --warehouse COPY --port N` on a copy of the small warehouse (so it can be
    replaced); it must answer on 127.0.0.1 without being told the host."""
    published = tmp_path / "warehouse.duckdb"
    shutil.copy(small_warehouse.path, published)
    port = _free_port()
    log = open(tmp_path / "streamlit.log", "w")
    # its own process group: `itam dashboard` runs streamlit as a child, and both must stop
    proc = subprocess.Popen(
        [sys.executable, "-m", "dagster_project.cli", "dashboard", "--warehouse", str(published), "--port", str(port)],
        env=dict(os.environ, PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))),
        stdout=log, stderr=subprocess.STDOUT, cwd=tmp_path, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(240):
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=2)
                break
            except OSError:
                if proc.poll() is not None:
                    pytest.fail("streamlit exited:\n" + (tmp_path / "streamlit.log").read_text())
                time.sleep(0.5)
        else:
            pytest.fail("streamlit did not become healthy:\n" + (tmp_path / "streamlit.log").read_text())
        yield url, published
    finally:
        os.killpg(proc.pid, signal.SIGTERM)  # the group this fixture started, nothing else
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
        log.close()


def test_every_page_renders_in_chromium_without_error(chromium, served, tmp_path):
    from dashboards.pages import PAGES, url_path

    url, published = served
    shots = Path(os.environ.get("ITAM_SCREENSHOTS") or tmp_path / "screenshots")
    shots.mkdir(parents=True, exist_ok=True)
    problems = []
    for file, title, _ in PAGES:
        chromium.goto(f"{url}/{url_path(file)}")
        settled = _settled(chromium)
        shot = chromium.screenshot(shots / f"{Path(file).stem}.png")
        errors = chromium.js(ERRORS)
        heading = chromium.js(TITLE)
        if not settled:
            problems.append(f"{title}: did not finish rendering (see {shot})")
        if errors:
            problems.append(f"{title}: error box: {errors} (see {shot})")
        if not heading:
            problems.append(f"{title}: no page title drawn (see {shot})")
        shown = re.findall(REPR_OF_MISSING, chromium.js(BODY))
        if shown:
            problems.append(f"{title}: shows {sorted(set(shown))} (see {shot})")
        assert shot.stat().st_size > 10_000, f"{title}: screenshot looks blank"
    assert not problems, "\n".join(problems)

    # Money on the Overview's tiles carries the reporting currency, abbreviated (€112.5K).
    chromium.goto(url)
    assert _settled(chromium)
    tiles = chromium.js(METRICS)
    exposure = [t for t in tiles if t.startswith("License true-up exposure")]
    assert exposure and re.search(r"€\d+(\.\d)?[KMB]?", exposure[0]), tiles

    # A URL with filters opens the same view: the sidebar and the header show them, codes in case.
    cc = duckdb.connect(str(published), read_only=True).execute(
        "select cost_center from marts.dim_asset where as_of_date = '2026-09-30' and cost_center is not null "
        "group by 1 order by count(*) desc, 1 limit 1").fetchone()[0]
    chromium.goto(f"{url}/exceptions?cc={cc}&class=laptop")
    assert _settled(chromium)
    body = chromium.js(BODY)
    assert f"cost center: {cc}; asset class: laptop" in body, body[:500]
    assert chromium.js("document.querySelector('h1').innerText") == "Reconciliation exceptions"
    chromium.screenshot(shots / "exceptions_from_url.png")

    # An empty selection says what matched nothing instead of drawing empty charts.
    chromium.goto(f"{url}/?owner=%28none%29&class=server")
    assert _settled(chromium)
    assert "No assets match server + (none)" in chromium.js(BODY)
    assert not re.findall(REPR_OF_MISSING, chromium.js(BODY))
    chromium.screenshot(shots / "overview_empty_selection.png")

    # A build publishes a new file while the server runs: after a reload the new as-of shows.
    building = published.with_name(published.name + ".building")
    shutil.copy(published, building)
    con = duckdb.connect(str(building))
    con.execute("insert into marts.dim_asset select * replace (date '2026-12-31' as as_of_date) "
                "from marts.dim_asset where as_of_date = '2026-09-30'")
    con.close()
    os.replace(building, published)
    chromium.goto(url)
    assert _settled(chromium)
    assert not chromium.js(ERRORS)
    assert "As of 2026-12-31" in chromium.js(BODY)  # the page header names the as-of date shown
    chromium.screenshot(shots / "overview_after_publish.png")
