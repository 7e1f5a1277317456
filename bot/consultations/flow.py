"""Answering a consultation in a private chat: one question per message, with progress, going back,
skipping optional questions, a summary and a confirmation before submitting.

Where the resident stands is the draft row: saved after every answer, so they can stop and continue days
later or after a restart. Of an anonymous consultation the store seals it (storage/drafts.py); submitting
erases it and destroys its key. An anonymous submission waits sealed before a shuffled batch writes it in
clear (storage/consultations.py): its resident finds it, and changes it, only through their receipt.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from bot.consultations.answers import AnswerError, validate_answer
from bot.consultations.progress import progress_line
from bot.consultations.questions import Question
from bot.consultations.questions.base import Accept
from bot.consultations.service import Loaded
from bot.context import Context
from bot.formatting import Piece, Rich, b, doc, i, p, ul
from bot.inbound import ButtonPress
from bot.replies import AskInput, Button, Edit, Keyboard, Send
from storage import consultations as store
from storage.erasure import participation_pseudonym
from storage.state import clear_conversation, save_conversation
from storage.tables import ConsultationDraft

FLOW = "consultation"


# -- answers as JSON in the draft, and back ---------------------------------------------------------------


def _answers(draft: ConsultationDraft) -> dict[str, Any]:
    raw = json.loads(draft.answers)
    return {qid: tuple(value) if isinstance(value, list) else value for qid, value in raw.items()}


def _store_answers(draft: ConsultationDraft, answers: dict[str, Any]) -> None:
    draft.answers = json.dumps({k: list(v) if isinstance(v, tuple) else v for k, v in answers.items()})


def _pending(draft: ConsultationDraft) -> list[str]:
    return list(json.loads(draft.ranking or "[]"))


def visible_questions(loaded: Loaded, answers: dict[str, Any]) -> list[Question]:
    """The questions this resident is shown, given their answers so far (display conditions)."""
    definition = loaded.definition
    return [q for q in definition.questions if definition.is_visible(q, answers)]


def pieces_of(question: Question, answer: Any) -> list[store.AnswerPiece]:
    """An answer as rows shaped for SQL aggregates (see storage.tables.AnswerRow)."""
    return question.pieces(answer)


def answers_from_rows(loaded: Loaded, rows: list[Any]) -> dict[str, Any]:
    """Rebuild answers from stored rows, to change a submission."""
    by_question: dict[str, list[Any]] = {}
    for row in rows:
        by_question.setdefault(row.question, []).append(row)
    answers: dict[str, Any] = {}
    for question in loaded.definition.questions:
        found = sorted(by_question.get(question.id, []), key=lambda r: r.position)
        if found:
            answers[question.id] = question.answer_from_rows(found)
    return answers


# -- showing ------------------------------------------------------------------------------------------------


def describe(question: Question, answer: Any, ctx: Context) -> str:
    return question.describe(answer, ctx.t)


def _hint(question: Question, ctx: Context, pending: list[str]) -> list[Any]:
    hints: list[Any] = list(question.hints(ctx.t, pending))
    if question.optional:
        hints.append(ctx.t._("This question is optional."))
    return hints


def _question_body(
    loaded: Loaded, question: Question, answers: dict[str, Any], ctx: Context, pending: list[str]
) -> Rich:
    t = ctx.t
    blocks: list[Any] = [
        p(i(progress_line(loaded.definition, question, answers, t))),
        p(b(question.text.get(t.language))),
    ]
    hints = _hint(question, ctx, pending)
    if hints:
        blocks.append(p("\n".join(hints)))
    if question.id in answers and question.shows_current_answer:
        blocks.append(
            p(i(t._("Your current answer: {answer}", answer=describe(question, answers[question.id], ctx))))
        )
    return doc(*blocks)


def _keyboard(
    loaded: Loaded, question: Question, answers: dict[str, Any], ctx: Context, pending: list[str]
) -> Keyboard:
    t = ctx.t
    cid = loaded.id
    qi = loaded.definition.questions.index(question)
    rows: list[tuple[Button, ...]] = question.buttons(ctx, cid, qi, pending)
    navigation = []
    if _previous(loaded, question, answers) is not None:
        navigation.append(ctx.button(t._("← Previous"), "c", "p", cid, qi))
    if question.optional:
        navigation.append(ctx.button(t._("Skip"), "c", "s", cid, qi))
    if navigation:
        rows.append(tuple(navigation))
    return tuple(rows)


def _show(ctx: Context, body: Rich, keyboard: Keyboard, *, in_place: bool) -> None:
    event = ctx.event
    if in_place and isinstance(event, ButtonPress) and event.message is not None:
        ctx.replies.append(Edit(target=event.message, body=body, buttons=keyboard))
    else:
        ctx.replies.append(Send(to=ctx.private_chat, body=body, buttons=keyboard))


def ask(ctx: Context, loaded: Loaded, draft: ConsultationDraft, *, in_place: bool = False) -> None:
    """Show the current question (or the summary when every question is answered)."""
    answers = _answers(draft)
    question = loaded.definition.question(draft.current) if draft.current else None
    if question is None:
        summary(ctx, loaded, draft)
        return
    pending = _pending(draft)
    body = _question_body(loaded, question, answers, ctx, pending)
    keyboard = _keyboard(loaded, question, answers, ctx, pending)
    if not question.typed:
        _show(ctx, body, keyboard, in_place=in_place)
        return
    qi = loaded.definition.questions.index(question)
    ctx.replies.append(
        AskInput(
            to=ctx.private_chat,
            prompt=body,
            field_label=question.text.get(ctx.t.language)[:45],
            action=ctx.engine.signer.sign("c", "i", loaded.id, qi),
            kind=question.input_kind,
            max_length=question.input_length,
            buttons=keyboard,
        )
    )


def summary(ctx: Context, loaded: Loaded, draft: ConsultationDraft) -> None:
    t = ctx.t
    answers = _answers(draft)
    items: list[list[Piece]] = []
    for question in visible_questions(loaded, answers):
        shown = describe(question, answers[question.id], ctx) if question.id in answers else t._("(skipped)")
        items.append([b(question.text.get(t.language)), " → ", shown])
    body = doc(
        p(b(t._("Summary of your answers"))),
        ul(*items),
        p(t._("Check your answers, then send them. You can go back to change any of them.")),
    )
    keyboard = (
        (ctx.button(t._("Send my answers"), "c", "send", loaded.id),),
        (ctx.button(t._("← Previous"), "c", "p", loaded.id, len(loaded.definition.questions)),
         ctx.button(t._("Back to the start"), "c", "first", loaded.id)),
    )  # fmt: skip
    _show(ctx, body, keyboard, in_place=False)


# -- moving -------------------------------------------------------------------------------------------------


def _next(loaded: Loaded, after: Question | None, answers: dict[str, Any]) -> Question | None:
    questions = loaded.definition.questions
    start = 0 if after is None else questions.index(after) + 1
    for question in questions[start:]:
        if loaded.definition.is_visible(question, answers):
            return question
    return None


def _previous(loaded: Loaded, before: Question | None, answers: dict[str, Any]) -> Question | None:
    questions = loaded.definition.questions
    end = len(questions) if before is None else questions.index(before)
    for question in reversed(questions[:end]):
        if loaded.definition.is_visible(question, answers):
            return question
    return None


async def _save(ctx: Context, draft: ConsultationDraft) -> None:
    draft.updated_at = ctx.engine.clock.now()
    await store.save_draft(ctx.engine.db, draft)


async def _advance(ctx: Context, loaded: Loaded, draft: ConsultationDraft, question: Question) -> None:
    answers = _answers(draft)
    following = _next(loaded, question, answers)
    draft.current = following.id if following else None
    draft.ranking = "[]"
    await _save(ctx, draft)
    ask(ctx, loaded, draft)


async def _accept(
    ctx: Context, loaded: Loaded, draft: ConsultationDraft, question: Question, raw: Any
) -> None:
    """Validate an answer; a refused one is explained and the question asked again."""
    try:
        value = validate_answer(question, raw, ctx.t)
    except AnswerError as error:
        ctx.refuse(str(error))
        if not isinstance(ctx.event, ButtonPress):
            ask(ctx, loaded, draft)
        return
    answers = _answers(draft)
    answers[question.id] = value
    _store_answers(draft, answers)
    if isinstance(ctx.event, ButtonPress):
        ctx.notice(ctx.t._("Answer saved."))
    await _advance(ctx, loaded, draft, question)


# -- entry points -------------------------------------------------------------------------------------------


async def start(ctx: Context, loaded: Loaded) -> None:
    """/consult ID, or the "Take part" deep link: begin, resume, or change a named submission."""
    engine = ctx.engine
    t = ctx.t
    sender = ctx.event.sender
    waiting = engine.consultations.window_message(loaded.row, t)
    if waiting:
        ctx.say(waiting)
        return
    draft = await store.load_draft(engine.db, loaded.id, sender.platform, sender.user_id)
    erased_as = participation_pseudonym(engine.erasure_key, loaded.id, ctx.identity)
    if draft is None and await store.has_participated(
        engine.db, loaded.id, sender.platform, sender.user_id, erased_as=erased_as
    ):
        if loaded.row.anonymous:
            ctx.say(
                t._(
                    "You have already answered this consultation. To change your answers, tap “Change my "
                    "answers” under the confirmation you received: your answers are anonymous, so only that "
                    "button can find them."
                )
            )
            return
        submission = await store.named_submission(engine.db, loaded.id, sender.platform, sender.user_id)
        if submission is None:
            ctx.say(t._("You have already answered this consultation."))
            return
        draft = await _draft_for_change(
            ctx, loaded, submission.id, await store.answers_of(engine.db, submission.id)
        )
        ctx.say(t._("Here are your answers: you can change them until the consultation closes."))
        summary(ctx, loaded, draft)
        return
    await save_conversation(
        engine.db, sender.platform, sender.user_id, FLOW, {"cid": loaded.id}, engine.clock.now()
    )
    if draft is not None:
        ctx.say(t._("Let's continue where you stopped."))
        ask(ctx, loaded, draft)
        return
    first = _next(loaded, None, {})
    draft = ConsultationDraft(
        consultation_id=loaded.id,
        platform=sender.platform,
        user_id=sender.user_id,
        current=first.id if first else None,
        updated_at=engine.clock.now(),
    )
    await store.save_draft(engine.db, draft)
    definition = loaded.definition
    intro = [p(b(definition.title.get(t.language)))]
    if definition.description:
        intro.append(p(definition.description.get(t.language)))
    intro.append(
        p(
            i(
                t._("Your answers are anonymous.")
                if loaded.row.anonymous
                else t._("Your answers are linked to your name.")
            ),
            " ",
            t._("You can stop at any time and continue later."),
        )
    )
    ctx.say(doc(*intro))
    ask(ctx, loaded, draft)


async def _draft_for_change(
    ctx: Context, loaded: Loaded, editing: str, rows: Sequence[Any]
) -> ConsultationDraft:
    """A draft holding the stored answers (`rows`) of the submission named by `editing`: a named
    submission's id, or an anonymous one's receipt hash (in a sealed draft)."""
    engine = ctx.engine
    sender = ctx.event.sender
    answers = answers_from_rows(loaded, list(rows))
    draft = ConsultationDraft(
        consultation_id=loaded.id,
        platform=sender.platform,
        user_id=sender.user_id,
        editing=editing,
        updated_at=engine.clock.now(),
    )
    _store_answers(draft, answers)
    await store.save_draft(engine.db, draft)
    await save_conversation(
        engine.db, sender.platform, sender.user_id, FLOW, {"cid": loaded.id}, engine.clock.now()
    )
    return draft


async def _load(ctx: Context, consultation_id: int) -> tuple[Loaded, ConsultationDraft] | None:
    """The consultation and this resident's draft, or a clear answer why there is none."""
    engine = ctx.engine
    t = ctx.t
    loaded = await engine.consultations.get(consultation_id)
    if loaded is None:
        ctx.refuse(t._("This consultation no longer exists."))
        return None
    waiting = engine.consultations.window_message(loaded.row, t)
    if waiting:
        ctx.refuse(waiting)
        return None
    sender = ctx.event.sender
    draft = await store.load_draft(engine.db, consultation_id, sender.platform, sender.user_id)
    if draft is None:
        ctx.refuse(
            t._("There is no answer in progress here. Send /consult {slug} to start.", slug=loaded.row.slug)
        )
        return None
    return loaded, draft


