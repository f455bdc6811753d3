"""The recommender's advantage measured on the service a school runs, through its HTTP API.

    python -m benchmarks.service_classroom --json OUT.json [--students 60] [--budget 400]
        [--params own,generating] [--clients 6] [--seed 0] [--policies service,...]

For each parameter set in `--params` a fresh service is started exactly as `make run`
starts it (`pathways serve --demo`: the sample curriculum, a fresh data directory, the
demo class's simulated history, the demo's own refit activated through the gate); for
"generating" the demo school's generating parameters (`api.demo.demo_classroom`, as
`engine.recommend.sim.generating_params` states them) are then uploaded and activated,
so the table shows what the fitted model costs. Only the password-hashing cost is
lowered (it is not what is measured).

Simulated students of the same school (same hidden truth as the demo's history, new
draws) log in and answer through `/api/practice/next` and `/api/practice/answers`, the
answer keys read as the designer from `/api/items`. Three policies teach the same
students (same per-attempt luck):

* service: always the item the service recommends (the answer's reply carries it);
* mastery_learning: curriculum order, each skill until the service's BKT mastery of it
  (as the replies report it, on the same active parameters) reaches its threshold;
* told_downset: told the down-set of the graph the student came through, not its holes
  (graph-consistent populations; novices: the population's mean share), and the
  generating model (true guess, slip and learn rates, the student's ability, the
  prerequisite slowdown): exact Bayesian belief over the joint state
  (`benchmarks.policy_bound.StateBelief`), curriculum order to 0.85, then the least
  likely known skill (policy_bound's best rule on these populations). It knows more
  than any diagnosis from answers can find; what is left to it is finding the holes
  and seeing when a skill is learnt. An empirical bound, not a proof: a recommender
  that knows less can hardly be expected to save more;
* told_start: told which skills the student knew on arrival (not what they learn
  later): mastery learning on the others only. What perfect diagnosis is worth: a
  belief-based recommender can hardly save more than this, since it must find out
  what told_start is given;
* oracle: knows the hidden state; always the first unknown skill (a lower bound).

Populations (`api.demo.POPULATIONS`): knowledge consistent with the prerequisite graph
with a few holes, about half and most skills known, and novices. Per population and
policy: mean attempts until every skill is truly known (the budget if never; 95%
bootstrap interval), the share reaching it within the budget, over-practice (split into
answers on skills known on arrival and on skills learnt since), the longest
run of consecutive right answers on one skill, the longest run of consecutive attempts
on one skill while it stays unlearnt, and the paired difference to mastery learning.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import numpy as np

from api.demo import POPULATIONS, demo_classroom, wrong_answer
from benchmarks.live_server import LiveServer
from benchmarks.policy_bound import BEAM, InformedDeferred, Knowledge, StateBelief
from benchmarks.simulate_classroom import (
    bootstrap_mean_ci,
    graph_from_curriculum,
)
from content import load_curriculum, sample_curriculum_path
from content.answers import canonical_answer
from content.models import Item as ContentItem
from engine.params import ModelParams
from engine.recommend.graph import SkillGraph
from engine.recommend.sim import (
    Classroom,
    Learner,
    Population,
    Student,
    draw_student,
    generating_params,
)

PASSWORD = "benchmark-password-1"
POLICIES = ("service", "mastery_learning", "told_downset", "told_start", "oracle")
REFERENCE = "mastery_learning"
TARGETS = {"graph_half": 30.0, "graph_most": 40.0}  # % fewer attempts than mastery learning
NOVICE_SLACK = 5.0  # % worse at most
MAX_RIGHT_RUN = 10
MAX_STUCK_RUN = 15


class DemoService(LiveServer):
    """`pathways serve --demo` on a free port and a fresh data directory."""

    def command(self) -> list[str]:
        return [
            sys.executable,
            "-c",
            "from cli.main import app; app()",
            "serve",
            "--demo",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--no-access-log",
        ]


class Api:
    """One keep-alive HTTP client; retries what the service asks to retry (503/429 with
    Retry-After, lost connections) with the same request, so idempotency keys hold."""

    def __init__(self, base_url: str, token: str | None = None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=60.0)

    def call(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        for attempt in range(20):
            try:
                reply = self.http.request(method, path, **kwargs)
            except httpx.TransportError:
                time.sleep(0.2 * (attempt + 1))
                continue
            if reply.status_code in (429, 503) and "Retry-After" in reply.headers:
                time.sleep(min(float(reply.headers["Retry-After"]), 5.0))
                continue
            return reply
        raise RuntimeError(f"{method} {path}: no answer after 20 tries")

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        reply = self.call(method, path, **kwargs)
        if reply.status_code >= 400:
            raise RuntimeError(f"{method} {path}: {reply.status_code} {reply.text[:500]}")
        return reply.json()

    def close(self) -> None:
        self.http.close()


def login(base_url: str, username: str, password: str) -> Api:
    anon = Api(base_url)
    try:
        token = anon.json(
            "POST", "/api/auth/token", data={"username": username, "password": password}
        )["access_token"]
    finally:
        anon.close()
    return Api(base_url, token)


@dataclass(frozen=True)
class School:
    """What the benchmark knows of the running service's school."""

    graph: SkillGraph
    items: dict[str, ContentItem]
    by_skill: dict[str, list[str]]
    thresholds: dict[str, float]
    classroom: Classroom


