"""The access log: every read of a child's personal data by someone other than the child's own
guardians, one row per (actor, child, kind, request), written in the request's own
transaction (see service/recording.py for why)."""
