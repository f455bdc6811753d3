"""`benchmarks.load --nodes 1,2,3`: the practice loop through HAProxy, per node count.

For each N: `deploy.cluster` starts a throwaway durable PostgreSQL, PgBouncer in
transaction mode, N `pathways serve` nodes (`--workers` each, production settings)
and HAProxy; the service is seeded as in the single-server benchmark and the
students log in through the balancer. Two phases run through HAProxy: saturation
(closed loop, no think time: throughput) and paced (1-3 s think time: the latency a
student sees). Then the bare-write peer (`benchmarks.bare_app`) runs as N nodes
behind the same kind of set (its own PostgreSQL, PgBouncer and HAProxy) at
saturation. Each run is verified like the single-server one: every acknowledged
write stored once under the id the client was told, nothing else.

The machine's core count is printed beside the table: every node, PgBouncer,
PostgreSQL, HAProxy and the load generator share those cores, so on a two-core
machine the curve flattens as soon as the processes together keep both cores busy
(the table's `cpu busy` column: their CPU seconds over the window's wall time).
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from pathlib import Path
from typing import Any

from api.settings import load_settings
from benchmarks import bare_app
from benchmarks.load import (
    START_DELAY_S,
    _percentiles,
    answer_sheet,
    login_all,
    seed_service,
    stored_answers,
    stored_bare,
    tree_cpu_seconds,
    verify,
)
from benchmarks.loadgen import Outcome, Phase, Student, run_phase
from content import load_curriculum, sample_curriculum_path
from deploy.cluster import Cluster, ClusterConfig

BARE_APP = "benchmarks.bare_app:create_app"


def _phase(
    pool: ProcessPoolExecutor,
    url: str,
    students: list[Student],
    phase_args: dict[str, Any],
    answers: dict[str, tuple[str, str]],
    processes: int,
) -> tuple[dict[str, Any], list[tuple[int, str, int]]]:
    host, port = url.removeprefix("http://").split(":")
    phase = Phase(start=time.time() + START_DELAY_S, **phase_args)
    shares = [students[i::processes] for i in range(processes)]
    cpu0 = tree_cpu_seconds(os.getpid())
    futures = [
        pool.submit(run_phase, host, int(port), share, phase, answers, 2000 + i)
        for i, share in enumerate(shares)
        if share
    ]
    outcomes: list[Outcome] = [f.result() for f in futures]
    wall = phase.warmup + phase.seconds
    busy = (tree_cpu_seconds(os.getpid()) - cpu0) / wall  # every process of ours
    loops = sum(o.loops for o in outcomes)
    served, shed = sum(o.served for o in outcomes), sum(o.shed for o in outcomes)
    result = {
        "loops_per_s": round(loops / phase.seconds, 1),
        "latency_ms": _percentiles([x for o in outcomes for x in o.latencies_ms]),
        "errors": sum(o.errors for o in outcomes),
        "error_samples": [e for o in outcomes for e in o.error_samples][:5],
        "shed_share": round(shed / max(1, shed + served), 4),
        "cpu_busy_cores": round(busy, 2),
    }
    return result, [a for o in outcomes for a in o.acked]


def _config(args: argparse.Namespace, nodes: int, **extra: Any) -> ClusterConfig:
    return ClusterConfig(nodes=nodes, workers=args.workers, durable=True, **extra)


def run_nodes(n: int, args: argparse.Namespace, pool: ProcessPoolExecutor) -> dict[str, Any]:
    common = {"warmup": args.warmup, "seconds": args.seconds}
    answers = answer_sheet(list(load_curriculum(sample_curriculum_path()).items))
    root = Path(tempfile.mkdtemp(prefix="pathways-load-nodes-"))
    try:
        return _run_nodes(n, args, pool, root, common, answers)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _run_nodes(
    n: int,
    args: argparse.Namespace,
    pool: ProcessPoolExecutor,
    root: Path,
    common: dict[str, float],
    answers: dict[str, tuple[str, str]],
) -> dict[str, Any]:
    phases: dict[str, Any] = {}
    with Cluster(_config(args, n)) as cluster:
        settings = load_settings(data_dir=root / "service", database_url=cluster.database_url)
        print(f"[{n} nodes] seeding {args.students} students", flush=True)
        usernames = seed_service(settings, args.students)
        students = login_all(cluster.url, usernames)
        acked: list[tuple[int, str, int]] = []
        for mode, pace in (("saturation", None), ("paced", tuple(args.pace))):
            print(f"[{n} nodes] service, {mode}: {args.seconds:.0f} s", flush=True)
            result, got = _phase(
                pool, cluster.url, students, {"kind": "service", "pace": pace, **common},
                answers, args.clients,
            )  # fmt: skip
            phases[f"service_{mode}"] = result
            acked += got
        service_check = verify(acked, stored_answers(settings))
    with Cluster(_config(args, n, app=BARE_APP, health_path="/health")) as cluster:
        bare_settings = load_settings(data_dir=root / "bare", database_url=cluster.database_url)
        bare_app.create_table(bare_settings)
        print(f"[{n} nodes] bare peer, saturation: {args.seconds:.0f} s", flush=True)
        bare_students = [Student(user_id=s.user_id, token="") for s in students]
        result, bare_acked = _phase(
            pool, cluster.url, bare_students, {"kind": "bare", "pace": None, **common},
            answers, args.clients,
        )  # fmt: skip
        phases["bare_saturation"] = result
        bare_check = verify(bare_acked, stored_bare(bare_settings))
    service, bare = phases["service_saturation"], phases["bare_saturation"]
    ratio = service["loops_per_s"] / bare["loops_per_s"] if bare["loops_per_s"] else 0.0
    return {
        "nodes": n,
        "workers_per_node": args.workers,
        "phases": phases,
        "ratio_service_loops_to_bare_requests": round(ratio, 3),
        "verification": {"service": asdict(service_check), "bare": asdict(bare_check)},
    }


def table(runs: list[dict[str, Any]], cpus: int | None) -> str:
    lines = [
        f"== through HAProxy + PgBouncer (transaction mode), PostgreSQL; {cpus} cores ==",
        f"{'nodes':>5} {'service loops/s':>15} {'paced p95 ms':>12} {'bare req/s':>10} "
        f"{'ratio':>6} {'bare p95 ms':>11} {'errors':>6} {'cpu busy':>8} {'verified':>8}",
    ]
    for run in runs:
        p = run["phases"]
        sat, paced, bare = p["service_saturation"], p["service_paced"], p["bare_saturation"]
        errors = sat["errors"] + paced["errors"] + bare["errors"]
        ok = all(v["lost"] == v["ghosts"] == v["duplicates"] == v["wrong_ids"] == 0
                 for v in run["verification"].values())  # fmt: skip
        lines.append(
            f"{run['nodes']:>5} {sat['loops_per_s']:>15.1f} "
            f"{paced['latency_ms'].get('p95', 0):>12.1f} {bare['loops_per_s']:>10.1f} "
            f"{run['ratio_service_loops_to_bare_requests']:>6.3f} "
            f"{bare['latency_ms'].get('p95', 0):>11.1f} {errors:>6} "
            f"{sat['cpu_busy_cores']:>8.2f} {'yes' if ok else 'NO':>8}"
        )
    return "\n".join(lines)


def parse_nodes(text: str) -> list[int]:
    try:
        counts = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(f"--nodes {text!r}: comma-separated counts") from None
    if not counts or any(c < 1 for c in counts):
        raise argparse.ArgumentTypeError(f"--nodes {text!r}: counts of at least 1")
    return counts


def main_nodes(args: argparse.Namespace) -> int:
    """Run every node count and write the report (benchmarks.load's `--json`)."""
    import json
    import platform
    from multiprocessing import get_context

    cpus = os.cpu_count()
    print(f"machine: {cpus} cores; nodes {args.nodes}, {args.workers} workers each", flush=True)
    runs = []
    with ProcessPoolExecutor(max_workers=args.clients, mp_context=get_context("spawn")) as pool:
        for n in args.nodes:
            runs.append(run_nodes(n, args, pool))
            print(table(runs[-1:], cpus), flush=True)
    print(table(runs, cpus), flush=True)
    report = {
        "benchmark": "load --nodes",
        "protocol": __doc__,
        "config": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "machine": {
            "cpus": cpus,
            "python": platform.python_version(),
            "load_average": os.getloadavg(),
        },
        "runs": runs,
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(report, indent=2) + "\n")
    print(f"wrote {args.json}")
    return 0
