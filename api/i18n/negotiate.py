"""Which language a page is shown in: the account's choice, else the browser's."""

from __future__ import annotations

from models.users import Language

DEFAULT = Language.en
MAX_HEADER = 500  # longer Accept-Language headers are read up to here


def _quality(param: str) -> float | None:
    name, _, value = param.partition("=")
    if name.strip().lower() != "q":
        return None
    try:
        q = float(value)
    except ValueError:
        return 0.0
    return q if 0.0 <= q <= 1.0 else 0.0


def from_accept_language(header: str | None) -> Language | None:
    """The best supported language in an Accept-Language header, or None.

    Tags are matched on their primary subtag (`pt-BR` and `pt-PT` read as `pt`); `q=0`
    refuses a language; an unreadable weight counts as a refusal rather than an error.
    """
    if not header:
        return None
    ranked: list[tuple[float, int, Language]] = []
    for position, part in enumerate(header[:MAX_HEADER].split(",")):
        tag, *params = (p.strip() for p in part.split(";"))
        q = 1.0
        for param in params:
            found = _quality(param)
            if found is not None:
                q = found
        primary = tag.split("-", 1)[0].lower()
        if q > 0 and primary in Language.__members__:
            ranked.append((-q, position, Language(primary)))
    return min(ranked)[2] if ranked else None


def choose(account: Language | str | None, accept_language: str | None) -> Language:
    """The account's language when it chose one, else the browser's, else English."""
    if account:
        try:
            return Language(account)
        except ValueError:
            pass
    return from_accept_language(accept_language) or DEFAULT
