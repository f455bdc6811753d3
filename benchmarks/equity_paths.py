"""Equity of the recommender: two subgroups with the same true knowledge, through the service.

    python -m benchmarks.equity_paths --json OUT.json [--pairs 20] [--skills 12]
        [--cap 200] [--seed 3]

Protocol. A file SQLite service with the generated curriculum of `benchmarks.heatmap_page`
(`--skills` skills in a prerequisite chain, three items each) and one class. Each of
`--pairs` simulated students (`engine.recommend.sim`: true guess/slip/learn per skill,
starting knowledge from `GRAPH_POPULATIONS` in turn, learning slowed by missing
prerequisites) is enrolled twice: once with `ell=yes, iep=no`, once with `ell=no,
iep=yes`. The twins have the same true knowledge and the same luck (the same draws for
each attempt). A whole-class goal covers every skill. Each student then practises
through the service (`practice.next_items`, `answers.submit_answer`) on what the
recommender offers, until the service rates every goal skill mastered
(`pace.goal_progress`) or `--cap` answers.

Reported: the share of twin pairs whose recommendation paths (item by item) are
identical, the answers to reach the goal per subgroup (mean, median) and the largest
difference within a pair. Equal treatment means 100 % identical paths and no
difference in time to goal.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from sqlmodel import select

from api.main import create_app
from api.runtime import Runtime
from api.services import classes, content_import, goals, pace, practice, users
from api.services.answers import submit_answer
from api.settings import load_settings
from benchmarks.heatmap_page import PASSWORD, curriculum_yaml
from benchmarks.json_result import emit
from content.answers import canonical_answer
from engine.recommend.graph import Item, SkillGraph
from engine.recommend.sim import GRAPH_POPULATIONS, Classroom, Learner, draw_student
from models.goals import GoalCreate
from models.practice import AnswerSubmit
from models.users import Role, User, UserCreate

GROUPS = ({"ell": "yes", "iep": "no"}, {"ell": "no", "iep": "yes"})


def graph_of(n: int) -> SkillGraph:
    skills = [f"s{k:02d}" for k in range(n)]
    return SkillGraph(
        skills,
        prerequisites={s: [skills[k - 1]] for k, s in enumerate(skills) if k},
        items=[Item(f"{s}-i{j}", s) for s in skills for j in range(3)],
    )


def practise(
    runtime: Runtime, student_id: int, learner: Learner, cap: int
) -> tuple[list[str], int]:
    """Answer what the service offers until it rates the goal reached; the item path and
    the answers it took (`cap` if never)."""
    path: list[str] = []
    for k in range(cap):
        with runtime.session() as s:
            found = pace.goal_progress(s, runtime, student_id)
            assert found is not None
            if found.mastered == found.total:
                return path, k
            nxt = practice.next_items(s, runtime, student_id)
            assert nxt.recommended is not None
            item = runtime.cache.get(s).items[nxt.recommended.item.id].content
            right = learner.answer(nxt.recommended.skill_id, item.id)
            text = canonical_answer(item.answer) if right else "-1"
            submit_answer(
                s,
                runtime,
                student_id,
                AnswerSubmit(item_id=item.id, answer=text, idempotency_key=f"e{student_id}-{k}"),
            )
            path.append(item.id)
    return path, cap


def run(args: argparse.Namespace) -> dict[str, Any]:
    rng = np.random.default_rng(args.seed)
    graph = graph_of(args.skills)
    classroom = Classroom.draw(graph, rng)
    with tempfile.TemporaryDirectory(prefix="pathways-bench-") as tmp:
        settings = load_settings(
            data_dir=Path(tmp),
            database_url=None,
            secret_key="benchmark-secret-" + "e" * 32,
            argon2_time_cost=1,
            argon2_memory_kib=1024,
            sqlite_synchronous="NORMAL",
        )
        app = create_app(settings)
        runtime: Runtime = app.state.runtime
        today = datetime.now(UTC).date()
        with runtime.session() as s:
            content_import.import_text(s, curriculum_yaml(args.skills), "bench.yaml")
            teacher = users.create_user(
                s, runtime, UserCreate(username="eq.teacher", role=Role.teacher, password=PASSWORD)
            )
            room = classes.create_class(s, "Equity class")
            assert room.id is not None
            classes.add_teacher(s, room.id, teacher)
        twins: list[tuple[int, int, Any]] = []
        for i in range(args.pairs):
            population = GRAPH_POPULATIONS[i % len(GRAPH_POPULATIONS)]
            drawn = draw_student(classroom, population, rng, cap=args.cap)
            ids = []
            for g, attrs in enumerate(GROUPS):
                with runtime.session() as s:
                    u = users.create_user(
                        s,
                        runtime,
                        UserCreate(username=f"p{i:02d}g{g}", role=Role.student, password=PASSWORD),
                    )
                    assert u.id is not None and room.id is not None
                    classes.enrol(s, room.id, u, attrs)
                    ids.append(u.id)
            twins.append((ids[0], ids[1], (population, drawn)))
        with runtime.session() as s:
            who = s.exec(select(User).where(User.username == "eq.teacher")).one()
            goals.create_goal(
                s,
                runtime.cache.recent(s),
                who,
                room.id,
                GoalCreate(title="Everything", unit_id=None, skills=list(graph.skills),
                           target_date=today + timedelta(days=60)),
                today,
            )  # fmt: skip
        t0 = time.perf_counter()
        same_path = 0
        answers: tuple[list[int], list[int]] = ([], [])
        gaps = []
        for a, b, (population, drawn) in twins:
            path_a, n_a = practise(runtime, a, Learner(classroom, population, drawn), args.cap)
            path_b, n_b = practise(runtime, b, Learner(classroom, population, drawn), args.cap)
            same_path += path_a == path_b
            answers[0].append(n_a)
            answers[1].append(n_b)
            gaps.append(abs(n_a - n_b))
        seconds = time.perf_counter() - t0
        runtime.jobs.shutdown()
        runtime.engine.dispose()

    def summary(values: list[int]) -> dict[str, float]:
        return {
            "mean": round(statistics.fmean(values), 2),
            "median": float(statistics.median(values)),
            "reached_goal": sum(v < args.cap for v in values),
        }

    return {
        "benchmark": "equity_paths",
        "pairs": args.pairs,
        "skills": args.skills,
        "cap": args.cap,
        "seed": args.seed,
        "identical_paths_share": round(same_path / max(args.pairs, 1), 3),
        "answers_to_goal": {
            "ell=yes,iep=no": summary(answers[0]),
            "ell=no,iep=yes": summary(answers[1]),
        },
        "largest_pair_difference": max(gaps) if gaps else 0,
        "equal": same_path == args.pairs and max(gaps or [0]) == 0,
        "seconds": round(seconds, 1),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--skills", type=int, default=12)
    parser.add_argument("--cap", type=int, default=200)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args(argv)
    out = run(args)
    emit(out, args.json)
    return 0 if out["equal"] else 1


if __name__ == "__main__":
    sys.exit(main())
