"""The gettext catalogues: where they live, and compiling them when first used.

`.po` files are the only form kept in the repository. `translations(lang)` reads the
language's `.po` with Babel and compiles it to a `.mo` in memory once per process, so
nothing has to be built before the service (or the test suite) starts. A missing or
broken catalogue is an error at first use that names the file, never a silent fallback.
"""

from __future__ import annotations

import gettext
from functools import cache
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

from models.users import Language

LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
SOURCE_LANGUAGE = Language.en  # msgids are the English text


def po_path(lang: Language) -> Path:
    return LOCALES_DIR / lang.value / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalog(lang: Language) -> Catalog:
    path = po_path(lang)
    if not path.is_file():
        raise FileNotFoundError(f"no translation catalogue for {lang.value!r}: {path}")
    with path.open("rb") as fh:
        return read_po(fh, locale=lang.value, domain=DOMAIN)


@cache
def translations(lang: Language) -> gettext.NullTranslations:
    """The compiled catalogue of a language (English: the msgids themselves)."""
    if lang == SOURCE_LANGUAGE:
        return gettext.NullTranslations()
    buffer = BytesIO()
    write_mo(buffer, read_catalog(lang))
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


TRANSLATED = tuple(lang for lang in Language if lang != SOURCE_LANGUAGE)
