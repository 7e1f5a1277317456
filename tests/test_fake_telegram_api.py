"""Behaviour tests of the fake Telegram Bot API, driven by the REAL python-telegram-bot objects.

Why: the Telegram adapter's tests and benchmarks trust this fake; these tests pin that PTB's own
``Bot``, ``Application``, ``Updater`` (polling and webhook) work against it and that it refuses
what api.telegram.org refuses, with the same errors.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dtm
import json
import socket
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest
from telegram import (
    Bot,
    BotCommand,
    BotCommandScopeAllGroupChats,
    ChatMemberAdministrator,
    ChatMemberOwner,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    Update,
)
from telegram.error import BadRequest, Conflict, Forbidden, InvalidToken, RetryAfter
from telegram.ext import Application, ApplicationBuilder, CallbackQueryHandler, CommandHandler, ContextTypes

try:  # the repository root is on sys.path (tests/ as a namespace package)...
    from tests.fakes.telegram_api import (
        NOT_MODIFIED,
        FakeTelegramServer,
        HtmlParseError,
        parse_html,
        parse_markdown_v2,
    )
except ModuleNotFoundError:  # ...or only tests/ is (pytest's rootdir-less "prepend" import mode)
    from fakes.telegram_api import (  # type: ignore[import-not-found, no-redef]  # tests/ alone on sys.path
        NOT_MODIFIED,
        FakeTelegramServer,
        HtmlParseError,
        parse_html,
        parse_markdown_v2,
    )

USER = 42
OTHER = 43
GROUP = -100123


# ---------------------------------------------------------------------------------------------- fixtures


def _leftover_tasks() -> list[asyncio.Task[Any]]:
    current = asyncio.current_task()
    return [t for t in asyncio.all_tasks() if t is not current and not t.done()]


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegramServer]:
    async with FakeTelegramServer() as server:
        server.start_private(USER, "Alice", language_code="fr")
        yield server
    await asyncio.sleep(0)
    assert not _leftover_tasks(), "a test left tasks running"


@pytest.fixture
async def bot(tg: FakeTelegramServer) -> AsyncIterator[Bot]:
    async with Bot(tg.token, base_url=tg.base_url, base_file_url=tg.base_file_url) as the_bot:
        yield the_bot


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _raw(
    tg: FakeTelegramServer, method: str, token: str | None = None, **params: Any
) -> tuple[int, Any]:
    """One form-encoded request, to check the exact JSON bodies (PTB rewrites descriptions)."""
    data = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    async with (
        aiohttp.ClientSession() as session,
        session.post(f"{tg.base_url}{token or tg.token}/{method}", data=data) as response,
    ):
        return response.status, await response.json()


def _keyboard(*data: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(d.title(), callback_data=d) for d in data]])


async def _vote(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.effective_message is not None
    await update.effective_message.reply_text(
        "<b>Budget vote</b>: bike lanes &amp; trees &lt;2026&gt;?",
        parse_mode="HTML",
        reply_markup=_keyboard("vote:yes", "vote:no"),
    )


async def _button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    assert query is not None and query.data is not None
    await query.answer("Thanks!")
    await query.edit_message_text(f"You voted <i>{query.data.split(':')[1]}</i>", parse_mode="HTML")


def _application(tg: FakeTelegramServer) -> Application:
    app = ApplicationBuilder().token(tg.token).base_url(tg.base_url).base_file_url(tg.base_file_url).build()
    app.add_handler(CommandHandler("vote", _vote))
    app.add_handler(CallbackQueryHandler(_button, pattern=r"^vote:"))
    return app


@contextlib.asynccontextmanager
async def _polling(app: Application) -> AsyncIterator[Application]:
    """initialize/start/start_polling, then updater.stop/stop/shutdown even if the test fails."""
    await app.initialize()
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=5)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


# ---------------------------------------------------------------------------------------------- Bot


async def test_escaped_html_is_accepted_and_parsed(tg: FakeTelegramServer, bot: Bot) -> None:
    sent = await bot.send_message(
        USER,
        "<b>Vote</b> &lt;now&gt; &amp; <a href='https://x.org/?a=1&amp;b=2'>read</a> 🗳 <i>ok</i>",
        "HTML",
    )
    assert sent.text == "Vote <now> & read 🗳 ok"
    entities = [(e.type, e.offset, e.length) for e in sent.entities]
    assert entities == [("bold", 0, 4), ("text_link", 13, 4), ("italic", 21, 2)]  # 🗳 is 2 UTF-16 units
    assert sent.entities[1].url == "https://x.org/?a=1&b=2"
    stored = tg.messages(USER)[-1]
    assert (stored.kind, stored.parse_mode, stored.plain_text) == ("text", "HTML", sent.text)
    assert stored.text is not None and stored.text.startswith("<b>Vote</b>")
    assert tg.delivered[USER] == 1


async def test_invalid_html_is_refused_with_the_real_errors(tg: FakeTelegramServer, bot: Bot) -> None:
    with pytest.raises(BadRequest, match=r"(?i)can't parse entities"):
        await bot.send_message(USER, "1 < 2", parse_mode="HTML")
    cases = {
        "1 < 2": 'Unsupported start tag "" at byte offset 2',
        "<script>alert(1)</script>": 'Unsupported start tag "script" at byte offset 0',
        "<b><i>test</b></i>": 'Unmatched end tag at byte offset 10, expected "</i>", found "</b>"',
        "<b>unclosed": 'Can\'t find end tag corresponding to start tag "b"',
        "<span>x</span>": 'Tag "span" must have class "tg-spoiler" at byte offset 0',
    }
    for text, error in cases.items():
        status, body = await _raw(tg, "sendMessage", chat_id=USER, text=text, parse_mode="HTML")
        assert (status, body) == (
            400,
            {"ok": False, "error_code": 400, "description": f"Bad Request: can't parse entities: {error}"},
        )
    assert tg.messages(USER) == []


async def test_text_length_limits(tg: FakeTelegramServer, bot: Bot) -> None:
    await bot.send_message(USER, "x" * 4096)
    await bot.send_message(USER, "<b>" + "x" * 4096 + "</b>", parse_mode="HTML")  # counted after parsing
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(USER, "x" * 4097)
    assert (await _raw(tg, "sendMessage", chat_id=USER, text=""))[1]["description"] == (
        "Bad Request: message text is empty"
    )
    assert (await _raw(tg, "sendMessage", chat_id=USER, text="   "))[1]["description"] == (
        "Bad Request: text must be non-empty"
    )
    with pytest.raises(BadRequest, match=r"(?i)caption is too long"):
        await bot.send_document(USER, b"%PDF", filename="a.pdf", caption="c" * 1025)
    assert [len(m.plain_text) for m in tg.messages(USER)] == [4096, 4096]


async def test_inline_keyboards_are_validated(tg: FakeTelegramServer, bot: Bot) -> None:
    await bot.send_message(USER, "ok", reply_markup=_keyboard("d" * 64))
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(USER, "too long data", reply_markup=_keyboard("d" * 65))
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):  # 64 bytes, not characters
        await bot.send_message(USER, "too long data", reply_markup=_keyboard("é" * 33))
    nine = InlineKeyboardMarkup([[InlineKeyboardButton(str(i), callback_data=str(i)) for i in range(9)]])
    with pytest.raises(BadRequest, match=r"(?i)reply_markup_too_long"):
        await bot.send_message(USER, "nine in a row", reply_markup=nine)
    many = InlineKeyboardMarkup(
        [[InlineKeyboardButton("b", callback_data=f"{r}") for _ in range(6)] for r in range(17)]
    )
    with pytest.raises(BadRequest, match=r"(?i)reply_markup_too_long"):
        await bot.send_message(USER, "102 buttons", reply_markup=many)
    status, body = await _raw(
        tg, "sendMessage", chat_id=USER, text="t", reply_markup={"inline_keyboard": [[{"text": "x"}]]}
    )
    assert (status, body["description"]) == (
        400,
        "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the inline keyboard",
    )
    url_button = InlineKeyboardMarkup([[InlineKeyboardButton("Site", url="https://civic.example.org")]])
    await bot.send_message(USER, "links are fine", reply_markup=url_button)
    assert [m.plain_text for m in tg.messages(USER)] == ["ok", "links are fine"]
    assert tg.messages(USER)[0].callback_data == ["d" * 64]


async def test_edits_and_not_modified(tg: FakeTelegramServer, bot: Bot) -> None:
    sent = await bot.send_message(USER, "<b>Poll</b>", parse_mode="HTML", reply_markup=_keyboard("a", "b"))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "<b>Poll</b>", USER, sent.message_id, parse_mode="HTML", reply_markup=_keyboard("a", "b")
        )
    status, body = await _raw(
        tg,
        "editMessageText",
        chat_id=USER,
        message_id=sent.message_id,
        text="<strong>Poll</strong>",  # same content once parsed
        parse_mode="HTML",
        reply_markup={
            "inline_keyboard": [[{"text": "A", "callback_data": "a"}, {"text": "B", "callback_data": "b"}]]
        },
    )
    assert (status, body["description"]) == (400, NOT_MODIFIED)
    # Same text without reply_markup removes the keyboard: that is a modification.
    edited = await bot.edit_message_text("<b>Poll</b>", USER, sent.message_id, parse_mode="HTML")
    assert isinstance(edited, Message) and edited.reply_markup is None and edited.edit_date is not None
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_reply_markup(USER, sent.message_id)
    await bot.edit_message_reply_markup(USER, sent.message_id, reply_markup=_keyboard("c"))
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", USER, 999)
    stored = tg.message(USER, sent.message_id)
    assert (stored.edits, stored.callback_data) == (2, ["c"])
    assert await bot.delete_message(USER, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(USER, sent.message_id)
    assert tg.messages(USER) == [] and tg.messages(USER, include_deleted=True) == [stored]


async def test_photo_caption_edit(tg: FakeTelegramServer, bot: Bot) -> None:
    png = (
        b"\x89PNG\r\n\x1a\n"
        + b"\x00\x00\x00\rIHDR"
        + (64).to_bytes(4, "big")
        + (32).to_bytes(4, "big")
        + b"rest"
    )
    sent = await bot.send_photo(USER, png, caption="<i>map</i>", parse_mode="HTML")
    assert (sent.photo[-1].width, sent.photo[-1].height, sent.caption) == (64, 32, "map")
    with pytest.raises(BadRequest, match=r"(?i)there is no text in the message to edit"):
        await bot.edit_message_text("text", USER, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)not modified"):
        await bot.edit_message_caption(USER, sent.message_id, caption="<i>map</i>", parse_mode="HTML")
    await bot.edit_message_caption(USER, sent.message_id, caption="new map")
    stored = tg.last_message(USER)
    assert stored is not None and (stored.kind, stored.data, stored.plain_text) == ("photo", png, "new map")


async def test_forbidden_when_never_started_or_blocked(tg: FakeTelegramServer, bot: Bot) -> None:
    tg.add_user(OTHER, "Bob")
    with pytest.raises(Forbidden, match=r"(?i)bot can't initiate conversation with a user"):
        await bot.send_message(OTHER, "hello")
    tg.block(USER)
    with pytest.raises(Forbidden, match=r"(?i)bot was blocked by the user"):
        await bot.send_message(USER, "hello")
    status, body = await _raw(tg, "sendMessage", chat_id=USER, text="hello")
    assert (status, body) == (
        403,
        {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
    )
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(777, "nobody")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(-100999, "no such group")
    tg.send_text(USER, USER, "/start")  # writing to the bot unblocks it
    await bot.send_message(USER, "welcome back")
    assert tg.delivered == {USER: 1}


async def test_retry_after_injection(
    tg: FakeTelegramServer, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")  # RetryAfter.retry_after as a timedelta, no warning
    tg.fail_next("sendMessage", status=429, retry_after=3)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(USER, "first")
    assert caught.value.retry_after == dtm.timedelta(seconds=3)
    await bot.send_message(USER, "second")
    tg.fail_next("sendMessage", retry_after=0.05, count=2)
    for _ in range(2):
        with pytest.raises(RetryAfter) as caught:
            await bot.send_message(USER, "third")
        assert caught.value.retry_after == dtm.timedelta(seconds=0.05)
    await bot.send_message(USER, "third")
    assert tg.count_429 == 3
    assert [m.plain_text for m in tg.messages(USER)] == ["second", "third"]
    assert [c.status for c in tg.calls_to("sendMessage")] == [429, 200, 429, 429, 200]
    tg.fail_next("sendMessage", retry_after=7)
    status, body = await _raw(tg, "sendMessage", chat_id=USER, text="x")
    assert (status, body) == (
        429,
        {
            "ok": False,
            "error_code": 429,
            "description": "Too Many Requests: retry after 7",
            "parameters": {"retry_after": 7},
        },
    )


async def test_token_bucket_rate_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PTB_TIMEDELTA", "true")
    now = [100.0]
    async with FakeTelegramServer(clock=lambda: now[0]) as tg:
        tg.start_private(USER, "Alice")
        async with Bot(tg.token, base_url=tg.base_url) as limited_bot:
            tg.set_rate_limit(per_second=2, burst=2)
            await limited_bot.send_message(USER, "1")
            await limited_bot.send_message(USER, "2")
            with pytest.raises(RetryAfter) as caught:
                await limited_bot.send_message(USER, "3")
            assert caught.value.retry_after == dtm.timedelta(seconds=1)  # ceil(0.5 s), at least 1
            await limited_bot.get_me()  # not rate limited
            now[0] += 0.5
            await limited_bot.send_message(USER, "3")
            tg.set_rate_limit(per_second=2, burst=1, retry_after_override=0.01)  # a fresh, full bucket
            await limited_bot.send_message(USER, "4")
            with pytest.raises(RetryAfter) as caught:
                await limited_bot.send_message(USER, "5")
            assert caught.value.retry_after == dtm.timedelta(seconds=0.01)
            tg.set_rate_limit(None)
            await limited_bot.send_message(USER, "5")
        assert tg.count_429 == 2
        assert tg.delivered[USER] == 5
        assert [m.plain_text for m in tg.messages(USER)] == ["1", "2", "3", "4", "5"]


async def test_group_administrators_and_members(tg: FakeTelegramServer, bot: Bot) -> None:
    tg.add_group(GROUP, "Town hall", admins={7, 8}, owner=7, members=[USER])
    admins = await bot.get_chat_administrators(GROUP)
    assert [(type(a), a.user.id) for a in admins] == [(ChatMemberOwner, 7), (ChatMemberAdministrator, 8)]
    tg.set_admins(GROUP, {9})
    assert {a.user.id for a in await bot.get_chat_administrators(GROUP)} == {7, 9}
    assert (await bot.get_chat_member(GROUP, USER)).status == "member"
    assert (await bot.get_chat_member(GROUP, 8)).status == "member"  # demoted, still in the group
    tg.add_user(OTHER, "Bob")
    assert (await bot.get_chat_member(GROUP, OTHER)).status == "left"
    chat = await bot.get_chat(GROUP)
    assert (chat.type, chat.title) == ("supergroup", "Town hall")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.get_chat_administrators(-100555)
    tg.remove_bot(GROUP)
    with pytest.raises(Forbidden, match=r"(?i)bot was kicked from the supergroup chat"):
        await bot.send_message(GROUP, "hello?")


async def test_document_uploads_are_stored_and_downloadable(tg: FakeTelegramServer, bot: Bot) -> None:
    payload = bytes(range(256)) * 40
    sent = await bot.send_document(USER, payload, filename="minutes.pdf", caption="Minutes")
    assert sent.document is not None and sent.document.file_name == "minutes.pdf"
    stored = tg.messages(USER)[-1]
    assert (stored.kind, stored.filename, stored.data, stored.plain_text) == (
        "document",
        "minutes.pdf",
        payload,
        "Minutes",
    )
    upload = tg.calls_to("sendDocument")[-1].params["document"]
    assert (upload.filename, upload.data) == ("minutes.pdf", payload)
    # The same file again by file_id, and a user's upload downloaded by the bot.
    await bot.send_document(USER, sent.document.file_id)
    tg.send_document(USER, USER, "proposal.txt", b"more parks", caption="my idea")
    user_message = tg.messages(USER, include_users=True)[-1]
    assert user_message.file is not None
    file = await bot.get_file(user_message.file.file_id)
    assert bytes(await file.download_as_bytearray()) == b"more parks"


async def test_commands_are_recorded_per_scope_and_language(tg: FakeTelegramServer, bot: Bot) -> None:
    await bot.set_my_commands([BotCommand("vote", "Vote"), BotCommand("help", "Help")])
    await bot.set_my_commands([BotCommand("vote", "Voter")], language_code="fr")
    await bot.set_my_commands([BotCommand("poll", "New poll")], scope=BotCommandScopeAllGroupChats())
    assert [c.command for c in await bot.get_my_commands()] == ["vote", "help"]
    assert tg.get_commands(language_code="fr") == [{"command": "vote", "description": "Voter"}]
    assert tg.get_commands({"type": "all_group_chats"})[0]["command"] == "poll"
    await bot.delete_my_commands(language_code="fr")
    assert await bot.get_my_commands(language_code="fr") == ()
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([BotCommand("Bad-Name", "x")])


async def test_unknown_methods_and_wrong_tokens(tg: FakeTelegramServer, bot: Bot) -> None:
    assert await _raw(tg, "sendDice", chat_id=USER) == (
        404,
        {"ok": False, "error_code": 404, "description": "Not Found"},
    )
    assert tg.calls[-1].method == "sendDice" and tg.calls[-1].status == 404
    assert await _raw(tg, "getMe", token="123456:WRONG") == (
        401,
        {"ok": False, "error_code": 401, "description": "Unauthorized"},
    )
    wrong = Bot("123456:WRONG", base_url=tg.base_url)
    try:
        with pytest.raises(InvalidToken, match="rejected by the server"):
            await wrong.initialize()
    finally:
        await wrong.shutdown()
    assert (await _raw(tg, "GETME"))[0] == 200  # method names are case-insensitive


async def test_get_updates_long_polling_semantics(tg: FakeTelegramServer) -> None:
    first = tg.send_text(USER, USER, "one")
    assert first is not None, "a private message reaches the bot"
    tg.send_text(USER, USER, "two")
    started = time.monotonic()
    _status, body = await _raw(tg, "getUpdates", timeout=5, limit=1)
    assert [u["update_id"] for u in body["result"]] == [first]  # immediate, limited
    assert time.monotonic() - started < 1
    _status, body = await _raw(tg, "getUpdates", offset=first + 1, timeout=5)
    assert [u["message"]["text"] for u in body["result"]] == ["two"]  # the offset confirmed "one"
    assert tg.pending_updates == 1
    poll = asyncio.create_task(_raw(tg, "getUpdates", offset=first + 2, timeout=5))
    await tg.wait_idle()  # a parked long poll is idle
    assert tg.pending_updates == 0
    third = tg.send_text(USER, USER, "three")
    assert third is not None
    _status, body = await asyncio.wait_for(poll, 2)  # woken by the new update, not the timeout
    assert [u["update_id"] for u in body["result"]] == [third]
    assert time.monotonic() - started < 2
    status, body = await _raw(tg, "getUpdates", offset=third + 1, timeout=0)
    assert (status, body["result"], tg.pending_updates) == (200, [], 0)


async def test_application_polling_answers_command_and_button(tg: FakeTelegramServer) -> None:
    async with _polling(_application(tg)):
        tg.send_text(USER, USER, "/vote")
        await tg.wait_until(lambda: tg.messages(USER))
        poll = tg.messages(USER)[0]
        assert poll.plain_text == "Budget vote: bike lanes & trees <2026>?"
        assert poll.callback_data == ["vote:yes", "vote:no"]
        query_id = tg.press(USER, USER, poll.message_id, "vote:no")
        await tg.wait_until(lambda: poll.edits == 1)
        await tg.wait_idle()
        assert tg.answered_callbacks[query_id]["text"] == "Thanks!"
        assert (poll.plain_text, poll.reply_markup) == ("You voted no", None)
        # Groups: commands addressed to the bot (or to nobody) reach it, plain chatter does not.
        tg.add_group(GROUP, "Town hall", admins={USER})
        assert tg.send_text(OTHER, GROUP, "just chatting") is None
        assert tg.send_text(OTHER, GROUP, "/vote@other_bot") is None
        assert tg.send_text(OTHER, GROUP, "/vote@civicbot_test_bot") is not None
        await tg.wait_until(lambda: len(tg.messages(GROUP)) == 1)
        await tg.wait_idle()
    assert tg.pending_updates == 0
    assert [c.method for c in tg.calls[:2]] == ["getMe", "deleteWebhook"]
    assert tg.unseen_by_bot == 2


async def test_application_survives_unhandled_update_kinds(tg: FakeTelegramServer) -> None:
    tg.add_group(GROUP, "Town hall", admins=set(), bot_is_admin=True)
    async with _polling(_application(tg)):
        tg.send_text(USER, USER, "plain text")
        tg.push_edited_message(USER, USER, tg.messages(USER, include_users=True)[-1].message_id, "edited")
        tg.push_sticker(USER, USER)
        tg.push_new_chat_members(GROUP, [OTHER, tg.bot_id], by_user_id=USER)
        tg.push_channel_post(-100777, "channel news")
        tg.push_update(
            {
                "poll_answer": {
                    "poll_id": "1",
                    "user": {"id": USER, "is_bot": False, "first_name": "A"},
                    "option_ids": [0],
                    "option_persistent_ids": ["a"],
                }
            }
        )
        tg.reply_to(USER, USER, 1, "/vote")
        await tg.wait_until(lambda: tg.messages(USER))
        await tg.wait_idle()
    assert tg.pending_updates == 0
    assert len(tg.messages(USER)) == 1


async def test_webhook_secret_token(tg: FakeTelegramServer) -> None:
    app = _application(tg)
    port = _free_port()
    await app.initialize()
    await app.start()
    assert app.updater is not None
    try:
        await app.updater.start_webhook(
            listen="127.0.0.1", port=port, url_path="tg-hook", secret_token="s3cret_TOKEN"
        )
        assert (tg.webhook.url, tg.webhook.secret_token) == (
            f"http://127.0.0.1:{port}/tg-hook",
            "s3cret_TOKEN",
        )
        update = tg.text_update(USER, USER, "/vote")
        assert await tg.post_update_to(tg.webhook.url, update, secret_token="wrong") == 403
        assert await tg.post_update_to(tg.webhook.url, update) == 403
        assert tg.messages(USER) == []
        assert await tg.post_update_to(tg.webhook.url, update, secret_token="s3cret_TOKEN") == 200
        await tg.wait_until(lambda: len(tg.messages(USER)) == 1)
        # Queued updates go out with the recorded secret; getUpdates conflicts meanwhile.
        tg.send_text(USER, USER, "/vote")
        status, body = await _raw(tg, "getUpdates")
        assert (status, body["description"]) == (
            409,
            "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete "
            "the webhook first",
        )
        with pytest.raises(Conflict):
            await app.bot.get_updates()
        assert await tg.flush_webhook() == 1
        await tg.wait_until(lambda: len(tg.messages(USER)) == 2)
        info = await app.bot.get_webhook_info()
        assert (info.url, info.pending_update_count) == (tg.webhook.url, 0)
    finally:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()


async def test_wait_idle_reports_unconfirmed_updates(tg: FakeTelegramServer) -> None:
    tg.send_text(USER, USER, "nobody polls")
    with pytest.raises(TimeoutError, match="1 unconfirmed updates"):
        await tg.wait_idle(timeout=0.05)


# ---------------------------------------------------------------------------------------------- parsers


def test_parse_html_entities_and_offsets() -> None:
    text, entities = parse_html(
        '<pre><code class="language-python">x = 1</code></pre>'
        "<tg-spoiler>s</tg-spoiler><blockquote expandable>q</blockquote>&#128512;&#x41;&quot;"
    )
    assert text == 'x = 1sq😀A"'
    assert entities == [
        {"type": "pre", "offset": 0, "length": 5, "language": "python"},
        {"type": "spoiler", "offset": 5, "length": 1},
        {"type": "expandable_blockquote", "offset": 6, "length": 1},
    ]
    with pytest.raises(HtmlParseError, match="Unescaped '&'"):
        parse_html("Q&A")
    assert parse_html("Q&A", strict_ampersand=False)[0] == "Q&A"  # what the real server does


def test_parse_markdown_v2_errors() -> None:
    assert parse_markdown_v2("*bold* \\. _it_")[0] == "bold . it"
    with pytest.raises(HtmlParseError, match=r"Character '\.' is reserved"):
        parse_markdown_v2("hello.")
    with pytest.raises(HtmlParseError, match="Can't find end of Bold entity at byte offset 15"):
        parse_markdown_v2("*bold _italic\\_*")
