"""Simulated students on a skill graph: a generative model to compare policies on.

Generative model (all draws seeded; no I/O):

* Classroom (one per run): for every skill, true guess ~ U(0.10, 0.30), slip ~
  U(0.05, 0.15) and base learn rate ~ U(0.10, 0.30). Items of a skill are exchangeable
  (the item a policy picks does not change the outcome), except that an item may have a
  guess floor (`item_guess_floor`: a multiple-choice item with k choices is guessed
  right at least 1/k of the time): its true guess is max(skill guess, floor).
* Student: a share c ~ U(lo, hi) of skills already known at the start and a learning
  ability a ~ LogNormal(0, sd). How the known skills lie on the graph is the
  population's `structure`:
  - "independent" ("Swiss cheese"): each skill known independently with probability c,
    so advanced skills can be known over gaps below;
  - "graph" (knowledge consistent with the prerequisite graph, as students who came
    through the curriculum have it): the student's own learning order is a topological
    order of the graph that strays from the curriculum order by Normal(0, order_noise)
    positions (Kahn's algorithm on noisy curriculum positions); the first round(c * n)
    skills of it are known, so everything below a known skill is known; then each known
    skill is a hole (unknown after all) with probability `holes`.
  Populations differ in (lo, hi), structure, holes and the prerequisite factor phi.
* One attempt on skill s: if s is known the answer is correct with prob. 1 - slip(s),
  else with prob. guess(s). If s was unknown it then becomes known with probability
  min(1, a * learn(s) * phi ** u), u = number of direct prerequisites of s not known at
  that moment: learning is much slower while prerequisites are missing (phi = 0.2), or
  hardly slower at all (phi = 0.9). No forgetting (forget = 0): the end point
  "every goal skill known" is then reached once and stays reached.
* The tutor's model (what every policy is given): ONE per-skill BKT parameter set for
  the whole student body, as a deployment has. `fit_tutor_model` simulates a calibration
  cohort from the mixed classroom (equal shares of every population) working through a
  worksheet (`CALIBRATION_ANSWERS_PER_SKILL` answers per skill in curriculum order, the
  log of the tutor that ran before this one: no parameters needed to produce it and no
  stop rule to censor it) and fits per-skill BKT (prior, learn, guess, slip; forget 0)
  with our own seeded EM (`engine.fit.BKTFitter`). The tutor therefore does not know
  which population a student comes from, nor c, a, phi or the true state; its parameters
  carry ordinary estimation error and average over prerequisite states and populations.
  The same cohort gives the student body's distribution of the student-level prior shift
  (`engine.recommend.profile.fit_shift`), which our recommender uses to calibrate each
  student's priors from their own answers; the baselines have no use for it.
  `Classroom.mixture_params` (true guess/slip/learn, prior = the mixture's mean share) and
  `Classroom.tutor_params(population)` (prior = that population's mean share: the tutor
  is told who the student is, which no deployment is) are kept for comparison.

Common random numbers: each student's k-th attempt on skill s uses the same two uniforms
(answer, learning) whichever policy is being run, so policies are compared on the same
students with the same luck.

An episode ends when every goal skill (and every prerequisite of one) is known, or at
the cap; `attempts` counts answers until then (the cap if never).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
from numpy.typing import NDArray

from engine.fit import BKTFitter
from engine.params import SkillParams
from engine.recommend.baselines import Policy, goal_skills, least_recent_item
from engine.recommend.graph import SkillGraph
from engine.recommend.profile import ShiftDistribution, fit_shift
from engine.recommend.state import StudentState
from engine.responses import Responses


@dataclass(frozen=True, slots=True)
class TrueSkill:
    learn: float
    guess: float
    slip: float


Structure = Literal["independent", "graph"]


@dataclass(frozen=True, slots=True)
class Population:
    """Who the students are: starting share of known skills, how it lies on the graph
    (`structure`, `holes`, `order_noise`, see the module docstring) and how much missing
    prerequisites slow learning (`prerequisite_factor`)."""

    name: str
    known_low: float
    known_high: float
    prerequisite_factor: float
    ability_sd: float = 0.25
    structure: Structure = "independent"
    holes: float = 0.0
    order_noise: float = 3.0

    def __post_init__(self) -> None:
        if not 0.0 <= self.known_low <= self.known_high <= 1.0:
            raise ValueError(f"population {self.name!r}: need 0 <= known_low <= known_high <= 1")
        if not 0.0 <= self.prerequisite_factor <= 1.0:
            raise ValueError(f"population {self.name!r}: prerequisite_factor must be in [0, 1]")
        if self.ability_sd < 0.0:
            raise ValueError(f"population {self.name!r}: ability_sd must be >= 0")
        if self.structure not in ("independent", "graph"):
            raise ValueError(
                f"population {self.name!r}: structure must be 'independent' or 'graph', "
                f"got {self.structure!r}"
            )
        if not 0.0 <= self.holes <= 1.0:
            raise ValueError(f"population {self.name!r}: holes must be in [0, 1]")
        if not self.order_noise >= 0.0:
            raise ValueError(f"population {self.name!r}: order_noise must be >= 0")

    @property
    def mean_known(self) -> float:
        """Mean starting share of known skills (before holes)."""
        return 0.5 * (self.known_low + self.known_high)


POPULATIONS: tuple[Population, ...] = (
    Population("novices", known_low=0.0, known_high=0.1, prerequisite_factor=0.2),
    Population("swiss_cheese", known_low=0.3, known_high=0.9, prerequisite_factor=0.2),
    Population("weak_prerequisites", known_low=0.0, known_high=0.1, prerequisite_factor=0.9),
)

# Students whose knowledge follows the prerequisite graph, with a few holes: what a school
# running the curriculum mostly sees (the service benchmark's populations, with novices).
GRAPH_POPULATIONS: tuple[Population, ...] = (
    Population("graph_half", 0.35, 0.65, prerequisite_factor=0.2, structure="graph", holes=0.08),
    Population("graph_most", 0.75, 0.95, prerequisite_factor=0.2, structure="graph", holes=0.08),
    Population("novices", known_low=0.0, known_high=0.1, prerequisite_factor=0.2),
)


@dataclass(frozen=True)
class Classroom:
    """A skill graph with the true per-skill parameters of its students, and the items
    whose true guess is raised by a floor (multiple choice)."""

    graph: SkillGraph
    truth: dict[str, TrueSkill]
    item_guess_floor: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def draw(
        cls,
        graph: SkillGraph,
        rng: np.random.Generator,
        item_guess_floor: Mapping[str, float] | None = None,
    ) -> Classroom:
        truth = {
            s: TrueSkill(
                learn=float(rng.uniform(0.10, 0.30)),
                guess=float(rng.uniform(0.10, 0.30)),
                slip=float(rng.uniform(0.05, 0.15)),
            )
            for s in graph.skills
        }
        return cls(graph=graph, truth=truth, item_guess_floor=dict(item_guess_floor or {}))

    def guess(self, skill: str, item: str | None) -> float:
        """True P(correct | unknown) on this item of the skill."""
        g = self.truth[skill].guess
        if item is None:
            return g
        return max(g, self.item_guess_floor.get(item, 0.0))

    def tutor_params(self, population: Population) -> dict[str, SkillParams]:
        """True guess/slip/learn, prior = this population's mean share (an oracle on who)."""
        return self._with_prior(population.mean_known)

    def mixture_params(self, populations: Sequence[Population]) -> dict[str, SkillParams]:
        """True guess/slip/learn, prior = the equal mixture's mean starting share."""
        return self._with_prior(float(np.mean([p.mean_known for p in populations])))

    def _with_prior(self, share: float) -> dict[str, SkillParams]:
        prior = min(max(share, 1e-3), 1.0 - 1e-3)
        return {
            s: SkillParams(prior=prior, learn=t.learn, guess=t.guess, slip=t.slip)
            for s, t in self.truth.items()
        }


