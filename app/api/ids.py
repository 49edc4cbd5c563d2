"""Relay global IDs: opaque outside, UUIDs inside."""

from __future__ import annotations

import uuid

import strawberry
from strawberry.relay import GlobalID, GlobalIDValueError

from app.core.errors import NotFound


def decode(value: strawberry.ID | str, type_name: str, *, field: str) -> uuid.UUID:
    """The UUID inside a global ID of `type_name`; anything else is simply not found."""
    try:
        global_id = GlobalID.from_id(value)
        if global_id.type_name != type_name:
            raise NotFound(field=field)
        return uuid.UUID(global_id.node_id)
    except (GlobalIDValueError, ValueError) as exc:
        raise NotFound(field=field) from exc


NOTHING = uuid.UUID(int=0)


def decode_each(values: list[strawberry.ID], type_name: str) -> list[uuid.UUID]:
    """The UUIDs inside a list of global IDs of `type_name`, in order; an ID that is not one
    becomes an id nothing has, so that a call for several (siblings) refuses it per item as
    not found instead of refusing the whole list for it."""
    found = []
    for value in values:
        decoded = try_decode(value)
        found.append(decoded[1] if decoded and decoded[0] == type_name else NOTHING)
    return found


def try_decode(value: strawberry.ID | str) -> tuple[str, uuid.UUID] | None:
    try:
        global_id = GlobalID.from_id(value)
        return global_id.type_name, uuid.UUID(global_id.node_id)
    except (GlobalIDValueError, ValueError):
        return None


def plain_uuid(value: strawberry.ID | str, *, field: str) -> uuid.UUID:
    """IDs of non-node things (sessions, closed days, absences); a bad one is not found."""
    try:
        return uuid.UUID(value)
    except ValueError as exc:
        raise NotFound(field=field) from exc


def encode(type_name: str, value: uuid.UUID) -> str:
    """The global ID of a thing that is not a Node (a File) or is named outside a resolver."""
    return str(GlobalID(type_name, str(value)))
