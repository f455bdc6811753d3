"""`pathways import | refit | replay`: the service database from the command line.

    pathways import content/sample/fractions.yaml     # curriculum (replaces) or item CSV (adds)
    pathways refit [--activate] [--forgets] [--multigs] [--restarts N] [--seed S]
    pathways replay                                    # recompute all mastery from the log

`refit` fits BKT on the service's response log (the database in $PATHWAYS_DATA_DIR or
DATABASE_URL). It is not `pathways fit DATA`, which fits a response *file*. They may
run while `pathways serve` is up on the same data directory.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from cli.progress import progress_bar
from cli.runtime import service_runtime


def import_command(
    path: Annotated[Path, typer.Argument(help="Curriculum .yaml or item bank .csv.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
) -> None:
    """Validate and store content, all-or-nothing (exit 1 with every problem listed)."""
    from api.services import content_import
    from api.services.errors import Invalid

    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        typer.echo(f"error: {path}: cannot read ({exc})", err=True)
        raise typer.Exit(2) from None
    runtime = service_runtime()
    with runtime.session() as session:
        try:
            report = content_import.import_text(session, text, str(path))
        except Invalid as exc:
            detail = exc.detail if isinstance(exc.detail, dict) else {"errors": [exc.detail]}
            if as_json:
                typer.echo(json.dumps(detail, indent=2))
            else:
                typer.echo(f"{path}: not imported, nothing changed:", err=True)
                for p in detail.get("errors", []):
                    line = p if isinstance(p, str) else f"{p['location']}: {p['message']}"
                    typer.echo(f"  - {line}", err=True)
            raise typer.Exit(1) from None
    if as_json:
        typer.echo(json.dumps(report, indent=2))
        return
    typer.echo(
        f"{path}: imported {report['kind']}: {report['skills']} skills, {report['items']} items, "
        f"{report['prerequisites']} prerequisites; {len(report['added'])} added, "
        f"{len(report['updated'])} updated, {len(report['retired'])} retired"
    )


def refit_command(
    forgets: Annotated[bool, typer.Option("--forgets", help="Also fit P(forget).")] = False,
    multigs: Annotated[bool, typer.Option("--multigs", help="Guess/slip per item.")] = False,
    restarts: Annotated[int, typer.Option("--restarts", min=1, max=50)] = 3,
    seed: Annotated[int, typer.Option("--seed", min=0, help="Random seed.")] = 0,
    bound_guess: Annotated[
        float, typer.Option("--bound-guess", help="Upper bound on a skill's guess.")
    ] = 0.3,
    bound_slip: Annotated[float, typer.Option("--bound-slip", help="Upper bound on slip.")] = 0.3,
    activate: Annotated[
        bool,
        typer.Option(
            "--activate", help="Activate the result if the gate passes, and replay the log."
        ),
    ] = False,
    override_reason: Annotated[
        str | None,
        typer.Option(
            "--override-reason",
            help="With --activate: activate although the gate refuses, for this reason (recorded).",
        ),
    ] = None,
) -> None:
    """Fit parameters on the logged responses (a fit job, like POST /api/fits)."""
    from pydantic import ValidationError

    from api.services import fits, params
    from api.services.errors import ServiceError
    from models.fit_jobs import FitOptions, FitStatus

    try:
        options = FitOptions.model_validate(
            {
                "forgets": forgets,
                "multigs": multigs,
                "restarts": restarts,
                "random_state": seed,
                "bound_guess": bound_guess,
                "bound_slip": bound_slip,
            }
        )
    except ValidationError as exc:
        problems = "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())
        typer.echo(f"error: {problems}", err=True)
        raise typer.Exit(2) from None
    runtime = service_runtime()
    with runtime.session() as session:
        try:
            job = fits.create_fit_job(session, None, options)
        except ServiceError as exc:
            typer.echo(f"error: {exc.detail}", err=True)
            raise typer.Exit(1) from None
        assert job.id is not None
        typer.echo(f"fit job {job.id}: fitting ...", err=True)
        fits.run_fit(session, job.id)
        public = fits.to_public(session, fits.get_fit_job(session, job.id))
        if public.status != FitStatus.succeeded or public.param_set_id is None:
            typer.echo(f"error: fit job {job.id} failed: {public.error}", err=True)
            raise typer.Exit(1)
        typer.echo(
            f"fit job {job.id}: parameter set {public.param_set_id} "
            f"({public.n_responses} responses)"
        )
        typer.echo(f"{'skill':<32} {'prior':>13} {'learn':>13} {'guess':>13} {'slip':>13}")
        for c in public.comparison:
            cells = []
            for name in ("prior", "learn", "guess", "slip"):
                before = f"{c.before[name]:.3f}" if c.before and name in c.before else "  -  "
                after = f"{c.after[name]:.3f}" if c.after and name in c.after else "  -  "
                cells.append(f"{before}->{after}")
            typer.echo(f"{c.skill[:32]:<32} " + " ".join(f"{x:>13}" for x in cells))
        gate = public.gate or {}
        typer.echo(gate_summary(gate))
        if activate:
            update, close = progress_bar("replaying the log", "answer")
            try:
                done = params.activate(
                    session,
                    runtime,
                    public.param_set_id,
                    update,
                    override_reason=override_reason,
                )
            except ServiceError as exc:
                typer.echo(f"error: {exc.detail}", err=True)
                raise typer.Exit(1) from None
            finally:
                close()
            how = "gate passed" if not done.overridden else f"gate overridden: {override_reason}"
            typer.echo(
                f"activated parameter set {public.param_set_id} ({how}); mastery recomputed "
                f"from {done.replay.responses} responses"
            )
        else:
            typer.echo(f"activate with: POST /api/params/{public.param_set_id}/activate")


def gate_summary(gate: dict[str, object]) -> str:
    """The gate's verdict in a few lines: passed or the reasons, and the overall scores."""
    lines = [f"gate: {'passes' if gate.get('passed') else 'refuses'}"]
    reasons = gate.get("reasons")
    lines += [f"  - {r}" for r in reasons] if isinstance(reasons, list) else []
    overall = gate.get("overall")
    if isinstance(overall, dict):
        new, cur = overall["candidate"], overall["current"]

        def fmt(v: object) -> str:
            return f"{v:.4f}" if isinstance(v, float) else "-"

        lines.append(
            f"  newest {overall['n']} answers: log-loss {fmt(new['log_loss'])} (running "
            f"{fmt(cur['log_loss'])}), AUC {fmt(new['auc'])} (running {fmt(cur['auc'])})"
        )
    return "\n".join(lines)


def replay_command() -> None:
    """Recompute every student's mastery from the response log (active parameters)."""
    from api.services.replay import replay

    runtime = service_runtime()
    update, close = progress_bar("replaying the log", "answer")
    with runtime.session() as session:
        try:
            result = replay(session, runtime.cache, update)
        finally:
            close()
    typer.echo(
        f"replayed {result.responses} responses: {result.students} students, "
        f"{result.mastery_rows} mastery rows"
    )