def starting_shares(
    classroom: Classroom, populations: Sequence[Population], students: int, seed: int
) -> dict[str, float]:
    """Per skill, the share of an equal mixture of `populations` that knows it on arrival
    (Monte Carlo over `students` draws, seeded)."""
    rng = np.random.default_rng(seed)
    graph = classroom.graph
    counts = np.zeros(len(graph.skills))
    for i in range(students):
        counts += draw_student(classroom, populations[i % len(populations)], rng, 1).known
    return dict(zip(graph.skills, (counts / max(students, 1)).tolist(), strict=True))


def generating_params(
    classroom: Classroom, populations: Sequence[Population], students: int = 4000, seed: int = 0
) -> dict[str, SkillParams]:
    """The BKT parameters that generate the classroom's answers, as well as BKT can say it:
    true guess/slip/learn (learn with every prerequisite known), item guess floors, and the
    mixture's starting share as the prior."""
    shares = starting_shares(classroom, populations, students, seed)
    out = {}
    for s, t in classroom.truth.items():
        floors = {
            it.item_id: classroom.item_guess_floor[it.item_id]
            for it in classroom.graph.items(s)
            if classroom.item_guess_floor.get(it.item_id, 0.0) > t.guess
        }
        out[s] = SkillParams(
            prior=min(max(shares[s], 0.01), 0.99),
            learn=t.learn,
            guess=t.guess,
            slip=t.slip,
            item_guess=floors,
        )
    return out


