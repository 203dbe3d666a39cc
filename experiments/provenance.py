"""The code version behind a sweep's results: qicsim's version and, in a checkout, the git commit.

Stored in the manifest and on every result row, so that a figure can be traced to the exact code
that made it, and a sweep resumed after an upgrade shows which runs came from which code.
"""

from __future__ import annotations

import platform
import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from qicsim import sim

_PACKAGES = ("qicsim", "mesa", "numpy", "pandas", "scipy", "SALib", "pyarrow")


def package_version(name: str) -> str | None:
    """The installed version of a package, or None when it is not installed (e.g. a bare checkout)."""
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def _git(root: Path, *args: str) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def code_version() -> dict[str, Any]:
    """qicsim's version, the git commit of the checkout the model is imported from (``None`` when
    installed from a wheel), whether tracked files differ from that commit, and library versions."""
    root = Path(sim.__file__).resolve().parent.parent
    commit = _git(root, "rev-parse", "HEAD") if (root / ".git").exists() else None
    dirty = None
    if commit is not None:
        status = _git(root, "status", "--porcelain", "--untracked-files=no")
        dirty = bool(status) if status is not None else None
    return {
        "qicsim": package_version("qicsim") or "unknown",
        "git_commit": commit,
        "git_dirty": dirty,
        "python": platform.python_version(),
        "packages": {name: package_version(name) for name in _PACKAGES},
    }


def version_label(info: dict[str, Any]) -> str:
    """A short label for result rows, e.g. ``0.1.0+gb0e6c16a1f2c`` or ``0.1.0+gb0e6c16a1f2c.dirty``."""
    label = str(info.get("qicsim", "unknown"))
    if info.get("git_commit"):
        label += f"+g{info['git_commit'][:12]}" + (".dirty" if info.get("git_dirty") else "")
    return label
