"""The live table view: `caseChanged` pushes each change of a case in my view, resumable."""

from __future__ import annotations

import asyncio
import contextlib
from contextlib import AsyncExitStack
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
from sqlalchemy import update as update_rows

from db.engine import Database
from db.models import Case
from domain.tenants import create_tenant
from graph.ids import pk_of
from tests.support.client import PASSWORD, Api, GraphQLSocket, Tenant, eventually, unique
from tests.support.processes import RedisProcess, server_process
from tests.test_scale_out import shared_services, ws
from tests.test_sla import save_policy, sweep

__all__ = ["shared_services"]  # the scale-out test's PostgreSQL and Redis of its own

CHANGED = """subscription($scope: CaseScope, $filter: CaseFilter, $after: ID) {
  caseChanged(scope: $scope, filter: $filter, after: $after) {
    id kind caseId at case { id title status { name } } } }"""
UPDATE = """mutation($input: UpdateCaseInput!) { updateCase(input: $input) {
  case { id } userErrors { field code } } }"""
DELETE = """mutation($id: ID!) { deleteCase(input: {id: $id}) { deletedId userErrors { code } } }"""
SET_MEMBERS = """mutation($input: SetGroupMembersInput!) { setGroupMembers(input: $input) {
  group { id } userErrors { code } } }"""
NODE = """query($id: ID!) { node(id: $id) { ... on CaseChange { id kind caseId case { id } } } }"""


async def subscribe(
    api: Api, socket: GraphQLSocket, tenant: Tenant, live: int, **variables: Any
) -> str:
    """Subscribes and waits until the view is live (`live`: how many the tenant then has)."""
    operation = await socket.subscribe(CHANGED, variables)
    if variables.get("after") is None:
        await eventually(
            lambda: asyncio.sleep(0, len(api.services.case_feeds.live_views(tenant.pk)) >= live),
            what="the view to go live",
        )
    return operation


async def next_change(socket: GraphQLSocket, timeout: float = 10.0) -> dict[str, Any]:
    message = await socket.receive(timeout)
    assert message["type"] == "next", message
    assert "errors" not in message["payload"], message
    change: dict[str, Any] = message["payload"]["data"]["caseChanged"]
    return change


async def refusal(socket: GraphQLSocket, operation: str) -> str:
    """The error code a subscription that may not start ends with."""
    message = await socket.receive()
    assert message["id"] == operation, message
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    code: str = errors[0]["extensions"]["code"]
    return code


async def update(api: Api, token: str, **given: Any) -> None:
    payload = (await api.data(UPDATE, {"input": given}, token))["updateCase"]
    assert payload["userErrors"] == [], payload


async def test_registering_updating_and_deleting_a_case_are_pushed(api: Api) -> None:
    tenant = await api.new_tenant()
    async with api.ws(tenant.admin_token) as socket:
        await subscribe(api, socket, tenant, 1)
        case = await tenant.register_case(title="Läckande kran")
        registered = await next_change(socket)
        assert registered["kind"] == "REGISTERED"
        assert registered["caseId"] == case["id"]
        assert registered["case"]["title"] == "Läckande kran"

        await update(api, tenant.admin_token, id=case["id"], title="Droppande kran")
        updated = await next_change(socket)
        assert (updated["kind"], updated["case"]["title"]) == ("UPDATED", "Droppande kran")
        assert updated["id"] != registered["id"]

        # A comment is not a change of the case's table row.
        await api.data(
            """mutation($c: ID!) { addComment(input: {caseId: $c, body: "Ringt"}) {
                 comment { id } } }""",
            {"c": case["id"]},
            tenant.admin_token,
        )
        deleted = (await api.data(DELETE, {"id": case["id"]}, tenant.admin_token))["deleteCase"]
        assert deleted["userErrors"] == []
        gone = await next_change(socket)
        assert (gone["kind"], gone["caseId"], gone["case"]) == ("DELETED", case["id"], None)

        # node(id:) finds a change for the case's tenant only.
        found = await api.data(NODE, {"id": gone["id"]}, tenant.admin_token)
        assert found["node"] == {
            "id": gone["id"],
            "kind": "DELETED",
            "caseId": case["id"],
            "case": None,
        }
        stranger = await api.new_tenant("Annan AB")
        assert (await api.data(NODE, {"id": gone["id"]}, stranger.admin_token))["node"] is None


