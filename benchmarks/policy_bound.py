"""How much could ANY belief-based policy save on Swiss-cheese students? An experiment.

    python -m benchmarks.policy_bound --students N --seed S [--json OUT] [--population P]

Runs, on exactly the students of `benchmarks.simulate_classroom` (same classroom, same
fitted tutor model, same per-student draws and per-attempt luck), mastery learning, our
recommender and the oracle, plus *informed* policies that know more than a deployment
could: the classroom's true per-skill guess/slip/learn, the student's true starting share
c, learning ability a and the prerequisite factor phi - everything of the generative model
except the hidden knowledge state itself. They track the posterior over the joint
knowledge state (`StateBelief`: the model's prior, every skill known independently with
probability c; each answer reweighs; each attempt on an unknown skill learns with
probability a * learn * phi ** gaps), so a lucky guess on a prerequisite is undone by the
dependent's failures as far as the evidence allows. It is exact up to a projection that
factors long-unpractised skills out of the joint when it grows (see `StateBelief`).

Informed policies (all choose one skill per answer, least recently seen item):

* informed_mastery: mastery learning in curriculum order (P(known) >= 0.95) on the
  posterior: what perfect inference alone is worth, with the usual order and stop rule.
* informed_deferred: curriculum order to a lower bar (0.85), then the least likely known
  skill until all reach 0.95: "defer confirming a skill that is probably learned" (free
  when it was; the episode ends at the last learning event).
* informed_useful: greedy on P(this attempt is useful) = P(unknown now) * E[phi ** gaps]:
  every attempt on an unknown skill with known prerequisites is needed anyway, every other
  one is waste; tests a prerequisite first when the dependent's gate is doubtful.
* informed_rate: greedy on P(unknown now and learns at this attempt) (= useful * learn).
* informed_lookahead: informed_rate plus one step of lookahead (the value of information:
  the best chance of teaching at the next answer given what this one reveals). Slow (about
  10 s per student); not in the default set, ask for it with --policies.

And, to split the gap to the oracle, policies told even the true STARTING state (not when
the student learns): told_start_mastery / _deferred / _useful. They are not belief-based
(no deployment can know the start); what they save over the informed ones is the price of
diagnosing the Swiss cheese.

An episode ends when every goal skill is truly known (as in simulate_classroom). The
informed policies show what a belief-based policy with a perfect model can reach under
this generative model: an empirical bound (these policies), not a proof of optimality.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from benchmarks.simulate_classroom import (
    CALIBRATION_STUDENTS,
    ROW_KEYS,
    _Job,
    _paired_ci,
    _policies,
    job_settings,
    sample_curriculum,
    summary_row,
    tutor_model,
)
from engine.recommend.baselines import Policy, goal_skills, least_recent_item
from engine.recommend.graph import SkillGraph
from engine.recommend.policy import Recommender
from engine.recommend.sim import (
    GRAPH_POPULATIONS,
    POPULATIONS,
    Classroom,
    Population,
    TrueState,
    draw_student,
    run_episode,
)
from engine.recommend.state import StudentState

STANDARD = ("mastery_learning", "recommender", "oracle")
INFORMED = (
    "informed_mastery",
    "informed_deferred",
    "informed_rate",
    "informed_useful",
    "informed_lookahead",
)
# Told even the starting state (not when the student learns): what is left once diagnosis
# is free. Not a belief-based policy any more; it splits the gap to the oracle in two.
TOLD_START = ("told_start_mastery", "told_start_deferred", "told_start_useful")
# Graph-consistent populations only: told the down-set the student came through but not
# its holes (each skill in it unknown with the population's hole rate, every other skill
# unknown). More than any diagnosis can find, less than told_start: the holes must still
# be found, one answer at least per skill that may hide one.
TOLD_DOWNSET = ("told_downset_mastery", "told_downset_deferred", "told_downset_useful")
POLICY_NAMES = STANDARD + INFORMED + TOLD_START + TOLD_DOWNSET
DEFAULT_POLICIES = tuple(p for p in POLICY_NAMES if p != "informed_lookahead")
BEAM = 2048  # joint states of the informed policies' posterior before projecting
KEEP_JOINT = 4  # ... onto the last this many practised skills and their prerequisites
SWEEP_BELOW = 1e-4  # informed_rate sweeps once no answer is likelier than this to teach


class Knowledge:
    """What the informed policies are told: the generative model minus the hidden state."""

    def __init__(
        self,
        graph: SkillGraph,
        classroom: Classroom,
        share: float,
        ability: float,
        prerequisite_factor: float,
        start: NDArray[np.bool_] | None = None,
        prior: NDArray[np.float64] | None = None,
    ) -> None:
        """`start`: the true starting state, for the told_start_* policies only; `prior`:
        P(known at start) per skill, for the told_downset_* policies only."""
        self.skills = graph.skills
        self.index = {s: i for i, s in enumerate(graph.skills)}
        self.pre = [
            np.array([self.index[p] for p in graph.prerequisites(s)], dtype=np.intp)
            for s in graph.skills
        ]
        truth = [classroom.truth[s] for s in graph.skills]
        self.guess = np.array([t.guess for t in truth])
        self.slip = np.array([t.slip for t in truth])
        self.rate = np.minimum(1.0, ability * np.array([t.learn for t in truth]))
        self.share = share
        self.phi = prerequisite_factor
        # P(known at start) per skill: c, or the truth (told_start_*: what is left is
        # only when the student learns).
        if prior is not None:
            self.prior = prior.astype(float)
        elif start is not None:
            self.prior = start.astype(float)
        else:
            self.prior = np.full(len(graph.skills), share)


class StateBelief:
    """The posterior over the joint knowledge state: distinct states of the skills in the
    joint (practised ones and their prerequisites) with their probabilities, times
    independent marginals for the rest (an untouched skill is exactly Bernoulli(c)). Each
    answer splits every state on the practised skill's transition (learnt / not learnt,
    both kept with their probabilities), reweighs by the answer's likelihood and merges
    equal states. States below `floor` of the total are dropped. When more than `beam`
    states remain, skills outside the neighbourhood of the last few practised ones are
    factored out of the joint into their marginals (a Boyen-Koller projection that keeps
    the recent, local correlations: a failing dependent and its prerequisites)."""

    def __init__(self, k: Knowledge, beam: int, floor: float = 1e-9) -> None:
        self.k = k
        self.beam = beam
        self.floor = floor
        n = len(k.skills)
        self.known = np.zeros((1, n), dtype=np.bool_)
        self.w = np.ones(1)
        self.touched = np.zeros(n, dtype=np.bool_)  # in the joint
        self.free = k.prior.copy()  # P(known) of the skills outside the joint
        self.recent: list[int] = []  # last distinct practised skills, newest last
        self.bits = np.left_shift(np.uint64(1), np.arange(n, dtype=np.uint64))

    def touch(self, skills: Sequence[int]) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
        """(states, weights) with `skills` split into known/unknown where still untouched."""
        known, w = self.known, self.w
        for j in skills:
            if self.touched[j]:
                continue
            yes = known.copy()
            yes[:, j] = True
            no = known.copy()
            no[:, j] = False
            known = np.concatenate([yes, no])
            f = self.free[j]
            w = np.concatenate([w * f, w * (1.0 - f)])
        return known, w

    def learn_chance(
        self, known: NDArray[np.bool_], i: int, touched: NDArray[np.bool_]
    ) -> NDArray[np.float64]:
        """Per state: P(an attempt on skill i now makes it known)."""
        k = self.k
        gate = np.ones(known.shape[0])
        for p in k.pre[i]:
            if touched[p]:
                gate = gate * np.where(known[:, p], 1.0, k.phi)
            else:
                gate = gate * (self.free[p] + (1.0 - self.free[p]) * k.phi)
        unknown = ~known[:, i] if touched[i] else np.full(known.shape[0], 1.0 - self.free[i])
        out: NDArray[np.float64] = unknown * k.rate[i] * gate
        return out

    def after(
        self, i: int, correct: bool
    ) -> tuple[NDArray[np.bool_], NDArray[np.float64], NDArray[np.bool_], float]:
        """(states, weights, touched, P(answer)) after an answer on skill i."""
        k = self.k
        touched = self.touched.copy()
        group = [i, *(int(p) for p in k.pre[i])]
        known, w = self.touch(group)
        touched[group] = True
        on = known[:, i]
        if correct:
            w = w * np.where(on, 1.0 - k.slip[i], k.guess[i])
        else:
            w = w * np.where(on, k.slip[i], 1.0 - k.guess[i])
        total = float(w.sum())
        chance = self.learn_chance(known, i, touched)
        learnt = known.copy()
        learnt[:, i] = True
        known = np.concatenate([learnt, known])
        w = np.concatenate([w * chance, w * (1.0 - chance)]) / total
        return (*self._merge(known, w), touched, total)

    def _merge(
        self, known: NDArray[np.bool_], w: NDArray[np.float64], cap: int = 1 << 20
    ) -> tuple[NDArray[np.bool_], NDArray[np.float64]]:
        keys = (known.astype(np.uint64) * self.bits).sum(axis=1)
        uniq, first, inv = np.unique(keys, return_index=True, return_inverse=True)
        merged = np.bincount(inv.ravel(), weights=w, minlength=uniq.size)
        keep = np.flatnonzero(merged > self.floor * merged.sum())
        if keep.size > cap:  # last resort (see _project): the most probable states
            keep = keep[np.argsort(-merged[keep], kind="stable")[:cap]]
        out_w = merged[keep]
        return known[first[keep]], out_w / out_w.sum()

    def observe(self, i: int, correct: bool) -> None:
        self.known, self.w, self.touched, _ = self.after(i, correct)
        if i in self.recent:
            self.recent.remove(i)
        self.recent = [*self.recent[-(KEEP_JOINT - 1) :], i]
        if self.w.size > self.beam:
            self._project()

    def _project(self) -> None:
        keep = np.zeros_like(self.touched)
        for j in self.recent:
            keep[j] = True
            keep[self.k.pre[j]] = True
        keep &= self.touched
        out = self.touched & ~keep
        self.free[out] = (self.w @ self.known)[out]
        self.touched = keep
        known = self.known & keep
        self.known, self.w = self._merge(known, self.w, cap=self.beam)

    def marginals(self) -> NDArray[np.float64]:
        out: NDArray[np.float64] = np.where(self.touched, self.w @ self.known, self.free)
        return out

    def teach_chances(
        self,
        w: NDArray[np.float64] | None = None,
        known: NDArray[np.bool_] | None = None,
        touched: NDArray[np.bool_] | None = None,
    ) -> NDArray[np.float64]:
        """Per skill: P(unknown now and learns at its next attempt)."""
        w = self.w if w is None else w
        known = self.known if known is None else known
        touched = self.touched if touched is None else touched
        return np.array(
            [float(w @ self.learn_chance(known, i, touched)) for i in range(len(self.k.skills))]
        )


class InformedPolicy:
    """Base: syncs the particle belief with the answers recorded in `state`."""

    name = "informed"

    def __init__(self, graph: SkillGraph, k: Knowledge, beam: int) -> None:
        self.graph = graph
        self.k = k
        self.belief = StateBelief(k, beam)
        self.scope = [k.index[s] for s in goal_skills(graph, None)]
        self.seen = 0

    def _sync(self, state: StudentState) -> None:
        if state.step == self.seen:
            return
        if state.step != self.seen + 1 or state.last_skill is None:
            raise ValueError("informed policies must see every answer, one at a time")
        rec = state.skills[state.last_skill]
        correct = not (rec.fail_steps and rec.fail_steps[-1] == state.step - 1)
        self.belief.observe(self.k.index[state.last_skill], correct)
        self.seen = state.step

    def next_item(self, state: StudentState) -> str:
        self._sync(state)
        i = self.choose(state)
        return least_recent_item(self.graph, state, self.k.skills[i])

    def choose(self, state: StudentState) -> int:
        raise NotImplementedError


class InformedMastery(InformedPolicy):
    name = "informed_mastery"
    threshold = 0.95

    def choose(self, state: StudentState) -> int:
        m = self.belief.marginals()
        for i in self.scope:
            if m[i] < self.threshold:
                return i
        return min(self.scope, key=lambda i: (m[i], state.last_step(self.k.skills[i])))


class InformedDeferred(InformedPolicy):
    """Mastery learning in curriculum order to a lower bar `first`, then the least likely
    known skill until every one reaches 0.95: confirmations of probably-learned and
    probably-known skills wait until nothing else is left (free when they were known)."""

    name = "informed_deferred"
    first = 0.85
    threshold = 0.95

    def choose(self, state: StudentState) -> int:
        m = self.belief.marginals()
        for i in self.scope:
            if m[i] < self.first:
                return i
        return min(
            self.scope, key=lambda i: (round(float(m[i]), 3), state.last_step(self.k.skills[i]))
        )


class InformedRate(InformedPolicy):
    name = "informed_rate"

    def scores(self) -> NDArray[np.float64]:
        b = self.belief
        return b.teach_chances(b.w, b.known)

    def choose(self, state: StudentState) -> int:
        score = self.scores()
        best = max(self.scope, key=lambda i: (score[i], -i))
        if score[best] > SWEEP_BELOW:
            return best
        # Nothing is likely to teach any more: check the least certain, least recent skill.
        m = self.belief.marginals()
        return min(
            self.scope, key=lambda i: (round(float(m[i]), 3), state.last_step(self.k.skills[i]))
        )


class InformedUseful(InformedRate):
    """Every attempt on an unknown skill whose prerequisites are known is one the student
    needs anyway (its learning draw is spent usefully); every other attempt is waste. So:
    the skill with the highest P(unknown now) * E[phi ** gaps], the chance this attempt
    is useful, whatever the skill's learn rate."""

    name = "informed_useful"

    def scores(self) -> NDArray[np.float64]:
        out: NDArray[np.float64] = self.belief.teach_chances() / self.k.rate
        return out


