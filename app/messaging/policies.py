"""Who sees which threads and messages: the SQL scopes every list, loader and node() uses."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, select

from app.core.actor import Actor
from app.messaging.models import Message, Participant, Thread, ThreadState


def _reach(actor: Actor) -> ColumnElement[bool]:
    """Participant rows through which `actor` reaches a thread: their own (not removed), a
    shared inbox of a group they staff, the institution inbox of an institution they lead."""
    clauses: list[ColumnElement[bool]] = [
        and_(
            Participant.kind == "user",
            Participant.user_id == actor.user_id,
            Participant.removed_at.is_(None),
        )
    ]
    if actor.groups_staffed:
        clauses.append(
            and_(
                Participant.kind == "group_inbox",
                Participant.group_id.in_(actor.groups_staffed),
                Participant.institution_id.in_(actor.staff_of | actor.admin_of),
            )
        )
    if actor.admin_of:
        clauses.append(
            and_(
                Participant.kind == "institution_inbox",
                Participant.institution_id.in_(actor.admin_of),
            )
        )
    return or_(*clauses)


def visible_threads(actor: Actor) -> ColumnElement[bool]:
    """A thread is visible to those it reaches, and never outside the actor's tenants."""
    if not actor.institution_ids:
        return false()
    return and_(
        Thread.institution_id.in_(actor.institution_ids),
        Thread.id.in_(select(Participant.thread_id).where(_reach(actor))),
    )


def visible_messages(actor: Actor) -> ColumnElement[bool]:
    """Messages of visible threads; one who left sees what came before they left."""
    if not actor.institution_ids:
        return false()
    shared = [Participant.kind != "user"]
    reach = select(Participant.thread_id).where(
        _reach(actor),
        Participant.thread_id == Message.thread_id,
        or_(
            *shared,
            Participant.left_at.is_(None),
            Message.created_at <= Participant.left_at,
        ),
    )
    return and_(Message.institution_id.in_(actor.institution_ids), reach.exists())


def unread_condition(actor: Actor) -> Any:
    """Messages of the thread (Message joined to the actor's ThreadState) not yet read."""
    return and_(
        Message.deleted_at.is_(None),
        Message.sender_id != actor.user_id,
        or_(
            ThreadState.last_read_message_id.is_(None),
            Message.id > ThreadState.last_read_message_id,
        ),
        visible_messages(actor),
    )


def is_staff_in(actor: Actor, institution_id: object) -> bool:
    return institution_id in actor.employed_in


def can_set_inbox_reply(
    actor: Actor, institution_id: uuid.UUID, group_id: uuid.UUID | None
) -> bool:
    """A group inbox's away reply: the group's staff and the institution's admins; the
    institution inbox's (which reaches the admins): its admins."""
    if actor.is_bare_device:
        return False
    if actor.is_admin(institution_id):
        return True
    return (
        group_id is not None
        and actor.works_in(institution_id)
        and group_id in actor.groups_staffed
    )
