"""Fit time and peak memory of a 100M-response synthetic log: whole log in process, streamed
skill by skill, and fanned out to a 2-worker Dask LocalCluster.

    python -m benchmarks.scale_fit [--responses 100000000] [--skills 500] [--seed 0]
                                   [--modes whole,stream,dask] [--json OUT.json]

`benchmarks.scale` measures 1M-10M responses built through `engine.simulate` (one
`Responses` of the whole simulation); this one goes past what that can hold cheaply.
Data: `--skills` skills of `responses / skills` answers each, every skill with its own
parameters (prior 0.1-0.6, learn 0.05-0.3, guess 0.1-0.3, slip 0.05-0.2), students with
realistic sequence lengths (1 + negative binomial, mean 20, at most 400 answers; a skill
has about 10k students at 200k answers), answers simulated by a compiled BKT loop from
a per-skill seed, so any skill can be regenerated alone and every mode sees the same
log. Plain BKT (`BKTFitter` defaults: pyBKT's EM, one start), so per-row item and class
codes are zero-stride views and the log's own arrays are correct (int8) + student
(int32) = 5 bytes a response.

Each mode runs in its own subprocess so its peak RSS (`getrusage` `ru_maxrss`, the
whole process: interpreter, numba, data and fit) is its own:

* `whole`: the log as one `Responses` in memory, `BKTFitter(n_jobs=2).fit` (threads).
  Also the tracemalloc peak (numpy's and Python's allocations; the kernels' own
  scratch arrays are numba's and not traced).
* `stream`: `engine.fit_stream.StreamingFitter` reading one generated skill block at a
  time (2 threads, at most 2 blocks in flight): memory bound by the largest skill.
* `dask`: `engine.fit_dask.DaskFitter` on `LocalCluster(n_workers=2, threads_per_worker=1,
  processes=True)`; blocks generated in the driver and shipped to the workers. Peak
  RSS is the driver's and each worker's (`getrusage` run on each worker). On one
  machine this mode is slower, not faster: every block (about 5 MB pickled for a
  200k-answer skill) is serialised, sent over loopback and unpickled, on the same two
  cores the workers fit on; it shows the result is the same and what shipping costs.

The JIT is warmed on tiny data first and the data generation is timed apart from the
fit. Every mode's parameters must equal the `whole` fit's exactly (checked; exit 1 if
not). Targets (issue 14): 100M responses fit in < 60 s in process with peak < 8 GB.
The load average is printed beside the figures: the machine is shared.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numba import njit
from numpy.typing import NDArray

from engine.fit import BKTFitter
from engine.fit_stream import SkillPlan, StreamingFitter
from engine.responses import Responses

TARGET_S = 60.0
TARGET_MB = 8192.0
MEAN_LENGTH = 20
MAX_LENGTH = 400


@njit(cache=True, nogil=True)
def _simulate(
    starts: NDArray[np.int64],
    u: NDArray[np.float64],
    prior: float,
    learn: float,
    guess: float,
    slip: float,
    out: NDArray[np.int8],
) -> None:
    """BKT answers of each sequence (three uniforms per answer: start, learn, observe)."""
    for q in range(starts.shape[0] - 1):
        known = u[3 * starts[q]] < prior
        for t in range(starts[q], starts[q + 1]):
            p = 1.0 - slip if known else guess
            out[t] = 1 if u[3 * t + 2] < p else 0
            if not known and u[3 * t + 1] < learn:
                known = True


@dataclass(frozen=True)
class SyntheticLog:
    """A log of `n_skills` skills x `per_skill` answers, each skill generated from its own seed."""

    n_skills: int
    per_skill: int
    seed: int

    def names(self) -> tuple[str, ...]:
        return tuple(f"s{k:04d}" for k in range(self.n_skills))

    def _lengths(self, k: int) -> NDArray[np.int64]:
        rng = np.random.default_rng([self.seed, k, 0])
        draw = 1 + rng.negative_binomial(1, 1.0 / MEAN_LENGTH, size=2 * self.per_skill // 5 + 10)
        lengths = np.minimum(draw, MAX_LENGTH).astype(np.int64)
        cum = np.cumsum(lengths)
        n = int(np.searchsorted(cum, self.per_skill)) + 1
        lengths = lengths[:n].copy()
        lengths[-1] -= int(cum[n - 1]) - self.per_skill  # exactly per_skill answers
        return lengths

    def skill(self, k: int) -> tuple[NDArray[np.int8], NDArray[np.int32]]:
        """Skill k's answers and each answer's student code (sequences in student order)."""
        lengths = self._lengths(k)
        rng = np.random.default_rng([self.seed, k, 1])
        prior, learn, guess, slip = (
            rng.uniform(0.1, 0.6),
            rng.uniform(0.05, 0.3),
            rng.uniform(0.1, 0.3),
            rng.uniform(0.05, 0.2),
        )
        starts = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
        correct = np.empty(self.per_skill, dtype=np.int8)
        _simulate(starts, rng.random(3 * self.per_skill), prior, learn, guess, slip, correct)
        student = np.repeat(np.arange(lengths.shape[0], dtype=np.int32), lengths)
        return correct, student

    def n_students(self, k: int) -> int:
        return int(self._lengths(k).shape[0])

    def students(self) -> tuple[str, ...]:
        most = 2 * self.per_skill // 5 + 10
        return tuple(f"{i:07d}" for i in range(most))


def _responses(
    correct: NDArray[np.int8],
    skill: NDArray[np.int32],
    student: NDArray[np.int32],
    skills: tuple[str, ...],
    students: tuple[str, ...],
) -> Responses:
    """Rows already in (skill, student, time) order; item, class and row are zero-stride."""
    n = correct.shape[0]
    zeros = np.broadcast_to(np.int32(0), (n,))
    return Responses(
        correct=correct,
        skill=skill,
        student=student,
        item=zeros,
        student_class=zeros,
        row=np.broadcast_to(np.int64(0), (n,)),
        skills=skills,
        students=students,
        items=("",),
        classes=("",),
    )


class _Blocks:
    """`SkillSource` generating skill k's block on demand."""

    def __init__(self, log: SyntheticLog) -> None:
        self.log = log
        self.skills = log.names()
        self.students = log.students()

    def block(self, k: int) -> Responses:
        correct, student = self.log.skill(k)
        skill = np.full(correct.shape[0], k, dtype=np.int32)
        return _responses(correct, skill, student, self.skills, self.students)

    def plan(self) -> SkillPlan:
        n = self.log.n_skills
        students = np.array([self.log.n_students(k) for k in range(n)], dtype=np.int64)
        ones = np.ones(n, dtype=np.int64)
        return SkillPlan(
            self.skills,
            ("",),
            ("",),
            np.full(n, self.log.per_skill, dtype=np.int64),
            students,
            ones,
            ones,
            ones,
        )


