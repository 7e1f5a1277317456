"""Events (public events: "events" for users) with RSVP, calendar files and the community's time zone;
and the reminders, which remind of events, and of polls and consultations about to close."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from bot.authority import Role, Target
from bot.events import commands as events
from bot.events import guided, personal_data, reminders, service
from bot.feature import N_, Card, CommandSpec, Feature, Jobs
from bot.inbound import MessageRef

if TYPE_CHECKING:
    from bot.engine import Engine
    from bot.replies import Reply


async def _card_delivered(engine: Engine, event_id: str, ref: MessageRef) -> None:
    await service.record_card(engine, int(event_id), ref)


async def _card(engine: Engine, event_id: str) -> Sequence[Reply]:
    return await service.card_edits(engine, int(event_id))


async def _calendar_delivered(engine: Engine, event_id: str, ref: MessageRef) -> None:
    await service.record_calendar_entry(engine, int(event_id), ref)


async def _remind(engine: Engine) -> Sequence[Reply]:
    await reminders.decide_due(engine)  # (reminders go through the outbox: nothing to deliver here)
    return []


FEATURE = Feature(
    name="events",
    commands=(
        CommandSpec(
            "event",
            N_("Announce an event"),
            events.event,
            role=Role.ORGANIZER,
            aliases=("evenement",),
            arguments=N_("[--reminders 24h,1h] Title | WHEN | PLACE | description"),
        ),
        CommandSpec(
            "events",
            N_("The upcoming events, or the details of one"),
            events.events,
            aliases=("evenements",),
            arguments=N_("[number]"),
            targets=(Target.EVENT,),
        ),
        CommandSpec(
            "event_edit",
            N_("Change an event"),
            events.event_edit,
            role=Role.ORGANIZER,
            aliases=("modifier_evenement",),
            arguments=N_("number field value"),
            targets=(Target.EVENT,),
        ),
        CommandSpec(
            "event_cancel",
            N_("Cancel an event"),
            events.event_cancel,
            role=Role.ORGANIZER,
            aliases=("annuler_evenement",),
            arguments=N_("number"),
            targets=(Target.EVENT,),
        ),
        CommandSpec(
            "calendar",
            N_("The upcoming events as a calendar file"),
            events.calendar,
            aliases=("agenda", "calendrier"),
        ),
        CommandSpec(
            "tz",
            N_("Set the community's time zone"),
            events.tz,
            role=Role.ORGANIZER,
            aliases=("fuseau",),
            arguments=N_("zone, for example Europe/Paris"),
        ),
    ),
    buttons={"m": events.on_button},
    flows={guided.FLOW: guided.on_text},
    cards={
        "event": Card(delivered=_card_delivered, refresh=_card),
        "event-calendar": Card(delivered=_calendar_delivered),
    },
    personal_data=personal_data.PERSONAL_DATA,
)

REMINDERS = Feature(
    name="reminders",
    commands=(
        CommandSpec(
            "reminders",
            N_("Turn private reminders off or on"),
            events.reminders,
            aliases=("rappels",),
            arguments="off|on",
        ),
    ),
    jobs=Jobs(
        prefixes=("event-reminder:", "poll-reminder:", "consultation-reminder:"),
        wanted=reminders.jobs,
        run_due=_remind,
    ),
    requires=("events", "polls", "consultations"),
)
