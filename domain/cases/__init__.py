"""Cases: registration, changes, tasks and forms, tabs, who may see a case and who is told,
the event log and the table view."""
