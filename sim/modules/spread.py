"""Spread beyond the participants: other units and organisations take up the collaborative's changes
and its QI methods (challenge 10).

Paper, challenge 10: spread 'is not a priority for many collaboratives'; spreading within an
organisation 'requires the right leadership, support from opinion leaders, and training'. The
rule is a Bass-type contagion on the unit network (Bass 1969; coefficients from Mahajan, Muller &
Bass 1995; its network form as in Valente 1996's exposure models). A unit is *exposed* once any of
its contacts uses a change that works (a participating unit counts while its team's changes are at
work there); an exposed unit adopts in a month with probability ``1 - exp(-(p + q * f) * r / 12)``,
where ``f`` is the weighted share of its contacts that use it, ``p`` and ``q`` the yearly innovation
and imitation coefficients and ``r`` its receptivity: its QI culture and its organisation's
management support, times how far spread is planned. Without planning receptivity is low, so spread
beyond the participants stays rare, as the paper found; an internal collaborative raises exposure
and receptivity inside the participating organisations.

Roll-out inside an organisation: an organisation adopts before its units implement (Greenhalgh et
al. 2004). When a change first works in one of its units -- its team's pilot, or a unit reached by
contagion -- the organisation decides once whether to roll it out, with probability
``roll_out_chance`` times its receptivity; if it does, each of its other units adopts at
``roll_out_rate_per_year`` on top of the contagion. A pilot is rolled out soon after it works or,
most often, not at all (the paper's traditional projects: 26% rolled out, in 45 days on average).
QI methods spread alike, more slowly (they need training, not only an example). Adopting units gain
a share of their source team's improvement, counted as benefit; planned spread costs teams' time.

State lives in arrays over the units and a sparse matrix of their ties, so that a month over a
national network of tens of thousands of units is a handful of vector operations.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numba import njit
from numba.extending import register_jitable

from qicsim.sim.ideas import gap_left, in_use_of
from qicsim.sim.module import (
    HOURS_PER_DAY,
    MONTHS_PER_YEAR,
    Module,
    Par,
    around_average,
    define_pars,
    define_states,
    monthly_chance,
    organisation_state,
    unit_state,
)
from qicsim.sim.modules.measurement import improvement_units
from qicsim.sim.populations import COMPLETED
from qicsim.sim.sources import ASSUMPTION, CALIBRATED, KEPT, PAPER

if TYPE_CHECKING:
    import pandas as pd

BASS = "Mahajan, Muller & Bass 1995"
TOTALS = ("spread_units", "method_spread_units", "exposed_units", "spread_organisations")
"""Running counts of spread beyond the participants."""
SPREAD_UNITS, METHOD_SPREAD_UNITS, EXPOSED_UNITS, SPREAD_ORGANISATIONS = range(len(TOTALS))
SHOWN = ("changes", "methods", "improvement")
"""What each team's unit shows others in a month (:func:`showing`)."""
CHANGES, METHODS, IMPROVEMENT = range(len(SHOWN))
DRAWS_PER_UNIT = 2
"""Each month: whether a unit adopts the changes, and whether it takes up QI methods (and one draw per
organisation: whether it decides to roll a change out)."""
CURVE = (*TOTALS, "participating_units_adopted")
"""Columns of the adoption curve (one row per month): the running counts, and the participating
units whose team's changes work there."""


