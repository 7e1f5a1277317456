"""What a consultation is: the model of a definition, checked and immutable, and its open-data JSON.

A consultation is a questionnaire (``Réaménagement de la place du marché — 8 questions``) that residents
answer one question at a time in a private chat. Organizers describe it in YAML (the format is documented
in docs/consultation-format.md); bot/consultations/loading.py turns the text into a
:class:`ConsultationDefinition` or refuses it with every problem and its line. Its questions are the types
of bot/consultations/questions/.

The engine uses the models as they are (``defn.question("q3").options``) and asks :meth:`is_visible` which
question comes next. :func:`definition_to_json` is the stable open-data export.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Final, Self
from zoneinfo import ZoneInfo

from pydantic import AliasChoices, Field, ValidationInfo, field_validator, model_validator

from bot.consultations.fields import (
    DEFAULT_TIMEZONE,
    MAX_QUESTIONS,
    Answer,
    ConsultationId,
    Description,
    Frozen,
    Problem,
    Thanks,
    Timezone,
    Title,
    custom,
    enforce,
)
from bot.consultations.questions import Question
from bot.consultations.questions.base import AnyQuestion, text_json
from bot.dates import WhenError, format_when, parse_when
from bot.i18n import Translator

# Two instants far in the past: a date reads the same from both only if it does not depend on "now".
_PAST_A: Final = datetime(1970, 1, 1, tzinfo=UTC)
_PAST_B: Final = datetime(1971, 7, 1, tzinfo=UTC)

# --------------------------------------------------------------------------- the consultation


_ISO_START_RE: Final = re.compile(r"\d{4}-\d")


def _instant(value: Any, tz: str) -> datetime:
    """A date of the file as an aware UTC instant; wall times are read in the consultation's zone.

    Text goes through :func:`bot.dates.parse_when` (``2026-12-01 09:00``, ``1er décembre 2026 9h``…)
    with a "now" far in the past, so a consultation that already opened can still be imported; text
    that means something else tomorrow (``demain 18h``, ``5 décembre``) is refused: a file is read
    again later, and must mean the same then.
    """
    if isinstance(value, datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=ZoneInfo(tz))
        return aware.astimezone(UTC)
    if not isinstance(value, str):
        raise custom("date", "invalid date {value!r}", value=str(value))
    if _ISO_START_RE.match(value.strip()):
        # parse_when hands an invalid ISO date to dateparser, which reads 2026-13-01 as 13 January
        try:
            datetime.fromisoformat(value.strip())
        except ValueError:
            raise custom("date", "invalid date {value!r}", value=value) from None
    try:
        first = parse_when(value, now=_PAST_A, tz=tz, language="fr")
        second = parse_when(value, now=_PAST_B, tz=tz, language="fr")
    except WhenError:
        raise custom("date", "invalid date {value!r}", value=value) from None
    if first != second:
        raise custom("relative_date", "relative date {value!r}", value=value)
    return first


class Schedule(Frozen):
    """The dates of a consultation; a class of its own so the loader can check them apart from the rest."""

    timezone: Timezone = DEFAULT_TIMEZONE
    opens_at: datetime | None = Field(default=None, validation_alias=AliasChoices("opens", "opens_at"))
    closes_at: datetime = Field(validation_alias=AliasChoices("closes", "closes_at"))

    @field_validator("opens_at", "closes_at", mode="before")
    @classmethod
    def _read_local_time(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            return None
        # an invalid time zone was reported on its own line; read the dates in the default one meanwhile
        return _instant(value, info.data.get("timezone", DEFAULT_TIMEZONE))

    def schedule_problems(self) -> list[Problem]:
        if self.opens_at is None or self.closes_at > self.opens_at:
            return []
        opens_at, closes_at, zone = self.opens_at, self.closes_at, self.timezone
        return [
            Problem(
                ("closes",),
                lambda t: t._(
                    "The consultation closes ({closes}) before it opens ({opens}).",
                    closes=local_time(closes_at, zone, t),
                    opens=local_time(opens_at, zone, t),
                ),
                frozenset({"opens", "closes"}),
            )
        ]

    @model_validator(mode="after")
    def _check_schedule(self, info: ValidationInfo) -> Self:
        enforce(self.schedule_problems(), info)
        return self


def local_time(instant: datetime, zone: str, t: Translator) -> str:
    """A date of the file as its reader says it: "dimanche 20 décembre 2026 à 18 h 00"."""
    return format_when(instant, tz=zone, language=t.language, year=True)


class ConsultationDefinition(Schedule):
    """A consultation as its organizers defined it: checked, immutable, dates in UTC.

    ``opens_at`` None means it opens when an organizer launches it. ``anonymous`` (default true): answers
    are never linked to a resident. ``results_public`` (default false): after closing, results are shown
    to everyone, not only organizers.
    """

    id: ConsultationId
    title: Title
    description: Description
    thanks: Thanks
    anonymous: bool = True
    results_public: bool = False
    questions: Annotated[tuple[AnyQuestion, ...], Field(min_length=1, max_length=MAX_QUESTIONS)]

    @model_validator(mode="after")
    def _check_questions(self, info: ValidationInfo) -> Self:
        enforce(cross_problems(self.questions, [q.id for q in self.questions]), info)
        return self

    def question(self, question_id: str) -> Question:
        """The question with this id (KeyError otherwise)."""
        return self.questions[self.index(question_id)]

    def index(self, question_id: str) -> int:
        """Position of the question (0-based) in the order residents see them (KeyError otherwise)."""
        for position, question in enumerate(self.questions):
            if question.id == question_id:
                return position
        raise KeyError(question_id)

    def is_visible(self, question: Question | str, answers: Mapping[str, Answer]) -> bool:
        """Whether ``question`` is asked, given the ``answers`` so far (question id → answer).

        A question without ``show_if`` always is. Otherwise the question it depends on must be visible
        itself and answered so that the condition holds: an answer left over from a question that is
        now hidden (a resident went back and changed an earlier answer) does not count.
        """
        current = self.question(question) if isinstance(question, str) else question
        while current.show_if is not None:
            target = self.question(current.show_if.question)
            if not current.show_if.is_met(target, answers.get(target.id)):
                return False
            current = target
        return True


def cross_problems(questions: Sequence[Question | None], ids: Sequence[str | None]) -> list[Problem]:
    """Checks between questions: unique ids, and conditions on an earlier question with fitting values.

    ``questions`` may hold None for a question too broken to check, and ``ids`` the id each question
    declares (None when unreadable): a condition on a broken question is not reported as unknown.
    """
    problems: list[Problem] = []
    first_seen: dict[str, int] = {}
    for index, question_id in enumerate(ids):
        if question_id is None:
            continue
        if question_id in first_seen:
            number = first_seen[question_id] + 1
            problems.append(
                Problem(
                    ("questions", index, "id"),
                    lambda t, question_id=question_id, number=number: t._(
                        "The question id “{id}” is already used by question {number}.",
                        id=question_id,
                        number=number,
                    ),
                )
            )
        else:
            first_seen[question_id] = index
    for index, question in enumerate(questions):
        if question is None or question.show_if is None:
            continue
        condition = question.show_if
        target_index = first_seen.get(condition.question)
        at = ("questions", index, "show_if")
        if target_index is None:
            problems.append(
                Problem(
                    (*at, "question"),
                    lambda t, ref=condition.question: t._(
                        "This condition refers to an unknown question “{id}”.", id=ref
                    ),
                )
            )
        elif target_index == index:
            problems.append(Problem((*at, "question"), lambda t: t._("A question cannot depend on itself.")))
        elif target_index > index:
            problems.append(
                Problem(
                    (*at, "question"),
                    lambda t, ref=condition.question: t._(
                        "This condition refers to question “{id}”, which comes later: a question can only "
                        "depend on an earlier one.",
                        id=ref,
                    ),
                )
            )
        elif (target := questions[target_index]) is not None:
            problems.extend(p.under(*at) for p in target.condition_problems(condition))
    return problems


# --------------------------------------------------------------------------- open data


JSON_FORMAT: Final = "civicbot.consultation/1"


def _iso(instant: datetime | None) -> str | None:
    return None if instant is None else instant.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def definition_to_json(defn: ConsultationDefinition) -> dict[str, Any]:
    """The definition as JSON-ready data for the open-data export; the shape is stable (documented in
    docs/consultation-format.md).

    ``format`` names the shape's version. Texts are ``{"fr": …, "en": … or null}``; dates are UTC,
    ISO 8601 with a ``Z`` (``opens_at`` null: opened at launch); defaults are spelled out
    (``max_choices``, ``max_ranked``), so a reader needs no knowledge of the YAML format. Keys of a
    question depend on its type only, and are always present for that type (null when unset).
    """
    return {
        "format": JSON_FORMAT,
        "id": defn.id,
        "title": text_json(defn.title),
        "description": text_json(defn.description),
        "thanks": text_json(defn.thanks),
        "timezone": defn.timezone,
        "opens_at": _iso(defn.opens_at),
        "closes_at": _iso(defn.closes_at),
        "anonymous": defn.anonymous,
        "results_public": defn.results_public,
        "questions": [question.to_json() for question in defn.questions],
    }
