"""Every read against PostGraphile over HTTP: the detail page, the lobby, the table view with
tasks and the customer list, and the table view on its fast path for reference.

    python -m bench.reads                          # needs `python -m bench.seed` first
    python -m bench.reads --seconds 5 --connections 1,8 --reads lobby,customers
    python -m bench.reads --profile /tmp/reads     # also py-spy on ours under wrk, per read
    python -m bench.reads --profile /tmp/reads --native --connections 1   # with C frames

Starts ours (one uvicorn worker, over the bench database) and PostGraphile v5 (over the same
database) once for every read. Per read: checks that both answer without errors and with the
same number of items (objects in lists: edges, join rows, assigned users, changes, mentions),
then runs `wrk` against each in turn at every connection count. Server CPU per request is the
server process's alone (/proc utime + stime before and after each run); the CPU of the
PostgreSQL backends on the bench database is given apart, since PostGraphile builds its JSON
in PostgreSQL. Ratios are from the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import answers, database, documents, interleaved, load, machine, samples, seeded, servers
from graph.ids import to_global_id


@dataclass(frozen=True)
class Read:
    key: str
    label: str
    ours: dict[str, Any]
    peer: dict[str, Any]


@dataclass(frozen=True)
class Result:
    read: Read
    items: int
    sizes: tuple[int, int]  # response bytes, ours and the peer's
    measured: list[interleaved.Measured]
    profile: str | None


def reads(rows: seeded.Seeded) -> list[Read]:
    status = to_global_id("CaseStatus", rows.status_pk)
    return [
        Read(
            "detail", "detail page (30 events, 30 comments)",
            documents.detail_page(to_global_id("Case", rows.case_pk), 30),
            documents.peer_detail_page(rows.case_pk, 30),
        ),
        Read("lobby", "lobby (50 notifications)", documents.lobby(50),
             documents.peer_lobby(rows.viewer_pk, 50)),
        Read(
            "tasks", "table view with tasks (50 cases)",
            documents.table_view_with_tasks(status, 50),
            documents.peer_table_view_with_tasks(rows.tenant_pk, rows.status_pk, 50),
        ),
        Read("customers", "customers list (50, 10 objects each)", documents.customers(50),
             documents.peer_customers(rows.tenant_pk, 50)),
        Read(
            "table", "table view, fast path (50 cases)", documents.table_view(status, 50),
            documents.peer_table_view(rows.tenant_pk, rows.status_pk, 50),
        ),
    ]  # fmt: skip


def profile(target: interleaved.Target, path: Path, seconds: float, native: bool) -> str:
    """py-spy on the server while wrk runs at 4 connections; the samples by library.

    Only samples holding the GIL: the server's Python work, not its idle threads. `native`
    adds C frames (the garbage collector shows), at the price of far fewer requests.
    """
    command = [samples.py_spy(), "record", "--gil", "-r", "200", "-d", f"{max(1, round(seconds))}"]
    command += ["--format", "raw", "-o", str(path), "--pid", str(target.server.pid)]
    command += ["--native"] if native else []
    spy = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        load.run(target.server.url, target.script, 4, seconds)
    finally:
        spy.wait(60)
    return samples.summary(path)


def measure(read: Read, ours: servers.Server, peer: servers.Server, token: str,
            levels: list[int], args: argparse.Namespace) -> Result:  # fmt: skip
    mine, theirs = answers.ask(ours.url, read.ours, token), answers.ask(peer.url, read.peer, None)
    if mine.items != theirs.items:
        raise SystemExit(f"{read.label}: ours answered {mine.items} items, the peer {theirs.items}")
    targets = [
        interleaved.Target("ours", ours, load.lua_script(read.ours, token)),
        interleaved.Target("peer", peer, load.lua_script(read.peer, None)),
    ]
    measured = interleaved.run(targets, levels, args.seconds, label=f"{read.key:<9} ")
    spied = None
    if args.profile is not None:
        args.profile.mkdir(parents=True, exist_ok=True)
        raw = args.profile / f"{read.key}.txt"
        spied = profile(targets[0], raw, args.seconds, args.native)
    return Result(read, mine.items, (mine.size, theirs.size), measured, spied)


def report(results: list[Result], args: argparse.Namespace) -> str:
    lines = [
        f"Every read against PostGraphile, {args.seconds:g} s per run — {machine.describe()}",
        "",
        "| read | items (both) | ours bytes | PostGraphile bytes |",
        "|---|---:|---:|---:|",
    ]
    for r in results:
        lines.append(f"| {r.read.label} | {r.items:,} | {r.sizes[0]:,} | {r.sizes[1]:,} |")
    lines += [
        "",
        "| read | connections | ours req/s | PostGraphile req/s | ours / PostGraphile "
        "| ours p50 / p99 ms | PostGraphile p50 / p99 ms | errors | ours CPU ms / request "
        "| PostGraphile CPU ms / request | PostgreSQL CPU ms / request (ours; PostGraphile's) |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in results:
        ours = [m for m in r.measured if m.name == "ours"]
        peer = [m for m in r.measured if m.name == "peer"]
        for o, p in zip(ours, peer, strict=True):
            a, b = o.load, p.load
            lines.append(
                f"| {r.read.label} | {a.connections} | {a.requests_per_second:.1f} "
                f"| {b.requests_per_second:.1f} | {a.requests_per_second / b.requests_per_second:.2f} "
                f"| {a.p50_ms:.1f} / {a.p99_ms:.1f} | {b.p50_ms:.1f} / {b.p99_ms:.1f} "
                f"| {a.errors + b.errors} | {o.cpu_ms:.1f} | {p.cpu_ms:.1f} "
                f"| {o.database_cpu_ms:.1f}; {p.database_cpu_ms:.1f} |"
            )
    profiled = [r for r in results if r.profile]
    if profiled:
        lines += ["", "py-spy on ours under wrk -c4, samples by the innermost frame's library:", ""]
        lines += [f"- {r.read.label}: {r.profile}" for r in profiled]
    lines.append(f"\n{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(
        prog="python -m bench.reads",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--connections", default="1,8,32")
    parser.add_argument("--reads", default="detail,lobby,tasks,customers,table")
    parser.add_argument("--profile", type=Path, help="py-spy's raw stacks of ours per read here")
    parser.add_argument("--native", action="store_true", help="profile with C frames too")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    levels = [int(c) for c in args.connections.split(",")]
    wanted = args.reads.split(",")

    rows = asyncio.run(seeded.find())
    chosen = [r for r in reads(rows) if r.key in wanted]
    results = []
    with ExitStack() as stack:
        ours = stack.enter_context(servers.ours(database.url()))
        peer = stack.enter_context(servers.peer(database.dsn()))
        token = answers.sign_in(ours.url)
        for read in chosen:
            results.append(measure(read, ours, peer, token, levels, args))

    print()
    print(report(results, args))
    if args.json:
        figures = {
            r.read.key: [{"server": m.name, **m.load.__dict__, "cpu_ms": m.cpu_ms,
                          "database_cpu_ms": m.database_cpu_ms} for m in r.measured]
            for r in results
        }  # fmt: skip
        args.json.write_text(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
