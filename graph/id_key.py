"""Loads the id key once the schema is migrated: WORKCLOUD_ID_KEY, else the database's own."""

from __future__ import annotations

from pydantic import SecretStr

from db.engine import Database
from db.models import GlobalIdKey
from db.models.global_id_key import THE_ROW
from graph import ids


async def load_id_key(db: Database, override: SecretStr | None) -> None:
    """Puts the key into effect for this process's ids (see `graph/ids.py`)."""
    async with db.session(None) as session:
        row = await session.get(GlobalIdKey, THE_ROW)
    if row is None:
        raise RuntimeError("the global_id_key row is missing: migrate the database")
    secret = override.get_secret_value() if override is not None else row.secret
    ids.install(secret, row.legacy_last_pks)
