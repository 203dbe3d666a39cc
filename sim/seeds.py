"""Derived seeds: every run's seed comes from the user's seed and the run's place, never the clock."""

from __future__ import annotations

import numpy as np


def derive_seed(*keys: int) -> int:
    """A 32-bit seed derived from integer keys, e.g. (experiment seed, point, replicate).

    numpy's SeedSequence hashes the keys, so neighbouring keys give unrelated streams and the same
    keys give the same seed in any process, on any machine.
    """
    if any(int(k) < 0 for k in keys):
        raise ValueError(f"seed keys must be non-negative integers, got {keys}")
    return int(np.random.SeedSequence([int(k) for k in keys]).generate_state(1, dtype=np.uint32)[0])
