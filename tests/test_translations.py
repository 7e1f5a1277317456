"""The French catalog is complete, well-formed and in step with the code.

Message ids are English (in `t._`, `t.n_` and `N_` calls under bot/ and adapters/); the .pot is the
extracted template and config/locales/fr/LC_MESSAGES/civicbot.po the French catalog.  How to update them:
config/locales/README.md.
"""

from __future__ import annotations

import re
import string
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog, Message
from babel.messages.pofile import read_po

from bot.feature import Registry
from bot.features import FEATURES
from bot.i18n import translator
from tests.languages import foreign_words

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "config" / "locales"
TEMPLATE = LOCALES / "civicbot.pot"
FRENCH = LOCALES / "fr" / "LC_MESSAGES" / "civicbot.po"

# The documented extraction command (config/locales/README.md), run with this interpreter's Babel.
EXTRACT = [
    "extract",
    "-F",
    "config/babel.cfg",
    "-k",
    "_",
    "-k",
    "n_:1,2",
    "-k",
    "N_",
    "--no-location",
    "--sort-output",
    "--omit-header",
]

UPDATE_HINT = "update the catalogs as config/locales/README.md explains"


def _read(path: Path, locale: str | None = None) -> Catalog:
    with path.open("rb") as handle:
        return read_po(handle, locale=locale, domain="civicbot")


def _entries(catalog: Catalog) -> list[Message]:
    return [message for message in catalog if message.id]


def _ids(catalog: Catalog) -> set[str | tuple[str, ...]]:
    return {message.id if isinstance(message.id, str) else tuple(message.id) for message in _entries(catalog)}


def _singular(message: Message) -> str:
    return message.id if isinstance(message.id, str) else message.id[0]


def _sources(message: Message) -> tuple[str, ...]:
    return (message.id,) if isinstance(message.id, str) else tuple(message.id)


def _forms(message: Message) -> tuple[str, ...]:
    return tuple(message.string) if isinstance(message.string, tuple | list) else (message.string or "",)


def _placeholders(text: str) -> set[str]:
    return {field for _, field, _, _ in string.Formatter().parse(text) if field is not None}


def _commands(text: str) -> set[str]:
    """Slash commands and option flags: `/poll`, `/event_edit`, `--closes` (flags are never translated)."""
    return set(re.findall(r"(?<![\w/])/[a-z_]+\b", text)) | set(re.findall(r"--[a-z]+\b", text))


REGISTRY = Registry(FEATURES)
TEMPLATE_CATALOG = _read(TEMPLATE)
FRENCH_CATALOG = _read(FRENCH, locale="fr")
FRENCH_ENTRIES = _entries(FRENCH_CATALOG)


def _each_french_entry() -> Callable[[Callable[[Message], None]], Callable[[], None]]:
    """One test that checks every message and lists each one that fails, with why (one test per message
    would be thousands of tests, each paying the runner's overhead)."""

    def over_the_catalog(check: Callable[[Message], None]) -> Callable[[], None]:
        def test() -> None:
            failures = []
            for message in FRENCH_ENTRIES:
                try:
                    check(message)
                except AssertionError as error:
                    failures.append(f"{_singular(message)[:80]!r}: {(str(error).splitlines() or ['?'])[0]}")
            assert not failures, "\n".join(failures)

        test.__name__ = test.__qualname__ = check.__name__
        test.__doc__ = check.__doc__
        return test

    return over_the_catalog


