"""Learning sessions: what teams learn when they meet (challenges 5 and 6).

Paper, challenge 5: 'gaining knowledge is relatively easy; much more difficult to learn how to
apply' -- a session's lectures build knowledge, its supervised practice and time as a team build
capability and cohesion; the more of a session is lectures, the less practice is left (and
informal time between teams takes from practice too). Challenge 6: credible, briefed experts with
good evidence behind them motivate. Each day closes a share of the gap to full knowledge,
capability or cohesion. The final congress teaches nothing; at every meeting teams also meet each
other (:mod:`sim.modules.peer_exchange`).
"""

from __future__ import annotations

import numpy as np

from qicsim.sim.module import Module, Par, around_average, define_pars, define_states, gained, team_state
from qicsim.sim.populations import COMPLETED
from qicsim.sim.sources import ASSUMPTION, KEPT, PAPER


class LearningSessions(Module):
    """Teaching at each learning session for the teams still in."""

    name = "learning_sessions"
    section = "sessions"
    pars = define_pars(
        Par("didactic_share", 0.5, unit="share of session time",
            source=f"{PAPER}, challenge 5: some organisers 'compressed too many didactic presentations'",
            doc="share of learning-session time spent on lectures rather than practice and team time", ge=0,
            le=1, prior=(0.1, 0.9)),
        Par("informal_time_share", 0.15, unit="share of session time",
            source=f"{PAPER}, challenge 5: 'much know-how is transferred' informally",
            doc="share of session time for informal contact between teams", ge=0, le=0.5, prior=(0.0, 0.4)),
        Par("informal_time_from_practice", 0.5, unit="share", source=KEPT,
            doc="share of the informal time that is taken from practice (the rest from lectures' breaks)",
            ge=0, le=1, prior=(0.0, 1.0)),
        Par("expert_credibility", 0.7, unit="0-1", section="roles",
            source=f"{PAPER}, challenges 3 and 6: credible, briefed experts motivate",
            doc="credibility and briefing of faculty experts", ge=0, le=1, prior=(0.2, 1.0)),
        Par("knowledge_per_lecture_day", 0.15, unit="share of gap per day", source=KEPT,
            doc="share of the gap to full knowledge a day of lectures from middling experts closes", ge=0, le=1,
            prior=(0.05, 0.3)),
        Par("expert_credibility_effect", 1.0, unit="per unit", section="roles", source=f"{KEPT}; {PAPER}, challenge 3",
            doc="how much the experts' credibility raises what lectures teach (1 at middling credibility)",
            ge=0, le=2, prior=(0.0, 2.0)),
        Par("capability_per_practice_day", 0.05, unit="share of gap per day",
            source=f"{KEPT}; {PAPER}, challenge 5: 'much more difficult to learn how to apply'",
            doc="share of the gap to full capability a day of supervised practice closes for an average learner",
            ge=0, le=1, prior=(0.01, 0.15)),
        Par("cohesion_per_team_day", 0.04, unit="share of gap per day", source=f"{KEPT}; {PAPER}: success factor 1",
            doc="share of the gap to full cohesion a day working as a team at a session closes", ge=0, le=1,
            prior=(0.01, 0.1)),
        Par("virtual_practice_share", 0.5, unit="share", source=f"{ASSUMPTION}: supervised practice and team work "
            "in video breakout rooms give less than in a room together (no controlled comparison found)",
            doc="share of a session's practice and team time a virtual session (session_format: virtual) is worth",
            ge=0, le=1, prior=(0.2, 0.9)),
        Par("expert_inspiration", 0.2, unit="share of gap", section="motivation",
            source=f"{KEPT}; {PAPER}, challenge 6: credible experts motivate",
            doc="share of the gap to full motivation a session by fully credible experts on full evidence closes",
            ge=0, le=1, prior=(0.0, 0.4)),
    )
    states = define_states(
        team_state("attended_sessions", 0, "learning sessions the team attended", int),
    )
    reads = ("status", "learning_ability")
    writes = ("attended_sessions", "formed", "planned", "knowledge", "capability", "cohesion", "motivation")

    def init(self) -> None:
        p = self.p
        self.practice_share = max(0.0, 1 - p.didactic_share - p.informal_time_from_practice * p.informal_time_share)
        if p.session_format == "virtual":
            self.practice_share *= p.virtual_practice_share
        self.inspiration = p.expert_inspiration * p.expert_credibility * p.evidence_strength
        self.practice_rate = p.capability_per_practice_day * around_average(p.change_support, p.change_support_effect)

    def meeting(self, days: float, teaching: bool) -> None:
        if not teaching:
            return
        p, t = self.p, self.model.team_states
        present = np.flatnonzero(t.status < COMPLETED)
        lecture_days = days * p.didactic_share
        practice_days = days * self.practice_share
        per_lecture_day = p.knowledge_per_lecture_day * around_average(p.expert_credibility,
                                                                       p.expert_credibility_effect)
        per_practice_day = self.practice_rate * around_average(t.learning_ability[present], p.learning_ability_effect)
        t.attended_sessions[present] += 1
        t.formed[present] = True
        t.planned[present] = True
        t.knowledge[present] += gained(over_days(per_lecture_day, lecture_days), t.knowledge[present])
        t.capability[present] += gained(over_days(per_practice_day, practice_days), t.capability[present])
        t.cohesion[present] += gained(over_days(p.cohesion_per_team_day, practice_days), t.cohesion[present])
        t.motivation[present] += gained(self.inspiration, t.motivation[present])


def over_days(share_per_day, days: float):
    """The share of a gap closed over ``days`` days when each day closes ``share_per_day`` of what is left."""
    return 1.0 - (1.0 - share_per_day) ** days
