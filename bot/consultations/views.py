"""Filtered views and cross-tabulations an organizer asks for, read from what they typed and said in words.

`place-du-marche --where transport=bike` counts only the residents who chose an option (for a scale or a
number, whose answer compares with a value: `satisfaction<=2`); `place-du-marche --cross transport
frequence` shows, for each option of the first question, how its residents answered the second. The same
request comes from the chat (`/results … --where …`, French spellings `--filtre`, `--croiser`), from
Discord's form and from the shell (`civicbot results … --where … --cross …`). Questions are named by id or
by their number in the results; options by id, number or text in either language, whatever the case and
the accents ("velo" finds « À vélo ou en trottinette » when no other option has that word).

The figures come from storage/consultation_results.py, which applies the small-group rule (k =
`CIVICBOT_MIN_GROUP`): a group of fewer than k residents is withheld, and the message says so. A request
that cannot be answered raises `ViewError`, whose message says what to type instead; nothing is read then.
"""

from __future__ import annotations

import base64
import binascii
import re
import shlex
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from bot.consultations.answers import AnswerError, normal, read_number
from bot.consultations.figures import format_number, format_share
from bot.consultations.loaded import Loaded
from bot.consultations.model import ConsultationDefinition
from bot.consultations.publishing import record_access
from bot.consultations.questions import Question
from bot.consultations.results import consultation_results, render_results
from bot.formatting import Block, Rich, b, doc, i, p, ul
from bot.i18n import LANGUAGES, Translator, translator
from bot.options import Flags
from storage.consultation_results import (
    CHOICE_KINDS,
    NUMERIC_KINDS,
    OPTION_KINDS,
    Condition,
    CrossTab,
    cross_tabulate,
)
from storage.consultation_results import Op as Operator

if TYPE_CHECKING:
    from bot.engine import Engine

# each setting's spellings, the first being how the engine writes it
FLAG_WHERE: Final = ("--where", "--filter", "--filtre", "--si")
FLAG_CROSS: Final = ("--cross", "--croiser", "--croise", "--croisé")
FLAGS: Final = Flags({"where": FLAG_WHERE, "cross": FLAG_CROSS})
LINK: Final = "v_"  # `/start v_<request>` in private: an invitation's way back to a view asked in a group
_LINK_LIMIT: Final = 64  # a deep link's payload (bot/replies.py: Invite)

_FILTER: Final = re.compile(
    r"^(?P<question>[^<>=!≠≤≥]+?)\s*(?P<op>!=|<>|≠|<=|≤|>=|≥|==|=|<|>)\s*(?P<value>.+)$"
)
_OPERATORS: Final[dict[str, Operator]] = {
    "=": "==",
    "==": "==",
    "!=": "!=",
    "<>": "!=",
    "≠": "!=",
    "<": "<",
    "<=": "<=",
    "≤": "<=",
    ">": ">",
    ">=": ">=",
    "≥": ">=",
}


class ViewError(ValueError):
    """The request cannot be answered; `message` is localized and says what to type instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True, slots=True)
class ViewRequest:
    """What was typed after each `--where` and each `--cross` (one of either is all a view takes)."""

    where: tuple[str, ...] = ()
    cross: tuple[str, ...] = ()

    @property
    def asked(self) -> bool:
        return bool(self.where or self.cross)


@dataclass(frozen=True, slots=True)
class Filtered:
    condition: Condition


@dataclass(frozen=True, slots=True)
class Crossed:
    row: Question  # a group per option of this question
    column: Question  # and how each group answered this one


View = Filtered | Crossed


# --- reading the request ----------------------------------------------------------------------------------


def split(args: str, t: Translator) -> tuple[str, ViewRequest]:
    """`place-du-marche --where transport=bike` → ("place-du-marche", the request). A flag's value is every
    word up to the next flag (`--filtre transport=à vélo` needs no quotes); without any flag, the arguments
    come back unchanged and the request is empty."""
    try:
        words = shlex.split(args)
    except ValueError:  # an unpaired quote: read the words as they are
        words = args.split()
    if not any(word.startswith("--") for word in words):
        return args.strip(), ViewRequest()
    target = words.pop(0) if not words[0].startswith("--") else ""
    values: dict[str, list[str]] = {"where": [], "cross": []}
    if words and not words[0].startswith("--"):
        raise ViewError(t._("Write the consultation's id, then --where or --cross."))
    while words:
        flag, _, inline = words.pop(0).partition("=")
        name = FLAGS.name_of(flag)
        if name is None:
            raise ViewError(
                t._("“{flag}” is not an option of /results: use --where or --cross.", flag=flag[:30])
            )
        taken = [inline] if inline else []
        while words and not words[0].startswith("--"):
            taken.append(words.pop(0))
        values[name].append(" ".join(taken).strip())
    return target, ViewRequest(tuple(values["where"]), tuple(values["cross"]))


def check(definition: ConsultationDefinition, request: ViewRequest, t: Translator) -> View:
    """The view asked for, checked against the consultation's questions (ViewError otherwise)."""
    if len(request.where) > 1:
        raise ViewError(
            t._(
                "One filter at a time: --where {example} keeps the residents who gave one answer.",
                example=_filter_example(definition, t),
            )
        )
    if len(request.cross) > 1:
        raise ViewError(t._("One cross-tabulation at a time: --cross QUESTION QUESTION."))
    if request.where and request.cross:
        raise ViewError(t._("A cross-tabulation counts every resident: ask for it without --where."))
    if request.where:
        return Filtered(read_filter(definition, request.where[0], t))
    return read_cross(definition, request.cross[0], t)


