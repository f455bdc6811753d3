"""A refit's read of a PostgreSQL log: the whole log at once vs streamed skill by skill.

    python -m benchmarks.scale_fit_pg [--responses 1000000] [--skills 100] [--seed 0]
                                      [--modes whole,one_pass,per_skill_gin] [--json OUT.json]

`benchmarks.scale_fit` measures the fit on in-memory data; this one measures what the
service's fit job does with a log in PostgreSQL (a throwaway cluster, server defaults).
The log: `benchmarks.scale_fit.SyntheticLog` (per-skill seeds, sequence lengths of mean
20), each skill with four items, written with COPY into `response_log` of a migrated
database. Then, each in its own subprocess so its peak RSS is its own, with the
service's fitter (`service_fitter`: MAP, empirical Bayes, so two passes when streamed):

* `whole`: `log_responses` (the whole log as `Responses`) then `BKTFitter.fit`;
* `one_pass`: `log_plan` + `LogBlocks` (PostgreSQL's default: one sorted query per
  pass) + `StreamingFitter`, one skill's rows at a time;
* `per_skill`: the same with one query per skill, each scanning the log (slow: about
  2 x skills scans);
* `per_skill_gin`: per skill after adding a GIN index on `response_log.skills`
  (`jsonb_path_ops`), which the per-skill query's `@>` filter can use. The index stays,
  so this mode runs last.

Reported: read and fit seconds, peak RSS, and whether every mode gives the `whole`
parameters (exit 1 if not). The load average is printed beside the figures.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.scale_fit import SyntheticLog, warm_up

ITEMS_PER_SKILL = 4


def _curriculum(names: tuple[str, ...]) -> str:
    lines = ["format_version: 1", "id: bench", "name: Bench", "units:", "  - id: u1"]
    lines += ["    name: All", f"    skills: [{', '.join(names)}]", "skills:"]
    lines += [f'  - {{id: {n}, name: Skill {n}, grade_band: "5"}}' for n in names]
    lines.append("items:")
    for n in names:
        for j in range(ITEMS_PER_SKILL):
            lines.append(
                f'  - {{id: {n}i{j}, skills: [{n}], type: numeric, prompt: "{n} {j}", '
                f"answer: {{value: {j}}}}}"
            )
    return "\n".join(lines) + "\n"


def _load(url: str, log: SyntheticLog) -> int:
    """Migrate, import the curriculum and students, COPY the log; returns rows written."""
    import psycopg
    from sqlalchemy import create_engine, insert, text
    from sqlmodel import Session

    from api.services import content_import
    from models.migrate import upgrade
    from models.types import utcnow
    from models.users import User

    engine = create_engine(url)
    upgrade(engine)
    names = log.names()
    most = max(log.n_students(k) for k in range(log.n_skills))
    with Session(engine) as session:
        content_import.import_text(session, _curriculum(names), "bench.yaml")
        session.commit()
        now = utcnow()
        rows = [
            {"username": f"st{i}", "password_hash": "-", "role": "student", "created_at": now}
            for i in range(most)
        ]
        for at in range(0, most, 10_000):
            session.execute(insert(User), rows[at : at + 10_000])
        session.commit()
        first = session.execute(text('SELECT min(id) FROM "user"')).scalar_one()
    engine.dispose()
    conninfo = url.replace("postgresql+psycopg://", "postgresql://")
    n = 0
    rng = np.random.default_rng(log.seed)
    with psycopg.connect(conninfo) as conn, conn.cursor() as cur:
        with cur.copy(
            "COPY response_log (student_id, item_id, raw_answer, correct, skills, attempt,"
            " idempotency_key, created_at) FROM STDIN"
        ) as copy:
            for k, name in enumerate(names):
                correct, student = log.skill(k)
                item = np.asarray(rng.integers(0, ITEMS_PER_SKILL, size=correct.shape[0]))
                buf = io.StringIO()
                for c, s, i in zip(correct.tolist(), student.tolist(), item.tolist(), strict=True):
                    n += 1
                    buf.write(
                        f'{first + s}\t{name}i{i}\tx\t{"t" if c else "f"}\t["{name}"]\t1\t'
                        f"k{n}\t2026-01-01 00:00:00\n"
                    )
                copy.write(buf.getvalue())
                if (k + 1) % max(1, len(names) // 10) == 0:
                    print(f"  copied {k + 1}/{len(names)} skills", file=sys.stderr, flush=True)
        conn.commit()
    with psycopg.connect(conninfo) as conn:
        conn.execute("ANALYZE response_log")
    return n


def _gin(url: str) -> None:
    import psycopg

    with psycopg.connect(url.replace("postgresql+psycopg://", "postgresql://")) as conn:
        conn.execute(
            "CREATE INDEX IF NOT EXISTS ix_bench_response_skills "
            "ON response_log USING gin (skills jsonb_path_ops)"
        )
        conn.execute("ANALYZE response_log")


MODES = ("whole", "one_pass", "per_skill", "per_skill_gin")


def _child(mode: str, url: str, seed: int) -> dict[str, Any]:
    from sqlalchemy import create_engine, func, select
    from sqlmodel import Session

    from api.services.log_data import LogBlocks, LogWindow, log_plan, log_responses
    from engine.fit import service_fitter
    from engine.fit_stream import StreamingFitter
    from models.responses import ResponseLog

    warm_up()
    engine = create_engine(url)
    with Session(engine) as session:
        last = int(session.execute(select(func.max(ResponseLog.id))).scalar_one())
        session.rollback()
        t0 = time.perf_counter()
        if mode == "whole":
            data = log_responses(session)
            assert data is not None
            session.rollback()
            read_s = time.perf_counter() - t0
            fitter: Any = service_fitter(random_state=seed, n_jobs=1).fit(data)
            fit_s = time.perf_counter() - t0 - read_s
        else:
            fitter = service_fitter(random_state=seed, n_jobs=1)
            window = LogWindow(last)
            plan = log_plan(session, fitter, window)
            assert plan is not None
            read_s = time.perf_counter() - t0  # the plan; blocks are read inside the fit
            with LogBlocks(session, plan, window, one_pass=mode == "one_pass") as blocks:
                fitter = StreamingFitter(fitter).fit(plan, blocks)
            fit_s = time.perf_counter() - t0 - read_s
    engine.dispose()
    return {
        "read_s": read_s,
        "fit_s": fit_s,
        "total_s": read_s + fit_s,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "params": fitter.params_.to_json_dict()["skills"],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=1_000_000)
    parser.add_argument("--skills", type=int, default=100)
    parser.add_argument("--modes", default="whole,one_pass,per_skill_gin")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", choices=MODES, help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(_child(args.child, args.url, args.seed)))
        return 0
    from benchmarks.pg_server import PostgresServer

    modes = [m for m in args.modes.split(",") if m]
    if not modes or modes[0] != "whole" or set(modes) - set(MODES):
        parser.error(f"--modes: 'whole' first, then any of {MODES[1:]}")
    if "per_skill_gin" in modes:  # the index stays: last
        modes = [m for m in modes if m != "per_skill_gin"] + ["per_skill_gin"]
    log = SyntheticLog(args.skills, args.responses // args.skills, args.seed)
    rows: dict[str, dict[str, Any]] = {}
    with PostgresServer(durable=True) as server:
        url = server.create_database("scale_fit")
        t0 = time.perf_counter()
        n = _load(url, log)
        print(f"loaded {n:,} log rows in {time.perf_counter() - t0:.0f} s", flush=True)
        for mode in modes:
            if mode == "per_skill_gin":
                _gin(url)
            print(f"{mode}: subprocess ...", flush=True)
            out = subprocess.run(
                [sys.executable, "-m", "benchmarks.scale_fit_pg", "--child", mode,
                 "--url", url, "--seed", str(args.seed)],
                check=True, stdout=subprocess.PIPE, text=True,
            )  # fmt: skip
            rows[mode] = json.loads(out.stdout.strip().splitlines()[-1])
            rows[mode]["load"] = list(os.getloadavg())
    reference = rows["whole"]["params"]
    same = {m: r["params"] == reference for m, r in rows.items()}
    print(f"\n{n:,} responses in PostgreSQL, {args.skills} skills; {os.cpu_count()} cores")
    print("mode            read s   fit s  total s  peak RSS MB  same params  load 1/5/15 min")
    for m, r in rows.items():
        loads = "/".join(f"{x:.2f}" for x in r["load"])
        print(
            f"{m:14s} {r['read_s']:7.1f} {r['fit_s']:7.1f} {r['total_s']:8.1f} "
            f"{r['peak_rss_mb']:12.0f}  {same[m]!s:11s}  {loads}"
        )
    print("streamed modes: read s is the plan; the blocks are read inside fit s (twice: EB)")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        slim = {m: {k: v for k, v in r.items() if k != "params"} for m, r in rows.items()}
        doc = {"responses": n, "skills": args.skills, "same_params": same, "modes": slim}
        args.json.write_text(json.dumps(doc, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0 if all(same.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
