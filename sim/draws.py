"""A module's random numbers: its own stream, drawn in blocks and handed out in order.

Every module has its own numpy generator (:func:`sim.module.stream`, from the run's seed and the
module's name), so adding a module never shifts another module's draws. Asking numpy for a few
dozen numbers costs about as much as a compiled kernel's whole week, so a module's uniforms are
drawn a block at a time and handed out as exact-size slices, in order: the numbers a module uses
depend only on the seed and what the module does, never on other modules, the process or the
thread. A kernel that needs normal draws makes them from two uniforms (:func:`standard_normal`),
which gives the same numbers compiled and in plain Python.
"""

from __future__ import annotations

import math

import numpy as np
from numba.extending import register_jitable

TWO = 2.0
"""Box-Muller's constant."""
BLOCK = 1024
"""Uniforms drawn at a time (more when one request needs more)."""


class Draws:
    """A module's uniforms on [0, 1): ``draws.uniforms(k)`` is the next ``k`` of its stream."""

    def __init__(self, rng: np.random.Generator) -> None:
        self.rng = rng
        self.block = np.empty(0)
        self.block.flags.writeable = False
        self.used = 0

    def uniforms(self, k: int) -> np.ndarray:
        """The next ``k`` uniforms of the stream (a read-only array of exactly ``k``)."""
        start = self.used
        if start + k > len(self.block):  # the unused rest, then a new block drawn straight after it (no copy)
            rest = len(self.block) - start
            block = np.empty(rest + max(BLOCK, k))
            block[:rest] = self.block[start:]
            self.rng.random(out=block[rest:])
            block.flags.writeable = False
            self.block, start = block, 0
        self.used = start + k
        return self.block[start:start + k]


@register_jitable
def standard_normal(u1: float, u2: float) -> float:
    """A standard normal draw from two uniforms on [0, 1) (Box-Muller)."""
    return math.sqrt(-math.log(1.0 - u1) * TWO) * math.cos(math.tau * u2)


@register_jitable
def poisson(mean: float, u: float) -> int:
    """A Poisson count with the given mean from one uniform ``u``, by inversion of its cumulative
    distribution (one draw per count, so that a larger draw never gives a smaller count). Exact while
    ``exp(-mean)`` is a normal float (means below about 700)."""
    k = 0
    p = math.exp(-mean)
    cumulative = p
    while u > cumulative and p > 0.0:
        k += 1
        p *= mean / k
        cumulative += p
    return k
