"""The agents of a collaborative: organisations, their leaders, and the site project teams.

Each mechanism is a short method whose docstring names the paper's challenge it implements
(Øvretveit et al. 2002, "the paper"). No method writes an outcome: drop-out, improvement,
sustainment and continued QI use follow from these rules over many weeks and teams.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import mesa
import numpy as np

from sim import calendar as cal
from sim.ihi import ihi_score
from sim.network import PEER_METHOD_TRANSFER, PEER_SUPPORT_EFFECT

if TYPE_CHECKING:
    from sim.model import CollaborativeModel

# Internal rates not exposed as scenario parameters. Each is an assumption, named so that it can
# be found and promoted to a parameter when a study needs to vary it.
KNOWLEDGE_PER_LECTURE_DAY = 0.15
"""Share of the knowledge gap closed by one full day of lectures from fully credible experts."""
CAPABILITY_PER_PRACTICE_DAY = 0.05
"""Share of the capability gap closed by one day of supervised practice (paper, challenge 5:
'gaining knowledge is relatively easy; much more difficult to learn how to apply')."""
COHESION_PER_TEAM_DAY = 0.04
"""Share of the cohesion gap closed by one day working as a team at a session."""
PEER_TESTED_BOOST = 0.5
"""Share of an idea's remaining doubt removed when a peer shows it worked (change spread)."""
LEADER_SHOCK_WINDOW_WEEKS = 26
"""Weeks after a team-leader change during which the drop-out hazard stays raised."""
MAX_TRIES = 3
"""Failed tests after which a team sets an idea aside."""
TRADITIONAL_SUPPORT = 0.75
"""Test-rate factor of a team without facilitators or peers (no collaborative support)."""
DRIFT_LIMIT = 0.5
"""Largest drift of performance not caused by changes, in units of the baseline gap: a team can
end at most half its gap worse than its baseline (the floor of the measure)."""
DRIFT_REVERSION = 0.1
"""Share of the drift that reverts to the baseline each month (an Ornstein-Uhlenbeck process)."""


def beta_around(rng: np.random.Generator, mean: float, sd: float, size: int | None = None):
    """A Beta draw with the given mean and standard deviation (a 0-1 attribute of a team).

    Attributes bounded on [0, 1] are drawn from Beta distributions so that teams differ around
    the scenario's mean by ``between_team_sd``; a zero sd gives every team the mean.
    """
    mean = min(max(mean, 0.001), 0.999)
    sd = min(sd, 0.99 * math.sqrt(mean * (1 - mean)))
    if sd <= 0:
        return np.full(size, mean) if size else mean
    k = mean * (1 - mean) / sd**2 - 1
    return rng.beta(mean * k, (1 - mean) * k, size)


def _mean(values: list[float]) -> float:
    """The mean of a few values, as ``float(np.mean(values))`` computes it for fewer than 8 (a sum
    from 0.0 in order, then one division; the builtin ``sum`` rounds differently), without the cost
    of making an array."""
    total = 0.0
    for v in values:
        total += v
    return total / len(values)


def weekly_chance(rate_per_year: float) -> float:
    """Chance that an event with a constant yearly hazard happens within one week."""
    return 1.0 - math.exp(-rate_per_year / cal.WEEKS_PER_YEAR)


@dataclass(slots=True)  # slots: teams update their ideas and changes every week; attribute access is faster
class ChangeIdea:
    """A change a team could test: from the package, a peer, or its own analysis."""

    idea_id: int
    quality: float  # chance-of-success factor of the idea in this team's setting
    effect: float  # share of the remaining gap to best practice the change closes when it works
    source: str  # "package", "peer" or "own"
    tries: int = 0


@dataclass(slots=True)
class Change:
    """A change a team adopted after a successful test."""

    idea_id: int
    effect: float
    week: int
    source: str = "package"  # where the idea came from: "package", "peer" or "own"
    in_use: float = 1.0  # how fully the change is still practised (0-1)
    institutionalisation: float = 0.0  # how far it is built into systems and procedures (0-1)