@dataclass(frozen=True)
class Student:
    known: NDArray[np.bool_]  # starting state, indexed like graph.skills
    ability: float
    answer_u: NDArray[np.float64]  # (skills, cap): uniform for the k-th attempt's answer
    learn_u: NDArray[np.float64]  # (skills, cap): uniform for the k-th attempt's learning
    # "graph" structure: the down-set the student came through, before its holes (what
    # an exact diagnosis of the knowledge space could find; the holes stay hidden).
    downset: NDArray[np.bool_] | None = None


def draw_student(
    classroom: Classroom, population: Population, rng: np.random.Generator, cap: int
) -> Student:
    n = len(classroom.graph.skills)
    share = rng.uniform(population.known_low, population.known_high)
    downset: NDArray[np.bool_] | None = None
    if population.structure == "independent":
        known = rng.random(n) < share
    else:
        downset = _graph_consistent(classroom.graph, population, share, rng)
        holes = rng.random(n) < population.holes
        known = downset & ~holes
    ability = float(np.exp(rng.normal(0.0, population.ability_sd)))
    return Student(
        known=known,
        ability=ability,
        answer_u=rng.random((n, cap)),
        learn_u=rng.random((n, cap)),
        downset=downset,
    )


def _graph_consistent(
    graph: SkillGraph, population: Population, share: float, rng: np.random.Generator
) -> NDArray[np.bool_]:
    """The first round(share * n) skills of a noisy topological order (holes come later)."""
    n = len(graph.skills)
    index = {s: i for i, s in enumerate(graph.skills)}
    key = np.arange(n, dtype=np.float64) + population.order_noise * rng.normal(size=n)
    pending = {s: len(graph.prerequisites(s)) for s in graph.skills}
    ready = [s for s in graph.skills if pending[s] == 0]
    order: list[str] = []
    while ready:
        s = min(ready, key=lambda x: key[index[x]])
        ready.remove(s)
        order.append(s)
        for d in graph.dependents(s):
            pending[d] -= 1
            if pending[d] == 0:
                ready.append(d)
    known = np.zeros(n, dtype=np.bool_)
    for s in order[: round(share * n)]:
        known[index[s]] = True
    return known


CALIBRATION_ANSWERS_PER_SKILL = 8


