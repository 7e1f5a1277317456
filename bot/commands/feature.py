"""The features every deployment has: talking with the bot (/start, /help, /lang, /cancel), closing and
results of polls and consultations, and a person's own data (/mydata, /forget)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from bot.authority import Role, Target
from bot.commands import close, forget, help, lang, mydata, results, start
from bot.consultations.views import FLAGS as VIEW_FLAGS
from bot.consultations.views import LINK as VIEW_LINK
from bot.context import Context
from bot.feature import N_, Card, CommandSpec, Feature, Parameter, PersonalData
from bot.inbound import MessageRef
from bot.polls.feature import NUMBER

if TYPE_CHECKING:
    from bot.engine import Engine


async def _mydata(ctx: Context, _rest: str) -> None:
    await mydata.handle(ctx, "")


async def _forget(ctx: Context, _rest: str) -> None:
    await forget.handle(ctx, "")


def _results_line(values: Mapping[str, Any]) -> str:
    """/results' filled-in form → its argument line: `place-du-marche --where transport=bike`."""
    line = [str(values.get("number") or "").strip()]
    for name in ("where", "cross"):
        if values.get(name):
            line.append(f"{VIEW_FLAGS.written(name)} {str(values[name]).strip()}")
    return " ".join(part for part in line if part)


async def _results_delivered(engine: Engine, subject: str, ref: MessageRef) -> None:
    engine.reposts.delivered(subject, ref)


BASICS = Feature(
    name="basics",
    commands=(
        CommandSpec(
            "start",
            N_("Start talking with the bot"),
            start.handle,
            form=(
                Parameter(
                    "topic",
                    N_("Where to begin, as an invitation button does: poll, mydata, forget…"),
                    french="sujet",
                ),
            ),
        ),
        CommandSpec("help", N_("What the bot can do"), help.handle, aliases=("aide",)),
        CommandSpec(
            "lang",
            N_("Choose the language: fr or en"),
            lang.handle,
            aliases=("langue",),
            arguments="fr|en",
            form=(
                Parameter(
                    "language",
                    N_("The language"),
                    choices=(("Français", "fr"), ("English", "en")),
                    french="langue",
                ),
            ),
        ),
        CommandSpec("cancel", N_("Stop the current step-by-step flow"), start.cancel, aliases=("annuler",)),
    ),
    buttons={"l": lang.on_button},
)

CLOSING = Feature(
    name="closing",
    commands=(
        CommandSpec(
            "close",
            N_("Close a poll or a consultation now"),
            close.handle,
            role=Role.ORGANIZER,
            aliases=("clore",),
            arguments=N_("[number or consultation id]"),
            targets=(Target.POLL, Target.CONSULTATION),
            form=(
                Parameter(
                    "number",
                    N_("Poll number or consultation id (the latest poll of this channel when empty)"),
                    max_length=40,
                    french="numero",
                ),
            ),
        ),
    ),
    requires=("polls", "consultations"),
)

RESULTS = Feature(
    name="results",
    commands=(
        CommandSpec(
            "results",
            N_("Show the results of a poll or a consultation"),
            results.handle,
            aliases=("resultats",),
            arguments=N_("[number or consultation id] [--where QUESTION=ANSWER] [--cross QUESTION QUESTION]"),
            targets=(Target.POLL, Target.CONSULTATION),
            form=(
                NUMBER,
                Parameter(
                    "where",
                    N_("A consultation's residents who gave one answer, e.g. transport=bike"),
                    max_length=100,
                    french="filtre",
                ),
                Parameter(
                    "cross",
                    N_("Two questions of a consultation to cross, e.g. transport frequency"),
                    max_length=100,
                    french="croiser",
                ),
            ),
            from_form=_results_line,
        ),
    ),
    # asked for in a group, shown in private
    deep_links={results.RESULTS_LINK: results.handle, VIEW_LINK: results.from_view_link},
    cards={results.RESULTS_TRACK.removesuffix(":"): Card(delivered=_results_delivered)},
    requires=("polls", "consultations"),
)

MY_DATA = Feature(
    name="my-data",
    commands=(
        CommandSpec("mydata", N_("See everything stored about you"), mydata.handle, aliases=("mesdonnees",)),
        CommandSpec("forget", N_("Erase your data"), forget.handle, aliases=("oublier",)),
    ),
    buttons={"x": forget.on_button},
    deep_links={"mydata": _mydata, "forget": _forget},
    # the resident's own rows; last in bot/features.py, so that their erasure comes after the features'
    personal_data=PersonalData(shown=mydata.shown, erase=forget.erase_resident),
)