def test_template_is_up_to_date_with_the_code(tmp_path: Path) -> None:
    fresh = tmp_path / "civicbot.pot"
    subprocess.run(
        [sys.executable, "-m", "babel.messages.frontend", *EXTRACT, "-o", str(fresh), "."],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    extracted, stored = _ids(_read(fresh)), _ids(TEMPLATE_CATALOG)
    assert not extracted - stored, f"strings missing from civicbot.pot: {UPDATE_HINT}"
    assert not stored - extracted, f"strings no longer in the code are still in civicbot.pot: {UPDATE_HINT}"


def test_french_catalog_has_exactly_the_template_messages() -> None:
    assert _ids(FRENCH_CATALOG) == _ids(TEMPLATE_CATALOG), UPDATE_HINT


def test_french_catalog_declares_french_plural_forms() -> None:
    assert FRENCH_CATALOG.num_plurals == 2
    assert FRENCH_CATALOG.plural_expr.replace(" ", "") == "(n>1)"


def test_french_catalog_has_no_fuzzy_entries() -> None:
    fuzzy = [_singular(m) for m in FRENCH_CATALOG if m.fuzzy]
    assert not fuzzy, "review these translations and drop their fuzzy flag"


def test_french_catalog_has_no_obsolete_entries() -> None:
    assert not FRENCH_CATALOG.obsolete, "remove the #~ entries left by pybabel update"


@_each_french_entry()
def test_every_message_is_translated(message: Message) -> None:
    forms = _forms(message)
    assert len(forms) == (FRENCH_CATALOG.num_plurals if message.pluralizable else 1)
    assert all(form.strip() for form in forms)


@_each_french_entry()
def test_translation_keeps_the_placeholders(message: Message) -> None:
    expected = set().union(*map(_placeholders, _sources(message)))
    for form in _forms(message):
        assert _placeholders(form) == expected


@_each_french_entry()
def test_translation_keeps_surrounding_whitespace_and_line_breaks(message: Message) -> None:
    source = _singular(message)
    leading = source[: len(source) - len(source.lstrip())]
    trailing = source[len(source.rstrip()) :]
    for form in _forms(message):
        assert form[: len(form) - len(form.lstrip())] == leading
        assert form[len(form.rstrip()) :] == trailing
        assert form.count("\n") == source.count("\n")


def _in_french(command: str) -> str:
    """A command as French speakers type it (its French name, declared by its feature); a flag unchanged."""
    spec = REGISTRY.command(command.removeprefix("/")) if command.startswith("/") else None
    return f"/{spec.name_in('fr')}" if spec is not None else command


@_each_french_entry()
def test_translation_names_each_command_in_french_and_keeps_option_flags(message: Message) -> None:
    """French speakers read /sondage, /clore, /aide… where English speakers read /poll, /close, /help: a
    translation names the same commands, under their French names, and keeps every option flag."""
    expected = {_in_french(command) for command in set().union(*map(_commands, _sources(message)))}
    for form in _forms(message):
        assert _commands(form) == expected


@_each_french_entry()
def test_translation_follows_french_typography(message: Message) -> None:
    for form in _forms(message):
        assert "“" not in form and "”" not in form, "use « … » with spaces inside"
        assert not re.search(r"«\S|\S»", form), "put a space inside « … »"
        assert not re.search(r"[^\s\d]:(?!\d)", form), "put a space before ':'"
        assert not re.search(r"\S[?!]", form), "put a space before '?' and '!'"


@_each_french_entry()
def test_each_message_is_english_and_its_translation_french(message: Message) -> None:
    """Both languages, each whole: no French word in a message id, no English word in its translation (a
    stop-word heuristic, tests/languages.py, shared with the check of the replies)."""
    for source in _sources(message):
        assert not foreign_words(source, "en"), "a message id is English"
    for form in _forms(message):
        assert not foreign_words(form, "fr"), "a translation is French"


@pytest.mark.parametrize(
    ("source", "french"),
    [
        ("Vote recorded: {option}", "Vote enregistré : {option}"),
        ("Vote withdrawn: {option}", "Vote retiré : {option}"),
        ("Vote moved to: {option}", "Vote déplacé vers : {option}"),
        ("{label}: {count} ({share})", "{label} : {count} ({share})"),
        ("anonymous vote", "vote anonyme"),
        ("Poll closed", "Sondage clos"),
        (
            "This poll is closed: votes are no longer accepted.",
            "Ce sondage est clos : les votes ne sont plus acceptés.",
        ),
        (
            "Sorry, only organizers can use /{name}.",
            "Désolé, seuls les organisateurs peuvent utiliser /{name}.",
        ),
        ("From now on I will speak English with you.", "Désormais, je vous parle en français."),
        (
            "This community's language is now English.",
            "La langue de cette communauté est désormais le français.",
        ),
        ("poll no. {id}", "sondage n° {id}"),
        ("Poll no. {id} is closed.", "Le sondage n° {id} est clos."),
        ("one choice", "un seul choix"),
        ("several choices allowed", "plusieurs choix possibles"),
        ("public vote, names shown", "vote public, noms affichés"),
    ],
)
def test_key_messages_use_the_agreed_french_wording(source: str, french: str) -> None:
    message = FRENCH_CATALOG.get(source)
    assert message is not None, f"{source!r} is no longer in the catalog"
    assert message.string == french


def test_voter_count_uses_french_plural_forms() -> None:
    message = FRENCH_CATALOG.get(("{count} voter", "{count} voters"))
    assert message is not None
    assert message.string == ("{count} votant", "{count} votants")
    fr = translator("fr")
    assert fr.n_("{count} voter", "{count} voters", 0) == "0 votant"
    assert fr.n_("{count} voter", "{count} voters", 1) == "1 votant"
    assert fr.n_("{count} voter", "{count} voters", 2) == "2 votants"


def test_french_translator_speaks_french() -> None:
    assert translator("fr")._("Vote recorded: {option}", option="Samedi") == "Vote enregistré : Samedi"


def test_english_translator_returns_the_message_id() -> None:
    assert translator("en")._("Vote recorded: {option}", option="Samedi") == "Vote recorded: Samedi"
    assert translator("en").n_("{count} voter", "{count} voters", 2) == "2 voters"
