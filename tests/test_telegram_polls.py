"""Micro-polls in a Telegram group, through python-telegram-bot and the fake Bot API: what residents see in
their app (cards, toasts, deep links), and what the bot asks of Telegram (how many edits, which answers)."""

from __future__ import annotations

import html
import itertools

from tests.drivers.telegram import GROUPS, running_bot
from tests.scenarios.test_micro_polls import normalized

SQUARE = GROUPS["square"][0]


async def test_residents_vote_and_change_their_votes_and_every_tap_is_answered(tmp_path):
    async with running_bot(tmp_path) as bot:
        await bot.send("alice", "/poll Quel jour pour la fête ? | Samedi | Dimanche")
        assert await bot.press("bob", "Samedi") == "Vote enregistré : Samedi"
        assert await bot.press("carol", "Samedi") == "Vote enregistré : Samedi"
        assert await bot.press("dave", "Dimanche") == "Vote enregistré : Dimanche"
        assert await bot.press("carol", "Dimanche") == "Vote déplacé vers : Dimanche"
        assert await bot.press("dave", "Dimanche") == "Vote retiré : Dimanche"

        [card] = bot.messages("square")
        text = normalized(card.text)
        assert "Samedi : 1 (50 %)" in text
        assert "Dimanche : 1 (50 %)" in text
        assert "2 votants" in text
        assert card.edited and card.buttons == ["Samedi", "Dimanche"]
        assert len(bot.fake.answered_callbacks) == 5, "each tap got exactly one answer"
        last_card = bot.fake.last_message(SQUARE)
        assert last_card is not None and all(len(data.encode()) <= 64 for data in last_card.callback_data)


async def test_a_burst_of_votes_costs_a_handful_of_edits_and_the_card_ends_on_the_final_count(tmp_path):
    interval = 0.5
    async with running_bot(tmp_path, edit_interval=interval) as bot:
        await bot.send("alice", "/poll Un marché le dimanche ? | Oui | Non")
        card = bot.fake.last_message(SQUARE)
        assert card is not None
        oui = bot.button_action("Oui")
        for n in range(50):  # fifty residents tap within a few milliseconds, before any answer comes back
            bot.fake.press(bot.user(f"voisin{n}"), SQUARE, card.message_id, oui)
        await bot.settle()

        edits = [c for c in bot.fake.calls_to("editMessageText") if c.status == 200]
        assert 1 <= len(edits) <= 5, f"{len(edits)} edits for 50 votes"
        gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(edits)]
        # (times are when each edit completed, so a slow first edit may shorten a gap a little)
        assert all(gap >= interval * 0.7 for gap in gaps), f"edits closer than the interval: {gaps}"
        assert "Oui : 50 (100 %)" in normalized(bot.messages("square")[-1].text)
        assert "50 votants" in bot.messages("square")[-1].text
        toasts = [answer["text"] for answer in bot.fake.answered_callbacks.values()]
        assert toasts == ["Vote enregistré : Oui"] * 50


async def test_results_and_closing_edit_the_card_post_the_tally_and_refuse_later_taps(tmp_path):
    async with running_bot(tmp_path) as bot:
        await bot.send("alice", "/poll Un banc place de l'église ? | Oui | Non")
        oui = bot.button_action("Oui")
        await bot.press("bob", "Oui")
        await bot.send("carol", "/results")
        assert "Oui : 1 (100 %)" in normalized(bot.messages("square")[-1].text)

        await bot.send("alice", "/close")
        card, _results, announcement = bot.messages("square")
        assert "Sondage clos" in card.text and card.buttons == []
        assert "Le sondage n° 1 est clos." in announcement.text

        toast = await bot.press_raw("dave", oui)
        assert toast == "Ce sondage est clos : les votes ne sont plus acceptés."
        refusal = list(bot.fake.answered_callbacks.values())[-1]
        assert refusal["show_alert"], "a refusal is an alert the resident dismisses"