def read_school(designer: Api) -> School:
    """The curriculum graph (the demo's content), answer keys as the designer reads them."""
    curriculum = load_curriculum(sample_curriculum_path())
    graph = graph_from_curriculum(curriculum)
    items: dict[str, ContentItem] = {}
    offset = 0
    while True:
        page = designer.json("GET", "/api/items", params={"limit": 1000, "offset": offset})
        for row in page:
            if not row["retired"]:
                items[row["id"]] = ContentItem.model_validate(row["definition"])
        if len(page) < 1000:
            break
        offset += len(page)
    by_skill: dict[str, list[str]] = {s: [] for s in graph.skills}
    for it in items.values():
        by_skill[it.skills[0]].append(it.id)
    floors = {i: f for i, it in items.items() if (f := it.guess_floor) is not None}
    return School(
        graph=graph,
        items=items,
        by_skill=by_skill,
        thresholds=dict(curriculum.mastery_thresholds()),
        classroom=demo_classroom(graph, floors),
    )


@dataclass
class Episode:
    """One student taught by one policy: what the table needs, per student."""

    population: str
    student: int
    policy: str
    attempts: int = 0
    finished: bool = False
    overpractice: int = 0
    on_known_at_start: int = 0
    longest_right_run: int = 0
    longest_stuck_run: int = 0
    longest_run: int = 0
    kinds: dict[str, int] = field(default_factory=dict)


class RunTracker:
    """Runs of consecutive attempts on one skill: all right; all while the skill is unlearnt."""

    def __init__(self) -> None:
        self.skill: str | None = None
        self.right = self.stuck = self.length = 0
        self.best_right = self.best_stuck = self.best_length = 0

    def add(self, skill: str, correct: bool, was_known: bool) -> None:
        if skill != self.skill:
            self.skill, self.right, self.stuck, self.length = skill, 0, 0, 0
        self.length += 1
        self.right = self.right + 1 if correct else 0
        self.stuck = self.stuck + 1 if not was_known else 0
        self.best_right = max(self.best_right, self.right)
        self.best_stuck = max(self.best_stuck, self.stuck)
        self.best_length = max(self.best_length, self.length)


