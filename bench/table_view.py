"""The table view over HTTP at 1, 8 and 32 connections: ours against the floor and the peer.

    python -m bench.table_view                     # needs `python -m bench.seed` first
    python -m bench.table_view --seconds 20 --connections 1,8,32,64

Starts three servers on this machine, one process each: ours (one uvicorn worker, over the
bench database), the bare-Strawberry floor (in-memory data) and PostGraphile v5 (over the
same database); checks each answers the page without errors; then runs `wrk` against each
in turn, interleaved per connection count so drift on a shared machine hits all alike.
Ratios are from the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import answers, database, documents, interleaved, load, machine, seeded, servers
from graph.ids import to_global_id


def check(url: str, body: dict[str, Any], token: str | None, edges_at: list[str]) -> int:
    """The response is a full page without errors; returns its size in bytes."""
    answer = answers.ask(url, body, token)
    node: Any = answer.data
    for key in edges_at:
        node = node[key]
    if len(node) != body["variables"]["first"]:
        raise SystemExit(f"{url} answered {len(node)} edges, not a full page")
    return answer.size


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.table_view",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", default="1,8,32")
    parser.add_argument("--servers", default="ours,floor,peer")
    parser.add_argument("--page", type=int, default=50)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    levels = [int(c) for c in args.connections.split(",")]
    names = args.servers.split(",")

    tenant_pk, status_pk = asyncio.run(seeded.table_view_keys())
    ours_body = documents.table_view(to_global_id("CaseStatus", status_pk), args.page)
    floor_body = documents.table_view("any", args.page)
    peer_body = documents.peer_table_view(tenant_pk, status_pk, args.page)

    results: dict[str, list[load.Load]] = {}
    cpu: dict[tuple[str, int], float] = {}
    sizes: dict[str, int] = {}
    with ExitStack() as stack:
        targets: list[interleaved.Target] = []
        if "ours" in names:
            server = stack.enter_context(servers.ours(database.url()))
            token = answers.sign_in(server.url)
            sizes["ours"] = check(server.url, ours_body, token, ["cases", "edges"])
            targets.append(interleaved.Target("ours", server, load.lua_script(ours_body, token)))
        if "floor" in names:
            server = stack.enter_context(servers.floor())
            sizes["floor"] = check(server.url, floor_body, None, ["cases", "edges"])
            targets.append(interleaved.Target("floor", server, load.lua_script(floor_body, None)))
        if "peer" in names:
            server = stack.enter_context(servers.peer(database.dsn()))
            sizes["peer"] = check(server.url, peer_body, None, ["allCases", "edges"])
            targets.append(interleaved.Target("peer", server, load.lua_script(peer_body, None)))
        for m in interleaved.run(targets, levels, args.seconds):
            results.setdefault(m.name, []).append(m.load)
            cpu[(m.name, m.load.connections)] = m.cpu_ms / 1000

    print()
    print(report(results, sizes, cpu, args))
    if args.json:
        args.json.write_text(
            json.dumps({n: [r.__dict__ for r in rs] for n, rs in results.items()}, indent=1)
        )


LABELS = {
    "ours": "ours (1 uvicorn worker)",
    "floor": "bare Strawberry floor",
    "peer": "PostGraphile v5",
}


def report(
    results: dict[str, list[load.Load]],
    sizes: dict[str, int],
    cpu: dict[tuple[str, int], float],
    args: argparse.Namespace,
) -> str:
    lines = [
        f"Table view, page of {args.page}, {args.seconds:g} s per run — {machine.describe()}",
        "",
        "| server | connections | req/s | p50 ms | p99 ms | errors | server CPU ms / request | response bytes |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, rows in results.items():
        for r in rows:
            lines.append(
                f"| {LABELS[name]} | {r.connections} | {r.requests_per_second:.1f} | {r.p50_ms:.1f} "
                f"| {r.p99_ms:.1f} | {r.errors} | {cpu[(name, r.connections)] * 1000:.1f} | {sizes[name]:,} |"
            )
    if "ours" in results:
        lines += [
            "",
            "| connections | ours / PostGraphile (target >= 1.0) | ours / floor (target >= 0.5) |",
            "|---:|---:|---:|",
        ]
        for i, r in enumerate(results["ours"]):
            peer = results.get("peer", [])
            floor = results.get("floor", [])
            vs_peer = f"{r.requests_per_second / peer[i].requests_per_second:.2f}" if peer else "-"
            vs_floor = (
                f"{r.requests_per_second / floor[i].requests_per_second:.2f}" if floor else "-"
            )
            lines.append(f"| {r.connections} | {vs_peer} | {vs_floor} |")
    lines.append(f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