def warm_up() -> None:
    """Compile the kernels on tiny data (not timed)."""
    tiny = SyntheticLog(3, 200, 99)
    blocks = _Blocks(tiny)
    BKTFitter(random_state=0, n_jobs=1).fit(blocks.block(0))


def _printer(label: str) -> Any:
    last = [-1]

    def progress(done: int, total: int) -> None:
        tenth = 10 * done // max(total, 1)
        if tenth != last[0]:
            last[0] = tenth
            print(f"  {label}: {done}/{total} skills fitted", file=sys.stderr, flush=True)

    return progress


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def _params(fitter: BKTFitter | StreamingFitter) -> dict[str, Any]:
    return dict(fitter.params_.to_json_dict()["skills"])


def run_whole(log: SyntheticLog) -> dict[str, Any]:
    import tracemalloc

    warm_up()
    tracemalloc.start()
    t0 = time.perf_counter()
    n = log.n_skills * log.per_skill
    correct = np.empty(n, dtype=np.int8)
    student = np.empty(n, dtype=np.int32)
    skill = np.empty(n, dtype=np.int32)
    for k in range(log.n_skills):
        sl = slice(k * log.per_skill, (k + 1) * log.per_skill)
        correct[sl], student[sl] = log.skill(k)
        skill[sl] = k
        if (k + 1) % max(1, log.n_skills // 10) == 0:
            print(f"  generated {k + 1}/{log.n_skills} skills", file=sys.stderr, flush=True)
    data = _responses(correct, skill, student, log.names(), log.students())
    gen_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    fitter = BKTFitter(random_state=log.seed, n_jobs=2, progress=_printer("whole")).fit(data)
    fit_s = time.perf_counter() - t0
    _, traced = tracemalloc.get_traced_memory()
    return {
        "generate_s": gen_s,
        "fit_s": fit_s,
        "em_iterations": int(sum(fitter.n_iter_.values())),
        "peak_rss_mb": _rss_mb(),
        "tracemalloc_peak_mb": traced / 2**20,
        "params": _params(fitter),
    }


def run_stream(log: SyntheticLog) -> dict[str, Any]:
    warm_up()
    source = _Blocks(log)
    plan = source.plan()
    fitter = BKTFitter(random_state=log.seed, n_jobs=2, progress=_printer("stream"))
    t0 = time.perf_counter()
    stream = StreamingFitter(fitter).fit(plan, source)
    total_s = time.perf_counter() - t0
    return {
        "fit_s": total_s,  # generation of each block included: it is the stream's read
        "em_iterations": int(sum(stream.n_iter_.values())),
        "peak_rss_mb": _rss_mb(),
        "params": _params(stream),
    }


def run_dask(log: SyntheticLog) -> dict[str, Any]:
    from distributed import Client, LocalCluster

    from engine.fit_dask import DaskFitter

    warm_up()
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_port=0,
        ) as cluster,
        Client(cluster) as client,
    ):
        client.run(warm_up)
        source = _Blocks(log)
        plan = source.plan()
        fitter = BKTFitter(random_state=log.seed, n_jobs=1, progress=_printer("dask"))
        t0 = time.perf_counter()
        fitted = DaskFitter(fitter, client=client).fit(plan, source)
        total_s = time.perf_counter() - t0
        workers = client.run(_rss_mb)
    return {
        "fit_s": total_s,
        "em_iterations": int(sum(fitted.n_iter_.values())),
        "peak_rss_mb": _rss_mb(),
        "worker_peak_rss_mb": sorted(float(v) for v in workers.values()),
        "params": _params(fitted),
    }


