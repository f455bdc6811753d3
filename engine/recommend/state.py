"""What the recommender needs to remember about one student, updated once per answer.

The service keeps one `StudentState` per student (rebuild it by replaying the response
log through `record`, or persist `to_dict()`); the recommender only reads it.

Decay model (forgetting). BKT's `forget` is P(known -> unknown) per opportunity. We
apply it not only after a response on the skill (as `engine.trace.update` does) but on
every opportunity the student spends elsewhere: after k answers on other skills,
P(known) = m * (1 - forget)^k, with no learning in between. Time is counted in
opportunities, not wall-clock time, so spacing is reproducible from the log alone. The
decay is applied lazily (when read or when the skill is next practised), so recording
an answer stays O(1) however many skills there are. With forget = 0 nothing decays and
`mastery` equals the plain BKT trace.

Besides the plain BKT mastery each skill keeps `paths`, the forward filter run twice:
once assuming the skill was known before the first answer and once assuming it was not
(joint probabilities of the answers and today's state, up to a common scale). Mixing the
two with any prior p gives exactly the BKT mastery that prior would have produced, and
their sums are the likelihood of the answers under each starting state. That is what
lets the recommender re-weigh a student's priors from their whole profile
(`engine.recommend.profile`) without replaying the log.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.params import SkillParams
from engine.trace import Belief, Update, update

FAIL_HISTORY = 32  # failure steps kept per skill; streaks longer than this count as this
CONTRADICTION_RUN = 3  # answers in a row whose evidence moved belief the wrong way


@dataclass(slots=True)
class SkillRecord:
    """One skill's history. `mastery` is P(known) right after `last_step`'s transition;
    `unknown` is P(unknown) carried beside it (see engine.trace.Belief), so a mastery that
    rounds to 1.0 can still fall; None (states saved before it existed) means 1 - mastery."""

    mastery: float
    last_step: int
    attempts: int = 0
    correct: int = 0
    correct_streak: int = 0
    fail_steps: list[int] = field(default_factory=list)  # steps of the current wrong run
    # P(answers, known now | known at start), P(answers, unknown now | known at start),
    # and the same two given unknown at start; scaled so the larger start sums to 1.
    paths: tuple[float, float, float, float] = (1.0, 0.0, 0.0, 1.0)
    unknown: float | None = None
    # The runtime self-check. An answer "goes against" the model when its evidence moves
    # P(known) the wrong way or not at all: a right answer that does not raise it (from
    # below 0.99), a wrong one that does not lower it (from above 0.01), judged on the
    # evidence itself (the item's likelihood ratio, before learning/forgetting), so sane
    # parameters (guess < 1 - slip) never do it. After CONTRADICTION_RUN such answers in
    # a row the skill's parameters contradict this student's evidence; the flag stays
    # until a replay under others.
    against: int = 0
    contradicted: bool = False
    # The lowest guess among the items answered right in the current right run (1.0 when
    # the run is empty): a run made only of guessable items (yes/no, two choices) is
    # weaker evidence than its BKT update shows when the skill's guess is misjudged.
    streak_min_guess: float = 1.0


def _decay_paths(
    paths: tuple[float, float, float, float], keep: float
) -> tuple[float, float, float, float]:
    kk, ku, uk, uu = paths
    return (kk * keep, ku + kk * (1.0 - keep), uk * keep, uu + uk * (1.0 - keep))


def _advance_paths(
    paths: tuple[float, float, float, float],
    correct: bool,
    guess: float,
    slip: float,
    learn: float,
    forget: float,
) -> tuple[float, float, float, float]:
    """One answer then one transition on both hypotheses about the starting state."""
    e_known = 1.0 - slip if correct else slip
    e_unknown = guess if correct else 1.0 - guess
    out = []
    for known, unknown in ((paths[0], paths[1]), (paths[2], paths[3])):
        k, u = known * e_known, unknown * e_unknown
        out.append(k * (1.0 - forget) + u * learn)
        out.append(k * forget + u * (1.0 - learn))
    scale = max(out[0] + out[1], out[2] + out[3])
    if scale <= 0.0:  # an impossible answer under both hypotheses: keep the belief
        return paths
    return (out[0] / scale, out[1] / scale, out[2] / scale, out[3] / scale)


def _four(values: Any) -> tuple[float, float, float, float]:
    a, b, c, d = (float(v) for v in values)
    return a, b, c, d


@dataclass
class StudentState:
    """Per-student practice history: BKT mastery, counts, streaks and item recency."""

    student_class: str | None = None
    step: int = 0  # answers recorded so far; the clock for recency and decay
    last_skill: str | None = None  # skill of the most recent answer
    run: int = 0  # answers in a row on last_skill
    skills: dict[str, SkillRecord] = field(default_factory=dict)
    item_seen: dict[str, int] = field(default_factory=dict)  # item -> step last answered

    def record(
        self, skill_id: str, item_id: str | None, correct: bool, params: SkillParams
    ) -> Update:
        """Observe one answer: decay the skill to now, then the O(1) BKT update."""
        rec = self.skills.get(skill_id)
        belief = self.belief(skill_id, params)
        up = update(params, belief, bool(correct), item_id)
        if rec is None:
            rec = SkillRecord(mastery=up.mastery, last_step=self.step)
            self.skills[skill_id] = rec
        else:
            elsewhere = self.step - rec.last_step - 1
            if params.forget > 0.0 and elsewhere > 0:
                rec.paths = _decay_paths(rec.paths, (1.0 - params.forget) ** elsewhere)
        rec.paths = _advance_paths(
            rec.paths,
            bool(correct),
            params.guess_for(item_id),
            params.slip_for(item_id),
            params.learn_for(item_id),
            params.forget_for(item_id),
        )
        rec.mastery = up.mastery
        rec.unknown = up.belief.unknown
        rec.last_step = self.step
        rec.attempts += 1
        before = belief.known / (belief.known + belief.unknown)
        guess, slip = params.guess_for(item_id), params.slip_for(item_id)
        if correct:
            # judged on the likelihood ratio, not on the posteriors: a belief of 1e-12
            # that a right answer quadruples still moves by less than any absolute tolerance
            wrong_way = before < 0.99 and 1.0 - slip <= guess * (1.0 + 1e-12)
            if rec.correct_streak == 0:
                rec.streak_min_guess = 1.0
            rec.streak_min_guess = min(rec.streak_min_guess, guess)
            rec.correct += 1
            rec.correct_streak += 1
            rec.fail_steps.clear()
        else:
            wrong_way = before > 0.01 and slip >= (1.0 - guess) * (1.0 - 1e-12)
            rec.correct_streak = 0
            rec.fail_steps.append(self.step)
            if len(rec.fail_steps) > FAIL_HISTORY:
                del rec.fail_steps[0]
        rec.against = rec.against + 1 if wrong_way else 0
        if rec.against >= CONTRADICTION_RUN:
            rec.contradicted = True
        if item_id is not None:
            self.item_seen[item_id] = self.step
        self.run = self.run + 1 if skill_id == self.last_skill else 1
        self.last_skill = skill_id
        self.step += 1
        return up

    def belief(self, skill_id: str, params: SkillParams) -> Belief:
        """Current (P(known), P(unknown)): the prior if never practised, else decayed
        since last practice."""
        rec = self.skills.get(skill_id)
        if rec is None:
            return Belief.of(params.prior_for(self.student_class))
        known = rec.mastery
        unknown = 1.0 - known if rec.unknown is None else rec.unknown
        elsewhere = self.step - rec.last_step - 1
        if params.forget > 0.0 and elsewhere > 0:
            keep = (1.0 - params.forget) ** elsewhere
            return Belief(known=known * keep, unknown=unknown + known * (1.0 - keep))
        return Belief(known=known, unknown=unknown)

    def mastery(self, skill_id: str, params: SkillParams) -> float:
        """Current P(known): the prior if never practised, else decayed since last practice."""
        return self.belief(skill_id, params).known

    def start_likelihoods(self, skill_id: str) -> tuple[float, float]:
        """(P(answers | known at start), P(answers | unknown at start)), common scale."""
        rec = self.skills.get(skill_id)
        if rec is None:
            return 1.0, 1.0
        kk, ku, uk, uu = rec.paths
        return kk + ku, uk + uu

    def mastery_with_prior(self, skill_id: str, params: SkillParams, prior: float) -> float:
        """Current P(known) had the skill's prior been `prior` (decayed like `mastery`)."""
        rec = self.skills.get(skill_id)
        if rec is None:
            return prior
        kk, ku, uk, uu = rec.paths
        elsewhere = self.step - rec.last_step - 1
        if params.forget > 0.0 and elsewhere > 0:
            kk, ku, uk, uu = _decay_paths(rec.paths, (1.0 - params.forget) ** elsewhere)
        den = prior * (kk + ku) + (1.0 - prior) * (uk + uu)
        return (prior * kk + (1.0 - prior) * uk) / den if den > 0.0 else prior

    def learned_in_session(self, skill_id: str, params: SkillParams, prior: float) -> float:
        """P(unknown before the first answer and known now), given `prior`."""
        rec = self.skills.get(skill_id)
        if rec is None:
            return 0.0
        kk, ku, uk, uu = rec.paths
        elsewhere = self.step - rec.last_step - 1
        if params.forget > 0.0 and elsewhere > 0:
            kk, ku, uk, uu = _decay_paths(rec.paths, (1.0 - params.forget) ** elsewhere)
        den = prior * (kk + ku) + (1.0 - prior) * (uk + uu)
        return (1.0 - prior) * uk / den if den > 0.0 else 0.0

    def opportunities_since(self, skill_id: str) -> int | None:
        """Answers on other skills since this one was last practised (None: never)."""
        rec = self.skills.get(skill_id)
        return None if rec is None else self.step - rec.last_step - 1

    def attempts(self, skill_id: str) -> int:
        rec = self.skills.get(skill_id)
        return 0 if rec is None else rec.attempts

    def correct_count(self, skill_id: str) -> int:
        rec = self.skills.get(skill_id)
        return 0 if rec is None else rec.correct

    def fail_streak(self, skill_id: str) -> int:
        rec = self.skills.get(skill_id)
        return 0 if rec is None else len(rec.fail_steps)

    def correct_streak(self, skill_id: str) -> int:
        rec = self.skills.get(skill_id)
        return 0 if rec is None else rec.correct_streak

    def failures_since(self, skill_id: str, step: int) -> int:
        """Wrong answers in the current streak on `skill_id` given after `step`."""
        rec = self.skills.get(skill_id)
        if rec is None:
            return 0
        return sum(1 for s in rec.fail_steps if s > step)

    def last_step(self, skill_id: str) -> int:
        """Step of the last answer on the skill, -1 if never practised."""
        rec = self.skills.get(skill_id)
        return -1 if rec is None else rec.last_step

    def to_dict(self) -> dict[str, Any]:
        return {
            "student_class": self.student_class,
            "step": self.step,
            "last_skill": self.last_skill,
            "run": self.run,
            "skills": {
                s: {
                    "mastery": r.mastery,
                    "last_step": r.last_step,
                    "attempts": r.attempts,
                    "correct": r.correct,
                    "correct_streak": r.correct_streak,
                    "fail_steps": list(r.fail_steps),
                    "paths": list(r.paths),
                    "unknown": r.unknown,
                    "against": r.against,
                    "contradicted": r.contradicted,
                    "streak_min_guess": r.streak_min_guess,
                }
                for s, r in self.skills.items()
            },
            "item_seen": dict(self.item_seen),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StudentState:
        try:
            skills = {
                str(s): SkillRecord(
                    mastery=float(r["mastery"]),
                    last_step=int(r["last_step"]),
                    attempts=int(r["attempts"]),
                    correct=int(r["correct"]),
                    correct_streak=int(r["correct_streak"]),
                    fail_steps=[int(x) for x in r["fail_steps"]],
                    paths=_four(r["paths"]),
                    unknown=None if r.get("unknown") is None else float(r["unknown"]),
                    against=int(r.get("against", 0)),
                    contradicted=bool(r.get("contradicted", False)),
                    streak_min_guess=float(r.get("streak_min_guess", 1.0)),
                )
                for s, r in data["skills"].items()
            }
            return cls(
                student_class=data.get("student_class"),
                step=int(data["step"]),
                last_skill=data.get("last_skill"),
                run=int(data.get("run", 0)),
                skills=skills,
                item_seen={str(k): int(v) for k, v in data["item_seen"].items()},
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"student state: malformed or missing field ({exc})") from None
