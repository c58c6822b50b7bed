"""SQL statements per table-view request at page sizes 5, 50 and 200 (the API caps at 100).

    python -m bench.statements            # needs `python -m bench.seed` first

Runs the app in this process over the bench database and counts every statement sent to
PostgreSQL for one request, sign-in included, with the fast path on and off.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

import httpx
from sqlalchemy import event

from bench import database, documents
from bench.table_view import STATUS, _bench_keys
from config.settings import Settings
from graph.ids import to_global_id
from workcloud.server import create_app

SIZES = (5, 50, 200)
TARGET = 6


async def count(fast: bool, body_for: Any, token: str | None) -> tuple[dict[int, int], str]:
    settings = Settings(
        database_url=database.url(),
        broadcast_url="memory://",
        deadline_reminder_interval=0,
        table_view_fast_path=fast,
    )
    app = create_app(settings)
    counts: dict[int, int] = {}
    async with app.router.lifespan_context(app):
        engine = app.state.services.db.engine.sync_engine
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            if token is None:
                answer = await client.post(
                    "/graphql",
                    json={
                        "query": "mutation($e: String!, $p: String!) { login(email: $e, password: $p) { token } }",
                        "variables": {"e": database.ADMIN_EMAIL, "p": database.PASSWORD},
                    },
                )
                token = str(answer.json()["data"]["login"]["token"])
            for size in SIZES:
                seen: list[str] = []

                def statement(
                    _c: Any, _cur: Any, sql: str, *_rest: Any, seen: list[str] = seen
                ) -> None:
                    seen.append(sql)

                event.listen(engine, "before_cursor_execute", statement)
                try:
                    response = await client.post(
                        "/graphql",
                        json=body_for(size),
                        headers={"Authorization": f"Bearer {token}"},
                    )
                finally:
                    event.remove(engine, "before_cursor_execute", statement)
                assert "errors" not in response.json(), response.text[:500]
                counts[size] = len(seen)
    return counts, token


async def run() -> str:
    _tenant, status_pk = await _bench_keys()
    status_id = to_global_id("CaseStatus", status_pk)

    def body_for(size: int) -> dict[str, Any]:
        return documents.table_view(status_id, size)

    fast, token = await count(True, body_for, None)
    normal, _ = await count(False, body_for, token)
    lines = [
        f"Statements per table-view request (status {STATUS}, by deadline), sign-in included",
        "",
        "| page size asked | fast path | normal execution | target |",
        "|---:|---:|---:|---:|",
    ]
    for size in SIZES:
        lines.append(
            f"| {size} | {fast[size]} | {normal[size]} | <= {TARGET}, same at every size |"
        )
    return "\n".join(lines)


def main() -> None:
    argparse.ArgumentParser(prog="python -m bench.statements", description=__doc__).parse_args()
    print(asyncio.run(run()))


if __name__ == "__main__":
    main()
