"""Where runs execute: in this process, in local worker processes, or on a Dask cluster.

Every backend does one thing, ``imap_unordered(fn, tasks)``: call ``fn(task)`` for each task and
yield the results as they finish. Results do not depend on the backend, because each run carries
its own seed. Backends keep only a few tasks in flight per worker, so a sweep of a million runs does
not queue a million futures, and a stopped sweep cancels little work.

- :class:`SerialBackend`: one worker, in this process (no start-up cost; tracebacks stay simple).
- :class:`ProcessBackend`: ``concurrent.futures.ProcessPoolExecutor`` with the ``spawn`` start
  method (safe with threads, the same on Linux, macOS and Windows).
- :class:`DaskBackend`: ``dask.distributed``; ``Client(address)`` for a running scheduler, or a
  ``LocalCluster`` of worker processes when asked for one locally. Workers must have qicsim
  installed (the same version) to import the run function.
"""

from __future__ import annotations

import concurrent.futures as cf
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Generator, Iterable
from itertools import islice
from typing import Any, Self

from qicsim.experiments.spec import ExperimentError

IN_FLIGHT_PER_WORKER = 2
"""Tasks queued per worker: enough to keep it busy, few enough to cancel quickly."""
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "5s",
    "distributed.worker.memory.monitor-interval": "1s",
}
"""Dask settings for a local cluster, whose scheduler, nannies and workers share this machine's cores
with the runs. Dask's defaults suit a cluster with a dashboard; measured on 2 cores, an idle 2-worker
cluster used 1.1 s of CPU every 10 s with them (5% of the machine) and 0.18 s with these:

- no statistical profiler: it samples every worker thread's stack every 10 ms for the dashboard,
  which a local cluster here does not serve (it cost 10-15% of a 2-worker sweep's throughput);
- the event loops' tick, which only measures how long a loop was blocked, every second, not every
  20 ms; the system monitor (CPU and memory for the dashboard) every 5 s, not every 0.5 s;
- memory limits checked every second, not every 0.1 s (runs use a few MB each).

For a cluster of your own, set the same in its configuration (e.g.
``DASK_DISTRIBUTED__WORKER__PROFILE__ENABLED=False``, ``DASK_DISTRIBUTED__ADMIN__TICK__INTERVAL=1s``)."""


class Backend:
    """Runs tasks somewhere and yields their results in completion order."""

    name = "backend"
    workers = 1

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Generator[Any, None, None]:
        raise NotImplementedError

    def close(self) -> None:
        """Release workers and connections."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class SerialBackend(Backend):
    """One run after another in this process."""

    name = "this process"

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Generator[Any, None, None]:
        for task in tasks:
            yield fn(task)


PARENT_CHECK_SECONDS = 1.0
"""How often a local worker checks that the process that started it is still there."""


def _start_worker(parent: int) -> None:
    """Workers leave Ctrl-C to the main process, which stores the finished runs and stops the pool; and a
    worker whose main process died (``kill -9``: no chance to stop the pool) exits within a second or two
    instead of living on as an orphan."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_SECONDS)
        os._exit(1)

    threading.Thread(target=watch, name="qicsim-parent-watch", daemon=True).start()


class ProcessBackend(Backend):
    """``workers`` local processes (``ProcessPoolExecutor``, spawn start method)."""

    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.name = f"{workers} local processes"
        self._pool = cf.ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"),
                                            initializer=_start_worker, initargs=(os.getpid(),))

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Generator[Any, None, None]:
        todo = iter(tasks)
        pending = {self._pool.submit(fn, t) for t in islice(todo, self.workers * IN_FLIGHT_PER_WORKER)}
        try:
            while pending:
                finished, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
                for future in finished:
                    pending.update(self._pool.submit(fn, t) for t in islice(todo, 1))
                    yield future.result()
        finally:
            for future in pending:
                future.cancel()

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


class DaskBackend(Backend):
    """A Dask ``Client``: to the scheduler at ``address``, or to a new ``LocalCluster`` when
    ``address`` is ``"local"`` (``workers`` single-threaded worker processes on 127.0.0.1, set up as
    :data:`LOCAL_CLUSTER_CONFIG` says)."""

    def __init__(self, address: str, workers: int = 1) -> None:
        import dask
        from distributed import Client, LocalCluster  # imported only when asked: dask is heavy

        self._cluster = None
        try:
            if address == "local":
                with dask.config.set(LOCAL_CLUSTER_CONFIG):  # the nannies hand these to their workers
                    self._cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                                 host="127.0.0.1", dashboard_address=None,
                                                 silence_logs=logging.ERROR)  # no shutdown chatter
                self._client = Client(self._cluster)
            else:
                self._client = Client(address)  # timeout: dask's distributed.comm.timeouts.connect
        except (OSError, TimeoutError, ValueError) as exc:
            self._close_cluster()
            raise ExperimentError(f"--scheduler {address!r}: cannot connect to a Dask scheduler ({exc})") from None
        self.workers = max(1, sum(self._client.nthreads().values()))
        where = "a local Dask cluster" if self._cluster is not None else f"Dask scheduler {address}"
        self.name = f"{where} ({self.workers} worker threads)"

    def imap_unordered(self, fn: Callable[[Any], Any], tasks: Iterable[Any]) -> Generator[Any, None, None]:
        from distributed import as_completed

        todo = iter(tasks)
        first = [self._client.submit(fn, t, pure=False) for t in islice(todo, self.workers * IN_FLIGHT_PER_WORKER)]
        running = as_completed(first)
        try:
            for future in running:
                result = future.result()
                future.release()
                for t in islice(todo, 1):
                    running.add(self._client.submit(fn, t, pure=False))
                yield result
        finally:
            leftover = list(running.futures)
            if leftover:
                self._client.cancel(leftover)

    @property
    def client(self) -> Any:
        """The ``distributed.Client`` (for libraries that submit their own work, e.g. pyabc's sampler)."""
        return self._client

    def close(self) -> None:
        self._client.close()
        self._close_cluster()

    def _close_cluster(self) -> None:
        if self._cluster is not None:
            self._cluster.close()
            self._cluster = None


def make_backend(workers: int = 1, scheduler: str | None = None) -> Backend:
    """The backend for ``--workers N`` and ``--scheduler ADDRESS`` (``local``: a LocalCluster)."""
    if scheduler:
        return DaskBackend(scheduler, workers)
    return SerialBackend() if workers == 1 else ProcessBackend(workers)
