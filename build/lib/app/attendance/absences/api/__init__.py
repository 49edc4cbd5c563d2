"""GraphQL of absences: the child's absences, registering, reporting well, cancelling."""
