"""The workshop dashboard as a facilitator meets it: how long the server takes to answer and a Step takes to show.

    .venv/bin/python benchmarks/bench_app.py [--steps N] [--scenarios breakthrough national]

Serves ``python -m qicsim app`` on a free port (whatever ``qicsim`` is first on ``PYTHONPATH``, so an older
version can be measured side by side), opens it in Debian's chromium through Playwright, and reports:

- ``server_answer_s``: from starting the server process to its first HTTP 200;
- ``page_ready_s``: from starting the server to the live page showing "Week 0" in the browser;
- ``step_s_<scenario>``: median over ``--steps`` presses of Step of the time from the click to the last change
  the press makes to what it shows (the read-out's text, a chart's picture), taken as the last such DOM
  mutation before the page has been quiet for ``QUIET_MS``. Measured in the page's own clock
  (``performance.now``).

Nothing here is asserted: the browser tests check behaviour, this measures it.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
QUIET_MS = 600
"""A press of Step is taken as answered once the page has not changed for this long."""

WATCH = """() => {
  window.__qicsimLast = performance.now();
  if (!window.__qicsimObserver) {
    const shows = (node) => node && (node.nodeName === 'IMG' || (node.closest && node.closest('.qicsim-readout'))
                                     || (node.parentElement && node.parentElement.closest('.qicsim-readout')));
    window.__qicsimObserver = new MutationObserver((records) => {
      if (records.some((r) => shows(r.target) || [...r.addedNodes].some(shows))) {
        window.__qicsimLast = performance.now();
      }
    });
    window.__qicsimObserver.observe(document.body, {subtree: true, childList: true, attributes: true,
                                                    characterData: true});
  }
}"""
"""Records when the page last changed what a Step shows: a picture (an ``img``) or the read-out. Other changes
(a button's ripple, a tooltip) are not the answer to the press."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_http(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"qicsim app exited with {proc.returncode}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=2) as response:
            if response.status == 200:
                return
        time.sleep(0.05)
    raise RuntimeError(f"no answer at {url} within {timeout} s")


def week(text: str) -> int:
    return int(text.split("Week ", 1)[1].split(" ", 1)[0].rstrip(":,."))


def choose_scenario(page, name: str) -> None:
    """Pick a built-in scenario in the page's scenario list (a vuetify select whose label names a scenario)."""
    page.locator(".v-select").filter(has_text="cenario").first.click()
    page.get_by_role("option", name=name, exact=True).click()
    page.locator(".qicsim-readout").filter(has_text="Week 0").wait_for(timeout=120_000)
    page.wait_for_timeout(1500)


def time_steps(page, steps: int) -> list[float]:
    """Seconds from each click on Step to the last change it made on the page."""
    readout = page.locator(".qicsim-readout")
    button = page.get_by_role("button", name="Step", exact=False).first
    times = []
    for _ in range(steps):
        before = readout.inner_text()
        page.evaluate(WATCH)
        page.wait_for_timeout(QUIET_MS)
        clicked = page.evaluate("() => performance.now()")
        button.click()
        page.wait_for_function("t => document.querySelector('.qicsim-readout').innerText !== t", arg=before,
                               timeout=120_000)
        while True:
            now, last = page.evaluate("() => [performance.now(), window.__qicsimLast]")
            if now - last >= QUIET_MS:
                break
            page.wait_for_timeout(50)
        times.append((last - clicked) / 1000)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=7)
    parser.add_argument("--scenarios", nargs="+", default=["breakthrough", "national"])
    parser.add_argument("--label", default="", help="a name for this version in the results file")
    parser.add_argument("--out", default=None, help="CSV file to append a row to (e.g. benchmarks/results/app.csv)")
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "qicsim", "app", "--port", str(port)], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    results: dict[str, float] = {}
    try:
        wait_for_http(url, proc)
        results["server_answer_s"] = time.perf_counter() - started
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 1500, "height": 1100})
            page.goto(url)
            page.locator(".qicsim-readout").filter(has_text="Week 0").wait_for(timeout=120_000)
            results["page_ready_s"] = time.perf_counter() - started
            page.wait_for_timeout(1500)
            for name in args.scenarios:
                if name != "breakthrough":
                    choose_scenario(page, name)
                times = time_steps(page, args.steps)
                results[f"step_s_{name}"] = statistics.median(times)
                results[f"step_s_{name}_max"] = max(times)
                results[f"step_weeks_{name}"] = week(page.locator(".qicsim-readout").inner_text()) / args.steps
            browser.close()
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    for key, value in results.items():
        print(f"{key}\t{value:.3f}")
    if args.out:
        import csv
        import platform

        path = Path(args.out)
        row = {"label": args.label, "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python "
                                               f"{platform.python_version()}", "load_1min": os.getloadavg()[0],
               "steps": args.steps, **{k: round(v, 3) for k, v in results.items()}}
        new = not path.exists()
        with path.open("a", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=list(row))
            if new:
                writer.writeheader()
            writer.writerow(row)


if __name__ == "__main__":
    main()