class Leader(mesa.Agent):
    """A team leader or a senior leader: skill, commitment, tenure, and a hazard of leaving."""

    def __init__(self, model: CollaborativeModel, role: str, skill: float, commitment: float,
                 turnover_per_year: float) -> None:
        super().__init__(model)
        self.role = role
        self.skill = skill
        self.commitment = commitment
        self.turnover_per_year = turnover_per_year
        self.weekly_leave_chance = weekly_chance(turnover_per_year)
        self.tenure_weeks = 0

    def leaves_this_week(self) -> bool:
        """Whether the leader leaves this week (ACHE: 14-18% of US hospital CEOs a year)."""
        self.tenure_weeks += 1
        return bool(self.model.rng.random() < self.weekly_leave_chance)


class Organisation(mesa.Agent):
    """A home organisation: QI culture, management support, strategic importance of the topic,
    staff time, data infrastructure and a senior leader whose engagement fades unless kept up.

    Participating organisations send a team; the others in the network are targets of spread only,
    and their senior engagement stays at its starting level (nothing in the collaborative moves it).
    """

    def __init__(self, model: CollaborativeModel, qi_culture: float, senior_support: float,
                 strategic_importance: float, staff_time_hours: float, data_infrastructure: float,
                 rng: np.random.Generator, participating: bool = True) -> None:
        super().__init__(model)
        s = model.params
        self.organisation_id = len(model.organisations) + 1
        self.participating = participating
        self.qi_culture = qi_culture
        self.senior_support = senior_support
        self.strategic_importance = strategic_importance
        self.staff_time_hours = staff_time_hours
        self.data_infrastructure = data_infrastructure
        self.senior_leader = self._new_senior_leader(rng)
        # Signing up gives partial engagement; a self-assessment tool details what support is
        # needed (paper, challenge 4), so it starts fuller.
        self.senior_engagement = senior_support * (0.7 + 0.3 * s.self_assessment)
        # Yearly fade of senior engagement during the collaborative and in follow-up (see week()).
        self.engagement_decay = s.senior_engagement_decay_per_year * (1 - 0.5 * strategic_importance)
        self.engagement_decay_follow_up = self.engagement_decay * (1 - 0.5 * s.sustain_planning)

    def _new_senior_leader(self, rng: np.random.Generator) -> Leader:
        s = self.model.params
        return Leader(self.model, "senior_leader", skill=float(beta_around(rng, 0.6, 0.15)),
                      commitment=self.senior_support, turnover_per_year=s.senior_leader_turnover_per_year)

    def week(self, in_follow_up: bool) -> None:
        """Senior engagement fades (less for strategic topics); a new senior leader starts cold.

        Paper, challenge 4: 'It is not sufficient to sign up senior leaders at the beginning of a
        collaborative and to then fail to engage with them further.' After the end, planning to
        sustain 'involving managers in this work' slows the fade (box 1).
        """
        if self.senior_leader.leaves_this_week():
            self.senior_leader.remove()
            self.senior_leader = self._new_senior_leader(self.model.rng)
            self.senior_engagement *= 0.5
        decay = self.engagement_decay_follow_up if in_follow_up else self.engagement_decay
        self.senior_engagement -= self.senior_engagement * decay / cal.WEEKS_PER_YEAR

    def re_engage(self) -> None:
        """At a learning session an engagement plan brings senior leaders back towards full support."""
        plan = self.model.params.senior_engagement_plan
        self.senior_engagement += plan * 0.8 * max(0.0, self.senior_support - self.senior_engagement)


