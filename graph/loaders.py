"""Per-operation DataLoaders: each returns results in key order, one query per batch."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from typing import Any, Protocol, TypeVar

from sqlalchemy import literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader

from db.models import (
    Attachment,
    Base,
    Case,
    CaseAssignedGroup,
    CaseAssignedUser,
    CaseLink,
    CaseModuleSettingsRow,
    CommentMention,
    Contact,
    FormInstance,
    Group,
    GroupMember,
    OutboxMessage,
    Task,
    User,
)
from db.tenancy import session_tenant
from domain.cases.links import LinkKind, seen_from
from domain.cases.settings import ModuleSettings
from domain.cases.tags import case_tag_names

M = TypeVar("M", bound=Base)


class Reader(Protocol):
    """Where the loaders read (graph/scope.py OperationScope: one session, taken in turns)."""

    async def read(self, work: Callable[[AsyncSession], Any]) -> Any: ...


class Loaders:
    def __init__(self, scope: Reader) -> None:
        self._scope = scope
        self._by_id: dict[type[Base], DataLoader[int, Any]] = {}
        self._batched: dict[Hashable, DataLoader[int, Any]] = {}
        self.members_by_group_id: DataLoader[int, list[User]] = DataLoader(self._members)
        self.contacts_by_customer_id: DataLoader[int, list[Contact]] = DataLoader(self._contacts)
        self.assigned_users_by_case_id: DataLoader[int, list[User]] = DataLoader(
            self._assigned_users
        )
        self.assigned_groups_by_case_id: DataLoader[int, list[Group]] = DataLoader(
            self._assigned_groups
        )
        self.tasks_by_case_id: DataLoader[int, list[Task]] = DataLoader(self._tasks)
        self.forms_by_case_id: DataLoader[int, list[FormInstance]] = DataLoader(self._forms)
        self.tags_by_case_id: DataLoader[int, list[str]] = DataLoader(self._tags)
        self.module_settings: DataLoader[int, ModuleSettings] = DataLoader(self._settings)
        self.mentions_by_comment_id: DataLoader[int, list[User]] = DataLoader(self._mentions)
        self.outbox_by_id: DataLoader[int, OutboxMessage | None] = DataLoader(self._outbox)
        self.links_by_case_id: DataLoader[int, list[tuple[LinkKind, Case]]] = DataLoader(
            self._links
        )
        self.attachments_by_comment_id: DataLoader[int, list[Attachment]] = DataLoader(
            self._comment_attachments
        )
        self.attachments_by_message_id: DataLoader[int, list[Attachment]] = DataLoader(
            self._message_attachments
        )

    def batched(
        self, key: Hashable, load: Callable[[Sequence[int]], Awaitable[list[Any]]]
    ) -> DataLoader[int, Any]:
        """A loader made once per operation for `key`, a family of reads answered together
        by `load` (e.g. one connection, with its arguments, under many parents)."""
        loader = self._batched.get(key)
        if loader is None:
            loader = self._batched[key] = DataLoader(load)
        return loader

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
        return await self._grouped(
            select(GroupMember.group_id, User)
            .join(User, User.id == GroupMember.user_id)
            .where(GroupMember.group_id.in_(group_ids))
            .order_by(User.name, User.id),
            group_ids,
        )

    async def _contacts(self, customer_ids: Sequence[int]) -> list[list[Contact]]:
        return await self._grouped(
            select(Contact.customer_id, Contact)
            .where(Contact.customer_id.in_(customer_ids))
            .order_by(Contact.name, Contact.id),
            customer_ids,
        )

    async def _assigned_users(self, case_ids: Sequence[int]) -> list[list[User]]:
        return await self._grouped(
            select(CaseAssignedUser.case_id, User)
            .join(User, User.id == CaseAssignedUser.user_id)
            .where(CaseAssignedUser.case_id.in_(case_ids))
            .order_by(User.name, User.id),
            case_ids,
        )

    async def _assigned_groups(self, case_ids: Sequence[int]) -> list[list[Group]]:
        return await self._grouped(
            select(CaseAssignedGroup.case_id, Group)
            .join(Group, Group.id == CaseAssignedGroup.group_id)
            .where(CaseAssignedGroup.case_id.in_(case_ids))
            .order_by(Group.name, Group.id),
            case_ids,
        )

    async def _tasks(self, case_ids: Sequence[int]) -> list[list[Task]]:
        return await self._grouped(
            select(Task.case_id, Task)
            .where(Task.case_id.in_(case_ids))
            .order_by(Task.position, Task.id),
            case_ids,
        )

    async def _forms(self, case_ids: Sequence[int]) -> list[list[FormInstance]]:
        return await self._grouped(
            select(FormInstance.case_id, FormInstance)
            .where(FormInstance.case_id.in_(case_ids))
            .order_by(FormInstance.id),
            case_ids,
        )

    async def _tags(self, case_ids: Sequence[int]) -> list[list[str]]:
        return await self._grouped(case_tag_names(case_ids), case_ids)

    async def _mentions(self, comment_ids: Sequence[int]) -> list[list[User]]:
        return await self._grouped(
            select(CommentMention.comment_id, User)
            .join(User, User.id == CommentMention.user_id)
            .where(CommentMention.comment_id.in_(comment_ids))
            .order_by(User.name, User.id),
            comment_ids,
        )

    async def _comment_attachments(self, comment_ids: Sequence[int]) -> list[list[Attachment]]:
        return await self._grouped(
            select(Attachment.comment_id, Attachment)
            .where(Attachment.comment_id.in_(comment_ids))
            .order_by(Attachment.id),
            comment_ids,
        )

    async def _message_attachments(self, message_ids: Sequence[int]) -> list[list[Attachment]]:
        return await self._grouped(
            select(Attachment.message_id, Attachment)
            .where(Attachment.message_id.in_(message_ids))
            .order_by(Attachment.id),
            message_ids,
        )

    async def _links(self, case_ids: Sequence[int]) -> list[list[tuple[LinkKind, Case]]]:
        """Each case's links, as it sees them, with the other case; by its number."""
        from_lower = select(
            CaseLink.case_id.label("key"),
            CaseLink.other_case_id.label("other"),
            CaseLink.kind.label("kind"),
            literal(True).label("lower_side"),
        ).where(CaseLink.case_id.in_(case_ids))
        from_higher = select(
            CaseLink.other_case_id, CaseLink.case_id, CaseLink.kind, literal(False)
        ).where(CaseLink.other_case_id.in_(case_ids))
        pairs = union_all(from_lower, from_higher).subquery("pairs")
        statement = (
            select(pairs.c.key, pairs.c.kind, pairs.c.lower_side, Case)
            .join(Case, Case.id == pairs.c.other)
            .order_by(Case.number, Case.id)
        )
        rows = await self._scope.read(lambda s: s.execute(statement))
        grouped: dict[int, list[tuple[LinkKind, Case]]] = defaultdict(list)
        for key, kind, lower_side, case in rows:
            grouped[key].append((seen_from(kind, bool(lower_side)), case))
        return [grouped[k] for k in case_ids]

    async def _settings(self, tenant_ids: Sequence[int]) -> list[ModuleSettings]:
        # Not tenant-owned (keyed by tenant): the scope's one tenant is the only key asked for.
        rows = await self._scope.read(
            lambda s: _scalars(
                s,
                select(CaseModuleSettingsRow).where(
                    CaseModuleSettingsRow.tenant_id.in_(tenant_ids)
                ),
            )
        )
        found = {row.tenant_id: row for row in rows}
        return [ModuleSettings.from_row(found.get(t)) for t in tenant_ids]

    async def _grouped(self, statement: Any, keys: Sequence[int]) -> list[list[Any]]:
        """Rows of (key, item), in the statement's order, as one list per key."""
        rows = await self._scope.read(lambda s: s.execute(statement))
        grouped: dict[int, list[Any]] = defaultdict(list)
        for key, item in rows:
            grouped[key].append(item)
        return [grouped[k] for k in keys]

    async def _outbox(self, ids: Sequence[int]) -> list[OutboxMessage | None]:
        # The outbox is read system-wide by the senders, so it is not a TenantOwned model:
        # the tenant is checked here.
        rows = await self._scope.read(
            lambda s: _scalars(
                s,
                select(OutboxMessage).where(
                    OutboxMessage.id.in_(ids),
                    OutboxMessage.tenant_id == session_tenant(s.sync_session),
                ),
            )
        )
        found = {row.id: row for row in rows}
        return [found.get(i) for i in ids]


async def _scalars(session: AsyncSession, statement: Any) -> list[Any]:
    return list((await session.scalars(statement)).all())
