"""WorkCloud Cases: the case-management GraphQL API."""
