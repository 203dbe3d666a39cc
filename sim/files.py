"""Atomic file writing: every result file qicsim writes (runs, sweeps, plots) goes through here.

Each helper writes to a hidden temporary file in the target's own directory and then moves it into
place with :func:`os.replace`, so a reader never sees a half-written file: the target holds either
its old content or the complete new content, even if the run is interrupted or the disk fills up.
The temporary file is created with mode 0o666 filtered by the umask, like a file opened with
``open(path, "w")``, so results keep the user's usual permissions.
"""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import pandas as pd

__all__ = ["NotARegularFileError", "atomic_open", "not_replaceable", "write_csv", "write_parquet", "write_text"]


def not_replaceable(path: Path) -> str:
    """What ``path`` is, in words, if writing a file there would replace something other than a regular file --
    a symbolic link (not what it points to), a directory, a device or a pipe; "" for a new path or a regular
    file."""
    if path.is_symlink():
        return "a symbolic link"
    if path.exists() and not path.is_file():
        return "a directory" if path.is_dir() else "not a regular file"
    return ""


class NotARegularFileError(OSError):
    """An output path that names something other than a regular file: it is not replaced."""


@contextlib.contextmanager
def atomic_open(path: str | os.PathLike[str], mode: str = "w", **kwargs: Any) -> Iterator[IO[Any]]:
    """Open a temporary file beside ``path`` for writing; on success it replaces ``path``.

    ``mode`` is ``"w"`` (text; ``kwargs`` go to :func:`open`, e.g. ``encoding``, ``newline``) or
    ``"wb"``. If the block raises, the temporary file is removed and ``path`` is left untouched. A ``path``
    that is a symbolic link, a directory, a device or a pipe is refused (:class:`NotARegularFileError`, an
    ``OSError``): it is never replaced by a file.
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_open: mode must be 'w' or 'wb', got {mode!r}")
    target = Path(path)
    kind = not_replaceable(target)
    if kind:
        raise NotARegularFileError(f"{target} is {kind}; qicsim writes only new files or regular files it replaces "
                                   "whole (choose another path)")
    directory = target.parent
    tmp = directory / f".{target.name}.{secrets.token_hex(6)}.tmp"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        try:
            handle = os.fdopen(fd, mode, **kwargs)
        except BaseException:
            os.close(fd)
            raise
        with handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    """Make the rename durable where the platform allows it (POSIX); a no-op elsewhere."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def _write(path: str | os.PathLike[str], mode: str, writer: Callable[[IO[Any]], None], **kwargs: Any) -> Path:
    with atomic_open(path, mode, **kwargs) as handle:
        writer(handle)
    return Path(path)


def write_text(text: str, path: str | os.PathLike[str]) -> Path:
    """Write ``text`` to ``path`` atomically as UTF-8 (newlines as given); return the path."""
    return _write(path, "w", lambda f: f.write(text), encoding="utf-8", newline="")


def write_csv(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``df`` to ``path`` atomically as UTF-8 CSV without the index; return the path."""
    return _write(path, "w", lambda f: df.to_csv(f, index=False), encoding="utf-8", newline="")


def write_parquet(df: pd.DataFrame, path: str | os.PathLike[str]) -> Path:
    """Write ``df`` to ``path`` atomically as Parquet (pyarrow) without the index; return the path."""
    return _write(path, "wb", lambda f: df.to_parquet(f, index=False, engine="pyarrow"))


def take_lock(path: str | os.PathLike[str]) -> IO[bytes] | None:
    """An exclusive ``flock`` on ``path`` (created if missing), held until the returned handle is closed, so that two
    processes never write one folder at once; ``None`` where the platform has no ``flock``. Raises
    ``BlockingIOError`` when another process holds it."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        return None
    handle = open(path, "ab")  # noqa: SIM115 - held open by the caller
    try:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        handle.close()
        raise BlockingIOError(f"{path}: locked by another process") from None
    return handle
