"""Translations and localised formatting in the page templates.

`install(env)` adds Jinja's i18n extension with gettext functions that read the
language from the template context, so one shared environment serves every language
at once (no per-request global state). `page_language(...)` decides what `render` puts
in that context: the student, family, account and sign-in pages follow the reader's
language; staff pages are English only and always get English.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from api.i18n import formatting
from api.i18n.catalogs import translations
from api.i18n.negotiate import DEFAULT, choose
from models.users import Language

# Templates shown in the reader's language (all others are staff pages, in English).
TRANSLATED_PREFIXES = ("student/", "family/", "account/", "auth/")
TRANSLATED_SHARED = ("base.html", "_macros.html", "error.html")
LANGUAGE_NAMES = {Language.en: "English", Language.es: "Español", Language.pt: "Português"}


def is_translated(template: str) -> bool:
    return template.startswith(TRANSLATED_PREFIXES) or template in TRANSLATED_SHARED


def page_language(template: str, account: str | None, accept_language: str | None) -> Language:
    if not is_translated(template):
        return DEFAULT
    return choose(account, accept_language)


def _lang(ctx: Context) -> Language:
    found = ctx.get("lang")
    return found if isinstance(found, Language) else DEFAULT


@pass_context
def _gettext(ctx: Context, message: str) -> str:
    return translations(_lang(ctx)).gettext(message)


@pass_context
def _ngettext(ctx: Context, singular: str, plural: str, n: int) -> str:
    return translations(_lang(ctx)).ngettext(singular, plural, n)


@pass_context
def _label(ctx: Context, message: str) -> str:
    """A label marked with `N_` in Python, translated as it is (no %-formatting, so
    a label with a literal '%' or a name in it is shown safely)."""
    return translations(_lang(ctx)).gettext(message) if message else message


@pass_context
def _reason(ctx: Context, suggestion: Any) -> str:
    """A suggestion's reason in the page's language: each sentence's template translated
    and filled; a template whose translation is missing or names other fields (a
    catalogue mistake the catalogue tests catch) is shown in English rather than failing."""
    phrases = getattr(suggestion, "reason_phrases", None) or []
    if not phrases:
        return str(suggestion.reason)
    gettext = translations(_lang(ctx)).gettext
    out = []
    for p in phrases:
        try:
            out.append(gettext(p.template).format(**p.fields))
        except (KeyError, IndexError, ValueError):
            out.append(p.template.format(**p.fields))
    return " ".join(out)


@pass_context
def _percent(ctx: Context, value: float | None) -> str:
    return formatting.percent(value, _lang(ctx))


@pass_context
def _number(ctx: Context, value: float | int) -> str:
    return formatting.number(value, _lang(ctx))


@pass_context
def _day(ctx: Context, value: date | datetime) -> str:
    return formatting.day(value, _lang(ctx))


def install(env: Environment) -> None:
    """Give `env` `_`/`gettext`/`ngettext` and the locale-aware filters."""
    env.add_extension("jinja2.ext.i18n")
    env.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=True
    )
    env.filters.update(t=_label, reason=_reason, lpercent=_percent, lnumber=_number, lday=_day)
    env.globals.update(language_names=LANGUAGE_NAMES)


def context(template: str, user: Any, accept_language: str | None) -> dict[str, Any]:
    """What `render` adds for the language: `lang` (gettext and filters read it)."""
    lang = page_language(template, getattr(user, "locale", None), accept_language)
    return {"lang": lang}
