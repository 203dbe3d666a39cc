"""Run a sweep: every run of an experiment not yet stored, on any backend, in resumable chunks.

::

    experiment = experiments.load_experiment("dropout-leader-support")  # or a spec file
    report = experiments.run_sweep(experiment, "out/dropout", workers=2)     # or scheduler="tcp://..."
    runs = experiments.load_table("out/dropout")                            # one row per run

Completed runs are buffered and written as a chunk every ``chunk_size`` runs or ``flush_seconds``
seconds, whichever comes first, and when the sweep stops for any reason (including Ctrl-C); a
``kill -9`` loses at most the runs not yet written, which the next start makes again.
"""

from __future__ import annotations

import concurrent.futures.process
import functools
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import Any

from tqdm import tqdm

from qicsim.experiments.backends import Backend, make_backend
from qicsim.experiments.experiment import Experiment
from qicsim.experiments.provenance import code_version, version_label
from qicsim.experiments.storage import SweepStore, count_failed, done_run_ids
from qicsim.experiments.tasks import RunRecord, execute_batch

MAX_RUNS_PER_TASK = 16
"""Most runs sent to a worker at once (see :func:`runs_per_task`)."""
TASKS_PER_WORKER = 8
"""Fewest tasks each worker gets in a sweep, so that workers finish together (see :func:`runs_per_task`)."""


def runs_per_task(runs: int, workers: int) -> int:
    """How many runs go to a worker in one task: one in this process; more on parallel backends, where
    every task costs messages and pickling (a few milliseconds on a Dask cluster, as much as a short
    run), yet few enough that each worker still gets ``TASKS_PER_WORKER`` tasks and all finish at
    about the same time, and at most ``MAX_RUNS_PER_TASK`` so that progress shows and a stop
    cancels little."""
    if workers <= 1:
        return 1
    return max(1, min(MAX_RUNS_PER_TASK, runs // (TASKS_PER_WORKER * workers)))


def batches(tasks: Iterator[Any], size: int, total: int, workers: int) -> Iterator[list[Any]]:
    """The ``total`` runs of ``tasks`` in tasks of ``size`` runs, smaller towards the end (at most a
    ``2 x workers``-th of what is left, as in guided self-scheduling), so that no worker is left
    alone with a long last task while the others wait."""
    left = total
    while left > 0:
        take = max(1, min(size, -(-left // (2 * workers))))
        batch = list(islice(tasks, take))
        if not batch:
            return
        left -= len(batch)
        yield batch


class WorkerLost(RuntimeError):
    """A worker process died (out of memory, killed); completed runs are stored, the sweep can resume."""


@dataclass(frozen=True)
class SweepReport:
    """What a call of :func:`run_sweep` did and where the sweep stands."""

    out_dir: Path
    total: int
    done_before: int
    ran: int
    failed_now: int
    failed_total: int
    resumed: bool
    backend: str
    seconds: float

    @property
    def complete(self) -> bool:
        return self.done_before + self.ran >= self.total


def _worker_lost_errors() -> tuple[type[BaseException], ...]:
    errors: list[type[BaseException]] = [concurrent.futures.process.BrokenProcessPool]
    distributed = sys.modules.get("distributed")
    if distributed is not None:
        errors.append(distributed.KilledWorker)
    return tuple(errors)


def run_sweep(
    experiment: Experiment,
    out_dir: str | Path,
    *,
    workers: int = 1,
    scheduler: str | None = None,
    backend: Backend | None = None,
    chunk_size: int = 25,
    flush_seconds: float = 60.0,
    progress: bool | None = None,
    log: Callable[[str], Any] | None = None,
) -> SweepReport:
    """Make every run of ``experiment`` not yet stored in ``out_dir`` and store it there.

    ``workers``/``scheduler`` choose the backend (see :func:`experiments.backends.make_backend`)
    unless a ready ``backend`` is given (it is then left open). ``progress``: a tqdm bar on stderr
    (default: when stderr is a terminal). ``log`` receives one-line status messages.
    """
    say = log or (lambda _message: None)
    start = time.perf_counter()
    code = code_version()
    label = version_label(code)
    with SweepStore.open(out_dir, experiment, code) as store:
        experiment = store.experiment  # on resume: the design and keys frozen in the directory
        done = done_run_ids(store.root)
        to_run = experiment.total_runs - len(done)
        pending = (t for t in experiment.tasks() if t.run_id not in done)  # lazily: sweeps can be huge
        failed_before = count_failed(store.root)
        state = "resuming" if store.resumed else "new sweep"
        say(f"{store.root}: {state}, {len(done)} of {experiment.total_runs} runs done, {to_run} to run")
        began_with = version_label(store.manifest.get("code_version", {}))
        if store.resumed and to_run and began_with != label:
            say(f"note: the sweep began with code {began_with} and goes on with {label}; "
                "each row's code_version column says which made it")
        if not to_run:
            return SweepReport(store.root, experiment.total_runs, len(done), 0, 0, failed_before, store.resumed,
                               "none", time.perf_counter() - start)
        own_backend = backend is None
        active = make_backend(workers, scheduler) if backend is None else backend
        say(f"running on {active.name}; code {label}")
        fn = functools.partial(execute_batch, experiment.scenario, experiment.summary_keys,
                               experiment.spec.outputs.tables())
        buffer: list[RunRecord] = []
        ran = failed = 0
        last_flush = time.monotonic()
        bar = tqdm(total=experiment.total_runs, initial=len(done), unit="run", file=sys.stderr, dynamic_ncols=True,
                   disable=(not sys.stderr.isatty()) if progress is None else not progress, smoothing=0.05)
        results = active.imap_unordered(fn, batches(pending, runs_per_task(to_run, active.workers), to_run,
                                                    active.workers))
        try:
            for record in (record for batch in results for record in batch):
                buffer.append(record)
                ran += 1
                if not record.ok:
                    failed += 1
                    bar.set_postfix(failed=failed_before + failed)
                bar.update(1)
                if len(buffer) >= chunk_size or time.monotonic() - last_flush >= flush_seconds:
                    store.write_chunk(buffer, label)
                    buffer, last_flush = [], time.monotonic()
        except _worker_lost_errors() as exc:
            raise WorkerLost(f"a worker died ({type(exc).__name__}: {exc}); the {ran} runs finished so far are "
                             "stored: run the same command again to resume") from exc
        finally:
            results.close()  # cancels queued runs before the backend goes
            store.write_chunk(buffer, label)  # whatever finished, also on Ctrl-C or a lost worker
            bar.close()
            if own_backend:
                active.close()
        return SweepReport(store.root, experiment.total_runs, len(done), ran, failed, failed_before + failed,
                           store.resumed, active.name, time.perf_counter() - start)