class Spread(Module):
    """A month of spread over every unit; the adoption curve; spread's benefit and cost."""

    name = "spread"
    section = "spread"
    pars = define_pars(
        # the network (sim/network.py builds it)
        Par("units_per_organisation", 5, unit="units/organisation", kind="design",
            source="assumption: the wards, departments or sites of an organisation where the same change applies",
            doc="units in each organisation; one unit of a participating organisation sends the team", ge=1, le=50),
        Par("other_organisations", 30, unit="organisations", kind="design",
            source="assumption: the region's other organisations, one per participant",
            doc="organisations in the network that do not take part (spread targets; ignored with a network file)",
            ge=0, le=100_000),
        Par("network", "small_world", unit="choice", kind="design",
            source="Watts & Strogatz 1998 (regional small world); Barabási & Albert 1999 (scale-free)",
            doc="how organisations are tied: generated small-world or scale-free graph, none, or network_file",
            choices=("small_world", "scale_free", "none", "file")),
        Par("network_file", "", unit="path", kind="design",
            source="user's own referral or regional network (GraphML, or an edge list: two node ids per line)",
            doc="organisation graph read when network = file (relative to the scenario file)"),
        Par("network_degree", 4, unit="organisations", kind="design",
            source="assumption: an organisation is in regular contact with about four others in its region",
            doc="mean number of other organisations each organisation is tied to (generated graphs)", ge=0, le=100),
        Par("network_rewiring", 0.1, unit="probability", kind="design",
            source="Watts & Strogatz 1998: small-world properties for shortcut probabilities of about 0.01-0.1",
            doc="share of a small-world graph's ties that are long-range shortcuts", ge=0, le=1, prior=(0.01, 0.3)),
        Par("between_organisations_weight", 1.0, unit="tie weight", source=KEPT,
            doc="weight of a tie between two organisations' lead units, against 1 for two units of one organisation",
            ge=0, le=10, prior=(0.2, 2.0)),
        Par("unit_culture_sd_share", 0.5, unit="share of between_team_sd", source=KEPT,
            doc="how much an organisation's units differ in QI culture, as a share of how organisations differ",
            ge=0, le=2, prior=(0.0, 1.0)),
        # planning for spread
        Par("spread_planning", 0.0, unit="0-1",
            source=f"{PAPER}, challenge 10: spread 'is not a priority for many collaboratives'; planning and "
                   "learning for it before the end",
            doc="how far teams and organisers plan and resource spread beyond the participants", ge=0, le=1,
            prior=(0.0, 1.0)),
        Par("comparator_spread_planning", 0.5, unit="0-1", section="traditional",
            source="assumption (structural: the paper says how the comparison stands is unknown): a traditional "
                   "project is its own organisation's, which plans its roll-out in-house; 0.5 reproduced the "
                   "traditional projects' 26% roll-out with the shared roll-out rates (paper, ref 8)",
            doc="how far a traditional project's organisation plans and resources spread (in place of "
                "spread_planning, which is the collaborative's)", ge=0, le=1, prior=(0.0, 1.0)),
        Par("internal_collaborative", False, unit="yes/no",
            source=f"{PAPER}, challenge 10: 'a team and its organisation itself to establish an internal "
                   "collaborative'",
            doc="participating organisations run their own collaborative to spread to their other units"),
        Par("unplanned_spread", 0.05, unit="factor", source=f"{KEPT}; {PAPER}: spread beyond participants rare "
            "where it was 'not a priority'", doc="receptivity factor of units when nobody plans spread", ge=0, le=1,
            prior=(0.01, 0.2), log_prior=True),
        Par("spread_planning_gain", 2.0, unit="factor", source=f"{KEPT}; Greenhalgh et al. 2004",
            doc="receptivity factor fully planned spread adds (time, a spread plan and training)", ge=0, le=20,
            prior=(0.5, 5.0)),
        Par("internal_collaborative_gain", 1.0, unit="factor", source=KEPT,
            doc="receptivity factor added inside an organisation running an internal collaborative", ge=0, le=20,
            prior=(0.2, 3.0)),
        Par("internal_collaborative_weight", 3.0, unit="tie weight", source=KEPT,
            doc="weight of the tie from a team's unit to its organisation's other units in an internal "
                "collaborative (an ordinary tie weighs 1)", ge=1, le=20, prior=(1.0, 6.0)),
        Par("receptivity_culture_effect", 1.0, unit="per unit", source=f"{KEPT}; {PAPER}, challenge 10",
            doc="how much a unit's QI culture raises its receptivity (1 at middling culture)", ge=0, le=2,
            prior=(0.0, 2.0)),
        Par("receptivity_support_effect", 1.0, unit="per unit", source=f"{KEPT}; {PAPER}, challenge 10",
            doc="how much management support raises a unit's receptivity (1 at middling support)", ge=0, le=2,
            prior=(0.0, 2.0)),
        # the contagion
        Par("spread_innovation_per_year", 0.03, unit="per year",
            source=f"Bass model innovation coefficient p, average 0.03 ({BASS}; a starting point)",
            doc="adoption rate of an exposed unit on its own initiative", ge=0, le=5, prior=(0.005, 0.1),
            log_prior=True),
        Par("spread_imitation_per_year", 0.38, unit="per year",
            source=f"Bass model imitation coefficient q, average 0.38 ({BASS}; a starting point)",
            doc="adoption rate of a unit all of whose contacts have adopted", ge=0, le=20, prior=(0.1, 1.0),
            log_prior=True),
        Par("method_spread_factor", 0.5, unit="share", source=f"{KEPT}; {PAPER}: spreading 'requires ... training "
            "about quality improvement techniques'", doc="rate at which QI methods spread, as a share of the "
            "rate of a tested change", ge=0, le=2, prior=(0.1, 1.0)),
        Par("changes_at_work", 0.5, unit="changes", source=KEPT,
            doc="a team's changes, weighted by how fully each is practised, needed for them to work (and "
                "spread) in its own unit", ge=0, le=10, prior=(0.25, 2.0)),
        Par("roll_out_chance", 0.753, unit="probability",
            source=f"{CALIBRATED}; default fitted to the traditional projects: 26% rolled out (paper, "
                   "ref 8); Greenhalgh et al. 2004: an organisation adopts, then implements across its units",
            doc="chance that an organisation of receptivity 1 decides to roll out a change working in one of its "
                "units", ge=0, le=1, prior=(0.2, 1.0)),
        Par("roll_out_rate_per_year", 1.857, unit="per year",
            source=f"{CALIBRATED}; default fitted to the traditional projects' 'roll out effort took on average 45 "
                   "days' (paper, ref 8)",
            doc="adoption rate of each other unit of an organisation that decided to roll a change out", ge=0,
            le=100, prior=(0.5, 10.0), log_prior=True),
        Par("spread_effect_share", 0.5, unit="share",
            source="assumption; Greenhalgh et al. 2004: adopters adapt rather than copy, with less effect",
            doc="share of its source team's improvement that a unit gains by adopting without its own tests",
            ge=0, le=1, prior=(0.2, 0.9)),
        Par("spread_hours_per_team_month", 16.0, unit="hours/team/month", kind="design",
            source="assumption: two days a month of a team's time at full spread planning",
            doc="staff time a team spends on spread, times spread_planning, while it works on QI", ge=0, le=500,
            prior=(4.0, 40.0)),
        Par("internal_collaborative_cost_per_month", 2000.0, unit="currency/organisation/month", kind="design",
            source=ASSUMPTION + ": a part-time facilitator and meetings for an organisation's internal collaborative",
            doc="cost of an internal collaborative, per participating organisation, while its team uses QI", ge=0,
            le=1e6, prior=(500.0, 5000.0)),
    )
    states = define_states(
        unit_state("culture", 0.0, "the unit's QI culture (0-1): its organisation's, give or take"),
        unit_state("amplifier", 0.0, "how far spread to the unit is planned: a factor on its receptivity"),
        unit_state("adopted", False, "the unit adopted the collaborative's changes", bool),
        unit_state("exposed", False, "a contact of the unit uses the changes", bool),
        unit_state("has_method", False, "the unit took up QI methods", bool),
        unit_state("adopted_month", np.nan, "month the unit adopted (NaN: never)"),
        unit_state("exposed_month", np.nan, "month the unit was first exposed (NaN: never)"),
        unit_state("method_month", np.nan, "month the unit took up QI methods (NaN: never)"),
        unit_state("origin", -1, "team through which the unit was reached (-1: none)", int),
        unit_state("organisation", 0, "the unit's organisation (index)", int),
        unit_state("target", False, "the unit can adopt by spread (it does not send a team)", bool),
        unit_state("per_degree", 0.0, "1 / the weighted number of the unit's contacts (0: none)"),
        organisation_state("lead_unit", 0, "the organisation's first unit: its contact with others, and for "
                                           "a participant the unit that sends the team", int),
        organisation_state("roll_out_month", np.nan, "month the organisation decided on rolling a change out "
                                                     "(NaN: not yet)"),
        organisation_state("rolls_out", False, "the organisation decided to roll the change out", bool),
        organisation_state("reached", False, "a non-participating organisation with a unit that adopted", bool),
        organisation_state("units_reached", 0, "participants: units beyond the participants reached through "
                                               "the organisation's team, directly or along a chain", int),
    )
    reads = ("status", "formed", "using_qi", "capability", "drift", "baseline", "in_use", "senior_engagement",
             "qi_culture")
    writes = ("culture", "amplifier", "adopted", "exposed", "has_method", "adopted_month", "exposed_month",
              "method_month", "origin", "organisation", "target", "per_degree", "lead_unit", "roll_out_month",
              "rolls_out", "reached", "units_reached")

    def init(self) -> None:
        p, model = self.p, self.model
        units, u, o = model.units, model.unit_states, model.organisation_states
        teams = model.team_states.size
        noise = self.rng.normal(0, p.between_team_sd * p.unit_culture_sd_share, units.size)
        u.culture[:] = np.clip(o.qi_culture[units.org] + noise, 0, 1)
        planning = p.comparator_spread_planning if p.mode == "traditional" else p.spread_planning
        u.amplifier[:] = p.unplanned_spread + p.spread_planning_gain * planning
        if p.internal_collaborative:
            u.amplifier[units.org < teams] += p.internal_collaborative_gain
        u.origin[:] = np.where(units.participant, units.team_of_unit, -1)
        u.organisation[:] = units.org
        u.target[:] = ~units.participant  # units that can adopt by spread
        u.per_degree[:] = np.divide(1.0, units.degree, out=np.zeros_like(units.degree), where=units.degree > 0)
        o.lead_unit[:] = units.lead
        self.ties = (units.ties.indptr, units.ties.indices, units.ties.data)
        self.totals = np.zeros(len(TOTALS), dtype=np.int64)  # the running counts of TOTALS
        self.curve = np.zeros((model.calendar.months + 1, len(CURVE)), dtype=np.int64)  # row m: month m
        self.months_recorded = 0
        self.cost_per_team = planning * p.spread_hours_per_team_month * p.wage_per_day / HOURS_PER_DAY \
            + (p.internal_collaborative_cost_per_month if p.internal_collaborative else 0.0)

    @property
    def targets(self) -> np.ndarray:
        """Units that can adopt by spread (every unit but the participants')."""
        return self.model.unit_states.target

    def month_end(self, month: int) -> None:
        model = self.model
        if model.mode == "none":
            return
        p, t, ideas = self.p, model.team_states, model.ideas
        units, o = model.units, model.organisation_states
        teams = showing(t.record, ideas.matrix.record, ideas.catalogue.record, ideas.count, model.pars)
        reached, working, adopted_here = spread_month(model.unit_states.record, o.record, self.ties, teams, model.pars,
                                                      self.draws.uniforms(o.size + DRAWS_PER_UNIT * units.size), month,
                                                      self.totals)
        model.ledger.add_benefit(p.spread_effect_share * reached, month)
        model.ledger.add("spread", working * self.cost_per_team, model.week)
        self.curve[month, : len(TOTALS)] = self.totals
        self.curve[month, len(TOTALS)] = adopted_here
        self.months_recorded = month

    def first_roll_out_month(self) -> np.ndarray:
        """For each team, the first month another unit of its organisation adopted in the organisation's
        roll-out (NaN when the organisation did not decide to roll the change out, or no unit adopted).

        Units that copy a change informally in an organisation that decided against rolling it out
        count as spread, not as a roll-out effort (the paper's traditional projects report the latter).
        """
        model = self.model
        units, u, teams = model.units, model.unit_states, model.team_states.size
        out = np.full(teams, np.nan)
        inside = (units.org < teams) & ~units.participant & ~np.isnan(u.adopted_month)
        for org in np.unique(units.org[inside]):
            if model.organisation_states.rolls_out[org]:
                out[org] = np.nanmin(u.adopted_month[inside & (units.org == org)])
        return out

    def adoption_curve(self) -> pd.DataFrame:
        """Cumulative adoption beyond the participants, one row per month recorded (month 0 = enrolment)."""
        import pandas as pd  # here: reading a scenario (qicsim scenarios, show) does not pay for pandas

        frame = pd.DataFrame(self.curve[: self.months_recorded + 1], columns=CURVE)
        frame.insert(0, "month", np.arange(len(frame)))
        return frame


