"""Reconnect storm: N `commentAdded` subscriptions resuming with `after`, all at once, on one instance.

    python -m bench.storm                          # 10,000; needs `python -m bench.seed` first
    python -m bench.storm --subscribers 2000
    python -m bench.storm --subscribers 2000 --profile /tmp/storm   # py-spy on the server

One server (memory bus), as after a restart or a network blip: the subscriber process
(bench/subscribers.py, every socket in one process without a task per socket, 200 viewers
round-robin) opens every socket at once (at most `--opening` TCP connects in flight) and
subscribes to the busy case's comments `after` its second-newest comment, as a client resuming
does. A subscriber is live once its replay (the newest comment) has arrived. Reported: the
time from the first connect until the median and the last subscriber is live, and the server
process's CPU over that time (/proc utime + stime; PostgreSQL's not included), and how many
connections the kernel could not queue for a listening socket meanwhile. Then one
comment is added on the same server: every live subscriber must have exactly the replayed
comment and then the new one, nothing lost and nothing twice. Each run adds that comment to
the busy case.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import statistics
import subprocess
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import database, machine, samples, seeded, servers
from bench.fanout import Subscribers, add_comment, raise_file_limit
from bench.interleaved import cpu_seconds
from graph.ids import to_global_id

COMMENT_ADDED = """subscription($caseId: ID!, $after: ID) {
  commentAdded(caseId: $caseId, after: $after) { id body createdAt author { id name } } }"""


@dataclass(frozen=True)
class Storm:
    subscribers: int
    live: int
    median_s: float
    last_s: float
    cpu_s: float
    failures: dict[str, int]  # reason: how many subscriptions it ended
    listen_overflows: int  # the kernel's count, machine-wide, over the storm
    delivered: int  # of the comment added afterwards
    exact: int  # subscribers with exactly [replayed, added]
    wrong: list[Any]


async def _resume_point(case_pk: int) -> tuple[int, int]:
    """(the second-newest comment of the case, the newest): resume after the one, get the other."""
    connection = await asyncpg.connect(database.dsn())
    try:
        rows = await connection.fetch(
            "SELECT id FROM comments WHERE case_id = $1 ORDER BY id DESC LIMIT 2", case_pk
        )
    finally:
        await connection.close()
    return int(rows[1]["id"]), int(rows[0]["id"])


def listen_overflows() -> int:
    """Connections the kernel could not queue for a listening socket, since boot, machine-wide."""
    lines = Path("/proc/net/netstat").read_text().splitlines()
    for names, values in zip(lines[::2], lines[1::2], strict=True):
        if names.startswith("TcpExt:"):
            return int(dict(zip(names.split(), values.split(), strict=True))["ListenOverflows"])
    return 0


def _profiler(pid: int, path: Path | None) -> subprocess.Popen[bytes] | None:
    """py-spy on the server for the storm (samples holding the GIL, raw stacks)."""
    if path is None:
        return None
    command = [samples.py_spy(), "record", "--gil", "-r", "200", "--format", "raw", "-o", str(path)]
    spy = subprocess.Popen(
        [*command, "--pid", str(pid)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    time.sleep(1)
    return spy


def storm(
    count: int,
    opening: int,
    tokens: list[tuple[int, str, str]],
    case_pk: int,
    profile: Path | None = None,
) -> Storm:
    after_pk, newest_pk = asyncio.run(_resume_point(case_pk))
    case_id = to_global_id("Case", case_pk)
    variables = {"caseId": case_id, "after": to_global_id("Comment", after_pk)}
    viewers = [t[2] for t in tokens[1:]]
    with ExitStack() as stack:
        # 10,000 sockets of 200 viewers: 50 each, over the default per-viewer limit.
        server = stack.enter_context(servers.ours(database.url(), max_connections_per_viewer="100"))
        warm = Subscribers(server.url, viewers, 50, COMMENT_ADDED, variables, replayed=1)
        warm.close()
        time.sleep(1)
        spy = _profiler(server.pid, profile)
        cpu_before, overflows_before = cpu_seconds(server.pid), listen_overflows()
        subscribers = Subscribers(
            server.url, viewers, count, COMMENT_ADDED, variables, replayed=1, opening=opening
        )
        cpu = cpu_seconds(server.pid) - cpu_before
        overflows = listen_overflows() - overflows_before
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            spy.wait(60)
        try:
            opened = subscribers.opened
            live = [t - opened["started"] for t in opened["live"]] or [float("nan")]
            subscribers.arm()
            with httpx.Client(timeout=60) as http:
                added = add_comment(
                    server.url, tokens[0][2], case_id, f"Efter omstarten: {count} åter.", http
                )
            delivered = subscribers.deliveries()
            checked = subscribers.check([to_global_id("Comment", newest_pk), added])
        finally:
            subscribers.close()
    return Storm(
        count, opened["ready"], statistics.median(live), live[-1], cpu, opened["failures"],
        overflows, len(delivered["times"]), checked["exact"], checked["examples"],
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.storm", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--subscribers", default="10000", help="one storm per count: 2000,10000")
    parser.add_argument("--opening", type=int, default=1000, help="TCP connects in flight")
    parser.add_argument("--profile", type=Path, help="py-spy's raw stacks of the server, per N")
    args = parser.parse_args()
    raise_file_limit()
    tokens = asyncio.run(database.mint_tokens(201))
    rows = asyncio.run(seeded.find())
    results = []
    for count in [int(n) for n in args.subscribers.split(",") if n]:
        profile = args.profile and args.profile.with_suffix(f".{count}.txt")
        result = storm(count, args.opening, tokens, rows.case_pk, profile)
        results.append(result)
        print(f"  N={count:<6} all live after {result.last_s:6.2f} s", flush=True)
    print(f"\nReconnect storm of commentAdded with `after`, one server — {machine.describe()}\n")
    print(
        "| subscribers | live | median live s | last live s | server CPU s | CPU ms / subscription "
        "| listen queue overflows | added comment delivered | exactly [replayed, added] |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r.subscribers:,} | {r.live:,} | {r.median_s:.2f} | {r.last_s:.2f} | {r.cpu_s:.1f} "
            f"| {r.cpu_s / max(r.live, 1) * 1000:.2f} | {r.listen_overflows:,} | {r.delivered:,} "
            f"| {r.exact:,} |"
        )
    if args.profile:
        print("\npy-spy on the server during the storm, samples by the innermost frame's library:")
        for r in results:
            print(
                f"- N={r.subscribers:,}: {samples.summary(args.profile.with_suffix(f'.{r.subscribers}.txt'))}"
            )
    for r in results:
        if r.failures or r.wrong:
            print(f"\nN={r.subscribers}: not live {r.failures}; wrong sequences {r.wrong}")


if __name__ == "__main__":
    main()
