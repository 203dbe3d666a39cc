"""A sweep directory: results as a chunked Parquet dataset with a manifest, safe to kill and resume.

Layout of ``DIR``::

    manifest.json          what the sweep is: spec fingerprint, the spec, the effective base
                           scenario, design size, summary keys, seed rule, code version
    spec.yaml              the spec file as given            scenario.yaml   the effective base scenario
    points.parquet         the design: point_id and the varied parameters (+ raw.* for Sobol/Morris)
    runs/part-NNNNN.parquet           one row per run: run_id, point_id, replicate, seed, the varied
                                      parameters, status (ok/failed), summary keys, error, code_version,
                                      experiment, spec_fingerprint
    failures/part-NNNNN.parquet       failed runs with their error and traceback
    team_outcomes/, series/, teams/   optional per-run tables, same chunk numbers, same id columns

Every row of the run tables names its sweep (``experiment``: the spec's name, ``spec_fingerprint``: the
manifest's ``spec_hash``, which also decides whether a sweep may be resumed), so that the tables of several
sweeps read together (pandas, DuckDB, ``pyarrow.dataset``) can be told apart; every Parquet file also carries
them as key-value metadata of its schema (key ``qicsim``: JSON, see :func:`read_file_metadata`). Folders
written before these columns existed still load: :func:`load_table` fills them from the manifest.

Why it survives ``kill -9``: every file is written under a hidden temporary name and then renamed
into place (``os.replace``), so a file either exists whole or not at all, and a leftover temporary
file is ignored and removed. A chunk's ``runs`` file is written last; it is the chunk's commit, and
the set of runs done is the set of ``run_id`` in the ``runs`` files. A chunk's other files without
its ``runs`` file (killed in between) are removed on the next start, and those runs are made again,
so no run is lost or stored twice. The manifest is written once, last, when the directory is set up.
A lock file (``flock``) stops two sweeps from writing to one directory at the same time.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from qicsim.experiments.experiment import Experiment, scenario_parameters
from qicsim.experiments.provenance import package_version, version_label
from qicsim.experiments.samplers import column_dtype
from qicsim.experiments.spec import ExperimentError, parse_spec
from qicsim.experiments.tasks import RunRecord
from qicsim.sim.files import atomic_open, take_lock, write_text

FORMAT = "qicsim-sweep/1"
MANIFEST, SPEC_COPY, SCENARIO_COPY = "manifest.json", "spec.yaml", "scenario.yaml"
POINTS, LOCK = "points.parquet", ".lock"
RUNS, FAILURES = "runs", "failures"
OPTIONAL_TABLES = ("team_outcomes", "series", "teams")
TABLES = (RUNS, FAILURES, *OPTIONAL_TABLES)
ID_COLUMNS = ("run_id", "point_id", "replicate", "seed")
SWEEP_COLUMNS = ("experiment", "spec_fingerprint")
"""The last columns of every run table: which sweep a row belongs to (the same on every row of a folder)."""
METADATA_KEY = b"qicsim"
"""The key of a sweep's JSON in the schema metadata of each of its Parquet files."""
_PART = re.compile(r"^part-(\d{5,})\.parquet$")
_OURS = {MANIFEST, SPEC_COPY, SCENARIO_COPY, POINTS, LOCK, "sensitivity.csv", *TABLES}


# ---------------------------------------------------------------------------------------------
# atomic files
# ---------------------------------------------------------------------------------------------


def write_bytes_with(path: Path, writer: Any) -> None:
    """Write ``path`` atomically with ``writer(handle)`` (e.g. a figure's ``savefig``)."""
    with atomic_open(path, "wb") as handle:
        writer(handle)


def write_table(frame: pd.DataFrame, path: Path, metadata: dict[str, Any]) -> None:
    """Write ``frame`` atomically as Parquet (pyarrow, no index, as :func:`sim.files.write_parquet`) with
    ``metadata`` as JSON under :data:`METADATA_KEY` in the schema's key-value metadata."""
    table = pa.Table.from_pandas(frame, preserve_index=False)
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           METADATA_KEY: json.dumps(metadata, sort_keys=True).encode()})
    with atomic_open(path, "wb") as handle:
        pq.write_table(table, handle)


