"""Every kind of reply the engine defines, as Telegram messages; and delivery when Telegram says no
(flood control, a blocked resident), through the runtime as the engine's replies travel."""

from __future__ import annotations

import asyncio
import logging

from bot.formatting import b, doc, p
from bot.inbound import ChatRef, MessageRef, TypedAnswer
from bot.replies import AskInput, Attachment, Button, Edit, Invite, Send
from storage.residents import find_resident
from tests.drivers.telegram import GROUPS, running_bot

SQUARE = GROUPS["square"][0]
PNG = (
    b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR" + (64).to_bytes(4, "big") + (48).to_bytes(4, "big") + b"rest"
)


def square() -> ChatRef:
    return ChatRef("telegram", str(SQUARE))


def private(bot, person: str) -> ChatRef:
    return ChatRef.private("telegram", str(bot.user(person)))


async def test_a_text_over_4096_characters_is_split_between_paragraphs_with_the_buttons_last(tmp_path):
    paragraphs = [p(b(f"Point {n}"), " — ", "détail & suite " * 30) for n in range(20)]  # ~9,700 characters
    async with running_bot(tmp_path) as bot:
        await bot.app.runtime.deliver(
            [Send(to=square(), body=doc(*paragraphs), buttons=((Button("OK", "x"),),))]
        )
        sent = bot.fake.messages(SQUARE)[-3:]
        assert [len(m.plain_text) <= 4096 for m in sent] == [True, True, True]
        assert all(m.plain_text.startswith("Point ") for m in sent), "each message starts at a paragraph"
        assert sum(m.plain_text.count("Point ") for m in sent) == 20
        assert [m.buttons != [] for m in sent] == [False, False, True]


async def test_an_image_is_a_photo_and_a_file_a_document_with_the_text_alternative_in_the_caption(tmp_path):
    async with running_bot(tmp_path) as bot:
        chart = Attachment("chart.png", PNG, "image/png", "Oui 60 %, Non 40 %")
        report = Attachment("report.csv", b"option,votes\nOui,3\n", "text/csv", "The tally as a table")
        await bot.app.runtime.deliver(
            [
                Send(to=square(), body=doc("Résultats"), attachment=chart),
                Send(to=square(), body=doc("Export"), attachment=report),
            ]
        )
        photo, document = bot.fake.messages(SQUARE)[-2:]
        assert photo.kind == "photo" and photo.data == PNG
        assert photo.plain_text == "Résultats\n\nOui 60 %, Non 40 %"
        assert document.kind == "document" and document.filename == "report.csv"
        assert "The tally as a table" in document.plain_text


async def test_a_caption_over_1024_characters_continues_in_a_following_message(tmp_path):
    long_body = doc(*(p(f"Ligne {n} " + "x" * 90) for n in range(15)))  # ~1,500 characters
    async with running_bot(tmp_path) as bot:
        chart = Attachment("chart.png", PNG, "image/png", "")
        await bot.app.runtime.deliver([Send(to=square(), body=long_body, attachment=chart)])
        photo, rest = bot.fake.messages(SQUARE)[-2:]
        assert photo.kind == "photo" and len(photo.plain_text) <= 1024
        assert rest.kind == "text" and "Ligne 14" in rest.plain_text


async def test_an_edit_that_changes_nothing_is_a_success(tmp_path):
    async with running_bot(tmp_path) as bot:
        await bot.send("alice", "/poll Question ? | Oui | Non")
        card = bot.fake.last_message(SQUARE)
        assert card is not None
        ref = MessageRef(square(), str(card.message_id))
        edit = Edit(target=ref, body=doc(p(b("Nouveau texte"))), buttons=())
        await bot.platform.outlet.deliver(edit, event=None)
        await bot.platform.outlet.deliver(edit, event=None)  # Telegram answers "message is not modified"
        statuses = [c.status for c in bot.fake.calls_to("editMessageText")]
        assert statuses == [200, 400]
        edited = bot.fake.last_message(SQUARE)
        assert edited is not None and edited.plain_text == "Nouveau texte"


async def test_an_invitation_is_a_deep_link_button_and_never_a_message_to_the_resident(tmp_path):
    async with running_bot(tmp_path) as bot:
        bot.user("erin")  # a resident who never wrote to the bot
        invite = Invite(
            to=square(), body=doc("Ouvrez la conversation privée"), label="Ouvrir", payload="poll"
        )
        await bot.app.runtime.deliver([invite])
        message = bot.fake.last_message(SQUARE)
        assert message is not None
        [button] = message.buttons
        assert button == {"text": "Ouvrir", "url": "https://t.me/civicbot_test_bot?start=poll"}
        assert bot.fake.messages(bot.user("erin")) == []


