"""Tenants and their people: municipalities, institutions, groups, children, guardians, staff."""
