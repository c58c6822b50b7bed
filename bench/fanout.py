"""Fan-out: one `addComment`, N WebSocket subscribers to `commentAdded`; and lobby latency.

    python -m bench.fanout                              # N = 100, 1,000, 10,000; memory and Redis
    python -m bench.fanout --subscribers 100,1000 --modes memory
    python -m bench.fanout --notifications 200          # addComment on A -> notificationReceived on B

The subscribers live in their own process (bench/subscribers.py) and use 200 different
viewers round-robin. `memory`: one server process, the comment is added on it. `redis`: two
instances sharing Redis; the subscribers are on the first, the comment is added on the
second. Per N: time from sending `addComment` until the first, median and last subscriber
has the event (median of 3 rounds), and the server's RSS and CPU per idle subscribed
connection (RSS growth over the unsubscribed server; CPU over a 10 s idle window).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg
import httpx

from bench import database, machine, samples, servers
from bench.interleaved import cpu_seconds
from graph.ids import to_global_id

REDIS_URL = os.environ.get("WORKCLOUD_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
COMMENT_ADDED = """subscription($caseId: ID!) {
  commentAdded(caseId: $caseId) { id body createdAt author { id name } } }"""
NOTIFICATION_RECEIVED = """subscription {
  notificationReceived { id kind createdAt actor { name } comment { id body } } }"""
ADD_COMMENT = """mutation($caseId: ID!, $body: String!) {
  addComment(input: {caseId: $caseId, body: $body}) { comment { id } userErrors { message } } }"""


@dataclass
class Delivery:
    first_ms: float
    median_ms: float
    last_ms: float
    missing: int


@dataclass
class FanOut:
    mode: str
    subscribers: int
    delivery: Delivery
    rss_kib_per_connection: float
    idle_cpu_percent: float


def raise_file_limit() -> None:
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))  # inherited by the servers we start


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


class Subscribers:
    """The subscriber process, driven over its stdin and stdout."""

    def __init__(
        self,
        url: str,
        tokens: list[str],
        count: int,
        query: str,
        variables: dict[str, Any],
        each: list[dict[str, Any]] | None = None,
        replayed: int | None = None,
        opening: int = 1000,
    ) -> None:
        """With `replayed`, a reconnect storm (see bench/subscribers.py): not every subscriber
        need become live; `opened` says how many did, and when."""
        ws_url = url.replace("http://", "ws://", 1)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "bench.subscribers"], cwd=servers.ROOT,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        orders = {
            "url": ws_url,
            "tokens": tokens,
            "count": count,
            "query": query,
            "variables": variables,
            "each": each,
            # Seconds to wait for every subscriber's event before counting it missing.
            "timeout": 120 + count / 50,
            "replayed": replayed,
            "opening": opening,
        }
        self._send(json.dumps(orders))
        self.opened = self._read()
        if replayed is None and self.opened.get("ready") != count:
            raise SystemExit(f"subscribers not ready: {self.opened}")

    def _send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise SystemExit("the subscriber process died")
        answer: dict[str, Any] = json.loads(line)
        return answer

    def arm(self) -> None:
        self._send("go")
        assert self._read().get("armed")

    def deliveries(self) -> dict[str, Any]:
        return self._read()

    def check(self, expected: list[str]) -> dict[str, Any]:
        """How many live subscribers received exactly these event ids, in this order."""
        self._send("check " + json.dumps(expected))
        return self._read()

    def close(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.close()
        self.process.wait(60)


def add_comment(
    url: str, token: str, case_id: str, body: str, http: httpx.Client | None = None
) -> str:
    """The new comment's id."""
    answer = (http or httpx).post(
        url, json={"query": ADD_COMMENT, "variables": {"caseId": case_id, "body": body}},
        headers={"Authorization": f"Bearer {token}"}, timeout=60,
    ).json()  # fmt: skip
    if answer.get("errors") or answer["data"]["addComment"]["userErrors"]:
        raise SystemExit(f"addComment failed: {answer}")
    comment_id: str = answer["data"]["addComment"]["comment"]["id"]
    return comment_id