async def test_a_request_for_input_in_a_group_is_a_force_reply_and_the_reply_is_the_answer(
    tmp_path, monkeypatch
):
    async with running_bot(tmp_path) as bot:
        seen: list[object] = []
        dispatch = bot.app.runtime.dispatch

        async def spy(event):
            seen.append(event)
            return await dispatch(event)

        monkeypatch.setattr(bot.app.runtime, "dispatch", spy)
        ask = AskInput(to=square(), prompt=doc("Votre commune ?"), field_label="Commune", action="g.a.sig")
        await bot.app.runtime.deliver([ask])
        prompt = bot.fake.last_message(SQUARE)
        assert prompt is not None
        assert prompt.reply_keyboard == {
            "force_reply": True,
            "selective": True,
            "input_field_placeholder": "Commune",
        }
        bot.fake.reply_to(bot.user("bob"), SQUARE, prompt.message_id, "Saint-Pierre")
        await bot.settle()
        [answer] = [e for e in seen if isinstance(e, TypedAnswer)]
        assert (answer.action, answer.text, answer.sender.display_name) == ("g.a.sig", "Saint-Pierre", "Bob")


async def test_a_request_for_input_in_private_is_a_plain_question(tmp_path):
    async with running_bot(tmp_path) as bot:
        await bot.send("alice", "/poll", chat="@alice")
        question = bot.fake.last_message(bot.user("alice"))
        assert question is not None and question.reply_keyboard is None
        assert "Quelle est votre question ?" in question.plain_text


async def test_a_resident_who_blocked_the_bot_is_marked_unreachable_and_not_retried(tmp_path, caplog):
    async with running_bot(tmp_path) as bot:
        await bot.send("bob", "/start", chat="@bob")
        bot.fake.block(bot.user("bob"))
        await bot.app.runtime.deliver([Send(to=private(bot, "bob"), body=doc("Le sondage est clos."))])

        attempts = [
            c for c in bot.fake.calls_to("sendMessage") if c.params["chat_id"] == str(bot.user("bob"))
        ]
        assert [c.status for c in attempts] == [200, 403], "one refused attempt, no retry"
        resident = await find_resident(bot.app.db, "telegram", str(bot.user("bob")))
        assert resident is not None and resident.unreachable
        assert "bot was blocked by the user" in caplog.text


async def test_a_resident_who_never_started_the_bot_is_never_written_to_first(tmp_path):
    async with running_bot(tmp_path) as bot:
        await bot.app.runtime.deliver([Send(to=private(bot, "erin"), body=doc("Bonjour"))])
        [attempt] = bot.fake.calls_to("sendMessage")[-1:]
        assert attempt.status == 403 and bot.fake.messages(bot.user("erin")) == []


async def test_during_a_429_storm_no_message_is_lost_or_sent_twice(tmp_path, caplog):
    caplog.set_level(logging.WARNING)
    async with running_bot(tmp_path) as bot:  # no pacing here: the storm must hit
        residents = [f"voisin{n}" for n in range(40)]
        for person in residents:
            bot.fake.start_private(bot.user(person), person.capitalize())
        bot.fake.set_rate_limit(100, burst=5, retry_after_override=0.05)
        sends = [Send(to=private(bot, person), body=doc(f"Bonjour {person}")) for person in residents]
        await asyncio.gather(*(bot.app.runtime.deliver([send]) for send in sends))

        assert bot.fake.count_429 > 0, "the storm happened"
        delivered = [bot.fake.delivered[bot.user(person)] for person in residents]
        assert delivered == [1] * 40, "every message arrived exactly once"
        assert bot.platform.limiter.retries == bot.fake.count_429
        assert "delivery failed" not in caplog.text


async def test_votes_during_flood_control_are_all_counted_and_answered(tmp_path):
    async with running_bot(tmp_path) as bot:
        await bot.send("alice", "/poll Un marché ? | Oui | Non")
        card = bot.fake.last_message(SQUARE)
        assert card is not None
        bot.fake.fail_next("*", 429, retry_after=0.05, count=6)  # answers and edits are refused a while
        oui = bot.button_action("Oui")
        queries = [bot.fake.press(bot.user(f"voisin{n}"), SQUARE, card.message_id, oui) for n in range(10)]
        await bot.settle()
        assert all(q in bot.fake.answered_callbacks for q in queries)
        assert "10 votants" in bot.messages("square")[-1]


async def test_paced_sends_meet_no_flood_control(tmp_path):
    from adapters.telegram import Limits

    async with running_bot(tmp_path, limits=Limits(per_second=50, per_chat_per_second=None)) as bot:
        residents = [f"voisin{n}" for n in range(30)]
        for person in residents:
            bot.fake.start_private(bot.user(person), person.capitalize())
        bot.fake.set_rate_limit(50, burst=5, retry_after_override=0.05)  # ~80 ms of jitter tolerated
        loop = asyncio.get_running_loop()
        started = loop.time()
        sends = [Send(to=private(bot, person), body=doc("Bonjour")) for person in residents]
        await asyncio.gather(*(bot.app.runtime.deliver([send]) for send in sends))
        assert bot.fake.count_429 == 0
        assert loop.time() - started >= 29 / 50 * 0.9, "no initial burst: one slot per 1/50 s"
        assert sum(bot.fake.delivered[bot.user(person)] for person in residents) == 30
