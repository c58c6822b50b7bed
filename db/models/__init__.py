"""Every table of the product, importable from one place."""

from db.models.attachments import Attachment
from db.models.base import Base, TenantOwned, utcnow
from db.models.case_changes import CaseChange
from db.models.case_options import CasePriority, CaseStatus, CaseType, FormTemplate, TaskTemplate
from db.models.case_views import CaseView
from db.models.cases import (
    Case,
    CaseAssignedGroup,
    CaseAssignedUser,
    CaseEvent,
    CaseLink,
    FormInstance,
    Task,
)
from db.models.conversation import (
    Comment,
    CommentMention,
    ConversationMessage,
    Notification,
    OutboxMessage,
)
from db.models.customers import CaseObject, Contact, Customer, Project
from db.models.global_id_key import GlobalIdKey
from db.models.password_resets import PasswordReset
from db.models.people import AccessToken, Group, GroupMember, User
from db.models.reply_templates import ReplyTemplate
from db.models.sla import BusinessCalendar, SlaAlert, SlaPolicy
from db.models.tags import CaseTag, Tag
from db.models.tenant import CaseModuleSettingsRow, Tenant
from db.models.webhooks import Webhook

__all__ = [
    "AccessToken",
    "Attachment",
    "Base",
    "BusinessCalendar",
    "Case",
    "CaseAssignedGroup",
    "CaseAssignedUser",
    "CaseChange",
    "CaseEvent",
    "CaseLink",
    "CaseModuleSettingsRow",
    "CaseObject",
    "CasePriority",
    "CaseStatus",
    "CaseTag",
    "CaseType",
    "CaseView",
    "Comment",
    "CommentMention",
    "Contact",
    "ConversationMessage",
    "Customer",
    "FormInstance",
    "FormTemplate",
    "GlobalIdKey",
    "Group",
    "GroupMember",
    "Notification",
    "OutboxMessage",
    "PasswordReset",
    "Project",
    "ReplyTemplate",
    "SlaAlert",
    "SlaPolicy",
    "Tag",
    "Task",
    "TaskTemplate",
    "Tenant",
    "TenantOwned",
    "User",
    "Webhook",
    "utcnow",
]
