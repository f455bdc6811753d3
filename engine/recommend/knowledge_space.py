"""What a student knew on arrival, inferred over the knowledge states the graph allows.

Knowledge space theory (Doignon & Falmagne; ALEKS) takes the prerequisite graph
seriously: a student who knows a skill knows what it builds on, so the feasible
knowledge states are the down-sets of the graph (a set closed under prerequisites).
The sample curriculum's 32 skills allow only 8,081 of them (against 2**32 sets), so
the posterior over every state can be computed exactly on each answer.

Model of the start state K (one bit per skill):

* a down-set D is drawn from prior weights pi(D);
* skill s is known iff s is in D, except for holes: a skill inside D is unknown with
  probability `holes` ("Swiss cheese"), and a skill outside D is known anyway with
  probability `beyond` (knowledge picked up elsewhere). So P(K_s = 1 | D) is
  1 - holes inside D and `beyond` outside.
* pi is the maximum-entropy distribution over down-sets whose implied per-skill
  marginals P(K_s = 1) equal the model's BKT priors (iterative scaling, one weight per
  skill). With no answers the recommender therefore starts from exactly the BKT priors.

Evidence: each practised skill's answers enter through their likelihood under "known
at start" and "unknown at start" (the two-start BKT filter of `StudentState.paths`,
which accounts for learning during practice). The posterior over states gives every
skill a calibrated prior that leaves its own answers out; its BKT filter then turns
that prior into today's belief, as `engine.recommend.profile` does with a one-number
student shift. A right answer on an advanced skill thus lifts everything below it
(but never above 1 - holes: each skill still needs an answer of its own), and a failure
on a basic one lowers everything built on it.

Cost per answer: two matrix-vector products over (states x practised skills) and
(states x skills), well under a millisecond for the sample. Curricula whose graph
allows more than `cap` states use the one-number profile instead (`build` returns None).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np
from numpy.typing import NDArray

from engine.params import SkillParams
from engine.recommend.graph import SkillGraph
from engine.recommend.profile import Practised, ProfileView, practised, view_under
from engine.recommend.state import StudentState

DEFAULT_CAP = 20_000
HOLES = 0.08
BEYOND = 0.02
_EPS = 1e-6


def down_sets(graph: SkillGraph, cap: int = DEFAULT_CAP) -> NDArray[np.bool_] | None:
    """Every down-set of the graph as a (states, skills) boolean matrix, columns in
    `graph.skills` order; None when there are more than `cap`."""
    order = list(graph.order)
    pos = {s: i for i, s in enumerate(order)}
    pre = [[pos[p] for p in graph.prerequisites(s)] for s in order]
    col = [graph.skills.index(s) for s in order]
    n = len(order)
    rows: list[list[bool]] = []
    chosen = [False] * n

    def walk(i: int) -> bool:
        if len(rows) > cap:
            return False
        if i == n:
            row = [False] * n
            for j, c in enumerate(chosen):
                row[col[j]] = c
            rows.append(row)
            return True
        if not walk(i + 1):
            return False
        if all(chosen[p] for p in pre[i]):
            chosen[i] = True
            ok = walk(i + 1)
            chosen[i] = False
            if not ok:
                return False
        return True

    if n > 500 or not walk(0) or len(rows) > cap:  # n bounds the recursion depth
        return None
    return np.array(rows, dtype=np.bool_).reshape(len(rows), n)


class KnowledgeSpace:
    """The start-state model for one graph, parameter set and (holes, beyond)."""

    def __init__(
        self,
        graph: SkillGraph,
        states: NDArray[np.bool_],
        params: Mapping[str, SkillParams],
        holes: float = HOLES,
        beyond: float = BEYOND,
        iterations: int = 100,
    ) -> None:
        if not (0.0 <= beyond < 1.0 - holes <= 1.0):
            raise ValueError(f"need 0 <= beyond < 1 - holes, got holes={holes}, beyond={beyond}")
        self.skills: tuple[str, ...] = tuple(graph.skills)
        self.index = {s: i for i, s in enumerate(self.skills)}
        self.params = params
        self.holes = float(holes)
        self.beyond = float(beyond)
        self.states = states.astype(np.float64)
        self._forget = np.array([params[s].forget for s in self.skills], dtype=np.float64)
        self.log_prior = self._fit_weights(iterations)

    def _fit_weights(self, iterations: int) -> NDArray[np.float64]:
        """Log weights of the max-entropy state distribution matching the BKT priors."""
        a = self.states
        inside, outside = 1.0 - self.holes, self.beyond
        q = np.array([self.params[s].prior for s in self.skills], dtype=np.float64)
        target = np.clip((q - outside) / (inside - outside), 1e-4, 1.0 - 1e-4)
        logit_target = np.log(target / (1.0 - target))
        beta = np.zeros(len(self.skills))
        lw = np.zeros(a.shape[0])
        for _ in range(iterations):
            worst = 0.0
            for j in range(len(self.skills)):  # one coordinate at a time: exact for it
                w = np.exp(lw - lw.max())
                m = float(np.clip(a[:, j] @ w / w.sum(), 1e-12, 1.0 - 1e-12))
                step = float(logit_target[j] - math.log(m / (1.0 - m)))
                beta[j] += step
                lw += step * a[:, j]
                worst = max(worst, abs(step))
            if worst < 1e-4:
                break
        out: NDArray[np.float64] = lw - lw.max()
        return out

    def marginals(self) -> NDArray[np.float64]:
        """P(known at start) per skill with no answers (equals the priors, up to clipping)."""
        w = np.exp(self.log_prior)
        inside = self.states.T @ w / w.sum()
        out: NDArray[np.float64] = self.beyond + (1.0 - self.holes - self.beyond) * inside
        return out

    def _answers(
        self, state: StudentState
    ) -> tuple[Practised, NDArray[np.float64], NDArray[np.float64]]:
        """Practised skills, and their answers' log-likelihoods inside/outside a state."""
        done = practised(self.index, state)
        l1, l0 = done.l1, done.l0
        inside, outside = 1.0 - self.holes, self.beyond
        a_in = np.log(np.maximum(inside * l1 + (1.0 - inside) * l0, 1e-300))
        a_out = np.log(np.maximum(outside * l1 + (1.0 - outside) * l0, 1e-300))
        return done, a_in, a_out

    def log_evidence(self, state: StudentState) -> float:
        """log P(the student's answers) under this model, up to a per-student constant
        that does not depend on (holes, beyond): for comparing those by likelihood."""
        done, a_in, a_out = self._answers(state)
        rows = done.rows
        if rows.size == 0:
            return 0.0
        ll = self.log_prior + self.states[:, rows] @ (a_in - a_out) + a_out.sum()
        top = float(ll.max())
        prior_top = float(self.log_prior.max())
        norm = prior_top + math.log(float(np.exp(self.log_prior - prior_top).sum()))
        return top + math.log(float(np.exp(ll - top).sum())) - norm

    def evaluate(self, state: StudentState) -> ProfileView:
        """Calibrated priors (leave-own-answers-out) and BKT beliefs under them."""
        n = len(self.skills)
        inside, outside = 1.0 - self.holes, self.beyond
        done, a_in, a_out = self._answers(state)
        rows = done.rows
        if rows.size == 0:
            values = self.marginals().tolist()
            return ProfileView(values, list(values), [0.0] * n)
        loglik = self.log_prior + self.states[:, rows] @ (a_in - a_out)
        w = np.exp(loglik - loglik.max())
        w_in = self.states.T @ w  # posterior mass of states containing each skill
        w_out = w.sum() - w_in
        # leave each practised skill's own answers out: divide its factor back out
        own_in = np.zeros(n)
        own_out = np.zeros(n)
        own_in[rows] = a_in
        own_out[rows] = a_out
        top = np.maximum(own_in, own_out)
        s_in = w_in * np.exp(top - own_in)
        s_out = np.maximum(w_out, 0.0) * np.exp(top - own_out)
        den = s_in + s_out
        priors = np.where(
            den > 0.0, (inside * s_in + outside * s_out) / np.maximum(den, 1e-300), 0.5
        )
        priors = np.clip(priors, _EPS, 1.0 - _EPS)
        return view_under(priors, priors[rows], done, self._forget)