async def on_button(ctx: Context, fields: list[str]) -> None:
    """Buttons `c.<verb>.<consultation>[.<question>[.<value>]]`."""
    t = ctx.t
    if len(fields) < 2 or not all(f.isdigit() for f in fields[1:]):
        ctx.notice(t._("This button is not valid (any more)."), alert=True)
        return
    verb, numbers = fields[0], [int(f) for f in fields[1:]]
    found = await _load(ctx, numbers[0])
    if found is None:
        return
    loaded, draft = found
    questions = loaded.definition.questions
    if verb == "send":
        await _submit(ctx, loaded, draft)
        return
    if verb == "first":
        first = _next(loaded, None, _answers(draft))
        draft.current, draft.ranking = (first.id if first else None), "[]"
        await _save(ctx, draft)
        ask(ctx, loaded, draft)
        return
    if len(numbers) < 2 or numbers[1] > len(questions):
        ctx.notice(t._("This button is not valid (any more)."), alert=True)
        return
    position = numbers[1]
    question = questions[position] if position < len(questions) else None
    if verb == "p":
        previous = _previous(loaded, question, _answers(draft))
        if previous is not None:
            draft.current = previous.id
            draft.ranking = json.dumps(previous.pending_when_back(_answers(draft).get(previous.id)))
            await _save(ctx, draft)
        ask(ctx, loaded, draft)
        return
    if question is None or draft.current != question.id:
        ctx.notice(t._("This question is behind you; here is where you are."))
        ask(ctx, loaded, draft)
        return
    value = numbers[2] if len(numbers) > 2 else None
    await _on_question_button(ctx, loaded, draft, question, verb, value)


