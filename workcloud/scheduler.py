"""Periodic jobs of a server instance: deadline reminders."""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy.exc import SQLAlchemyError

from bus.event_bus import EventBus
from db.engine import Database
from domain.deadline_reminders import send_due_reminders

log = logging.getLogger("workcloud.scheduler")


async def remind_once(db: Database, bus: EventBus) -> int:
    """One pass: create due reminders in one transaction, then publish them."""
    async with bus.publishing(db, None) as session:
        created = await send_due_reminders(session)
    return created


class Scheduler:
    def __init__(self, db: Database, bus: EventBus, interval: float) -> None:
        self._db = db
        self._bus = bus
        self._interval = interval
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        if self._interval > 0:
            self._task = asyncio.create_task(self._run(), name="deadline-reminders")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        while True:
            try:
                await remind_once(self._db, self._bus)
            except (SQLAlchemyError, OSError) as error:
                log.warning("deadline reminders failed this round: %r", error)
            await asyncio.sleep(self._interval)
