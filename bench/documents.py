"""The GraphQL documents every benchmark sends: the table view, for us and for the peer."""

from __future__ import annotations

from typing import Any

# The table view: a page of cases with every column the case list shows.
TABLE_VIEW = """
query TableView($filter: CaseFilter, $search: String, $orderBy: [CaseOrder!], $first: Int, $after: String) {
  cases(filter: $filter, search: $search, orderBy: $orderBy, first: $first, after: $after) {
    edges {
      cursor
      node {
        id number title
        customer { id name }
        contact { id name }
        object { id name }
        type { id name color }
        status { id name color }
        priority { id name color }
        assignedUsers { id name }
        assignedGroups { id name }
        responsible { id name }
        deadline
        customFields { key label value }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

# The same page from PostGraphile's generated schema over the same tables. PostGraphile has no
# tenant scoping or custom-field labels of its own: the tenant is a condition, and the type's
# field definitions come along as JSON, which is the data our labels are read from.
PEER_TABLE_VIEW = """
query TableView($tenant: BigInt!, $status: BigInt!, $first: Int) {
  allCases(condition: {tenantId: $tenant, statusId: $status}, orderBy: [DEADLINE_ASC, PRIMARY_KEY_ASC], first: $first) {
    edges {
      cursor
      node {
        id number title
        customerByCustomerId { id name }
        contactByContactId { id name }
        objectByObjectId { id name }
        caseTypeByTypeId { id name color fields }
        caseStatusByStatusId { id name color }
        casePriorityByPriorityId { id name color }
        caseAssignedUsersByCaseId { nodes { userByUserId { id name } } }
        caseAssignedGroupsByCaseId { nodes { groupByGroupId { id name } } }
        userByResponsibleId { id name }
        deadline
        customFields
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def table_view(status_id: str, first: int = 50) -> dict[str, Any]:
    """Cases of one status, by deadline: the sorted and filtered table view."""
    return {
        "query": TABLE_VIEW,
        "variables": {
            "filter": {"statusIds": [status_id]},
            "orderBy": [{"field": "DEADLINE", "direction": "ASC"}],
            "first": first,
        },
    }


def peer_table_view(tenant_pk: int, status_pk: int, first: int = 50) -> dict[str, Any]:
    return {
        "query": PEER_TABLE_VIEW,
        "variables": {"tenant": str(tenant_pk), "status": str(status_pk), "first": first},
    }
