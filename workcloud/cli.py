"""The `workcloud` command: serve, migrate, create-tenant, demo, schema."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from importlib.metadata import version

import uvicorn
from strawberry.printer import print_schema

from config.environment import SettingsRefused
from config.settings import get_settings
from db.engine import Database
from domain.errors import UserErrors
from domain.tenants import create_tenant
from graph.id_key import load_id_key
from graph.ids import to_global_id
from graph.schema import build_schema
from workcloud.demo import create_demo
from workcloud.logging_setup import LEVELS, configure_logging

# Every worker builds its own app, with its logging, from the environment: named, not passed.
APP_FACTORY = "workcloud.server:create_served_app"
# uvicorn's default is 2,048: a reconnect storm of 10,000 sockets overflowed it while the
# server was busy starting subscriptions, and the kernel reset the rest.
BACKLOG = 8192


def _serve(args: argparse.Namespace) -> int:
    # Read by main() as well as in each worker, so that bad settings stop the command itself.
    settings = get_settings()
    log_level = settings.log_level
    configure_logging(log_level, settings.log_format)
    uvicorn.run(
        APP_FACTORY,
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        # Logging is configured above and in each worker (workcloud/logging_setup.py).
        log_config=None,
        log_level=log_level,
        # Off unless asked for: otherwise anyone reaching the port from a trusted address
        # could choose the client address that the sign-in throttle counts.
        proxy_headers=args.proxy_headers,
        forwarded_allow_ips=args.forwarded_allow_ips,
        root_path=args.root_path,
        ws_max_size=settings.max_websocket_message_bytes,
        backlog=args.backlog,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
    )
    return 0


def _positive(text: str) -> int:
    number = int(text)
    if number < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {number}")
    return number


def _root_path(text: str) -> str:
    if text and (not text.startswith("/") or text.endswith("/")):
        raise argparse.ArgumentTypeError(f"must start with / and not end with one, got {text!r}")
    return text


async def _migrate() -> None:
    settings = get_settings()
    db = Database(settings.database_url, pooler=settings.database_pooler)
    try:
        await db.migrate()
    finally:
        await db.dispose()


async def _create_tenant(args: argparse.Namespace) -> int:
    settings = get_settings()
    db = Database(settings.database_url, pooler=settings.database_pooler)
    try:
        await db.migrate()
        # The ids printed must be the ones every server on this database gives out.
        await load_id_key(db, settings.id_key)
        async with db.transaction(None) as session:
            tenant, admin = await create_tenant(
                session,
                name=args.name,
                admin_email=args.admin_email,
                admin_password=args.admin_password,
                admin_handle=args.admin_handle,
                admin_name=args.admin_name,
            )
    except UserErrors as error:
        for e in error.errors:
            print(f"{'.'.join(e.field)}: {e.message}", file=sys.stderr)
        return 1
    finally:
        await db.dispose()
    print(
        json.dumps(
            {
                "tenantId": to_global_id("Tenant", tenant.id),
                "adminId": to_global_id("User", admin.id),
            }
        )
    )
    return 0


async def _demo() -> int:
    logins = await create_demo(get_settings())
    print("Demo tenant created. Sign in with:")
    for role, email, password in logins:
        print(f"  {role:<8} {email:<32} {password}")
    return 0


def _schema() -> int:
    print(print_schema(build_schema()))
    return 0


def command_line() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="workcloud", description=__doc__)
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {version('workcloud-cases')}"
    )
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument(
        "--log-level", choices=list(LEVELS), help="default: WORKCLOUD_LOG_LEVEL (info)"
    )
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="worker processes sharing the port; each reads the settings from the environment",
    )
    serve.add_argument(
        "--proxy-headers",
        action="store_true",
        help="take the client address and scheme from X-Forwarded-For and X-Forwarded-Proto",
    )
    serve.add_argument(
        "--forwarded-allow-ips",
        metavar="IPS",
        help="with --proxy-headers: the proxies' addresses or networks, comma-separated, or *"
        " (default: 127.0.0.1,::1)",
    )
    serve.add_argument(
        "--root-path",
        type=_root_path,
        default="",
        metavar="PATH",
        help="the path prefix a proxy serves the API under and strips (e.g. /api)",
    )
    serve.add_argument(
        "--backlog",
        type=_positive,
        default=BACKLOG,
        metavar="N",
        help=f"connections the kernel queues until the server accepts them (default {BACKLOG};"
        " capped by net.core.somaxconn)",
    )
    commands.add_parser("migrate", help="bring the database to the newest schema")
    tenant = commands.add_parser("create-tenant", help="create a tenant and its first admin")
    tenant.add_argument("name")
    tenant.add_argument("--admin-email", required=True)
    tenant.add_argument("--admin-password", required=True)
    tenant.add_argument("--admin-handle")
    tenant.add_argument("--admin-name")
    commands.add_parser("demo", help="fill the database with a realistic demo tenant")
    commands.add_parser("schema", help="print the GraphQL SDL")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = command_line()
    args = parser.parse_args(argv)

    if args.command == "serve":
        if args.forwarded_allow_ips is not None and not args.proxy_headers:
            parser.error("serve: --forwarded-allow-ips needs --proxy-headers")
        if args.log_level:
            # Every worker reads its settings from the environment: it takes the same level.
            os.environ["WORKCLOUD_LOG_LEVEL"] = args.log_level
    try:
        get_settings()
    except SettingsRefused as refusal:
        # One line per problem and the exit code of a usage error, as argparse gives.
        print(refusal, file=sys.stderr)
        return 2

    if args.command == "serve":
        return _serve(args)
    if args.command == "migrate":
        asyncio.run(_migrate())
        return 0
    if args.command == "create-tenant":
        return asyncio.run(_create_tenant(args))
    if args.command == "demo":
        return asyncio.run(_demo())
    return _schema()


if __name__ == "__main__":
    sys.exit(main())
