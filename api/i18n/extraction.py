"""Which strings the catalogues must hold: extracted from the sources with Babel.

The translated templates (`jinja.is_translated`) are read with Jinja's extractor and
the `api` package's Python with Babel's (labels marked `N_`). `python -m
api.i18n.extraction` merges new strings into every catalogue (keeping the translations
already there, dropping strings no longer used) so a translator only fills `msgstr`s;
`tests/api/i18n/test_catalogs.py` fails while any of them is missing or empty.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_file
from babel.messages.pofile import write_po

from api.i18n.catalogs import DOMAIN, TRANSLATED, po_path, read_catalog
from api.i18n.jinja import is_translated
from content import answers
from engine.recommend import reasons as reason_templates

API_DIR = Path(__file__).resolve().parent.parent
TEMPLATE_DIR = API_DIR / "templates"
JINJA_OPTIONS = {"extensions": "jinja2.ext.i18n", "trimmed": "false", "newstyle_gettext": "true"}
KEYWORDS = {**DEFAULT_KEYWORDS, "N_": None}


def translated_templates() -> list[Path]:
    found = []
    for path in sorted(TEMPLATE_DIR.rglob("*.html")):
        if is_translated(path.relative_to(TEMPLATE_DIR).as_posix()):
            found.append(path)
    return found


def python_sources() -> list[Path]:
    return sorted(p for p in API_DIR.rglob("*.py") if "__pycache__" not in p.parts)


def _extract(path: Path, method: str, options: dict[str, str]) -> Iterator[tuple[str, str]]:
    for lineno, message, _comments, _context in extract_from_file(
        method, str(path), keywords=KEYWORDS, options=options
    ):
        msgid = message if isinstance(message, str) else message[0]
        if msgid:
            yield msgid, f"{path.relative_to(API_DIR.parent).as_posix()}:{lineno}"


def extract_messages() -> dict[str, list[str]]:
    """Every msgid the translated pages use -> where (file:line); a plural by its
    singular (its plural form is in `plural_pairs`)."""
    found: dict[str, list[str]] = {}
    for path in translated_templates():
        for msgid, where in _extract(path, "jinja2.ext:babel_extract", JINJA_OPTIONS):
            found.setdefault(msgid, []).append(where)
    for path in python_sources():
        for msgid, where in _extract(path, "python", {}):
            found.setdefault(msgid, []).append(where)
    for msgid, where in shown_from_other_layers():
        found.setdefault(msgid, []).append(where)
    return found


def shown_from_other_layers() -> Iterator[tuple[str, str]]:
    """Sentences the engine and the answer checker write for students (they cannot
    import `N_`): the recommender's reason templates and the checker's messages."""
    for module, messages in ((reason_templates, reason_templates.TEMPLATES),
                             (answers, answers.STUDENT_MESSAGES)):  # fmt: skip
        path = Path(str(module.__file__))
        lines = path.read_text(encoding="utf-8").splitlines()
        where = path.relative_to(API_DIR.parent).as_posix()
        for msgid in messages:
            start = msgid[:25]
            line = next((i for i, text in enumerate(lines, 1) if start in text), 1)
            yield msgid, f"{where}:{line}"


def plural_pairs() -> dict[str, str]:
    """singular msgid -> plural msgid, for the ngettext calls."""
    pairs: dict[str, str] = {}
    sources = [(p, "jinja2.ext:babel_extract", JINJA_OPTIONS) for p in translated_templates()]
    sources += [(p, "python", {}) for p in python_sources()]
    for path, method, options in sources:
        for _line, message, _c, _x in extract_from_file(
            method, str(path), keywords=KEYWORDS, options=options
        ):
            if isinstance(message, tuple) and len(message) > 1 and message[0] and message[1]:
                pairs[message[0]] = message[1]
    return pairs


def untranslated(messages: dict[str, list[str]], catalog: Catalog) -> list[str]:
    """The used msgids a catalogue lacks, leaves empty or marks fuzzy, with where used."""
    out = []
    for msgid, where in sorted(messages.items()):
        entry = catalog.get(msgid)
        strings = entry.string if entry is not None else ""
        texts = strings if isinstance(strings, tuple) else (strings,)
        if entry is None or entry.fuzzy or not all(texts):
            out.append(f"{msgid!r} ({', '.join(where)})")
    return out


def template_catalog() -> Catalog:
    """The extracted strings as a `.pot`-like catalogue (plurals as (singular, plural))."""
    plurals = plural_pairs()
    template = Catalog(domain=DOMAIN, project="Pathways")
    for msgid, where in extract_messages().items():
        locations = [(w.rsplit(":", 1)[0], int(w.rsplit(":", 1)[1])) for w in where]
        key: str | tuple[str, str] = (msgid, plurals[msgid]) if msgid in plurals else msgid
        template.add(key, locations=locations)
    return template


def update_catalogs() -> list[Path]:
    """Merge the extracted strings into each language's `.po`, as `pybabel update`
    does without fuzzy guesses: translations kept, new strings empty, unused dropped."""
    template = template_catalog()
    written = []
    for lang in TRANSLATED:
        path = po_path(lang)
        catalog = read_catalog(lang) if path.is_file() else Catalog(locale=lang.value)
        catalog.update(template, no_fuzzy_matching=True, update_header_comment=False)
        catalog.obsolete.clear()
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("wb") as fh:
            write_po(fh, catalog, width=100, sort_output=True)
        written.append(path)
    return written


if __name__ == "__main__":
    for written_path in update_catalogs():
        sys.stdout.write(f"updated {written_path}\n")
