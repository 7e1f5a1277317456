"""The public API of consultation definitions, in one import (a facade over the modules by concern).

A definition is split by concern: the building blocks (bot/consultations/fields.py), display conditions
(conditions.py), one module per question type (questions/), the model of a consultation and its open-data
JSON (model.py), reading the YAML with line numbers (loading.py), the messages of a refused file
(messages.py) and the checking of answers (answers.py). The format is documented in
docs/consultation-format.md. Code of the bot imports from those modules; this one is for tools and tests.
"""

from __future__ import annotations

from bot.consultations.answers import AnswerError, validate_answer
from bot.consultations.conditions import Condition
from bot.consultations.fields import Answer, LocalizedText, Option, OptionId, YesNo, slugify
from bot.consultations.loading import load_definition
from bot.consultations.messages import DefinitionError, DefinitionErrors
from bot.consultations.model import ConsultationDefinition, definition_to_json
from bot.consultations.questions import (
    QUESTION_TYPES,
    FreeTextQuestion,
    MultipleChoiceQuestion,
    NumberQuestion,
    Question,
    RankingQuestion,
    ScaleQuestion,
    SingleChoiceQuestion,
    YesNoQuestion,
)

__all__ = [
    "QUESTION_TYPES",
    "Answer",
    "AnswerError",
    "Condition",
    "ConsultationDefinition",
    "DefinitionError",
    "DefinitionErrors",
    "FreeTextQuestion",
    "LocalizedText",
    "MultipleChoiceQuestion",
    "NumberQuestion",
    "Option",
    "OptionId",
    "Question",
    "RankingQuestion",
    "ScaleQuestion",
    "SingleChoiceQuestion",
    "YesNo",
    "YesNoQuestion",
    "definition_to_json",
    "load_definition",
    "slugify",
    "validate_answer",
]
