"""Conversion between our `ModelParams` and pyBKT (1.4.3) models; pyBKT is imported lazily.

pyBKT keeps, per skill, a `fit_model` dict: `prior`, `learns`/`forgets` (one per
"resource"), `guesses`/`slips` (one per "gs class"), the matrices `As[r, to, from]`,
`emissions[c, state, obs]` and `pi_0`, plus `resource_names` (name -> 1-based
resource) and `gs_names` (name -> 0-based class). `coef_` is the subset
{prior, learns, forgets, guesses, slips}.

Conventions:
- multilearn: pyBKT applies the resource of response t to the transition from t
  to t+1 (E_step.cpp and predict_onestep_states.cpp both index `resources` at
  t when computing t+1), which is our convention too ("the item practised
  teaches"), so item learn rates map one to one and no shift is needed.
- multiprior: pyBKT prepends a phantom step per sequence whose resource is the
  student's class, with prior 0; that resource's learn is the class prior and
  resource 1 carries the real learn/forget. We store class priors in
  `class_prior` and the mean class prior as the skill prior.
- pyBKT names are the raw column values; ours are strings (`str(name)`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
from numpy.typing import NDArray

from engine.params import ModelParams, ParamsError, SkillParams
from engine.responses import Responses

_DEFAULT_RESOURCES: dict[Any, int] = {"default": 1}
_DEFAULT_GS: dict[Any, int] = {"default": 1}


def _require_pybkt() -> Any:
    try:
        from pyBKT.models import Model
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("pyBKT is not installed; `pip install pyBKT==1.4.3`") from exc
    return Model


def _matrices(
    prior: float,
    learns: NDArray[np.float64],
    forgets: NDArray[np.float64],
    guesses: NDArray[np.float64],
    slips: NDArray[np.float64],
) -> dict[str, Any]:
    As = np.empty((len(learns), 2, 2))
    As[:, 0, 0] = 1.0 - learns
    As[:, 1, 0] = learns
    As[:, 0, 1] = forgets
    As[:, 1, 1] = 1.0 - forgets
    emissions = np.empty((len(guesses), 2, 2))
    emissions[:, 0, 0] = 1.0 - guesses
    emissions[:, 0, 1] = guesses
    emissions[:, 1, 0] = slips
    emissions[:, 1, 1] = 1.0 - slips
    return {
        "prior": float(prior),
        "learns": learns,
        "forgets": forgets,
        "guesses": guesses,
        "slips": slips,
        "As": As,
        "emissions": emissions,
        "pi_0": np.array([[1.0 - prior], [prior]]),
    }


def skill_to_pybkt(
    p: SkillParams,
    *,
    resource_names: Mapping[Any, int] | None = None,
    gs_names: Mapping[Any, int] | None = None,
    multiprior: bool = False,
) -> dict[str, Any]:
    """A pyBKT `fit_model[skill]` dict; names default to pyBKT's single "default" class.

    With multilearn pass `resource_names` (item -> 1-based index), with multigs
    `gs_names` (item -> 0-based index), with multiprior `resource_names` must map
    "Default" to 1 and each class to its resource.
    """
    res = dict(resource_names) if resource_names is not None else dict(_DEFAULT_RESOURCES)
    gsn = dict(gs_names) if gs_names is not None else dict(_DEFAULT_GS)
    n_res = max(res.values())
    learns = np.full(n_res, p.learn)
    forgets = np.full(n_res, p.forget)
    prior = p.prior
    for name, idx in res.items():
        if multiprior:
            if idx != 1:
                learns[idx - 1] = p.prior_for(str(name))
                forgets[idx - 1] = 0.0
        elif resource_names is not None:
            learns[idx - 1] = p.learn_for(str(name))
            forgets[idx - 1] = p.forget_for(str(name))
    if multiprior:
        prior = 0.0
    n_gs = max(gsn.values()) + 1 if gs_names is not None else 1
    guesses = np.full(n_gs, p.guess)
    slips = np.full(n_gs, p.slip)
    if gs_names is not None:
        for name, idx in gsn.items():
            guesses[idx] = p.guess_for(str(name))
            slips[idx] = p.slip_for(str(name))
    out = _matrices(prior, learns, forgets, guesses, slips)
    out["resource_names"] = res
    out["gs_names"] = gsn
    return out


def skill_from_pybkt(
    fit_model: Mapping[str, Any], *, multiprior: bool = False, where: str = "skill"
) -> SkillParams:
    """Our parameters from one pyBKT `fit_model[skill]` (or `coef_[skill]` plus names)."""
    learns = np.atleast_1d(np.asarray(fit_model["learns"], dtype=np.float64))
    forgets = np.atleast_1d(np.asarray(fit_model.get("forgets", np.zeros_like(learns)), float))
    guesses = np.atleast_1d(np.asarray(fit_model["guesses"], dtype=np.float64))
    slips = np.atleast_1d(np.asarray(fit_model["slips"], dtype=np.float64))
    res = dict(fit_model.get("resource_names") or _DEFAULT_RESOURCES)
    gsn = dict(fit_model.get("gs_names") or _DEFAULT_GS)
    prior = float(fit_model["prior"])
    item_learn: dict[str, float] = {}
    item_forget: dict[str, float] = {}
    class_prior: dict[str, float] = {}
    if multiprior:
        learn, forget = float(learns[0]), float(forgets[0])
        class_prior = {str(n): float(learns[i - 1]) for n, i in res.items() if i != 1}
        prior = float(np.mean(list(class_prior.values()))) if class_prior else prior
    elif len(learns) > 1:
        item_learn = {str(n): float(learns[i - 1]) for n, i in res.items()}
        item_forget = {str(n): float(forgets[i - 1]) for n, i in res.items()}
        learn, forget = float(learns.mean()), float(forgets.mean())
    else:
        learn, forget = float(learns[0]), float(forgets[0])
    item_guess: dict[str, float] = {}
    item_slip: dict[str, float] = {}
    if len(guesses) > 1:
        item_guess = {str(n): float(guesses[i]) for n, i in gsn.items()}
        item_slip = {str(n): float(slips[i]) for n, i in gsn.items()}
    try:
        return SkillParams(
            prior=prior,
            learn=learn,
            guess=float(guesses.mean()),
            slip=float(slips.mean()),
            forget=forget,
            item_guess=item_guess,
            item_slip=item_slip,
            item_learn=item_learn,
            item_forget=item_forget if any(item_forget.values()) else {},
            class_prior=class_prior,
        )
    except ParamsError as exc:
        raise ParamsError(f"{where}.{exc}") from None


def from_pybkt(model: Any, *, multiprior: bool | None = None) -> ModelParams:
    """ModelParams from a fitted pyBKT `Model` (reads `model.fit_model`)."""
    fit_model = getattr(model, "fit_model", None)
    if not fit_model:
        raise ParamsError("pyBKT model has not been fitted (fit_model is empty)")
    variants = {"multilearn": False, "multiprior": False, "multigs": False}
    model_type = getattr(model, "model_type", None)
    if model_type is not None:
        names = ("multilearn", "multiprior", "multipair", "multigs")
        variants.update(
            {n: bool(v) for n, v in zip(names, model_type, strict=True) if n in variants}
        )
    if multiprior is not None:
        variants["multiprior"] = multiprior
    skills = {
        str(name): skill_from_pybkt(fm, multiprior=variants["multiprior"], where=f"pybkt[{name!r}]")
        for name, fm in fit_model.items()
    }
    forgets = bool(getattr(model, "forgets", False)) or any(s.forget > 0 for s in skills.values())
    return ModelParams(
        skills=skills, forgets=forgets, metadata={"converted_from": "pyBKT"}, **variants
    )


def to_pybkt(params: ModelParams, *, seed: int = 0) -> Any:
    """A pyBKT `Model` whose `fit_model` holds our parameters, ready for `predict`/`evaluate`.

    Item names in resource/gs maps are our (string) item names, so the data given
    to pyBKT must carry the same strings in its template column.
    """
    Model = _require_pybkt()
    if params.multilearn and params.multiprior:
        raise ParamsError("pyBKT cannot combine multilearn and multiprior")
    model = Model(seed=seed, num_fits=1)
    model.fit_model = {}
    for name, p in params.skills.items():
        res: dict[Any, int] | None = None
        if params.multilearn:
            items = sorted(set(p.item_learn) | set(p.item_forget))
            res = {it: i + 1 for i, it in enumerate(items)} if items else None
        elif params.multiprior:
            res = {"Default": 1, **{c: i + 2 for i, c in enumerate(sorted(p.class_prior))}}
        gsn = None
        if params.multigs:
            items = sorted(set(p.item_guess) | set(p.item_slip))
            gsn = {it: i for i, it in enumerate(items)} if items else None
        model.fit_model[name] = skill_to_pybkt(
            p, resource_names=res, gs_names=gsn, multiprior=params.multiprior
        )
    model.model_type = [params.multilearn, params.multiprior, False, params.multigs]
    model.forgets = params.forgets
    model.skills = list(params.skills)
    model.defaults = None
    model.manual_param_init = False
    return model


def to_coef(params: ModelParams) -> dict[str, dict[str, Any]]:
    """pyBKT's `coef_` form ({skill: {prior, learns, forgets, guesses, slips}})."""
    out = {}
    for name, p in params.skills.items():
        fm = skill_to_pybkt(p)
        out[name] = {k: fm[k] for k in ("prior", "learns", "forgets", "guesses", "slips")}
    return out


