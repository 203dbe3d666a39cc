"""Random numbers for the compiled passes: drawn from a run's numpy generator in bulk, read in order.

A compiled pass over the teams cannot call numpy's generator cheaply (unboxing it costs more than a
team's week), and numba's own generator is one per thread, shared by every model in it. So each
stream of a run keeps a buffer of uniforms and of standard normals drawn by numpy, which the passes
read from a cursor; the buffer is topped up before it runs dry. The numbers a run uses therefore
depend only on its seed and what it does, never on the process, the thread or other runs.
"""

from __future__ import annotations

import numpy as np
from numba import njit

BUFFER = 4096
"""Draws of each kind a buffer holds at least (a run of the default scenario reads tens of thousands
of uniforms, so it is topped up a dozen times or so)."""


class Draws:
    """A buffer of uniform and standard normal draws from ``rng``, read in order by compiled passes
    (:func:`take_uniforms`, :func:`take_normals`) through ``cursor`` (next uniform, next normal)."""

    def __init__(self, rng: np.random.Generator, uniforms: int = BUFFER, normals: int = BUFFER) -> None:
        self.rng = rng
        self.uniforms = rng.random(uniforms)
        self.normals = rng.standard_normal(normals)
        self.cursor = np.zeros(2, dtype=np.int64)
        self.arrays = (self.uniforms, self.normals, self.cursor)
        """What a compiled pass receives to read draws (remade when the buffers are topped up)."""

    def ensure(self, uniforms: int, normals: int = 0) -> None:
        """Keep at least ``uniforms`` unread uniforms and ``normals`` unread normals: the unread ones
        move to the front and fresh draws fill the rest (the buffer grows when asked for more)."""
        if len(self.uniforms) - self.cursor[0] < uniforms:
            self.uniforms = self._topped_up(self.uniforms, int(self.cursor[0]), uniforms, self.rng.random)
            self.cursor[0] = 0
        if len(self.normals) - self.cursor[1] < normals:
            self.normals = self._topped_up(self.normals, int(self.cursor[1]), normals, self.rng.standard_normal)
            self.cursor[1] = 0
        self.arrays = (self.uniforms, self.normals, self.cursor)

    @staticmethod
    def _topped_up(buffer: np.ndarray, cursor: int, needed: int, draw) -> np.ndarray:
        unread = buffer[cursor:]
        size = max(len(buffer), 2 * needed, BUFFER)
        return np.concatenate([unread, draw(size - len(unread))])


@njit(cache=True)
def take_uniforms(uniforms, cursor, k):  # pragma: no cover - compiled
    """The next ``k`` uniforms on [0, 1) (a read-only view; the caller made sure they are there)."""
    start = cursor[0]
    cursor[0] = start + k
    return uniforms[start:start + k]


@njit(cache=True)
def take_normals(normals, cursor, k):  # pragma: no cover - compiled
    """The next ``k`` standard normals (a read-only view; the caller made sure they are there)."""
    start = cursor[1]
    cursor[1] = start + k
    return normals[start:start + k]