def read_file_metadata(path: str | Path) -> dict[str, Any] | None:
    """The sweep metadata of one of a sweep's Parquet files (``experiment``, ``spec_fingerprint``, ``seed``,
    ``qicsim_version``, ``code_version``, ``table``); None for a file written before sweeps stored it."""
    raw = (_read(Path(path), pq.read_schema).metadata or {}).get(METADATA_KEY)
    return None if raw is None else json.loads(raw)


def _is_temp(name: str) -> bool:
    return name.startswith(".") and name.endswith(".tmp")


# ---------------------------------------------------------------------------------------------
# reading a sweep directory (also used by `qicsim sensitivity` and analysis code)
# ---------------------------------------------------------------------------------------------


MANIFEST_FIELDS: dict[str, type] = {"spec_hash": str, "spec": dict, "varied": list, "kinds": dict,
                                    "summary_keys": list, "points": int, "replications": int, "total_runs": int}
"""What every command that reads a sweep relies on in its manifest, with the type it must have."""


def read_manifest(root: str | Path) -> dict[str, Any]:
    """The manifest of the sweep in ``root``; :class:`ExperimentError` if there is none."""
    path = Path(root) / MANIFEST
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ExperimentError(f"{root}: not a sweep directory (no {MANIFEST}); run `qicsim sweep SPEC --out "
                              f"{root}` first") from None
    except (OSError, ValueError, RecursionError) as exc:  # a manifest nested too deep is damaged too
        raise ExperimentError(f"{path}: cannot read the manifest ({type(exc).__name__})") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ExperimentError(f"{path}: not a {FORMAT} manifest")
    for key, kind in MANIFEST_FIELDS.items():
        if not isinstance(manifest.get(key), kind) or isinstance(manifest.get(key), bool):
            raise ExperimentError(f"{path}: a damaged manifest: field '{key}' is missing or not "
                                  f"{kind.__name__ if isinstance(kind, type) else 'valid'}; the sweep cannot be "
                                  "resumed or read safely (run it again into a new directory)")
    return manifest


def _parts(root: Path, table: str) -> dict[int, Path]:
    folder = root / table
    if not folder.is_dir():
        return {}
    found = {}
    for entry in folder.iterdir():
        match = _PART.match(entry.name)
        if match:
            found[int(match.group(1))] = entry
    return dict(sorted(found.items()))


def done_run_ids(root: str | Path) -> set[int]:
    """``run_id`` of every run stored in a complete chunk (failed runs included: they are done)."""
    done: set[int] = set()
    for path in _parts(Path(root), RUNS).values():
        done.update(_read(path, lambda p: pq.read_table(p, columns=["run_id"])).column("run_id").to_pylist())
    return done


def _read(path: Path, reader: Any) -> Any:
    """A stored file of a sweep read by ``reader``; a missing, truncated or garbled one is a damaged sweep
    (:class:`ExperimentError`, said in words) rather than a traceback."""
    try:
        return reader(path)
    except (OSError, ValueError) as exc:  # pyarrow's ArrowInvalid is a ValueError
        raise ExperimentError(f"{path}: a damaged sweep: the file cannot be read ({type(exc).__name__}); "
                              "run the sweep again into a new directory") from None


def load_table(root: str | Path, table: str = RUNS) -> pd.DataFrame:
    """One table of a sweep (``runs``, ``failures``, ``team_outcomes``, ``series``, ``teams``) from its
    committed chunks, sorted by ``run_id``; an empty frame when the table has no rows (yet); :class:`ExperimentError`
    when ``root`` is not a folder at all (a mistyped name would otherwise read as a sweep with no runs)."""
    root = Path(root)
    if not root.is_dir():
        raise ExperimentError(f"sweep folder {str(root)[:80]!r}: no such folder (allowed: the --out folder of "
                              "qicsim sweep, or a sweep's folder inside qicsim design's)")
    committed = set(_parts(root, RUNS))
    frames = [_read(p, pd.read_parquet) for n, p in _parts(root, table).items() if n in committed]
    frames = [f for f in frames if len(f)]
    if not frames:
        return pd.DataFrame()
    frame = _with_sweep_columns(pd.concat(frames, ignore_index=True), root)
    order = ["run_id", *(["team_id"] if "team_id" in frame else []), *(["month"] if "month" in frame else [])]
    return frame.sort_values(order, kind="stable").reset_index(drop=True)