class ToldDownset:
    """The told_downset policy: exact belief on the generating model, told the down-set."""

    def __init__(self, school: School, population: Population, student: Student) -> None:
        graph = school.graph
        if student.downset is not None:
            prior = np.where(student.downset, 1.0 - population.holes, 0.0)
        else:
            prior = np.full(len(graph.skills), population.mean_known)
        know = Knowledge(
            graph,
            school.classroom,
            population.mean_known,
            student.ability,
            population.prerequisite_factor,
            prior=prior,
        )
        self.belief = StateBelief(know, BEAM)
        self.index = know.index
        self.skills = graph.skills
        self.scope = [know.index[s] for s in graph.order if school.by_skill[s]]

    def skill(self, last_seen: Callable[[str], int]) -> str:
        m = self.belief.marginals()
        for i in self.scope:
            if m[i] < InformedDeferred.first:
                return self.skills[i]
        best = min(self.scope, key=lambda i: (round(float(m[i]), 3), last_seen(self.skills[i])))
        return self.skills[best]

    def observe(self, skill: str, correct: bool) -> None:
        self.belief.observe(self.index[skill], correct)


def _least_recent(items: Sequence[str], seen: dict[str, int]) -> str:
    return min(items, key=lambda i: (seen.get(i, -1), i))


def run_episode(
    base_url: str,
    school: School,
    population: Population,
    index: int,
    policy: str,
    username: str,
    budget: int,
    seed: int,
    pop_index: int,
) -> Episode:
    """Teach one simulated student with `policy`, every answer through the HTTP API."""
    classroom, graph = school.classroom, school.graph
    rng = np.random.default_rng([seed, 1000 + pop_index, index])
    learner = Learner(classroom, population, draw_student(classroom, population, rng, budget))
    scope = [s for s in graph.order if school.by_skill[s]]
    api = login(base_url, username, PASSWORD)
    out = Episode(population.name, index, policy)
    try:
        mastery = {
            m["skill_id"]: float(m["mastery"])
            for m in api.json("GET", "/api/students/me/mastery")["skills"]
        }
        upcoming = api.json("GET", "/api/practice/next") if policy == "service" else None
        seen: dict[str, int] = {}
        told = (
            ToldDownset(school, population, learner.student) if policy == "told_downset" else None
        )
        runs = RunTracker()

        def last_seen(s: str) -> int:
            return max(seen.get(i, -1) for i in school.by_skill[s])

        step = 0
        while learner.missing(scope) and step < budget:
            if policy == "service":
                assert upcoming is not None and upcoming["recommended"] is not None
                rec = upcoming["recommended"]
                item_id = rec["item"]["id"]
                out.kinds[rec["kind"]] = out.kinds.get(rec["kind"], 0) + 1
            elif policy == "oracle":
                skill = learner.missing(scope)[0]
                item_id = _least_recent(school.by_skill[skill], seen)
            elif policy == "told_start":
                unknown = [s for s in scope if not learner.known_at_start[learner.index[s]]]
                todo = [s for s in unknown if mastery[s] < school.thresholds.get(s, 0.95)]
                skill = (todo or learner.missing(scope))[0]
                item_id = _least_recent(school.by_skill[skill], seen)
            elif told is not None:
                item_id = _least_recent(school.by_skill[told.skill(last_seen)], seen)
            else:
                todo = [s for s in scope if mastery[s] < school.thresholds.get(s, 0.95)]
                # Its rule says done, the student is not: mixed review, least recent first.
                skill = todo[0] if todo else min(scope, key=last_seen)
                item_id = _least_recent(school.by_skill[skill], seen)
            item = school.items[item_id]
            skill = item.skills[0]
            was_known = learner.knows(skill)
            correct = learner.answer(skill, item_id)
            text = canonical_answer(item.answer) if correct else wrong_answer(item)
            reply = api.json(
                "POST",
                "/api/practice/answers",
                json={
                    "item_id": item_id,
                    "answer": text,
                    "idempotency_key": f"{username}-{step}",
                },
            )
            if not reply["recorded"] or reply["correct"] != correct:
                raise RuntimeError(f"{username}: answer {text!r} to {item_id} was not taken")
            for change in reply["mastery"]:
                mastery[change["skill_id"]] = float(change["mastery"])
            upcoming = reply["next"]
            seen[item_id] = step
            if told is not None:
                told.observe(skill, correct)
            out.overpractice += int(was_known)
            out.on_known_at_start += int(learner.known_at_start[learner.index[skill]])
            runs.add(skill, correct, was_known)
            step += 1
        out.finished = not learner.missing(scope)
        out.attempts = step if out.finished else budget
        out.longest_right_run = runs.best_right
        out.longest_stuck_run = runs.best_stuck
        out.longest_run = runs.best_length
    finally:
        api.close()
    return out


