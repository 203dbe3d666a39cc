"""The dashboard in a real browser, as a facilitator and a room use it: serve it with ``qicsim app``, drive
headless Chromium, check what the pages say and do.

Uses Debian's chromium (``/usr/bin/chromium``) through Python Playwright; no browser is downloaded. Without
chromium the tests are skipped on a developer's machine but fail in CI (``CI`` set), so that a broken CI image
cannot pass silently. Nothing here times anything (benchmarks/bench_app.py does); screenshots of every page are
left in the temp folder (``qicsim-page-*.png``) for a person to look at.
"""

from __future__ import annotations

import contextlib
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SERVER_WAIT_S = 60
SHOTS = Path(tempfile.gettempdir())
PAGES = ["Run a collaborative", "Compare two designs", "Budget game: your group", "Budget game: facilitator"]


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


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    folder = tmp_path_factory.mktemp("app")
    log = folder / "server.log"
    port = _free_port()
    with log.open("w") as out:
        proc = subprocess.Popen([sys.executable, "-m", "qicsim", "app", "--port", str(port), "--game",
                                 str(folder / "game.json")], stdout=out, stderr=subprocess.STDOUT, cwd=folder)
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


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        _missing(str(CHROMIUM))
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("playwright (pip install 'qicsim[test]')")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, server):
    context = browser.new_context(viewport={"width": 1500, "height": 1100})
    yield context.new_page()
    context.close()


def _week(text: str) -> int:
    return int(text.split("Week ", 1)[1].split(" ", 1)[0])


def _slider(page, label: str):
    """The slider under the label that starts with ``label`` (the label shows its value)."""
    return page.locator(".qicsim-lever", has=page.locator(".qicsim-lever-label", has_text=label)).locator(
        "[role=slider]")


CHARTS = "img.qicsim-chart"


def test_live_page_is_named_steps_four_weeks_and_shows_values(page, server):
    from playwright.sync_api import expect

    url, log = server
    page.goto(url)
    readout = page.locator(".qicsim-readout")
    expect(readout).to_contain_text("Week 0", timeout=60_000)
    expect(page).to_have_title("qicsim workshop · Run a collaborative")
    for name in PAGES:
        expect(page.get_by_role("tab", name=name)).to_be_visible()
    assert page.evaluate("() => [...document.querySelectorAll('style')].some(s => s.textContent.includes("
                         "'.qicsim-lever'))"), "the page's own style sheet reached the browser"
    for retired in ("Page 0", "Page 1", "Play Interval", "Render Interval", "Use Threads"):
        expect(page.get_by_text(retired)).to_have_count(0)
    # each lever shows its value and its explanation
    expect(page.locator(".qicsim-lever-label", has_text="Lecture share of sessions: 0.5")).to_be_visible()
    expect(page.get_by_text("Share of learning-session time spent on lectures")).to_be_visible()
    expect(page.locator(CHARTS)).to_have_count(5, timeout=30_000)
    before = [page.locator(CHARTS).nth(i).screenshot() for i in range(5)]

    step = page.get_by_role("button", name="Step 4 weeks")
    weeks = []
    for _ in range(4):
        text = readout.inner_text()
        step.click()
        expect(readout).not_to_have_text(text, timeout=20_000)
        weeks.append(_week(readout.inner_text()))
    assert weeks == [4, 8, 12, 16], "a Step runs exactly the four weeks its button names"
    page.wait_for_timeout(500)
    after = [page.locator(CHARTS).nth(i).screenshot() for i in range(5)]
    assert all(a != b for a, b in zip(before, after, strict=True)), "every chart changed over four Steps"
    page.screenshot(path=str(SHOTS / "qicsim-page-run.png"), full_page=True)


def test_reset_right_after_keyboard_input_uses_the_values_on_screen(page, server):
    from playwright.sync_api import expect

    url, log = server
    page.goto(url)
    readout = page.locator(".qicsim-readout")
    expect(readout).to_contain_text("of 30 teams", timeout=60_000)
    reset = page.get_by_role("button", name="Reset")
    teams = _slider(page, "Number of teams")
    for keys, expected in ((["Home"], 5), (["ArrowRight"] * 3, 8), (["End"], 100), (["Home", "ArrowRight"], 6)):
        teams.focus()
        for key in keys:
            teams.press(key)
        reset.click()  # at once: no wait for the page to catch up
        expect(readout).to_contain_text(f"of {expected} teams", timeout=20_000)
        expect(page.locator(".qicsim-lever-label", has_text=f"Number of teams: {expected}")).to_be_visible()
        assert _week(readout.inner_text()) == 0
    # a lever, by keyboard, then Reset at once: the run uses it
    lecture = _slider(page, "Challenge 5 · Lecture share of sessions")
    lecture.focus()
    lecture.press("End")
    reset.click()
    expect(page.get_by_text("Lecture share of sessions: 1;")).to_be_visible(timeout=20_000)


