"""Readiness: /health says what is down; once the database is up the schema is migrated and
the id key loaded.

An instance starts even while PostgreSQL or Redis cannot be reached: it answers 503 with
the reason, keeps trying, and becomes ready without a restart when they come back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from graph.context import Services
from graph.errors import is_outage
from graph.id_key import load_id_key

log = logging.getLogger("workcloud.health")

RETRY_SECONDS = 1.0


class Readiness:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.migrated = False
        self._migrating: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """Migrates now if the database is there; otherwise keeps trying in the background."""
        try:
            await self._migrate()
            self.migrated = True
        except Exception as error:
            if not is_outage(error):
                raise
            log.error("database unreachable at start-up, retrying: %s", type(error).__name__)
            self._migrating = asyncio.create_task(self._migrate_when_reachable())

    async def _migrate_when_reachable(self) -> None:
        while not self.migrated:
            await asyncio.sleep(RETRY_SECONDS)
            try:
                await self._migrate()
                self.migrated = True
                log.info("database reachable again; schema migrated")
            except Exception as error:
                if not is_outage(error):
                    log.exception("migration failed")

    async def _migrate(self) -> None:
        await self.services.db.migrate()
        # Nothing can render an id before this; it reads the key made by the migration.
        await load_id_key(self.services.db, self.services.settings.id_key)

    async def stop(self) -> None:
        if self._migrating is not None:
            self._migrating.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._migrating

    async def problems(self) -> dict[str, str]:
        problems: dict[str, str] = {}
        timeout = self.services.settings.database_timeout_seconds
        try:
            await asyncio.wait_for(self.services.db.ping(), timeout)
            if not self.migrated:
                problems["database"] = "reachable, schema migration pending"
        except TimeoutError:
            problems["database"] = f"unreachable: no answer within {timeout:g} s"
        except Exception as error:
            problems["database"] = f"unreachable: {type(error).__name__}"
        if not self.services.bus.connected:
            problems["broadcast"] = "unreachable: not connected"
        return problems

    async def endpoint(self, _request: Request) -> Response:
        problems = await self.problems()
        if problems:
            return JSONResponse({"status": "unavailable", "problems": problems}, status_code=503)
        return JSONResponse({"status": "ok"})
