"""Operations without a user: the worker's job registry and loop, the system-job scope,
migrations and the demo institution."""
