"""`N_`: marks a string in Python for the catalogues without translating it there.

Labels defined at import time (navigation, badges, page titles) cannot be translated
when the module loads, because the reader's language is only known per request. They
are marked with `N_` so extraction finds them, and the template translates them where
they are shown (`{{ _(label) }}`).
"""

from __future__ import annotations


def N_(message: str) -> str:
    return message


ROLE_NAMES = (N_("student"), N_("teacher"), N_("designer"), N_("admin"), N_("guardian"))
DIFFICULTY_NAMES = (N_("easy"), N_("medium"), N_("hard"))
PACE_FLAGS = (N_("on track"), N_("at risk"), N_("behind"))  # engine.pace.Flag's values