class Team(mesa.Agent):
    """A site project team: its people, knowledge and skills, its ideas and adopted changes, and
    its performance on the collaborative's common measure."""

    def __init__(self, model: CollaborativeModel, organisation: Organisation, attrs: dict[str, float],
                 sent_by_management: bool) -> None:
        super().__init__(model)
        s = model.params
        rng = model.population_rng
        self.team_id = len(model.teams) + 1  # 1..teams in enrolment order (Mesa ids span all agents)
        self.organisation = organisation
        self.sent_by_management = sent_by_management
        self.motivation = attrs["motivation"]
        self.motivation_anchor = attrs["motivation"]
        self.cohesion = attrs["cohesion"]
        self.knowledge = attrs["knowledge"]
        self.capability = attrs["capability"]
        self.learning_ability = attrs["learning_ability"]
        self.data_capability = attrs["data_capability"]
        self.clarity = attrs["clarity"]
        self.leader = self._new_leader(rng)
        # Performance: ``gap`` is the distance to best practice in units of this team's baseline
        # gap (1 = baseline, 0 = best practice); ``drift`` is the part not caused by changes.
        self.baseline = attrs["baseline"]
        self.drift = 1.0
        self.changes: list[Change] = []
        self._gap: float | None = None  # gap and changes_in_use, kept until drift or changes move
        self._changes_in_use: float | None = None
        self.ideas: dict[int, ChangeIdea] = {}
        self.status = "enrolled"
        self.phase = model.calendar.phase[0]
        self.using_qi = False
        self.tests_run = 0
        self.successes_in_period = 0
        self.first_result_week: float = math.nan
        self.leader_changes = 0
        self.last_leader_change_week: int | None = None
        self.dropped_week: int | None = None
        self.attended_sessions = 0
        self.formed = False
        self.planned = False
        self.measurements: list[tuple[int, float]] = []  # (month, measured value)
        self.baseline_measured: float | None = None
        self.ihi_score = 0.5
        self.months_at_half_goal = 0
        self.months_at_goal = 0
        self.peer_examples = 0
        self.peer_support = 0.0  # after the end: support from tied teams still using QI (0-1)
        self.organising_weeks = 0
        self.start_testing_week = 0
        # Paper (ref 8): about 3 months organising; diagnosis varies widely (1-66 months to a first
        # result in another study), hence a gamma and a lognormal draw. Drawn in every mode, used in
        # the traditional one, so that every mode draws the same teams from a seed.
        organising = cal.weeks(rng.gamma(4.0, s.organising_months / 4.0))
        sigma = 0.8
        diagnosis = cal.weeks(s.diagnosis_months * math.exp(rng.normal(-sigma**2 / 2, sigma)))
        if s.mode == "traditional":
            self.organising_weeks = organising
            self.start_testing_week = organising + diagnosis

    # ---- state derived on demand ----
    def _changes_moved(self) -> None:
        """Forget ``gap`` and ``changes_in_use``: call after changing ``drift``, ``changes`` or a change's use."""
        self._gap = self._changes_in_use = None

    @property
    def gap(self) -> float:
        """Remaining distance to best practice, in units of the baseline gap (1 = baseline)."""
        if self._gap is None:
            g = self.drift
            for c in self.changes:
                g *= 1.0 - c.effect * c.in_use
            self._gap = g
        return self._gap

    @property
    def performance(self) -> float:
        """True value of the measure: between best practice and the floor the drift allows."""
        best = self.model.params.best_practice_performance
        return best + self.gap * (self.baseline - best)

    @property
    def improvement_units(self) -> float:
        """Improvement on the team's own baseline in the measure's units (positive = better)."""
        return (1.0 - self.gap) * abs(self.baseline - self.model.params.best_practice_performance)

    @property
    def performance_floor(self) -> float:
        """The worst value the measure can take for this team (baseline plus the largest drift)."""
        best = self.model.params.best_practice_performance
        return best + (1 + DRIFT_LIMIT) * (self.baseline - best)

    @property
    def relative_improvement(self) -> float:
        """Improvement on the team's own baseline as a share of it (positive = better)."""
        return (1.0 - self.gap) * (self.baseline - self.model.params.best_practice_performance) / abs(self.baseline)

    @property
    def active(self) -> bool:
        """Still in the collaborative (or project): neither dropped nor completed."""
        return self.status in ("enrolled", "active")

    @property
    def month(self) -> int:
        """The month being reported (0 = enrolment)."""
        return self.model.report_month

    @property
    def last_measured(self) -> float:
        """This month's measured value, or NaN when the team collected no data this month."""
        if self.measurements and self.measurements[-1][0] == self.model.report_month:
            return self.measurements[-1][1]
        return math.nan

    @property
    def senior_engagement(self) -> float:
        return self.organisation.senior_engagement

    @property
    def changes_in_use(self) -> float:
        """Adopted changes weighted by how fully each is still practised."""
        if self._changes_in_use is None:
            self._changes_in_use = sum([c.in_use for c in self.changes])
        return self._changes_in_use

    def _new_leader(self, rng: np.random.Generator) -> Leader:
        s = self.model.params
        return Leader(self.model, "team_leader", skill=float(beta_around(rng, 0.55, s.between_team_sd)),
                      commitment=float(beta_around(rng, 0.6, s.between_team_sd)),
                      turnover_per_year=s.leader_turnover_per_year)

    # ---- weekly mechanisms ----
    def test_rate_per_week(self, support: float) -> float:
        """Expected PDSA tests this week: time, motivation, cohesion, leadership, clarity, support.

        Each factor is 1 for an average team, so ``tests_per_month`` is the rate of such a team.
        """
        s = self.model.params
        org = self.organisation
        time = min(2.0, org.staff_time_hours / 3.0) * (0.5 + org.strategic_importance)
        return (s.tests_per_month / cal.WEEKS_PER_MONTH * time * (0.5 + self.motivation)
                * (0.5 + self.cohesion) * (0.5 + self.leader.commitment) * (0.75 + 0.5 * self.clarity)
                * support)

    def run_tests(self, rate: float) -> None:
        """Run this week's PDSA cycles (a Poisson number at the given rate)."""
        for _ in range(self.model.rng.poisson(rate)):
            self.run_pdsa_cycle()

    def run_pdsa_cycle(self) -> None:
        """Plan, do, study, act: test one idea; success adopts a change; every test builds skill.

        The chance of success is set by the idea's quality, the team's practised capability, its
        knowledge and data skills, amplified by a supportive culture and engaged management
        (paper, challenge 8: 'management and a supportive culture amplifies these capabilities').
        """
        s = self.model.params
        rng = self.model.rng
        idea = self.next_idea()
        org = self.organisation
        skill = 0.6 * self.capability + 0.1 * self.knowledge + 0.3 * self.data_capability
        context = 0.5 * (org.qi_culture + org.senior_engagement)
        p = min(0.95, idea.quality * (0.2 + 0.8 * skill) * (0.3 + context))
        self.tests_run += 1
        self.capability += (s.capability_per_test * (0.5 + self.learning_ability) * (0.5 + s.change_support)
                            * (0.5 + 0.5 * self.knowledge) * (1 - self.capability))
        if rng.random() < p:
            del self.ideas[idea.idea_id]
            self.changes.append(Change(idea.idea_id, idea.effect, self.model.week, idea.source))
            self._changes_moved()
            if self.model.week <= self.model.calendar.end_week:
                self.successes_in_period += 1
            if math.isnan(self.first_result_week):
                self.first_result_week = self.model.week
            self.motivation += 0.03 * (1 - self.motivation)
        else:
            idea.tries += 1
            idea.quality *= 0.85  # the idea may not fit here: a study phase lowers the team's hope in it
            if idea.tries >= MAX_TRIES:
                del self.ideas[idea.idea_id]
            self.motivation -= 0.01 * self.motivation

    def next_idea(self) -> ChangeIdea:
        """The most promising idea at hand, or a new one of the team's own."""
        if self.ideas:
            return max(self.ideas.values(), key=lambda i: (i.quality, -i.idea_id))
        idea = self.model.own_idea(self)
        self.ideas[idea.idea_id] = idea
        return idea

    def week(self) -> None:
        """Everything that happens to a team in one week, phase by phase."""
        model = self.model
        s = model.params
        w = model.week
        self.phase = self._phase_of_week(w)
        self._leader_turnover(w)
        in_period = w <= model.calendar.end_week
        if self.active and in_period:
            self._prepare_or_work(w)
            self._drift_motivation()
            if s.mode != "none":
                self._maybe_drop_out(w)
        elif self.using_qi:
            self._continue_qi()
        self._sustain()

    def _phase_of_week(self, w: int) -> str:
        phase = self.model.calendar.phase[w]
        if phase != cal.PROJECT or self.model.params.mode == "none":
            return phase
        if w <= self.organising_weeks:
            return cal.ORGANISING
        if w <= self.start_testing_week:
            return cal.DIAGNOSIS
        return cal.ACTION_PERIOD

    def _prepare_or_work(self, w: int) -> None:
        s = self.model.params
        if self.phase == cal.PREWORK:
            # Challenge 4: team building and data preparation before learning session 1.
            self.formed = True
            self.cohesion += 0.02 * s.prework_quality * (1 - self.cohesion)
            self.data_capability += 0.005 * s.prework_quality * (1 - self.data_capability)
        elif self.phase == cal.ORGANISING:
            self.formed = w >= self.organising_weeks // 2
        elif self.phase == cal.DIAGNOSIS:
            # A traditional team studies the problem and its causes, and finds its own ideas.
            self.formed = self.planned = True
            self.knowledge += 0.01 * (1 - self.knowledge)
        elif self.phase == cal.ACTION_PERIOD:
            self.status = "active"
            self.formed = self.planned = True
            if s.mode == "collaborative":
                support = 0.75 + 0.5 * s.organiser_capacity
                self.data_capability += 0.02 * s.data_support * (1 - self.data_capability)
            else:
                support = TRADITIONAL_SUPPORT
            self.run_tests(self.test_rate_per_week(support))

    def _drift_motivation(self) -> None:
        """Motivation drifts back to the team's own level, which fades without senior support."""
        anchor = self.motivation_anchor * (0.6 + 0.8 * self.organisation.senior_engagement)
        self.motivation += 0.02 * (min(1.0, anchor) - self.motivation)

    def _leader_turnover(self, w: int) -> None:
        """A team-leader change breaks continuity (paper, challenges 3 and 4)."""
        if self.status == "dropped" or not self.leader.leaves_this_week():
            return
        s = self.model.params
        self.leader.remove()
        self.leader = self._new_leader(self.model.rng)
        self.leader_changes += 1
        self.last_leader_change_week = w
        self.cohesion *= 1 - s.leader_change_shock
        self.motivation *= 1 - s.leader_change_shock
        for c in self.changes:  # changes that live in the leader's head go with the leader
            c.in_use *= 1 - 0.5 * s.leader_change_shock * (1 - c.institutionalisation)
        self._changes_moved()

    def _maybe_drop_out(self, w: int) -> None:
        """Leave before the end: low motivation, little senior support, little time, unclear aims,
        and above all a recent change of team leader (paper: 'a strong predictor')."""
        s = self.model.params
        org = self.organisation
        time = min(1.0, org.staff_time_hours / 6.0)
        x = (3.0 * (0.5 - self.motivation) + 1.5 * (0.5 - org.senior_engagement)
             + 1.0 * (0.5 - time) + 1.0 * (0.5 - self.clarity))
        hazard = s.dropout_hazard_per_year * math.exp(x)
        if self.last_leader_change_week is not None and w - self.last_leader_change_week < LEADER_SHOCK_WINDOW_WEEKS:
            hazard *= s.leader_change_dropout_multiplier
        if self.model.rng.random() < weekly_chance(hazard):
            self.status = "dropped"
            self.dropped_week = w

    def _continue_qi(self) -> None:
        """After the end a team keeps using QI methods until it stops; practised capability,
        conviction, culture and management keep it going (paper, challenge 9), lectures do not;
        so do tied teams still using QI (a community of practice, challenges 9 and 10)."""
        s = self.model.params
        org = self.organisation
        x = (-4.0 * (self.capability - 0.4) - 1.5 * (org.senior_engagement - 0.5)
             - 1.5 * (org.qi_culture - 0.5) - 1.0 * (self.motivation - 0.5)
             - PEER_SUPPORT_EFFECT * self.peer_support)
        if self.model.rng.random() < weekly_chance(s.qi_stop_per_year * math.exp(x)):
            self.using_qi = False
            return
        self.run_tests(self.test_rate_per_week(TRADITIONAL_SUPPORT) * s.follow_up_test_share)

    def _sustain(self) -> None:
        """Institutionalise adopted changes, and let the rest erode without upkeep.

        Paper, challenge 9: many teams did not plan for sustaining; changes must be built into
        procedures and systems to survive people leaving. Repenning & Sterman 2001: gains that
        rest on effort fade once the effort stops. During the collaborative an active team keeps
        its changes going; teams 'working hard to achieve their immediate targets' give only half
        the effort to institutionalising them.
        """
        if not self.changes:
            return
        s = self.model.params
        org = self.organisation
        in_period = self.model.week <= self.model.calendar.end_week
        working = self.active and in_period
        effort = (0.15 * org.qi_culture + s.sustain_planning) * (0.5 + org.senior_engagement)
        if working:
            effort *= 0.5
        elif not self.using_qi:
            effort *= 0.3 if self.status != "dropped" else 0.0
        grow = s.institutionalisation_per_year / cal.WEEKS_PER_YEAR * effort
        maintenance = 1.0 if working else (0.8 * (0.5 + 0.5 * org.senior_engagement) if self.using_qi else 0.0)
        erode = s.decay_per_year / cal.WEEKS_PER_YEAR * (1 - maintenance)
        # A zero rate would leave every change as it is (x + 0.0 == x), so its loop is skipped.
        if grow:
            for c in self.changes:
                c.institutionalisation += grow * (1 - c.institutionalisation)
        if erode:
            for c in self.changes:
                c.in_use -= erode * (1 - c.institutionalisation) * c.in_use
            self._changes_moved()

    # ---- learning sessions ----
    def attend_learning_session(self, days: float) -> None:
        """Learn at a session: lectures build knowledge, practice and team time build capability
        and cohesion, credible experts with good evidence build motivation (challenges 5, 6)."""
        s = self.model.params
        self.attended_sessions += 1
        self.formed = self.planned = True
        lecture_days = days * s.didactic_share
        practice_days = days * (1 - s.didactic_share - s.informal_time_share / 2)
        self.knowledge += (1 - self.knowledge) * (1 - (1 - KNOWLEDGE_PER_LECTURE_DAY * (0.5 + s.expert_credibility))
                                                  ** lecture_days)
        self.capability += (1 - self.capability) * (
            1 - (1 - CAPABILITY_PER_PRACTICE_DAY * (0.5 + self.learning_ability) * (0.5 + s.change_support))
            ** max(0.0, practice_days))
        self.cohesion += (1 - self.cohesion) * (1 - (1 - COHESION_PER_TEAM_DAY) ** max(0.0, practice_days))
        self.motivation += 0.2 * s.expert_credibility * s.evidence_strength * (1 - self.motivation)

    def learn_from_peer(self, peer: Team) -> None:
        """Change spread: a peer's working changes become tested ideas here, more so for a narrow
        subject where teams work on comparable processes (paper, challenges 1 and 10); quality
        method spread: some of a more skilled peer's QI capability rubs off."""
        s = self.model.params
        self.capability += PEER_METHOD_TRANSFER * max(0.0, peer.capability - self.capability)
        adopted = {c.idea_id for c in self.changes}
        transfer = PEER_TESTED_BOOST * s.subject_specificity
        for change in peer.changes:
            if change.idea_id in adopted:
                continue
            self.peer_examples += 1
            idea = self.ideas.get(change.idea_id)
            if idea is None:
                idea = self.model.peer_idea(self, change)
                self.ideas[idea.idea_id] = idea
            elif idea.source != "peer":
                idea.quality += transfer * (1 - idea.quality)
                idea.source = "peer"

    def hear_peer_examples(self, examples: int) -> None:
        """Peers' examples build confidence (paper, challenge 6)."""
        s = self.model.params
        self.motivation += min(1.0, s.peer_example_effect * examples) * (1 - self.motivation)

    # ---- monthly reporting ----
    def monthly_report(self, month: int) -> None:
        """Collect this month's data (if the team manages to), see progress, update the IHI score.

        Paper, challenge 6: 'the strongest motivation and confidence comes from teams seeing
        improvements which they have made, which depends in part on them being able to measure'.
        """
        s = self.model.params
        rng = self.model.rng
        # Performance drifts for reasons outside the team's changes (case mix, staffing, season).
        self.drift += DRIFT_REVERSION * (1 - self.drift) + rng.normal(0.0, s.performance_drift_sd)
        self.drift = min(1 + DRIFT_LIMIT, max(1 - DRIFT_LIMIT, self.drift))
        self._changes_moved()
        if self.status == "dropped":
            return
        measured = (self.formed or self.using_qi) and rng.random() < 0.3 + 0.7 * self.data_capability
        if measured:
            self.measurements.append((month, self.performance * (1 + rng.normal(0.0, self.noise_sd))))
            if self.baseline_measured is None:
                self.baseline_measured = self.measurements[-1][1]
        progress = self.progress()
        if measured and self.active:
            seen = self.visible_progress(progress)
            if seen > 0:
                self.motivation += s.see_improvement_effect * min(1.0, seen) * (1 - self.motivation)
        self.months_at_half_goal = self.months_at_half_goal + 1 if progress is not None and progress >= 0.5 else 0
        self.months_at_goal = self.months_at_goal + 1 if progress is not None and progress >= 1.0 else 0
        self.ihi_score = ihi_score(self, progress)

    @property
    def noise_sd(self) -> float:
        """Relative noise of one measurement; it falls as the team's data capability grows."""
        return self.model.params.measurement_noise * (1 - 0.8 * self.data_capability)

    def visible_progress(self, progress: float | None) -> float:
        """Progress the team can tell from noise in its own data (as a run or control chart would),
        given its ``progress()`` this month.

        Paper, challenge 6: the strongest motivation 'comes from teams seeing improvements which
        they have made, which depends in part on them being able to measure progress'. A team
        credits only the progress beyond one standard error of its own measurement noise, so
        better data let it see more of what it has achieved.
        """
        if progress is None:
            return 0.0
        s = self.model.params
        goal_change = abs(s.target_ambition * (self.baseline - s.best_practice_performance))
        recent = min(3, len(self.measurements) - 1)
        band = self.noise_sd * abs(self.baseline) / goal_change * math.sqrt(1 / recent + 1)
        return max(0.0, progress - band)

    def progress(self) -> float | None:
        """Share of the team's goal reached, as its own recent data show it (None without data)."""
        if self.baseline_measured is None or len(self.measurements) < 2:
            return None
        month = self.measurements[-1][0]
        recent = [v for m, v in self.measurements[-3:] if month - m < 6]
        s = self.model.params
        goal_change = s.target_ambition * (self.baseline - s.best_practice_performance)
        return (self.baseline_measured - _mean(recent)) / goal_change
