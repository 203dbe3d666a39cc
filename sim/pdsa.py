"""Plan-do-study-act: the teams' test cycles of one week, compiled (numba) because they are many.

A team tests its most promising idea at hand -- or, with none left, an idea of its own. The chance
that the test works is set by the idea's quality, the team's practised capability, its knowledge
and data skills, amplified by a supportive culture and engaged management (paper, challenge 8:
'management and a supportive culture amplifies these capabilities'). Every test builds skill; a
success adopts a change and encourages the team; a failure lowers its hope in the idea, which it
sets aside after ``MAX_TRIES`` failures.

Random numbers come from the model's numpy generator, drawn before the compiled loop (which draws
nothing), so a run stays reproducible seed for seed. The week's loop over the teams is in
:mod:`sim.weekly`; a team's cycles of one week are :func:`cycles`.
"""

from __future__ import annotations

import math

from numba import njit

from sim.ideas import OWN

MAX_TRIES = 3
"""Failed tests after which a team sets an idea aside."""
FAILURE_DOUBT = 0.85
"""Factor on a team's hope in an idea after a test of it failed: the idea may not fit here."""


@njit(cache=True)
def cycles(i, tests, draws, idea_noise, week, in_period, t, o, ideas, count, learning_per_test, own_quality,
           own_effect):  # pragma: no cover - compiled
    """Team ``i`` runs ``tests`` PDSA cycles one after another (``draws[k]``: whether test k works;
    ``idea_noise[k]``: a standard normal for the effect of an idea of its own). ``t``, ``o`` and
    ``ideas``: the teams', organisations' and ideas' arrays by name (:mod:`sim.states`,
    :mod:`sim.ideas`). Returns the number of idea ids in use (a new idea of the team's own takes the
    next one)."""
    quality, at_hand, found = ideas.quality, ideas.at_hand, ideas.found
    for k in range(tests):
        # the most promising idea at hand (among equals, the one the team has had longest)
        j = -1
        best = -1.0
        for c in range(count):
            if at_hand[i, c] and (quality[i, c] > best or (quality[i, c] == best and found[i, c] < found[i, j])):
                j = c
                best = quality[i, c]
        if j < 0:
            # none left: an idea of the team's own, better with capability, no peer testing behind it
            j = count
            count += 1
            ideas.effect[j] = min(0.9, own_effect * math.exp(-0.125 + 0.5 * idea_noise[k]))
            quality[i, j] = min(0.95, own_quality * (0.5 + t.capability[i]))
            ideas.source[i, j] = OWN
            ideas.tries[i, j] = 0
            at_hand[i, j] = True
            found[i, j] = ideas.found_count[i]
            ideas.found_count[i] += 1
        skill = 0.6 * t.capability[i] + 0.1 * t.knowledge[i] + 0.3 * t.data_capability[i]
        context = 0.5 * (o.qi_culture[i] + o.senior_engagement[i])
        p = min(0.95, quality[i, j] * (0.2 + 0.8 * skill) * (0.3 + context))
        t.tests_run[i] += 1
        t.capability[i] += (learning_per_test * (0.5 + t.learning_ability[i]) * (0.5 + 0.5 * t.knowledge[i])
                            * (1.0 - t.capability[i]))
        if draws[k] < p:
            at_hand[i, j] = False
            ideas.adopted[i, j] = True
            ideas.in_use[i, j] = 1.0
            ideas.institutionalisation[i, j] = 0.0
            if in_period:
                t.successes_in_period[i] += 1
            if math.isnan(t.first_result_week[i]):
                t.first_result_week[i] = week
            t.motivation[i] += 0.03 * (1.0 - t.motivation[i])
        else:
            ideas.tries[i, j] += 1
            quality[i, j] *= FAILURE_DOUBT
            if ideas.tries[i, j] >= MAX_TRIES:
                at_hand[i, j] = False
            t.motivation[i] -= 0.01 * t.motivation[i]
    return count
