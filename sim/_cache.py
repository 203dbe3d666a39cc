"""Where numba keeps the model's compiled loops: a directory named by a hash of the model's source.

numba checks a cached function against its own file only, so a loop compiled against another
module's old layout (a team array added in :mod:`sim.states`) would be loaded and run on the new
one. Keying the whole cache to every source file of :mod:`sim` (and the numba version) makes any
change compile afresh. Imported by ``sim/__init__.py`` before any compiled module.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numba

HERE = Path(__file__).resolve().parent


def source_key() -> str:
    """A short hash of every source file of the model and of numba's version."""
    digest = hashlib.sha256(numba.__version__.encode())
    for path in sorted(HERE.glob("*.py")):
        digest.update(path.name.encode() + path.read_bytes())
    return digest.hexdigest()[:16]


def cache_root() -> Path:
    """``NUMBA_CACHE_DIR`` if set, else ``sim/__pycache__/numba`` if writable, else the user's cache."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"])
    here = HERE / "__pycache__"
    try:
        here.mkdir(exist_ok=True)
        if os.access(here, os.W_OK):
            return here / "numba"
    except OSError:
        pass
    return Path.home() / ".cache" / "qicsim" / "numba"


numba.config.CACHE_DIR = str(cache_root() / source_key())


def compiled() -> bool:
    """Whether this version of the model's loops has been compiled and cached (numba's index files are
    there); if not, the first run compiles them: about half a minute (30 s on a 2-core AMD EPYC)."""
    return any(Path(numba.config.CACHE_DIR).rglob("*.nbi"))
