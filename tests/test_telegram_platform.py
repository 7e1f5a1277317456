"""The bot as Telegram sees it: its command menu, webhook mode and its secret, the updates it ignores, and
a token that never leaks into a log line or an error message."""

from __future__ import annotations

import logging
import re

import pytest

from adapters.telegram.platform import TelegramPlatform, TelegramStartError, api_urls
from adapters.telegram.secrecy import HIDDEN, Redactor, webhook_secret
from bot.app import App
from config.settings import Settings
from tests.drivers.telegram import GROUPS, running_bot

SQUARE = GROUPS["square"][0]
ADMINS_SCOPE = {"type": "all_chat_administrators"}


def names(commands: list[dict[str, str]]) -> list[str]:
    return [c["command"] for c in commands]


async def test_the_command_menu_is_in_french_and_english_and_organizer_commands_only_for_admins(tmp_path):
    async with running_bot(tmp_path) as bot:
        french = bot.fake.get_commands(language_code="fr")
        english = bot.fake.get_commands(language_code="en")
        assert names(french) == names(english)
        assert "poll" not in names(french) and "close" not in names(french)
        assert {"start", "help", "results", "lang", "mydata", "forget", "cancel"} <= set(names(french))
        assert dict((c["command"], c["description"]) for c in french)["help"] == "Ce que le bot sait faire"
        assert dict((c["command"], c["description"]) for c in english)["help"] == "What the bot can do"

        for language in ("fr", "en"):
            organizers = names(bot.fake.get_commands(ADMINS_SCOPE, language_code=language))
            assert {"poll", "close"} <= set(organizers)
            assert set(names(bot.fake.get_commands(language_code=language))) < set(organizers)
        assert names(bot.fake.get_commands()) == names(french), "others get the default language's menu"


async def test_a_resident_whose_app_speaks_english_is_answered_in_english(tmp_path):
    async with running_bot(tmp_path) as bot:
        bot.fake.add_user(bot.user("emma"), "Emma", language_code="en-GB")
        await bot.send("emma", "/help", chat="@emma")
        assert "What I can do" in bot.messages("@emma")[-1]
        await bot.send("bob", "/help", chat="@bob")
        assert "Ce que je sais faire" in bot.messages("@bob")[-1]


async def test_webhook_mode_takes_updates_with_the_secret_and_refuses_the_others(tmp_path):
    async with running_bot(tmp_path, webhook=True) as bot:
        assert bot.fake.webhook.url == bot.webhook_url
        assert bot.fake.webhook.secret_token == webhook_secret(bot.fake.token), "derived from the token"
        assert bot.fake.calls_to("getUpdates") == [], "no long polling"

        await bot.send("alice", "/poll Par webhook ? | Oui | Non")  # Telegram posts it with the secret
        assert bot.messages("square")[-1].buttons == ["Oui", "Non"]
        assert await bot.press("bob", "Oui") == "Vote enregistré : Oui"

        forged = bot.fake.text_update(bot.user("mallory"), SQUARE, "/poll Intrus ? | A | B")
        assert await bot.fake.post_update_to(bot.webhook_url, forged, secret_token="wrong") == 403
        assert await bot.fake.post_update_to(bot.webhook_url, forged) == 403
        await bot.settle()
        assert "Intrus" not in bot.messages("square")[-1].text


def test_a_derived_webhook_secret_is_stable_and_within_telegrams_alphabet():
    secret = webhook_secret("123456:ABC")
    assert secret == webhook_secret("123456:ABC") != webhook_secret("123456:ABD")
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,256}", secret)
    assert "123456" not in secret and "ABC" not in secret


