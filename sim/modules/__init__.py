"""The model's mechanisms, one module a concept of the paper, and the order they act in.

:data:`MODULES` is the whole order of the model: each week the model calls every module's
``step`` in this order, at each meeting every ``meeting``, at each month's end every ``month_end``
(and ``init`` once, in this order, when a run is built). To add a mechanism, write a module
(docs/extending.md) and put it in this list where it belongs.
"""

from __future__ import annotations

from qicsim.sim.module import Module
from qicsim.sim.modules.action_period import ActionPeriod
from qicsim.sim.modules.benchmarking import Benchmarking
from qicsim.sim.modules.change_package import ChangePackage
from qicsim.sim.modules.coaching import Coaching
from qicsim.sim.modules.continued_qi import ContinuedQI
from qicsim.sim.modules.costs import Costs
from qicsim.sim.modules.dropout import Dropout
from qicsim.sim.modules.enrolment import Enrolment
from qicsim.sim.modules.group_calls import GroupCalls
from qicsim.sim.modules.institutionalisation import Institutionalisation
from qicsim.sim.modules.leadership_turnover import LeadershipTurnover
from qicsim.sim.modules.learning_sessions import LearningSessions
from qicsim.sim.modules.measurement import Measurement
from qicsim.sim.modules.motivation import Motivation
from qicsim.sim.modules.online_forum import OnlineForum
from qicsim.sim.modules.pdsa_cycles import PDSACycles
from qicsim.sim.modules.peer_exchange import PeerExchange
from qicsim.sim.modules.prework import Prework
from qicsim.sim.modules.senior_engagement import SeniorEngagement
from qicsim.sim.modules.spread import Spread
from qicsim.sim.modules.traditional_project import TraditionalProject

MODULES: tuple[type[Module], ...] = (
    Enrolment,             # who takes part (challenge 2; the five success factors)
    ChangePackage,         # the faculty's change ideas (challenge 1)
    SeniorEngagement,      # senior leaders' engagement fades unless renewed (challenge 4)
    LeadershipTurnover,    # leaders leave; successors take over (challenges 3, 4)
    ContinuedQI,           # after the end: teams keep using QI, or stop (challenge 9)
    Prework,               # pre-work builds the team and its data (challenge 4)
    TraditionalProject,    # the comparator organises and diagnoses (refs 8, 9)
    ActionPeriod,          # who tests this week, with what support (challenges 3, 8)
    PDSACycles,            # rapid tests of change ideas
    Motivation,            # motivation drifts to the team's own level (challenge 6)
    Dropout,               # teams leave before the end
    Institutionalisation,  # changes are built into systems, or erode (challenge 9)
    Costs,                 # the week's, meeting's and month's costs and benefits
    LearningSessions,      # teaching at sessions (challenge 5)
    PeerExchange,          # ties between teams and what they carry (challenges 5, 6, 10)
    Measurement,           # the monthly report: drift, data, progress seen, IHI score (challenges 6, 7)
    Benchmarking,          # component: comparative data feedback (challenges 6, 7)
    Coaching,              # component: an improvement adviser's calls and site visits (challenges 3, 4, 6)
    GroupCalls,            # component: calls for all teams between sessions (challenge 10)
    OnlineForum,           # component: a forum for sharing changes (challenge 10)
    Spread,                # beyond the participants (challenge 10)
)
"""Every module, in the order it acts."""

__all__ = ["MODULES", *(module.__name__ for module in MODULES)]
