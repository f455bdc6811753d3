"""`pathways fit | evaluate | crossvalidate | demo`: fitting and scoring BKT from data files.

Bad input of any kind (unreadable or malformed data, bad parameter file, bad
option value) ends with exit code 2 and one line on stderr naming the file,
row and column; notes about dropped rows go to stderr, results to stdout.
"""

from __future__ import annotations

import json
import math
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from cli.datasets import CT, ENV_VAR, shared_data_dir
from cli.progress import progress_bar

if TYPE_CHECKING:
    from engine.bounds import Bounds
    from engine.crossval import CVResult
    from engine.fit import BKTFitter
    from engine.fit_stream import StreamingFitter
    from engine.io import MultiSkill
    from engine.metrics import Metrics
    from engine.params import ModelParams
    from engine.responses import Responses

# The engine (numpy, pandas, numba) is imported inside the commands, so that
# `pathways --help` and the other command groups start fast.
# --format and --multi-skill are plain strings checked by engine.io, so that a bad value
# gets the same one-line error (listing the choices) as every other bad input.
DataArg = Annotated[Path, typer.Argument(help="Response file (see --format).", show_default=False)]
FormatOpt = Annotated[
    str,
    typer.Option(
        "--format", help="auto | ct | assistments | dkt | pybkt; auto detects from the content."
    ),
]
MultiSkillOpt = Annotated[
    str,
    typer.Option(
        "--multi-skill",
        help="split | first | error: a response tagged with several skills counts once per "
        "skill (split), for its first skill only, or is refused.",
    ),
]
ForgetsOpt = Annotated[bool, typer.Option("--forgets", help="Also fit P(forget).")]
MultigsOpt = Annotated[bool, typer.Option("--multigs", help="Guess/slip per item.")]
MultilearnOpt = Annotated[bool, typer.Option("--multilearn", help="Learn rate per item.")]
RestartsOpt = Annotated[int, typer.Option("--restarts", min=1, help="Random starts per skill.")]
SeedOpt = Annotated[int, typer.Option("--seed", help="Random seed (starts, folds).")]
MaxIterOpt = Annotated[int, typer.Option("--max-iter", min=1, help="EM iterations at most.")]
ItemStrengthOpt = Annotated[
    float,
    typer.Option(
        "--item-strength",
        min=0.0,
        help="With --multigs: pseudo-responses pulling each item's guess/slip toward its "
        "skill (an item seen a few times cannot reach 0 or 1); 0 = unshrunk, as pyBKT.",
    ),
]
DEFAULT_ITEM_STRENGTH = 10.0
ModelOpt = Annotated[
    str | None,
    typer.Option(
        "--model",
        help="Model family: bkt | forgets | item (per-item guess/slip, shrunk) | student "
        "(per-student ability) | full (both) | auto (chosen by cross-validation on DATA). "
        "Replaces --forgets/--multigs/--multilearn.",
        show_default=False,
    ),
]
AutoFoldsOpt = Annotated[
    int, typer.Option("--auto-folds", min=2, help="With --model auto: folds of its choice.")
]


def _item_priors(multigs: bool, item_strength: float) -> dict[str, Any]:
    """BKTFitter settings for item shrinkage: flat Betas (maximum likelihood for the skill
    terms), items pulled toward their skill's pooled guess/slip."""
    from engine.priors import Priors

    if not multigs or item_strength == 0.0:
        return {}
    return {"priors": Priors(item_strength=item_strength)}


def skip_exit_collection() -> None:
    """Freeze the heap at exit, so the interpreter's last collections skip it.

    After numba has loaded, finalisation walks its ~100k objects in several full
    collections: about half a second of `pathways fit`'s wall time, to free memory
    the ending process hands back anyway. Registered once per process; in a process
    that goes on (tests), nothing changes until it exits.
    """
    import atexit
    import gc

    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)


@contextmanager
def bad_input_exits() -> Iterator[None]:
    """Turn input errors into one line on stderr and exit code 2 (no traceback)."""
    from engine.params import ParamsError
    from engine.responses import DataError

    try:
        yield
    except (DataError, ParamsError, ValueError, OSError) as exc:  # bad data, file, option
        text = str(exc) if not isinstance(exc, OSError) or not exc.filename else (
            f"{exc.filename}: {exc.strerror}"
        )  # fmt: skip
        typer.echo(f"error: {' '.join(text.split())}", err=True)
        raise typer.Exit(2) from None