async def _fan_out_case() -> str:
    connection = await asyncpg.connect(database.dsn())
    try:
        pk = await connection.fetchval("SELECT id FROM cases ORDER BY number LIMIT 1")
    finally:
        await connection.close()
    if pk is None:
        raise SystemExit("the bench database has no cases: run `python -m bench.seed` first")
    await database.use_id_key()
    return to_global_id("Case", int(pk))


def _instances(stack: ExitStack, mode: str) -> tuple[servers.Server, servers.Server]:
    """(where the subscribers are, where the comment is added)."""
    broadcast = "memory://" if mode == "memory" else REDIS_URL
    # 10,000 sockets from 200 viewers: 50 each, over the default per-viewer limit.
    limits = {"max_connections_per_viewer": "100"}
    listening = stack.enter_context(servers.ours(database.url(), broadcast, **limits))
    if mode == "memory":
        return listening, listening
    return listening, stack.enter_context(servers.ours(database.url(), broadcast, **limits))


def _settle(pid: int, idle: float = 0.25, window: float = 0.5, limit: float = 900) -> None:
    """Waits until the server has finished starting the subscriptions: its CPU goes quiet.

    Starting subscriptions keeps a core busy; idle, 10,000 sockets' keep-alive pings take
    a few per cent of it, so a quarter of a core over three windows in a row means done.
    """
    quiet = 0
    deadline = time.monotonic() + limit
    while quiet < 3 and time.monotonic() < deadline:
        before = cpu_seconds(pid)
        time.sleep(window)
        quiet = quiet + 1 if (cpu_seconds(pid) - before) / window < idle else 0


def _profiler(pid: int, path: str | None) -> subprocess.Popen[bytes] | None:
    """py-spy on the listening server while the rounds run (collapsed stacks, `--profile`)."""
    if path is None:
        return None
    command = [
        samples.py_spy(),
        "record",
        "-r",
        "1000",
        "--format",
        "raw",
        "-o",
        path,
        "--pid",
        str(pid),
    ]
    profiler = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    return profiler