def read_filter(definition: ConsultationDefinition, text: str, t: Translator) -> Condition:
    example = _filter_example(definition, t)
    found = _FILTER.match(text.strip())
    if found is None:
        raise ViewError(
            t._(
                "Write the filter as QUESTION=ANSWER, for example --where {example}.",
                example=example,
            )
        )
    question = find_question(definition, found["question"], t)
    op, value = _OPERATORS[found["op"]], found["value"].strip()
    kind = question.storage_kind
    if kind in OPTION_KINDS:
        if op not in ("==", "!="):
            raise ViewError(
                t._(
                    "The answers to “{question}” are options: keep them with = or leave them out with !=.",
                    question=question.id,
                )
            )
        return Condition(question.id, op, find_answer(question, value, t))
    if kind in NUMERIC_KINDS:
        try:
            number = read_number(value, t)
        except AnswerError:
            number = None
        if number is None:
            raise ViewError(
                t._(
                    "“{value}” is not a number: the answers to “{question}” are numbers, for example "
                    "--where {question}>=3.",
                    value=value[:40],
                    question=question.id,
                )
            )
        return Condition(question.id, op, float(number))
    raise ViewError(
        t._(
            "The answers to “{question}” are free texts: no view can be filtered on them. For example: "
            "--where {example}.",
            question=question.id,
            example=example,
        )
    )


def read_cross(definition: ConsultationDefinition, text: str, t: Translator) -> Crossed:
    names = text.replace(",", " ").replace("×", " ").split()
    if len(names) != 2:
        raise ViewError(
            t._(
                "Name two questions after --cross, for example --cross {example}.",
                example=" ".join(q.id for q in _crossable(definition)[:2]) or "QUESTION QUESTION",
            )
        )
    row, column = (find_question(definition, name, t) for name in names)
    for question in (row, column):
        if question.storage_kind not in CHOICE_KINDS:
            raise ViewError(
                t._(
                    "Only single-choice, multiple-choice and yes/no questions can be crossed, and "
                    "“{question}” is not one. These can: {questions}.",
                    question=question.id,
                    questions=", ".join(q.id for q in _crossable(definition)),
                )
            )
    if row.id == column.id:
        raise ViewError(t._("Name two different questions after --cross."))
    return Crossed(row, column)


def find_question(definition: ConsultationDefinition, name: str, t: Translator) -> Question:
    """A question by its id (whatever the case and accents) or its number in the results."""
    wanted = normal(name)
    for number, question in enumerate(definition.questions, start=1):
        if wanted in (normal(question.id), str(number)):
            return question
    raise ViewError(
        t._(
            "This consultation has no question “{name}”. Its questions: {questions}.",
            name=name.strip()[:40],
            questions=", ".join(q.id for q in definition.questions),
        )
    )


def find_answer(question: Question, text: str, t: Translator) -> str:
    """An option by its id, its number, or its text in either language (whatever the case and accents);
    else the one option whose text holds the words typed."""
    wanted = normal(text)
    labels = {
        option: [
            normal(option),
            *(normal(question.option_label(option, translator(lang))) for lang in LANGUAGES),
        ]
        for option in question.option_ids
    }
    for number, (option, names) in enumerate(labels.items(), start=1):
        if wanted in names or wanted == str(number):
            return option
    words = f" {wanted} "
    holding = [option for option, names in labels.items() if any(words in f" {n} " for n in names[1:])]
    if len(holding) == 1:
        return holding[0]
    raise ViewError(
        t._(
            "“{answer}” is not one of the answers to “{question}”: {options}.",
            answer=text.strip()[:40],
            question=question.id,
            options=", ".join(_option_names(question, t)),
        )
    )


def _option_names(question: Question, t: Translator) -> list[str]:
    """ "bike (À vélo ou en trottinette)"; for yes/no, whose ids are the same in every language, the label."""
    if question.fixed_options():
        return [question.option_label(option, t) for option in question.option_ids]
    return [f"{option} ({question.option_label(option, t)})" for option in question.option_ids]


