"""The tabs of a case (events, customer conversations, tasks, forms), each turned on or off
in the case module's settings.

A tab turned off hides what it shows: reading it is FORBIDDEN (`NotAllowed`), and work on
it is a DISABLED userError.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from domain.cases.settings import ModuleSettings, load_settings
from domain.errors import NotAllowed, Problems, UserErrorCode


def check_events_tab(settings: ModuleSettings) -> None:
    """The event log is read only while the events tab is on."""
    if not settings.tabs.events:
        raise NotAllowed("The events tab is turned off in the case module's settings.")


def check_conversations_tab(settings: ModuleSettings, *, portal: bool) -> None:
    """The customer conversation is read only while its tab is on; the portal's view of a
    case is not told about tabs."""
    if settings.tabs.customer_conversations:
        return
    if portal:
        raise NotAllowed("Conversations are turned off.")
    raise NotAllowed("The customer-conversations tab is turned off in the settings.")


async def check_work_tab(
    session: AsyncSession, problems: Problems, tab: Literal["tasks", "forms"]
) -> None:
    """Tasks are worked only while the tasks tab is on, forms while the forms tab is."""
    tabs = (await load_settings(session)).tabs
    if not getattr(tabs, tab):
        problems.add((), f"The {tab} tab is turned off in the case module.", UserErrorCode.DISABLED)
