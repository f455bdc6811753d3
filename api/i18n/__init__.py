"""Translations for the student and family pages: English, Spanish and Portuguese.

The catalogues are gettext `.po` files under `api/locales/<lang>/LC_MESSAGES/`; they are
compiled in memory the first time a language is used (`catalogs`), so a fresh checkout
needs no build step. `negotiate` picks a page's language (the account's setting, else the
browser's Accept-Language), `formatting` writes numbers and dates the way that language
does (Babel's CLDR data), and `jinja` wires both into the page templates.
"""
