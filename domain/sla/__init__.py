"""Service levels: business calendars, SLA policies, each case's targets, warnings and breaches."""
