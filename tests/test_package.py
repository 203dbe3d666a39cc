"""The installed package: one top-level name, an API on ``import qicsim``, and a light start.

Start-up *time* is measured in benchmarks/bench_startup.py; these tests check what makes it short (which
modules a command imports), which does not depend on how busy the machine is.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import qicsim

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("numba", "mesa", "pandas", "matplotlib", "networkx", "scipy", "pydantic", "dask", "pyabc")
"""Libraries a quick command must not import."""


def imported_after(code: str, cwd: Path | None = None) -> set[str]:
    """The heavy libraries imported by running ``code`` in a fresh interpreter."""
    probe = (f"import sys\n{code}\n"
             f"import json; print(json.dumps(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r}))))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True,
                         cwd=cwd or ROOT)
    return set(json.loads(out.stdout.strip().splitlines()[-1]))


def test_the_everyday_api_is_on_the_package():
    assert qicsim.__version__ == importlib.metadata.version("qicsim")
    for name in ("run", "load_scenario", "CollaborativeModel", "run_sweep", "load_table", "load_experiment",
                 "analyse", "derive_seed", "figures", "scenario_names", "SUMMARY_KEYS"):
        assert name in dir(qicsim) and getattr(qicsim, name) is not None, name
    from qicsim import sim

    assert qicsim.run is sim.run and callable(qicsim.run), "qicsim.sim.run is the function, never its module"
    result = qicsim.run("breakthrough", seed=3, teams=5, follow_up_months=1.0)
    assert set(sim.SUMMARY_KEYS) <= set(result.summary)
    with pytest.raises(AttributeError, match="no attribute 'nonsense'"):
        qicsim.nonsense  # noqa: B018


def test_import_qicsim_and_the_quick_commands_import_nothing_heavy():
    assert imported_after("import qicsim") == set()
    assert imported_after("from qicsim.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass") \
        == set()
    assert imported_after("from qicsim.cli import main\nmain(['scenarios'])") == set()
    for command in ("run", "show", "sweep", "sensitivity", "cea", "design", "validate", "calibrate", "report", "app"):
        code = f"from qicsim.cli import main\ntry:\n    main(['{command}', '--help'])\nexcept SystemExit:\n    pass"
        assert imported_after(code) == set(), f"qicsim {command} --help builds its parser without the model"


def test_folders_named_like_the_subpackages_do_not_hide_them(tmp_path):
    """A researcher's own analysis.py, experiments/ or sim.py beside a notebook are theirs; qicsim's are
    qicsim.analysis, qicsim.experiments, qicsim.sim -- and so are its data files (the shipped posterior, the
    targets, the example specs)."""
    (tmp_path / "analysis.py").write_text("MINE = 'analysis'\n")
    (tmp_path / "experiments").mkdir()
    (tmp_path / "experiments" / "__init__.py").write_text("MINE = 'experiments'\n")
    (tmp_path / "sim.py").write_text("MINE = 'sim'\n")
    (tmp_path / "scenarios").mkdir()
    code = ("import qicsim, qicsim.analysis.figures, qicsim.sim.model\n"
            "from qicsim import load_table, run_sweep\n"
            "from qicsim.sim.posterior import default\n"
            "from qicsim.analysis.targets import load_targets\n"
            "from qicsim.experiments import example_specs\n"
            "assert default() is not None and load_targets() and 'sobol-levers' in example_specs()\n"
            "assert qicsim.load_experiment('sobol-levers').spec.sampler is not None  # a shipped example by name\n"
            "import analysis, experiments, sim, scenarios\n"
            "print(analysis.MINE, experiments.MINE, sim.MINE, hasattr(scenarios, 'names'), "
            "len(qicsim.scenario_names()) > 20)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=tmp_path)
    assert out.stdout.split() == ["analysis", "experiments", "sim", "False", "True"]


def test_the_wheel_installs_only_qicsim(tmp_path):
    """``pip show -f qicsim`` lists one top-level package: the wheel holds qicsim/ and its metadata only, with
    the subpackages' data files (scenarios, the shipped posterior, targets, example specs)."""
    if shutil.which("git") is None:
        pytest.skip("git is needed to list the project's files")
    source = tmp_path / "source"
    files = subprocess.run(["git", "ls-files", "pyproject.toml", "README.md", "qicsim", "sim", "analysis",
                            "experiments", "scenarios"], capture_output=True, text=True, check=True, cwd=ROOT)
    for name in files.stdout.split():
        if (ROOT / name).is_file():
            (source / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, source / name)
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path / "dist"),
                            str(source)], capture_output=True, text=True)
    if build.returncode != 0 and "No matching distribution found for setuptools" in build.stderr:
        pytest.skip("no index to fetch the build backend from")  # offline machine
    assert build.returncode == 0, build.stderr
    wheel = next((tmp_path / "dist").glob("qicsim-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {"qicsim", wheel.name.split("-py")[0] + ".dist-info"}
    for expected in ("qicsim/sim/model.py", "qicsim/sim/modules/dropout.py", "qicsim/analysis/targets.yaml",
                     "qicsim/scenarios/breakthrough.yaml", "qicsim/scenarios/posterior.parquet",
                     "qicsim/experiments/sobol-levers.yaml", "qicsim/cli.py"):
        assert expected in names, expected
    top_level = [n for n in names if n.endswith("top_level.txt")]
    if top_level:
        assert zipfile.ZipFile(wheel).read(top_level[0]).decode().split() == ["qicsim"]


def test_only_the_program_chooses_a_matplotlib_backend():
    """The ``qicsim`` program draws with Agg; ``qicsim.cli.main`` called from a notebook or script leaves the
    caller's backend (and the environment its subprocesses, e.g. a Jupyter kernel, inherit) alone."""
    code = ("import os, io, contextlib\nfrom qicsim.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n    main(['scenarios'])\n"
            "print(os.environ.get('MPLBACKEND'))")
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert out.stdout.strip() == "None"
    program = ("import os, sys\nfrom qicsim import cli\ncli.main = lambda: print(os.environ.get('MPLBACKEND')) or 0\n"
               "cli.console()")
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, env=env)
    assert out.returncode == 0 and out.stdout.strip() == "Agg"


def test_every_module_imports_from_a_folder_that_shadows_the_old_names(tmp_path):
    """Every module of every subpackage, imported in a folder whose own analysis.py, sim.py, experiments/ and
    scenarios/ would answer an import of the old top-level names: none may be asked for."""
    for name in ("analysis.py", "sim.py"):
        (tmp_path / name).write_text("raise ImportError('the old top-level name was imported')\n")
    for name in ("experiments", "scenarios"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("raise ImportError('the old top-level name was imported')\n")
    code = ("import importlib, pkgutil, qicsim\n"
            "names = []\n"
            "for package in ('qicsim', 'qicsim.sim', 'qicsim.analysis', 'qicsim.experiments', 'qicsim.scenarios'):\n"
            "    module = importlib.import_module(package)\n"
            "    names += [m.name for m in pkgutil.walk_packages(module.__path__, package + '.')]\n"
            "for name in names:\n"
            "    importlib.import_module(name)\n"
            "print(len(names))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path)
    assert out.returncode == 0, out.stderr[-2000:]
    assert int(out.stdout.split()[-1]) > 60


def test_a_mistyped_sweep_folder_is_an_error_not_an_empty_table(tmp_path):
    with pytest.raises(qicsim.ExperimentError, match="no such folder"):
        qicsim.load_table(tmp_path / "typo")