async def test_a_case_leaving_the_filter_gets_a_last_update_then_nothing(api: Api) -> None:
    tenant = await api.new_tenant()
    statuses = (await tenant.options())["statuses"]
    new, ongoing = statuses["Ny"], statuses["Pågående"]
    async with api.ws(tenant.admin_token) as socket:
        await subscribe(api, socket, tenant, 1, filter={"statusIds": [new], "open": True})
        leaving = await tenant.register_case(title="Lämnar vyn", statusId=new)
        assert (await next_change(socket))["caseId"] == leaving["id"]

        await update(api, tenant.admin_token, id=leaving["id"], statusId=ongoing)
        last = await next_change(socket)
        assert (last["kind"], last["caseId"]) == ("UPDATED", leaving["id"])
        assert last["case"]["status"]["name"] == "Pågående"

        # Outside the view now: its changes pass by; others' in the view arrive, in order.
        await update(api, tenant.admin_token, id=leaving["id"], title="Fortfarande utanför")
        await tenant.register_case(title="Utanför från början", statusId=ongoing)
        staying = await tenant.register_case(title="I vyn", statusId=new)
        following = await next_change(socket)
        assert (following["kind"], following["caseId"]) == ("REGISTERED", staying["id"])

        # Coming back into the view is pushed again.
        await update(api, tenant.admin_token, id=leaving["id"], statusId=new)
        back = await next_change(socket)
        assert (back["caseId"], back["case"]["title"]) == (leaving["id"], "Fortfarande utanför")


async def test_mine_follows_assignees_groups_and_membership(api: Api) -> None:
    tenant = await api.new_tenant()
    sara = await tenant.create_user("Sara Lind")
    erik = await tenant.create_user("Erik Berg")
    team = await tenant.create_group("Fastighet", [sara["id"]])
    async with api.ws(sara["token"]) as socket:
        await subscribe(api, socket, tenant, 1, scope="MINE")
        await tenant.register_case(title="Eriks", assignedUserIds=[erik["id"]])
        direct = await tenant.register_case(title="Saras", assignedUserIds=[sara["id"]])
        assert (await next_change(socket))["caseId"] == direct["id"]
        via_group = await tenant.register_case(title="Gruppens", assignedGroupIds=[team["id"]])
        assert (await next_change(socket))["caseId"] == via_group["id"]

        # Sara leaves the group: the group's cases are no longer hers from then on.
        moved = await api.data(
            SET_MEMBERS,
            {"input": {"groupId": team["id"], "memberIds": [erik["id"]]}},
            tenant.admin_token,
        )
        assert moved["setGroupMembers"]["userErrors"] == []
        await update(api, tenant.admin_token, id=via_group["id"], title="Gruppens, ändrad")
        responsible = await tenant.register_case(title="Ansvarig", responsibleId=sara["id"])
        assert (await next_change(socket))["caseId"] == responsible["id"]


async def test_another_tenant_s_changes_are_never_seen(api: Api) -> None:
    ours = await api.new_tenant()
    theirs = await api.new_tenant("Grannen AB")
    async with api.ws(ours.admin_token) as socket:
        await subscribe(api, socket, ours, 1)
        foreign = await theirs.register_case(title="Deras")
        await update(api, theirs.admin_token, id=foreign["id"], title="Deras, ändrad")
        own = await ours.register_case(title="Vår")
        change = await next_change(socket)
        assert change["caseId"] == own["id"]
        # Their change ids resume nothing of ours; their cursor is not ours.
        async with api.ws(theirs.admin_token) as other:
            await subscribe(api, other, theirs, 1)
            await update(api, theirs.admin_token, id=foreign["id"], title="Igen")
            their_change = await next_change(other)
        refused = await socket.subscribe(CHANGED, {"after": their_change["id"]})
        assert await refusal(socket, refused) == "NOT_FOUND"


