"""The composition root of the engine side: database, engine, runtime and deadline scheduler, started and
stopped in the right order. Adapters attach to `app.runtime`."""

from __future__ import annotations

from dataclasses import dataclass

from bot.clock import Clock
from bot.deadlines import Deadlines
from bot.engine import Engine
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

    @classmethod
    def build(
        cls, settings: Settings, *, clock: Clock | None = None, edit_interval: float | None = None
    ) -> App:
        db = Database(settings.database_url)
        engine = Engine(db, settings, clock=clock)
        runtime = Runtime(engine, edit_interval=edit_interval)
        return cls(settings, db, engine, runtime, Deadlines(runtime))

    async def start(self, *, scheduler: bool = True) -> None:
        """Migrate, start the engine, then derive the deadline jobs (what fell due while down runs now)."""
        from bot.dates import warm_up

        await self.db.migrate()
        await self.engine.start()
        warm_up()
        if scheduler:
            await self.deadlines.start()

    async def stop(self) -> None:
        await self.deadlines.stop()
        await self.runtime.close()
        await self.engine.stop()
        await self.db.dispose()
