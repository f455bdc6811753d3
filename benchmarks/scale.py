"""Fit time and peak memory on synthetic data of 1M and 10M responses (BKT, all skills).

    python -m benchmarks.scale --json OUT.json [--sizes 1000000,10000000]

Each size runs in its own subprocess so its peak resident memory
(`resource.getrusage(RUSAGE_SELF).ru_maxrss`) is that run's alone: the
interpreter, numpy, numba, the simulated `Responses` and the fit. Data: 100
skills with the same known parameters (prior .3, learn .15, guess .2, slip .1),
students x 100 attempts per skill; the JIT is warmed on tiny data first and the
simulation is not timed. Targets: 10M responses fit in < 60 s with < 2 GB peak.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from engine.fit import BKTFitter
from engine.simulate import known_params, simulate

N_SKILLS = 100
N_ATTEMPTS = 100
TARGET_S = 60.0
TARGET_MB = 2048.0


def run_one(n_responses: int, seed: int = 0) -> dict[str, float | int]:
    """Simulate, warm up, fit; returns timings and this process's peak RSS."""
    n_students = max(1, n_responses // (N_SKILLS * N_ATTEMPTS))
    BKTFitter(random_state=0).fit(simulate(known_params(2), 10, 5, np.random.default_rng(0)))
    t0 = time.perf_counter()
    data = simulate(known_params(N_SKILLS), n_students, N_ATTEMPTS, np.random.default_rng(seed))
    sim_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    fitter = BKTFitter(random_state=seed).fit(data)
    fit_s = time.perf_counter() - t0
    worst = max(
        max(abs(p.prior - 0.3), abs(p.learn - 0.15), abs(p.guess - 0.2), abs(p.slip - 0.1))
        for p in fitter.params_.skills.values()
    )
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {
        "responses": len(data),
        "skills": N_SKILLS,
        "students": n_students,
        "attempts": N_ATTEMPTS,
        "simulate_s": sim_s,
        "fit_s": fit_s,
        "em_iterations": int(sum(fitter.n_iter_.values())),
        "peak_rss_mb": peak_mb,
        "max_param_error": worst,
    }


def table(rows: list[dict[str, float | int]]) -> str:
    head = ("responses", "skills", "students", "fit s", "iterations", "peak RSS MB", "max |err|")
    body = [
        (
            f"{r['responses']:,}",
            str(r["skills"]),
            f"{r['students']:,}",
            f"{r['fit_s']:.2f}",
            str(r["em_iterations"]),
            f"{r['peak_rss_mb']:.0f}",
            f"{r['max_param_error']:.3f}",
        )
        for r in rows
    ]
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    return "\n".join(
        "  ".join(c.rjust(w) for c, w in zip(line, widths, strict=True))
        for line in [head, tuple("-" * w for w in widths), *body]
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, help="write the rows as a JSON list here")
    parser.add_argument("--sizes", default="1000000,10000000", help="comma-separated counts")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child is not None:
        print(json.dumps(run_one(args.child)))
        return 0
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        print(f"fitting {size:,} synthetic responses in a subprocess ...", flush=True)
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks.scale", "--child", str(size)],
            check=True,
            capture_output=True,
            text=True,
        )
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print("JIT warmed before timing; peak RSS of the whole subprocess (getrusage)")
    print(table(rows))
    for r in rows:
        if r["responses"] >= 10_000_000:
            ok = r["fit_s"] < TARGET_S and r["peak_rss_mb"] < TARGET_MB
            print(
                f"{r['responses']:,}: target < {TARGET_S:.0f} s and < {TARGET_MB:.0f} MB: "
                f"{'met' if ok else 'MISSED'}"
            )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(rows, indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
