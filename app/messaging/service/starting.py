"""Starting a thread: whom it reaches, resolved once and kept as its participants; its
shape: one broadcast, one thread per family when it is about several families' children, or
one thread among the people named. Sending into a thread is in sending.py, the shared steps
of posting in posting.py; editing, deleting and forwarding in editing.py."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.db import new_id, utcnow, write_transaction
from app.messaging.events import NEW_THREAD
from app.messaging.models import Participant, Thread, ThreadChild
from app.messaging.service import attachments, live, membership
from app.messaging.service.audience import audience_and_muted
from app.messaging.service.posting import (
    Outcome,
    clean_body,
    enqueue_notifications,
    new_participant,
    post_message,
    send_auto_replies,
    sender_role,
)
from app.messaging.service.recipients import Recipients, Resolved, resolve

MAX_SUBJECT = 200


def _clean_subject(subject: str) -> str:
    text = " ".join(subject.split())
    if not text:
        raise ValidationFailed("required", field="subject")
    if len(text) > MAX_SUBJECT:
        raise ValidationFailed("too_long", field="subject", max=MAX_SUBJECT)
    return text


async def start_thread(
    *,
    db: AsyncSession,
    actor: Actor,
    institution_id: uuid.UUID,
    subject: str,
    body: str,
    recipients: Recipients,
    sensitive: bool = False,
    reply_to_all: bool = False,
    as_group_id: uuid.UUID | None = None,
    file_ids: Sequence[uuid.UUID] = (),
) -> Outcome:
    """Start one thread, or one per family when the message is about several families'
    children; recipients are resolved now and kept as the participants."""
    subject_text = _clean_subject(subject)
    text = clean_body(body, allow_empty=bool(file_ids))
    staff = actor.works_in(institution_id)
    if (sensitive or as_group_id) and not staff:
        raise NotFound(field="institutionId")
    if as_group_id is not None and as_group_id not in actor.groups_staffed:
        raise NotFound(field="asGroupId")
    async with write_transaction(db):
        resolved = await resolve(
            db=db,
            actor=actor,
            institution_id=institution_id,
            recipients=recipients,
            sensitive=sensitive,
        )
        stored = await attachments.claim(db, actor, institution_id, file_ids)
        outcome = Outcome()
        audiences: dict[uuid.UUID, set[uuid.UUID]] = {}
        role = sender_role(actor, institution_id)
        for guardians, children, broadcast in _thread_shapes(resolved):
            thread = Thread(
                id=new_id(),
                institution_id=institution_id,
                subject=subject_text,
                created_by=actor.user_id,
                is_broadcast=broadcast,
                reply_to_all=reply_to_all or not broadcast,
                audience=resolved.audience if broadcast else "",
                sensitive=sensitive,
            )
            # The message's id is made first so that the thread is written with it: no UPDATE.
            message_id, now = new_id(), utcnow()
            thread.last_message_id, thread.last_message_at = message_id, now
            db.add(thread)
            await db.flush()
            participants = _participants(thread, actor, staff, as_group_id, resolved, guardians)
            db.add_all(participants)
            db.add_all(
                ThreadChild(thread_id=thread.id, child_id=c, institution_id=institution_id)
                for c in children
            )
            # Participants, children, the message and the sender's read pointer in one flush
            # (one multi-row INSERT per table); why each guardian takes part in the next.
            message = await post_message(
                db,
                thread,
                sender_id=actor.user_id,
                role=role,
                body=text,
                as_group=as_group_id,
                fresh=(message_id, now),
            )
            db.add_all(membership.basis_rows(participants, resolved.bases, children or None))
            attachments.attach(db, message, stored)
            reached = await audience_and_muted(db, [thread.id])
            await enqueue_notifications(db, thread, message, actor.name, audience=reached)
            await send_auto_replies(db, thread, message, reached)
            outcome.threads.append(thread)
            outcome.message = message
            audiences.update(reached.reached)
        messages = {t.id: t.last_message_id for t in outcome.threads if t.last_message_id}
        await live.record_thread_activity(
            db,
            NEW_THREAD,
            [t.id for t in outcome.threads],
            messages,  # type: ignore[arg-type]
            reached=audiences,
        )
    return outcome


def _thread_shapes(
    resolved: Resolved,
) -> list[tuple[set[uuid.UUID], list[uuid.UUID], bool]]:
    """(guardians, children, is broadcast) per thread to create."""
    if resolved.is_broadcast:
        return [(resolved.broadcast_guardians, [], True)]
    if resolved.families:
        return [(set(f.guardians), f.children, False) for f in resolved.families]
    return [(resolved.peer_guardians, [], False)]


def _participants(
    thread: Thread,
    actor: Actor,
    staff: bool,
    as_group_id: uuid.UUID | None,
    resolved: Resolved,
    guardians: set[uuid.UUID],
) -> list[Participant]:
    rows: list[Participant] = []
    seen: set[uuid.UUID] = set()
    if as_group_id is not None:
        rows.append(new_participant(thread, kind="group_inbox", group_id=as_group_id, role="staff"))
    else:
        rows.append(
            new_participant(
                thread, kind="user", user_id=actor.user_id, role="staff" if staff else "guardian"
            )
        )
        seen.add(actor.user_id)
    for user_id in sorted(resolved.staff_users - seen):
        rows.append(new_participant(thread, kind="user", user_id=user_id, role="staff"))
        seen.add(user_id)
    for user_id in sorted(guardians - seen):
        rows.append(new_participant(thread, kind="user", user_id=user_id, role="guardian"))
        seen.add(user_id)
    for group_id in sorted(resolved.group_inboxes - ({as_group_id} if as_group_id else set())):
        rows.append(new_participant(thread, kind="group_inbox", group_id=group_id, role="staff"))
    if resolved.institution_inbox:
        rows.append(new_participant(thread, kind="institution_inbox", role="staff"))
    return rows