async def _on_question_button(
    ctx: Context, loaded: Loaded, draft: ConsultationDraft, question: Question, verb: str, value: int | None
) -> None:
    t = ctx.t
    outcome = question.press(verb, value, _pending(draft), t) if verb != "s" else None
    if isinstance(outcome, Accept):
        if outcome.pending is not None:
            draft.ranking = json.dumps(outcome.pending)
        await _accept(ctx, loaded, draft, question, outcome.raw)
    elif outcome is not None:
        draft.ranking = json.dumps(outcome.pending)
        await _save(ctx, draft)
        ctx.notice(outcome.notice)
        ask(ctx, loaded, draft, in_place=True)
    elif verb == "s" and question.optional:
        answers = _answers(draft)
        answers.pop(question.id, None)
        _store_answers(draft, answers)
        ctx.notice(t._("Question skipped."))
        await _advance(ctx, loaded, draft, question)
    else:
        ctx.notice(t._("This button is not valid (any more)."), alert=True)


async def on_text(ctx: Context, state: dict[str, Any], text: str) -> None:
    """Typed text while answering: the answer to a free-text or number question."""
    found = await _load(ctx, int(state.get("cid", 0)))
    if found is None:
        await clear_conversation(ctx.engine.db, ctx.event.sender.platform, ctx.event.sender.user_id)
        return
    loaded, draft = found
    question = loaded.definition.question(draft.current) if draft.current else None
    if question is None or not question.typed:
        ctx.say(ctx.t._("Please answer with the buttons above (or /cancel to stop for now)."))
        return
    raw: Any = text.strip()
    await _accept(ctx, loaded, draft, question, raw)


