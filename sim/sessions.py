"""What teams take home from a learning session, over the arrays of every attending team.

Paper, challenge 5: 'gaining knowledge is relatively easy; much more difficult to learn how to
apply' -- lectures build knowledge, supervised practice and time as a team build capability and
cohesion; challenge 6: credible experts with good evidence, and peers' stories, build motivation;
challenge 4: senior leaders need engaging again, not only at sign-up.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sim.agents import CAPABILITY_PER_PRACTICE_DAY, COHESION_PER_TEAM_DAY, KNOWLEDGE_PER_LECTURE_DAY

if TYPE_CHECKING:
    from sim.model import CollaborativeModel


def learn_at_session(model: CollaborativeModel, attending: np.ndarray, days: float) -> None:
    """Learn at a session: lectures build knowledge, practice and team time build capability
    and cohesion, credible experts with good evidence build motivation (challenges 5, 6)."""
    s = model.params
    t = model.team_states
    t.attended_sessions += attending
    t.formed |= attending
    t.planned |= attending
    lecture_days = days * s.didactic_share
    practice_days = max(0.0, days * (1 - s.didactic_share - s.informal_time_share / 2))
    knowledge_gain = 1 - (1 - KNOWLEDGE_PER_LECTURE_DAY * (0.5 + s.expert_credibility)) ** lecture_days
    t.knowledge += attending * knowledge_gain * (1 - t.knowledge)
    practice = CAPABILITY_PER_PRACTICE_DAY * (0.5 + t.learning_ability) * (0.5 + s.change_support)
    t.capability += attending * (1 - (1 - practice) ** practice_days) * (1 - t.capability)
    t.cohesion += attending * (1 - (1 - COHESION_PER_TEAM_DAY) ** practice_days) * (1 - t.cohesion)
    t.motivation += attending * (0.2 * s.expert_credibility * s.evidence_strength) * (1 - t.motivation)


def re_engage(model: CollaborativeModel, attending: np.ndarray) -> None:
    """At a learning session an engagement plan brings senior leaders of attending teams back towards
    full support."""
    plan = model.params.senior_engagement_plan
    o = model.organisation_states
    n = len(attending)
    engagement = o.senior_engagement[:n]
    engagement += attending * (plan * 0.8) * np.maximum(0.0, o.senior_support[:n] - engagement)


def hear_peer_examples(model: CollaborativeModel, attending: np.ndarray, examples: np.ndarray) -> None:
    """Peers' examples heard at a meeting build confidence (paper, challenge 6)."""
    t = model.team_states
    effect = np.minimum(1.0, model.params.peer_example_effect * examples)
    t.motivation += attending * effect * (1 - t.motivation)
