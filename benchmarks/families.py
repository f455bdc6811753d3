"""Every model family against pyBKT on the three shared data sets, with published anchors.

`python -m benchmarks.families [--datasets ct,assistments,statics] [--json OUT]`

- ct: the Cognitive Tutor sample, 5-fold cross-validation by student (items: the
  problem), metrics over the pooled out-of-fold predictions;
- assistments: the Piech et al. train/test split (no item ids, so no item
  families and no KT-IDEM);
- statics: the Gervet et al. train/test split of Statics 2011 (items: item_id).

Per row: test AUC, RMSE, log-loss (clipped as sklearn), fit seconds (wall, the
fit only, summed over folds) and peak traced memory of the fit (tracemalloc:
Python and numpy allocations, not numba's internal buffers; pyBKT measured the
same way). pyBKT 1.4 runs in the same process with the same seed: BKT,
BKT+forgets and KT-IDEM (`multigs`). `auto` chooses by cross-validation on each
training split only; the test set decides nothing. Published test AUCs are
printed beside (they come from the papers, not from this run).
"""

from __future__ import annotations

import argparse
import json
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from benchmarks.datasets import load_assistments, load_ct, shared_data_dir
from engine.crossval import student_folds
from engine.evaluate import predictions
from engine.families.select import AutoFitter
from engine.families.spec import FAMILIES, NEEDS_ITEMS, FitSettings, make_fitter
from engine.io import load_responses
from engine.io.mapping import ColumnMapping
from engine.io.pybkt import to_pybkt_frame
from engine.metrics import compute_scored
from engine.responses import Responses

STATICS_TRAIN = Path("statics2011/train.tsv")
STATICS_TEST = Path("statics2011/test.tsv")
STATICS_MAPPING = ColumnMapping(correct="correct", skill="skill_id", student="user_id",
                                item="item_id")  # fmt: skip
ANCHORS: dict[str, str] = {
    "ct": "no published split on this sample (pyBKT's tutorial cross-validates it)",
    "assistments": "published test AUC: BKT 0.67, DKT 0.86 (Piech et al. 2015); "
    "BKT 0.73, BKT+forgets 0.83 (Khajah et al. 2016); pyBKT examples 0.76 / 0.83",
    "statics": "published test AUC: IRT 0.79, PFA 0.69, Best-LR 0.82, SAKT 0.81, "
    "DKT 0.83 (Gervet et al. 2020)",
}
PYBKT_MODELS = {"pyBKT BKT": {}, "pyBKT BKT+forgets": {"forgets": True},
                "pyBKT KT-IDEM": {"multigs": True}}  # fmt: skip


@dataclass(frozen=True)
class Split:
    train: Responses
    test: Responses


@dataclass(frozen=True)
class Row:
    dataset: str
    model: str
    auc: float
    rmse: float
    log_loss: float
    fit_s: float
    peak_mb: float
    note: str = ""


def load_statics(split: str) -> Responses:
    path = shared_data_dir() / (STATICS_TRAIN if split == "train" else STATICS_TEST)
    return load_responses(path, format="assistments", mapping=STATICS_MAPPING)


def splits(dataset: str, folds: int = 5, seed: int = 0) -> list[Split]:
    if dataset == "ct":
        data = load_ct()
        fold = student_folds(data, folds, seed)
        return [Split(data.take(fold != k), data.take(fold == k)) for k in range(folds)]
    if dataset == "assistments":
        return [Split(load_assistments("train"), load_assistments("test"))]
    if dataset == "statics":
        return [Split(load_statics("train"), load_statics("test"))]
    raise ValueError(f"unknown dataset {dataset!r}; choose ct, assistments or statics")


