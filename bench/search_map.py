"""Search and map: p50 and p95 of `cases(search:)` and `cases(filter: {within:})` over HTTP.

    python -m bench.search_map                        # needs `python -m bench.seed` first
    python -m bench.search_map --database workcloud_bench_1m --requests 200

One request at a time against one uvicorn worker, so the figures are latencies, not
throughput. Search asks for the table view (a page of 50); the map asks for what a map
draws (up to 100 pins: id, number, title, status colour, location).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import asyncpg
import httpx

from bench import database, documents, machine, servers
from bench.answers import sign_in

MAP = """query Map($within: BoundingBox!) {
  cases(filter: {within: $within}, first: 100) {
    edges { node { id number title status { color } location { lat lng } } } } }"""

SEARCHES = [
    ("4 chars, selective (1 case in 1,000)", "kond"),
    ("4 chars, unselective (1 in 16)", "läck"),
    ("a customer's name", "solbacken"),
    ("a whole rare word", "kondensvatten"),
    ("nothing matches", "xyzzy"),
]
BOXES = [
    (
        "Göteborg, city (about 10 km)",
        {"south": 57.66, "west": 11.88, "north": 57.76, "east": 12.06},
    ),
    ("Stockholm region (about 60 km)", {"south": 59.05, "west": 17.6, "north": 59.6, "east": 18.6}),
    ("Kiruna (few cases)", {"south": 67.7, "west": 19.9, "north": 68.0, "east": 20.6}),
    ("the sea off Gotland (none)", {"south": 56.0, "west": 19.5, "north": 56.5, "east": 20.5}),
]


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(
    client: httpx.Client, url: str, body: dict[str, Any], token: str, n: int
) -> tuple[float, float, int]:
    headers = {"Authorization": f"Bearer {token}"}
    found = 0
    for _ in range(5):
        answer = client.post(url, json=body, headers=headers).json()
        if answer.get("errors"):
            raise SystemExit(f"errors: {answer['errors']}")
        found = len(answer["data"]["cases"]["edges"])
    times = []
    for _ in range(n):
        started = time.perf_counter()
        client.post(url, json=body, headers=headers).raise_for_status()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), _percentile(times, 95), found


async def _case_count(name: str) -> int:
    connection = await asyncpg.connect(database.dsn(name))
    try:
        return int(await connection.fetchval("SELECT count(*) FROM cases"))
    finally:
        await connection.close()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.search_map", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--database", default=database.NAME)
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    cases = asyncio.run(_case_count(args.database))
    rows = []
    with servers.ours(database.url(args.database)) as server, httpx.Client(timeout=60) as client:
        token = sign_in(server.url)
        for label, term in SEARCHES:
            body = {"query": documents.TABLE_VIEW, "variables": {"search": term, "first": 50}}
            rows.append(
                (
                    "search",
                    label,
                    f"`{term}`",
                    *timed(client, server.url, body, token, args.requests),
                )
            )
        for label, box in BOXES:
            body = {"query": MAP, "variables": {"within": box}}
            rows.append(("map", label, "", *timed(client, server.url, body, token, args.requests)))
    print(
        f"\nSearch and map over HTTP at {cases:,} cases, {args.requests} requests each, one at a time — {machine.describe()}\n"
    )
    print("| kind | what | term | p50 ms | p95 ms | cases returned |")
    print("|---|---|---|---:|---:|---:|")
    for kind, label, term, p50, p95, found in rows:
        print(f"| {kind} | {label} | {term} | {p50:.1f} | {p95:.1f} | {found} |")


if __name__ == "__main__":
    main()
