"""HTTP load with `wrk`: a Lua script POSTs one GraphQL body; requests/s, p50 and p99 come back."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class Load:
    connections: int
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def wrk_binary() -> str:
    found = shutil.which("wrk")
    if found is None:
        # Debian's package; the bench machine is ours to install on.
        subprocess.run(["apt-get", "install", "-y", "-q", "wrk"], check=True)
        found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk is needed: apt-get install wrk")
    return found


def lua_script(body: dict[str, Any], token: str | None) -> Path:
    raw = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    if "]==]" in raw:
        raise ValueError("body cannot be quoted for Lua")
    lines = ['wrk.method = "POST"', 'wrk.headers["Content-Type"] = "application/json"']
    if token:
        lines.append(f'wrk.headers["Authorization"] = "Bearer {token}"')
    lines.append(f"wrk.body = [==[{raw}]==]")
    # A GraphQL error comes back as 200: count bodies with "errors" as failures too.
    lines.append(
        "errors = 0\nresponse = function(status, headers, body)\n"
        "  if status ~= 200 or string.find(body, '\"errors\"', 1, true) then errors = errors + 1 end\n"
        "end\n"
        "done = function(summary, latency, requests)\n"
        '  io.write(string.format("graphql-errors %d\\n", errors))\nend'
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False, encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")
    return Path(handle.name)


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text.strip())
    if match is None:
        raise ValueError(f"not a wrk duration: {text!r}")
    return float(match.group(1)) * _UNITS[match.group(2)]


def run(url: str, script: Path, connections: int, seconds: float) -> Load:
    """One wrk run; its single thread leaves the other core to the server under test."""
    command = [wrk_binary(), "-t1", f"-c{connections}", f"-d{seconds:g}s", "--latency"]
    command += ["--timeout", "10s", "-s", str(script), url]
    out = subprocess.run(command, check=True, capture_output=True, text=True).stdout
    rps_match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50_match = re.search(r"^\s+50%\s+([\d.]+[a-z]+)\s*$", out, re.MULTILINE)
    p99_match = re.search(r"^\s+99%\s+([\d.]+[a-z]+)\s*$", out, re.MULTILINE)
    if rps_match is None or p50_match is None or p99_match is None:
        raise SystemExit(f"wrk gave no figures:\n{out}")
    rps, p50, p99 = float(rps_match.group(1)), _ms(p50_match.group(1)), _ms(p99_match.group(1))
    lua_errors = re.search(r"graphql-errors (\d+)", out)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    )
    errors = int(lua_errors.group(1)) if lua_errors else 0
    if socket_errors:
        errors += sum(int(g) for g in socket_errors.groups())
    return Load(connections, rps, p50, p99, errors)
