"""An SLA breach is an SLA_BREACHED webhook event: sent once per target and due time, signed,
with the case, the target and when it was due, to the tenant's active webhooks that ask."""

from __future__ import annotations

from datetime import datetime, timedelta

from tests.support.client import Api
from tests.support.webhook_receiver import WebhookReceiver
from tests.test_sla import created_at, save_policy, sla_of, sweep
from tests.test_webhooks import hook, hooks_api, receiver, settled, verify

__all__ = ["hooks_api", "receiver"]  # the webhook tests' server and endpoint receiver


async def test_a_breach_is_delivered_once_per_target_with_its_due_time(
    hooks_api: Api, receiver: WebhookReceiver
) -> None:
    tenant = await hooks_api.new_tenant()
    endpoint = receiver.endpoint()
    webhook_id = await hook(tenant, endpoint, ["SLA_BREACHED"])
    # Neither a webhook for other events, an inactive one nor another tenant's hears of it.
    other_events = receiver.endpoint()
    await hook(tenant, other_events, ["COMMENT_ADDED", "CASE_REGISTERED"])
    idle = receiver.endpoint()
    await hook(tenant, idle, ["SLA_BREACHED"], active=False)
    neighbour = await hooks_api.new_tenant("Grannen AB")
    elsewhere = receiver.endpoint()
    await hook(neighbour, elsewhere, ["SLA_BREACHED"])
    await save_policy(neighbour, name="Grannens", firstResponseMinutes=60)
    await neighbour.register_case(title="Grannens ärende")

    await save_policy(tenant, name="Standard", firstResponseMinutes=60, resolutionMinutes=120)
    case = await tenant.register_case(title="Fläkten låter")
    found = await sla_of(hooks_api, tenant, case["id"])
    created, sla = created_at(found), found["sla"]
    first_due = datetime.fromisoformat(sla["firstResponseDueAt"])
    assert first_due == created + timedelta(hours=1)
    await receiver.wait_for(other_events)  # the registration, for the other webhook

    db, bus = hooks_api.db, hooks_api.services.bus
    # 80 % of the hour gone is a warning, no webhook event.
    await sweep(db, bus, created + timedelta(minutes=50))
    # A sweep sees every tenant: the neighbour's breach goes to the neighbour's webhook only.
    await sweep(db, bus, created + timedelta(minutes=61))
    await receiver.wait_for(endpoint)
    body = verify(endpoint.received[0])
    assert body["event"] == "SLA_BREACHED"
    assert body["data"]["case"] == {
        "id": case["id"],
        "number": case["number"],
        "title": "Fläkten låter",
    }
    assert body["data"]["target"] == "FIRST_RESPONSE"
    assert datetime.fromisoformat(body["data"]["dueAt"]) == first_due
    assert set(body["data"]) == {"case", "target", "dueAt"}

    # Once per target and due time, however often the sweep looks; then the resolution.
    await sweep(db, bus, created + timedelta(minutes=62))
    await sweep(db, bus, created + timedelta(minutes=121))
    await receiver.wait_for(endpoint, 2)
    resolution = verify(endpoint.received[1])
    assert resolution["data"]["target"] == "RESOLUTION"
    assert datetime.fromisoformat(resolution["data"]["dueAt"]) == datetime.fromisoformat(
        sla["resolutionDueAt"]
    )
    await sweep(db, bus, created + timedelta(minutes=180))

    nodes = await settled(tenant, webhook_id, 2)
    assert [n["event"] for n in nodes] == ["SLA_BREACHED", "SLA_BREACHED"]
    assert all(n["status"] == "SENT" and n["attempts"] == 1 for n in nodes)
    assert len(endpoint.received) == 2
    assert [verify(r)["event"] for r in other_events.received] == ["CASE_REGISTERED"]
    assert idle.received == []
    await receiver.wait_for(elsewhere)
    [theirs] = [verify(r) for r in elsewhere.received]
    assert theirs["data"]["case"]["title"] == "Grannens ärende"