def upload_generating(designer: Api, school: School) -> int:
    """Upload the demo school's generating parameters and activate them (the gate may
    refuse a set that was not fitted on this log: then it is overridden, on the record)."""
    truth = generating_params(school.classroom, POPULATIONS)
    body = ModelParams(skills=truth, metadata={"source": "generating parameters"}).to_json_dict()
    stored = designer.json("POST", "/api/params", json=body)
    reply = designer.call("POST", f"/api/params/{stored['id']}/activate", json={})
    if reply.status_code == 409:
        reply = designer.call(
            "POST",
            f"/api/params/{stored['id']}/activate",
            json={"override_reason": "benchmark: the generating parameters of the simulation"},
        )
    if reply.status_code >= 400:
        raise RuntimeError(f"activating the generating parameters: {reply.text[:500]}")
    return int(stored["id"])


def measure(
    which: str,
    students: int,
    budget: int,
    clients: int,
    seed: int,
    log: Callable[[str], None],
    policies: Sequence[str] = POLICIES,
) -> dict[str, Any]:
    """One fresh service, one parameter set, every population x policy x student."""
    data_dir = Path(tempfile.mkdtemp(prefix="pathways-service-bench-"))
    env = {
        "PATHWAYS_DATA_DIR": str(data_dir),
        "PATHWAYS_DEMO_PASSWORD": PASSWORD,
        "PATHWAYS_ARGON2_MEMORY_KIB": "1024",
        "PATHWAYS_ARGON2_TIME_COST": "1",
        "PATHWAYS_LOGIN_MAX_FAILURES_PER_IP": "100000",
    }
    server = DemoService(factory="", env=env, start_timeout=900.0)
    t0 = time.monotonic()
    try:
        server.start()
        log(f"[{which}] service up after {time.monotonic() - t0:.0f} s (demo seeded)")
        designer = login(server.base_url, "designer", PASSWORD)
        admin = login(server.base_url, "admin", PASSWORD)
        school = read_school(designer)
        fit_job = designer.json("GET", "/api/fits/1")
        active = [p for p in designer.json("GET", "/api/params") if p["active"]]
        param_set = active[0]["id"] if active else None
        gate = fit_job.get("gate") or {}
        log(
            f"[{which}] demo refit: gate {'passes' if gate.get('passed') else 'refuses'} "
            f"{gate.get('reasons')}; active set {param_set}"
        )
        if which == "generating":
            param_set = upload_generating(designer, school)
        detail = designer.json("GET", f"/api/params/{param_set}") if param_set else None
        jobs = []
        for p, pop in enumerate(POPULATIONS):
            for i in range(students):
                for policy in policies:
                    name = f"b{which[:3]}-{pop.name[:10]}-{i}-{policy}"
                    admin.json(
                        "POST",
                        "/api/users",
                        json={"username": name, "role": "student", "password": PASSWORD},
                    )
                    jobs.append((pop, p, i, policy, name))
        log(f"[{which}] {len(jobs)} student accounts; teaching ...")
        done = [0]
        lock = threading.Lock()

        def one(job: tuple[Population, int, int, str, str]) -> Episode:
            pop, p, i, policy, name = job
            ep = run_episode(server.base_url, school, pop, i, policy, name, budget, seed, p)
            with lock:
                done[0] += 1
                if done[0] % 30 == 0 or done[0] == len(jobs):
                    log(f"[{which}] {done[0]}/{len(jobs)} episodes")
            return ep

        with ThreadPoolExecutor(max_workers=clients) as pool:
            episodes = list(pool.map(one, jobs))
        designer.close()
        admin.close()
    finally:
        server.stop()
        shutil.rmtree(data_dir, ignore_errors=True)
    rows = summarise(episodes, budget, seed)
    return {
        "params": which,
        "param_set_id": param_set,
        "gate": fit_job.get("gate") if which == "own" else None,
        "fit_report": fit_job.get("report") if which == "own" else None,
        "active_params": detail["params"] if detail else None,
        "rows": rows,
        "checks": checks(rows, seed),
        "episodes": [ep.__dict__ for ep in episodes],
        "seconds": time.monotonic() - t0,
    }