def worksheet_log(
    classroom: Classroom,
    population: Population,
    student: Student,
    per_skill: int = CALIBRATION_ANSWERS_PER_SKILL,
) -> tuple[list[str], list[bool]]:
    """(skill, correct) of one student doing `per_skill` answers per skill in curriculum
    order, under the same generative step as `run_episode` (first draws of the student)."""
    graph = classroom.graph
    if per_skill > student.answer_u.shape[1]:
        raise ValueError(f"per_skill {per_skill} exceeds the student's draws per skill")
    idx = {s: i for i, s in enumerate(graph.skills)}
    known = [bool(k) for k in student.known]
    phi = population.prerequisite_factor
    skills: list[str] = []
    answers: list[bool] = []
    for s in graph.order:
        if not graph.items(s):
            continue
        i = idx[s]
        ts = classroom.truth[s]
        pre = [idx[p] for p in graph.prerequisites(s)]
        for k in range(per_skill):
            if known[i]:
                correct = student.answer_u[i, k] < 1.0 - ts.slip
            else:
                correct = student.answer_u[i, k] < ts.guess
                gaps = sum(1 for j in pre if not known[j])
                if student.learn_u[i, k] < student.ability * ts.learn * phi**gaps:
                    known[i] = True
            skills.append(s)
            answers.append(bool(correct))
    return skills, answers


def calibration_cohort(
    classroom: Classroom,
    populations: Sequence[Population],
    per_population: int,
    rng: np.random.Generator,
    per_skill: int = CALIBRATION_ANSWERS_PER_SKILL,
) -> list[tuple[list[str], list[bool]]]:
    """The worksheet logs of `per_population` students from each population, in turn."""
    logs = []
    for population in populations:
        for _ in range(per_population):
            drawn = draw_student(classroom, population, rng, per_skill)
            logs.append(worksheet_log(classroom, population, drawn, per_skill))
    return logs


@dataclass(frozen=True)
class TutorModel:
    """What a deployment knows: per-skill BKT and the student body's prior-shift spread."""

    params: dict[str, SkillParams]
    student_shift: ShiftDistribution | None  # None: the settings' Normal default


def fit_tutor_model(
    classroom: Classroom,
    populations: Sequence[Population],
    per_population: int,
    rng: np.random.Generator,
    restarts: int = 3,
) -> TutorModel:
    """One model for everybody, fitted on a calibration cohort of the mixed classroom:
    per-skill BKT by seeded EM, then the distribution of the student-level prior shift
    (`engine.recommend.profile.fit_shift`) under those parameters."""
    logs = calibration_cohort(classroom, populations, per_population, rng)
    correct = [int(a) for _, answers in logs for a in answers]
    skill = [s for skills, _ in logs for s in skills]
    student = [str(n) for n, (skills, _) in enumerate(logs) for _ in skills]
    cohort = Responses.from_columns(correct, skill, student)
    seed = int(rng.integers(2**31))
    fitted = BKTFitter(restarts=restarts, random_state=seed, n_jobs=1).fit(cohort).params_
    graph = classroom.graph
    missing = [s for s in graph.skills if graph.items(s) and s not in fitted.skills]
    if missing:
        raise ValueError(f"calibration cohort too small to fit skill(s) {missing}")
    params = dict(fitted.skills)
    for s, t in classroom.truth.items():  # skills without items are never answered
        params.setdefault(s, SkillParams(prior=0.5, learn=t.learn, guess=t.guess, slip=t.slip))
    states = []
    for skills, answers in logs:
        state = StudentState()
        for s, a in zip(skills, answers, strict=True):
            state.record(s, None, a, params[s])
        states.append(state)
    return TutorModel(params, fit_shift(graph.skills, params, states))


class Learner:
    """One simulated student answering items one at a time (the service benchmark's and the
    demo's students): the same generative step as `run_episode`, item by item, for code that
    drives a real service instead of a policy object."""

    def __init__(self, classroom: Classroom, population: Population, student: Student) -> None:
        graph = classroom.graph
        self.classroom = classroom
        self.population = population
        self.student = student
        self.index = {s: i for i, s in enumerate(graph.skills)}
        self.known = [bool(k) for k in student.known]
        self.known_at_start = tuple(self.known)
        self.tries = [0] * len(graph.skills)
        self._pre = [[self.index[p] for p in graph.prerequisites(s)] for s in graph.skills]

    def knows(self, skill: str) -> bool:
        return self.known[self.index[skill]]

    def missing(self, skills: Iterable[str]) -> list[str]:
        """The skills (of `skills`) not known yet."""
        return [s for s in skills if not self.known[self.index[s]]]

    def answer(self, skill: str, item: str | None) -> bool:
        """Answer one item of `skill` (correct or not), then maybe learn the skill."""
        i = self.index[skill]
        k = self.tries[i]
        if k >= self.student.answer_u.shape[1]:
            raise ValueError(f"student has no more draws for skill {skill!r} (cap {k})")
        self.tries[i] = k + 1
        truth = self.classroom.truth[skill]
        if self.known[i]:
            return bool(self.student.answer_u[i, k] < 1.0 - truth.slip)
        correct = bool(self.student.answer_u[i, k] < self.classroom.guess(skill, item))
        gaps = sum(1 for j in self._pre[i] if not self.known[j])
        rate = self.student.ability * truth.learn * self.population.prerequisite_factor**gaps
        if self.student.learn_u[i, k] < rate:
            self.known[i] = True
        return correct


