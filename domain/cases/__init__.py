"""Cases: registration, changes, tasks and forms, tabs, who may see a case and who is told,
the event log and the table view."""

# Whatever writes a case imports this package: the case-change feed's session hooks are
# then in place for every session that does.
from domain.cases import change_feed as change_feed