def _load(data: Path, fmt: str, multi_skill: str) -> tuple[Responses, str]:
    """Load with the loaders' notes (dropped rows) shown on stderr; returns the format used."""
    from engine.io import FORMAT_CHOICES, MULTI_SKILL_CHOICES, detect_format, load_responses
    from engine.io.mapping import check_choice

    check_choice(fmt, FORMAT_CHOICES, "--format")
    check_choice(multi_skill, MULTI_SKILL_CHOICES, "--multi-skill")
    used = detect_format(data) if fmt == "auto" else fmt
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        responses = load_responses(data, format=used, multi_skill=cast("MultiSkill", multi_skill))
    for w in caught:
        typer.echo(f"note: {w.message}", err=True)
    typer.echo(
        f"{data}: {len(responses):,} responses, {len(responses.students):,} students, "
        f"{len(responses.skills):,} skills (format {used})",
        err=True,
    )
    return responses, used


def _bounds(guess: float | None, slip: float | None) -> Bounds | None:
    from engine.bounds import Bounds

    if guess is None and slip is None:
        return None
    return Bounds(guess=(0.0, 1.0 if guess is None else guess),
                  slip=(0.0, 1.0 if slip is None else slip))  # fmt: skip


def _align(rows: list[list[str]]) -> str:
    """Rows as columns: the first left-aligned, the rest right-aligned, a rule under the head."""
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    rows = [rows[0], ["-" * w for w in widths], *rows[1:]]
    return "\n".join(
        "  ".join(
            c.ljust(w) if i == 0 else c.rjust(w)
            for i, (c, w) in enumerate(zip(r, widths, strict=True))
        ).rstrip()
        for r in rows
    )


def params_table(params: ModelParams, max_skill_width: int = 44) -> str:
    """Per-skill parameters; item-level variants show how many items they hold."""
    head = ["skill", "prior", "learn", "guess", "slip"]
    if params.forgets:
        head.append("forget")
    if params.multigs or params.multilearn:
        head.append("items")
    rows = [head]
    for name, p in sorted(params.skills.items()):
        shown = name if len(name) <= max_skill_width else name[: max_skill_width - 1] + "…"
        row = [shown, *(f"{getattr(p, k):.3f}" for k in ("prior", "learn", "guess", "slip"))]
        if params.forgets:
            row.append(f"{p.forget:.3f}")
        if params.multigs or params.multilearn:
            row.append(str(max(len(p.item_guess), len(p.item_learn))))
        rows.append(row)
    return _align(rows)


def _fmt(value: float) -> str:
    return "-" if math.isnan(value) else f"{value:.4f}"


def metrics_table(per_skill: dict[str, Metrics], overall: Metrics) -> str:
    rows = [["skill", "n", "auc", "rmse", "log_loss", "accuracy", "dropped"]]
    for name, m in [*sorted(per_skill.items()), ("(overall)", overall)]:
        rows.append([name, str(m.n), _fmt(m.auc), _fmt(m.rmse), _fmt(m.log_loss),
                     _fmt(m.accuracy), str(m.dropped)])  # fmt: skip
    return _align(rows)


def _fit(
    responses: Responses, desc: str, dask: str | None = None, **settings: Any
) -> BKTFitter | StreamingFitter:
    from engine.fit import BKTFitter

    update, close = progress_bar(desc)
    try:
        if dask is None:
            return BKTFitter(progress=update, **settings).fit(responses)
        return _fit_on_cluster(responses, dask, BKTFitter(progress=update, **settings))
    finally:
        close()


def _fit_on_cluster(responses: Responses, address: str, fitter: BKTFitter) -> StreamingFitter:
    """The same fit with each skill sent to the Dask scheduler at `address` (engine.fit_dask)."""
    try:
        from distributed import Client
    except ImportError:
        raise ValueError(
            "--dask needs the optional dependency: pip install 'pathways[dask]'"
        ) from None
    from engine.fit_dask import DaskFitter
    from engine.fit_stream import ResponsesSource

    try:
        client = Client(address, timeout=10)
    except OSError as exc:
        raise ValueError(f"--dask {address}: no Dask scheduler answered ({exc})") from None
    with client:
        source = ResponsesSource(responses)
        return DaskFitter(fitter, client=client).fit(source.plan(fitter), source)


