"""A private PgBouncer in transaction mode in front of the test PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

import asyncpg

from tests.support.processes import free_port


def pgbouncer_binary() -> str | None:
    """Debian's package installs it in /usr/sbin, which a user's PATH may lack."""
    return shutil.which("pgbouncer", path=f"{os.environ.get('PATH', '')}:/usr/sbin")


class PgBouncer:
    """`pgbouncer` on a free port, its ini and user list in `directory`.

    Every database name is passed through to the PostgreSQL of `upstream_dsn` (trust auth,
    as the test server's). Transaction mode, with fewer server connections than clients:
    each transaction gets whichever server connection is free. PgBouncer refuses a client
    that asks for a startup parameter it does not know, unless told to ignore it.
    """

    def __init__(
        self,
        directory: Path,
        upstream_dsn: str,
        *,
        server_connections: int = 4,
        ignore_startup_parameters: tuple[str, ...] = (),
    ) -> None:
        upstream = urlsplit(upstream_dsn)
        self.user = upstream.username or "postgres"
        self.port = free_port()
        self.ini = directory / "pgbouncer.ini"
        self.log = directory / "pgbouncer.log"
        userlist = directory / "userlist.txt"
        userlist.write_text(f'"{self.user}" ""\n')
        self.ini.write_text(
            "[databases]\n"
            f"* = host={upstream.hostname or '127.0.0.1'} port={upstream.port or 5432}\n"
            "[pgbouncer]\n"
            "listen_addr = 127.0.0.1\n"
            f"listen_port = {self.port}\n"
            "unix_socket_dir =\n"
            "auth_type = trust\n"
            f"auth_file = {userlist}\n"
            "pool_mode = transaction\n"
            f"default_pool_size = {server_connections}\n"
            "max_client_conn = 500\n"
            # Whichever server connection is free, not the one used last: the most
            # recently used one would make a mix-up of server connections rarer, not
            # impossible, so this shows it where it can happen.
            "server_round_robin = 1\n"
            f"ignore_startup_parameters = {','.join(ignore_startup_parameters)}\n"
        )
        self._process: asyncio.subprocess.Process | None = None

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{self.user}@127.0.0.1:{self.port}/{database}"

    async def start(self) -> None:
        # PgBouncer will not run as root; it reads its files before it changes user.
        user = ["-u", "nobody"] if os.geteuid() == 0 else []
        with self.log.open("ab") as log:
            self._process = await asyncio.create_subprocess_exec(
                pgbouncer_binary() or "pgbouncer", *user, str(self.ini), stdout=log, stderr=log
            )
        for _ in range(100):
            if self._process.returncode is not None:
                raise RuntimeError(f"pgbouncer exited: {self.output()}")
            try:
                connection = await asyncpg.connect(
                    f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres",
                    statement_cache_size=0,
                    timeout=2,
                )
            except (OSError, asyncpg.PostgresError):
                await asyncio.sleep(0.05)
                continue
            await connection.close()
            return
        raise TimeoutError(f"pgbouncer did not start: {self.output()}")

    async def stop(self) -> None:
        if self._process is not None and self._process.returncode is None:
            self._process.terminate()
            await self._process.wait()
        self._process = None

    def output(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""
