"""Our BKT fitter against pyBKT's compiled build, measured in the same run on the shared data.

    python -m benchmarks.fit_vs_pybkt --json OUT.json [--restarts 1] [--seeds 3]
    python -m benchmarks.fit_vs_pybkt --min-data [--json OUT.json]   # only the min-data study
    python -m benchmarks.fit_vs_pybkt --datasets e2e [--seeds 3]     # only the end-to-end row

Data sets: Cognitive Tutor `ct.csv` (5-fold cross-validation, folds by student;
metrics over the pooled out-of-fold predictions) and ASSISTments 2009 in the
Piech et al. train/test split (each sequence its own student). Variants: BKT
and BKT+forgets, both engines with the same number of random restarts.

Protocol:
- Both engines start from the same in-memory DataFrame in pyBKT's default
  column names (`engine.io.to_pybkt_frame`). Fit time runs from that DataFrame
  to fitted parameters: pyBKT's `Model.fit(data=df)` (its own conversion
  included), and for us `Responses.from_columns` on the frame's columns in
  `order_id` order (pyBKT's time rule) plus `BKTFitter.fit`. The validating
  loader `engine.io.from_frame` does more checking than pyBKT does; its time is
  reported separately (`ours_validated_load_s`) and not included.
- Each engine is fitted once per seed (`--seeds`, seeds 0..n-1); the table shows
  the median fit time and the mean metric over seeds, because one restart's
  result depends on the random start for both engines. Both engines use both
  cores (pyBKT: OpenMP E-step; ours: a thread per core over skills).
- Our numba kernels are compiled (warmed up on tiny data) before any timing.
- With one restart, each seed also fits ours from pyBKT's own random start
  (`engine.pybkt_compat.pybkt_random_starts`, untimed): `ours_auc_pybkt_starts`
  then equals pyBKT's AUC up to rounding, separating the engine from the luck
  of the start.
- `--start-draws N` (default 20, untimed): the mean AUC of N one-restart fits
  from our random starts and from pyBKT's, both with our EM; a sharper answer
  to "is the start distribution as good as pyBKT's" than a few timed seeds.
- Scoring: P(correct) before each test response; responses on skills that
  never occur in training are left out for both engines (pyBKT's `evaluate`
  skips them too), their count is reported as `dropped`.
- Peak memory of our fit (`ours_peak_mb`): tracemalloc's peak of Python and
  numpy allocations from the DataFrame to fitted parameters, in a separate
  untimed run (numba's per-thread scratch buffers, a few KB, are not traced).

Small-data rows (ASSISTments only, same run, data, seeds and restarts): our fit
under `Priors.default()` (MAP) and under MAP + empirical Bayes, each timed the same
way right after our flat fit of the same seed (so both see the same machine load);
the ratio to our plain (flat-prior) fit is the median of the per-seed ratios.
Targets: flat >= 20x pyBKT, MAP <= 1.5x our flat fit.

End-to-end row (`--datasets e2e`, same run, seeds and restarts): the ASSISTments
Piech train split from file to parameter file, each engine in a fresh process, wall
time of the whole process (interpreter start, imports, reading and parsing, fit,
writing). Ours: `python -m cli fit builder_train.csv --out P.json --format dkt
--restarts R --seed S` (the `pathways fit` command). pyBKT: `PYBKT_SCRIPT`, the
plain script a pyBKT user writes: read the three-line file into a DataFrame in
pyBKT's default columns (each sequence its own student, `order_id` in file order),
`Model(seed=S, num_fits=R, parallel=True).fit(data=df)`, `model.params().to_csv`.
The settings match pyBKT's defaults: every skill in the file, one guess/slip and one
learn rate per skill (no multigs/multilearn), forgets off, R random restarts (1 by
default), at most 100 EM iterations, stopping when the log-likelihood changes by less
than 1e-3 (pyBKT's `EM_fit` defaults; `pathways fit --max-iter` 100 and
`BKTFitter`'s `tol` 1e-3). Both use both cores. The runs alternate ours, pyBKT per
seed (same machine load); wall and CPU time (user + system of the process, from
`getrusage`) are medians over seeds. One untimed run of each on
a tiny file first loads our numba kernels' on-disk cache (a fresh checkout compiles
them once, like any first run) and warms both interpreters' bytecode caches. Both
outputs are checked to hold the same skills. Target: >= 10x.

`--min-data`: the measurement behind engine.fit.SERVICE_MIN_STUDENTS /
SERVICE_MIN_RESPONSES (untimed, synthetic). Schools of 8 skills, each skill's
parameters drawn uniformly (prior 0.1-0.9, learn 0.03-0.3, guess 0.05-0.35, slip
0.05-0.25), S students x A answers per skill; the service fitter
(`engine.fit.service_fitter(below_min="fit")`) against keeping the default priors'
centres, each scored by log-loss on 200 new students x 10 answers per skill. A cell
reports, over its skills, the share where the fit's log-loss is lower (win rate)
and the mean log-loss gain; plain flat EM is shown for comparison.

Exits with status 2 if pyBKT is not the compiled build (`pyBKT.fit.E_step`).
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from benchmarks.datasets import (
    ASSISTMENTS_TRAIN,
    REPO_ROOT,
    assistments_path,
    load_assistments,
    load_ct,
    shared_data_dir,
)
from engine.crossval import student_folds
from engine.fit import BKTFitter, service_fitter
from engine.io import from_frame, to_pybkt_frame
from engine.io.pybkt import preset
from engine.metrics import auc, log_loss, rmse
from engine.params import ModelParams, SkillParams
from engine.predict import predict
from engine.priors import Priors
from engine.pybkt_compat import pybkt_random_starts
from engine.responses import Responses
from engine.simulate import known_params, simulate

VARIANTS = {"BKT": False, "BKT+forgets": True}
FOLDS = 5
# Small-data settings compared with our flat fit (name -> BKTFitter keywords).
PRIOR_SETTINGS: dict[str, dict[str, Any]] = {
    "MAP": {"priors": Priors.default()},
    "MAP+EB": {"priors": Priors.default(), "empirical_bayes": True},
}


def check_compiled_pybkt() -> None:
    try:
        import pyBKT.fit.E_step  # noqa: F401
    except ImportError:
        print(
            "pyBKT's compiled build is missing (import pyBKT.fit.E_step failed): the pure-Python"
            " fallback would make any comparison meaningless. Rebuild it: see the Makefile.",
            file=sys.stderr,
        )
        sys.exit(2)


# ---- the two engines, from the same DataFrame -------------------------------------------------


def frame_to_responses(df: pd.DataFrame) -> Responses:
    """pyBKT's ordering rule (stable by order_id) then our container; no extra validation."""
    d = df.sort_values("order_id", kind="stable")
    return Responses.from_columns(
        d["correct"].to_numpy(),
        d["skill_name"].to_numpy(),
        d["user_id"].to_numpy(),
        row=d["row"].to_numpy() if "row" in d else None,
    )


