"""French by default, English on request: for a resident in private, and for a whole community."""

from __future__ import annotations

from tests.drivers.base import last


async def test_the_bot_speaks_french_by_default(driver):
    await driver.send("bob", "/help", chat="@bob")
    assert "Ce que je sais faire" in last(driver, "@bob")


async def test_a_resident_switches_to_english_and_back(driver):
    await driver.send("bob", "/lang en", chat="@bob")
    assert "From now on I will speak English with you." in last(driver, "@bob")
    await driver.send("bob", "/help", chat="@bob")
    assert "What I can do" in last(driver, "@bob")
    await driver.send("bob", "/lang fr", chat="@bob")
    assert "Désormais, je vous parle en français." in last(driver, "@bob")


async def test_a_resident_chooses_the_language_with_a_button(driver):
    await driver.send("bob", "/lang", chat="@bob")
    await driver.press("bob", "English", chat="@bob")
    await driver.send("bob", "/mydata", chat="@bob")
    assert "What civicbot stores about you" in last(driver, "@bob")


async def test_an_english_speaking_resident_gets_english_toasts_on_a_french_card(driver):
    await driver.send("alice", "/poll Fête ? | Oui | Non")
    await driver.send("bob", "/lang en", chat="@bob")
    assert await driver.press("bob", "Oui") == "Vote recorded: Oui"
    assert "1 votant" in last(driver)


async def test_an_organizer_sets_a_community_to_english(driver):
    await driver.send("alice", "/lang en")
    assert "This community's language is now English." in last(driver)
    await driver.send("alice", "/poll Street party? | Saturday | Sunday")
    await driver.press("bob", "Saturday")
    card = last(driver)
    assert "1 voter" in card and "anonymous vote" in card
    assert "Saturday: 1 (100%)" in card


async def test_changing_a_community_language_is_written_to_the_audit_log(driver):
    from storage import audit

    await driver.send("alice", "/lang en")
    entries = await audit.entries(driver.app.db)
    assert [(e.action, e.object_type, e.detail) for e in entries] == [
        ("community.update", "community", "language=en")
    ]
    assert entries[0].actor in driver.app.engine.settings.admin_identities
