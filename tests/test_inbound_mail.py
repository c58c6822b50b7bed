"""Reading a reply: the quoted history that mail clients add is cut away."""

from __future__ import annotations

from email.message import EmailMessage

import pytest

from messaging.inbound_mail import NotAnEmail, parse, strip_quoted


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Tack!\n\nOn Tue, 1 Dec 2026 at 09:00, Erik <e@x.se> wrote:\n> Hej\n> Karin",
            "Tack!",
        ),
        (
            "Tack!\n\nOn Tue, 1 Dec 2026 at 09:00, Erik Johansson <erik@kvarnen.se>\nwrote:\n> Hej",
            "Tack!",
        ),
        ("Tack!\n\nDen tis 1 dec. 2026 kl. 09:00 skrev Erik <e@x.se>:\n> Hej", "Tack!"),
        ("Tack!\nDen 1 december 2026 skrev:\nHej", "Tack!"),
        ("Svar högst upp\n> citerad rad\nmer svar\n>> äldre", "Svar högst upp\nmer svar"),
        (
            "Ok.\n\n________________________________\nFrån: Erik Johansson\n"
            "Skickat: den 1 december 2026 09:00\nTill: Karin\nÄmne: Ärende #1",
            "Ok.",
        ),
        ("Ok.\n\n-----Original Message-----\nFrom: Erik\nSent: Tuesday", "Ok."),
        (
            "Från: Erik till Karin, inget citat\nbara text",
            "Från: Erik till Karin, inget citat\nbara text",
        ),
    ],
)
def test_quoted_history_is_stripped(text: str, expected: str) -> None:
    assert strip_quoted(text) == expected


def test_an_html_only_reply_is_read_without_its_quote() -> None:
    mail = EmailMessage()
    mail["From"] = "Karin Svensson <karin@solbacken.se>"
    mail["To"] = "Kvarnen <reply+0123456789abcdef0123456789abcdef@in.kvarnen.se>"
    mail.set_content(
        "<html><body><div>Det &auml;r fixat, tack!<br>/Karin</div>"
        '<div class="gmail_quote"><div>Den tis 1 dec. skrev Erik:</div>'
        "<blockquote>Hej Karin</blockquote></div></body></html>",
        subtype="html",
    )
    parsed = parse(bytes(mail))
    assert parsed.text == "Det är fixat, tack!\n/Karin"
    assert parsed.sender_address == "karin@solbacken.se"
    assert parsed.sender_name == "Karin Svensson"
    assert parsed.recipients == ["reply+0123456789abcdef0123456789abcdef@in.kvarnen.se"]


def test_something_that_is_not_a_mail_is_refused() -> None:
    with pytest.raises(NotAnEmail):
        parse(b"hello")
