"""SQL statements per request: the table view at page sizes 5, 50 and 200 (the API caps at 100),
and every read of bench/reads.py at 5, 50 and 100.

    python -m bench.statements            # needs `python -m bench.seed` first

Runs the app in this process over the bench database and counts every statement sent to
PostgreSQL for one request, sign-in included: the table view with the fast path on and off,
the other reads as the server runs them (fast path on; they do not take it). Each request is
sent once uncounted first, so what a server reads once (settings, the id key) is not counted.
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Mapping
from typing import Any

import httpx
from sqlalchemy import event

from bench import database, documents, seeded
from config.settings import Settings
from graph.ids import to_global_id
from workcloud.server import create_app

SIZES = (5, 50, 200)
READ_SIZES = (5, 50, 100)
TARGET = 6

Bodies = Mapping[tuple[str, int], dict[str, Any]]


async def count(fast: bool, bodies: Bodies, token: str | None) -> tuple[dict[Any, int], str]:
    """Statements per request of each body, by its key; and the token it signed in with."""
    settings = Settings(
        database_url=database.url(),
        broadcast_url="memory://",
        deadline_reminder_interval=0,
        planned_reads=fast,
    )
    app = create_app(settings)
    counts: dict[Any, int] = {}
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
            headers = {"Authorization": f"Bearer {token}"}
            for body in bodies.values():  # once uncounted: what a server reads once, it has read
                await client.post("/graphql", json=body, headers=headers)
            for key, body in bodies.items():
                seen: list[str] = []

                def statement(
                    _c: Any, _cur: Any, sql: str, *_rest: Any, seen: list[str] = seen
                ) -> None:
                    seen.append(sql)

                event.listen(engine, "before_cursor_execute", statement)
                try:
                    response = await client.post("/graphql", json=body, headers=headers)
                finally:
                    event.remove(engine, "before_cursor_execute", statement)
                assert "errors" not in response.json(), response.text[:500]
                counts[key] = len(seen)
    return counts, token


def read_bodies(rows: seeded.Seeded, size: int) -> dict[str, dict[str, Any]]:
    """Each read of bench/reads.py with `size` as its page size (the detail page's events and
    comments, the lobby's notifications, the table view's cases, the list's customers)."""
    return {
        "detail page": documents.detail_page(to_global_id("Case", rows.case_pk), size),
        "lobby": documents.lobby(size),
        "table view with tasks": documents.table_view_with_tasks(
            to_global_id("CaseStatus", rows.status_pk), size
        ),
        "customers list": documents.customers(size),
    }


async def run() -> str:
    rows = await seeded.find()
    status_id = to_global_id("CaseStatus", rows.status_pk)
    table_view = {("table view", size): documents.table_view(status_id, size) for size in SIZES}
    reads = {
        (name, size): body for size in READ_SIZES for name, body in read_bodies(rows, size).items()
    }
    fast, token = await count(True, {**table_view, **reads}, None)
    normal, _ = await count(False, table_view, token)
    lines = [
        f"Statements per table-view request (status {seeded.STATUS}, by deadline), sign-in included",
        "",
        "| page size asked | fast path | normal execution | target |",
        "|---:|---:|---:|---:|",
    ]
    for size in SIZES:
        key = ("table view", size)
        lines.append(f"| {size} | {fast[key]} | {normal[key]} | <= {TARGET}, same at every size |")
    lines += [
        "",
        "Statements per request of every read, sign-in included, by page size asked",
        "",
        "| read | " + " | ".join(str(s) for s in READ_SIZES) + " | the same at every size |",
        "|---|" + "---:|" * len(READ_SIZES) + "---|",
    ]
    names = list(read_bodies(rows, 1))
    for name in names:
        counts = [fast[(name, size)] for size in READ_SIZES]
        same = "yes" if len(set(counts)) == 1 else "no"
        lines.append(f"| {name} | " + " | ".join(str(c) for c in counts) + f" | {same} |")
    return "\n".join(lines)


def main() -> None:
    argparse.ArgumentParser(
        prog="python -m bench.statements",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    ).parse_args()
    print(asyncio.run(run()))


if __name__ == "__main__":
    main()
