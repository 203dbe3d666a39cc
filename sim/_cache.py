"""Where numba keeps the model's compiled kernels: a directory named by a hash of the model's source.

numba checks a cached kernel against its own file only, but kernels inline helpers from other files
(:func:`sim.module.around_average`, :func:`sim.draws.poisson`, ...): a kernel cached before such a
helper changed would be loaded and run with the old helper. Keying the whole cache to every source
file of :mod:`sim` (and the numba version) makes any change compile afresh (about 10 s for all
kernels). Record layouts are part of a kernel's type, so a changed population never reuses a
kernel compiled for another. Imported by every module that compiles a kernel (``sim/module.py``, ``model``, ``ideas``,
``team_table``) before its first ``@njit(cache=True)``.

``QICSIM_CACHE_DIR`` (or numba's own ``NUMBA_CACHE_DIR``) puts the cache elsewhere, e.g. on a
cluster's shared disk or beside a read-only installation.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

import numba

HERE = Path(__file__).resolve().parent


def source_key() -> str:
    """A short hash of every source file of the model and of numba's version."""
    digest = hashlib.sha256(numba.__version__.encode())
    for path in sorted(HERE.rglob("*.py")):
        digest.update(str(path.relative_to(HERE)).encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def _writable(directory: Path) -> bool:
    """Whether this process can create ``directory`` and write a file in it, as numba will (a permission check
    alone passes for root on a read-only file system)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=directory).close()
    except OSError:
        return False
    return True


def cache_root() -> Path:
    """``QICSIM_CACHE_DIR`` or ``NUMBA_CACHE_DIR`` if set (used as given, even read-only: a cache compiled in
    advance on a cluster's shared disk loads without writing), else the first writable of
    ``sim/__pycache__/numba``, the user's cache (``~/.cache/qicsim/numba``) and ``<tmp>/qicsim-<user>/numba``
    (a read-only installation)."""
    for variable in ("QICSIM_CACHE_DIR", "NUMBA_CACHE_DIR"):
        if os.environ.get(variable):
            return Path(os.environ[variable])
    user = str(os.getuid()) if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    candidates = [HERE / "__pycache__" / "numba", Path.home() / ".cache" / "qicsim" / "numba",
                  Path(tempfile.gettempdir()) / f"qicsim-{user}" / "numba"]
    return next((c for c in candidates if _writable(c)), candidates[-1])


numba.config.CACHE_DIR = str(cache_root() / source_key())


def compiled() -> bool:
    """Whether this version of the model's kernels has been compiled and cached (numba's index files are
    there); if not, the first run compiles them: about 10 s on a 2-core AMD EPYC."""
    return any(Path(numba.config.CACHE_DIR).rglob("*.nbi"))
