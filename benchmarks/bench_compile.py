"""What the first run of a version compiles: numba's compile time kernel by kernel.

    .venv/bin/python benchmarks/bench_compile.py [SCENARIO] [--csv FILE]

One fresh process with an empty compiled-kernel cache (``QICSIM_CACHE_DIR`` in a new temporary folder: exactly a
new version's first run) imports qicsim and runs the scenario (default breakthrough) once, recording numba's own
compile events (``numba.core.event``, "numba:compile"): the seconds each function took to compile, with the
functions it compiled on the way counted in its own time too (a kernel's helpers are compiled when the kernel is,
and then reused by other kernels), so the column adds to more than the total. Printed: the import, the first run
(compiling included), a second run (compiled), and each kernel's compile seconds, longest first; written to
benchmarks/results/compile.csv.
Outside the test run on purpose: speed is measured here, never asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import bench_startup

RESULTS = Path(__file__).resolve().parent / "results" / "compile.csv"


def one(scenario: str, csv: Path) -> None:
    """Measure in this process (its cache must be empty); write the functions' compile seconds to ``csv``."""
    from numba.core import event

    compiling: dict[int, list[float]] = {}
    seconds: dict[str, float] = {}

    class Listener(event.Listener):
        def on_start(self, ev: event.Event) -> None:
            compiling.setdefault(id(ev.data["dispatcher"]), []).append(time.perf_counter())

        def on_end(self, ev: event.Event) -> None:
            dispatcher = ev.data["dispatcher"]
            name = f"{dispatcher.py_func.__module__}.{dispatcher.py_func.__qualname__}"
            seconds[name] = seconds.get(name, 0.0) + time.perf_counter() - compiling[id(dispatcher)].pop()

    event.register("numba:compile", Listener())
    start = time.perf_counter()
    from qicsim import sim

    imported = time.perf_counter()
    sim.run(scenario, seed=0)
    first = time.perf_counter()
    sim.run(scenario, seed=1)
    second = time.perf_counter()
    ordered = sorted(seconds.items(), key=lambda kv: -kv[1])
    print(f"import {imported - start:.2f} s, first run {first - imported:.2f} s (compiling), "
          f"second run {second - first:.3f} s; {len(seconds)} functions compiled")
    for name, spent in ordered:
        print(f"{spent:7.2f}  {name.removeprefix('qicsim.')}")
    csv.parent.mkdir(parents=True, exist_ok=True)
    with open(csv, "w", encoding="utf-8") as out:
        out.write("function,compile_s,scenario,first_run_s,second_run_s,load\n")
        for name, spent in ordered:
            out.write(f"{name.removeprefix('qicsim.')},{spent:.3f},{scenario},{first - imported:.2f},"
                      f"{second - first:.3f},{os.getloadavg()[0]:.2f}\n")
    print(f"wrote {csv}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenario", nargs="?", default="breakthrough")
    parser.add_argument("--csv", type=Path, default=RESULTS)
    parser.add_argument("--here", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.here:
        one(args.scenario, args.csv)
        return
    with tempfile.TemporaryDirectory() as cache:
        env = bench_startup.cache_env(cache)
        print(f"empty cache {cache}; 1-min load average {os.getloadavg()[0]:.2f}", flush=True)
        subprocess.run([sys.executable, __file__, args.scenario, "--here", "--csv", str(args.csv.resolve())], env=env,
                       check=True)


if __name__ == "__main__":
    main()