def _with_sweep_columns(frame: pd.DataFrame, root: Path) -> pd.DataFrame:
    """``frame`` with :data:`SWEEP_COLUMNS` filled from the manifest where chunks written before they
    existed lack them; left as it is when the folder has no readable manifest."""
    if all(c in frame and not frame[c].isna().any() for c in SWEEP_COLUMNS):
        return frame
    try:
        values = dict(zip(SWEEP_COLUMNS, _sweep_identity(read_manifest(root)), strict=True))
    except ExperimentError:
        return frame
    for column, value in values.items():
        frame[column] = (frame[column] if column in frame else pd.Series(pd.NA, index=frame.index, dtype="string")) \
            .astype("string").fillna(value)
    return frame


def _sweep_identity(manifest: dict[str, Any]) -> tuple[str, str]:
    """The sweep's ``experiment`` (its spec's name) and ``spec_fingerprint`` (the manifest's ``spec_hash``)."""
    name = manifest.get("name") or manifest.get("spec", {}).get("name") or ""
    return str(name), str(manifest["spec_hash"])


def load_points(root: str | Path) -> pd.DataFrame:
    """The sweep's design: ``point_id`` and the varied parameters (+ ``raw.*`` for Sobol/Morris)."""
    return _read(Path(root) / POINTS, pd.read_parquet)


# ---------------------------------------------------------------------------------------------
# writing: one sweep directory, opened for a sweep
# ---------------------------------------------------------------------------------------------


def _describe_difference(manifest: dict[str, Any], experiment: Experiment) -> str:
    """Which parts of the spec or base scenario differ from the stored sweep's."""
    stored_spec = manifest.get("spec", {})
    new_spec = experiment.spec.model_dump(mode="json")
    parts = [f"'{k}'" for k in experiment.spec.result_fields() if stored_spec.get(k) != new_spec.get(k)]
    stored_scenario, new_scenario = manifest.get("scenario", {}), scenario_parameters(experiment.scenario)
    names = sorted(set(stored_scenario) | set(new_scenario))
    changed = [k for k in names if stored_scenario.get(k) != new_scenario.get(k)]
    if changed:
        shown = ", ".join(f"{k} {stored_scenario.get(k)!r} -> {new_scenario.get(k)!r}" for k in changed[:5])
        more = f" and {len(changed) - 5} more" if len(changed) > 5 else ""
        parts.append(f"base scenario parameters ({shown}{more})")
    if stored_spec.get("posterior", "none") != new_spec.get("posterior", "none"):
        parts.append("'posterior'")
    return "; ".join(parts) or "its fingerprint (e.g. the posterior sample's content)"


