"""The account page: choose the language of your pages (or follow the browser)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from api.deps import SessionDep
from api.i18n.markers import N_
from api.pages.errors import PageRoute
from api.pages.session import CsrfChecked, PageUser
from api.pages.templating import render
from api.services import account
from api.services.errors import Invalid
from models.users import AccountSettings, Language

router = APIRouter(prefix="/account", route_class=PageRoute, include_in_schema=False)

BROWSER = "browser"  # the form's value for "no setting: follow the browser"


@router.get("/language", response_class=HTMLResponse)
def language_page(request: Request, user: PageUser, saved: bool = False) -> Response:
    return render(
        request,
        "account/language.html",
        {
            "title": N_("Language"),
            "choice": user.locale or BROWSER,
            "languages": list(Language),
            "saved": saved,
        },
    )


@router.post("/language", response_class=HTMLResponse, dependencies=[CsrfChecked])
def set_language(
    session: SessionDep, user: PageUser, locale: Annotated[str, Form(max_length=16)]
) -> Response:
    if locale != BROWSER and locale not in Language.__members__:
        raise Invalid(f"locale: {locale!r} is not one of {', '.join(Language)} or {BROWSER}")
    chosen = None if locale == BROWSER else Language(locale)
    account.update_settings(session, user, AccountSettings(locale=chosen))
    return RedirectResponse("/account/language?saved=true", status_code=303)