def _check_model_flags(
    model: str,
    forgets: bool,
    multigs: bool,
    multilearn: bool,
    bound_guess: float | None,
    bound_slip: float | None,
) -> None:
    from engine.families.spec import check_family

    check_family(model)
    if forgets or multigs or multilearn:
        raise ValueError(
            "--model replaces --forgets/--multigs/--multilearn: give one or the other "
            "(--model forgets = --forgets, --model item = --forgets --multigs)"
        )
    if (bound_guess is not None or bound_slip is not None) and model != "bkt":
        raise ValueError("--bound-guess/--bound-slip apply to the legacy flags and --model bkt")


def _fit_family(
    responses: Responses,
    data: Path,
    out: Path,
    used: str,
    model: str,
    *,
    restarts: int,
    seed: int,
    max_iter: int,
    item_strength: float,
    multi_skill: str,
    auto_folds: int,
) -> None:
    """`pathways fit --model FAMILY`: fit, write, print the parameters and the report."""
    from engine.families.io import base_params, with_metadata
    from engine.families.select import AutoFitter
    from engine.families.spec import FitSettings, check_items, make_fitter
    from engine.families.student_model import StudentModel

    if model != "auto":
        check_items(model, responses, str(data))
    settings = FitSettings(
        restarts=restarts, max_iter=max_iter, random_state=seed, item_strength=item_strength
    )
    update, close = progress_bar("auto: cross-validating" if model == "auto" else "fitting")
    try:
        if model == "auto":
            fitter: Any = AutoFitter(settings, folds=auto_folds, seed=seed, progress=update)
        else:
            fitter = make_fitter(model, settings, progress=update)
        fitter.fit(responses)
    finally:
        close()
    family = fitter.family_ if model == "auto" else model
    extra: dict[str, Any] = {
        "family": family,
        "data": str(data),
        "format": used,
        "multi_skill": multi_skill,
        "n_responses": len(responses),
    }
    if model == "auto":
        extra["auto"] = fitter.selection_.to_dict()
    params = with_metadata(fitter.params_, extra)
    params.save(out)
    typer.echo(params_table(base_params(params)))
    if isinstance(params, StudentModel):
        (ma, mb), (sa, sb) = params.population.mean(), params.population.sd()
        typer.echo(
            f"\nstudent ability: prior shift mean {ma:+.3f} sd {sa:.3f}, learn shift mean "
            f"{mb:+.3f} sd {sb:.3f} (logits; {len(params.students)} students)"
        )
    typer.echo("")
    report = fitter.report_
    if report.flagged:
        typer.echo(report.to_table(only_flagged=True))
    else:
        typer.echo(f"{len(report)} skill(s), none flagged")
    if model == "auto":
        typer.echo("")
        typer.echo(fitter.selection_.to_table())
    typer.echo(f"wrote {out}")