class InformedLookahead(InformedRate):
    """Value of skill i = P(teaches now) + E_answer[max_j P(teaches at the next answer)]."""

    name = "informed_lookahead"
    candidates = 8

    def scores(self) -> NDArray[np.float64]:
        b = self.belief
        now = b.teach_chances()
        m = b.marginals()
        # Candidates: the best by immediate chance plus the least certain skills (tests).
        scope = np.array(self.scope)
        by_now = scope[np.argsort(-now[scope], kind="stable")][: self.candidates]
        unsure = scope[np.argsort(-(m[scope] * (1 - m[scope])), kind="stable")][: self.candidates]
        out = np.full(now.shape, -1.0)
        for i in {int(x) for x in np.concatenate([by_now, unsure])}:
            value = float(now[i])
            for correct in (True, False):
                known, w, touched, p_answer = b.after(i, correct)
                value += p_answer * float(b.teach_chances(w, known, touched)[scope].max())
            out[i] = value
        return out


INFORMED_CLASSES: dict[str, type[InformedPolicy]] = {
    "informed_mastery": InformedMastery,
    "informed_deferred": InformedDeferred,
    "informed_rate": InformedRate,
    "informed_useful": InformedUseful,
    "informed_lookahead": InformedLookahead,
}


def student_share(seed: int, pop_index: int, i: int, population: Population) -> float:
    """The student's starting share c: the first draw of `draw_student`'s generator."""
    return float(
        np.random.default_rng([seed, pop_index, i]).uniform(
            population.known_low, population.known_high
        )
    )