def ours_fit(
    df: pd.DataFrame,
    forgets: bool,
    seed: int,
    restarts: int,
    initial: ModelParams | None = None,
    **settings: Any,
) -> tuple[ModelParams, float]:
    start = time.perf_counter()
    responses = frame_to_responses(df)
    fitter = BKTFitter(forgets=forgets, restarts=restarts, random_state=seed, **settings)
    fitter.fit(responses, initial=initial)
    return fitter.params_, time.perf_counter() - start


def ours_peak_mb(df: pd.DataFrame, forgets: bool, restarts: int) -> float:
    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        ours_fit(df, forgets, 0, restarts)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak / 2**20


def pybkt_fit(df: pd.DataFrame, forgets: bool, seed: int, restarts: int) -> tuple[Any, float]:
    from pyBKT.models import Model

    data = df.copy()  # pyBKT sorts and edits the frame in place; copying is not timed
    start = time.perf_counter()
    model = Model(seed=seed, num_fits=restarts, parallel=True)
    model.fit(data=data, forgets=forgets)
    return model, time.perf_counter() - start


def pybkt_predict(model: Any, df_test: pd.DataFrame) -> NDArray[np.float64]:
    """pyBKT's P(correct) aligned with the frame's rows (it leaves unfitted skills at 0.5)."""
    out = model.predict(data=df_test.copy())
    return out.sort_index()["correct_predictions"].to_numpy(dtype=np.float64)


