"""Start-up: how long a person waits before a command answers, and the first run of a new version.

    .venv/bin/python benchmarks/bench_startup.py [--repeats N] [--first-runs N]

Each figure is the median wall time of a fresh process (``python -c ...`` or the ``qicsim`` script), run
``--repeats`` times in turn with a bare ``python -c pass`` as the baseline. ``first_run_s`` is ``qicsim run``
with an empty compiled-kernel cache (``QICSIM_CACHE_DIR`` pointed at a new folder): what the first run of a new
version of the model costs; ``warm_run_s`` the same command once the cache is filled.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

QICSIM = str(Path(sys.executable).with_name("qicsim"))
QICSIM_RUN = [sys.executable, "-P", "-m", "qicsim", "run", "--posterior", "none"]
"""``qicsim run`` of breakthrough, one replicate, by whichever ``qicsim`` the path gives (``-P``: not the working
directory's)."""

COMMANDS: dict[str, list[str]] = {
    "python_baseline_s": [sys.executable, "-c", "pass"],
    "import_qicsim_s": [sys.executable, "-c", "import qicsim"],
    "help_s": [QICSIM, "--help"],
    "scenarios_s": [QICSIM, "scenarios"],
    "show_s": [QICSIM, "show"],
    "import_model_s": [sys.executable, "-c", "import qicsim; qicsim.CollaborativeModel"],
}


def wall(command: list[str], env: dict[str, str] | None = None) -> float:
    """Seconds from start to exit of one process (its output discarded)."""
    start = time.perf_counter()
    subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, env=env)
    return time.perf_counter() - start


def start_up(repeats: int) -> dict[str, float]:
    """Median wall time of each command in :data:`COMMANDS`, the commands taken in turn ``repeats`` times."""
    for command in COMMANDS.values():  # warm the disk cache
        wall(command)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for _ in range(repeats):
        for name, command in COMMANDS.items():
            times[name].append(wall(command))
    return {name: statistics.median(values) for name, values in times.items()}


def cache_env(cache: str | Path, base: dict[str, str] | None = None) -> dict[str, str]:
    """``base`` (default: this process's environment) with the compiled-kernel cache at ``cache`` (numba's own
    ``NUMBA_CACHE_DIR`` dropped, so that ``QICSIM_CACHE_DIR`` decides)."""
    env = {**(os.environ if base is None else base), "QICSIM_CACHE_DIR": str(cache)}
    env.pop("NUMBA_CACHE_DIR", None)
    return env


def qicsim_run_seconds(cache: str | Path, base: dict[str, str] | None = None) -> float:
    """Seconds of ``qicsim run --posterior none`` (breakthrough, one replicate) in a fresh process whose compiled
    kernels are kept in ``cache`` (run as ``python -P -m qicsim``, so that a version first on ``PYTHONPATH`` is the
    one measured: without ``-P`` the working directory comes first, and from the repository's root that is this
    checkout's ``qicsim``). ``base``: the environment to run in (default: this process's)."""
    return wall(QICSIM_RUN, cache_env(cache, base))


def first_run(repeats: int) -> dict[str, float]:
    """``qicsim run`` with an empty compiled cache, and again with it filled."""
    cold, warm = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as cache:
            cold.append(qicsim_run_seconds(cache))
            warm.append(qicsim_run_seconds(cache))
    return {"first_run_s": statistics.median(cold), "warm_run_s": statistics.median(warm)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--first-runs", type=int, default=1)
    args = parser.parse_args()
    load = os.getloadavg()[0]
    results = {**start_up(args.repeats), **first_run(args.first_runs)}
    print(f"medians of {args.repeats} (start-up) and {args.first_runs} (first run); "
          f"1-min load average {load:.2f} before, {os.getloadavg()[0]:.2f} after")
    for name, seconds in results.items():
        print(f"{name:20s} {seconds:7.2f} s")


if __name__ == "__main__":
    main()
