"""A tag in use in the tenant, with how many cases carry it."""

from __future__ import annotations

import strawberry

from domain.cases.tags import TagCount as DomainTagCount


@strawberry.type
class TagCount:
    name: str
    count: int = strawberry.field(description="How many of the tenant's cases carry it.")

    @classmethod
    def from_domain(cls, found: DomainTagCount) -> TagCount:
        return cls(name=found.name, count=found.count)