def population_family(name: str) -> tuple[Population, ...]:
    """The populations `name` is drawn with: the tutor model is fitted on their mixture,
    as a school's log mixes its students (the Swiss-cheese set, or the graph-consistent
    set the service benchmark uses; a name in both is the Swiss-cheese set's)."""
    for family in (POPULATIONS, GRAPH_POPULATIONS):
        if any(p.name == name for p in family):
            return family
    raise ValueError(f"unknown population {name!r}")


def run(
    graph: SkillGraph,
    thresholds: dict[str, float],
    *,
    students: int,
    seed: int,
    population: str = "swiss_cheese",
    budget_per_skill: int = 6,
    cap_per_skill: int = 25,
    policies: Sequence[str] = DEFAULT_POLICIES,
    beam: int = BEAM,
    progress: Callable[[str], None] | None = None,
) -> tuple[list[dict[str, Any]], int]:
    """Rows per policy on one population, same students and tutor as simulate_classroom."""
    family = population_family(population)
    pop_index = next(n for n, p in enumerate(family) if p.name == population)
    pop = family[pop_index]
    n_goal = sum(1 for s in graph.skills if graph.items(s))
    budget, cap = budget_per_skill * n_goal, cap_per_skill * n_goal
    classroom = Classroom.draw(graph, np.random.default_rng([seed, 0xC1A55]))
    tutor = tutor_model(classroom, family, "fitted", CALIBRATION_STUDENTS, seed)
    assert tutor is not None
    settings = job_settings(thresholds)
    job = _Job(graph, classroom, family, seed, cap, settings, tutor)
    recommender = Recommender(
        graph, tutor.params, settings, random_state=seed, student_shift=tutor.student_shift
    )
    results: dict[str, list[tuple[int, bool, int]]] = {p: [] for p in policies}
    for i in range(students):
        student = draw_student(classroom, pop, np.random.default_rng([seed, pop_index, i]), cap)
        share = student_share(seed, pop_index, i, pop)
        factories = _policies(job, tutor.params, recommender, [seed, pop_index, i, 1])
        know = Knowledge(graph, classroom, share, student.ability, pop.prerequisite_factor)
        told = Knowledge(
            graph, classroom, share, student.ability, pop.prerequisite_factor, student.known
        )
        for name in policies:
            truth = TrueState(graph, student.known)
            policy: Policy
            if name in INFORMED_CLASSES:
                policy = INFORMED_CLASSES[name](graph, know, beam)
            elif name in TOLD_START:
                policy = INFORMED_CLASSES[name.replace("told_start", "informed")](graph, told, beam)
            elif name in TOLD_DOWNSET:
                if student.downset is None:
                    raise ValueError(f"{name} needs a graph-consistent population")
                seen_set = Knowledge(
                    graph,
                    classroom,
                    share,
                    student.ability,
                    pop.prerequisite_factor,
                    prior=np.where(student.downset, 1.0 - pop.holes, 0.0),
                )
                cls = INFORMED_CLASSES[name.replace("told_downset", "informed")]
                policy = cls(graph, seen_set, beam)
            else:
                policy = factories[name](truth)
            out = run_episode(classroom, pop, student, policy, tutor.params, truth, cap=cap)
            results[name].append((out.attempts, out.finished, out.overpractice))
        if progress and (i + 1) % 50 == 0:
            progress(f"{i + 1}/{students} students")
    rows = []
    for name in policies:
        mine = results[name]
        rows.append(
            summary_row(
                population,
                name,
                [r[0] for r in mine],
                [r[1] for r in mine],
                sum(r[2] for r in mine),
                budget,
                seed,
            )
        )
    return rows, budget