def from_coef(coef: Mapping[str, Mapping[str, Any]], *, forgets: bool | None = None) -> ModelParams:
    """ModelParams from pyBKT's `coef_` (single-class skills; missing keys take pyBKT defaults)."""
    skills = {}
    for name, c in coef.items():
        fm = {
            "prior": c.get("prior", 0.0),
            "learns": c.get("learns", [0.0]),
            "forgets": c.get("forgets", [0.0]),
            "guesses": c.get("guesses", [0.0]),
            "slips": c.get("slips", [0.0]),
        }
        for key in ("learns", "forgets", "guesses", "slips"):
            if len(np.atleast_1d(fm[key])) != 1:
                raise ParamsError(
                    f"coef[{name!r}].{key}: expected one value, use from_pybkt "
                    "for multi-class skills"
                )
        skills[str(name)] = skill_from_pybkt(fm, where=f"coef[{name!r}]")
    has_forget = any(s.forget > 0 for s in skills.values()) if forgets is None else forgets
    return ModelParams(skills=skills, forgets=has_forget)


def pybkt_data(
    responses: Responses, skill: str, *, multigs: bool = False, multilearn: bool = False
) -> tuple[dict[str, Any], dict[str, int], dict[str, int]]:
    """One skill of `responses` as pyBKT's internal data dict (what `EM_fit` consumes).

    Returns (data, resource_names, gs_names) with pyBKT's encodings: correctness
    1/2 (0 = no response) in a (classes x T) int32 matrix, 1-based `starts`, and
    1-based `resources`; class names are our item names, numbered in sorted order.
    """
    sub = responses.for_skills([skill])
    if len(sub) == 0:
        raise ParamsError(f"no responses for skill {skill!r}")
    starts = sub.sequence_starts()
    items = [sub.items[int(i)] for i in np.unique(sub.item)]
    index = {name: i for i, name in enumerate(items)}
    local = np.array([index[sub.items[int(i)]] for i in sub.item], dtype=np.int64)
    obs = sub.correct.astype(np.int32) + 1
    if multigs:
        data = np.zeros((len(items), len(sub)), dtype=np.int32)
        data[local, np.arange(len(sub))] = obs
        gs_names = index
    else:
        data = obs[None, :].copy()
        gs_names = dict(_DEFAULT_GS)
    if multilearn:
        resources = local + 1
        resource_names = {name: i + 1 for name, i in index.items()}
    else:
        resources = np.ones(len(sub), dtype=np.int64)
        resource_names = dict(_DEFAULT_RESOURCES)
    out = {
        "data": data,
        "starts": (starts[:-1] + 1).astype(np.int64),
        "lengths": np.diff(starts).astype(np.int64),
        "resources": resources.astype(np.int64),
        "resource_names": resource_names,
        "gs_names": gs_names,
    }
    return out, resource_names, gs_names


