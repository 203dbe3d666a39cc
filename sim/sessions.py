"""What happens when the teams meet: a learning session (or the final congress), in one compiled pass.

Paper, challenge 5: 'gaining knowledge is relatively easy; much more difficult to learn how to
apply' -- lectures build knowledge, supervised practice and time as a team build capability and
cohesion; challenge 6: credible experts with good evidence, and peers' stories, build motivation;
challenge 4: senior leaders need engaging again, not only at sign-up. At every meeting teams who
meet may start working together (more with informal time and less lecturing, challenge 5), tied
teams seek each other out, and each pair that talks learns both ways (:func:`sim.exchange.learn`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from numba import njit

from sim.agents import CAPABILITY_PER_PRACTICE_DAY, COHESION_PER_TEAM_DAY, KNOWLEDGE_PER_LECTURE_DAY
from sim.costs import meeting_costs
from sim.draws import take_uniforms
from sim.exchange import PEER_TESTED_BOOST, learn
from sim.ideas import idea_arrays
from sim.network import TeamTies
from sim.states import COMPLETED, organisation_arrays, team_arrays

if TYPE_CHECKING:
    from sim.model import CollaborativeModel


def meeting(model: CollaborativeModel, days: float, learning: bool) -> None:
    """The teams still in meet for ``days``: a learning session (``learning``: with its teaching and
    senior re-engagement) or the final congress; its costs are booked."""
    s = model.params
    t = model.team_states
    n = t.size
    attending = int(np.count_nonzero(t.status < COMPLETED))
    model.ledger.add_costs(meeting_costs(s, days, attending), model.week)
    lecture_days = days * s.didactic_share
    practice_days = max(0.0, days * (1 - s.didactic_share - s.informal_time_share / 2))
    knowledge_gain = 1 - (1 - KNOWLEDGE_PER_LECTURE_DAY * (0.5 + s.expert_credibility)) ** lecture_days
    model.draws.ensure(n * (n - 1))  # two per pair of teams
    _meeting(learning, *model.draws.arrays, t.arrays, model.organisation_states.blocks[0], model.ideas.arrays,
             model.ideas.count, model.ties.strength, knowledge_gain, practice_days,
             CAPABILITY_PER_PRACTICE_DAY * (0.5 + s.change_support), 0.2 * s.expert_credibility * s.evidence_strength,
             s.senior_engagement_plan * 0.8, TeamTies.formation_chance(s), s.peer_example_effect,
             PEER_TESTED_BOOST * s.subject_specificity, s.own_idea_quality, s.subject_specificity)


@njit(cache=True)
def _meeting(learning, uniforms, normals, cursor, team_blocks, organisations, idea_blocks, count, strength,
             knowledge_gain, practice_days, practice_rate, inspiration, re_engagement, formation_chance,
             peer_example_effect, boost, own_idea_quality, subject_specificity):  # pragma: no cover - compiled
    """The meeting's pass (see the module): teams still in attend. At a learning session lectures build
    knowledge (``knowledge_gain`` of its gap), practice days capability (``practice_rate`` a day, more
    for teams that learn well) and cohesion, credible experts with good evidence motivation
    (``inspiration``), and an engagement plan brings senior leaders back towards full support. Then
    every pair of attending teams may form a tie (``formation_chance``) and talks if it did, or with
    the chance of its tie's strength; pairs that talk learn both ways, one pair after another; the
    peers' examples a team heard build its confidence. Reads two uniforms per pair of attending teams."""
    t = team_arrays(*team_blocks)
    n = t.status.shape[0]
    o = organisation_arrays(organisations, n)
    ideas = idea_arrays(*idea_blocks)
    present = (t.status < COMPLETED).nonzero()[0]
    if learning:
        cohesion_gain = 1.0 - (1.0 - COHESION_PER_TEAM_DAY) ** practice_days
        for i in present:
            t.attended_sessions[i] += 1
            t.formed[i] = True
            t.planned[i] = True
            t.knowledge[i] += knowledge_gain * (1.0 - t.knowledge[i])
            practice = practice_rate * (0.5 + t.learning_ability[i])
            t.capability[i] += (1.0 - (1.0 - practice) ** practice_days) * (1.0 - t.capability[i])
            t.cohesion[i] += cohesion_gain * (1.0 - t.cohesion[i])
            t.motivation[i] += inspiration * (1.0 - t.motivation[i])
            o.senior_engagement[i] += re_engagement * max(0.0, o.senior_support[i] - o.senior_engagement[i])
    m = present.shape[0]
    draws = take_uniforms(uniforms, cursor, m * (m - 1))
    heard = np.zeros(n, dtype=np.int64)
    k = 0
    for x in range(m):
        for y in range(x + 1, m):
            a, b = present[x], present[y]
            formed = draws[2 * k] < formation_chance
            if formed:
                strength[a, b] = strength[b, a] = 1.0
            if formed or draws[2 * k + 1] < strength[a, b]:
                learn(a, b, heard, t.capability, ideas, count, boost, own_idea_quality, subject_specificity)
                learn(b, a, heard, t.capability, ideas, count, boost, own_idea_quality, subject_specificity)
            k += 1
    for i in present:
        t.peer_examples[i] += heard[i]
        t.motivation[i] += min(1.0, peer_example_effect * heard[i]) * (1.0 - t.motivation[i])