def _measured(fit: Callable[[], Any]) -> tuple[Any, float, float]:
    """(result, wall seconds, peak traced MiB) of one fit."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    start = time.perf_counter()
    try:
        out = fit()
        seconds = time.perf_counter() - start
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return out, seconds, peak / 2**20


def _row(dataset: str, model: str, tests: list[Responses], preds: list[NDArray[np.float64]],
         seconds: float, peak: float, note: str = "") -> Row:  # fmt: skip
    y = np.concatenate([t.correct for t in tests])
    p = np.concatenate(preds)
    m = compute_scored(y, p)
    return Row(dataset, model, m.auc, m.rmse, m.log_loss, seconds, peak, note)


def ours(dataset: str, family: str, data: list[Split], seed: int) -> Row:
    settings = FitSettings(random_state=seed)
    preds, secs, peak, notes = [], 0.0, 0.0, []
    for s in data:
        if family == "auto":
            fitter: Any = AutoFitter(settings, seed=seed)
        else:
            fitter = make_fitter(family, settings)
        _, t, mb = _measured(lambda f=fitter, tr=s.train: f.fit(tr))  # type: ignore[misc]
        preds.append(predictions(fitter.params_, s.test))
        secs += t
        peak = max(peak, mb)
        if family == "auto":
            notes.append(fitter.family_)
    note = "chose " + ",".join(notes) if notes else ""
    return _row(dataset, family, [s.test for s in data], preds, secs, peak, note)


def pybkt(dataset: str, name: str, data: list[Split], seed: int) -> Row:
    from pyBKT.models import Model

    kwargs = PYBKT_MODELS[name]
    preds, secs, peak = [], 0.0, 0.0
    for s in data:
        train = to_pybkt_frame(s.train)
        test = to_pybkt_frame(s.test)

        def fit(train: pd.DataFrame = train) -> Any:
            model = Model(seed=seed, num_fits=1, parallel=True)
            model.fit(data=train, **kwargs)
            return model

        model, t, mb = _measured(fit)
        # frame rows are in the Responses' order; sort_index restores it after pyBKT's sort
        out = model.predict(data=test.copy()).sort_index()["correct_predictions"]
        # pyBKT's P(correct) can exceed 1 by an ulp (the rounding pathways clips since the
        # KT-IDEM fix); clip so it can be scored at all (NaN stays NaN)
        p = np.clip(out.to_numpy(dtype=np.float64), 0.0, 1.0)
        # pyBKT predicts 0.5 on skills it never fitted; like ours, those rows go unscored
        seen = np.asarray(s.train.skills)[np.unique(s.train.skill)]
        fitted = np.isin(np.asarray(s.test.skills), seen)
        p[~fitted[s.test.skill]] = np.nan
        preds.append(p)
        secs += t
        peak = max(peak, mb)
    return _row(dataset, name, [s.test for s in data], preds, secs, peak)


def warm_up() -> None:
    """Compile (or load from cache) every kernel the timed fits use, serial and threaded."""
    from engine.families import kernels
    from engine.families.simulate import simulate_students
    from engine.params import ModelParams, SkillParams

    items = {f"i{i}": 0.2 for i in range(2)}
    skills = {k: SkillParams(prior=0.4, learn=0.2, guess=0.2, slip=0.1, item_guess=items)
              for k in "ab"}  # fmt: skip
    tiny = simulate_students(ModelParams(skills=skills, multigs=True), 20, 5,
                             np.random.default_rng(0)).responses  # fmt: skip
    for rows in (0, 10**9):  # threaded variants first, then serial ones
        kernels.PARALLEL_ROWS = rows
        for family in FAMILIES:
            fitter = make_fitter(family, FitSettings(random_state=0)).fit(tiny)
            predictions(fitter.params_, tiny)
    kernels.PARALLEL_ROWS = 50_000


MODELS = (*FAMILIES, "auto", *PYBKT_MODELS)


def run(datasets: list[str], seed: int, models: tuple[str, ...] = MODELS) -> list[Row]:
    warm_up()
    rows: list[Row] = []
    for ds in datasets:
        data = splits(ds)
        has_items = data[0].train.items != ("",)
        for family in (*FAMILIES, "auto"):
            if (family in NEEDS_ITEMS and not has_items) or family not in models:
                continue
            rows.append(ours(ds, family, data, seed))
            print(_line(rows[-1]), flush=True)
        for name in PYBKT_MODELS:
            if (name == "pyBKT KT-IDEM" and not has_items) or name not in models:
                continue
            try:
                rows.append(pybkt(ds, name, data, seed))
            except (IndexError, KeyError, ValueError) as exc:  # pyBKT's own limits, reported
                nan = float("nan")
                why = f"pyBKT failed: {type(exc).__name__}: {exc}"
                rows.append(Row(ds, name, nan, nan, nan, nan, nan, why))
            print(_line(rows[-1]), flush=True)
    return rows


def _line(r: Row) -> str:
    return (f"{r.dataset:<12} {r.model:<18} {r.auc:>7.4f} {r.rmse:>7.4f} {r.log_loss:>8.4f} "
            f"{r.fit_s:>8.2f} {r.peak_mb:>8.1f}  {r.note}").rstrip()  # fmt: skip


def table(rows: list[Row]) -> str:
    head = (f"{'dataset':<12} {'model':<18} {'auc':>7} {'rmse':>7} {'logloss':>8} "
            f"{'fit s':>8} {'peak MiB':>8}")  # fmt: skip
    out = [head, "-" * len(head)]
    for ds in dict.fromkeys(r.dataset for r in rows):
        mine = [r for r in rows if r.dataset == ds]
        out.extend(_line(r) for r in mine)
        out.append(f"{'':<12} {ANCHORS[ds]}")
        out.extend(_targets(ds, mine))
        out.append("")
    return "\n".join(out)


def _targets(ds: str, rows: list[Row]) -> list[str]:
    by = {r.model: r for r in rows}
    fam = [r for r in rows if not r.model.startswith("pyBKT")]
    if not fam:  # --models with pyBKT rows only: nothing of ours to compare
        return []
    best = max(fam, key=lambda r: r.auc)
    lines = [f"{'':<12} best family {best.model}: auc {best.auc:.4f}"]
    if "forgets" in by:
        ref = by["forgets"]
        lines.append(f"{'':<12} best - our BKT+forgets: {best.auc - ref.auc:+.4f} auc")
        if "auto" in by:
            lines.append(f"{'':<12} auto - our BKT+forgets: {by['auto'].auc - ref.auc:+.4f} auc, "
                         f"{by['auto'].log_loss - ref.log_loss:+.4f} log-loss")  # fmt: skip
    py = [r for r in rows if r.model.startswith("pyBKT") and r.auc == r.auc]  # not NaN
    if py:
        top = max(py, key=lambda r: r.auc)
        lines.append(f"{'':<12} best - best pyBKT ({top.model}): {best.auc - top.auc:+.4f} auc")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", default="ct,assistments,statics")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write the rows as a JSON list here")
    parser.add_argument(
        "--models", default=",".join(MODELS), help=f"comma-separated subset of {list(MODELS)}"
    )
    args = parser.parse_args(argv)
    models = tuple(m.strip() for m in args.models.split(",") if m.strip())
    for m in models:
        if m not in MODELS:
            parser.error(f"unknown model {m!r}; choose from {list(MODELS)}")
    datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    for d in datasets:
        if d not in ANCHORS:
            parser.error(f"unknown dataset {d!r}; choose from {sorted(ANCHORS)}")
    rows = run(datasets, args.seed, models)
    print()
    print(table(rows))
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in rows], indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
