"""An online forum where teams post the changes that worked and read each other's.

Collaboratives often add an online space for sharing (an extranet, a listserv, a community site;
Nadeem et al. 2013 list it among the common components). Unlike a tie, a forum does not need teams
to know each other: in a month, a team still in reads the forum with a chance
``forum_use_per_month`` and takes up the changes of one other team that has posted some -- a peer's
working change becomes a proven idea, as in :func:`sim.modules.peer_exchange.learn` (paper, challenge
10: spreading changes between teams). Posts stay up: every team that has adopted a change has posted
it, including teams that have since left (they adopt nothing after leaving); whose post a reader picks
is drawn at random.

Nothing happens when ``online_forum`` is off (the default). Costs: the platform and its moderation
each month the collaborative runs (``forum``).
"""

from __future__ import annotations

import numpy as np

from qicsim.sim.module import Module, Par, define_pars
from qicsim.sim.modules.peer_exchange import learn
from qicsim.sim.modules.support import collaborative_month
from qicsim.sim.sources import ASSUMPTION, PAPER

DRAWS_PER_TEAM = 2
"""Each month: whether the team reads the forum, and whose post it takes up."""


class OnlineForum(Module):
    """Each month, teams that read the forum take up a posting team's changes."""

    name = "online_forum"
    section = "components"
    pars = define_pars(
        Par("online_forum", False, unit="yes/no", kind="design",
            source="Nadeem et al. 2013, Milbank Q: online sharing is a common collaborative component; "
                   "assumption: none by default",
            doc="an online forum for sharing changes while the collaborative runs"),
        Par("forum_use_per_month", 0.15, unit="probability/month",
            source=f"{ASSUMPTION}; {PAPER}, challenge 10",
            doc="chance that a team still in reads the forum in a month and takes up a posting team's changes",
            ge=0, le=1, prior=(0.0, 0.4)),
        Par("forum_cost_per_month", 1500.0, unit="currency/month", section="costs", kind="design",
            source="assumption: a hosted platform and a few hours of moderation a month",
            doc="the forum's platform and moderation", ge=0, le=1e6),
    )
    reads = ("status", "adopted", "capability")
    writes = ("peer_examples", "capability", "quality", "source", "tries", "at_hand", "found", "ideas_found")

    def month_end(self, month: int) -> None:
        p, model = self.p, self.model
        if not p.online_forum:
            return
        present, months = collaborative_month(model, month)
        if not present.size:
            return
        reading = min(1.0, p.forum_use_per_month * months)
        t, ideas = model.team_states, model.ideas
        draws = self.draws.uniforms(DRAWS_PER_TEAM * t.size).reshape(t.size, DRAWS_PER_TEAM)
        posting = np.flatnonzero(ideas.matrix.adopted[:, : ideas.count].any(axis=1))
        heard = np.zeros((t.size, t.size), np.int64)  # no tie: counted in peer_examples, not in model.ties.carried
        for i in present:
            others = posting[posting != i]
            if draws[i, 0] < reading and others.size:
                learn(i, others[int(draws[i, 1] * others.size)], t.record, ideas.matrix.record, ideas.count,
                      model.pars, heard)
        t.peer_examples[:] += heard.sum(axis=1)
        model.ledger.add_costs({"forum": p.forum_cost_per_month * months}, model.week)