def _crossable(definition: ConsultationDefinition) -> list[Question]:
    return [q for q in definition.questions if q.storage_kind in CHOICE_KINDS]


def _filter_example(definition: ConsultationDefinition, t: Translator) -> str:
    """`frequence=daily`, or `pietonne=oui` (a yes/no question's answer in the reader's words)."""
    question = next((q for q in definition.questions if q.storage_kind in OPTION_KINDS), None)
    if question is None:
        return t._("QUESTION=ANSWER")
    first = question.option_ids[0]
    answer = normal(question.option_label(first, t)) if question.fixed_options() else first
    return f"{question.id}={answer}"


# --- the way back from an invitation ----------------------------------------------------------------------


def written(slug: str, view: View) -> str:
    """The request as the engine writes it, with ids: what an invitation's link carries."""
    if isinstance(view, Crossed):
        return f"{slug} --cross {view.row.id} {view.column.id}"
    condition = view.condition
    value = condition.value
    if isinstance(value, float):
        value = format_number(value, "en").replace(",", "")
    op = "=" if condition.op == "==" else condition.op
    return f"{slug} --where {condition.question}{op}{value}"


def link(slug: str, view: View) -> str | None:
    """The deep-link payload that asks for this view again in private, or None when it would not fit."""
    encoded = base64.urlsafe_b64encode(written(slug, view).encode()).decode().rstrip("=")
    payload = LINK + encoded
    return payload if len(payload) <= _LINK_LIMIT else None


def from_link(payload: str) -> str | None:
    """The request a link carries (None when it is not one of ours)."""
    try:
        return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


# --- the answer -------------------------------------------------------------------------------------------


async def read_view(engine: Engine, loaded: Loaded, view: View, t: Translator, *, actor: str) -> Rich:
    """The view, read by `actor`: audited, as any read of the results before the close."""
    await record_access(engine, loaded, actor=actor)
    return await view_message(engine, loaded, view, t)


async def view_message(engine: Engine, loaded: Loaded, view: View, t: Translator) -> Rich:
    """The filtered results, or the cross-tabulation, with the small-group rule applied and said."""
    min_group = engine.settings.min_group
    rule = p(i(small_groups_rule(min_group, t)))
    if isinstance(view, Filtered):
        results = await consultation_results(
            engine.db, loaded.id, loaded.definition, view.condition, min_group=min_group
        )
        body = render_results(loaded.definition, results, t)
        return doc(*body.blocks[:2], rule, *body.blocks[2:])
    table = await cross_tabulate(
        engine.db, loaded.id, view.row.shape(), view.column.shape(), min_group=min_group
    )
    return render_cross(loaded.definition, view, table, t, min_group)


def small_groups_rule(min_group: int, t: Translator) -> str:
    return t.n_(
        "Fewer than {minimum} person: withheld, so that nobody can be recognized.",
        "Fewer than {minimum} people: withheld, so that nobody can be recognized.",
        min_group,
        minimum=min_group,
    )


def render_cross(
    definition: ConsultationDefinition, view: Crossed, table: CrossTab, t: Translator, min_group: int
) -> Rich:
    """One short block per option of the row question: its group's size, then how the group answered the
    column question (a share of the group); a group of fewer than k residents reads only that it is
    withheld. Lists rather than a grid: a phone shows them whole."""
    lang = t.language
    row, column = view.row, view.column
    blocks: list[Block] = [
        p(b(t._("Cross-tabulation: {title}", title=definition.title.get(lang)))),
        p(
            i(
                t._(
                    "How the residents answered “{column}”, by their answer to “{row}”.",
                    column=column.text.get(lang),
                    row=row.text.get(lang),
                )
            )
        ),
        p(i(t._("Percentages are of each group."), " ", small_groups_rule(min_group, t))),
    ]
    for option, size in table.groups.items():
        label = row.option_label(option, t)
        if size is None:
            blocks.append(p(b(label), " — ", withheld_group(min_group, t)))
            continue
        number = format_number(size, lang)
        blocks.append(
            p(b(label), " — ", t.n_("{number} resident", "{number} residents", size, number=number))
        )
        lines = []
        for answer, count in table.cells[option].items():
            share = format_share(count / size if size and count else 0.0, lang)
            lines.append(
                t._(
                    "{label}: {count} ({share})",
                    label=column.option_label(answer, t),
                    count=format_number(count or 0, lang),
                    share=share,
                )
            )
        blocks.append(ul(*lines))
    return doc(*blocks)


def withheld_group(min_group: int, t: Translator) -> str:
    return t.n_(
        "fewer than {minimum} person: withheld",
        "fewer than {minimum} people: withheld",
        min_group,
        minimum=min_group,
    )
