"""Cases: registration, changes, tasks and forms, the event log and the table view."""
