"""The live table view: one `updateCase`, 1,000 `caseChanged` subscribers, each its own filter.

    python -m bench.case_changed                  # needs `python -m bench.seed` first
    python -m bench.case_changed --subscribers 1000 --rounds 30

The subscribers live in their own process (bench/subscribers.py), 200 viewers round-robin,
each with a different `CaseFilter` that the changed case matches (status, priority, type,
open, and a deadline bound of its own), so the server matches every view and no two views
ask the same. Per round: from the moment `updateCase` answers (its transaction has
committed) until the last of the subscribers has the change; p50, p99 and max over the
rounds, and the same from the moment the mutation was sent.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from contextlib import ExitStack
from typing import Any

import asyncpg
import httpx

from bench import database, machine, servers
from bench.fanout import Subscribers, _percentile, _settle, raise_file_limit
from graph.ids import to_global_id

CASE_CHANGED = """subscription($filter: CaseFilter) {
  caseChanged(filter: $filter) { id kind caseId at case { id number title
    status { name } priority { name } assignedUsers { name } } } }"""
UPDATE_CASE = """mutation($input: UpdateCaseInput!) { updateCase(input: $input) {
  case { id } userErrors { field message } } }"""


async def _the_case(tokens_tenant: int) -> tuple[str, list[dict[str, Any]]]:
    """A case of the viewers' tenant with a status, priority, type and deadline, and one
    filter per subscriber that it matches, no two alike."""
    connection = await asyncpg.connect(database.dsn())
    try:
        case = await connection.fetchrow(
            """SELECT c.id, c.status_id, c.priority_id, c.type_id FROM cases c
               JOIN case_statuses s ON s.id = c.status_id
               WHERE c.tenant_id = $1 AND NOT s.closed AND c.deadline IS NOT NULL
                 AND c.priority_id IS NOT NULL AND c.type_id IS NOT NULL
               ORDER BY c.id LIMIT 1""",
            tokens_tenant,
        )
        if case is None:
            raise SystemExit("no open case with a deadline: run `python -m bench.seed` first")
        statuses = [r[0] for r in await connection.fetch(
            "SELECT id FROM case_statuses WHERE tenant_id = $1 ORDER BY id", tokens_tenant)]  # fmt: skip
    finally:
        await connection.close()
    await database.use_id_key()
    others = [s for s in statuses if s != case["status_id"]]
    filters = []
    for i in range(10_000):
        given: dict[str, Any] = {
            "statusIds": [
                to_global_id("CaseStatus", s) for s in [case["status_id"], *others[: i % 4]]
            ],
            # A bound of its own per view: years 2100 to 12099 are all after the deadline.
            "deadlineBefore": f"{2100 + i % 7900:04d}-{1 + i // 7900:02d}-01T00:00:00Z",
        }
        if i % 2:
            given["priorityIds"] = [to_global_id("CasePriority", case["priority_id"])]
        if i % 3 == 0:
            given["typeIds"] = [to_global_id("CaseType", case["type_id"])]
        if i % 5 == 0:
            given["open"] = True
        filters.append({"filter": given})
    return to_global_id("Case", int(case["id"])), filters


def _tenant_of(token_rows: list[tuple[int, str, str]]) -> int:
    async def read() -> int:
        connection = await asyncpg.connect(database.dsn())
        try:
            tenant: int = await connection.fetchval(
                "SELECT tenant_id FROM users WHERE id = $1", token_rows[0][0]
            )
            return tenant
        finally:
            await connection.close()

    return asyncio.run(read())


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.case_changed", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    raise_file_limit()
    tokens = asyncio.run(database.mint_tokens(201))
    case_id, filters = asyncio.run(_the_case(_tenant_of(tokens)))
    committed: list[float] = []
    sent_to_last: list[float] = []
    with ExitStack() as stack:
        server = stack.enter_context(servers.ours(database.url(), max_connections_per_viewer="100"))
        subscribers = Subscribers(
            server.url, [t[2] for t in tokens[1:]], args.subscribers, CASE_CHANGED, {},
            filters[: args.subscribers],
        )  # fmt: skip
        http = stack.enter_context(httpx.Client(timeout=60))
        try:
            _settle(server.pid)
            for i in range(args.rounds + 3):
                subscribers.arm()
                sent = time.monotonic()
                answer = http.post(
                    server.url,
                    json={"query": UPDATE_CASE, "variables": {"input": {
                        "id": case_id, "title": f"Tabellvyn, runda {i}: fuktskada i källaren"}}},
                    headers={"Authorization": f"Bearer {tokens[0][2]}"},
                ).json()  # fmt: skip
                answered = time.monotonic()
                if answer.get("errors") or answer["data"]["updateCase"]["userErrors"]:
                    raise SystemExit(f"updateCase failed: {answer}")
                got = subscribers.deliveries()
                lost = got["missing"] + got["failed"]
                if lost:
                    raise SystemExit(f"{lost} subscribers got nothing: {got['failures']}")
                if i >= 3:  # the first rounds warm caches and pools
                    committed.append((got["times"][-1] - answered) * 1000)
                    sent_to_last.append((got["times"][-1] - sent) * 1000)
                time.sleep(0.3)
        finally:
            subscribers.close()
    print(
        f"\ncaseChanged: one updateCase to {args.subscribers:,} views with different filters, "
        f"{len(committed)} rounds — {machine.describe()}\n"
    )
    print("| from | p50 ms | p99 ms | max ms |")
    print("|---|---:|---:|---:|")
    for name, values in [("commit (response)", committed), ("request sent", sent_to_last)]:
        print(
            f"| {name} to the {args.subscribers:,}th subscriber | {_percentile(values, 50):.1f} "
            f"| {_percentile(values, 99):.1f} | {max(values):.1f} |"
        )


if __name__ == "__main__":
    main()