async def test_a_portal_viewer_is_forbidden(api: Api) -> None:
    tenant = await api.new_tenant()
    customer = await tenant.create_customer()
    contact = await tenant.create_portal_contact(customer["id"])
    async with api.ws(contact["token"]) as socket:
        operation = await socket.subscribe(CHANGED)
        assert await refusal(socket, operation) == "FORBIDDEN"


async def test_after_replays_then_goes_live_without_gap_or_duplicate(api: Api) -> None:
    tenant = await api.new_tenant()
    async with api.ws(tenant.admin_token) as socket:
        await subscribe(api, socket, tenant, 1)
        first = await tenant.register_case(title="Ett")
        cursor = (await next_change(socket))["id"]
        assert first
    before = [await tenant.register_case(title=f"Före {i}") for i in range(5)]

    async def keep_writing() -> list[str]:
        return [(await tenant.register_case(title=f"Under {i}"))["id"] for i in range(5)]

    async with api.ws(tenant.admin_token) as socket:
        await socket.subscribe(CHANGED, {"after": cursor})
        writing = asyncio.create_task(keep_writing())
        got = [await next_change(socket) for _ in range(5)]
        during = await writing
        got += [await next_change(socket) for _ in range(5)]
        last = await tenant.register_case(title="Efter")
        got.append(await next_change(socket))
    assert [c["caseId"] for c in got] == [c["id"] for c in before] + during + [last["id"]]
    assert len({c["id"] for c in got}) == len(got)


async def test_each_view_gets_exactly_its_own_changes(api: Api) -> None:
    tenant = await api.new_tenant()
    statuses = (await tenant.options())["statuses"]
    sara = await tenant.create_user("Sara Lind")
    customer = await tenant.create_customer("Brf Solbacken")
    views: dict[str, tuple[str, dict[str, Any]]] = {
        "all": (tenant.admin_token, {}),
        "open": (tenant.admin_token, {"filter": {"open": True}}),
        "closed": (tenant.admin_token, {"filter": {"open": False}}),
        "customer": (sara["token"], {"filter": {"customerIds": [customer["id"]]}}),
        "mine": (sara["token"], {"scope": "MINE"}),
        "stockholm": (
            sara["token"],
            {"filter": {"within": {"south": 59.2, "west": 17.8, "north": 59.5, "east": 18.3}}},
        ),
    }
    async with AsyncExitStack() as stack:
        sockets: dict[str, GraphQLSocket] = {}
        for live, (name, (token, variables)) in enumerate(views.items(), start=1):
            sockets[name] = await stack.enter_async_context(api.ws(token))
            await subscribe(api, sockets[name], tenant, live, **variables)
        plain = await tenant.register_case(title="Internt")
        hers = await tenant.register_case(
            title="Saras i Stockholm",
            assignedUserIds=[sara["id"]],
            location={"lat": 59.33, "lng": 18.07},
        )
        on_customer = await tenant.register_case(title="Kundens", customerId=customer["id"])
        await update(api, tenant.admin_token, id=plain["id"], statusId=statuses["Avslutad"])
        expected = {
            "all": [plain["id"], hers["id"], on_customer["id"], plain["id"]],
            "open": [plain["id"], hers["id"], on_customer["id"], plain["id"]],
            "closed": [plain["id"]],
            "customer": [on_customer["id"]],
            "mine": [hers["id"]],
            "stockholm": [hers["id"]],
        }
        for name, case_ids in expected.items():
            got = [(await next_change(sockets[name]))["caseId"] for _ in case_ids]
            assert got == case_ids, name
        # Nothing more for anyone: a last change every view sees comes next everywhere.
        final = await tenant.register_case(
            title="Sist",
            customerId=customer["id"],
            assignedUserIds=[sara["id"]],
            location={"lat": 59.33, "lng": 18.07},
            statusId=statuses["Avslutad"],
        )
        for name in ["all", "closed", "customer", "mine", "stockholm"]:
            assert (await next_change(sockets[name]))["caseId"] == final["id"], name


async def _deliver(api: Api, tenant: Tenant, filters: list[dict[str, Any]]) -> int:
    """Views with these filters (each matching), one change; the statements delivery cost."""
    case = await tenant.register_case(title="Mätt")
    async with AsyncExitStack() as stack:
        sockets = []
        for live, given in enumerate(filters, start=1):
            socket = await stack.enter_async_context(api.ws(tenant.admin_token))
            await subscribe(api, socket, tenant, live, filter=given)
            sockets.append(socket)
        async with api.counting_statements() as counter:
            await update(api, tenant.admin_token, id=case["id"], title="Mätt igen")
            for socket in sockets:
                assert (await next_change(socket))["caseId"] == case["id"]
    return counter.count