def warm_up() -> None:
    """Compile (or load from cache) every numba kernel the timed runs use."""
    tiny = simulate(known_params(2), 20, 5, np.random.default_rng(0))
    for forgets in (False, True):
        params = BKTFitter(forgets=forgets, random_state=0).fit(tiny).params_
        predict(params, tiny)
        for settings in PRIOR_SETTINGS.values():
            BKTFitter(forgets=forgets, random_state=0, **settings).fit(tiny)


# ---- one benchmark row ------------------------------------------------------------------------


@dataclass
class Row:
    dataset: str
    variant: str
    ours_fit_s: float
    pybkt_fit_s: float
    speedup: float
    ours_auc: float
    pybkt_auc: float
    ours_rmse: float
    pybkt_rmse: float
    ours_peak_mb: float
    restarts: int
    seeds: list[int]
    n_scored: int
    dropped: int
    ours_auc_by_seed: list[float] = field(default_factory=list)
    pybkt_auc_by_seed: list[float] = field(default_factory=list)
    ours_fit_s_by_seed: list[float] = field(default_factory=list)
    pybkt_fit_s_by_seed: list[float] = field(default_factory=list)
    ours_validated_load_s: float = float("nan")
    ours_auc_pybkt_starts: float | None = None
    start_draws: int = 0
    ours_auc_many_starts: float | None = None
    pybkt_auc_many_starts: float | None = None
    priors: list[PriorRow] = field(default_factory=list)


@dataclass
class PriorRow:
    """One small-data setting on the same data, seeds and restarts as its Row."""

    setting: str
    fit_s: float
    ratio_to_flat: float
    auc: float
    rmse: float
    fit_s_by_seed: list[float]
    auc_by_seed: list[float]


@dataclass
class Split:
    """One train/test pair as DataFrames, plus the test responses (for the labels)."""

    train: pd.DataFrame
    test: pd.DataFrame
    test_responses: Responses


def _scores(y: NDArray[np.int8], p: NDArray[np.float64]) -> tuple[float, float]:
    return auc(y, p), rmse(y, p)


def many_starts_auc(splits: list[Split], forgets: bool, draws: int) -> tuple[float, float]:
    """Mean AUC over `draws` seeds of one-restart fits, untimed, with our EM (which
    reproduces pyBKT's EM exactly): from our random starts, and from pyBKT's."""
    y = np.concatenate([s.test_responses.correct for s in splits])
    trains = [frame_to_responses(s.train) for s in splits]
    means = []
    for pybkt_starts in (False, True):
        aucs = []
        for seed in range(draws):
            p = []
            for split, train in zip(splits, trains, strict=True):
                initial = (
                    pybkt_random_starts(split.train, seed, forgets=forgets)
                    if pybkt_starts
                    else None
                )
                fitter = BKTFitter(forgets=forgets, random_state=seed).fit(train, initial=initial)
                p.append(predict(fitter.params_, split.test_responses))
            pc = np.concatenate(p)
            ok = ~np.isnan(pc)
            aucs.append(auc(y[ok], pc[ok]))
        means.append(float(np.mean(aucs)))
    return means[0], means[1]


@dataclass
class _PriorRuns:
    """Per-seed times and scores of one small-data setting, fitted right after our flat fit
    of the same seed and split so both see the same machine load."""

    times: list[float] = field(default_factory=list)
    ratios: list[float] = field(default_factory=list)
    aucs: list[float] = field(default_factory=list)
    rmses: list[float] = field(default_factory=list)

    def row(self, setting: str) -> PriorRow:
        return PriorRow(
            setting=setting,
            fit_s=statistics.median(self.times),
            ratio_to_flat=statistics.median(self.ratios),
            auc=float(np.mean(self.aucs)),
            rmse=float(np.mean(self.rmses)),
            fit_s_by_seed=self.times,
            auc_by_seed=self.aucs,
        )


