"""Where numba keeps the model's compiled kernels: a directory named by a hash of the model's source; and the
first run of a version, which compiles them on every core instead of one.

numba checks a cached kernel against its own file only, but kernels inline helpers from other files
(:func:`sim.module.around_average`, :func:`sim.draws.poisson`, ...): a kernel cached before such a
helper changed would be loaded and run with the old helper. Keying the whole cache to every source
file of :mod:`sim` (and the numba version) makes any change compile afresh. Record layouts are part of a
kernel's type, so a changed population never reuses a kernel compiled for another (every built-in scenario
has the same layouts: one compile per kernel). Imported by every module that compiles a kernel
(``sim/module.py``, ``model``, ``ideas``, ``team_table``) before its first ``@njit(cache=True)``.

Where: ``QICSIM_CACHE_DIR`` (or numba's own ``NUMBA_CACHE_DIR``) if set -- a cluster's shared disk, or a cache
compiled in advance beside a read-only installation (loading needs no write access) --, else
``sim/__pycache__/numba`` if this process can write there, else the user's cache (``~/.cache/qicsim/numba``),
else the temporary directory.

The first run of a version (:func:`warm_up`): compiling the ~25 kernels is ~9 s of one core, almost all of it
numba's own Python (type inference and lowering: threads do not help, the GIL holds). :func:`warm_up` shares it
between processes -- this one and ``helpers`` started for it, or the workers of a sweep, all pointed at the same
cache -- through one file lock per kernel: each process runs a small model once, compiling each kernel whose lock
it gets and running the others as plain Python (that run's results are thrown away); afterwards a kernel another
process is compiling is waited for and loaded, never compiled twice. Real runs always use compiled kernels.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import math
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numba

try:
    import fcntl
except ImportError:  # Windows: no sharing; each process compiles what it lacks, as numba does
    fcntl = None

HERE = Path(__file__).resolve().parent
COMPLETE = "complete"
"""The file :func:`warm_up` leaves in the cache directory once every kernel of this version is there."""
WARM_UP_RUN = {"scenario": "breakthrough", "seed": 1, "teams": 4, "follow_up_months": 1}
"""The small model :func:`warm_up` runs: it calls every kernel once (0.4 s as plain Python)."""


def source_key() -> str:
    """A short hash of every source file of the model and of numba's version."""
    digest = hashlib.sha256(numba.__version__.encode())
    for path in sorted(HERE.rglob("*.py")):
        digest.update(str(path.relative_to(HERE)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _writable(directory: Path) -> bool:
    """Whether this process can create ``directory`` and write a file in it (as numba will)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=directory).close()
    except OSError:
        return False
    return True


def cache_root() -> Path:
    """``QICSIM_CACHE_DIR`` or ``NUMBA_CACHE_DIR`` if set (used as given, even read-only: a cache compiled in
    advance loads without writing), else the first writable of ``sim/__pycache__/numba``, the user's cache
    (``~/.cache/qicsim/numba``) and ``<tmp>/qicsim-<user>/numba``."""
    for variable in ("QICSIM_CACHE_DIR", "NUMBA_CACHE_DIR"):
        if os.environ.get(variable):
            return Path(os.environ[variable])
    user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    candidates = [HERE / "__pycache__" / "numba", Path.home() / ".cache" / "qicsim" / "numba",
                  Path(tempfile.gettempdir()) / f"qicsim-{user}" / "numba"]
    return next((c for c in candidates if _writable(c)), candidates[-1])


numba.config.CACHE_DIR = str(cache_root() / source_key())


def compiled() -> bool:
    """Whether any kernel of this version has been compiled and cached (numba's index files are there); if
    not, the first run compiles them: about 9 s of one core on a 2-core AMD EPYC, shared between cores by
    :func:`warm_up`."""
    return any(Path(numba.config.CACHE_DIR).rglob("*.nbi"))


def complete() -> bool:
    """Whether every kernel of this version is in the cache (a :func:`warm_up` finished here)."""
    return (Path(numba.config.CACHE_DIR) / COMPLETE).exists()


# -- sharing the compilation between processes ---------------------------------------------------------------

_mode = "wait"
"""What a hooked kernel does when it is not compiled in this process yet: ``"wait"`` for its lock (another
process may be compiling it), then load it from the cache or compile it; ``"share"`` (during a warm-up
run only) compile it if its lock is free, else run it as plain Python."""


_sharing = False


def kernels() -> list[Any]:
    """Every cached numba kernel of the model's modules imported so far."""
    from numba.core.registry import CPUDispatcher

    found: dict[int, Any] = {}
    for name, module in list(sys.modules.items()):
        if module is None or not name.startswith(("qicsim.sim.", "sim.")):
            continue
        for value in vars(module).values():
            if isinstance(value, CPUDispatcher) and value.py_func.__module__ == name and value._cache is not None \
                    and type(value._cache).__name__ != "NullCache":
                found[id(value)] = value
    return list(found.values())


@contextlib.contextmanager
def _kernel_lock(kernel: Any, wait: bool) -> Iterator[bool]:
    """This kernel's file lock in the cache directory: yields whether this process holds it (without
    ``wait``, False when another process does). Without locks (no fcntl, a cache directory that cannot
    take them) it yields True: compile as numba would."""
    if fcntl is None:
        yield True
        return
    path = Path(numba.config.CACHE_DIR) / "locks" / f"{kernel.py_func.__module__}.{kernel.py_func.__qualname__}"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a")  # noqa: SIM115 (closed below; closing releases the lock)
    except OSError:
        yield True
        return
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        except OSError:  # a file system without locks
            yield True
            return
        yield True
    finally:
        handle.close()


def _hook(kernel: Any) -> None:
    """Route ``kernel``'s compilations (numba calls ``_compile_for_args`` when no compiled version fits the
    arguments and calls what it returns) through its lock."""
    if "_compile_for_args" in vars(kernel):
        return
    original: Callable[..., Any] = kernel._compile_for_args

    def compile_for_args(*args: Any, **kws: Any) -> Any:
        with _kernel_lock(kernel, wait=_mode != "share") as mine:
            return original(*args, **kws) if mine else functools.partial(_as_python, kernel.py_func)

    kernel._compile_for_args = compile_for_args


def _as_python(function: Callable[..., Any], *args: Any, **kws: Any) -> Any:
    """``function`` (a kernel's Python) called as with ``NUMBA_DISABLE_JIT``: records read by attribute."""
    import numpy as np

    def plain(value: Any) -> Any:
        return value.view(np.recarray) if isinstance(value, np.ndarray) and value.dtype.names else value

    return function(*map(plain, args), **{k: plain(v) for k, v in kws.items()})


def _warm_up_run() -> None:
    from qicsim.sim.simulation import run

    settings = dict(WARM_UP_RUN)
    run(settings.pop("scenario"), seed=settings.pop("seed"), **settings)


def share_compilation() -> None:
    """From now on, this process waits for a kernel another process is compiling and loads it, instead of
    compiling it too (imports every kernel's module)."""
    global _sharing
    if _sharing or numba.config.DISABLE_JIT:
        return
    import qicsim.sim.model  # noqa: F401  (imports every mechanism, and so every kernel)

    for kernel in kernels():
        _hook(kernel)
    _sharing = True


def warm_up(helpers: int = 0) -> bool:
    """Make sure every kernel of this version is compiled and loaded in this process, compiling the missing
    ones together with ``helpers`` extra processes and with any other process warming up on the same cache
    (the workers of a sweep). Returns whether there was anything to do (False when the cache was complete
    or numba's compiler is off)."""
    global _mode
    if numba.config.DISABLE_JIT or complete():
        return False
    started = [_start_helper() for _ in range(helpers)]
    share_compilation()
    _mode = "share"
    try:
        _warm_up_run()  # compiles the kernels whose locks it gets; the rest run as Python
    finally:
        _mode = "wait"
    _warm_up_run()  # waits for and loads the kernels the others compiled
    with contextlib.suppress(OSError):
        (Path(numba.config.CACHE_DIR) / COMPLETE).touch()
    for process in started:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=30)
    return True


def _start_helper() -> subprocess.Popen[bytes]:
    """A process that compiles a share of the kernels (:func:`helper`) into this cache."""
    env = {**os.environ, "QICSIM_CACHE_DIR": str(Path(numba.config.CACHE_DIR).parent)}
    env.pop("NUMBA_CACHE_DIR", None)
    code = "from qicsim.sim import _cache; _cache.helper()"
    return subprocess.Popen([sys.executable, "-c", code], env=env, stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def helper() -> None:
    """A helper process's work: one warm-up run that compiles the kernels no other process has taken."""
    global _mode
    share_compilation()
    _mode = "share"
    _warm_up_run()


def spare_cores(most: int = 3) -> int:
    """Helpers worth starting for :func:`warm_up`: the cores this process may use beyond its own that other
    processes leave idle (the 1-minute load average; at most ``most``). On a busy machine a helper only adds
    its own start-up (about a second of a core) to the work."""
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    busy = math.ceil(os.getloadavg()[0] - 0.5) if hasattr(os, "getloadavg") else 0
    return max(0, min(most, usable - 1 - max(0, busy)))
