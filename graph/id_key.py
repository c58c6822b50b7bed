"""Loads the id key once the schema is migrated: WORKCLOUD_ID_KEY, else the database's own."""

from __future__ import annotations

from pydantic import SecretStr

from db.engine import Database
from db.models import GlobalIdKey
from db.models.global_id_key import THE_ROW
from graph import ids


async def _row(db: Database) -> GlobalIdKey:
    async with db.session(None) as session:
        row = await session.get(GlobalIdKey, THE_ROW)
    if row is None:
        raise RuntimeError("the global_id_key row is missing: migrate the database")
    return row


async def load_id_key(db: Database, override: SecretStr | None) -> None:
    """Puts the key into effect for this process's ids (see `graph/ids.py`)."""
    row = await _row(db)
    secret = override.get_secret_value() if override is not None else row.secret
    ids.install(secret, row.legacy_last_pks)


async def id_secret(db: Database, override: SecretStr | None) -> str:
    """The secret every instance on this database shares (other keys are derived from it)."""
    return override.get_secret_value() if override is not None else (await _row(db)).secret
