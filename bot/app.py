"""The composition root of the engine side: database, engine, runtime and deadline scheduler, started and
stopped in the right order. Adapters attach to `app.runtime`."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.deadlines import Deadlines
from bot.dispatcher import Dispatcher
from bot.engine import Engine
from bot.feature import Feature
from bot.features import FEATURES
from bot.runtime import Runtime
from config.settings import Settings
from storage.database import Database


@dataclass
class App:
    settings: Settings
    db: Database
    engine: Engine
    runtime: Runtime
    deadlines: Deadlines
    dispatcher: Dispatcher

    @classmethod
    def build(
        cls,
        settings: Settings,
        *,
        clock: Clock | None = None,
        edit_interval: float | None = None,
        features: Iterable[Feature] = FEATURES,
    ) -> App:
        db = Database(settings.database_url, key_dir=settings.key_dir)
        engine = Engine(db, settings, clock=clock, features=features)
        runtime = Runtime(engine, edit_interval=edit_interval)
        dispatcher = Dispatcher(
            runtime, rates=settings.outbox_rate_table, lease=timedelta(seconds=settings.outbox_lease)
        )
        return cls(settings, db, engine, runtime, Deadlines(runtime), dispatcher)

    async def start(self, *, scheduler: bool = True, dispatcher: bool = True) -> None:
        """Migrate, start the engine, start the deadline runner (what fell due while down runs now), and
        start draining the outbox. A process with platforms starts the runner itself once they can deliver
        (`scheduler=False`, then `deadlines.start()`), so a missed deadline's edits are not dropped."""
        await self.db.migrate()
        await self.engine.start()
        self.engine.outbox_changed = self.dispatcher.wake
        if scheduler:
            await self.deadlines.start()
        if dispatcher:
            self.dispatcher.start()

    async def stop(self) -> None:
        await self.deadlines.stop()
        await self.dispatcher.stop()
        await self.runtime.close()
        await self.engine.stop()
        await self.db.dispose()