def run_dataset(
    name: str,
    splits: list[Split],
    restarts: int,
    seeds: list[int],
    validated_load: Callable[[], object],
    start_draws: int = 0,
    with_priors: bool = False,
) -> list[Row]:
    rows = []
    y = np.concatenate([s.test_responses.correct for s in splits])
    load_times = []
    for _ in range(3):
        t0 = time.perf_counter()
        validated_load()
        load_times.append(time.perf_counter() - t0)
    for variant, forgets in VARIANTS.items():
        ours_t, theirs_t, ours_auc, theirs_auc, ours_rmse, theirs_rmse = [], [], [], [], [], []
        same_start_auc: list[float] = []
        scored = np.ones(y.shape[0], dtype=bool)
        settings = PRIOR_SETTINGS if with_priors else {}
        prior_runs = {name: _PriorRuns() for name in settings}
        for seed in seeds:
            p_ours, p_theirs, p_same, t_ours, t_theirs = [], [], [], 0.0, 0.0
            t_prior = dict.fromkeys(settings, 0.0)
            p_prior: dict[str, list[NDArray[np.float64]]] = {name: [] for name in settings}
            for split in splits:
                params, t = ours_fit(split.train, forgets, seed, restarts)
                t_ours += t
                p_ours.append(predict(params, split.test_responses))
                for setting, kw in settings.items():
                    params, t = ours_fit(split.train, forgets, seed, restarts, **kw)
                    t_prior[setting] += t
                    p_prior[setting].append(predict(params, split.test_responses))
                model, t = pybkt_fit(split.train, forgets, seed, restarts)
                t_theirs += t
                p_theirs.append(pybkt_predict(model, split.test))
                if restarts == 1:  # untimed: our EM from pyBKT's own random start
                    starts = pybkt_random_starts(split.train, seed, forgets=forgets)
                    same, _ = ours_fit(split.train, forgets, seed, 1, initial=starts)
                    p_same.append(predict(same, split.test_responses))
            po, pt = np.concatenate(p_ours), np.concatenate(p_theirs)
            scored = ~np.isnan(po)
            a, r = _scores(y[scored], po[scored])
            b, s = _scores(y[scored], pt[scored])
            if p_same:
                same_start_auc.append(_scores(y[scored], np.concatenate(p_same)[scored])[0])
            ours_t.append(t_ours)
            theirs_t.append(t_theirs)
            ours_auc.append(a)
            theirs_auc.append(b)
            ours_rmse.append(r)
            theirs_rmse.append(s)
            for setting, runs in prior_runs.items():
                pa, ra = _scores(y[scored], np.concatenate(p_prior[setting])[scored])
                runs.times.append(t_prior[setting])
                runs.ratios.append(t_prior[setting] / t_ours)
                runs.aucs.append(pa)
                runs.rmses.append(ra)
                print(
                    f"    {setting}: {t_prior[setting]:.3f}s"
                    f" ({t_prior[setting] / t_ours:.2f}x flat) auc {pa:.4f}",
                    flush=True,
                )
            print(
                f"  {name} {variant} seed {seed}: ours {t_ours:.3f}s auc {a:.4f} | "
                f"pyBKT {t_theirs:.3f}s auc {b:.4f}"
                + (f" | ours from pyBKT's start: auc {same_start_auc[-1]:.4f}" if p_same else ""),
                flush=True,
            )
        peak = max(ours_peak_mb(s.train, forgets, restarts) for s in splits)
        many = many_starts_auc(splits, forgets, start_draws) if start_draws else (None, None)
        o_t, p_t = statistics.median(ours_t), statistics.median(theirs_t)
        rows.append(
            Row(
                dataset=name,
                variant=variant,
                ours_fit_s=o_t,
                pybkt_fit_s=p_t,
                speedup=p_t / o_t,
                ours_auc=float(np.mean(ours_auc)),
                pybkt_auc=float(np.mean(theirs_auc)),
                ours_rmse=float(np.mean(ours_rmse)),
                pybkt_rmse=float(np.mean(theirs_rmse)),
                ours_peak_mb=peak,
                restarts=restarts,
                seeds=seeds,
                n_scored=int(scored.sum()),
                dropped=int((~scored).sum()),
                ours_auc_by_seed=ours_auc,
                pybkt_auc_by_seed=theirs_auc,
                ours_fit_s_by_seed=ours_t,
                pybkt_fit_s_by_seed=theirs_t,
                ours_validated_load_s=min(load_times),
                ours_auc_pybkt_starts=float(np.mean(same_start_auc)) if same_start_auc else None,
                start_draws=start_draws,
                ours_auc_many_starts=many[0],
                pybkt_auc_many_starts=many[1],
                priors=[runs.row(setting) for setting, runs in prior_runs.items()],
            )
        )
    return rows


