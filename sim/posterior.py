"""A posterior sample of the shared behavioural inputs, and how a run takes one draw of it.

``qicsim calibrate`` (:mod:`analysis.calibration`) writes the sample as Parquet: one row per particle
of the last ABC-SMC population, a column per calibrated input and its ``weight``, and, in the
file's metadata, what it came from (targets, seeds, qicsim version, priors, diagnostics). Carrying
it forward, each replicate of a run takes one draw -- chosen from the replicate's own seed, so the
same replicate always takes the same draw -- and the scenario's values of the calibrated inputs are
replaced by the draw's. Intervals over replicates then hold both the uncertainty in the inputs and
the simulation's own noise (a probabilistic sensitivity analysis, for the cost-effectiveness).

The built-in posterior, fitted to the built-in calibration figures, is ``scenarios/posterior.parquet``
(:func:`default`); commands use it unless told ``--posterior none`` or another file.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from qicsim.sim.scenario import ScenarioError

METADATA_KEY = b"qicsim"
"""The Parquet metadata key that holds what a posterior came from (JSON)."""
DEFAULT_FILE = "posterior.parquet"
"""The built-in posterior, in the scenarios package."""
DRAW_STREAM = 0x706F7374
"""A key that sets a replicate's posterior draw apart from its run's own streams."""


@dataclass(frozen=True)
class Posterior:
    """Weighted particles of the calibrated inputs (``table``: a column per input, and ``weight``)."""

    table: pd.DataFrame
    meta: dict[str, Any] = field(default_factory=dict)
    origin: str = ""

    @property
    def parameters(self) -> tuple[str, ...]:
        return tuple(c for c in self.table.columns if c != "weight")

    @property
    def weights(self) -> np.ndarray:
        w = self.table["weight"].to_numpy(dtype=float)
        return w / w.sum()

    @property
    def effective_sample_size(self) -> float:
        """Kish's effective sample size of the weights."""
        w = self.weights
        return float(1.0 / np.sum(w**2))

    def draw(self, seed: int) -> dict[str, float]:
        """One particle, chosen by weight from ``seed`` (the same seed, the same draw)."""
        rng = np.random.default_rng([int(seed), DRAW_STREAM])
        row = self.table.iloc[int(rng.choice(len(self.table), p=self.weights))]
        return {name: float(row[name]) for name in self.parameters}

    def kept(self, scenario: Any, keep: Collection[str] = ()) -> list[str]:
        """The calibrated inputs a run keeps rather than draws: those in ``keep`` (set by the user, e.g. with
        ``--set``) and those the scenario itself sets away from their declared value (a scenario file's choice)."""
        fields = type(scenario).model_fields
        return [n for n in self.parameters if n in keep or getattr(scenario, n) != fields[n].default]

    def values(self, scenario: Any, seed: int, keep: Collection[str] = ()) -> dict[str, Any]:
        """The draw for ``seed`` as overrides of ``scenario`` (whole numbers rounded), without the inputs it keeps
        (:meth:`kept`)."""
        values = {}
        kept = set(self.kept(scenario, keep))
        for name, value in self.draw(seed).items():
            if name in kept:
                continue
            current = getattr(scenario, name)
            values[name] = int(round(value)) if isinstance(current, int) and not isinstance(current, bool) else value
        return values

    def apply(self, scenario: Any, seed: int, keep: Collection[str] = ()) -> Any:
        """The scenario with the calibrated inputs of the draw for ``seed`` (see :meth:`values`)."""
        values = self.values(scenario, seed, keep)
        return scenario.with_overrides(**values) if values else scenario

    def summary(self) -> pd.DataFrame:
        """Weighted mean, sd and 2.5/50/97.5% quantiles of each input."""
        rows = []
        w = self.weights
        for name in self.parameters:
            x = self.table[name].to_numpy(dtype=float)
            order = np.argsort(x)
            cumulative = np.cumsum(w[order])
            q = [float(x[order][np.searchsorted(cumulative, p)]) for p in (0.025, 0.5, 0.975)]
            mean = float(np.sum(w * x))
            rows.append({"parameter": name, "mean": mean, "sd": math.sqrt(float(np.sum(w * (x - mean) ** 2))),
                         "p2_5": q[0], "median": q[1], "p97_5": q[2]})
        return pd.DataFrame(rows)

    def describe(self) -> str:
        """One line: where the sample comes from and how big it is."""
        made = self.meta.get("created_by", "")
        return (f"posterior {self.origin} ({len(self.table)} particles, effective sample size "
                f"{self.effective_sample_size:.0f}, {len(self.parameters)} inputs{'; ' + made if made else ''})")

    # ---- files ----
    def write(self, path: str | Path) -> Path:
        """Write the sample as Parquet with its metadata (atomically)."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        from qicsim.sim.files import atomic_open

        table = pa.Table.from_pandas(self.table, preserve_index=False)
        table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                               METADATA_KEY: json.dumps(self.meta, default=str).encode()})
        path = Path(path)
        with atomic_open(path, "wb") as handle:
            pq.write_table(table, handle)
        return path

    @classmethod
    def load(cls, path: str | Path) -> Posterior:
        """Read a posterior file; a file that is not one is refused with a plain message."""
        import pyarrow.parquet as pq

        origin = str(path)
        try:
            table = pq.read_table(path)
        except (OSError, ValueError) as exc:
            raise ScenarioError(f"--posterior {origin!r}: not a readable Parquet file ({' '.join(str(exc).split())})")\
                from None
        try:
            meta = json.loads((table.schema.metadata or {}).get(METADATA_KEY, b"{}"))
        except (ValueError, RecursionError):
            meta = None
        if not isinstance(meta, dict):
            raise ScenarioError(f"--posterior {origin!r}: its qicsim metadata is not a JSON mapping")
        frame = table.to_pandas()
        if "weight" not in frame.columns or len(frame.columns) < 2 or frame.empty:
            raise ScenarioError(f"--posterior {origin!r}: not a posterior sample (needs a 'weight' column and at "
                                f"least one input column, one row or more)")
        from qicsim.sim.parameters import PARAMETER_NAMES

        unknown = [c for c in frame.columns if c != "weight" and c not in PARAMETER_NAMES]
        if unknown:
            raise ScenarioError(f"--posterior {origin!r}: column(s) {', '.join(unknown)} are not parameters of "
                                f"this model")
        numeric = frame.apply(pd.to_numeric, errors="coerce")
        bad = [c for c in frame.columns if numeric[c].isna().any() and not frame[c].isna().all()
               or not pd.api.types.is_numeric_dtype(frame[c])]
        if bad:
            raise ScenarioError(f"--posterior {origin!r}: column(s) {', '.join(bad)} must hold numbers only")
        weights = frame["weight"].to_numpy(dtype=float)
        if not np.all(np.isfinite(weights)) or (weights < 0).any() or weights.sum() <= 0:
            raise ScenarioError(f"--posterior {origin!r}: weights must be finite, non-negative and not all 0")
        return cls(frame, meta, origin)


def default() -> Posterior | None:
    """The built-in posterior (fitted to the built-in calibration figures), or None if none is shipped."""
    resource = files("qicsim.scenarios").joinpath(DEFAULT_FILE)
    if not resource.is_file():
        return None
    posterior = Posterior.load(str(resource))
    return Posterior(posterior.table, posterior.meta, "built in (scenarios/posterior.parquet)")


def resolve(choice: str | Path | None) -> Posterior | None:
    """A posterior named on the command line: a file, ``default`` (the built-in one) or ``none``."""
    if choice is None or str(choice) == "none":
        return None
    if str(choice) == "default":
        posterior = default()
        if posterior is None:
            raise ScenarioError(f"--posterior default: the built-in posterior (scenarios/{DEFAULT_FILE}) is missing "
                                f"from this installation; reinstall qicsim, name a file, or use --posterior none")
        return posterior
    return Posterior.load(choice)
