"""The Strawberry schema: every family's queries, mutations and subscriptions in one."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import strawberry
from strawberry.extensions import MaxTokensLimiter, ParserCache, SchemaExtension
from strawberry.tools import merge_types

from config.settings import Settings
from graph.access import RootFieldAccess
from graph.context import OperationScopeExtension
from graph.errors import FaultLoggingSchema, MaskUnexpectedErrors
from graph.limits import RefuseNulCharacters
from graph.live.fields.case_changes import CaseChangeSubscription
from graph.live.fields.comments import CommentSubscription
from graph.live.fields.messages import MessageSubscription
from graph.live.fields.notifications import NotificationSubscription
from graph.live.fields.presence import PresenceSubscription
from graph.query_cost import CostLimits
from graph.reads.extension import PlannedReads
from graph.resolvers.archiving import ArchivingMutation
from graph.resolvers.attachments import AttachmentMutation
from graph.resolvers.auth import AuthMutation, AuthQuery
from graph.resolvers.case_links import CaseLinkMutation
from graph.resolvers.case_table import CaseQuery
from graph.resolvers.case_views import CaseViewMutation, CaseViewQuery
from graph.resolvers.case_work import CaseWorkMutation
from graph.resolvers.cases import CaseMutation
from graph.resolvers.comments import CommentMutation
from graph.resolvers.conversations import ConversationMutation
from graph.resolvers.corrections import CorrectionMutation
from graph.resolvers.customers import CustomerMutation, CustomerQuery
from graph.resolvers.groups import GroupMutation, GroupQuery
from graph.resolvers.node import NodeQuery
from graph.resolvers.notifications import NotificationMutation
from graph.resolvers.password_reset import PasswordResetMutation
from graph.resolvers.people import PeopleMutation, PeopleQuery
from graph.resolvers.portal import PortalMutation, PortalQuery
from graph.resolvers.portal_access import PortalAccessMutation
from graph.resolvers.presence import PresenceMutation
from graph.resolvers.profile import ProfileMutation
from graph.resolvers.reply_templates import ReplyTemplateMutation, ReplyTemplateQuery
from graph.resolvers.settings import SettingsMutation, SettingsQuery
from graph.resolvers.sla import SlaMutation, SlaQuery
from graph.resolvers.sms import SmsMutation
from graph.resolvers.tags import TagMutation, TagQuery
from graph.resolvers.webhooks import WebhookMutation, WebhookQuery
from graph.suggestions import ExecutionWithoutSuggestions
from graph.trusted_documents import load_manifest, trusted_documents_extension
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
from graph.validation import document_validation

Query = merge_types(
    "Query",
    (
        AuthQuery,
        NodeQuery,
        PeopleQuery,
        GroupQuery,
        CustomerQuery,
        SettingsQuery,
        CaseQuery,
        TagQuery,
        CaseViewQuery,
        PortalQuery,
        ReplyTemplateQuery,
        WebhookQuery,
        SlaQuery,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        AuthMutation,
        PeopleMutation,
        GroupMutation,
        ProfileMutation,
        CustomerMutation,
        CorrectionMutation,
        ArchivingMutation,
        CommentMutation,
        NotificationMutation,
        SettingsMutation,
        CaseMutation,
        CaseWorkMutation,
        CaseLinkMutation,
        ConversationMutation,
        ReplyTemplateMutation,
        PortalMutation,
        PortalAccessMutation,
        PasswordResetMutation,
        SmsMutation,
        TagMutation,
        CaseViewMutation,
        PresenceMutation,
        WebhookMutation,
        AttachmentMutation,
        SlaMutation,
    ),
)
Subscription = merge_types(
    "Subscription",
    (
        CommentSubscription,
        NotificationSubscription,
        MessageSubscription,
        CaseChangeSubscription,
        PresenceSubscription,
    ),
)

NODE_TYPES: list[type[Node]] = [
    User,
    Group,
    Customer,
    Contact,
    CaseObject,
    Project,
    Comment,
    Notification,
    Case,
    CaseEvent,
    Task,
    FormInstance,
    CaseType,
    CasePriority,
    CaseStatus,
    TaskTemplate,
    FormTemplate,
    ConversationMessage,
    PortalCase,
    SmsMessage,
    ReplyTemplate,
    CaseView,
    CaseChange,
    Webhook,
    WebhookDelivery,
    Attachment,
    SlaPolicy,
    BusinessCalendar,
]


def build_schema(settings: Settings | None = None) -> strawberry.Schema:
    settings = settings or Settings()
    extensions: list[type[SchemaExtension] | Callable[[], SchemaExtension]] = [
        MaskUnexpectedErrors,
        RefuseNulCharacters,
    ]
    if settings.trusted_documents is not None:
        manifest = load_manifest(settings.trusted_documents)
        extensions.append(trusted_documents_extension(manifest))
    extensions += [
        lambda: ParserCache(maxsize=512),
        lambda: MaxTokensLimiter(max_token_count=settings.max_query_tokens),
        document_validation(
            CostLimits(
                depth=settings.max_query_depth,
                aliases=settings.max_aliases,
                selections=settings.max_query_selections,
            ),
            suggestions=settings.introspection_enabled,
        ),
        RootFieldAccess,
        OperationScopeExtension,
    ]
    if not settings.introspection_enabled:
        from strawberry.extensions import DisableIntrospection

        extensions.append(DisableIntrospection)
    if settings.planned_reads:
        # Last, so it runs after every check and inside the operation's scope.
        extensions.append(PlannedReads)
    schema_kwargs: dict[str, Any] = {"types": NODE_TYPES, "extensions": extensions}
    if not settings.introspection_enabled:
        schema_kwargs["execution_context_class"] = ExecutionWithoutSuggestions
    return FaultLoggingSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        **schema_kwargs,
    )
