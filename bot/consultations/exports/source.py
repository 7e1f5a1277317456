"""What every export file of a consultation is made from: the consultation, its language and the rules."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncConnection

from bot.consultations.model import ConsultationDefinition
from bot.consultations.results import shapes_of
from bot.i18n import Translator, translator
from config.settings import DEFAULT_DATA_LICENCE
from storage.consultation_results import MIN_GROUP, QuestionShape, Results, results_in
from storage.database import Database
from storage.tables import Consultation


@dataclass(frozen=True, slots=True)
class ExportSource:
    """A consultation to export: `t` speaks its language (labels, notes, number formats), `min_group` is
    the small-group threshold k of the settings and `licence` the one its data is published under."""

    db: Database
    consultation: Consultation
    definition: ConsultationDefinition
    t: Translator = field(default_factory=lambda: translator("fr"))
    min_group: int = MIN_GROUP
    licence: str = DEFAULT_DATA_LICENCE

    @property
    def id(self) -> int:
        assert self.consultation.id is not None
        return self.consultation.id

    @property
    def shapes(self) -> tuple[QuestionShape, ...]:
        return shapes_of(self.definition)

    @property
    def title(self) -> str:
        return self.definition.title.get(self.t.language)

    async def results(self, conn: AsyncConnection) -> Results:
        """Every figure, small groups withheld, read on `conn` (one snapshot with the rows)."""
        return await results_in(conn, self.id, self.shapes, min_group=self.min_group)
