"""Institutions' use cases: the actor, lookups, institution, groups, children, people, devices."""
