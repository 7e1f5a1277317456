"""Translations: gettext catalogs in config/locales, maintained with Babel.

Message ids are English; French, the default language, is a catalog. Catalogs are compiled in memory from
the .po files at first use, so there is no build step and no binary file in the repository.
"""

from __future__ import annotations

import gettext
import io
from functools import cache
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

LOCALES = Path(__file__).resolve().parent.parent / "config" / "locales"
DOMAIN = "civicbot"
LANGUAGES = ("fr", "en")


def normalize_language(hint: str | None) -> str | None:
    """`fr-FR`, `fr_CA`, `FR` → `fr`; a language civicbot does not speak → None."""
    if not hint:
        return None
    code = hint.replace("_", "-").split("-", 1)[0].lower()
    return code if code in LANGUAGES else None


@cache
def translations(language: str) -> gettext.NullTranslations:
    po_file = LOCALES / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    if not po_file.exists():
        return gettext.NullTranslations()
    with po_file.open("rb") as handle:
        catalog = read_po(handle, locale=language, domain=DOMAIN)
    buffer = io.BytesIO()
    write_mo(buffer, catalog)
    buffer.seek(0)
    return gettext.GNUTranslations(buffer)


class Translator:
    """`_` and `n_` bound to one language, handed to every piece of code that speaks to a person."""

    def __init__(self, language: str) -> None:
        self.language = language
        self._t = translations(language)

    def _(self, message: str, /, **values: object) -> str:
        text = self._t.gettext(message)
        return text.format(**values) if values else text

    def n_(self, singular: str, plural: str, count: int, /, **values: object) -> str:
        return self._t.ngettext(singular, plural, count).format(count=count, **values)


@cache
def translator(language: str) -> Translator:
    return Translator(language if language in LANGUAGES else LANGUAGES[0])
