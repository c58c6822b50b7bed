"""wrk against several servers in turn at each connection count, with the CPU each spends per request.

Turns per connection count, so that drift on a shared machine hits every server alike. CPU is
read from /proc before and after each run: the server's own process (utime + stime), and,
apart, the PostgreSQL backends connected to the bench database while it ran.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import database, load, servers

TICK = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Target:
    name: str
    server: servers.Server
    script: Path


@dataclass(frozen=True)
class Measured:
    name: str
    load: load.Load
    cpu_ms: float  # the server process's CPU per request
    database_cpu_ms: float  # the bench database's PostgreSQL backends' CPU per request


def _ticks(stat: str) -> int:
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def cpu_seconds(pid: int) -> float:
    """User and system CPU the process has used so far."""
    return _ticks(Path(f"/proc/{pid}/stat").read_text()) / TICK


def database_cpu_seconds(name: str = database.NAME) -> dict[int, float]:
    """CPU so far of each PostgreSQL backend connected to the database, by pid.

    Found by process title ("postgres: <cluster>: <user> <database> <client> <state>"), so
    only on the machine PostgreSQL runs on; other databases' backends are not counted.
    """
    backends = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            if title.startswith("postgres:") and name in title.split():
                backends[int(entry.name)] = _ticks((entry / "stat").read_text()) / TICK
        except OSError:
            continue  # ended while being read
    return backends


def measure(target: Target, connections: int, seconds: float) -> Measured:
    cpu_before, database_before = cpu_seconds(target.server.pid), database_cpu_seconds()
    result = load.run(target.server.url, target.script, connections, seconds)
    cpu = cpu_seconds(target.server.pid) - cpu_before
    database_after = database_cpu_seconds()
    database_cpu = sum(t - database_before.get(pid, 0.0) for pid, t in database_after.items())
    requests = max(result.requests_per_second * seconds, 1)
    return Measured(target.name, result, cpu / requests * 1000, database_cpu / requests * 1000)


def run(
    targets: Sequence[Target], levels: Sequence[int], seconds: float, label: str = ""
) -> list[Measured]:
    """Every target at every level, in turns; progress on stdout as it goes."""
    for target in targets:
        load.run(target.server.url, target.script, 8, min(3, seconds))  # caches, JITs, pools
    measured = []
    for connections in levels:
        for target in targets:
            m = measure(target, connections, seconds)
            measured.append(m)
            print(
                f"  {label}{target.name:<6} c={connections:<3} {m.load.requests_per_second:8.1f} req/s",
                flush=True,
            )
    return measured