def test_compare_page_runs_two_designs_on_the_same_seeds(page, server):
    from playwright.sync_api import expect

    url, log = server
    page.goto(url)
    page.get_by_role("tab", name="Compare two designs").click()
    expect(page).to_have_title("qicsim workshop · Compare two designs", timeout=30_000)
    page.get_by_role("button", name="Run A and B").click()
    table = page.locator("table", has_text="Drop-out rate")
    expect(table).to_be_visible(timeout=60_000)
    assert "(± 0.000)" in table.inner_text(), "two identical designs on the same seeds differ by nothing"
    page.screenshot(path=str(SHOTS / "qicsim-page-compare.png"), full_page=True)


def _join(browser, url: str, group: str):
    from playwright.sync_api import expect

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.goto(url)
    page.get_by_role("tab", name="Budget game: your group").click()
    page.get_by_label("Your group's name").fill(group)
    page.get_by_role("button", name="Join the game").click()
    expect(page.get_by_text(f"Group {group}", exact=True)).to_be_visible(timeout=30_000)
    assert page.url.endswith(f"/game?group={group}")
    return context, page


def test_two_groups_play_and_the_facilitator_sees_both(browser, server):
    from playwright.sync_api import expect

    url, log = server
    red_context, red = _join(browser, url, "Red")
    blue_context, blue = _join(browser, url, "Blue")
    try:
        # Blue plans to sustain (Challenge 9), by keyboard; Red keeps the scenario's design
        planning = _slider(blue, "Challenge 9 · Planning to sustain")
        planning.focus()
        planning.press("End")
        expect(blue.locator(".qicsim-lever-label", has_text="Planning to sustain: 1")).to_be_visible()
        expect(blue.get_by_text("within budget")).to_be_visible(timeout=30_000)
        for page in (red, blue):
            page.get_by_role("button", name="Commit our design").click()
            expect(page.locator(".qicsim-group-status")).to_contain_text("Committed", timeout=60_000)
        # a reload loses nothing: the group, its design and its commit are still there
        blue.reload()
        expect(blue.get_by_text("Group Blue", exact=True)).to_be_visible(timeout=30_000)
        expect(blue.locator(".qicsim-lever-label", has_text="Planning to sustain: 1")).to_be_visible()
        expect(blue.locator(".qicsim-group-status")).to_contain_text("Committed")
        blue.screenshot(path=str(SHOTS / "qicsim-page-game.png"), full_page=True)

        facilitator = red_context.new_page()
        facilitator.goto(url + "facilitator")
        expect(facilitator).to_have_title("qicsim workshop · Budget game: facilitator", timeout=30_000)
        standings = facilitator.locator(".qicsim-standings table")
        expect(standings).to_contain_text("Blue", timeout=30_000)
        expect(standings).to_contain_text("Red")
        rows = standings.locator("tbody tr")
        assert rows.count() == 2
        assert re.search(r"sustained improvement", standings.inner_text())
        facilitator.get_by_role("button", name="Debrief: why the groups differ").click()
        debrief = facilitator.locator(".qicsim-debrief")
        expect(debrief).to_contain_text("Challenge 9: Learning and planning for sustaining improvements",
                                        timeout=60_000)
        expect(debrief).to_contain_text("Red vs Blue")
        facilitator.screenshot(path=str(SHOTS / "qicsim-page-facilitator.png"), full_page=True)
    finally:
        red_context.close()
        blue_context.close()


def test_the_server_console_stays_quiet(server, browser):
    """After the pages above (module-scoped server), the console holds the address line and nothing else."""
    url, log = server
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert lines and lines[0].startswith("qicsim dashboard: http://127.0.0.1:"), lines[:3]
    assert lines[1:] == [], "\n".join(lines[1:20])
