"""A failed statement is logged without its values: they may be a resident's anonymous answer."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy.exc import DBAPIError

from storage.database import Database
from storage.tables import AnswerRow

ANSWER = "Mon voisin du 12 gare sa camionnette sur le trottoir"


async def test_a_database_error_logged_with_its_traceback_does_not_show_the_answer_text(
    db: Database, caplog: pytest.LogCaptureFixture
):
    with pytest.raises(DBAPIError) as failure:  # no such submission: the foreign key refuses the row
        async with db.write() as session:
            row = AnswerRow(submission_id="nosuch", question="q", position=0, consultation_id=1, text=ANSWER)
            session.add(row)
    logging.getLogger("bot.engine").error("error while handling a TypedAnswer", exc_info=failure.value)
    assert "answer" in caplog.text and "INSERT" in caplog.text, "the log still says which statement failed"
    assert "camionnette" not in caplog.text
    assert "camionnette" not in str(failure.value)