def summarise(episodes: list[Episode], budget: int, seed: int) -> list[dict[str, Any]]:
    rows = []
    for pop in POPULATIONS:
        for policy in POLICIES:
            mine = sorted(
                (e for e in episodes if e.population == pop.name and e.policy == policy),
                key=lambda e: e.student,
            )
            if not mine:
                continue
            attempts = np.array([e.attempts for e in mine], dtype=np.float64)
            lo, hi = bootstrap_mean_ci(attempts, np.random.default_rng([seed, 7]))
            kinds: dict[str, int] = {}
            for e in mine:
                for k, v in e.kinds.items():
                    kinds[k] = kinds.get(k, 0) + v
            rows.append(
                {
                    "population": pop.name,
                    "policy": policy,
                    "students": len(mine),
                    "mean_attempts": float(attempts.mean()),
                    "ci_low": lo,
                    "ci_high": hi,
                    "pct_in_budget": 100.0 * float(np.mean([e.finished for e in mine])),
                    "overpractice_pct": 100.0
                    * sum(e.overpractice for e in mine)
                    / max(1.0, float(attempts.sum())),
                    "mean_on_known_at_start": float(np.mean([e.on_known_at_start for e in mine])),
                    "mean_on_learnt": float(
                        np.mean([e.overpractice - e.on_known_at_start for e in mine])
                    ),
                    "longest_right_run": max(e.longest_right_run for e in mine),
                    "longest_stuck_run": max(e.longest_stuck_run for e in mine),
                    "longest_run": max(e.longest_run for e in mine),
                    "kinds": kinds,
                    "per_student": attempts.tolist(),
                }
            )
    by = {(r["population"], r["policy"]): r for r in rows}
    for r in rows:
        ref = by.get((r["population"], REFERENCE))
        if ref is None or r["policy"] == REFERENCE:
            continue
        ours, theirs = np.array(r["per_student"]), np.array(ref["per_student"])
        r["fewer_than_ml_pct"] = 100.0 * (1.0 - ours.mean() / theirs.mean())
        rng = np.random.default_rng([seed, 11])
        idx = rng.integers(0, ours.size, size=(2000, ours.size))
        stat = 100.0 * (1.0 - ours[idx].mean(axis=1) / theirs[idx].mean(axis=1))
        lo, hi = np.percentile(stat, [2.5, 97.5])
        r["fewer_than_ml_ci"] = [float(lo), float(hi)]
    return rows