async def _submit(ctx: Context, loaded: Loaded, draft: ConsultationDraft) -> None:
    engine = ctx.engine
    t = ctx.t
    answers = _answers(draft)
    visible = visible_questions(loaded, answers)
    missing = next((q for q in visible if not q.optional and q.id not in answers), None)
    if missing is not None:
        draft.current = missing.id
        await _save(ctx, draft)
        ctx.notice(t._("One question still needs an answer."), alert=True)
        ask(ctx, loaded, draft)
        return
    pieces = [piece for q in visible if q.id in answers for piece in pieces_of(q, answers[q.id])]
    sender = ctx.event.sender
    try:
        _, receipt = await store.submit(
            engine.db,
            loaded.row,
            platform=sender.platform,
            user_id=sender.user_id,
            pieces=pieces,
            editing=draft.editing,
            erased_as=participation_pseudonym(engine.erasure_key, loaded.id, ctx.identity),
            min_group=engine.settings.min_group,
        )
    except store.AlreadySubmitted:
        await store.delete_draft(engine.db, loaded.id, sender.platform, sender.user_id)
        ctx.refuse(t._("You have already answered this consultation."))
        return
    except store.ConsultationClosed:
        ctx.refuse(t._("This consultation is closed; thank you for your interest."))
        return
    except store.AnswersGone:
        await store.delete_draft(engine.db, loaded.id, sender.platform, sender.user_id)
        ctx.refuse(t._("These answers can no longer be found."))
        return
    await clear_conversation(engine.db, sender.platform, sender.user_id)
    ctx.notice(t._("Answers sent."))
    thanks = (
        loaded.definition.thanks.get(t.language)
        if loaded.definition.thanks  # pragma: no mutate (`thanks` is a required field: never empty)
        else t._("Thank you for taking part!")  # pragma: no mutate (so this is never reached)
    )
    blocks = [p(b(t._("Your answers are recorded."))), p(thanks)]
    keyboard: Keyboard = ()
    if receipt is not None:
        blocks.append(
            p(
                i(
                    t._(
                        "Your answers are anonymous: nothing in our database links them to you. Keep this "
                        "message: its button is the only way to change them until the consultation closes."
                    )
                )
            )
        )
        keyboard = ((ctx.button(t._("Change my answers"), "ce", receipt),),)
    elif draft.editing is not None and loaded.row.anonymous:
        blocks.append(p(i(t._("The button under your first confirmation still lets you change them."))))
    elif draft.editing is None:
        blocks.append(
            p(
                i(
                    t._(
                        "You can change your answers until it closes with /consult {slug}.",
                        slug=loaded.row.slug,
                    )
                )
            )
        )
    ctx.send(ctx.private_chat, doc(*blocks), keyboard)


async def on_receipt(ctx: Context, fields: list[str]) -> None:
    """The "Change my answers" button of an anonymous submission: its receipt finds the answers."""
    t = ctx.t
    engine = ctx.engine
    found = await store.submission_by_receipt(engine.db, fields[0], ctx.identity) if fields else None
    if found is None:
        ctx.notice(t._("These answers can no longer be found."), alert=True)
        return
    loaded = await engine.consultations.get(found.consultation_id)
    if loaded is None:
        ctx.notice(t._("This consultation no longer exists."), alert=True)
        return
    waiting = engine.consultations.window_message(loaded.row, t)
    if waiting:
        ctx.notice(waiting, alert=True)
        return
    draft = await _draft_for_change(ctx, loaded, found.receipt, found.pieces)
    ctx.notice(t._("Your answers are open for changes."))
    summary(ctx, loaded, draft)
