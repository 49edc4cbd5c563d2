"""Attendance's GraphQL: the surface root merges (operations.py), types the sub-slices share."""
