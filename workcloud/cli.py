"""The `workcloud` command: serve, migrate, create-tenant, demo, schema."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence

import uvicorn
from strawberry.printer import print_schema

from config.settings import get_settings
from db.engine import Database
from domain.errors import UserErrors
from domain.tenants import create_tenant
from graph.id_key import load_id_key
from graph.ids import to_global_id
from graph.schema import build_schema
from workcloud.demo import create_demo
from workcloud.server import create_app


def _serve(args: argparse.Namespace) -> int:
    settings = get_settings()
    uvicorn.run(
        create_app(settings),
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        ws_max_size=settings.max_websocket_message_bytes,
        timeout_graceful_shutdown=int(settings.shutdown_grace_seconds),
    )
    return 0


async def _migrate() -> None:
    db = Database(get_settings().database_url)
    try:
        await db.migrate()
    finally:
        await db.dispose()


async def _create_tenant(args: argparse.Namespace) -> int:
    settings = get_settings()
    db = Database(settings.database_url)
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


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="workcloud", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the API server")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8000)
    serve.add_argument("--log-level", default="info")
    commands.add_parser("migrate", help="bring the database to the newest schema")
    tenant = commands.add_parser("create-tenant", help="create a tenant and its first admin")
    tenant.add_argument("name")
    tenant.add_argument("--admin-email", required=True)
    tenant.add_argument("--admin-password", required=True)
    tenant.add_argument("--admin-handle")
    tenant.add_argument("--admin-name")
    commands.add_parser("demo", help="fill the database with a realistic demo tenant")
    commands.add_parser("schema", help="print the GraphQL SDL")
    args = parser.parse_args(argv)

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