def ct_splits(seed: int = 0) -> tuple[list[Split], pd.DataFrame]:
    responses = load_ct()
    fold = student_folds(responses, FOLDS, seed)
    splits = []
    for k in range(FOLDS):
        test = responses.take(fold == k)
        splits.append(Split(to_pybkt_frame(responses.take(fold != k)), to_pybkt_frame(test), test))
    return splits, to_pybkt_frame(responses)


def assistments_split() -> tuple[list[Split], pd.DataFrame]:
    train, test = load_assistments("train"), load_assistments("test")
    frame = to_pybkt_frame(train)
    return [Split(frame, to_pybkt_frame(test), test)], frame


def table(rows: list[Row]) -> str:
    head = (
        "dataset",
        "variant",
        "ours s",
        "pyBKT s",
        "speedup",
        "ours AUC",
        "pyBKT AUC",
        "same-start AUC",
        "ours RMSE",
        "pyBKT RMSE",
        "ours MB",
        "dropped",
    )
    body = [
        (
            r.dataset,
            r.variant,
            f"{r.ours_fit_s:.3f}",
            f"{r.pybkt_fit_s:.3f}",
            f"{r.speedup:.1f}x",
            f"{r.ours_auc:.4f}",
            f"{r.pybkt_auc:.4f}",
            "-" if r.ours_auc_pybkt_starts is None else f"{r.ours_auc_pybkt_starts:.4f}",
            f"{r.ours_rmse:.4f}",
            f"{r.pybkt_rmse:.4f}",
            f"{r.ours_peak_mb:.1f}",
            str(r.dropped),
        )
        for r in rows
    ]
    for r in rows:
        for pr in r.priors:
            body.append(
                (
                    r.dataset,
                    f"{r.variant} {pr.setting}",
                    f"{pr.fit_s:.3f}",
                    "-",
                    f"{pr.ratio_to_flat:.2f}x flat",
                    f"{pr.auc:.4f}",
                    "-",
                    "-",
                    f"{pr.rmse:.4f}",
                    "-",
                    "-",
                    str(r.dropped),
                )
            )
    widths = [max(len(h), *(len(b[i]) for b in body)) for i, h in enumerate(head)]
    lines = [
        "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in [head, tuple("-" * w for w in widths), *body]
    ]
    return "\n".join(lines)


# ---- end to end: `pathways fit` vs a plain pyBKT script, each a fresh process ----------------

# The job a pyBKT user scripts by hand: DKT file in, parameters out (see the module doc).
PYBKT_SCRIPT = """
import sys

import pandas as pd
from pyBKT.models import Model

data, out, seed, restarts = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
with open(data) as f:
    lines = f.read().splitlines()
rows = {"order_id": [], "user_id": [], "skill_name": [], "correct": []}
for s in range(len(lines) // 3):
    skills = [x for x in lines[3 * s + 1].split(",") if x.strip()]
    correct = [int(x) for x in lines[3 * s + 2].split(",") if x.strip()]
    for skill, c in zip(skills, correct):
        rows["order_id"].append(len(rows["order_id"]) + 1)
        rows["user_id"].append(s)
        rows["skill_name"].append(skill.strip())
        rows["correct"].append(c)
model = Model(seed=seed, num_fits=restarts, parallel=True)
model.fit(data=pd.DataFrame(rows))
model.params().to_csv(out)
"""
E2E_WARM_UP = "3\n1,2,1\n0,1,1\n2\n2,1\n1,0\n"  # two tiny sequences, DKT format


@dataclass
class EndToEndRow:
    """`pathways fit` vs `PYBKT_SCRIPT`, wall time of each fresh process."""

    dataset: str
    variant: str
    ours_s: float
    pybkt_s: float
    speedup: float
    ours_command: str
    pybkt_command: str
    restarts: int
    seeds: list[int]
    skills: int
    ours_s_by_seed: list[float]
    pybkt_s_by_seed: list[float]
    ours_cpu_s: float
    pybkt_cpu_s: float
    ours_cpu_s_by_seed: list[float]
    pybkt_cpu_s_by_seed: list[float]


def ours_command(data: Path, out: Path, seed: int, restarts: int) -> list[str]:
    return [sys.executable, "-m", "cli", "fit", str(data), "--out", str(out), "--format",
            "dkt", "--restarts", str(restarts), "--seed", str(seed)]  # fmt: skip