def build(
    graph: SkillGraph,
    params: Mapping[str, SkillParams],
    holes: float = HOLES,
    beyond: float = BEYOND,
    cap: int = DEFAULT_CAP,
) -> KnowledgeSpace | None:
    """The knowledge-space model, or None when the graph allows more than `cap` states."""
    states = down_sets(graph, cap)
    if states is None:
        return None
    return KnowledgeSpace(graph, states, params, holes, beyond)


def fit_holes(
    graph: SkillGraph,
    params: Mapping[str, SkillParams],
    states: Sequence[StudentState],
    holes: Sequence[float] = (0.02, 0.05, 0.08, 0.12, 0.2),
    beyond: Sequence[float] = (0.01, 0.02, 0.05, 0.1),
    cap: int = DEFAULT_CAP,
) -> tuple[float, float] | None:
    """Empirical Bayes for the student body: the (holes, beyond) pair under which the
    logged students' answers are likeliest (marginal likelihood over states), or None
    when the graph is too large or nobody has answered yet."""
    matrix = down_sets(graph, cap)
    if matrix is None:
        return None
    best: tuple[float, float] | None = None
    best_ll = -math.inf
    for h in holes:
        for b in beyond:
            if not b < 1.0 - h:
                continue
            space = KnowledgeSpace(graph, matrix, params, h, b)
            ll = sum(space.log_evidence(s) for s in states)
            if math.isfinite(ll) and ll > best_ll:
                best_ll, best = ll, (h, b)
    return best if best_ll > -math.inf else None
