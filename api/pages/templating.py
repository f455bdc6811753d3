"""Jinja2 environment for the web pages, and a `render` helper that fills the common context.

Static files get a content-hash query string so a Chromebook's cache never keeps
an old stylesheet after an upgrade, while still caching it between pages.
"""

from __future__ import annotations

import hashlib
from functools import cache
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from api.i18n import jinja as i18n
from api.pages import palette
from api.pages.heatmap import percent, render_cells
from api.pages.skill_graph import legend_swatch

API_DIR = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = API_DIR / "templates"
STATIC_DIR = API_DIR / "static"


@cache
def _static_version(path: str) -> str:
    target = (STATIC_DIR / path).resolve()
    if STATIC_DIR not in target.parents or not target.is_file():
        raise FileNotFoundError(f"static file {path!r} not found under {STATIC_DIR}")
    return hashlib.sha256(target.read_bytes()).hexdigest()[:10]


def static_url(path: str) -> str:
    """URL of a file under api/static with a cache-busting version."""
    return f"/static/{path}?v={_static_version(path)}"


def pct(value: float | None) -> str:
    """Mastery as a whole percentage for display ('–' for no evidence)."""
    return "–" if value is None else percent(value)


def _progress_class(value: float | None, threshold: float) -> str:
    """The width class (.pw-N, /assets/scale.css) of a bar toward mastery."""
    frac = 0.0 if value is None else min(1.0, max(0.0, value / threshold))
    return f"pw-{round(frac * 100)}"


SCALE_CSS_PATH = "/assets/scale.css"


@cache
def scale_css_url() -> str:
    """URL of the generated scale stylesheet, versioned by its content."""
    version = hashlib.sha256(palette.scale_css().encode()).hexdigest()[:10]
    return f"{SCALE_CSS_PATH}?v={version}"


templates = Jinja2Templates(directory=str(TEMPLATE_DIR))
templates.env.globals.update(
    static_url=static_url,
    scale_css_url=scale_css_url,
    scale_gradient=palette.css_gradient,
    legend_swatch=legend_swatch,
    render_cells=render_cells,
)
templates.env.filters.update(pct=pct, progress_class=_progress_class)
templates.env.trim_blocks = True
templates.env.lstrip_blocks = True
i18n.install(templates.env)  # `_()`, ngettext and the locale-aware filters


def render(
    request: Request,
    name: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> HTMLResponse:
    """Render a page with the per-request context (user, CSRF token, nav) merged in."""
    ctx: dict[str, Any] = dict(getattr(request.state, "page_context", {}) or {})
    ctx.update(context or {})
    ctx.update(i18n.context(name, ctx.get("user"), request.headers.get("accept-language")))
    return templates.TemplateResponse(request, name, ctx, status_code=status_code, headers=headers)
