"""`node(id:)`: any object by its global id, within what the viewer may see."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from db import models
from domain.attachments import visible_attachment
from domain.cases.access import may_see
from domain.cases.views import visible_view
from domain.reply_templates import may_use
from domain.webhooks import webhook_of
from graph.context import Context
from graph.ids import parse_global_id
from graph.types.attachment import Attachment
from graph.types.base import Node
from graph.types.case import Case, CaseEvent, Comment, FormInstance, Task
from graph.types.case_change import CaseChange
from graph.types.case_view import CaseView
from graph.types.conversation import ConversationMessage
from graph.types.customer import CaseObject, Contact, Customer, Project
from graph.types.notification import Notification
from graph.types.portal import PortalCase
from graph.types.reply_template import ReplyTemplate
from graph.types.settings import CasePriority, CaseStatus, CaseType, FormTemplate, TaskTemplate
from graph.types.sla import BusinessCalendar, SlaPolicy
from graph.types.sms import SmsMessage
from graph.types.user import Group, User
from graph.types.webhook import Webhook, WebhookDelivery

Info = strawberry.Info[Context, None]

# Global-id type name -> (model, Strawberry type builder), for staff viewers. Rows come
# from the viewer's tenant only; `PRIVATE_TO_RECIPIENT` types also only the viewer's own.
STAFF_NODES: dict[str, tuple[type[models.Base], Callable[[Any], Node]]] = {
    "User": (models.User, User.from_row),
    "Group": (models.Group, Group.from_row),
    "Customer": (models.Customer, Customer.from_row),
    "Contact": (models.Contact, Contact.from_row),
    "CaseObject": (models.CaseObject, CaseObject.from_row),
    "Project": (models.Project, Project.from_row),
    "Comment": (models.Comment, Comment.from_row),
    "Notification": (models.Notification, Notification.from_row),
    "Case": (models.Case, Case.from_row),
    "CaseEvent": (models.CaseEvent, CaseEvent.from_row),
    "Task": (models.Task, Task.from_row),
    "FormInstance": (models.FormInstance, FormInstance.from_row),
    "CaseType": (models.CaseType, CaseType.from_row),
    "CasePriority": (models.CasePriority, CasePriority.from_row),
    "CaseStatus": (models.CaseStatus, CaseStatus.from_row),
    "TaskTemplate": (models.TaskTemplate, TaskTemplate.from_row),
    "FormTemplate": (models.FormTemplate, FormTemplate.from_row),
    "ConversationMessage": (models.ConversationMessage, ConversationMessage.from_row),
    # Staff see every case of their tenant, deleted ones' last change included.
    "CaseChange": (models.CaseChange, CaseChange.from_row),
    "SlaPolicy": (models.SlaPolicy, SlaPolicy.from_row),
    "BusinessCalendar": (models.BusinessCalendar, BusinessCalendar.from_row),
    # Staff see every case of their tenant, so also each one as its customer sees it.
    "PortalCase": (models.Case, PortalCase.from_row),
}
PRIVATE_TO_RECIPIENT = {"Notification"}


async def _portal_case(info: Info, pk: int) -> Node | None:
    case = await info.context.scope.loaders.by_id(models.Case).load(pk)
    if case is None or not may_see(info.context.signed_in(), case):
        return None
    return PortalCase.from_row(case)


async def _portal_message(info: Info, pk: int) -> Node | None:
    loaders = info.context.scope.loaders
    message = await loaders.by_id(models.ConversationMessage).load(pk)
    if message is None:
        return None
    case = await loaders.by_id(models.Case).load(message.case_id)
    if case is None or not may_see(info.context.signed_in(), case):
        return None
    return ConversationMessage.from_row(message)


async def _attachment(info: Info, pk: int) -> Node | None:
    # Staff: any of their tenant's; a portal contact: only a message's on its visible case.
    viewer = info.context.signed_in()
    row = await info.context.scope.read(lambda s: visible_attachment(s, viewer, pk))
    return Attachment.from_row(row) if row is not None else None


async def _sms(info: Info, pk: int) -> Node | None:
    # Outbox rows are not TenantOwned; the loader checks the tenant, `maybe` the channel.
    return SmsMessage.maybe(await info.context.scope.loaders.outbox_by_id.load(pk))


async def _reply_template(info: Info, pk: int) -> Node | None:
    template = await info.context.scope.loaders.by_id(models.ReplyTemplate).load(pk)
    if template is None or not may_use(info.context.signed_in(), template):
        return None
    return ReplyTemplate.from_row(template)


async def _case_view(info: Info, pk: int) -> Node | None:
    # Another's private view is nobody's business: null, as for another tenant's.
    viewer = info.context.staff()
    view = await info.context.scope.read(lambda s: visible_view(s, viewer, pk))
    return CaseView.from_row(view) if view is not None else None


async def _webhook(info: Info, pk: int) -> Node | None:
    # Administrators only; anyone else is told nothing of them, as of another tenant's.
    viewer = info.context.staff()
    webhook = await info.context.scope.read(lambda s: webhook_of(s, viewer, pk))
    return Webhook.from_row(webhook) if webhook is not None else None


async def _webhook_delivery(info: Info, pk: int) -> Node | None:
    if not info.context.staff().is_admin:
        return None
    return WebhookDelivery.maybe(await info.context.scope.loaders.outbox_by_id.load(pk))


# Staff types whose rows need more than the tenant filter of `STAFF_NODES`.
STAFF_RESOLVERS: dict[str, Callable[[Info, int], Awaitable[Node | None]]] = {
    "SmsMessage": _sms,
    "ReplyTemplate": _reply_template,
    "CaseView": _case_view,
    "Webhook": _webhook,
    "WebhookDelivery": _webhook_delivery,
    "Attachment": _attachment,
}

# What a portal contact can reach by id: its own visible cases and their messages, no more.
PORTAL_NODES: dict[str, Callable[[Info, int], Awaitable[Node | None]]] = {
    "PortalCase": _portal_case,
    "ConversationMessage": _portal_message,
    "Attachment": _attachment,
}


@strawberry.type
class NodeQuery:
    @strawberry.field(description="Any object by its global id; null when it is not yours.")
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        viewer = info.context.signed_in()
        parsed = parse_global_id(id)
        if parsed is None:
            return None
        type_name, pk = parsed
        if not viewer.is_staff:
            resolve = PORTAL_NODES.get(type_name)
            return await resolve(info, pk) if resolve is not None else None
        if type_name in STAFF_RESOLVERS:
            return await STAFF_RESOLVERS[type_name](info, pk)
        entry = STAFF_NODES.get(type_name)
        if entry is None:
            return None
        model, to_node = entry
        row = await info.context.scope.loaders.by_id(model).load(pk)
        if row is None:
            return None
        if (
            type_name in PRIVATE_TO_RECIPIENT
            and getattr(row, "recipient_id", None) != viewer.user_id
        ):
            return None
        return to_node(row)
