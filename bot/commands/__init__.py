"""The commands residents and organizers type. Adapters read this registry to register them with each
platform (Telegram's command menu, Discord's slash commands), with their localized descriptions."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.authority import Role, Target
from bot.context import Context


def N_(message: str) -> str:
    """Mark a message for extraction; it is translated where it is shown."""
    return message


@dataclass(frozen=True)
class CommandSpec:
    name: str
    summary: str  # English msgid, translated for display
    handler: Callable[[Context, str], Awaitable[None]]
    role: Role = Role.ANYONE  # who may use it; the engine checks it before the handler runs
    aliases: tuple[str, ...] = ()
    arguments: str = ""  # msgid describing the arguments, for /help and slash commands
    private_only: bool = False
    extra: dict[str, str] = field(default_factory=dict)
    targets: tuple[Target, ...] = ()  # what its first argument may name: the engine checks rights on it

    @property
    def organizer(self) -> bool:
        return self.role is Role.ORGANIZER


def _registry() -> dict[str, CommandSpec]:
    from bot.commands import close, consultations, forget, help, lang, meetings, mydata, poll, results, start

    specs = [
        CommandSpec("start", N_("Start talking with the bot"), start.handle),
        CommandSpec("help", N_("What the bot can do"), help.handle, aliases=("aide",)),
        CommandSpec(
            "poll",
            N_("Create a poll"),
            poll.handle,
            role=Role.ORGANIZER,
            aliases=("sondage",),
            arguments=N_(
                "[--multi] [--public] [--hidden] [--private-results] [--closes WHEN] "
                "Question? | Option 1 | Option 2"
            ),
        ),
        CommandSpec(
            "results",
            N_("Show the results of a poll or a consultation"),
            results.handle,
            aliases=("resultats",),
            arguments=N_("[number or consultation id]"),
            targets=(Target.POLL, Target.CONSULTATION),
        ),
        CommandSpec(
            "close",
            N_("Close a poll"),
            close.handle,
            role=Role.ORGANIZER,
            aliases=("clore",),
            arguments=N_("[number]"),
            targets=(Target.POLL,),
        ),
        CommandSpec(
            "consultations", N_("List the consultations"), consultations.list_all, role=Role.ORGANIZER
        ),
        CommandSpec(
            "launch",
            N_("Invite a community to a consultation"),
            consultations.launch,
            role=Role.ORGANIZER,
            aliases=("lancer",),
            arguments=N_("id"),
            targets=(Target.CONSULTATION,),
        ),
        CommandSpec(
            "consult",
            N_("Answer a consultation"),
            consultations.consult,
            aliases=("participer",),
            arguments=N_("id"),
        ),
        CommandSpec(
            "export",
            N_("Export a consultation's results as open data"),
            consultations.export,
            role=Role.ORGANIZER,
            aliases=("exporter",),
            arguments=N_("id"),
            targets=(Target.CONSULTATION,),
        ),
        CommandSpec(
            "event",
            N_("Announce a public meeting"),
            meetings.event,
            role=Role.ORGANIZER,
            aliases=("evenement",),
            arguments=N_("[--reminders 24h,1h] Title | WHEN | PLACE | description"),
        ),
        CommandSpec(
            "events",
            N_("The upcoming events, or the details of one"),
            meetings.events,
            aliases=("evenements",),
            arguments=N_("[number]"),
            targets=(Target.EVENT,),
        ),
        CommandSpec(
            "event_edit",
            N_("Change an event"),
            meetings.event_edit,
            role=Role.ORGANIZER,
            aliases=("modifier_evenement",),
            arguments=N_("number field value"),
            targets=(Target.EVENT,),
        ),
        CommandSpec(
            "event_cancel",
            N_("Cancel an event"),
            meetings.event_cancel,
            role=Role.ORGANIZER,
            aliases=("annuler_evenement",),
            arguments=N_("number"),
            targets=(Target.EVENT,),
        ),
        CommandSpec(
            "calendar",
            N_("The upcoming events as a calendar file"),
            meetings.calendar,
            aliases=("agenda", "calendrier"),
        ),
        CommandSpec(
            "tz",
            N_("Set the community's time zone"),
            meetings.tz,
            role=Role.ORGANIZER,
            aliases=("fuseau",),
            arguments=N_("zone, for example Europe/Paris"),
        ),
        CommandSpec(
            "reminders",
            N_("Turn private reminders off or on"),
            meetings.reminders,
            aliases=("rappels",),
            arguments="off|on",
        ),
        CommandSpec(
            "lang", N_("Choose the language: fr or en"), lang.handle, aliases=("langue",), arguments="fr|en"
        ),
        CommandSpec("mydata", N_("See everything stored about you"), mydata.handle, aliases=("mesdonnees",)),
        CommandSpec("forget", N_("Erase your data"), forget.handle, aliases=("oublier",)),
        CommandSpec("cancel", N_("Stop the current step-by-step flow"), start.cancel, aliases=("annuler",)),
    ]
    table: dict[str, CommandSpec] = {}
    for spec in specs:
        table[spec.name] = spec
        for alias in spec.aliases:
            table[alias] = spec
    return table


_COMMANDS: dict[str, CommandSpec] | None = None


def find_command(name: str) -> CommandSpec | None:
    global _COMMANDS
    if _COMMANDS is None:
        _COMMANDS = _registry()
    return _COMMANDS.get(name)


def all_commands() -> list[CommandSpec]:
    """Each command once, in menu order."""
    find_command("start")
    assert _COMMANDS is not None
    return list({id(spec): spec for spec in _COMMANDS.values()}.values())