async def test_a_change_costs_the_same_statements_for_one_view_or_many(api: Api) -> None:
    tenant = await api.new_tenant()
    statuses = list((await tenant.options())["statuses"].values())
    alone = await _deliver(api, tenant, [{"open": True}])
    many = await _deliver(
        api,
        tenant,
        [
            {"open": True},
            {"statusIds": statuses},
            {"statusIds": statuses[:1], "open": True},
            {"deadlineBefore": None},
            {},
            {"assigneeUserIds": None, "open": True},
        ],
    )
    assert many == alone, (alone, many)


async def test_changes_cross_instances_and_survive_a_redis_restart(
    shared_services: tuple[str, RedisProcess],
) -> None:
    database_url, redis = shared_services
    env = {
        "WORKCLOUD_DATABASE_URL": database_url,
        "WORKCLOUD_BROADCAST_URL": redis.url,
        "WORKCLOUD_DEADLINE_REMINDER_INTERVAL": "0",
    }
    db = Database(database_url)
    await db.migrate()
    email = f"{unique('admin')}@example.se"
    async with db.transaction(None) as session:
        tenant_row, _admin = await create_tenant(
            session, name="Kvarnen", admin_email=email, admin_password=PASSWORD
        )
    async with (
        server_process(env) as a_url,
        server_process(env) as b_url,
        httpx.AsyncClient(base_url=a_url, timeout=30) as a,
    ):
        api_a = Api(base_url=a_url, http=a, db=db, backend="postgres", services=None)  # type: ignore[arg-type]
        tenant = Tenant(api_a, tenant_row.id, email, await api_a.login(email))
        statuses = (await tenant.options())["statuses"]
        open_status, ongoing = statuses["Ny"], statuses["Pågående"]
        # A cursor as a client has one: a change it was pushed (on A, once A is listening).
        watching = await ws(a_url, tenant.admin_token)
        await watching.subscribe(CHANGED)
        cursor = None
        while cursor is None:
            opening = await tenant.register_case(title="Öppning", statusId=ongoing)
            with contextlib.suppress(TimeoutError):
                cursor = (await next_change(watching, timeout=1))["id"]
        await watching.socket.close()
        # On B, after it: whatever follows arrives, by replay or live.
        listener = await ws(b_url, tenant.admin_token)
        await listener.subscribe(CHANGED, {"filter": {"statusIds": [open_status]}, "after": cursor})
        via_a = await tenant.register_case(title="Via A", statusId=open_status)
        assert (await next_change(listener))["caseId"] == via_a["id"]

        await redis.stop()
        await update(
            api_a,
            tenant.admin_token,
            id=via_a["id"],
            title="Medan Redis var nere",
            statusId=ongoing,
        )
        await redis.start()
        caught_up = await next_change(listener, timeout=20)
        # It leaves the view: a last UPDATED, as it is now.
        assert (caught_up["caseId"], caught_up["case"]["title"]) == (
            via_a["id"],
            "Medan Redis var nere",
        )
        await tenant.register_case(title="Utanför", statusId=ongoing)
        after_restart = await tenant.register_case(title="Efter omstarten", statusId=open_status)
        assert (await next_change(listener))["caseId"] == after_restart["id"]
        assert opening
        await listener.socket.close()
    await db.dispose()


SET_TAGS = """mutation($input: SetCaseTagsInput!) { setCaseTags(input: $input) {
  case { id } userErrors { field code } } }"""
MERGE = """mutation($input: MergeCasesInput!) { mergeCases(input: $input) {
  case { id } userErrors { field code } } }"""


