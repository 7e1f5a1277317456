"""/proposals_settings, by a community's organizers in it: whether residents may propose there, whether
proposals wait for moderation, the support threshold and the days to answer. Shown without arguments;
changed with words in French or English (`seuil 10 moderation non`, `threshold 10`, `off`)."""

from __future__ import annotations

from bot.context import Context
from bot.formatting import b, doc, i, p, ul
from bot.i18n import Translator
from bot.proposals.spec import ProposalError, defaults
from storage import proposals as store
from storage import residents as resident_store

YES = ("on", "oui", "yes", "true")
NO = ("off", "non", "no", "false")
NAMES = {
    "threshold": "threshold",
    "seuil": "threshold",
    "delay": "answer_days",
    "delai": "answer_days",
    "délai": "answer_days",
    "days": "answer_days",
    "jours": "answer_days",
    "moderation": "moderation",
    "modération": "moderation",
}
MAX_NUMBER = 100_000


def _switch(word: str, t: Translator) -> bool:
    if word in YES:
        return True
    if word in NO:
        return False
    raise ProposalError(t._("“{word}” is neither on nor off.", word=word[:20]))


def _number(word: str, t: Translator) -> int:
    if not word.isdigit() or not 1 <= int(word) <= MAX_NUMBER:
        raise ProposalError(
            t._("“{word}” is not a whole number from 1 to {maximum}.", word=word[:20], maximum=MAX_NUMBER)
        )
    return int(word)


def parse(args: str, t: Translator) -> dict[str, object]:
    """The changes the words ask for; raises ProposalError naming what cannot be read."""
    words = args.lower().split()
    values: dict[str, object] = {}
    while words:
        word = words.pop(0)
        if word in YES or word in NO:
            values["enabled"] = _switch(word, t)
            continue
        name = NAMES.get(word)
        if name is None or not words:
            raise ProposalError(t._("I cannot read “{word}”.", word=word[:20]) + " " + usage(t))
        value = words.pop(0)
        values[name] = _switch(value, t) if name == "moderation" else _number(value, t)
    return values


def usage(t: Translator) -> str:
    return t._(
        "For example: /proposals_settings threshold 10 delay 30 moderation on (off alone closes proposals "
        "here)."
    )


def _shown(rules: store.Rules, t: Translator) -> list[str]:
    return [
        t._("Proposals: open") if rules.enabled else t._("Proposals: closed"),
        t._("Moderation: on") if rules.moderation else t._("Moderation: off"),
        t.n_("Threshold: {count} support", "Threshold: {count} supports", rules.threshold),
        t.n_(
            "Official answer due within {count} day",
            "Official answer due within {count} days",
            rules.answer_days,
        ),
    ]


async def handle(ctx: Context, args: str) -> None:
    t = ctx.t
    engine = ctx.engine
    if ctx.chat.is_private:
        ctx.say(t._("Send /proposals_settings in the community whose settings you want to see or change."))
        return
    now = engine.clock.now()
    community = await resident_store.ensure_community(
        engine.db, platform=ctx.chat.platform, chat_id=ctx.chat.chat_id, title="", now=now
    )
    cid = community.id or 0
    try:
        values = parse(args, t)
    except ProposalError as error:
        ctx.say(str(error))
        return
    if values:
        await store.set_rules(engine.db, cid, values, actor=ctx.identity, now=now)
    rules = await store.rules(engine.db, cid, defaults(engine.settings))
    heading = t._("Proposals here, from now on") if values else t._("Proposals here")
    ctx.say(doc(p(b(heading)), ul(*_shown(rules, t)), p(i(usage(t)))))
