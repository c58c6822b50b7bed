"""Reply templates: a staff user's ready texts for the customer conversation.

A template is its owner's alone, or, shared, every staff user's of the tenant; a shared one
is changed or deleted by its owner and administrators only. Its text may hold placeholders,
filled in for one case when used: `{{` and `}}` on one line with no brace between them, the
name inside with or without spaces around it. Only the names of `PLACEHOLDERS` are known;
anything else between such braces is refused when saved. A `{{` or `}}` that makes no such
pair (alone, or paired only across lines) is plain text.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import Case, Contact, Customer, ReplyTemplate
from domain import validation
from domain.cases.access import visible_case
from domain.errors import NotFound, Problems, UserErrorCode
from domain.viewer import Viewer

PLACEHOLDERS = ("case.number", "case.title", "customer.name", "contact.name", "user.name")
PLACEHOLDER = re.compile(r"\{\{([^{}\r\n]*)\}\}")
MAX_NAME = 200
# A template becomes a customer message: as long as one may be (domain/conversations.py).
MAX_BODY = 10_000
# Unknown placeholders named in one error, each cut to a readable length.
NAMED_AT_MOST = 3
NAMED_LENGTH = 40


def may_use(viewer: Viewer, template: ReplyTemplate) -> bool:
    return template.tenant_id == viewer.tenant_id and (
        template.owner_id == viewer.user_id or template.shared
    )


async def usable_template(
    session: AsyncSession, viewer: Viewer, template_id: int | None
) -> ReplyTemplate | None:
    """The template if the viewer may use it, else None (missing and private look the same)."""
    if template_id is None:
        return None
    template = await session.get(ReplyTemplate, template_id)
    return template if template is not None and may_use(viewer, template) else None


async def templates_of(session: AsyncSession, viewer: Viewer) -> Sequence[ReplyTemplate]:
    """The viewer's own templates and the tenant's shared ones, by name."""
    found = await session.scalars(
        select(ReplyTemplate)
        .where(or_(ReplyTemplate.owner_id == viewer.user_id, ReplyTemplate.shared.is_(True)))
        .order_by(ReplyTemplate.name, ReplyTemplate.id)
    )
    return found.all()


def _unknown_placeholders(body: str) -> list[str]:
    found = (m[0] for m in PLACEHOLDER.finditer(body) if m[1].strip() not in PLACEHOLDERS)
    return list(dict.fromkeys(found))


def _check_placeholders(problems: Problems, body: str) -> None:
    unknown = _unknown_placeholders(body)
    if not unknown:
        return
    named = ", ".join(
        p if len(p) <= NAMED_LENGTH else p[: NAMED_LENGTH - 1] + "…"
        for p in unknown[:NAMED_AT_MOST]
    )
    known = ", ".join(f"{{{{{name}}}}}" for name in PLACEHOLDERS)
    which = "placeholder" if len(unknown) == 1 else "placeholders"
    problems.invalid("body", f"Unknown {which} {named}; the known ones are {known}.")


async def _editable(
    session: AsyncSession, problems: Problems, viewer: Viewer, template_id: int | None
) -> ReplyTemplate | None:
    """The template the viewer may change or delete; locked, so that a save and a delete
    of the same template take turns."""
    template = await session.scalar(
        select(ReplyTemplate).where(ReplyTemplate.id == template_id).with_for_update()
    )
    if template is None or not may_use(viewer, template):
        problems.not_found("id", "The reply template")
        return None
    if template.owner_id != viewer.user_id and not viewer.is_admin:
        problems.add(
            "id",
            "Only its owner and administrators may change a shared reply template.",
            UserErrorCode.NOT_ALLOWED,
        )
        return None
    return template


async def save_reply_template(
    session: AsyncSession,
    viewer: Viewer,
    *,
    id: int | None,
    name: str,
    body: str,
    shared: bool,
) -> ReplyTemplate:
    """Without an id a new template of the viewer's; with one, that template saved whole."""
    problems = Problems()
    template = await _editable(session, problems, viewer, id) if id is not None else None
    clean_name = validation.text(problems, "name", name, "The name", required=True)
    clean_body = validation.text(
        problems, "body", body, "The text", required=True, max_length=MAX_BODY, multiline=True
    )
    if clean_body is not None and not problems.has("body"):
        _check_placeholders(problems, clean_body)
    problems.raise_if_any()
    assert clean_name is not None and clean_body is not None
    if template is None:
        template = ReplyTemplate(owner_id=viewer.staff_user_id)
        session.add(template)
    template.name = clean_name
    template.body = clean_body
    template.shared = shared
    await session.flush()
    return template


async def delete_reply_template(
    session: AsyncSession, viewer: Viewer, template_id: int | None
) -> int:
    problems = Problems()
    template = await _editable(session, problems, viewer, template_id)
    problems.raise_if_any()
    assert template is not None
    deleted = template.id
    await session.delete(template)
    await session.flush()
    return deleted


def render(body: str, values: Mapping[str, str]) -> str:
    """`body` with each placeholder replaced by its value, in one pass: a value that looks
    like a placeholder (a case titled "{{user.name}}") stays as it is."""
    return PLACEHOLDER.sub(lambda m: values.get(m[1].strip(), m[0]), body)


async def _values(session: AsyncSession, viewer: Viewer, case: Case) -> dict[str, str]:
    customer = await session.get(Customer, case.customer_id) if case.customer_id else None
    contact = await session.get(Contact, case.contact_id) if case.contact_id else None
    return {
        "case.number": str(case.number),
        "case.title": case.title or "",
        "customer.name": customer.name if customer else "",
        "contact.name": contact.name if contact else "",
        "user.name": viewer.name,
    }


async def rendered(
    session: AsyncSession, viewer: Viewer, template: ReplyTemplate, case: Case
) -> str:
    """The template's text filled in for `case`, written by the viewer."""
    return render(template.body, await _values(session, viewer, case))


async def render_for_case(
    session: AsyncSession, viewer: Viewer, template_id: int | None, case_id: int | None
) -> str:
    template = await usable_template(session, viewer, template_id)
    if template is None:
        raise NotFound("The reply template was not found.")
    case = await visible_case(session, viewer, case_id)
    if case is None:
        raise NotFound("The case was not found.")
    return await rendered(session, viewer, template, case)