def checks(rows: list[dict[str, Any]], seed: int) -> list[dict[str, Any]]:
    """The issue's targets on the service's rows."""
    out = []
    for r in rows:
        if r["policy"] != "service":
            continue
        pop = r["population"]
        fewer = r.get("fewer_than_ml_pct", float("nan"))
        if pop in TARGETS:
            target = TARGETS[pop]
            out.append(
                {
                    "check": f"{pop}: >= {target:.0f}% fewer attempts than mastery learning",
                    "passed": bool(fewer >= target),
                    "measured": f"{fewer:.1f}% (95% CI {r['fewer_than_ml_ci'][0]:.1f} .. "
                    f"{r['fewer_than_ml_ci'][1]:.1f})",
                }
            )
        else:
            out.append(
                {
                    "check": f"{pop}: at most {NOVICE_SLACK:.0f}% worse than mastery learning",
                    "passed": bool(-fewer <= NOVICE_SLACK),
                    "measured": f"{-fewer:+.1f}% attempts vs mastery learning",
                }
            )
        out.append(
            {
                "check": f"{pop}: no run of more than {MAX_RIGHT_RUN} right answers on one skill",
                "passed": bool(r["longest_right_run"] <= MAX_RIGHT_RUN),
                "measured": str(r["longest_right_run"]),
            }
        )
        out.append(
            {
                "check": f"{pop}: no more than {MAX_STUCK_RUN} attempts in a row on one unlearnt "
                "skill",
                "passed": bool(r["longest_stuck_run"] <= MAX_STUCK_RUN),
                "measured": str(r["longest_stuck_run"]),
            }
        )
    return out


def format_table(result: dict[str, Any]) -> str:
    head = (
        f"{'population':<12}{'policy':<14}{'attempts':>9}{'95% CI':>16}{'in budget':>10}"
        f"{'over':>6}{'known':>7}{'learnt':>7}{'right run':>10}{'stuck run':>10}{'vs ML':>18}"
    )
    lines = [f"parameters: {result['params']} (set {result['param_set_id']})", head]
    for r in result["rows"]:
        ci = f"[{r['ci_low']:.1f}, {r['ci_high']:.1f}]"
        vs = ""
        if "fewer_than_ml_pct" in r:
            lo, hi = r["fewer_than_ml_ci"]
            vs = f"{r['fewer_than_ml_pct']:+.1f}% [{lo:+.0f},{hi:+.0f}]"
        lines.append(
            f"{r['population']:<12}{r['policy']:<14}{r['mean_attempts']:>9.1f}{ci:>16}"
            f"{r['pct_in_budget']:>9.0f}%{r['overpractice_pct']:>5.0f}%"
            f"{r['mean_on_known_at_start']:>7.1f}{r['mean_on_learnt']:>7.1f}"
            f"{r['longest_right_run']:>10d}{r['longest_stuck_run']:>10d}{vs:>18}"
        )
    for c in result["checks"]:
        lines.append(f"  [{'pass' if c['passed'] else 'FAIL'}] {c['check']}: {c['measured']}")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--json", type=Path, help="write the results here")
    ap.add_argument("--students", type=int, default=60, help="per population (default 60)")
    ap.add_argument("--budget", type=int, default=400, help="attempts per student (default 400)")
    ap.add_argument("--params", default="own,generating", help="own, generating or both (comma)")
    ap.add_argument("--clients", type=int, default=6, help="students answering at once")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument(
        "--policies", default=",".join(POLICIES), help=f"comma-separated of {', '.join(POLICIES)}"
    )
    args = ap.parse_args(argv)
    policies = [p.strip() for p in args.policies.split(",") if p.strip()]
    if not policies or set(policies) - set(POLICIES):
        ap.error(f"--policies: choose from {', '.join(POLICIES)}")
    started = time.monotonic()

    def log(msg: str) -> None:
        print(f"{time.monotonic() - started:7.0f}s  {msg}", file=sys.stderr, flush=True)

    results = []
    for which in [w.strip() for w in args.params.split(",") if w.strip()]:
        if which not in ("own", "generating"):
            ap.error(f"--params: unknown set {which!r} (own, generating)")
        result = measure(which, args.students, args.budget, args.clients, args.seed, log, policies)
        print(format_table(result), flush=True)
        results.append(result)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"runs": results, "argv": sys.argv[1:]}, indent=1))
    failed = [c for r in results for c in r["checks"] if not c["passed"]]
    return 1 if failed and os.environ.get("PATHWAYS_BENCH_STRICT") else 0


if __name__ == "__main__":
    raise SystemExit(main())
