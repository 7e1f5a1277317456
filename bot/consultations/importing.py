"""An organizer sends a consultation's YAML file to the bot in a private chat."""

from __future__ import annotations

from bot import authority
from bot.consultations.messages import DefinitionErrors
from bot.context import Context
from bot.formatting import b, code, doc, p, ul
from bot.inbound import FileUpload
from bot.uploads import MAX_UPLOAD_BYTES
from storage.consultations import ConsultationLocked, ConsultationTaken


async def import_upload(ctx: Context, event: FileUpload) -> None:
    t = ctx.t
    if not event.filename.lower().endswith((".yaml", ".yml")):
        ctx.say(t._("Send a consultation as a .yaml file; I do not know what to do with other files."))
        return
    if not await authority.is_organizer(ctx):
        ctx.say(t._("Sorry, only organizers can import a consultation."))
        return
    if event.too_large or len(event.data) > MAX_UPLOAD_BYTES:
        ctx.say(
            t._(
                "This file is too large for a consultation ({limit} KB at most).",
                limit=MAX_UPLOAD_BYTES // 1000,
            )
        )
        return
    try:
        source = event.data.decode("utf-8")
    except UnicodeDecodeError:
        ctx.say(t._("This file is not UTF-8 text."))
        return
    await import_text(ctx, source)


async def import_text(ctx: Context, source: str) -> None:
    """Validate and store; every problem is listed with its line, and nothing is stored then."""

    t = ctx.t
    try:
        row = await ctx.engine.consultations.import_source(
            source,
            t=t,
            actor=ctx.identity,
            created_by=await ctx.engine.resident_id(ctx.event),
            scope=await authority.organizer_scope(ctx),
        )
    except DefinitionErrors as errors:
        heading, *problems = errors.report(t).splitlines()
        ctx.say(doc(p(b(heading)), ul(*problems[:30])))
        return
    except ConsultationTaken as taken:
        ctx.say(
            t._(
                "The id “{slug}” is already used by another community's consultation. Choose another id "
                "(the “id:” line of your file).",
                slug=str(taken),
            )
        )
        return
    except ConsultationLocked as locked:
        ctx.say(
            t._(
                "The consultation “{slug}” already has answers, so its questions cannot change. "
                "Import it under "
                "a new id.",
                slug=str(locked),
            )
        )
        return
    title = ctx.engine.consultations.definition_of(row).title.get(t.language)
    launch = ctx.engine.registry.command("launch")
    name = launch.name_in(t.language) if launch is not None else "launch"
    ctx.say(
        doc(
            p(b(t._("Consultation imported: {title}", title=title))),
            p(t._("Launch it in a community with"), " ", code(f"/{name} {row.slug}")),
        )
    )