def pybkt_command(data: Path, out: Path, seed: int, restarts: int) -> list[str]:
    return [sys.executable, "-c", PYBKT_SCRIPT, str(data), str(out), str(seed), str(restarts)]


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_process(command: list[str]) -> tuple[float, float]:
    """Wall time and CPU time (user + system, all threads) of one fresh process, start to
    exit; CPU time is the steadier of the two on a busy machine. A failure stops the run."""
    cpu, start = _children_cpu_s(), time.perf_counter()
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True)
    took, cpu = time.perf_counter() - start, _children_cpu_s() - cpu
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command[:5])} ... exited {done.returncode}: {done.stderr.strip()[-800:]}"
        )
    return took, cpu


def _shown(command: list[str]) -> str:
    """The command as reported: the interpreter and the script text abbreviated."""
    parts = ["python" if c == sys.executable else c for c in command]
    return " ".join("PYBKT_SCRIPT" if c == PYBKT_SCRIPT else c for c in parts)


def end_to_end(restarts: int, seeds: list[int]) -> EndToEndRow:
    data = assistments_path("train")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp)
        tiny = out / "tiny.csv"
        tiny.write_text(E2E_WARM_UP)
        timed_process(ours_command(tiny, out / "warm.json", 0, restarts))  # untimed warm-up
        timed_process(pybkt_command(tiny, out / "warm.csv", 0, restarts))
        ours_t, theirs_t, ours_cpu, theirs_cpu = [], [], [], []
        for seed in seeds:
            wall, cpu = timed_process(ours_command(data, out / "ours.json", seed, restarts))
            ours_t.append(wall)
            ours_cpu.append(cpu)
            wall, cpu = timed_process(pybkt_command(data, out / "pybkt.csv", seed, restarts))
            theirs_t.append(wall)
            theirs_cpu.append(cpu)
            print(
                f"  end to end seed {seed}: pathways fit {ours_t[-1]:.2f}s "
                f"(cpu {ours_cpu[-1]:.2f}s) | pyBKT script {theirs_t[-1]:.2f}s "
                f"(cpu {theirs_cpu[-1]:.2f}s) | {theirs_t[-1] / ours_t[-1]:.1f}x",
                flush=True,
            )
        ours_skills = set(ModelParams.load(out / "ours.json").skills)
        theirs_skills = {str(k) for k in pd.read_csv(out / "pybkt.csv")["skill"].unique()}
        if ours_skills != theirs_skills:
            raise RuntimeError(
                f"the two fits hold different skills: {sorted(ours_skills ^ theirs_skills)}"
            )
        named = Path("$PATHWAYS_SHARED_DATA") / ASSISTMENTS_TRAIN  # no machine path in results
        shown = (_shown(ours_command(named, Path("P.json"), 0, restarts)),
                 _shown(pybkt_command(named, Path("P.csv"), 0, restarts)))  # fmt: skip
    o_t, p_t = statistics.median(ours_t), statistics.median(theirs_t)
    return EndToEndRow(
        dataset="ASSISTments 2009 train",
        variant="BKT end to end",
        ours_s=o_t,
        pybkt_s=p_t,
        speedup=p_t / o_t,
        ours_command=shown[0],
        pybkt_command=shown[1],
        restarts=restarts,
        seeds=seeds,
        skills=len(ours_skills),
        ours_s_by_seed=ours_t,
        pybkt_s_by_seed=theirs_t,
        ours_cpu_s=statistics.median(ours_cpu),
        pybkt_cpu_s=statistics.median(theirs_cpu),
        ours_cpu_s_by_seed=ours_cpu,
        pybkt_cpu_s_by_seed=theirs_cpu,
    )


def end_to_end_table(row: EndToEndRow) -> str:
    return "\n".join(
        [
            f"end to end, {row.dataset}, {row.skills} skills, restarts {row.restarts}, "
            f"median of seeds {row.seeds}:",
            f"  pathways fit  {row.ours_s:7.2f} s (cpu {row.ours_cpu_s:6.2f} s)  "
            f"{row.ours_command}",
            f"  pyBKT script  {row.pybkt_s:7.2f} s (cpu {row.pybkt_cpu_s:6.2f} s)  "
            f"{row.pybkt_command}",
            f"  speedup       {row.speedup:7.1f}x wall, {row.pybkt_cpu_s / row.ours_cpu_s:.1f}x cpu"
            "  (target >= 10x wall)",
        ]
    )


