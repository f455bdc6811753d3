"""Read a parameter file of any family: today's `ModelParams`, or a `StudentModel` when the
file has a population section."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from engine.families.student_model import StudentModel
from engine.params import ModelParams, ParamsError

Model = ModelParams | StudentModel


def model_from_json_dict(data: Any, where: str = "params") -> Model:
    if isinstance(data, dict) and "population" in data:
        return StudentModel.from_json_dict(data, where)
    return ModelParams.from_json_dict(data, where)


def load_model(path: str | Path) -> Model:
    p = Path(path)
    try:
        data = json.loads(p.read_text())
    except FileNotFoundError:
        raise ParamsError(f"{p}: no such parameter file") from None
    except json.JSONDecodeError as exc:
        raise ParamsError(f"{p}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    return model_from_json_dict(data, where=str(p))


def with_metadata(model: Model, extra: dict[str, Any]) -> Model:
    """The model with `extra` added to its metadata (the data it was fitted on, the choice)."""
    from dataclasses import replace

    if isinstance(model, ModelParams):
        return replace(model, metadata={**model.metadata, **extra})
    return replace(model, base=replace(model.base, metadata={**model.base.metadata, **extra}))


def base_params(model: Model) -> ModelParams:
    """The per-skill BKT terms (for a student model, at shift 0)."""
    return model if isinstance(model, ModelParams) else model.base
