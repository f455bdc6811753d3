"""How often the pace projection's date range holds the true finishing date.

    python -m benchmarks.pace_coverage --json OUT.json [--students 200] [--seed 0]
        [--skills 8] [--goal 3] [--project-day 2] [--days 150]

Protocol. A chain curriculum of `--skills` skills (three items each); the classroom's
true parameters and students come from the simulator (`engine.recommend.sim`: true
guess/slip/learn per skill, students from `GRAPH_POPULATIONS` in turn, learning slowed
while prerequisites are unknown, individual ability). The tutor runs BKT with the
generating parameters (`generating_params`) and our recommender with the goal (the last
`--goal` skills). Each student has their own practice habit: a mean of U(4, 20)
answers a day, Poisson per school day, nothing at weekends. The goal is set on day 0.
On day `--project-day` (before that day's practice) the service's projection is made
exactly as the service makes it (`engine.pace_scope.goal_scope`, then
`api.services.pace.project` and `pace_public`, so the same draws, rate window and date
rounding); then practice goes on until the recommender rates every goal skill mastered
(the goal is reached as the teacher sees it), or `--days` days.

Reported: the share of students (not finished by the projection day) whose finishing
date lies inside the shown range (target: at least 80 %), the same for the number of
answers, the median width of the date range, and how many never finished.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from api.services.pace import WINDOW_DAYS, pace_public, project
from benchmarks.json_result import emit
from engine.pace import Practice
from engine.pace_scope import goal_scope
from engine.recommend.graph import Item, SkillGraph
from engine.recommend.policy import Recommender
from engine.recommend.sim import (
    GRAPH_POPULATIONS,
    Classroom,
    Learner,
    draw_student,
    generating_params,
)
from engine.recommend.state import StudentState

TARGET = 0.80
START = date(2026, 1, 5)  # a Monday


def chain_graph(n: int) -> SkillGraph:
    skills = [f"s{k}" for k in range(n)]
    return SkillGraph(
        skills,
        prerequisites={s: [skills[k - 1]] for k, s in enumerate(skills) if k},
        items=[Item(f"{s}-i{j}", s) for s in skills for j in range(3)],
    )


@dataclass
class Result:
    finished_before: bool
    inside_dates: bool | None = None
    inside_answers: bool | None = None
    width_days: int | None = None
    finished: bool = False
    flag: str = ""


def run_student(
    rec: Recommender,
    learner: Learner,
    goal: list[str],
    rate: float,
    args: argparse.Namespace,
    rng: np.random.Generator,
) -> Result:
    state = StudentState()
    log: list[int] = []  # day of each answer

    def reached() -> bool:
        beliefs = rec.beliefs(state)
        return all(rec.mastered(state, beliefs, s) for s in goal)

    shown = None
    answers_at_projection = 0
    for day in range(args.days):
        if day == args.project_day:
            if reached():
                return Result(finished_before=True)
            beliefs = rec.beliefs(state)
            _, starts = goal_scope(rec, state, beliefs, goal)
            recent = sum(1 for d in log if d >= day - WINDOW_DAYS)
            practised = float(min(max(day - (log[0] if log else day), 1), WINDOW_DAYS))
            projection = project(starts, Practice(recent, practised), seed=len(log) + day)
            today = START + timedelta(days=day)
            shown = pace_public(projection, (recent, practised), today + timedelta(30), today, 0)
            answers_at_projection = len(log)
        weekend = (START + timedelta(days=day)).weekday() >= 5
        for _ in range(0 if weekend else int(rng.poisson(rate))):
            if day >= args.project_day and reached():
                break
            choice = rec.recommend(state, goal=goal, n=1)[0]
            correct = learner.answer(choice.skill_id, choice.item_id)
            rec.observe(state, choice.item_id, correct)
            log.append(day)
        if day >= args.project_day and reached():
            assert shown is not None
            finish = START + timedelta(days=day)
            more = len(log) - answers_at_projection
            low, high = shown.date_low, shown.date_high
            return Result(
                finished_before=False,
                inside_dates=low is not None and high is not None and low <= finish <= high,
                inside_answers=shown.attempts_low <= more <= shown.attempts_high,
                width_days=(high - low).days if low and high else None,
                finished=True,
                flag=shown.flag,
            )
    return Result(finished_before=False, inside_dates=False, inside_answers=False)


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = np.random.default_rng(args.seed)
    graph = chain_graph(args.skills)
    classroom = Classroom.draw(graph, rng)
    params = generating_params(classroom, GRAPH_POPULATIONS, students=1000, seed=args.seed)
    rec = Recommender(graph, params)
    goal = list(graph.skills[-args.goal :])
    results = []
    t0 = time.perf_counter()
    for i in range(args.students):
        population = GRAPH_POPULATIONS[i % len(GRAPH_POPULATIONS)]
        student = draw_student(classroom, population, rng, cap=400)
        learner = Learner(classroom, population, student)
        rate = float(rng.uniform(4.0, 20.0))
        results.append(run_student(rec, learner, goal, rate, args, rng))
    judged = [r for r in results if not r.finished_before]
    inside = [bool(r.inside_dates) for r in judged]
    answers_inside = [bool(r.inside_answers) for r in judged]
    widths = [r.width_days for r in judged if r.width_days is not None]
    coverage = sum(inside) / len(inside) if inside else float("nan")
    return {
        "benchmark": "pace_coverage",
        "students": args.students,
        "seed": args.seed,
        "skills": args.skills,
        "goal_skills": goal,
        "project_day": args.project_day,
        "finished_before_projection": sum(r.finished_before for r in results),
        "judged": len(judged),
        "never_finished": sum(1 for r in judged if not r.finished),
        "date_coverage": round(coverage, 3),
        "answer_coverage": round(sum(answers_inside) / max(len(answers_inside), 1), 3),
        "median_range_days": statistics.median(widths) if widths else None,
        "flags": {
            f: sum(1 for r in judged if r.flag == f) for f in sorted({r.flag for r in judged})
        },
        "target": TARGET,
        "meets_target": coverage >= TARGET,
        "seconds": round(time.perf_counter() - t0, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--students", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--skills", type=int, default=8)
    parser.add_argument("--goal", type=int, default=3, help="the last N skills are the goal")
    parser.add_argument("--project-day", type=int, default=2)
    parser.add_argument("--days", type=int, default=150)
    args = parser.parse_args(argv)
    out = run(args)
    emit(out, args.json)
    return 0 if out["meets_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
