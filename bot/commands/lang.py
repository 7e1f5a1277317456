"""/lang: a resident chooses French or English; an organizer sets a community's language."""

from __future__ import annotations

from bot.context import Context
from bot.i18n import LANGUAGES, translator
from storage import residents as resident_store

NAMES = {"fr": "Français", "en": "English"}


async def handle(ctx: Context, args: str) -> None:
    choice = args.strip().lower()
    if not choice:
        ctx.say(
            ctx.t._("Choose your language:"),
            (tuple(ctx.button(NAMES[code], "l", code) for code in LANGUAGES),),
        )
        return
    if choice not in LANGUAGES:
        ctx.say(ctx.t._("I speak fr (Français) and en (English). Example: /lang en"))
        return
    if not ctx.chat.is_private and await ctx.engine.is_organizer(ctx):
        await set_community_language(ctx, choice)
    else:
        await set_own_language(ctx, choice)


async def set_own_language(ctx: Context, language: str) -> None:
    resident_id = await ctx.engine.resident_id(ctx.event)
    await resident_store.update_resident(ctx.engine.db, resident_id, language=language)
    ctx.engine.remember_language(ctx.identity, language)
    ctx.t = translator(language)
    ctx.say(ctx.t._("From now on I will speak English with you."))


async def set_community_language(ctx: Context, language: str) -> None:
    engine = ctx.engine
    community = await resident_store.ensure_community(
        engine.db, platform=ctx.chat.platform, chat_id=ctx.chat.chat_id, title="", now=engine.clock.now()
    )
    await resident_store.update_community(
        engine.db, community.id or 0, actor=ctx.identity, now=engine.clock.now(), language=language
    )
    engine.refresh_community(ctx.chat.key, language, community.timezone)
    ctx.t = translator(language)
    ctx.say(ctx.t._("This community's language is now English."))


async def on_button(ctx: Context, fields: list[str]) -> None:
    if not fields or fields[0] not in LANGUAGES:
        ctx.notice(ctx.t._("This button is not valid (any more)."), alert=True)
        return
    await set_own_language(ctx, fields[0])
    ctx.notice(NAMES[fields[0]])