RUNS = {"whole": run_whole, "stream": run_stream, "dask": run_dask}


def _child(mode: str, log: SyntheticLog) -> int:
    print(json.dumps(RUNS[mode](log)))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--responses", type=int, default=100_000_000)
    parser.add_argument("--skills", type=int, default=500)
    parser.add_argument("--modes", default="whole,stream,dask")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--child", choices=sorted(RUNS), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.responses < args.skills or args.skills < 1:
        parser.error("need --skills >= 1 and --responses >= --skills")
    log = SyntheticLog(args.skills, args.responses // args.skills, args.seed)
    if args.child is not None:
        return _child(args.child, log)
    modes = [m for m in args.modes.split(",") if m]
    unknown = sorted(set(modes) - set(RUNS))
    if unknown:
        parser.error(f"unknown mode(s) {unknown}; choose from {sorted(RUNS)}")
    n = log.n_skills * log.per_skill
    rows: dict[str, dict[str, Any]] = {}
    for mode in modes:
        load = os.getloadavg()
        print(f"{mode}: {n:,} responses, {log.n_skills} skills, subprocess ...", flush=True)
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.scale_fit", "--child", mode,
             "--responses", str(args.responses), "--skills", str(args.skills),
             "--seed", str(args.seed)],
            check=True, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        rows[mode] = json.loads(out.stdout.strip().splitlines()[-1])
        rows[mode]["load_before"] = list(load)
        rows[mode]["load_after"] = list(os.getloadavg())
    reference = next(iter(rows.values()))["params"]
    same = {m: r["params"] == reference for m, r in rows.items()}
    print(f"\n{n:,} responses, {log.n_skills} skills x {log.per_skill:,}; {os.cpu_count()} cores")
    print("mode    fit s   EM iters   peak RSS MB   other                      load 1/5/15 min")
    for m, r in rows.items():
        other = ""
        if "tracemalloc_peak_mb" in r:
            other = f"traced {r['tracemalloc_peak_mb']:.0f} MB, gen {r['generate_s']:.1f} s"
        if "worker_peak_rss_mb" in r:
            other = "workers " + " + ".join(f"{w:.0f}" for w in r["worker_peak_rss_mb"]) + " MB"
        loads = "/".join(f"{x:.2f}" for x in r["load_after"])
        print(
            f"{m:6s} {r['fit_s']:7.1f} {r['em_iterations']:10d} {r['peak_rss_mb']:13.0f}   "
            f"{other:26s} {loads}"
        )
    first = next(iter(rows))
    print(f"same parameters as {first}: " + ", ".join(f"{m} {ok}" for m, ok in same.items()))
    if "whole" in rows:
        r = rows["whole"]
        ok = r["fit_s"] < TARGET_S and r["peak_rss_mb"] < TARGET_MB
        verdict = "met" if ok else "MISSED"
        print(f"target < {TARGET_S:.0f} s, < {TARGET_MB:.0f} MB in process: {verdict}")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        slim = {m: {k: v for k, v in r.items() if k != "params"} for m, r in rows.items()}
        args.json.write_text(
            json.dumps({"responses": n, "same_params": same, "modes": slim}, indent=2) + "\n"
        )
        print(f"wrote {args.json}")
    return 0 if all(same.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