def pybkt_random_starts(frame: Any, seed: int, *, forgets: bool = False) -> ModelParams:
    """The starting parameters `Model(seed=seed, num_fits=1).fit(data=frame, forgets=...)` draws.

    pyBKT draws from one `RandomState(seed)`, skill after skill in order of first
    appearance once the frame is sorted by `order_id` and then stably by
    `user_id` (pyBKT's default column names), each skill's `random_model_uni`
    followed by a uniform forget when forgets are fitted. Fitting from these
    starts (`BKTFitter.fit(..., initial=...)`) reproduces pyBKT's fit, so its
    results can be compared without the luck of the random start. Single-class
    variants only.
    """
    from pyBKT.generate import random_model_uni

    rand = np.random.RandomState(seed)
    ordered = frame.sort_values("order_id").sort_values("user_id", kind="mergesort")
    skills = {}
    for name in ordered["skill_name"].astype(str).unique():
        m = random_model_uni.random_model_uni(1, 1, rand=rand)
        forget = float(rand.uniform(size=1)[0]) if forgets else 0.0
        skills[str(name)] = SkillParams(
            prior=float(m["prior"]),
            learn=float(m["learns"][0]),
            guess=float(m["guesses"][0]),
            slip=float(m["slips"][0]),
            forget=forget,
        )
    return ModelParams(skills=skills, forgets=forgets, metadata={"starts": f"pyBKT seed {seed}"})
