"""Periodic jobs of a server instance: deadline reminders, SLA warnings and breaches."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy.exc import SQLAlchemyError

from bus.event_bus import EventBus
from db.engine import Database
from domain.deadline_reminders import send_due_reminders
from domain.sla.alerts import send_due_alerts

log = logging.getLogger("workcloud.scheduler")


async def remind_once(db: Database, bus: EventBus) -> int:
    """One pass: create due reminders in one transaction, then publish them."""
    async with bus.publishing(db, None) as session:
        created = await send_due_reminders(session)
    return created


async def check_sla_once(db: Database, bus: EventBus) -> int:
    """One sweep: claim and tell due SLA warnings and breaches in one transaction, then
    publish them."""
    async with bus.publishing(db, None) as session:
        claimed = await send_due_alerts(session)
    return claimed


class Scheduler:
    def __init__(
        self, db: Database, bus: EventBus, interval: float, sla_interval: float = 0.0
    ) -> None:
        self._db = db
        self._bus = bus
        self._jobs: list[tuple[str, float, Callable[[Database, EventBus], Awaitable[int]]]] = [
            ("deadline-reminders", interval, remind_once),
            ("sla-alerts", sla_interval, check_sla_once),
        ]
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        for name, interval, job in self._jobs:
            if interval > 0:
                self._tasks.append(asyncio.create_task(self._run(name, interval, job), name=name))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks.clear()

    async def _run(
        self, name: str, interval: float, job: Callable[[Database, EventBus], Awaitable[int]]
    ) -> None:
        while True:
            try:
                await job(self._db, self._bus)
            except (SQLAlchemyError, OSError) as error:
                log.warning("%s failed this round: %r", name, error)
            await asyncio.sleep(interval)