# ---- the min-data study (engine.fit.SERVICE_MIN_STUDENTS / SERVICE_MIN_RESPONSES) -----------

MIN_DATA_STUDENTS = (3, 5, 8, 10, 15, 20, 30)
MIN_DATA_ANSWERS = (3, 5, 8, 12)
MIN_DATA_SKILLS = 8  # skills per simulated school (empirical Bayes needs several)
MIN_DATA_HELD_OUT = (200, 10)  # new students x answers per skill


def _draw_skill(rng: np.random.Generator) -> SkillParams:
    return SkillParams(
        prior=rng.uniform(0.1, 0.9),
        learn=rng.uniform(0.03, 0.3),
        guess=rng.uniform(0.05, 0.35),
        slip=rng.uniform(0.05, 0.25),
    )


def _per_skill_log_loss(params: ModelParams, test: Responses) -> NDArray[np.float64]:
    # degenerate flat fits (guess 1, slip 0) can predict 1 + 1 ulp
    p = np.clip(predict(params, test), 0.0, 1.0)
    return np.array(
        [
            log_loss(test.correct[test.skill == k], p[test.skill == k])
            for k in range(len(test.skills))
        ]
    )


@dataclass
class MinDataCell:
    students: int
    answers: int
    responses: int
    skills: int
    win_rate: float  # share of skills where the service fit beats the prior centres
    mean_gain: float  # mean log-loss of the prior centres minus that of the service fit
    flat_win_rate: float  # the same for plain flat EM
    flat_mean_gain: float


def min_data_study(replicates: int = 25, seed: int = 0) -> list[MinDataCell]:
    """Service fit vs keeping the prior centres, per (students, answers) cell (see module doc)."""
    centre = Priors.default()
    fallback = SkillParams(
        prior=centre.prior.mode,
        learn=centre.learn.mode,
        guess=centre.guess.mode,
        slip=centre.slip.mode,
    )
    cells = []
    for n_students in MIN_DATA_STUDENTS:
        for n_answers in MIN_DATA_ANSWERS:
            gains, flat_gains = [], []
            for rep in range(replicates):
                rng = np.random.default_rng([seed, n_students, n_answers, rep])
                names = [f"k{j}" for j in range(MIN_DATA_SKILLS)]
                truth = ModelParams(skills={n: _draw_skill(rng) for n in names})
                train = simulate(truth, n_students, n_answers, rng)
                test = simulate(truth, *MIN_DATA_HELD_OUT, rng)
                base = _per_skill_log_loss(ModelParams(skills=dict.fromkeys(names, fallback)), test)
                fitted = service_fitter(below_min="fit", random_state=rep, n_jobs=1).fit(train)
                flat = BKTFitter(random_state=rep, n_jobs=1).fit(train)
                gains.append(base - _per_skill_log_loss(fitted.params_, test))
                flat_gains.append(base - _per_skill_log_loss(flat.params_, test))
            g, fg = np.concatenate(gains), np.concatenate(flat_gains)
            cells.append(
                MinDataCell(
                    students=n_students,
                    answers=n_answers,
                    responses=n_students * n_answers,
                    skills=int(g.size),
                    win_rate=float(np.mean(g > 0)),
                    mean_gain=float(np.mean(g)),
                    flat_win_rate=float(np.mean(fg > 0)),
                    flat_mean_gain=float(np.mean(fg)),
                )
            )
            c = cells[-1]
            print(
                f"  {n_students:>3} students x {n_answers:>2} answers ({c.responses:>3} responses):"
                f" service fit wins {c.win_rate:.0%}, gain {c.mean_gain:+.4f}"
                f" | flat EM wins {c.flat_win_rate:.0%}, gain {c.flat_mean_gain:+.4f}",
                flush=True,
            )
    return cells


MIN_DATA_WIN_RATE = 0.75  # "wins reliably": on at least 3 skills in 4


