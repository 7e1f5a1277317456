"""What consultations store about a person, in /mydata and /forget (bot/feature.py `PersonalData`): that
they took part (with their answers, in a named consultation), their answers in progress, the consultations
they created."""

from __future__ import annotations

import json
from collections.abc import Sequence

from sqlmodel.ext.asyncio.session import AsyncSession

from bot.consultations.loaded import Loaded
from bot.context import Context
from bot.feature import Erasure, PersonalData, Place, Shown
from bot.i18n import Translator
from storage import consultations_personal_data
from storage.erasure import Account


async def shown(ctx: Context, account: Account) -> Sequence[Shown]:
    t = ctx.t
    consultations = ctx.engine.consultations
    async with ctx.engine.db.read() as session:
        data = await consultations_personal_data.gather(ctx.engine.db, session, account)

    took_part = [
        consultations.definition_of(part.consultation).title.get(t.language)
        + " — "
        + (
            t._(
                "named: your answers are linked to you (/consult {id} shows them)",
                id=part.consultation.slug,
            )
            if part.named
            else t._("anonymous: only that you took part is stored, not your answers")
        )
        for part in data.took_part
    ]
    drafts = [
        f"{_title(await consultations.get(draft.consultation_id), stored, t)} — "
        + t.n_("{count} answer given", "{count} answers given", len(json.loads(draft.answers)))
        for draft, stored in data.drafts
    ]
    created = [
        t._("Consultation {id}: {title}", id=slug, title=_title(await consultations.find(slug), stored, t))
        for slug, stored in data.created
    ]
    return (
        Shown(Place.CONSULTATIONS, t._("Consultations you took part in"), took_part),
        Shown(Place.DRAFTS, t._("Consultations you started answering"), drafts),
        Shown(Place.CREATED, t._("What you created"), created),
    )


def _title(loaded: Loaded | None, stored: str, t: Translator) -> str:
    """A consultation's title in the reader's language (the stored title is the French one)."""
    return stored if loaded is None else loaded.definition.title.get(t.language)


async def erase(ctx: Context, session: AsyncSession, account: Account) -> Erasure:
    """Named answers withdrawn while open, linked to nobody once closed; taking part kept as a pseudonym;
    answers in progress deleted (and the keys of sealed ones destroyed); created consultations without
    author."""
    t = ctx.t
    erased = await consultations_personal_data.erase(session, account, ctx.engine.erasure_key)
    told = []
    if erased.answers_withdrawn:
        told.append(
            t.n_(
                "Your answers to {count} open consultation were withdrawn.",
                "Your answers to {count} open consultations were withdrawn.",
                erased.answers_withdrawn,
            )
        )
    return Erasure(told=told, keys=erased.keys)


PERSONAL_DATA = PersonalData(shown=shown, erase=erase)
