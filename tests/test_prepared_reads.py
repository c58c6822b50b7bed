"""A prepared read sees only its session's tenant, in every table it reads, joined ones too."""

from __future__ import annotations

import pytest
from sqlalchemy import BigInteger, bindparam, literal, select
from sqlalchemy.orm import aliased

from db import models
from db.prepared import PreparedRead, in_ids
from graph.ids import pk_of
from tests.support.client import Api


def _tasks_with_assignees() -> PreparedRead:
    assignee = aliased(models.User, name="assignee")
    return PreparedRead(
        select(models.Task.case_id, models.Task.title, assignee.name)
        .select_from(models.Task)
        .outerjoin(assignee, assignee.id == models.Task.assignee_id)
        .where(in_ids(models.Task.case_id, "case_ids"))
        .order_by(models.Task.id)
    )


async def _case_with_task(api: Api, name: str) -> tuple[int, int]:
    tenant = await api.new_tenant(name)
    user = await tenant.create_user(f"Tekniker på {name}")
    case = await tenant.register_case(title=f"Ärende hos {name}")
    added = await api.data(
        """mutation($input: AddTaskInput!) { addTask(input: $input) { userErrors { code } } }""",
        {"input": {"caseId": case["id"], "title": f"Uppgift hos {name}", "assigneeId": user["id"]}},
        tenant.admin_token,
    )
    assert added["addTask"]["userErrors"] == [], added
    case_pk = pk_of(case["id"], "Case")
    assert case_pk is not None
    return tenant.pk, case_pk


async def test_a_prepared_read_returns_only_its_tenants_rows(api: Api) -> None:
    ours, our_case = await _case_with_task(api, "Kvarnen")
    theirs, their_case = await _case_with_task(api, "Annan AB")
    read = _tasks_with_assignees()
    for tenant, case, title in [(ours, our_case, "Kvarnen"), (theirs, their_case, "Annan AB")]:
        async with api.db.session(tenant) as session:
            # Both tenants' cases asked for: only the session's own come back.
            rows = await read.rows(session, {"case_ids": [our_case, their_case]})
        assert [tuple(row) for row in rows] == [
            (case, f"Uppgift hos {title}", f"Tekniker på {title}")
        ]


async def test_every_table_a_prepared_read_joins_is_limited_to_the_tenant(api: Api) -> None:
    """A foreign row reached through a join is not joined: the ON clause has the criterion."""
    ours, our_case = await _case_with_task(api, "Kvarnen")
    theirs, _their_case = await _case_with_task(api, "Annan AB")
    foreign = aliased(models.User, name="foreign")
    read = PreparedRead(
        select(models.Task.title, foreign.name)
        .select_from(models.Task)
        .outerjoin(foreign, foreign.tenant_id == bindparam("other", type_=BigInteger()))
        .where(models.Task.case_id == bindparam("case", type_=BigInteger()))
    )
    async with api.db.session(ours) as session:
        rows = await read.rows(session, {"other": theirs, "case": our_case})
    assert [tuple(row) for row in rows] == [("Uppgift hos Kvarnen", None)]


async def test_a_prepared_read_takes_no_literal_and_needs_a_tenant(api: Api) -> None:
    ours, our_case = await _case_with_task(api, "Kvarnen")
    literal_value = PreparedRead(select(models.Task.title).where(models.Task.case_id == our_case))
    async with api.db.session(ours) as session:
        with pytest.raises(ValueError, match="parameter"):
            await literal_value.rows(session, {})
        with pytest.raises(ValueError, match="parameter"):
            await PreparedRead(select(literal(1))).rows(session, {})
    async with api.db.session(None) as session:
        with pytest.raises(RuntimeError, match="tenant"):
            await _tasks_with_assignees().rows(session, {"case_ids": [our_case]})


async def test_a_read_across_tenants_runs_only_where_no_tenant_is_set(api: Api) -> None:
    """The sign-in token's read finds the tenant, so it is not scoped; it may never run in a
    tenant's session, where a reader would expect the tenant's rows alone."""
    ours, our_case = await _case_with_task(api, "Kvarnen")
    read = PreparedRead(
        select(models.Task.title).where(
            models.Task.case_id == bindparam("case", type_=BigInteger())
        ),
        across_tenants=True,
    )
    async with api.db.session(None) as session:
        rows = await read.rows(session, {"case": our_case})
    assert [tuple(row) for row in rows] == [("Uppgift hos Kvarnen",)]
    async with api.db.session(ours) as session:
        with pytest.raises(RuntimeError, match="across tenants"):
            await read.rows(session, {"case": our_case})
