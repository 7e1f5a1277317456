"""``free_text``: a text of at most ``max_length`` characters; its results say how many, never what."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar, Literal

from pydantic import Field, StrictInt

from bot.consultations.answers import AnswerError
from bot.consultations.fields import DEFAULT_FREE_TEXT_LENGTH, MAX_FREE_TEXT_LENGTH, Answer
from bot.consultations.figures import free_text_line
from bot.consultations.questions.base import Question
from bot.formatting import Block, b, p
from bot.i18n import Translator
from storage.consultation_results import Kind, QuestionResult
from storage.submissions import AnswerPiece


class FreeTextQuestion(Question):
    """A text of at most ``max_length`` characters (1..2000, default 500)."""

    type: Literal["free_text"] = "free_text"
    max_length: StrictInt = Field(default=DEFAULT_FREE_TEXT_LENGTH, ge=1, le=MAX_FREE_TEXT_LENGTH)
    listed: ClassVar[int] = 60
    storage_kind: ClassVar[Kind] = Kind.TEXT
    typed: ClassVar[bool] = True

    def to_json(self) -> dict[str, Any]:
        return super().to_json() | {"max_length": self.max_length}

    def check_answer(self, raw: Any, t: Translator) -> Answer:
        if not isinstance(raw, str) or not raw.strip():
            raise AnswerError(t._("Your answer is empty."))
        if len(raw) > self.max_length:
            raise AnswerError(
                t._(
                    "Your answer is {length} characters long; the limit is {limit}.",
                    length=len(raw),
                    limit=self.max_length,
                )
            )
        return raw

    def pieces(self, answer: Answer) -> list[AnswerPiece]:
        return [AnswerPiece(self.id, text=str(answer))]

    def answer_from_rows(self, rows: Sequence[Any]) -> Answer:
        text: str = rows[0].text
        return text

    def describe(self, answer: Answer, t: Translator) -> str:
        text = str(answer)
        return (
            f"« {text[:120]}{'…' if len(text) > 120 else ''} »" if t.language == "fr" else f"“{text[:120]}”"
        )

    def hints(self, t: Translator, pending: list[str]) -> list[str]:
        return [t._("Type your answer ({limit} characters at most).", limit=self.max_length)]

    @property
    def input_length(self) -> int:
        return self.max_length

    def figure_lines(self, result: QuestionResult, t: Translator) -> list[str]:
        return [free_text_line(result, t)]

    def result_blocks(self, number: int, result: QuestionResult, t: Translator) -> list[Block]:
        return [p(b(f"{number}. {self.text.get(t.language)}")), p(free_text_line(result, t))]

    @classmethod
    def results_json(cls, result: QuestionResult) -> dict[str, Any]:
        return super().results_json(result) | {"texts_exported": result.texts_exported}

    @classmethod
    def results_schema(cls) -> dict[str, Any]:
        return {"texts_exported": {"type": "boolean"}}

    @classmethod
    def withheld_note(cls, column: str, count: int, min_group: int, t: Translator) -> str:
        return t._(
            "Column “{column}” is empty: free-text answers are published once at least {minimum} "
            "residents have answered ({number} so far).",
            column=column,
            minimum=min_group,
            number=count,
        )