def fit_command(
    data: Annotated[
        Path | None,
        typer.Argument(
            help="Response file (see --format); omit with --from-db.", show_default=False
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option("--out", help="Where to write the parameters (JSON).")
    ] = None,
    from_db: Annotated[
        bool,
        typer.Option(
            "--from-db",
            help="Fit on the service's response log instead of a file (same as `pathways refit`).",
        ),
    ] = False,
    activate: Annotated[
        bool,
        typer.Option(
            "--activate", help="With --from-db: activate the result if the gate passes, replay."
        ),
    ] = False,
    override_reason: Annotated[
        str | None,
        typer.Option(
            "--override-reason",
            help="With --from-db --activate: activate although the gate refuses (recorded).",
        ),
    ] = None,
    format: FormatOpt = "auto",
    forgets: ForgetsOpt = False,
    multigs: MultigsOpt = False,
    multilearn: MultilearnOpt = False,
    restarts: RestartsOpt = 1,
    seed: SeedOpt = 0,
    max_iter: MaxIterOpt = 100,
    bound_guess: Annotated[
        float | None, typer.Option("--bound-guess", help="Upper bound on guess, e.g. 0.3.")
    ] = None,
    bound_slip: Annotated[
        float | None, typer.Option("--bound-slip", help="Upper bound on slip, e.g. 0.3.")
    ] = None,
    multi_skill: MultiSkillOpt = "split",
    item_strength: ItemStrengthOpt = DEFAULT_ITEM_STRENGTH,
    model: ModelOpt = None,
    auto_folds: AutoFoldsOpt = 3,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            help="Fit the skills on the Dask scheduler at this address (tcp://host:8786); "
            "same result. Needs pathways[dask].",
        ),
    ] = None,
) -> None:
    """Fit BKT parameters per skill by EM and write them as versioned JSON."""
    if from_db:
        if data is not None or out is not None:
            typer.echo("error: --from-db fits the service's log; give no DATA or --out", err=True)
            raise typer.Exit(2)
        from cli.db import refit_command

        refit_command(
            forgets=forgets,
            multigs=multigs,
            restarts=restarts,
            seed=seed,
            activate=activate,
            override_reason=override_reason,
            bound_guess=0.3 if bound_guess is None else bound_guess,
            bound_slip=0.3 if bound_slip is None else bound_slip,
        )
        return
    if data is None or out is None:
        typer.echo(
            "error: give a response file DATA and --out PARAMS.json (or --from-db)", err=True
        )
        raise typer.Exit(2)
    skip_exit_collection()
    if model is not None:
        with bad_input_exits():
            _check_model_flags(model, forgets, multigs, multilearn, bound_guess, bound_slip)
            responses, used = _load(data, format, multi_skill)
            _fit_family(
                responses, data, out, used, model,
                restarts=restarts, seed=seed, max_iter=max_iter, item_strength=item_strength,
                multi_skill=multi_skill, auto_folds=auto_folds,
            )  # fmt: skip
        return
    with bad_input_exits():
        bounds = _bounds(bound_guess, bound_slip)
        responses, used = _load(data, format, multi_skill)
        fitter = _fit(
            responses, "fitting", dask=dask, forgets=forgets, multigs=multigs,
            multilearn=multilearn,
            restarts=restarts, max_iter=max_iter, bounds=bounds, random_state=seed,
            **_item_priors(multigs, item_strength),
        )  # fmt: skip
        params = fitter.params_
        params = replace(
            params,
            metadata={
                **params.metadata,
                "data": str(data),
                "format": used,
                "multi_skill": multi_skill,
                "n_responses": len(responses),
            },
        )
        params.save(out)
    typer.echo(params_table(params))
    typer.echo("")
    report = fitter.report_
    if report.flagged:
        typer.echo(report.to_table(only_flagged=True))
    else:
        typer.echo(f"{len(report)} skill(s), none flagged")
    typer.echo(f"wrote {out}")


def evaluate_command(
    data: DataArg,
    params_path: Annotated[Path, typer.Option("--params", help="Parameters written by `fit`.")],
    format: FormatOpt = "auto",
    multi_skill: MultiSkillOpt = "split",
) -> None:
    """Score fitted parameters on data; prints one JSON object (auc, rmse, log_loss, ...)."""
    from engine.evaluate import evaluate
    from engine.families.io import load_model

    skip_exit_collection()

    with bad_input_exits():
        params = load_model(params_path)
        responses, _ = _load(data, format, multi_skill)
        metrics = evaluate(params, responses)
    if metrics.dropped:
        typer.echo(
            f"note: {metrics.dropped} response(s) on skills without parameters were not scored",
            err=True,
        )
    typer.echo(json.dumps(metrics.to_dict()))


def _family_fitter(
    model: str, restarts: int, max_iter: int, seed: int, item_strength: float, auto_folds: int
) -> Any:
    from engine.families.select import AutoFitter
    from engine.families.spec import FitSettings, make_fitter

    settings = FitSettings(
        restarts=restarts, max_iter=max_iter, random_state=seed, item_strength=item_strength
    )
    if model == "auto":
        return AutoFitter(settings, folds=auto_folds, seed=seed)
    return make_fitter(model, settings)


def _cv_text(result: CVResult) -> str:
    lines = [metrics_table(dict(result.per_skill), result.overall), ""]
    lines.append("overall and per-skill metrics pool the out-of-fold predictions")
    for f in result.folds:
        lines.append(
            f"fold {f.fold}: {f.n_students} students, {f.n_test} responses, "
            f"auc {_fmt(f.metrics.auc)}, rmse {_fmt(f.metrics.rmse)}"
        )
    return "\n".join(lines)