async def test_a_tag_view_follows_tags_set_and_taken_off(api: Api) -> None:
    tenant = await api.new_tenant()
    outside = await tenant.register_case(title="Utan tagg")
    tagged = await tenant.register_case(title="Med tagg")
    async with api.ws(tenant.admin_token) as socket:
        await subscribe(api, socket, tenant, 1, filter={"tags": ["AKUT", "tak"]})
        for case_id, tags in ((outside["id"], ["Akut"]), (tagged["id"], ["Tak", "Akut"])):
            set_tags = {"caseId": case_id, "tags": tags}
            payload = await api.data(SET_TAGS, {"input": set_tags}, tenant.admin_token)
            assert payload["setCaseTags"]["userErrors"] == []
        # Only the case with both tags enters the view.
        entered = await next_change(socket)
        assert (entered["kind"], entered["caseId"]) == ("UPDATED", tagged["id"])

        taken_off = {"caseId": tagged["id"], "tags": ["Akut"]}
        await api.data(SET_TAGS, {"input": taken_off}, tenant.admin_token)
        left = await next_change(socket)
        assert (left["kind"], left["caseId"]) == ("UPDATED", tagged["id"])
        # Out of the view now: a later change of it passes by, the next in the view arrives.
        await update(api, tenant.admin_token, id=tagged["id"], title="Utanför")
        newcomer = await tenant.register_case(title="Ny")
        both = {"caseId": newcomer["id"], "tags": ["tak", "akut"]}
        await api.data(SET_TAGS, {"input": both}, tenant.admin_token)
        following = await next_change(socket)
        assert following["caseId"] == newcomer["id"]


async def test_a_merge_is_a_change_of_both_cases(api: Api) -> None:
    tenant = await api.new_tenant()
    source = await tenant.register_case(title="Källa")
    target = await tenant.register_case(title="Mål")
    async with api.ws(tenant.admin_token) as socket:
        await subscribe(api, socket, tenant, 1)
        merge = {"sourceId": source["id"], "targetId": target["id"]}
        merged = await api.data(MERGE, {"input": merge}, tenant.admin_token)
        assert merged["mergeCases"]["userErrors"] == []
        changes = [await next_change(socket), await next_change(socket)]
        assert sorted((c["kind"], c["caseId"]) for c in changes) == sorted(
            [("UPDATED", source["id"]), ("UPDATED", target["id"])]
        )


async def test_a_case_breaching_its_sla_enters_the_breached_view_and_leaves_the_other(
    api: Api,
) -> None:
    tenant = await api.new_tenant()
    await save_policy(tenant, name="Standard", firstResponseMinutes=60)
    breaching = await tenant.register_case(title="Snart sen")
    # Due in a moment, as if registered an hour ago (a change before anyone watches).
    due = datetime.now(UTC) + timedelta(seconds=1.5)
    async with api.db.transaction(tenant.pk) as session:
        await session.execute(
            update_rows(Case)
            .where(Case.id == pk_of(breaching["id"], "Case"))
            .values(sla_first_response_due_at=due, sla_first_response_warn_at=due)
        )
    async with api.ws(tenant.admin_token) as late, api.ws(tenant.admin_token) as in_time:
        await subscribe(api, late, tenant, 1, filter={"slaBreached": True})
        await subscribe(api, in_time, tenant, 2, filter={"slaBreached": False})
        waiting = await tenant.register_case(title="I tid")
        assert (await next_change(in_time))["caseId"] == waiting["id"]
        await late.assert_quiet()

        # Breached by time alone: the sweep that records it tells both views.
        await asyncio.sleep((due - datetime.now(UTC)).total_seconds() + 0.1)
        await sweep(api.db, api.services.bus, datetime.now(UTC))
        entered = await next_change(late)
        assert (entered["kind"], entered["caseId"]) == ("UPDATED", breaching["id"])
        left = await next_change(in_time)
        assert (left["kind"], left["caseId"]) == ("UPDATED", breaching["id"])

        # Out of the in-time view now: its changes pass it by, and reach the breached one.
        await update(api, tenant.admin_token, id=breaching["id"], title="Sen")
        changed = await next_change(late)
        assert (changed["caseId"], changed["case"]["title"]) == (breaching["id"], "Sen")
        await update(api, tenant.admin_token, id=waiting["id"], title="Fortfarande i tid")
        assert (await next_change(in_time))["caseId"] == waiting["id"]
        await late.assert_quiet()
        await in_time.assert_quiet()
