"""How the Discord adapter writes: escaped markdown, Discord's length limits, custom ids that survive a
restart, and failed deliveries reported as transient or permanent."""

from __future__ import annotations

from types import SimpleNamespace

import discord
import pytest

from adapters.discord.ids import Prompt
from adapters.discord.markdown import layout_edit, layout_message
from adapters.discord.outlet import delivery_error
from bot.formatting import b, code, doc, i, link, p
from bot.inbound import ChatRef
from bot.replies import AskInput, InputKind
from tests.drivers.discord import plain_text


def test_user_text_is_escaped_and_formatting_comes_from_the_engine_model():
    body = doc(p(b("Question"), " : ", "*x* _y_ ~z~ ||s|| `c` > q @everyone <@&123456789012345678>"))
    (message,) = layout_message(body)
    assert message.content is not None
    assert message.content.startswith("**Question** : \\*x\\* \\_y\\_ \\~z\\~ \\|\\|s\\|\\| \\`c\\`")
    assert "@\u200beveryone" in message.content and "<@\u200b&123456789012345678>" in message.content
    assert (
        plain_text(message.content) == "Question : *x* _y_ ~z~ ||s|| `c` > q @everyone <@&123456789012345678>"
    )
    rich = layout_message(doc(p(i("note"), " ", code("/poll A | B"), " ", link("site", "https://a.fr/x_y"))))
    assert rich[0].content == "*note* `/poll A | B` [site](<https://a.fr/x_y>)"


def test_a_heading_or_a_quote_typed_by_a_resident_stays_plain_text():
    (message,) = layout_message(doc(p("# Titre"), p("> citation"), p("- liste")))
    assert message.content == "\\# Titre\n\n\\> citation\n\n\\- liste"


def test_long_texts_use_an_embed_up_to_4096_characters_then_several_messages():
    medium = doc(*(p("x" * 99) for _ in range(30)))  # ~3,000 characters
    (one,) = layout_message(medium)
    assert one.content is None and one.embed_text is not None and len(one.embed_text) <= 4096
    long = doc(*(p("y" * 99) for _ in range(60)))  # ~6,000 characters
    parts = layout_message(long)
    assert len(parts) >= 3 and all(part.content is not None and len(part.content) <= 2000 for part in parts)
    assert "".join(part.content or "" for part in parts).count("y") == 60 * 99
    edit = layout_edit(long)
    assert edit.embed_text is not None and len(edit.embed_text) == 4096 and edit.embed_text.endswith("…")


def test_an_answer_button_carries_its_prompt_within_100_characters():
    action = "g.a." + "S" * 16
    square = ChatRef("discord", "1")
    ask = AskInput(to=square, prompt=doc("?"), field_label="Date de clôture", action=action, max_length=100)
    prompt = Prompt.of(ask)
    assert prompt.custom_id == f"a:t0100:{action}:Date de clôture"
    assert Prompt.from_custom_id(prompt.custom_id) == Prompt(action, "Date de clôture", InputKind.TEXT, 100)
    long = Prompt("x" * 64, "L" * 80, InputKind.NUMBER, 5000)
    assert len(long.custom_id) <= 100 and long.custom_id.startswith("a:n4000:")
    assert Prompt.from_custom_id("a:x0300:act:Label") is None
    assert Prompt.from_custom_id("b:v.1.0.sig") is None


def _http_error(status: int, code: int) -> discord.HTTPException:
    response = SimpleNamespace(status=status, reason="x")
    return discord.HTTPException(
        response,  # type: ignore[arg-type]  # a stand-in for aiohttp's response: discord.py reads these two
        {"message": "refused", "code": code},
    )


@pytest.mark.parametrize(
    ("status", "code", "permanent"),
    [(403, 50007, True), (403, 50013, True), (404, 10008, True), (400, 50035, True), (500, 0, False),
     (503, 0, False)],
)  # fmt: skip
def test_failed_deliveries_are_transient_or_permanent(status, code, permanent):
    error = delivery_error(_http_error(status, code))
    assert error.permanent is permanent
    assert str(code) in error.reason
    assert delivery_error(TimeoutError()).permanent is False
    limited = delivery_error(discord.RateLimited(12.5))
    assert limited.permanent is False and limited.retry_after == 12.5


def test_channel_command_timestamp_and_member_forms_and_bidi_controls_in_user_text_stay_inert():
    typed = (
        "Voir <#123456789012345678>, </poll:987654321098765432>, <t:1767225600:R>, <@123456789012345678>, "
        "<@!123456789012345678> et <id:customize>"
    )
    (message,) = layout_message(doc(p(b("Lieu"), " : ", typed, " fin\u202e à l'envers\u2066?\u2069")))
    assert message.content is not None
    for live in ("<#", "</", "<t:", "<@1", "<@!1", "<id:"):
        assert live not in message.content, f"{live} would be rendered by Discord"
    assert "\u202e" not in message.content and "\u2066" not in message.content
    assert plain_text(message.content) == f"Lieu : {typed} fin à l'envers?"
