"""Effective mastery: each skill's own BKT belief adjusted by evidence from its neighbours.

BKT traces every skill alone; a prerequisite graph says more. The recommender assumes
what the classroom simulator also assumes: while a prerequisite B of C is unknown, C is
learnt more slowly, with probability kappa * learn(C) per attempt instead of learn(C)
(kappa = `slowdown`). Two soft-evidence adjustments follow, both one cheap pass and both
reported, so a teacher can see why a belief moved:

* Support (success flows down). If the student has learnt C during practice, that was
  1/kappa times likelier with B known than without, so B's odds are multiplied by
  (1/kappa) ** (implication * P(C learnt in session)) for every such dependent C.
  P(C learnt in session) = P(unknown before C's first answer and known now), from the
  two-start BKT filter; a skill the student already knew on arrival lends nothing (in a
  "Swiss cheese" class knowing C says little about B), nor does one still being learnt.
  `implication` in [0, 1] scales the evidence (0 switches support off).

* Suspicion (failure flows down to the weakest prerequisite). Each further failure on C
  is evidence against its weakest prerequisite B with likelihood ratio
  (1 - learn) / (1 - kappa * learn): the chance of "still not learnt" under each
  hypothesis. Only C's current wrong run since B was last practised counts (practising B
  re-tests it, so older failures are spent), and the first failure, expected either way,
  does not.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from engine.params import SkillParams
from engine.recommend.graph import SkillGraph
from engine.recommend.profile import ProfileView
from engine.recommend.state import StudentState


@dataclass(frozen=True, slots=True)
class Beliefs:
    """Per-skill beliefs for one student at one moment (all maps cover every skill)."""

    priors: Mapping[str, float]  # the student's priors (calibrated from the profile)
    own: Mapping[str, float]  # BKT mastery under those priors, decayed for forgetting
    effective: Mapping[str, float]  # after support and suspicion
    supported: Mapping[str, float]  # after support only
    suspected_by: Mapping[str, str]  # prerequisite -> the failing skill that raised suspicion


def _odds_to_p(odds: float) -> float:
    return odds / (1.0 + odds)


def compute_beliefs(
    graph: SkillGraph,
    params: Mapping[str, SkillParams],
    state: StudentState,
    view: ProfileView,
    *,
    implication: float,
    slowdown: float,
) -> Beliefs:
    """Support from learnt dependents, then suspicion from failing ones.

    `view` holds the student's (calibrated, see profile.py) priors and own BKT beliefs,
    aligned with `graph.skills`.
    """
    skills = graph.skills
    priors = dict(zip(skills, view.priors, strict=True))
    own = dict(zip(skills, view.own, strict=True))
    supported = dict(own)
    if implication > 0.0 and 0.0 < slowdown < 1.0:
        step = implication * -math.log(slowdown)
        for s, learned in zip(skills, view.learned, strict=True):
            if learned <= 1e-9:
                continue
            lift = math.exp(step * learned)
            for b in graph.prerequisites(s):
                p = supported[b]
                if 0.0 < p < 1.0:
                    supported[b] = _odds_to_p(p / (1.0 - p) * lift)
    effective = dict(supported)
    suspected_by: dict[str, str] = {}
    factor: dict[str, float] = {}
    for c, rec in sorted(state.skills.items()):  # one order whatever the storage's
        if len(rec.fail_steps) < 2 or c not in graph:
            continue
        pres = graph.prerequisites(c)
        if not pres:
            continue
        weakest = min(pres, key=supported.__getitem__)  # prerequisites are in curriculum order
        since = state.last_step(weakest)  # -1 if never practised: every failure counts
        n = sum(1 for step in rec.fail_steps if step > since)
        if n < 2:
            continue
        learn = params[c].learn
        ratio = (1.0 - learn) / (1.0 - slowdown * learn) if learn < 1.0 else 0.0
        f = ratio ** (n - 1)
        if f < factor.get(weakest, 1.0):
            factor[weakest] = f
            suspected_by[weakest] = c
    for b, f in factor.items():
        p = supported[b]
        effective[b] = _odds_to_p(p / (1.0 - p) * f) if p < 1.0 else 1.0

    return Beliefs(
        priors=priors, own=own, effective=effective, supported=supported, suspected_by=suspected_by
    )
