"""The question types of a consultation, one module each, and their registry.

Each module of this package defines one subclass of :class:`~bot.consultations.questions.base.Question`;
defining it registers the type in :data:`QUESTION_TYPES`. Importing this package imports every module in
it, so a new type is one new file here (see docs/consultation-format.md for the YAML of each type).
"""

from __future__ import annotations

import importlib
import pkgutil

from bot.consultations.questions.base import QUESTION_TYPES, ChoiceQuestion, NumericQuestion, Question
from bot.consultations.questions.free_text import FreeTextQuestion
from bot.consultations.questions.multiple_choice import MultipleChoiceQuestion
from bot.consultations.questions.number import NumberQuestion
from bot.consultations.questions.ranking import RankingQuestion
from bot.consultations.questions.scale import ScaleQuestion
from bot.consultations.questions.single_choice import SingleChoiceQuestion
from bot.consultations.questions.yes_no import YesNoQuestion

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = [
    "QUESTION_TYPES",
    "ChoiceQuestion",
    "FreeTextQuestion",
    "MultipleChoiceQuestion",
    "NumberQuestion",
    "NumericQuestion",
    "Question",
    "RankingQuestion",
    "ScaleQuestion",
    "SingleChoiceQuestion",
    "YesNoQuestion",
]