class SweepStore:
    """A sweep directory opened for writing: holds its lock, knows its chunks, writes new ones."""

    def __init__(self, root: Path, experiment: Experiment, manifest: dict[str, Any], lock: IO[bytes] | None,
                 resumed: bool) -> None:
        self.root, self.experiment, self.manifest, self.resumed = root, experiment, manifest, resumed
        self._lock = lock
        self._next = max(_parts(root, RUNS), default=0) + 1
        self._name, self._fingerprint = _sweep_identity(manifest)
        self._version = package_version("qicsim") or "unknown"

    # ---- opening -----------------------------------------------------------------------------

    @classmethod
    def open(cls, root: str | Path, experiment: Experiment, code: dict[str, Any]) -> SweepStore:
        """Set up ``root`` for ``experiment``, or resume the same experiment's unfinished sweep there.

        Refuses (:class:`ExperimentError`) a directory that holds a different experiment, files that
        are not a sweep's, or a sweep another process is writing. On resume the stored design and
        summary keys are used, so the sweep finishes as it began.
        """
        root = Path(root)
        root.mkdir(parents=True, exist_ok=True)
        had_lock_file = (root / LOCK).exists()
        lock = cls._take_lock(root)
        try:
            if (root / MANIFEST).exists():
                manifest = read_manifest(root)
                if manifest.get("spec_hash") != experiment.spec_hash():
                    name = manifest.get("spec", {}).get("name")
                    raise ExperimentError(
                        f"--out {str(root)!r} holds a sweep of a different experiment ({name!r}; differs in "
                        f"{_describe_difference(manifest, experiment)}); use another --out directory, or delete "
                        "this one to start again")
                cls._clean(root)
                design = load_points(root)
                stored = experiment.with_stored(design, tuple(manifest["summary_keys"]))
                return cls(root, stored, manifest, lock, resumed=True)
            cls._check_empty(root)
            manifest = cls._initialise(root, experiment, code)
            return cls(root, experiment, manifest, lock, resumed=False)
        except BaseException:
            if lock is not None:
                lock.close()
            if not had_lock_file and not (root / MANIFEST).exists():
                (root / LOCK).unlink(missing_ok=True)  # leave a refused directory as it was
            raise

    @staticmethod
    def _take_lock(root: Path) -> IO[bytes] | None:
        try:
            return take_lock(root / LOCK)
        except BlockingIOError:
            raise ExperimentError(f"--out {str(root)!r}: another qicsim sweep is writing to this directory") from None

    @staticmethod
    def _check_empty(root: Path) -> None:
        foreign = sorted(e.name for e in root.iterdir() if e.name not in _OURS and not _is_temp(e.name))
        if foreign:
            raise ExperimentError(f"--out {str(root)!r} is not empty and holds no qicsim sweep (found "
                                  f"{', '.join(foreign[:5])}); choose a new or empty directory")
        if _parts(root, RUNS):
            raise ExperimentError(f"--out {str(root)!r} has results but no {MANIFEST}; it cannot be resumed safely, "
                                  "choose a new directory")

    @staticmethod
    def _initialise(root: Path, experiment: Experiment, code: dict[str, Any]) -> dict[str, Any]:
        for table in (RUNS, FAILURES, *experiment.spec.outputs.tables()):
            (root / table).mkdir(exist_ok=True)
        SweepStore._clean(root)
        write_text(experiment.spec_text or experiment.spec.model_dump_json(indent=2), root / SPEC_COPY)
        write_text(experiment.scenario.to_yaml(), root / SCENARIO_COPY)
        manifest = {
            "format": FORMAT,
            "spec_hash": experiment.spec_hash(),
            "name": experiment.spec.name,
            "spec": experiment.spec.model_dump(mode="json"),
            "scenario": scenario_parameters(experiment.scenario),
            "varied": list(experiment.varied),
            "kinds": experiment.kinds,
            "summary_keys": list(experiment.summary_keys),
            "tables": [RUNS, FAILURES, *experiment.spec.outputs.tables()],
            "points": experiment.points,
            "replications": experiment.spec.replications,
            "total_runs": experiment.total_runs,
            "run_id": "point_id * replications + replicate",
            "seed": (f"qicsim.derive_seed({experiment.spec.seed}, replicate)" if experiment.spec.common_random_numbers
                     else f"qicsim.derive_seed({experiment.spec.seed}, point_id, replicate)"),
            "code_version": code,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),  # metadata only; never a seed
        }
        write_table(experiment.design, root / POINTS,
                    _file_metadata(manifest, POINTS.removesuffix(".parquet"), str(code.get("qicsim", "unknown")),
                                   version_label(code)))
        write_text(json.dumps(manifest, indent=2) + "\n", root / MANIFEST)
        return manifest

    @staticmethod
    def _clean(root: Path) -> None:
        """Remove temporary files and chunk files whose ``runs`` file was never written."""
        committed = set(_parts(root, RUNS))
        for folder in (root, *(root / t for t in TABLES)):
            if not folder.is_dir():
                continue
            for entry in folder.iterdir():
                if _is_temp(entry.name):
                    entry.unlink(missing_ok=True)
        for table in (FAILURES, *OPTIONAL_TABLES):
            for number, path in _parts(root, table).items():
                if number not in committed:
                    path.unlink(missing_ok=True)

    def close(self) -> None:
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def __enter__(self) -> SweepStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- writing -----------------------------------------------------------------------------

    def _ids(self, records: Sequence[RunRecord], **more: pd.Series) -> pd.DataFrame:
        """Identity columns and varied parameters of ``records``, with stable dtypes, then ``more``
        columns (one DataFrame made at once: inserting columns one by one cost more than the runs)."""
        tasks = [r.task for r in records]
        columns = {c: pd.Series([getattr(t, c) for t in tasks], dtype="int64") for c in ID_COLUMNS}
        for name in self.experiment.varied:
            columns[name] = pd.Series([t.overrides[name] for t in tasks],
                                      dtype=column_dtype(self.experiment.kinds[name]))
        return pd.DataFrame({**columns, **more})

    def _sweep_columns(self, rows: int) -> dict[str, pd.Series]:
        return {"experiment": pd.Series([self._name] * rows, dtype="string"),
                "spec_fingerprint": pd.Series([self._fingerprint] * rows, dtype="string")}

    def _write(self, frame: pd.DataFrame, table: str, name: str, code_label: str) -> None:
        """One chunk file of ``table``, its rows and its schema naming this sweep."""
        frame = pd.concat([frame.reset_index(drop=True), pd.DataFrame(self._sweep_columns(len(frame)))], axis=1)
        write_table(frame, self.root / table / name, _file_metadata(self.manifest, table, self._version, code_label))

    def write_chunk(self, records: Sequence[RunRecord], code_label: str) -> None:
        """Store ``records`` as the next chunk: optional tables and failures first, ``runs`` last."""
        if not records:
            return
        records = sorted(records, key=lambda r: r.task.run_id)
        name = f"part-{self._next:05d}.parquet"
        for table in self.experiment.spec.outputs.tables():
            frames = [self._with_ids(r, r.tables[table]) for r in records if r.ok and len(r.tables.get(table, ()))]
            if frames:
                self._write(pd.concat(frames, ignore_index=True), table, name, code_label)
        failed = [r for r in records if not r.ok]
        if failed:
            failures = self._ids(failed, error=pd.Series([r.error for r in failed], dtype="string"),
                                 traceback=pd.Series([r.traceback for r in failed], dtype="string"),
                                 code_version=pd.Series([code_label] * len(failed), dtype="string"))
            self._write(failures, FAILURES, name, code_label)
        summaries = {key: pd.Series([r.summary[key] if r.ok else float("nan") for r in records], dtype="float64")
                     for key in self.experiment.summary_keys}
        runs = self._ids(records, status=pd.Series(["ok" if r.ok else "failed" for r in records], dtype="string"),
                         **summaries, error=pd.Series([r.error for r in records], dtype="string"),
                         code_version=pd.Series([code_label] * len(records), dtype="string"))
        self._write(runs, RUNS, name, code_label)  # the commit: these runs are now done
        self._next += 1

    def _with_ids(self, record: RunRecord, table: pd.DataFrame) -> pd.DataFrame:
        ids = self._ids([record])
        repeated = ids.loc[ids.index.repeat(len(table))].reset_index(drop=True)
        return pd.concat([repeated, table.reset_index(drop=True)], axis=1)


def _file_metadata(manifest: dict[str, Any], table: str, version: str, code_label: str) -> dict[str, Any]:
    """What every Parquet file of a sweep says about itself (:func:`read_file_metadata`)."""
    name, fingerprint = _sweep_identity(manifest)
    return {"format": FORMAT, "experiment": name, "spec_fingerprint": fingerprint,
            "seed": manifest.get("spec", {}).get("seed"), "table": table, "qicsim_version": version,
            "code_version": code_label}


def count_failed(root: str | Path) -> int:
    """Failed runs stored in the sweep's committed chunks."""
    return sum(pq.read_table(p, columns=["status"]).column("status").to_pylist().count("failed")
               for p in _parts(Path(root), RUNS).values())


def parse_stored_spec(manifest: dict[str, Any], root: str | Path) -> Any:
    """The spec a sweep directory was made from (shape-checked again)."""
    return parse_spec(manifest.get("spec"), f"{Path(root) / MANIFEST}: spec")