def min_data_thresholds(
    cells: list[MinDataCell], win_rate: float = MIN_DATA_WIN_RATE
) -> list[tuple[int, int]]:
    """Minimal (students, responses) pairs such that every cell with at least that many
    students and responses has the given win rate and a positive mean gain."""
    ok: list[tuple[int, int]] = []
    for s in sorted({c.students for c in cells}):
        for n in sorted({c.responses for c in cells}):
            above = [c for c in cells if c.students >= s and c.responses >= n]
            if above and all(c.win_rate >= win_rate and c.mean_gain > 0 for c in above):
                if not any(s2 <= s and n2 <= n for s2, n2 in ok):
                    ok.append((s, n))
                break
    return ok


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", type=Path, help="write the rows as a JSON list here")
    parser.add_argument("--restarts", type=int, default=1, help="random restarts, both engines")
    parser.add_argument("--seeds", type=int, default=5, help="fits per engine (seeds 0..n-1)")
    parser.add_argument(
        "--datasets",
        default="ct,assistments,e2e",
        help="comma-separated subset of ct, assistments, e2e (end to end, fresh processes)",
    )
    parser.add_argument(
        "--start-draws",
        type=int,
        default=20,
        help="untimed: mean AUC over this many random starts, ours vs pyBKT's (0: skip)",
    )
    parser.add_argument(
        "--min-data",
        action="store_true",
        help="run only the min-data study (synthetic, untimed; no pyBKT needed)",
    )
    parser.add_argument("--replicates", type=int, default=25, help="min-data: schools per cell")
    args = parser.parse_args(argv)
    if args.min_data:
        print(f"min-data study: {MIN_DATA_SKILLS} skills per school, {args.replicates} schools")
        cells = min_data_study(args.replicates)
        pairs = min_data_thresholds(cells)
        print(
            f"the service fit wins on >= {MIN_DATA_WIN_RATE:.0%} of skills (and on average) in"
            " every cell with at least (students, responses) = "
            + (", ".join(f"({s}, {n})" for s, n in pairs) or "none")
        )
        if args.json is not None:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps([asdict(c) for c in cells], indent=2) + "\n")
            print(f"wrote {args.json}")
        return 0
    check_compiled_pybkt()
    seeds = list(range(args.seeds))
    print(f"shared data: {shared_data_dir()}; restarts {args.restarts}; seeds {seeds}")
    wanted = {d.strip() for d in args.datasets.split(",")}
    if wanted & {"ct", "assistments"}:
        print("warming up the numba JIT before timing ...", flush=True)
        warm_up()
    rows: list[Row] = []
    mapping = preset(["user_id", "skill_name", "correct", "order_id"])
    if "ct" in wanted:
        splits, whole = ct_splits()
        rows += run_dataset(
            f"ct.csv ({FOLDS}-fold CV)",
            splits,
            args.restarts,
            seeds,
            lambda: from_frame(whole, mapping),
            args.start_draws,
        )
    if "assistments" in wanted:
        splits, whole = assistments_split()
        rows += run_dataset(
            "ASSISTments 2009",
            splits,
            args.restarts,
            seeds,
            lambda: from_frame(whole, mapping),
            args.start_draws,
            with_priors=True,
        )
    e2e = end_to_end(args.restarts, seeds) if "e2e" in wanted else None
    if rows:
        print()
        print("fit s: median over seeds, DataFrame -> fitted parameters (CV: sum over folds);")
        print("AUC/RMSE: mean over seeds; same-start AUC: ours fitted from pyBKT's own starts")
        print("numba JIT warmed before timing; ours MB: tracemalloc peak of our fit")
        print("MAP / MAP+EB rows: our fit under Priors.default() (and empirical Bayes); speedup")
        print("column = fit time relative to our flat fit of the same variant")
        print(table(rows))
    if e2e is not None:
        print()
        print(end_to_end_table(e2e))
    if args.start_draws and rows:
        print()
        print(f"random-start check: mean test AUC over {args.start_draws} one-restart fits, our EM")
        print("from our random starts vs from pyBKT's (our EM reproduces pyBKT's from its starts)")
        for r in rows:
            print(
                f"  {r.dataset:<20} {r.variant:<12} ours starts {r.ours_auc_many_starts:.4f}"
                f"  pyBKT starts {r.pybkt_auc_many_starts:.4f}"
            )
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        found: list[Row | EndToEndRow] = [*rows, *([e2e] if e2e else [])]
        args.json.write_text(json.dumps([asdict(r) for r in found], indent=2) + "\n")
        print(f"wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
