"""The dashboard in a real browser: serve it with ``qicsim app``, drive headless Chromium, watch it change.

Uses Debian's chromium (``/usr/bin/chromium``) through Python Playwright; no browser is downloaded.
Without chromium the test is skipped on a developer's machine but fails in CI (``CI`` set), so that
a broken CI image cannot pass silently.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SERVER_WAIT_S = 60
SCREENSHOT = Path("/tmp/qicsim-dashboard.png")


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(f"{what} is required in CI")
    pytest.skip(f"{what} is not installed")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_until_serving(url: str, proc: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + SERVER_WAIT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"qicsim app exited with {proc.returncode}:\n{log.read_text()}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.3)
    pytest.fail(f"qicsim app did not answer at {url} within {SERVER_WAIT_S} s:\n{log.read_text()}")


@pytest.fixture
def server(tmp_path):
    port = _free_port()
    log = tmp_path / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "qicsim", "app", "--port", str(port)], stdout=out,
                                stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        _wait_until_serving(url, proc, log)
        yield url, log
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


CHARTS = "img.widget-image"
"""The five charts: matplotlib PNGs in ipywidgets Image elements."""


def _chart_pictures(page) -> list[bytes]:
    """What each chart looks like on screen (its blob URL changes at every redraw, so compare pixels)."""
    charts = page.locator(CHARTS)
    return [charts.nth(i).screenshot() for i in range(charts.count())]


def _week(text: str) -> int:
    return int(text.split("Week ", 1)[1].split(" ", 1)[0])


def test_changing_a_lever_and_stepping_changes_the_charts(server):
    if not CHROMIUM.exists():
        _missing(str(CHROMIUM))
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        _missing("playwright (pip install 'qicsim[test]')")
    url, log = server
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.goto(url)
            readout = page.locator(".qicsim-readout")
            expect(readout).to_contain_text("Week 0", timeout=60_000)
            expect(readout).to_contain_text("of 30 teams")
            expect(page.locator(CHARTS)).to_have_count(5, timeout=30_000)

            # a lever: the number of teams, to its minimum; it takes effect at Reset
            teams = page.locator(".v-input__slider", has_text="Number of teams").locator("[role=slider]")
            teams.focus()
            teams.press("Home")
            page.get_by_role("button", name="Reset").click()
            expect(readout).to_contain_text("of 5 teams", timeout=20_000)
            page.wait_for_timeout(1000)
            charts_before = _chart_pictures(page)

            step = page.get_by_role("button", name="Step")
            weeks = [_week(readout.inner_text())]
            for _ in range(4):
                step.click()
                expect(readout).not_to_have_text(readout.inner_text(), timeout=20_000)
                weeks.append(_week(readout.inner_text()))
            assert weeks == sorted(weeks) and weeks[-1] >= 16, weeks
            page.wait_for_timeout(1000)
            charts_after = _chart_pictures(page)
            assert "of 5 teams" in readout.inner_text()
            assert len(charts_after) == len(charts_before) == 5
            changed = [a != b for a, b in zip(charts_before, charts_after, strict=True)]
            assert all(changed[:4]), f"charts changed after four steps: {changed}"
            page.screenshot(path=str(SCREENSHOT), full_page=True)

            # compare mode: two identical designs on the same seeds differ by nothing
            page.get_by_role("tab", name="Page 1").click()
            page.get_by_role("button", name="Run A and B").click()
            table = page.locator("table", has_text="drop-out (share of teams)")
            expect(table).to_be_visible(timeout=60_000)
            assert "(± 0.000)" in table.inner_text()
        except Exception:
            print(log.read_text())
            raise
        finally:
            browser.close()
