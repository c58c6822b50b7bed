"""Renaming a customer with about 2,000 cases: the time of `updateCustomer` over HTTP.

    python -m bench.rename                    # needs `python -m bench.seed` first
    python -m bench.rename --cases 2000 --renames 20

The seeded customers have a few dozen cases each, so for the measurement one of them is
given `--cases` cases taken from others; afterwards those cases get back their customer
and their search text, as they were. Each rename refreshes the search text of every
case of the customer in the same transaction (`refresh_search_text_where`).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time

import asyncpg
import httpx

from bench import database, machine, servers
from bench.answers import sign_in

RENAME = """mutation($input: UpdateCustomerInput!) { updateCustomer(input: $input) {
  customer { id name } userErrors { field message code } } }"""
CUSTOMER_ID = """query($search: String!) { customers(search: $search, first: 1) {
  edges { node { id name } } } }"""


async def _lend_cases(name: str, cases: int) -> tuple[int, str, list[tuple[int, int, str]]]:
    """Gives one customer `cases` cases of others; returns it and what to give back."""
    connection = await asyncpg.connect(database.dsn(name))
    try:
        customer_id, customer_name = await connection.fetchrow(
            "SELECT id, name FROM customers ORDER BY id LIMIT 1"
        )
        lent = await connection.fetch(
            "SELECT id, customer_id, search_text FROM cases"
            " WHERE customer_id IS NOT NULL AND customer_id <> $1 ORDER BY id LIMIT $2",
            customer_id,
            cases,
        )
        await connection.execute(
            "UPDATE cases SET customer_id = $1 WHERE id = ANY($2::bigint[])",
            customer_id,
            [row["id"] for row in lent],
        )
        return customer_id, customer_name, [tuple(row) for row in lent]
    finally:
        await connection.close()


async def _give_back(name: str, customer_name: str, lent: list[tuple[int, int, str]]) -> None:
    connection = await asyncpg.connect(database.dsn(name))
    try:
        await connection.executemany(
            "UPDATE cases SET customer_id = $2, search_text = $3 WHERE id = $1", lent
        )
        await connection.execute(
            "UPDATE customers SET name = $1 WHERE id = (SELECT id FROM customers ORDER BY id LIMIT 1)",
            customer_name,
        )
    finally:
        await connection.close()


async def _count(name: str, customer_id: int) -> tuple[int, int]:
    connection = await asyncpg.connect(database.dsn(name))
    try:
        total = int(await connection.fetchval("SELECT count(*) FROM cases"))
        own = int(
            await connection.fetchval(
                "SELECT count(*) FROM cases WHERE customer_id = $1", customer_id
            )
        )
        return total, own
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.rename", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--database", default=database.NAME)
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--renames", type=int, default=20)
    args = parser.parse_args()
    customer_pk, customer_name, lent = asyncio.run(_lend_cases(args.database, args.cases))
    try:
        total, own = asyncio.run(_count(args.database, customer_pk))
        times = []
        with (
            servers.ours(database.url(args.database)) as server,
            httpx.Client(timeout=60) as client,
        ):
            token = sign_in(server.url)
            headers = {"Authorization": f"Bearer {token}"}
            found = client.post(
                server.url, json={"query": CUSTOMER_ID, "variables": {"search": customer_name}},
                headers=headers,
            ).json()  # fmt: skip
            customer_id = found["data"]["customers"]["edges"][0]["node"]["id"]
            for i in range(args.renames + 2):
                body = {
                    "query": RENAME,
                    "variables": {"input": {"id": customer_id, "name": f"{customer_name} {i}"}},
                }
                started = time.perf_counter()
                answer = client.post(server.url, json=body, headers=headers).json()
                elapsed = (time.perf_counter() - started) * 1000
                if answer.get("errors") or answer["data"]["updateCustomer"]["userErrors"]:
                    raise SystemExit(f"rename failed: {answer}")
                if i >= 2:  # the first two warm the server up
                    times.append(elapsed)
    finally:
        asyncio.run(_give_back(args.database, customer_name, lent))
    print(
        f"\nRenaming a customer with {own:,} cases at {total:,} cases, {args.renames} renames over HTTP — {machine.describe()}\n"
    )
    print("| p50 ms | max ms |")
    print("|---:|---:|")
    print(f"| {statistics.median(times):.0f} | {max(times):.0f} |")


if __name__ == "__main__":
    main()
