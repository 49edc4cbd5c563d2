"""What a resolver hands the access log about its request (app/privacy/accesslog): the
operation's name. A function of the plumbing, so every slice's api can call it."""

from __future__ import annotations

from typing import Any


def operation_name(info: Any) -> str:
    """The operation's name as the client sent it (a trusted document's name), or "-"."""
    operation = getattr(info, "operation", None)
    name = getattr(operation, "name", None)
    return name.value if name is not None else "-"
