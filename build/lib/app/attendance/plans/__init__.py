"""The pickup plan: weekly defaults, date overrides, how a child leaves; rules, history, notices."""
