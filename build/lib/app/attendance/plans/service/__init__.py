"""Use cases of the pickup plan: set and clear, rules, history, leaving, notices, reads."""