async def test_the_guided_poll_starts_from_a_deep_link_and_posts_in_the_group(tmp_path):
    async with running_bot(tmp_path) as bot:
        await bot.send("alice", "/poll")
        invitation = bot.fake.last_message(SQUARE)
        assert invitation is not None
        [button] = invitation.buttons
        assert button["url"] == f"https://t.me/{bot.fake.bot_username}?start=poll"

        await bot.press("alice", button["text"])  # the app opens the private chat and sends /start poll
        assert "Quelle est votre question ?" in bot.messages("@alice")[-1]
        await bot.send("alice", "Faut-il une boîte à livres ?", chat="@alice")
        await bot.send("alice", "Oui\nNon", chat="@alice")
        await bot.press("alice", "Continuer →", chat="@alice")
        await bot.press("alice", "Place du village", chat="@alice")
        await bot.press("alice", "Publier", chat="@alice")

        assert "publié" in bot.messages("@alice")[-1]
        card = bot.messages("square")[-1]
        assert "Faut-il une boîte à livres ?" in card and card.buttons == ["Oui", "Non"]


async def test_a_resident_is_refused_organizer_commands_and_a_group_admin_is_not(tmp_path):
    async with running_bot(tmp_path) as bot:
        await bot.send("bob", "/poll Question ? | Oui | Non")
        assert "seuls les organisateurs" in bot.messages("square")[-1]
        await bot.send("bob", "/close")
        assert "seuls les organisateurs" in bot.messages("square")[-1]

        await bot.send("olivia", "/poll Question d'Olivia ? | Oui | Non")  # she administers the group
        assert bot.messages("square")[-1].buttons == ["Oui", "Non"]
        lookups = [
            c for c in bot.fake.calls_to("getChatAdministrators") if c.params["chat_id"] == str(SQUARE)
        ]
        assert len(lookups) == 1, "the administrators are asked once and cached"

        bot.fake.set_admins(SQUARE, [])  # olivia is demoted; the cache keeps her rights a few minutes
        bot.platform.admins.forget(SQUARE)  # ... or until it expires, as here
        await bot.send("olivia", "/close")
        assert "seuls les organisateurs" in bot.messages("square")[-1]


async def test_poll_text_full_of_markup_characters_and_emoji_is_shown_exactly_as_typed(tmp_path):
    question = "Fête <b>&</b> « apéro » 🎉 ? a<b && c>d &amp; <i>"
    async with running_bot(tmp_path) as bot:  # the fake refuses any unescaped <, > or & in HTML
        await bot.send("alice", f"/poll {question} | Oui 👍 | Non <script>")
        card = bot.fake.last_message(SQUARE)
        assert card is not None
        assert question in card.plain_text
        assert html.escape(question, quote=False) in (card.text or "")
        assert [b["text"] for b in card.buttons] == ["Oui 👍", "Non <script>"]
        assert await bot.press("bob", "Non <script>") == "Vote enregistré : Non <script>"
        card = bot.fake.last_message(SQUARE)
        assert card is not None and question in card.plain_text


async def test_a_forged_button_is_answered_refused_and_counts_nothing(tmp_path):
    async with running_bot(tmp_path) as bot:
        await bot.send("alice", "/poll Question ? | Oui | Non")
        genuine = bot.button_action("Oui")
        for forged in (genuine[:-3] + ("AAA" if not genuine.endswith("AAA") else "BBB"), "v.1.0", "<>&' x"):
            toast = await bot.press_raw("bob", forged)
            assert toast is not None and "valide" in toast
        answers = list(bot.fake.answered_callbacks.values())
        assert len(answers) == 3 and all(answer["show_alert"] for answer in answers)
        assert "0 votant" in bot.messages("square")[-1]
        assert bot.fake.calls_to("editMessageText") == [], "nothing changed, nothing edited"


async def test_a_quick_double_tap_is_handled_in_the_order_it_was_made(tmp_path):
    async with running_bot(tmp_path) as bot:
        await bot.send("alice", "/poll Un banc ? | Oui | Non")
        card = bot.fake.last_message(SQUARE)
        assert card is not None
        oui, non = bot.button_action("Oui"), bot.button_action("Non")
        bob = bot.user("bob")
        taps = [bot.fake.press(bob, SQUARE, card.message_id, data) for data in (oui, non, non, oui)]
        await bot.settle()  # all four arrived in one getUpdates batch
        toasts = [bot.fake.answered_callbacks[tap]["text"] for tap in taps]
        assert toasts == [
            "Vote enregistré : Oui",
            "Vote déplacé vers : Non",
            "Vote retiré : Non",
            "Vote enregistré : Oui",
        ]
        assert "Oui : 1 (100 %)" in normalized(bot.messages("square")[-1].text)
