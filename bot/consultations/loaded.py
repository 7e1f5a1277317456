"""A consultation as the engine holds it: its stored row and its parsed definition, and its state."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.consultations.model import ConsultationDefinition
from storage.tables import Consultation


class State(StrEnum):
    DRAFT = "draft"  # not open yet
    OPEN = "open"
    CLOSED = "closed"


@dataclass(frozen=True)
class Loaded:
    row: Consultation
    definition: ConsultationDefinition

    @property
    def id(self) -> int:
        assert self.row.id is not None
        return self.row.id
