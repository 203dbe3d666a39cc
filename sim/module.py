"""What a mechanism of the model is: a module that declares its parameters and states, and acts.

Modelled on IDM's Starsim (``define_pars`` / ``define_states``; modules plugged into one ordered
loop) inside a Mesa model. A module is one concept of the paper (Øvretveit et al. 2002) --
leadership turnover, PDSA cycles, drop-out, institutionalisation, learning sessions, spread... --
written as a small class:

- ``pars``: the parameters it owns, each a :class:`Par` with a default, unit, source, meaning, the
  values allowed and a plausible range (the prior for calibration). They become fields of the
  scenario (:class:`sim.Scenario`), so every one is visible in ``qicsim show -v``, settable with
  ``--set`` and in experiment specs, and open to calibration.
- ``states``: the per-agent values it adds to a population (:class:`State`: name, type, default,
  meaning), made into arrays once per run (:mod:`sim.populations`).
- ``reads`` / ``writes``: the states it reads and changes (documentation, and checked in tests:
  a module that writes a state it did not declare fails there).
- hooks, each optional: ``init`` (once, in the list's order, after the populations are made: the
  first module, enrolment, draws them), ``step`` (every week),
  ``meeting`` (a learning session or the congress), ``end_of_collaborative`` and ``month_end``.
  The model calls every module's hook in the order of :data:`sim.modules.MODULES`: that list is
  the whole order of a week, a meeting and a month's end.
- its own random stream, ``self.rng``, derived from the run's seed and the module's name
  (:func:`stream`), so that adding or reordering a module never shifts another module's draws:
  designs compared on one seed share everything else (common random numbers). (A module can be left
  out only when no other part reads what it declares; the model names any that does.)
  ``self.draws.uniforms(k)`` hands out the stream's uniforms in order (:mod:`sim.draws`), for kernels.
"""

from __future__ import annotations

import ast
import inspect
import math
import zlib
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numba.extending import register_jitable

from qicsim.sim import _cache  # noqa: F401 -- keys numba's cache to the model's source before a kernel is compiled
from qicsim.sim.draws import Draws

if TYPE_CHECKING:
    from qicsim.sim.model import CollaborativeModel

AVERAGE = 0.5
"""The middle of a 0-1 attribute: a team or organisation that is neither weak nor strong in it. A
factor written :func:`around_average` is 1 there, so a rate parameter is the rate of an average team."""
WEEKS_PER_YEAR = 52
MONTHS_PER_YEAR = 12
DAYS_PER_WEEK = 7
WEEKS_PER_MONTH = WEEKS_PER_YEAR / MONTHS_PER_YEAR
HALF = 0.5
"""One half (a mean of two, a lognormal's correction): arithmetic, not a coefficient."""
HOURS_PER_DAY = 8.0
"""A working day, to turn hours of staff time into person-days."""


# ---------------------------------------------------------------------------------------------
# declarations
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Par:
    """A parameter a module declares: its default and everything a user needs to judge and vary it.

    ``ge`` / ``le`` bound the values a scenario may set (validation); ``prior`` is the narrower
    range within which the value is plausible, the prior of a calibration (uniform on it, or
    log-uniform when ``log_prior``). ``source`` says where the default comes from: a publication,
    ``calibrated`` (with what it was fitted to) or ``assumption``. ``section`` groups it in
    ``qicsim show`` (the declaring module's section unless given). ``kind`` says what sort of input it
    is: ``behaviour`` (how teams, leaders and organisations act: shared by every collaborative, the
    inputs a calibration fits), ``design`` (what a collaborative is and does: its size, calendar,
    measure, costs and the organisers' choices, set by each scenario from its sources) or
    ``definition`` (how an outcome is defined, e.g. what counts as significant).
    """

    name: str
    default: Any
    unit: str
    source: str
    doc: str
    ge: float | None = None
    le: float | None = None
    prior: tuple[float, float] | None = None
    log_prior: bool = False
    section: str = ""
    choices: tuple[str, ...] = ()
    kind: str = "behaviour"
    optional: bool = False
    """The parameter may be left unset (``None``): the model then works it out (its doc says how)."""
    pattern: str | None = None
    """For text: a regular expression the whole value must match (e.g. a currency code)."""

    KINDS: ClassVar[tuple[str, ...]] = ("behaviour", "design", "definition")

    def __post_init__(self) -> None:
        assert self.kind in self.KINDS, f"{self.name}: kind {self.kind!r}"
        if self.prior is not None:
            lo, hi = self.prior
            assert lo < hi, f"{self.name}: prior {self.prior} is not a range"
            assert lo > 0 or not self.log_prior, f"{self.name}: a log-scale prior must start above 0"
            assert lo <= self.default <= hi, f"{self.name}: default {self.default} outside its prior {self.prior}"
            assert (self.ge is None or self.ge <= lo) and (self.le is None or hi <= self.le), \
                f"{self.name}: prior {self.prior} outside the allowed values"
        elif self.kind == "behaviour" and isinstance(self.default, int | float) and not isinstance(self.default, bool):
            raise AssertionError(f"{self.name}: a numeric behaviour parameter needs a plausible range (prior)")