def crossvalidate_command(
    data: DataArg,
    folds: Annotated[int, typer.Option("--folds", min=2, help="Number of folds (by student).")] = 5,
    format: FormatOpt = "auto",
    forgets: ForgetsOpt = False,
    multigs: MultigsOpt = False,
    multilearn: MultilearnOpt = False,
    restarts: RestartsOpt = 1,
    seed: SeedOpt = 0,
    max_iter: MaxIterOpt = 100,
    multi_skill: MultiSkillOpt = "split",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    item_strength: ItemStrengthOpt = DEFAULT_ITEM_STRENGTH,
    model: ModelOpt = None,
    auto_folds: AutoFoldsOpt = 3,
) -> None:
    """K-fold cross-validation with folds by student; per-skill and overall metrics."""
    from engine.crossval import crossvalidate
    from engine.fit import BKTFitter

    skip_exit_collection()

    with bad_input_exits():
        responses, _ = _load(data, format, multi_skill)
        update, close = progress_bar("folds")

        def make() -> Any:
            if model is not None:
                return _family_fitter(model, restarts, max_iter, seed, item_strength, auto_folds)
            return BKTFitter(forgets=forgets, multigs=multigs, multilearn=multilearn,
                             restarts=restarts, max_iter=max_iter, random_state=seed,
                             **_item_priors(multigs, item_strength))  # fmt: skip

        if model is not None:
            _check_model_flags(model, forgets, multigs, multilearn, None, None)
            if model != "auto":
                from engine.families.spec import check_items

                check_items(model, responses, str(data))

        try:
            result = crossvalidate(make, responses, folds=folds, seed=seed, progress=update)
        finally:
            close()
    typer.echo(json.dumps(result.to_json_dict()) if as_json else _cv_text(result))


def _demo_sequence(params: ModelParams, responses: Responses) -> tuple[int, int]:
    """The skill with most responses and, on it, the longest sequence that ends mastered
    (P >= 0.95; else the longest): a trace that shows learning. Ties go to the first name."""
    import numpy as np

    from engine.trace import trace

    k = int(np.argmax(np.bincount(responses.skill, minlength=len(responses.skills))))
    on_skill = responses.skill == k
    lengths = np.bincount(responses.student[on_skill], minlength=len(responses.students))
    by_length = np.argsort(-lengths, kind="stable")
    for u in by_length[lengths[by_length] > 0].tolist():
        correct = responses.correct[on_skill & (responses.student == u)]
        if trace(params[responses.skills[k]], correct).mastery[-1] >= 0.95:
            return k, u
    return k, int(by_length[0])


def demo_command(
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            help="Cognitive Tutor file (default: $PATHWAYS_SHARED_DATA/cognitive_tutor/ct.csv).",
        ),
    ] = None,
) -> None:
    """Fit the shared Cognitive Tutor sample; show parameters and one student's mastery trace."""
    from engine.trace import trace

    skip_exit_collection()

    path = data if data is not None else shared_data_dir() / CT
    if not path.is_file():
        typer.echo(
            f"error: demo data not found at {path}; set {ENV_VAR} to the shared data folder "
            "or pass --data PATH",
            err=True,
        )
        raise typer.Exit(2)
    with bad_input_exits():
        responses, _ = _load(path, "auto", "split")
        fitter = _fit(responses, "fitting", random_state=0)
    params = fitter.params_
    typer.echo(params_table(params))
    if fitter.report_.flagged:
        typer.echo("")
        typer.echo(fitter.report_.to_table(only_flagged=True))
    k, u = _demo_sequence(params, responses)
    skill, student = responses.skills[k], responses.students[u]
    mask = (responses.skill == k) & (responses.student == u)
    correct = responses.correct[mask]
    items = [responses.items[i] for i in responses.item[mask]]
    t = trace(params[skill], correct, items=items)
    typer.echo("")
    typer.echo(f"mastery trace of student {student} on {skill} (prior {params[skill].prior:.3f})")
    typer.echo(f"{'step':>4}  {'item':<16} {'correct':>7}  {'P(correct)':>10}  {'P(mastered)':>11}")
    for i, (item, c, p, m) in enumerate(
        zip(items, correct, t.p_correct, t.mastery, strict=True), start=1
    ):
        typer.echo(f"{i:>4}  {item[:16]:<16} {int(c):>7}  {p:>10.3f}  {m:>11.3f}")