def fan_out(
    mode: str,
    count: int,
    tokens: list[tuple[int, str, str]],
    case_id: str,
    rounds: int,
    profile: str | None = None,
) -> FanOut:
    with ExitStack() as stack:
        listening, writing = _instances(stack, mode)
        time.sleep(1)
        rss_before = _rss_kib(listening.pid)
        subscribers = Subscribers(
            listening.url, [t[2] for t in tokens[1:]], count, COMMENT_ADDED, {"caseId": case_id}
        )
        try:
            _settle(listening.pid)  # every subscription started and listening
            rss_after = _rss_kib(listening.pid)
            cpu_before, wall_before = cpu_seconds(listening.pid), time.monotonic()
            time.sleep(10)
            idle_cpu = (cpu_seconds(listening.pid) - cpu_before) / (time.monotonic() - wall_before)
            results = []
            # One kept connection, as a browser has: see `notifications`.
            http = stack.enter_context(httpx.Client(timeout=60))
            http.post(writing.url, json={"query": "{ __typename }"})
            profiler = _profiler(listening.pid, profile)
            for i in range(rounds):
                subscribers.arm()
                sent = time.monotonic()
                add_comment(
                    writing.url,
                    tokens[0][2],
                    case_id,
                    f"Fan-out {count}, runda {i + 1}: kondensvatten åtgärdat.",
                    http,
                )
                answer = subscribers.deliveries()
                if answer["failures"]:
                    print(
                        f"  {answer['failed']} subscriptions ended in errors: {answer['failures'][0]}"
                    )
                times = [(t - sent) * 1000 for t in answer["times"]] or [float("nan")]
                lost = answer["missing"] + answer["failed"]
                results.append(Delivery(times[0], statistics.median(times), times[-1], lost))
                time.sleep(1)
            if profiler is not None:
                profiler.send_signal(signal.SIGINT)
                profiler.wait(60)
        finally:
            subscribers.close()
    middle = sorted(results, key=lambda d: d.last_ms)[len(results) // 2]
    return FanOut(mode, count, middle, (rss_after - rss_before) / count, idle_cpu * 100)


def notifications(
    rounds: int, tokens: list[tuple[int, str, str]], case_id: str
) -> tuple[list[float], list[float]]:
    """addComment mentioning a user on instance B -> notificationReceived on instance A, one at a time.

    Also how long each addComment took until its response. The writer keeps its connection,
    as a browser does: a new httpx client per request costs ~18 ms of the sender's CPU.
    """
    with ExitStack() as stack:
        listening, writing = _instances(stack, "redis")
        http = stack.enter_context(httpx.Client(timeout=60))
        _user_id, handle, token = tokens[1]
        subscriber = Subscribers(listening.url, [token], 1, NOTIFICATION_RECEIVED, {})
        latencies, mutations = [], []
        try:
            time.sleep(1)
            for i in range(rounds + 10):
                subscriber.arm()
                sent = time.monotonic()
                add_comment(
                    writing.url,
                    tokens[0][2],
                    case_id,
                    f"@{handle} titta på detta, nummer {i}.",
                    http,
                )
                answered = time.monotonic()
                answer = subscriber.deliveries()
                if not answer["times"]:
                    raise SystemExit(f"notification not received: {answer}")
                if i >= 10:  # the first few warm caches and pools
                    latencies.append((answer["times"][0] - sent) * 1000)
                    mutations.append((answered - sent) * 1000)
                time.sleep(0.05)  # light load: one at a time
        finally:
            subscriber.close()
    return latencies, mutations


def _percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.fanout", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)  # fmt: skip
    parser.add_argument("--subscribers", default="100,1000,10000")
    parser.add_argument("--modes", default="memory,redis")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument(
        "--notifications", type=int, default=200, help="rounds of the lobby test; 0 skips it"
    )
    parser.add_argument("--profile", help="py-spy's collapsed stacks of the rounds to this file")
    args = parser.parse_args()
    raise_file_limit()
    tokens = asyncio.run(database.mint_tokens(201))
    case_id = asyncio.run(_fan_out_case())
    rows: list[FanOut] = []
    for mode in args.modes.split(","):
        for count in [int(n) for n in args.subscribers.split(",") if n]:
            result = fan_out(mode, count, tokens, case_id, args.rounds, args.profile)
            rows.append(result)
            d = result.delivery
            print(f"  {mode:<6} N={count:<6} last {d.last_ms:8.1f} ms", flush=True)
    print(f"\nFan-out of one addComment to commentAdded subscribers — {machine.describe()}\n")
    print(
        "| bus | subscribers | first ms | median ms | last ms | not delivered | RSS KiB / idle connection | idle CPU % |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        d = r.delivery
        print(
            f"| {r.mode} | {r.subscribers:,} | {d.first_ms:.1f} | {d.median_ms:.1f} | {d.last_ms:.1f} "
            f"| {d.missing} | {r.rss_kib_per_connection:.1f} | {r.idle_cpu_percent:.1f} |"
        )
    if args.notifications:
        latencies, mutations = notifications(args.notifications, tokens, case_id)
        print(
            f"\naddComment on instance B -> notificationReceived on instance A via Redis, {len(latencies)} one at a time:"
        )
        print(
            f"p50 {_percentile(latencies, 50):.1f} ms, p99 {_percentile(latencies, 99):.1f} ms (target p99 < 20 ms)"
        )
        print(
            f"of which addComment until its response: p50 {_percentile(mutations, 50):.1f} ms, "
            f"p99 {_percentile(mutations, 99):.1f} ms"
        )


if __name__ == "__main__":
    main()