@dataclass(frozen=True)
class State:
    """A value every agent of a population has: name, type, starting value and meaning.

    ``population`` is ``"teams"``, ``"organisations"``, ``"units"`` (every unit of every organisation,
    :mod:`sim.modules.spread`) or ``"ideas"`` (a team x idea matrix, :mod:`sim.ideas`);
    ``recorded`` puts it in the monthly team table (teams only).
    """

    name: str
    dtype: type
    default: Any
    label: str
    population: str = "teams"
    recorded: bool = False


def team_state(name: str, default: Any, label: str, dtype: type = float, recorded: bool = False) -> State:
    return State(name, dtype, default, label, "teams", recorded)


def organisation_state(name: str, default: Any, label: str, dtype: type = float) -> State:
    return State(name, dtype, default, label, "organisations")


def unit_state(name: str, default: Any, label: str, dtype: type = float) -> State:
    return State(name, dtype, default, label, "units")


def idea_state(name: str, default: Any, label: str, dtype: type = float) -> State:
    return State(name, dtype, default, label, "ideas")


def define_pars(*pars: Par) -> tuple[Par, ...]:
    """A module's parameters (Starsim's name); checked for duplicates when the scenario is built."""
    return pars


def define_states(*states: State) -> tuple[State, ...]:
    """A module's states (Starsim's name); checked for duplicates when the populations are built."""
    return states


# ---------------------------------------------------------------------------------------------
# the module
# ---------------------------------------------------------------------------------------------


def stream(seed: int, name: str) -> np.random.Generator:
    """The random stream of one module of one run: numpy's generator seeded from the run's seed and a
    stable hash of the module's name (the same in every process, unlike Python's ``hash``)."""
    return np.random.default_rng([int(seed), zlib.crc32(name.encode("utf-8"))])


class Module:
    """A mechanism of the model (see this file's docstring): subclass it, name it, declare what it
    uses, and define the hooks it needs."""

    name: ClassVar[str] = ""
    """snake_case: names the module's random stream and, by default, its parameters' section."""
    section: ClassVar[str] = ""
    pars: ClassVar[tuple[Par, ...]] = ()
    states: ClassVar[tuple[State, ...]] = ()
    reads: ClassVar[tuple[str, ...]] = ()
    writes: ClassVar[tuple[str, ...]] = ()

    HOOKS: ClassVar[tuple[str, ...]] = ("init", "step", "meeting", "end_of_collaborative", "month_end")

    def __init__(self, model: CollaborativeModel) -> None:
        self.model = model
        self.p = model.params
        self.rng = stream(model.seed, self.name)
        self.draws = Draws(self.rng)

    def __repr__(self) -> str:
        return f"<module {self.name}>"

    @classmethod
    def hooks(cls) -> tuple[str, ...]:
        """The hooks this module defines (overrides of :class:`Module`'s do-nothing ones)."""
        return tuple(h for h in cls.HOOKS if getattr(cls, h) is not getattr(Module, h))

    @classmethod
    def parameters_read(cls) -> frozenset[str]:
        """Every parameter the module's file reads (``p.name``, ``self.p.name`` or ``pars[0]`` as ``p``):
        its own and those other modules declare, found in the code itself so the list cannot drift."""
        tree = ast.parse(inspect.getsource(inspect.getmodule(cls)))
        return frozenset(node.attr for node in ast.walk(tree) if isinstance(node, ast.Attribute)
                         and ((isinstance(node.value, ast.Name) and node.value.id == "p")
                              or (isinstance(node.value, ast.Attribute) and node.value.attr == "p")))

    @classmethod
    def declared_pars(cls) -> tuple[Par, ...]:
        """The module's parameters with their section filled in."""
        return tuple(p if p.section else _with_section(p, cls.section or cls.name) for p in cls.pars)

    # hooks: each does nothing unless a module defines it
    def init(self) -> None:
        """Once, after the populations are made: starting values, and what stays the same."""

    def step(self) -> None:
        """Every week (``self.model.week``)."""

    def meeting(self, days: float, teaching: bool) -> None:
        """The teams still in meet for ``days``: a learning session (``teaching``) or the final congress."""

    def end_of_collaborative(self) -> None:
        """The collaborative (or the comparator's project) ends."""

    def month_end(self, month: int) -> None:
        """Month ``month`` ends (its report, exchange, spread, benefits)."""


