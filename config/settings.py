"""Every setting civicbot reads, from the environment (prefix CIVICBOT_) or a `.env` file."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from typing import Annotated

from limits import parse as parse_rate_limit
from pydantic import AliasChoices, AwareDatetime, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_MIN_GROUP = 5  # the small-group threshold k: one value for chats, charts, exports and filtered views
# the licence French public bodies publish open data under (Code des relations entre le public et
# l'administration, art. D323-2-1); the exports of a consultation state it
DEFAULT_DATA_LICENCE = "Licence Ouverte / Open Licence 2.0 (Etalab)"


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return [item.strip() for item in value.split(",") if item.strip()]
    return value


def _rate_limit(value: str) -> str:
    """The `limits` notation (`10 per 20 seconds`, `30/minute`), allowing at least one: a typo stops the
    start rather than leaving the chats unprotected."""
    if parse_rate_limit(value).amount < 1:
        raise ValueError(f"a limit must allow at least one: {value!r}")
    return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CIVICBOT_", env_file=".env", extra="ignore")

    database_url: str = Field(
        "sqlite+aiosqlite:///civicbot.db",
        description="SQLAlchemy async URL: sqlite+aiosqlite:///file.db or postgresql+asyncpg://user@host/db",
    )
    key_dir: Path | None = Field(
        None,
        description="Folder of the keys that anonymity destroys (kept out of the database so that destroying "
        "them is real): share it between the processes of one deployment, keep it out of backups. Default: "
        "beside the SQLite file (civicbot.db.keys), or ./civicbot-keys/ for PostgreSQL",
    )
    admins: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Global organizers, as platform:user_id separated by commas "
        "(telegram:123,discord:456,console:alice)",
    )
    secret_key: SecretStr | None = Field(
        None,
        description="Signs button ids; when unset a random key is generated once and kept in the database",
    )
    default_language: str = Field("fr", description="Language of a resident or community that chose none")
    timezone: str = Field("Europe/Paris", description="Time zone of a community that chose none")
    live_edit_interval: float = Field(
        3.0, description="Seconds between two live edits of one poll message (bursts are coalesced)"
    )
    outbox_rates: str = Field(
        "telegram:25,discord:40",
        description="Messages a second the outbox dispatcher sends to each platform (reminders, broadcasts)",
    )
    reminder_offsets: str = Field(
        "24h,1h",
        description="When event reminders go out before the start, e.g. 24h,1h (m, h or d; "
        "/event --reminders overrides it per event)",
    )
    poll_reminder_before: str = Field(
        "24h", description="How long before a poll or consultation closes its reminder goes out (m, h or d)"
    )
    outbox_lease: float = Field(
        60.0,
        description="Seconds before a message claimed by a dispatcher that died is taken over by another",
    )
    flood_limit: str = Field(
        "10 per 20 seconds",
        description="Commands, button taps and answered messages one resident may send in one community "
        "(the limits notation: 10 per 20 seconds, 30/minute)",
    )
    flood_private_limit: str = Field(
        "30 per minute", description="The same, in a resident's private chat with the bot"
    )
    flood_organizer_limit: str = Field(
        "30 per minute", description="The same, for global admins and a community's administrators in it"
    )
    flood_pause: int = Field(
        60, ge=1, description="Seconds a person who went over their limit is ignored, after one warning"
    )
    flood_community_limit: str = Field(
        "20 per minute", description="Messages a community receives in reply to its residents"
    )
    min_group: int = Field(
        DEFAULT_MIN_GROUP,
        ge=1,
        description="Small-group threshold k: a published consultation figure (mean, median, scale, filtered "
        "count, free texts in the export) resting on fewer than k answers is withheld",
    )
    proposal_weekly_limit: int = Field(
        3, ge=1, description="Proposals one resident may submit in seven days, in all communities"
    )
    proposal_threshold: int = Field(
        25,
        ge=1,
        description="Supports after which a proposal is owed an official answer (a community may set its own "
        "with /proposals_settings)",
    )
    proposal_answer_days: int = Field(
        30, ge=1, description="Days the organizers have to answer a proposal once it reached its threshold"
    )
    proposal_reminder_days: int = Field(
        7,
        ge=1,
        description="Days between two reminders to the organizers of a proposal owed an answer (the first "
        "this long before the answer is due)",
    )
    data_licence: str = Field(
        DEFAULT_DATA_LICENCE,
        max_length=200,
        description="The licence a consultation's exports state their data is published under",
    )
    files_dir: str = Field(
        "civicbot-files",
        description="Where the console adapter saves images and files, and what the terminal chat keeps "
        "between two runs (each chat's latest buttons)",
    )
    shell_clock: AwareDatetime | None = Field(
        None,
        description="The terminal chat's clock starts at this instant (ISO 8601 with its offset: "
        "2026-12-03T10:00:00+01:00) and runs on from there, so a demo or transcript reads the same any day; "
        "the live bot ignores it",
    )
    log_level: str = Field("INFO", description="Python logging level")

    telegram_token: SecretStr | None = Field(None, description="Bot token from @BotFather; enables Telegram")
    telegram_api_url: str | None = Field(
        None, description="Bot API base URL (a self-hosted Bot API server, or the tests' fake)"
    )
    telegram_webhook_url: str | None = Field(
        None, description="Public HTTPS URL of the webhook; when set, webhook mode replaces long polling"
    )
    telegram_webhook_secret: SecretStr | None = Field(
        None, description="Secret token Telegram sends with each webhook request (derived when unset)"
    )
    port: int = Field(
        8080,
        validation_alias=AliasChoices("PORT", "CIVICBOT_PORT"),
        description="HTTP port for webhook mode (PORT, as Procfile hosts set it)",
    )

    discord_token: SecretStr | None = Field(None, description="Bot token from the Discord developer portal")
    discord_guild_ids: Annotated[list[int], NoDecode] = Field(
        default_factory=list, description="Sync slash commands to these servers only (fast development)"
    )
    discord_organizer_role: str | None = Field(None, description="Members with this role are organizers")

    _split = field_validator("admins", "discord_guild_ids", mode="before")(_split_commas)

    _rates = field_validator(
        "flood_limit", "flood_private_limit", "flood_organizer_limit", "flood_community_limit"
    )(_rate_limit)

    @cached_property
    def outbox_rate_table(self) -> dict[str, float]:
        rates = {}
        for item in self.outbox_rates.split(","):
            platform, _, rate = item.partition(":")
            if platform.strip() and rate.strip():
                rates[platform.strip()] = float(rate)
        return rates

    @cached_property
    def admin_identities(self) -> frozenset[str]:
        return frozenset(a.strip() for a in self.admins)
