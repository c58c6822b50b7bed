"""Every e-mail the product sends is in Swedish, from one module of texts."""

from __future__ import annotations

from domain.mail_texts import assignment_mail, password_reset_mail
from tests.support.client import Api, unique


async def test_a_mention_is_mailed_in_swedish(api: Api) -> None:
    tenant = await api.new_tenant()
    handle = unique("sara")
    sara = await tenant.create_user("Sara Nilsson", handle=handle)
    erik = await tenant.create_user("Erik Johansson")
    case = await tenant.register_case(title="Läckande element")
    added = await api.data(
        "mutation($c: ID!, $b: String!) { addComment(input: {caseId: $c, body: $b}) "
        "{ userErrors { code } } }",
        {"c": case["id"], "b": f"@{handle} kan du titta i morgon?"},
        erik["token"],
    )
    assert added["addComment"]["userErrors"] == []
    [mail] = await api.mail.wait_for(sara["email"])
    number = case["number"]
    assert (
        mail.message["Subject"] == f"Erik Johansson nämnde dig i ärende #{number}: Läckande element"
    )
    assert mail.text.strip() == (
        f"Erik Johansson nämnde dig i ärende #{number} (Läckande element):\n\n"
        f"@{handle} kan du titta i morgon?"
    )


def test_the_slots_for_assignment_and_password_reset_are_swedish() -> None:
    assigned = assignment_mail(assigned_by="Anna Berg", case_number=12, case_title="Trasig port")
    assert assigned.subject == "Du har tilldelats ärende #12: Trasig port"
    assert assigned.body == "Anna Berg har tilldelat dig ärende #12 (Trasig port).\n"
    untitled = assignment_mail(assigned_by=None, case_number=3, case_title=None)
    assert untitled.subject == "Du har tilldelats ärende #3"

    link = "https://arenden.example.se/reset-password?token=abc_-123"
    reset = password_reset_mail(name="Karin", link=link, valid_minutes=60)
    assert reset.subject == "Återställ ditt lösenord"
    assert reset.body.startswith("Hej Karin!")
    assert link in reset.body and "60 minuter" in reset.body
