"""The key global ids are enciphered with: one row, made by the migration that introduced it."""

from __future__ import annotations

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from db.models.base import Base, Json

THE_ROW = 1


class GlobalIdKey(Base):
    __tablename__ = "global_id_key"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # 256 random bits, hex; shared by every instance on this database, shown to no one.
    secret: Mapped[str] = mapped_column(String(128))
    # {"Case": 41, ...}: each type's last primary key when ids still carried it in the clear.
    legacy_last_pks: Mapped[dict[str, int]] = mapped_column(Json)