def saving_vs_mastery(
    rows: list[dict[str, Any]], seed: int
) -> dict[str, tuple[float, float, float]]:
    """Per policy: % fewer attempts than mastery learning, with a paired 95% interval."""
    by = {r["policy"]: r for r in rows}
    ml = by.get("mastery_learning")
    if ml is None:
        return {}
    out = {}
    for name, r in by.items():
        saving = 100.0 * (1.0 - r["mean_attempts"] / ml["mean_attempts"])
        lo, hi = _paired_ci(
            r["per_student"],
            ml["per_student"],
            lambda a, b: 100.0 * (1.0 - a.mean(axis=1) / b.mean(axis=1)),
            seed,
        )
        out[name] = (saving, lo, hi)
    return out


def format_rows(rows: list[dict[str, Any]], seed: int) -> str:
    savings = saving_vs_mastery(rows, seed)
    head = (
        f"{'policy':<20}{'mean attempts':>14}{'95% CI':>18}{'in budget':>11}"
        f"{'overpractice':>14}{'vs mastery learning (95% CI)':>32}"
    )
    lines = [head, "-" * len(head)]
    for r in rows:
        ci = f"[{r['ci_low']:.1f}, {r['ci_high']:.1f}]"
        s = savings.get(r["policy"])
        vs = f"{s[0]:+.1f}% [{s[1]:+.1f}, {s[2]:+.1f}]" if s else ""
        lines.append(
            f"{r['policy']:<20}{r['mean_attempts']:>14.1f}{ci:>18}"
            f"{r['pct_mastered_in_budget']:>10.1f}%{r['overpractice_pct']:>13.1f}%{vs:>32}"
        )
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m benchmarks.policy_bound", description=__doc__)
    ap.add_argument("--students", type=int, default=500)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--json", type=Path, help="write the rows here")
    names = dict.fromkeys(p.name for p in (*POPULATIONS, *GRAPH_POPULATIONS))
    ap.add_argument("--population", choices=list(names), default="swiss_cheese")
    ap.add_argument(
        "--policies", default=",".join(DEFAULT_POLICIES), help=f"comma-separated of {POLICY_NAMES}"
    )
    ap.add_argument("--beam", type=int, default=BEAM, help="joint states kept")
    args = ap.parse_args(argv)
    policies = [p for p in args.policies.split(",") if p]
    unknown = sorted(set(policies) - set(POLICY_NAMES))
    if unknown:
        ap.error(f"unknown policies {unknown}; choose from {POLICY_NAMES}")
    if args.students < 1 or args.beam < 2:
        ap.error("--students must be >= 1 and --beam >= 2")
    t0 = time.perf_counter()
    graph, thresholds = sample_curriculum()
    rows, budget = run(
        graph,
        thresholds,
        students=args.students,
        seed=args.seed,
        population=args.population,
        policies=policies,
        beam=args.beam,
        progress=lambda msg: print(msg, file=sys.stderr, flush=True),
    )
    print(
        f"{args.population}: {args.students} students, seed {args.seed}, budget {budget} "
        f"answers, beam {args.beam} joint states"
    )
    print(format_rows(rows, args.seed))
    print(f"{time.perf_counter() - t0:.1f}s")
    if args.json:
        keys = (*ROW_KEYS, "unfinished")
        savings = saving_vs_mastery(rows, args.seed)
        out = [
            {**{k: r[k] for k in keys}, "saving_vs_mastery_pct": savings.get(r["policy"])}
            for r in rows
        ]
        args.json.write_text(json.dumps(out, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