def _with_section(p: Par, section: str) -> Par:
    return replace(p, section=section)


# ---------------------------------------------------------------------------------------------
# the shapes mechanisms are written in (plain Python, and inlined in compiled kernels)
# ---------------------------------------------------------------------------------------------


@register_jitable
def around_average(x: Any, effect: float) -> Any:
    """A factor that is 1 for an average team (``x`` = :data:`AVERAGE`) and changes by ``effect`` per
    unit of ``x``: ``effect`` 1 makes a strong team (x = 1) 1.5 times and a weak one (x = 0) half
    as fast as an average one."""
    return 1.0 + effect * (x - AVERAGE)


@register_jitable
def with_floor(x: Any, floor: float) -> Any:
    """A factor that is ``floor`` at ``x`` = 0 and 1 at ``x`` = 1: what remains without ``x``."""
    return floor + (1.0 - floor) * x


@register_jitable
def gained(share: Any, level: Any) -> Any:
    """The increase of a 0-1 ``level`` that closes ``share`` of its gap to 1 (learning, building)."""
    return share * (1.0 - level)


@register_jitable
def weekly_chance(rate_per_year: Any) -> Any:
    """Chance that an event with a constant yearly hazard happens within one week."""
    return -np.expm1(-rate_per_year / WEEKS_PER_YEAR)


@register_jitable
def monthly_chance(rate_per_year: Any) -> Any:
    """Chance that an event with a constant yearly hazard happens within one month."""
    return -np.expm1(-rate_per_year / MONTHS_PER_YEAR)


BETA_MEAN_LIMIT = 1e-3
"""A Beta mean is kept this far inside (0, 1), where the distribution exists."""
BETA_SD_LIMIT = 0.99
"""A Beta standard deviation is kept below this share of its largest possible value."""


def beta_around(rng: np.random.Generator, mean: float, sd: float, size: int | None = None) -> Any:
    """A Beta draw with the given mean and standard deviation (a 0-1 attribute of a team).

    Attributes bounded on [0, 1] are drawn from Beta distributions so that teams differ around the
    scenario's mean by ``between_team_sd``; a zero sd gives every team the mean.
    """
    return BetaAround(mean, sd).draw(rng, size)


class BetaAround:
    """The Beta distribution with a given mean and standard deviation (the sd kept within what a Beta
    distribution of that mean allows), worked out once to be drawn from many times."""

    def __init__(self, mean: float, sd: float) -> None:
        self.mean = min(max(mean, BETA_MEAN_LIMIT), 1.0 - BETA_MEAN_LIMIT)
        sd = min(sd, BETA_SD_LIMIT * math.sqrt(self.mean * (1.0 - self.mean)))
        k = self.mean * (1.0 - self.mean) / (sd * sd) - 1.0 if sd > 0 else math.inf
        self.shape = (self.mean * k, (1.0 - self.mean) * k)

    def draw(self, rng: np.random.Generator, size: int | None = None) -> Any:
        if math.isinf(self.shape[0]):
            return np.full(size, self.mean) if size else self.mean
        return rng.beta(*self.shape, size)


def lognormal_around(rng: np.random.Generator, mean: Any, log_sd: float, size: int | None = None) -> Any:
    """A lognormal draw with the given mean and log standard deviation."""
    return mean * lognormal_factor(log_sd, rng.standard_normal(size))


@register_jitable
def lognormal_factor(log_sd: Any, z: Any) -> Any:
    """A lognormal factor of mean 1 and log standard deviation ``log_sd`` from a standard normal ``z``
    (the log's mean is ``-log_sd**2 / 2``, so that the mean is kept)."""
    return np.exp(log_sd * z - log_sd * log_sd * HALF)


@register_jitable
def mean_of(a: Any, b: Any) -> Any:
    """The mean of two values."""
    return (a + b) * HALF


@dataclass
class Hooks:
    """The model's modules' hooks, in the order of :data:`sim.modules.MODULES`, gathered once."""

    step: list = field(default_factory=list)
    meeting: list = field(default_factory=list)
    end_of_collaborative: list = field(default_factory=list)
    month_end: list = field(default_factory=list)

    @classmethod
    def of(cls, modules: list[Module]) -> Hooks:
        hooks = cls()
        for module in modules:
            for name in module.hooks():
                if name != "init":
                    getattr(hooks, name).append(getattr(module, name))
        return hooks
