"""`workcloud serve` as a child process whose output we keep: for kill -9, SIGTERM and log checks."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import tempfile
import time
from pathlib import Path

import httpx

from tests.support.processes import free_port


class ServerProcess:
    def __init__(self, env: dict[str, str], *, log_level: str = "info") -> None:
        self.env = {**os.environ, **env}
        self.log_level = log_level
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.process: asyncio.subprocess.Process | None = None
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 (kept open across restarts)
            prefix="workcloud-serve-", suffix=".log", delete=False
        )
        self.log_path = Path(self._log.name)

    async def start(self, timeout: float = 30) -> None:
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "workcloud.cli",
            "serve",
            "--port",
            str(self.port),
            "--log-level",
            self.log_level,
            env=self.env,
            stdout=self._log,
            stderr=self._log,
        )
        deadline = time.monotonic() + timeout
        async with httpx.AsyncClient(base_url=self.base_url, timeout=2) as http:
            while time.monotonic() < deadline:
                if self.process.returncode is not None:
                    raise AssertionError(f"server exited: {self.output()}")
                try:
                    if (await http.get("/health")).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"server did not become healthy: {self.output()}")

    def signal(self, number: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(number)

    async def wait(self, timeout: float = 30) -> int:
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), timeout)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.process.wait()

    def output(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def remove_log(self) -> None:
        self._log.close()
        self.log_path.unlink(missing_ok=True)
