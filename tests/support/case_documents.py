"""GraphQL documents the case tests share."""

from __future__ import annotations

CASE_FIELDS = """
  id number title description deadline visibleInPortal color createdAt updatedAt
  location { lat lng }
  customer { id name } contact { id name } object { id name } project { id name }
  assignedUsers { id name } assignedGroups { id name } responsible { id name } createdBy { id }
  type { id name } priority { id name } status { id name closed }
  customFields { key label value }
  tasks { id title done assignee { id name } }
  forms { id name answers { key label kind value } }
"""


def mutation(field: str, input_type: str, selection: str) -> str:
    """`field(input: $input) { selection }` as a mutation document."""
    return f"mutation($input: {input_type}!) {{ {field}(input: $input) {{ {selection} }} }}"


CASE_PAYLOAD = f"case {{ {CASE_FIELDS} }} userErrors {{ field message code }}"
REGISTER = mutation("registerCase", "RegisterCaseInput", CASE_PAYLOAD)
UPDATE = mutation("updateCase", "UpdateCaseInput", CASE_PAYLOAD)
CASE = f"query($id: ID!) {{ case(id: $id) {{ {CASE_FIELDS} }} }}"

SAVE_CASE_TYPE = """mutation($input: SaveCaseTypeInput!) { saveCaseType(input: $input) {
  caseType { id name color active fields { key label kind required options } }
  userErrors { field message code } } }"""

UPDATE_SETTINGS = """mutation($input: UpdateCaseModuleSettingsInput!) {
  updateCaseModuleSettings(input: $input) {
    settings { fields { field visible required defaultValue }
               tabs { events customerConversations tasks forms } smsEnabled reminderLeadMinutes }
    userErrors { field message code } } }"""

EVENTS = """query($id: ID!, $first: Int, $after: String) { case(id: $id) {
  events(first: $first, after: $after) {
    edges { cursor node { id at action actorName changes { field from to } } }
    pageInfo { hasNextPage endCursor } } } }"""


def errors_by_field(payload: dict[str, object]) -> dict[tuple[str, ...], str]:
    """{path: code} of a payload's userErrors."""
    found = payload["userErrors"]
    assert isinstance(found, list)
    return {tuple(e["field"]): e["code"] for e in found}


# A case type's fields, one of each kind, as `saveCaseType` takes them.
CUSTOM_FIELDS = [
    {"key": "floor", "label": "Våning", "kind": "NUMBER"},
    {"key": "apartment", "label": "Lägenhet", "kind": "TEXT"},
    {"key": "insured", "label": "Försäkrad", "kind": "BOOLEAN"},
    {"key": "found", "label": "Upptäckt", "kind": "DATE"},
    {"key": "room", "label": "Rum", "kind": "SELECT", "options": ["Kök", "Bad"]},
]
