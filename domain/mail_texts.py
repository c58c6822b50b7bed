"""Every e-mail the product sends, in one place: subjects and bodies, in Swedish."""

from __future__ import annotations

from dataclasses import dataclass

_CASE = "ärende"  # in the middle of a sentence


@dataclass(frozen=True)
class MailText:
    subject: str
    body: str


def _case_subject(
    number: int, title: str | None, *, hash_sign: bool = True, word: str = "Ärende"
) -> str:
    label = f"{word} #{number}" if hash_sign else f"{word} {number}"
    return f"{label}: {title}" if title else label


def confirmation_mail(
    *,
    contact_name: str,
    case_number: int,
    case_title: str | None,
    case_description: str | None,
    sender_name: str,
) -> MailText:
    """To a case's contact when the case is registered with `sendConfirmation`."""
    details = "\n".join(t for t in (case_title, case_description) if t)
    paragraphs = [
        f"Hej {contact_name}!",
        f"Vi har tagit emot ditt ärende och gett det nummer {case_number}.",
        details,
        "Svara på det här mejlet om du vill lägga till något.",
        f"Med vänliga hälsningar\n{sender_name}",
    ]
    return MailText(
        subject=_case_subject(case_number, case_title, hash_sign=False),
        body="\n\n".join(p for p in paragraphs if p),
    )


def customer_message_mail(
    *, case_number: int, case_title: str | None, message: str, author_name: str, sender_name: str
) -> MailText:
    """A message to the customer (`sendCustomerMessage`), to the case's contact."""
    return MailText(
        subject=_case_subject(case_number, case_title),
        body=(
            f"{message}\n\n"
            f"-- \n{author_name}, {sender_name}\n"
            "Svara på det här mejlet för att svara i ärendet.\n"
        ),
    )


def mention_mail(
    *, author_name: str, case_number: int, case_title: str | None, comment: str
) -> MailText:
    """To a staff user @mentioned in a comment, when their profile asks for it."""
    who = author_name or "Någon"
    return MailText(
        subject=f"{who} nämnde dig i {_case_subject(case_number, case_title, word=_CASE)}",
        body=f"{who} nämnde dig i ärende #{case_number} ({case_title or ''}):\n\n{comment}\n",
    )


def assignment_mail(
    *, assigned_by: str | None, case_number: int, case_title: str | None
) -> MailText:
    """To a staff user assigned to a case (directly or through a group), when their profile
    asks for it; `assigned_by` is the name of whoever assigned, None for the system."""
    who = assigned_by or "Någon"
    return MailText(
        subject=f"Du har tilldelats {_case_subject(case_number, case_title, word=_CASE)}",
        body=(
            f"{who} har tilldelat dig ärende #{case_number}"
            + (f" ({case_title})" if case_title else "")
            + ".\n"
        ),
    )


def password_reset_mail(*, name: str, link: str, valid_minutes: int) -> MailText:
    """To a user or portal contact who asked to reset their password; `link` carries the
    single-use token."""
    return MailText(
        subject="Återställ ditt lösenord",
        body=(
            f"Hej {name}!\n\n"
            "Någon (förhoppningsvis du) har bett om att få återställa lösenordet till ditt "
            "konto. Välj ett nytt lösenord här:\n\n"
            f"{link}\n\n"
            f"Länken går att använda en gång och gäller i {valid_minutes} minuter. Har du inte "
            "bett om detta kan du bortse från mejlet; ditt lösenord är oförändrat.\n"
        ),
    )
