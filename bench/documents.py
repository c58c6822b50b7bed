"""The GraphQL documents the benchmarks send, each with its equivalent for the peer (PostGraphile)."""

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


def _with_tasks(document: str, last_field: str, tasks: str) -> str:
    """The document with `tasks` selected after the line `last_field`, renamed."""
    lines = document.split("\n")
    at = [i for i, line in enumerate(lines) if line.strip() == last_field]
    if len(at) != 1:
        raise ValueError(f"{last_field!r} is not a line of the document once")
    indent = lines[at[0]][: len(lines[at[0]]) - len(lines[at[0]].lstrip())]
    lines.insert(at[0] + 1, indent + tasks)
    return "\n".join(lines).replace("query TableView(", "query TableViewWithTasks(")


# The table view with each case's tasks: a field the table view's fast path does not know, so
# the whole page goes through normal execution.
TABLE_VIEW_WITH_TASKS = _with_tasks(
    TABLE_VIEW, "customFields { key label value }", "tasks { id title done assignee { id name } }"
)
PEER_TABLE_VIEW_WITH_TASKS = _with_tasks(
    PEER_TABLE_VIEW,
    "customFields",
    "tasksByCaseId(orderBy: [POSITION_ASC, PRIMARY_KEY_ASC]) { nodes { id title done userByAssigneeId { id name } } }",
)

# A case's detail page: every relation, its tasks, the first events and comments.
DETAIL_PAGE = """
query DetailPage($id: ID!, $first: Int) {
  case(id: $id) {
    id number title description deadline createdAt updatedAt
    customer { id name }
    contact { id name }
    object { id name }
    project { id name }
    type { id name color }
    status { id name color }
    priority { id name color }
    assignedUsers { id name }
    assignedGroups { id name }
    responsible { id name }
    createdBy { id name }
    customFields { key label value }
    tasks { id title done assignee { id name } }
    events(first: $first) { edges { node { id at action actorName changes { field from to } } } }
    comments(first: $first) {
      edges { node { id body createdAt author { id name } mentions { id name } } }
    }
  }
}
"""

# The peer's many-to-many relations come as their join rows (users by the assignment's key, not
# by name); events' changes come as their JSON.
PEER_DETAIL_PAGE = """
query DetailPage($case: BigInt!, $first: Int) {
  caseByRowId(rowId: $case) {
    id number title description deadline createdAt updatedAt
    customerByCustomerId { id name }
    contactByContactId { id name }
    objectByObjectId { id name }
    projectByProjectId { id name }
    caseTypeByTypeId { id name color fields }
    caseStatusByStatusId { id name color }
    casePriorityByPriorityId { id name color }
    caseAssignedUsersByCaseId { nodes { userByUserId { id name } } }
    caseAssignedGroupsByCaseId { nodes { groupByGroupId { id name } } }
    userByResponsibleId { id name }
    userByCreatedById { id name }
    customFields
    tasksByCaseId(orderBy: [POSITION_ASC, PRIMARY_KEY_ASC]) {
      nodes { id title done userByAssigneeId { id name } }
    }
    caseEventsByCaseId(orderBy: PRIMARY_KEY_ASC, first: $first) {
      edges { node { id at action actorName changes } }
    }
    commentsByCaseId(orderBy: PRIMARY_KEY_ASC, first: $first) {
      edges { node { id body createdAt userByAuthorId { id name }
        commentMentionsByCommentId { nodes { userByUserId { id name } } } } }
    }
  }
}
"""

# The lobby: the viewer's newest notifications, each with who, which case and which comment.
LOBBY = """
query Lobby($first: Int) {
  viewer {
    notifications(first: $first) {
      edges {
        cursor
        node {
          id kind createdAt readAt
          actor { id name }
          case { id number title status { id name color } }
          comment { id body }
        }
      }
      pageInfo { hasNextPage endCursor }
    }
  }
}
"""

PEER_LOBBY = """
query Lobby($user: BigInt!, $first: Int) {
  allNotifications(condition: {recipientId: $user}, orderBy: PRIMARY_KEY_DESC, first: $first) {
    edges {
      cursor
      node {
        id kind createdAt readAt
        userByActorId { id name }
        caseByCaseId { id number title caseStatusByStatusId { id name color } }
        commentByCommentId { id body }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

# The customer list: customers by name with their contacts and their first ten objects.
CUSTOMERS = """
query Customers($first: Int) {
  customers(first: $first) {
    edges {
      cursor
      node {
        id name orgNumber email phone address
        contacts { id name email phone }
        objects(first: 10) { edges { node { id name address } } }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""

PEER_CUSTOMERS = """
query Customers($tenant: BigInt!, $first: Int) {
  allCustomers(condition: {tenantId: $tenant, archivedAt: null}, orderBy: [NAME_ASC, PRIMARY_KEY_ASC], first: $first) {
    edges {
      cursor
      node {
        id name orgNumber email phone address
        contactsByCustomerId(condition: {archivedAt: null}, orderBy: [NAME_ASC, PRIMARY_KEY_ASC]) {
          nodes { id name email phone }
        }
        objectsByCustomerId(condition: {archivedAt: null}, orderBy: [NAME_ASC, PRIMARY_KEY_ASC], first: 10) {
          edges { node { id name address } }
        }
      }
    }
    pageInfo { hasNextPage endCursor }
  }
}
"""


def table_view_with_tasks(status_id: str, first: int = 50) -> dict[str, Any]:
    return {**table_view(status_id, first), "query": TABLE_VIEW_WITH_TASKS}


def peer_table_view_with_tasks(tenant_pk: int, status_pk: int, first: int = 50) -> dict[str, Any]:
    return {**peer_table_view(tenant_pk, status_pk, first), "query": PEER_TABLE_VIEW_WITH_TASKS}


def detail_page(case_id: str, first: int = 30) -> dict[str, Any]:
    return {"query": DETAIL_PAGE, "variables": {"id": case_id, "first": first}}


def peer_detail_page(case_pk: int, first: int = 30) -> dict[str, Any]:
    return {"query": PEER_DETAIL_PAGE, "variables": {"case": str(case_pk), "first": first}}


def lobby(first: int = 50) -> dict[str, Any]:
    return {"query": LOBBY, "variables": {"first": first}}


def peer_lobby(user_pk: int, first: int = 50) -> dict[str, Any]:
    return {"query": PEER_LOBBY, "variables": {"user": str(user_pk), "first": first}}


def customers(first: int = 50) -> dict[str, Any]:
    return {"query": CUSTOMERS, "variables": {"first": first}}


def peer_customers(tenant_pk: int, first: int = 50) -> dict[str, Any]:
    return {"query": PEER_CUSTOMERS, "variables": {"tenant": str(tenant_pk), "first": first}}
