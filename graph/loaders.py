"""Per-operation DataLoaders: each returns results in key order, one query per batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from db.models import Base, CommentMention, Contact, GroupMember, User

if TYPE_CHECKING:
    from graph.context import OperationScope

M = TypeVar("M", bound=Base)


class Loaders:
    def __init__(self, scope: OperationScope) -> None:
        self._scope = scope
        self._by_id: dict[type[Base], DataLoader[int, Any]] = {}
        self.members_by_group_id: DataLoader[int, list[User]] = DataLoader(self._members)
        self.contacts_by_customer_id: DataLoader[int, list[Contact]] = DataLoader(self._contacts)
        self.mentions_by_comment_id: DataLoader[int, list[User]] = DataLoader(self._mentions)

    def by_id(self, model: type[M]) -> DataLoader[int, M | None]:
        """`<Model>ByIdLoader`: rows of the viewer's tenant by primary key, None when absent."""
        loader = self._by_id.get(model)
        if loader is None:

            async def load(ids: Sequence[int]) -> list[Any]:
                rows = await self._scope.read(
                    lambda s: _scalars(s, select(model).where(model.id.in_(ids)))  # type: ignore[attr-defined]
                )
                found = {row.id: row for row in rows}
                return [found.get(i) for i in ids]

            loader = self._by_id[model] = DataLoader(load)
        return loader

    async def _members(self, group_ids: Sequence[int]) -> list[list[User]]:
        rows = await self._scope.read(
            lambda s: s.execute(
                select(GroupMember.group_id, User)
                .join(User, User.id == GroupMember.user_id)
                .where(GroupMember.group_id.in_(group_ids))
                .order_by(User.name, User.id)
            )
        )
        members: dict[int, list[User]] = defaultdict(list)
        for group_id, user in rows:
            members[group_id].append(user)
        return [members[g] for g in group_ids]

    async def _contacts(self, customer_ids: Sequence[int]) -> list[list[Contact]]:
        rows = await self._scope.read(
            lambda s: _scalars(
                s,
                select(Contact)
                .where(Contact.customer_id.in_(customer_ids))
                .order_by(Contact.name, Contact.id),
            )
        )
        contacts: dict[int, list[Contact]] = defaultdict(list)
        for contact in rows:
            contacts[contact.customer_id].append(contact)
        return [contacts[c] for c in customer_ids]

    async def _mentions(self, comment_ids: Sequence[int]) -> list[list[User]]:
        rows = await self._scope.read(
            lambda s: s.execute(
                select(CommentMention.comment_id, User)
                .join(User, User.id == CommentMention.user_id)
                .where(CommentMention.comment_id.in_(comment_ids))
                .order_by(User.name, User.id)
            )
        )
        mentioned: dict[int, list[User]] = defaultdict(list)
        for comment_id, user in rows:
            mentioned[comment_id].append(user)
        return [mentioned[c] for c in comment_ids]


async def _scalars(session: AsyncSession, statement: Any) -> list[Any]:
    return list((await session.scalars(statement)).all())