async def test_updates_the_bot_does_not_handle_are_ignored_without_a_word_in_the_logs(tmp_path, caplog):
    caplog.set_level(logging.INFO)
    async with running_bot(tmp_path, webhook=True) as bot:
        bob = bot.user("bob")
        await bot.send("bob", "bonjour", chat="@bob")
        before = bot.fake.delivered_total
        bot.fake.push_sticker(bob, bob)
        bot.fake.push_new_chat_members(SQUARE, [bot.user("zoe")])
        bot.fake.send_text(bob, SQUARE, "/poll@un_autre_bot Question ? | A | B")
        await bot.settle()
        # Telegram would not even send these (allowed_updates): post them anyway, as a wrong proxy might
        message = bot.fake.text_update(bob, bob, "je corrige")
        edited = {"update_id": message["update_id"], "edited_message": message["message"]}
        post = dict(bot.fake.text_update(bob, bob, "Annonce")["message"])
        post["chat"] = {"id": -1009999, "title": "Canal", "type": "channel"}
        post.pop("from")
        channel = {"update_id": message["update_id"] + 1, "channel_post": post}
        for update in (edited, channel):
            assert bot.webhook_url is not None
            assert await bot.fake.post_update_to(bot.webhook_url, update, bot.platform.secret) == 200
        await bot.settle()
        assert bot.fake.delivered_total == before, "the bot said nothing"
        assert [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING] == []


async def test_the_token_and_the_webhook_secret_never_appear_in_logs(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    async with running_bot(tmp_path, webhook=True) as bot:
        token, secret = bot.fake.token, bot.platform.secret
        await bot.send("alice", "/poll Question ? | Oui | Non")
        await bot.press("bob", "Oui")
        bot.fake.block(bot.user("bob"))
        bot.fake.fail_next("sendMessage", 429, retry_after=0.01)
        bot.fake.fail_next("editMessageText", 400, description=f"Bad Request: echo {token}")
        await bot.send("alice", "/results")
        await bot.press("carol", "Non")
        forged = bot.fake.text_update(bot.user("mallory"), SQUARE, "/help")
        assert bot.webhook_url is not None
        await bot.fake.post_update_to(bot.webhook_url, forged, secret_token="wrong")
        await bot.settle()
    logged = caplog.text + "".join(str(r.args) + str(r.msg) for r in caplog.records)
    assert HIDDEN in logged, "an error quoting the token was logged, scrubbed"
    assert token.lower() not in logged.lower() and token.split(":")[1].lower() not in logged.lower()
    assert secret.lower() not in logged.lower()


async def test_a_tap_whose_handling_fails_is_still_answered_and_the_failure_logged(
    tmp_path, caplog, monkeypatch
):
    async with running_bot(tmp_path) as bot:
        await bot.send("alice", "/poll Question ? | Oui | Non")

        async def broken(event):
            raise RuntimeError(f"bug while handling, token {bot.fake.token}")

        monkeypatch.setattr(bot.app.runtime, "dispatch", broken)
        assert await bot.press("bob", "Oui") is None, "answered, without a toast"
        [failure] = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert "could not be handled" in failure.getMessage()
        assert bot.fake.token not in caplog.text and HIDDEN in caplog.text


async def test_a_rejected_token_is_reported_without_the_token(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    async with running_bot(tmp_path) as bot:
        wrong = "654321:WRONG-SECRET-TOKEN"
        settings = Settings(
            _env_file=None,
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'other.db'}",
            telegram_token=wrong,
            telegram_api_url=bot.fake.base_url,
        )
        platform = TelegramPlatform(App.build(settings), settings)
        with pytest.raises(TelegramStartError) as refused:
            await platform.start()
        assert "WRONG-SECRET-TOKEN" not in str(refused.value)
        assert refused.value.__cause__ is None and refused.value.__suppress_context__
    assert "WRONG-SECRET-TOKEN" not in caplog.text


def test_the_redactor_scrubs_messages_arguments_and_tracebacks():
    redactor = Redactor()
    redactor.add("123:SECRET")
    try:
        raise ValueError("failed at https://api.telegram.org/bot123:SECRET/getMe")
    except ValueError:
        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "url %s", ("bot123:SECRET",), None)
        import sys

        record.exc_info = sys.exc_info()
    redactor.filter(record)
    assert "SECRET" not in record.getMessage()
    assert "SECRET" not in logging.Formatter().format(record)


def test_the_api_url_may_name_the_server_or_its_bot_path():
    assert api_urls("http://127.0.0.1:8081") == (
        "http://127.0.0.1:8081/bot",
        "http://127.0.0.1:8081/file/bot",
    )
    assert api_urls("https://example.org/bot/") == ("https://example.org/bot", "https://example.org/file/bot")
