"""A feature is one package that declares itself (bot/feature.py): here a small "ideas box" feature, written
in this file alone, gets its command, its button, its guided flow, its deep link, its scheduled reminder and
its personal data (shown by /mydata, erased by /forget) working without a line changed anywhere else; and a
name that no feature declares is refused where it is used."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel.ext.asyncio.session import AsyncSession

from bot.actions import ActionSigner, Undeclared
from bot.context import Context
from bot.engine import Engine
from bot.feature import N_, CommandSpec, Feature, Jobs, PersonalData, Place, Registry, Shown
from bot.features import FEATURES
from bot.formatting import doc, p
from bot.guided import save_step
from bot.inbound import ChatRef
from bot.replies import Reply, Send
from storage.personal_data import Account
from storage.state import clear_conversation
from tests.databases import database_url
from tests.drivers.base import last
from tests.drivers.console import ConsoleDriver, console_settings


class IdeasBox:
    """The feature, with what it stores kept in memory (a real one would have its tables and migration)."""

    def __init__(self) -> None:
        self.ideas: dict[str, list[str]] = {}  # identity → ideas
        self.reminders: dict[str, datetime] = {}  # job id → when

    async def idea(self, ctx: Context, args: str) -> None:
        if args.strip():
            await self.keep(ctx, args.strip())
            return
        await save_step(ctx, "idea", {"step": "text"})
        ctx.say("Quelle est votre idée ?")

    async def typed(self, ctx: Context, state: dict[str, Any], text: str) -> None:
        await clear_conversation(ctx.engine.db, ctx.event.sender.platform, ctx.event.sender.user_id)
        await self.keep(ctx, text)

    async def keep(self, ctx: Context, text: str) -> None:
        mine = self.ideas.setdefault(ctx.identity, [])
        mine.append(text)
        self.reminders[f"idea-reminder:{ctx.identity}:{len(mine)}"] = ctx.engine.clock.now() + timedelta(
            days=1
        )
        ctx.engine.schedule_changed()
        ctx.say(f"Idée notée : {text}", ((ctx.button("Retirer mes idées", "ib", "drop"),),))

    async def pressed(self, ctx: Context, fields: list[str]) -> None:
        self.ideas.pop(ctx.identity, None)
        ctx.notice("Vos idées sont retirées.")

    async def start_link(self, ctx: Context, rest: str) -> None:
        await self.idea(ctx, "")

    async def wanted(self, engine: Engine) -> Mapping[str, datetime]:
        return dict(self.reminders)

    async def run_due(self, engine: Engine) -> Sequence[Reply]:
        replies: list[Reply] = []
        for job, at in list(self.reminders.items()):
            if at <= engine.clock.now():
                _, platform, user_id, _ = job.split(":")
                del self.reminders[job]
                body = doc(p("Rappel : la mairie lira votre idée cette semaine."))
                replies.append(Send(to=ChatRef.private(platform, user_id), body=body))
        return replies

    async def shown(self, ctx: Context, account: Account) -> Sequence[Shown]:
        return [Shown(Place.OTHER, "Vos idées", self.ideas.get(account.identity, []))]

    async def erase(self, ctx: Context, session: AsyncSession, account: Account) -> None:
        self.ideas.pop(account.identity, None)

    def feature(self) -> Feature:
        return Feature(
            name="ideas",
            commands=(CommandSpec("idea", N_("Suggest an idea"), self.idea, aliases=("idee",)),),
            buttons={"ib": self.pressed},
            flows={"idea": self.typed},
            deep_links={"idea": self.start_link},
            jobs=Jobs(prefixes=("idea-reminder:",), wanted=self.wanted, run_due=self.run_due),
            personal_data=PersonalData(shown=self.shown, erase=self.erase),
        )


@pytest.fixture
async def box(tmp_path: Path) -> AsyncIterator[tuple[ConsoleDriver, IdeasBox]]:
    ideas = IdeasBox()
    async with database_url("sqlite", tmp_path) as url:
        driver = ConsoleDriver(
            console_settings(url, tmp_path), tmp_path, features=(*FEATURES, ideas.feature())
        )
        await driver.start()
        try:
            yield driver, ideas
        finally:
            await driver.stop()


async def test_a_feature_added_in_one_place_has_its_command_flow_button_job_and_personal_data(box):
    driver, ideas = box
    await driver.send("bob", "/help", chat="@bob")
    assert "/idee — Suggest an idea" in last(driver, "@bob").text, (
        "its command is in /help, by its French name"
    )

    await driver.send("bob", "/start idea", chat="@bob")  # its deep link opens its guided flow
    assert last(driver, "@bob").text == "Quelle est votre idée ?"
    await driver.send("bob", "Un banc sous le tilleul", chat="@bob")
    assert last(driver, "@bob").text == "Idée notée : Un banc sous le tilleul"
    await driver.send("bob", "/idee Une boîte à livres", chat="@bob")  # its alias
    assert ideas.ideas == {"console:bob": ["Un banc sous le tilleul", "Une boîte à livres"]}

    await driver.send("bob", "/mydata", chat="@bob")
    shown = last(driver, "@bob").text
    assert "Vos idées" in shown and "Une boîte à livres" in shown, "its data is in /mydata"

    driver.clock.advance(timedelta(days=1))  # its scheduled work runs on the engine's clock
    await driver.settle()
    assert last(driver, "@bob").text == "Rappel : la mairie lira votre idée cette semaine."

    await driver.send("bob", "/forget", chat="@bob")
    await driver.press("bob", "Oui, effacer mes données", chat="@bob")
    assert ideas.ideas == {}, "/forget erased it"

    await driver.send("carol", "/idea Des toilettes au parc", chat="@carol")
    assert await driver.press("carol", "Retirer mes idées", chat="@carol") == "Vos idées sont retirées."
    assert ideas.ideas == {}, "its button works"


def test_two_features_may_not_declare_the_same_command_button_or_flow():
    for clash in (
        Feature("copy", commands=(CommandSpec("sondage", "x", IdeasBox().idea),)),  # an alias of /poll
        Feature("copy", buttons={"v": IdeasBox().pressed}),
        Feature("copy", flows={"poll": IdeasBox().typed}),
        Feature("polls"),
    ):
        with pytest.raises(ValueError, match="declared by both"):
            Registry((*FEATURES, clash))


def test_a_feature_that_requires_a_feature_not_registered_is_refused():
    with pytest.raises(Undeclared, match="requires"):
        Registry((Feature("ideas", requires=("polls",)),))


async def test_a_name_no_feature_declares_is_refused_where_it_is_used(box):
    driver, _ = box
    registry = driver.app.engine.registry
    signer = ActionSigner(b"k" * 32, prefixes=registry.buttons)
    assert signer.sign("ib", "drop")
    with pytest.raises(Undeclared, match="button prefix 'zz'"):
        signer.sign("zz", "1")
    with pytest.raises(Undeclared, match="guided flow"):
        registry.require_flow("survey")
    with pytest.raises(Undeclared, match="tracked message kind"):
        await driver.app.engine.refresh("petition:3")
    bad = Registry((Feature("late", jobs=Jobs(prefixes=("late:",), wanted=_wrong_job, run_due=_nothing)),))
    with pytest.raises(Undeclared, match="none of its feature's prefixes"):
        await bad.wanted(driver.app.engine)


async def _wrong_job(engine: Engine) -> Mapping[str, datetime]:
    return {"poll-close:1": engine.clock.now()}


async def _nothing(engine: Engine) -> Sequence[Reply]:
    return []