@njit(cache=True)
def spread_month(u, o, ties, teams, pars, draws, month, totals):  # pragma: no cover - compiled
    """One month of spread over every unit (``u``) and organisation (``o``): ``ties`` are the units'
    ties (a CSR matrix's indptr, indices and weights), ``teams`` what each team shows others (its
    changes weighted by use, its QI capability while it works on QI, its improvement in the measure's
    units), ``draws`` one uniform per organisation and two per unit, ``totals`` the running counts of
    :data:`TOTALS`. Returns the improvement reached through the teams (before ``spread_effect_share``),
    how many teams showed QI methods, and how many teams' changes work in their own units.

    Organisations in which a change now works for the first time decide, once, whether to roll it
    out. Every unit beyond the participants with a contact that uses a change is exposed, and adopts
    with the Bass hazard of its share of such contacts, scaled by its receptivity; in an organisation
    rolling the change out, faster. A new adopter is reached through the team of its heaviest adopting
    contact. QI methods spread alike, at ``method_spread_factor`` of the rate.

    The work grows with the units that show something and their ties, not with all ties: each such unit
    adds its tie weights to its contacts' sums (:func:`shares`); a unit no contact shows anything to
    is left as it is.
    """
    p = pars[0]
    indptr, indices, weights = ties
    units, organisations, n = u.shape[0], o.shape[0], teams.shape[1]
    roll_out_kept = math.exp(-p.roll_out_rate_per_year / MONTHS_PER_YEAR)
    decide_draws, adopt_draws, method_draws = draws[:organisations], draws[organisations::DRAWS_PER_UNIT], \
        draws[organisations + 1::DRAWS_PER_UNIT]
    sources = np.zeros(units)
    method = np.zeros(units)
    for j in range(units):
        sources[j] = 1.0 if u.adopted[j] else 0.0
        method[j] = 1.0 if u.has_method[j] else 0.0
    working = 0
    adopted_here = 0
    for i in range(n):
        lead = o.lead_unit[i]
        at_work = teams[CHANGES, i] >= p.changes_at_work
        sources[lead] = 1.0 if at_work else 0.0
        adopted_here += at_work
        method[lead] = teams[METHODS, i]
        working += teams[METHODS, i] > 0.0
    # organisations where a change now works decide, once, whether to roll it out
    working_here = np.zeros(organisations, np.bool_)
    for j in range(units):
        if sources[j] > 0.0:
            working_here[u.organisation[j]] = True
    for k in range(organisations):
        if working_here[k] and np.isnan(o.roll_out_month[k]):
            o.roll_out_month[k] = month
            o.rolls_out[k] = decide_draws[k] < min(1.0, p.roll_out_chance * receptivity(u, o, o.lead_unit[k], p))
    # exposure and adoption of changes, then of QI methods (both from last month's adopters)
    share, method_share, touched = shares(indptr, indices, weights, sources, method)
    new = np.zeros(units, np.bool_)
    for j in range(units):
        if not touched[j] or not u.target[j]:
            continue
        share[j] *= u.per_degree[j]
        method_share[j] *= u.per_degree[j]
        if share[j] > 0.0:
            if not u.exposed[j]:
                u.exposed[j] = True
                u.exposed_month[j] = month
                totals[EXPOSED_UNITS] += 1
            if not u.adopted[j]:
                chance = monthly_chance((p.spread_innovation_per_year + p.spread_imitation_per_year * share[j])
                                        * receptivity(u, o, j, p))
                if o.rolls_out[u.organisation[j]]:
                    chance = 1.0 - (1.0 - chance) * roll_out_kept
                new[j] = adopt_draws[j] < chance
        if method_share[j] > 0.0 and not u.has_method[j]:
            chance = monthly_chance(p.method_spread_factor * (p.spread_innovation_per_year
                                                              + p.spread_imitation_per_year * method_share[j])
                                    * receptivity(u, o, j, p))
            if method_draws[j] < chance:
                u.has_method[j] = True
                u.method_month[j] = month
                totals[METHOD_SPREAD_UNITS] += 1
    for j in range(units):
        if new[j]:
            # reached through the team of its heaviest source contact
            best = -1.0
            for k in range(indptr[j], indptr[j + 1]):
                if weights[k] * sources[indices[k]] > best:
                    best = weights[k] * sources[indices[k]]
                    u.origin[j] = u.origin[indices[k]]
            u.adopted[j] = True
            u.adopted_month[j] = month
            totals[SPREAD_UNITS] += 1
            if u.origin[j] >= 0:
                o.units_reached[u.origin[j]] += 1
            k = u.organisation[j]
            if k >= n and not o.reached[k]:
                o.reached[k] = True
                totals[SPREAD_ORGANISATIONS] += 1
    reached = 0.0
    for i in range(n):
        reached += o.units_reached[i] * max(teams[IMPROVEMENT, i], 0.0)
    return reached, working, adopted_here


