"""Where a case's location came from, and so whether it follows a change of customer.

A location taken from the case's object or customer belongs to them: when `changeCaseCustomer`
moves the case, it is taken anew (the object still on the case, else the new customer, else
none). One that was sent, or came from the settings' default, is the case's own and stays.
"""

from __future__ import annotations

from enum import StrEnum

from db.models import Case, CaseObject, Customer


class LocationSource(StrEnum):
    INPUT = "INPUT"  # sent by a client, or the settings' default
    OBJECT = "OBJECT"
    CUSTOMER = "CUSTOMER"


def _at(place: CaseObject | Customer | None, lat: float, lng: float) -> bool:
    return place is not None and (place.lat, place.lng) == (lat, lng)


def follows_links(case: Case, obj: CaseObject | None, customer: Customer | None) -> bool:
    """Whether the case's location came from `obj` or `customer` (its links before a change).

    Cases from before the source was kept have none: theirs counts as taken from the object
    or customer when it is exactly where they are.
    """
    if case.lat is None or case.lng is None:
        return False
    if case.location_source is not None:
        return case.location_source in (LocationSource.OBJECT, LocationSource.CUSTOMER)
    return _at(obj, case.lat, case.lng) or _at(customer, case.lat, case.lng)