class TrueState:
    """The hidden truth during an episode. Only the oracle policy may read it."""

    def __init__(self, graph: SkillGraph, known: NDArray[np.bool_]) -> None:
        self.index = {s: i for i, s in enumerate(graph.skills)}
        self.known = [bool(k) for k in known]

    def is_known(self, skill: str) -> bool:
        return self.known[self.index[skill]]


@dataclass(frozen=True, slots=True)
class Outcome:
    attempts: int  # answers until every goal skill was known (the cap if never)
    finished: bool
    overpractice: int  # answers on skills that were already known at the time
    unknown_at_start: int  # goal skills (with prerequisites) not known at the start


def run_episode(
    classroom: Classroom,
    population: Population,
    student: Student,
    policy: Policy,
    params: dict[str, SkillParams],
    truth: TrueState,
    goal: Iterable[str] | None = None,
    cap: int | None = None,
) -> Outcome:
    """Let `policy` teach `student` until the goal is truly mastered or `cap` answers."""
    graph = classroom.graph
    limit = student.answer_u.shape[1] if cap is None else cap
    if limit > student.answer_u.shape[1]:
        raise ValueError(f"cap {limit} exceeds the {student.answer_u.shape[1]} draws per skill")
    idx = truth.index
    scope = {idx[s] for s in goal_skills(graph, goal)}
    known = truth.known
    pre = [[idx[p] for p in graph.prerequisites(s)] for s in graph.skills]
    skill_names = graph.skills
    true = [classroom.truth[s] for s in skill_names]
    phi = population.prerequisite_factor
    ability = student.ability
    tries = [0] * len(skill_names)
    answer_u, learn_u = student.answer_u, student.learn_u
    missing = sum(1 for i in scope if not known[i])
    unknown_at_start = missing
    state = StudentState()
    over = 0
    t = 0
    while missing and t < limit:
        item = policy.next_item(state)
        skill = graph.skill_of(item)
        i = idx[skill]
        k = tries[i]
        tries[i] = k + 1
        ts = true[i]
        if known[i]:
            over += 1
            correct = answer_u[i, k] < 1.0 - ts.slip
        else:
            correct = answer_u[i, k] < classroom.guess(skill, item)
            gaps = sum(1 for j in pre[i] if not known[j])
            if learn_u[i, k] < ability * ts.learn * phi**gaps:
                known[i] = True
                if i in scope:
                    missing -= 1
        state.record(skill, item, bool(correct), params[skill])
        t += 1
    return Outcome(
        attempts=t if not missing else limit,
        finished=not missing,
        overpractice=over,
        unknown_at_start=unknown_at_start,
    )


class OraclePolicy:
    """Knows the truth: always the first unknown goal skill in curriculum order.

    Its prerequisites are then known, so it never over-practises; a yardstick for tests.
    """

    name = "oracle"

    def __init__(
        self, graph: SkillGraph, truth: TrueState, goal: Sequence[str] | None = None
    ) -> None:
        self.graph = graph
        self.truth = truth
        self.skills = goal_skills(graph, goal)

    def next_item(self, state: StudentState) -> str:
        for s in self.skills:
            if not self.truth.is_known(s):
                return least_recent_item(self.graph, state, s)
        return least_recent_item(self.graph, state, self.skills[0])