@njit(cache=True)
def shares(indptr, indices, weights, sources, method):  # pragma: no cover - compiled
    """Each unit's weighted sum over its contacts of what they show (``sources``: the change, 1 or 0;
    ``method``: QI methods), and whether any contact shows anything.

    Ties are symmetric and each row's columns sorted (:meth:`sim.network.UnitNetwork.build`), so a unit
    that shows something adding its weights to its contacts' sums, units in order, adds to every sum the
    same terms in the same order as the sum over the unit's own row would (a contact showing nothing adds
    0): the same numbers, in time that grows with the units that show something and their ties."""
    units = len(sources)
    share = np.zeros(units)
    method_share = np.zeros(units)
    touched = np.zeros(units, np.bool_)
    for i in range(units):
        if sources[i] > 0.0 or method[i] > 0.0:
            for k in range(indptr[i], indptr[i + 1]):
                j = indices[k]
                share[j] += weights[k] * sources[i]
                method_share[j] += weights[k] * method[i]
                touched[j] = True
    return share, method_share, touched


@register_jitable
def receptivity(u, o, j, p):  # pragma: no cover - compiled
    """Unit ``j``'s receptivity to spread: its QI culture, its organisation's management support, and how
    far spread is planned."""
    return (around_average(u.culture[j], p.receptivity_culture_effect)
            * around_average(o.senior_engagement[u.organisation[j]], p.receptivity_support_effect)
            * u.amplifier[j])


@njit(cache=True)
def showing(t, ideas, catalogue, count, pars):  # pragma: no cover - compiled
    """What each team's unit shows others this month (:data:`SHOWN`): its changes weighted by how fully
    each is still practised, its QI capability while it works on QI (0 otherwise), and its improvement
    on its baseline in the measure's units."""
    best = pars[0].best_practice_performance
    out = np.zeros((len(SHOWN), t.shape[0]))
    for i in range(t.shape[0]):
        out[CHANGES, i] = in_use_of(ideas, count, i)
        if (t.status[i] < COMPLETED and t.formed[i]) or t.using_qi[i]:
            out[METHODS, i] = t.capability[i]
        out[IMPROVEMENT, i] = improvement_units(best, t.drift[i] * gap_left(ideas, catalogue, count, i),
                                                t.baseline[i])
    return out
