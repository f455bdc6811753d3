"""The next-item recommender: fill prerequisite gaps, then learn at the frontier.

Each call reads the student's effective mastery of every skill (own BKT belief under a
profile-calibrated prior, adjusted along the graph: profile.py, evidence.py), classifies
the skills in scope (the goal skills and everything they build on) and ranks candidates:

1. gap      - a struggling skill C (`struggle_streak` wrong in a row, low mastery after
              `struggle_attempts`, or wheel-spinning: `wheel_spin_attempts` without mastery)
              with an unmastered prerequisite: the weakest one, or further down while that
              one is itself locked, until it is mastered;
2. return   - C again, once the prerequisites practised since C's last failure are mastered;
3. review   - a mastered skill whose mastery has decayed below `review_threshold`;
4. frontier / practice - unlocked, unmastered skills (every prerequisite at least
              `unlock_threshold` likely known), ranked by the chance this attempt teaches
              it: (1 - mastery) * learn * prod(prerequisite mastery), doubled for the skill
              just answered wrongly (keep going while learning). Ranking by the chance of
              learning leaves "almost there" confirmations for later, when they are least
              likely to be needed;
5. review   - quick checks of mastered skills (alternatives, or all that is left when
              everything in scope is mastered), by 1 - mastery: the likeliest hidden gap
              first; near ties to the longest unpractised, so no skill starves.

A skill is never practised once its effective mastery reaches its threshold (0.95, or
the skill's own), except as a review. Within a skill the item is the one whose predicted
P(correct) is nearest `target_p_correct`, avoiding items answered in the last
`recent_items` answers. Ties break by curriculum order, then by a hash of
(random_state, step, item): the same state always gets the same answer. One call is one
pass over the graph plus the items of the chosen skills.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from engine.params import ModelParams, SkillParams
from engine.recommend import knowledge_space, reasons
from engine.recommend.evidence import Beliefs, compute_beliefs
from engine.recommend.graph import SkillGraph
from engine.recommend.knowledge_space import KnowledgeSpace
from engine.recommend.profile import PriorProfile, ShiftDistribution
from engine.recommend.recommendation import Kind, Recommendation
from engine.recommend.settings import RecommenderSettings
from engine.recommend.state import SkillRecord, StudentState
from engine.trace import Update

_MASTERED, _DUE, _OPEN = 0, 1, 2
_PRIORITY: dict[Kind, int] = {"gap": 0, "return": 1, "review": 2, "frontier": 3, "practice": 3}
_CHECK_PRIORITY = 4
_LAST_PRIORITY = 9
_REST = 20  # added to the priority of the skill just practised max_run times in a row
_REVIEW_FLOOR = 0.01
_STALE_TIE = 1e-6  # per answer: breaks near ties of doubt, never outweighs 0.001 of it


@dataclass(frozen=True, slots=True)
class _ItemRow:
    item_id: str
    guess: float
    slip: float
    shift: float  # logit shift from difficulty (0 when the model has per-item guess/slip)
    hash: int


@dataclass(slots=True)
class _Candidate:
    skill: str
    kind: Kind
    priority: int
    score: float
    related: str | None = None
    decayed: bool = False
    recheck: bool = False  # a gap to a prerequisite rated mastered: check it again


def _entropy(p: float) -> float:
    if p <= 0.0 or p >= 1.0:
        return 0.0
    return -(p * math.log(p) + (1.0 - p) * math.log(1.0 - p))


def _information(m: float, guess: float, slip: float) -> float:
    """Expected entropy reduction (nats) of P(known) from one answer to an item."""
    right = m * (1.0 - slip) + (1.0 - m) * guess
    if right <= 0.0 or right >= 1.0:
        return 0.0
    after_right = m * (1.0 - slip) / right
    after_wrong = m * slip / (1.0 - right)
    return _entropy(m) - right * _entropy(after_right) - (1.0 - right) * _entropy(after_wrong)


def _logit(p: float) -> float:
    p = min(max(p, 1e-9), 1.0 - 1e-9)
    return math.log(p / (1.0 - p))


class Recommender:
    """Recommends the next item (plus two alternatives) for one student's state.

    Stateless between calls: everything about the student lives in `StudentState`, so one
    instance serves every student of a curriculum and model version.
    """

    def __init__(
        self,
        graph: SkillGraph,
        params: ModelParams | Mapping[str, SkillParams],
        settings: RecommenderSettings | None = None,
        random_state: int = 0,
        student_shift: ShiftDistribution | None = None,
    ) -> None:
        """`student_shift`: the student body's distribution of the prior shift (fitted by
        `engine.recommend.profile.fit_shift`); default Normal(0, settings.student_spread**2)."""
        skill_params = params.skills if isinstance(params, ModelParams) else params
        missing = [s for s in graph.skills if s not in skill_params]
        if missing:
            raise ValueError(f"no BKT parameters for skill(s) {missing} of the skill graph")
        self.graph = graph
        self.params: dict[str, SkillParams] = {s: skill_params[s] for s in graph.skills}
        self.settings = settings if settings is not None else RecommenderSettings()
        self.random_state = int(random_state)
        self._items: dict[str, tuple[_ItemRow, ...]] = {s: self._item_rows(s) for s in graph.skills}
        # Items with the same guess, slip and difficulty shift share one prediction.
        self._bands: dict[str, list[tuple[tuple[float, float, float], list[_ItemRow]]]] = {}
        for s, rows in self._items.items():
            bands: dict[tuple[float, float, float], list[_ItemRow]] = {}
            for row in rows:
                bands.setdefault((row.guess, row.slip, row.shift), []).append(row)
            self._bands[s] = list(bands.items())
        self._scopes: dict[frozenset[str], tuple[str, ...]] = {}
        st = self.settings
        self._thr = {s: st.threshold(s) for s in graph.skills}
        self._bar = {s: st.unlock(s) for s in graph.skills}
        self._forget = {s: self.params[s].forget for s in graph.skills}
        self._pre = {
            s: tuple(p for p in graph.prerequisites(s) if self._items[p]) for s in graph.skills
        }
        space = None
        if st.start_model == "knowledge_space":
            space = knowledge_space.build(
                graph, self.params, st.holes, st.beyond, st.knowledge_space_cap
            )
        self._profile: PriorProfile | KnowledgeSpace = (
            space
            if space is not None
            else PriorProfile(graph.skills, self.params, st.student_spread, student_shift)
        )
        self._has_solid = {
            s: any(row.guess < st.guessable for row in self._items[s]) for s in graph.skills
        }

    def _item_rows(self, skill: str) -> tuple[_ItemRow, ...]:
        p = self.params[skill]
        items = self.graph.items(skill)
        rated = [it.difficulty for it in items if it.difficulty is not None]
        lo, hi = (min(rated), max(rated)) if rated else (0.0, 0.0)
        span = self.settings.difficulty_logit_span
        rows = []
        for it in items:
            shift = 0.0
            has_own = it.item_id in p.item_guess or it.item_id in p.item_slip
            if it.difficulty is not None and hi > lo and not has_own:
                shift = -span * ((it.difficulty - lo) / (hi - lo) - 0.5)
            rows.append(
                _ItemRow(
                    item_id=it.item_id,
                    guess=p.guess_for(it.item_id),
                    slip=p.slip_for(it.item_id),
                    shift=shift,
                    hash=zlib.crc32(it.item_id.encode()),
                )
            )
        return tuple(rows)

    # --- the service's two calls -------------------------------------------------------

    def observe(self, state: StudentState, item_id: str, correct: bool) -> Update:
        """Record an answer in `state` (BKT update of the item's skill)."""
        skill = self.graph.skill_of(item_id)
        return state.record(skill, item_id, correct, self.params[skill])

    def replay(
        self, answers: Iterable[tuple[str, bool]], student_class: str | None = None
    ) -> StudentState:
        """A student's state rebuilt from their (item_id, correct) log, oldest first."""
        state = StudentState(student_class=student_class)
        for item_id, correct in answers:
            self.observe(state, item_id, correct)
        return state

    def recommend(
        self,
        state: StudentState,
        goal: str | Iterable[str] | None = None,
        n: int = 3,
        beliefs: Beliefs | None = None,
    ) -> list[Recommendation]:
        """Up to `n` distinct items, best first; empty only if no skill in scope has items.

        `beliefs` may be passed when the caller already has `self.beliefs(state)` for this
        exact state (the per-answer path does), so they are not computed twice."""
        if n < 1:
            raise ValueError(f"n must be >= 1, got {n}")
        if beliefs is None:
            beliefs = self.beliefs(state)
        ranked = self._rank(state, beliefs, self._scope(goal))
        out: list[Recommendation] = []
        used: set[str] = set()
        salt = zlib.crc32(f"{self.random_state}:{state.step}".encode())
        for cand in ranked:
            if len(out) >= n:
                break
            item, p = self._pick_item(state, beliefs, cand.skill, used, salt)
            if item is None:
                continue
            used.add(item)
            out.append(self._explain(state, beliefs, cand, item, p))
        # Fewer than n skills to offer: more items of the offered skills, best skill first.
        for rec in list(out):
            if len(out) >= n:
                break
            cand = next(c for c in ranked if c.skill == rec.skill_id)
            while len(out) < n:
                item, p = self._pick_item(state, beliefs, cand.skill, used, salt)
                if item is None:
                    break
                used.add(item)
                out.append(self._explain(state, beliefs, cand, item, p))
        return out

    def mastered(self, state: StudentState, beliefs: Beliefs, skill: str) -> bool:
        """The skill counts as mastered: effective P(known) at its threshold, confirmed by
        the student's own answers (see `_confirmed`), and not contradicted."""
        rec = state.skills.get(skill)
        return (
            beliefs.effective[skill] >= self._thr[skill]
            and self._confirmed(rec, skill)
            and not (rec is not None and rec.contradicted)
        )

    def beliefs(self, state: StudentState) -> Beliefs:
        s = self.settings
        return compute_beliefs(
            self.graph,
            self.params,
            state,
            self._profile.evaluate(state),
            implication=s.implication,
            slowdown=s.slowdown,
        )

    # --- classification and ranking ----------------------------------------------------

    def _scope(self, goal: str | Iterable[str] | None) -> tuple[str, ...]:
        if goal is None:
            key = frozenset(self.graph.skills)
        elif isinstance(goal, str):
            key = frozenset((goal,))
        else:
            key = frozenset(goal)
        scope = self._scopes.get(key)
        if scope is None:
            unknown = sorted(g for g in key if g not in self.graph)
            if unknown:
                raise ValueError(f"goal names unknown skill(s) {unknown}")
            closure = self.graph.closure(key)
            scope = tuple(s for s in self.graph.order if s in closure)
            self._scopes[key] = scope
        return scope

    def _status(self, state: StudentState, b: Beliefs, skill: str) -> int:
        threshold = self._thr[skill]
        rec = state.skills.get(skill)
        if rec is not None and rec.contradicted:
            return _MASTERED  # not offered again (see _rank); dependents may go on
        if b.effective[skill] >= threshold and self._confirmed(rec, skill):
            return _MASTERED
        forget = self._forget[skill]
        if forget <= 0.0 or skill in b.suspected_by:
            return _OPEN
        elsewhere = state.opportunities_since(skill)
        if not elsewhere:
            return _OPEN
        keep = (1.0 - forget) ** elsewhere
        if keep > 0.0 and b.own[skill] / keep >= threshold:
            # Mastered when last practised; only forgetting has lowered it since.
            return _DUE if b.own[skill] < self.settings.review_threshold else _MASTERED
        return _OPEN

    def _confirmed(self, rec: SkillRecord | None, skill: str) -> bool:
        """Mastery needs the student's own evidence: at least one answer; after a run of
        wrong answers, several right in a row; and not only right answers on guessable
        items when the skill has others."""
        st = self.settings
        if rec is None:
            return False
        if rec.attempts - rec.correct >= st.confirm_after_wrong and (
            rec.correct_streak < st.confirm_streak
        ):
            return False
        return not (
            self._has_solid[skill] and rec.correct_streak and rec.streak_min_guess >= st.guessable
        )

    def _unlocked(self, skill: str, status: Mapping[str, int], b: Beliefs) -> bool:
        eff, bar = b.effective, self._bar
        # Prerequisites without items cannot be practised, so they never hold anyone back.
        return all(status[p] == _MASTERED or eff[p] >= bar[p] for p in self._pre[skill])

    def _struggling(self, state: StudentState, b: Beliefs, skill: str) -> bool:
        rec = state.skills.get(skill)
        if rec is None:
            return False
        s = self.settings
        return (
            len(rec.fail_steps) >= s.struggle_streak
            or (rec.attempts >= s.struggle_attempts and b.own[skill] < s.struggle_mastery)
            or rec.attempts >= s.wheel_spin_attempts
        )

    def _weakest(self, skills: Iterable[str], b: Beliefs) -> str | None:
        best: str | None = None
        for p in skills:  # prerequisites come in curriculum order: ties keep the earliest
            if best is None or b.effective[p] < b.effective[best]:
                best = p
        return best

    def _rank(self, state: StudentState, b: Beliefs, scope: tuple[str, ...]) -> list[_Candidate]:
        graph = self.graph
        status = {s: self._status(state, b, s) for s in graph.order}
        cands: dict[str, _Candidate] = {}
        last_skill = state.last_skill

        def offer(c: _Candidate) -> None:
            old = cands.get(c.skill)
            if old is None or (c.priority, -c.score) < (old.priority, -old.score):
                cands[c.skill] = c

        for s in scope:
            if not self._items[s]:
                continue
            rec = state.skills.get(s)
            if rec is not None and rec.contradicted:
                # The skill's model contradicts this student's answers: never drilled
                # again under these parameters; offered last, only if nothing else is left.
                offer(_Candidate(s, "review", _LAST_PRIORITY, 0.0))
                continue
            st = status[s]
            eff = b.effective[s]
            if st == _MASTERED:
                # Quick checks: most likely forgotten-or-never-known first (optimal search
                # for a hidden gap: the own belief already carries any forgetting), near
                # ties (3 decimals) to the longest unpractised, so no skill starves and a
                # mastery that rounds to 1 is still checked now and then. Weighting doubt
                # by staleness instead made the checks a round robin that found a skill
                # mastered on one lucky guess last (service benchmark: 2-5 more attempts).
                since = state.opportunities_since(s)
                stale = float(state.step if since is None else since)
                doubt = round(1.0 - b.own[s] + _REVIEW_FLOOR, 3)
                offer(_Candidate(s, "review", _CHECK_PRIORITY, doubt + _STALE_TIE * stale))
                continue
            if st == _DUE:
                offer(_Candidate(s, "review", _PRIORITY["review"], 1.0 - b.own[s], decayed=True))
                continue
            if self._struggling(state, b, s):
                gap = self._gap(state, b, status, s)
                if gap is not None:
                    target, recheck = gap
                    score = 1.0 - b.effective[target]
                    offer(_Candidate(target, "gap", _PRIORITY["gap"], score, s, recheck=recheck))
                    continue
            if not self._unlocked(s, status, b):
                continue
            if rec is not None and rec.fail_steps:
                last_fail = rec.fail_steps[-1]
                detour = [p for p in graph.prerequisites(s) if state.last_step(p) > last_fail]
                if detour:
                    filled = max(detour, key=state.last_step)
                    offer(_Candidate(s, "return", _PRIORITY["return"], 1.0 - eff, filled))
                    continue
            score = (1.0 - eff) * self.params[s].learn
            for p in self._pre[s]:
                score *= b.effective[p]
            if s == last_skill and rec is not None and rec.fail_steps:
                score *= 2.0  # keep going on the skill being learnt right now
            kind: Kind = "frontier" if rec is None else "practice"
            offer(_Candidate(s, kind, _PRIORITY[kind], score))

        if last_skill is not None and state.run >= self.settings.max_run:
            # Enough in a row on one skill: anything else first, this one after a break.
            tired = cands.get(last_skill)
            if tired is not None:
                tired.priority += _REST
                if not any(c.priority < _LAST_PRIORITY for c in cands.values()):
                    other = self._break(state, b, status, scope, last_skill)
                    if other is not None:
                        cands[other.skill] = other
        pos = graph.position
        ranked = sorted(cands.values(), key=lambda c: (c.priority, -c.score, pos[c.skill]))
        if any(c.priority < _LAST_PRIORITY for c in ranked):
            ranked = [c for c in ranked if c.priority < _LAST_PRIORITY]
        return ranked

    def _gap(
        self, state: StudentState, b: Beliefs, status: Mapping[str, int], skill: str
    ) -> tuple[str, bool] | None:
        """Where a student struggling on `skill` goes: its weakest unmastered prerequisite
        (further down while that one is itself locked); else, when every prerequisite is
        rated mastered, a re-check of the least certain one not practised since this
        wrong run began (mastery can rest on lucky guesses or a bad model); else None."""
        gap = self._weakest(
            (
                p
                for p in self._pre[skill]
                if status[p] != _MASTERED and b.effective[p] < self._thr[p]
            ),
            b,
        )
        if gap is not None:
            while not self._unlocked(gap, status, b):
                deeper = self._weakest(
                    (
                        p
                        for p in self._pre[gap]
                        if status[p] != _MASTERED and b.effective[p] < self._bar[p]
                    ),
                    b,
                )
                if deeper is None:
                    break
                gap = deeper
            return gap, False
        rec = state.skills.get(skill)
        st = self.settings
        if rec is None or not rec.fail_steps:
            return None
        if len(rec.fail_steps) < st.recheck_streak and rec.attempts < st.wheel_spin_attempts:
            return None  # a few misses while learning are expected; keep practising
        began = rec.fail_steps[0]
        unchecked = [
            p
            for p in self._pre[skill]
            if state.last_step(p) < began and not self._is_contradicted(state, p)
        ]
        weakest = self._weakest(unchecked, b)
        return (weakest, True) if weakest is not None else None

    def _break(
        self,
        state: StudentState,
        b: Beliefs,
        status: Mapping[str, int],
        scope: tuple[str, ...],
        tired: str,
    ) -> _Candidate | None:
        """Something other than `tired` when it is all that is left: a re-check of its least
        certain prerequisite, else the open skill whose other prerequisites are likeliest
        known (so a student stuck on a first skill tries what builds directly on it)."""
        pres = [p for p in self._pre[tired] if not self._is_contradicted(state, p)]
        weakest = self._weakest(pres, b)
        if weakest is not None:
            score = 1.0 - b.effective[weakest]
            return _Candidate(weakest, "gap", _PRIORITY["gap"], score, tired, recheck=True)
        best: _Candidate | None = None
        for s in scope:
            if s == tired or not self._items[s] or status[s] == _MASTERED:
                continue
            ready = 1.0
            for p in self._pre[s]:
                if p != tired:  # the tired skill blocks everything built on it alike
                    ready *= b.effective[p]
            if best is None or ready > best.score:
                kind: Kind = "frontier" if s not in state.skills else "practice"
                best = _Candidate(s, kind, _PRIORITY[kind], ready)
        return best

    @staticmethod
    def _is_contradicted(state: StudentState, skill: str) -> bool:
        rec = state.skills.get(skill)
        return rec is not None and rec.contradicted

    # --- items and explanations --------------------------------------------------------

    def _pick_item(
        self, state: StudentState, b: Beliefs, skill: str, used: set[str], salt: int
    ) -> tuple[str | None, float]:
        """The skill's most telling item not answered recently: the largest expected
        information about whether the student knows it (a two-choice item says little),
        then the predicted P(correct) nearest `target_p_correct`, then a seeded hash."""
        m = b.effective[skill]
        target = self.settings.target_p_correct
        horizon = state.step - self.settings.recent_items
        best_key: tuple[int, int, float, float, int] | None = None
        best: tuple[str | None, float] = (None, 0.0)
        seen = state.item_seen
        for (guess, slip, shift), rows in self._bands[skill]:
            p = m * (1.0 - slip) + (1.0 - m) * guess
            if shift:
                p = 1.0 / (1.0 + math.exp(-(_logit(p) + shift)))
            distance = abs(p - target)
            info = -round(_information(m, guess, slip), 3)
            for row in rows:
                if row.item_id in used:
                    continue
                last = seen.get(row.item_id, -1)
                recent = 1 if last >= 0 and last >= horizon else 0
                key = (
                    recent,
                    last if recent else 0,
                    info,
                    distance,
                    ((row.hash ^ salt) * 0x9E3779B1) & 0xFFFFFFFF,
                )
                if best_key is None or key < best_key:
                    best_key, best = key, (row.item_id, p)
        return best

    def _explain(
        self, state: StudentState, b: Beliefs, c: _Candidate, item: str, p: float
    ) -> Recommendation:
        g, s = self.graph, c.skill
        name = g.name(s)
        if c.kind == "gap":
            assert c.related is not None
            if c.recheck:
                reason = reasons.recheck(name, g.name(c.related))
            else:
                reason = reasons.gap(name, g.name(c.related))
        elif c.kind == "return":
            assert c.related is not None
            reason = reasons.return_to(name, g.name(c.related))
        elif c.kind == "review":
            reason = reasons.review(name, decayed=c.decayed)
        elif c.kind == "frontier":
            pres = [q for q in g.prerequisites(s) if self._items[q]]
            strongest = max(pres, key=b.effective.__getitem__) if pres else None
            reason = reasons.frontier(name, g.name(strongest) if strongest else None)
        else:
            reason = reasons.practice(
                name,
                b.effective[s],
                almost_there=self.settings.almost_there,
                fail_streak=state.fail_streak(s),
            )
        last = state.last_skill
        if last is not None and last != s and self._is_contradicted(state, last):
            reason = reasons.moved_on(g.name(last), reason)
        numbers = {
            "mastery": b.own[s],
            "bkt_mastery": state.mastery(s, self.params[s]),
            "effective_mastery": b.effective[s],
            "p_correct": p,
            "attempts": float(state.attempts(s)),
            "correct": float(state.correct_count(s)),
            "threshold": self.settings.threshold(s),
        }
        if c.related is not None:
            numbers["related_mastery"] = b.effective[c.related]
        return Recommendation(
            item_id=item,
            skill_id=s,
            kind=c.kind,
            reason=reasons.joined(reason),
            numbers=numbers,
            related=c.related,
            recheck=c.recheck,
            reason_phrases=reason,
        )
