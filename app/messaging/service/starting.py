"""Starting a thread: whom it reaches, resolved once and kept as its participants; its
shape: one broadcast, one thread per family when it is about several families' children, or
one thread among the people named. Sending into a thread is in sending.py, the shared steps
of posting in posting.py; editing, deleting and forwarding in editing.py."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.db import new_id, utcnow, write_transaction
from app.institutions.models import Institution
from app.messaging import reads
from app.messaging.events import NEW_THREAD
from app.messaging.models import (
    Message,
    MessageAttachment,
    Participant,
    ParticipantBasis,
    Thread,
    ThreadChild,
    ThreadState,
)
from app.messaging.service import attachments, bulk, live, membership
from app.messaging.service.audience import audience_and_muted
from app.messaging.service.posting import (
    Outcome,
    clean_body,
    enqueue_notifications,
    new_message,
    new_participant,
    read_pointer,
    send_auto_replies,
    sender_role,
    shown_institution,
)
from app.messaging.service.recipients import Recipients, Resolved, resolve
from app.notifications.service import outbox as notifications

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
        institution = await db.get(Institution, institution_id)
        role = sender_role(actor, institution_id)
        outcome = Outcome(institution=shown_institution(actor, institution), files=list(stored))
        # Every thread of the message (one per family when it fans out) is written at once:
        # what it costs does not grow with the families or the people it reaches.
        messages: list[Message] = []
        participants: list[Participant] = []
        about: list[ThreadChild] = []
        states: list[ThreadState] = []
        bases: list[ParticipantBasis] = []
        carried: list[MessageAttachment] = []
        now = utcnow()
        for guardians, children, broadcast in _thread_shapes(resolved):
            message_id = new_id()
            thread = Thread(
                id=new_id(),
                institution_id=institution_id,
                subject=subject_text,
                created_by=actor.user_id,
                created_at=now,
                is_broadcast=broadcast,
                reply_to_all=reply_to_all or not broadcast,
                audience=resolved.audience if broadcast else "",
                sensitive=sensitive,
                last_message_id=message_id,
                last_message_at=now,
            )
            message = new_message(
                thread,
                message_id=message_id,
                now=now,
                sender_id=actor.user_id,
                role=role,
                body=text,
                as_group=as_group_id,
            )
            mine = _participants(thread, actor, staff, as_group_id, resolved, guardians, now)
            outcome.threads.append(thread)
            if all(c in resolved.child_rows for c in children):  # else the answer reads them
                outcome.children[thread.id] = sorted(
                    (resolved.child_rows[c] for c in children), key=lambda child: child.id
                )
            messages.append(message)
            participants += mine
            about += [
                ThreadChild(thread_id=thread.id, child_id=c, institution_id=institution_id)
                for c in children
            ]
            # The sender has read their own message; nobody archived anything yet.
            states.append(read_pointer(thread, actor.user_id, message_id))
            # Why each guardian takes part (app.messaging.service.membership).
            bases += membership.basis_rows(mine, resolved.bases, children or None)
            carried += attachments.attachment_rows(message, stored)
        await bulk.insert_all(
            db,
            [outcome.threads, messages, participants, about, states, bases, carried],
            attach=[outcome.threads, messages],
            reported=[outcome.threads, messages],
        )
        thread_ids = [t.id for t in outcome.threads]
        reached = await audience_and_muted(
            db, thread_ids, sender_id=actor.user_id, now=now, to_inboxes=role == "guardian"
        )
        zone = institution.timezone if institution is not None else None
        outbox: list[dict[str, object]] = []
        for thread, message in zip(outcome.threads, messages, strict=True):
            await enqueue_notifications(
                db, thread, message, actor.name, audience=reached, timezone=zone, into=outbox
            )
        await notifications.write_rows(db, outbox)
        for thread, message in zip(outcome.threads, messages, strict=True):
            await send_auto_replies(db, thread, message, reached, timezone=zone)
        outcome.message = messages[-1]
        outcome.message_files = {m.id: list(stored) for m in messages}
        for thread in outcome.threads:  # the away replies posted last carry no files
            if thread.last_message_id is not None:
                outcome.message_files.setdefault(thread.last_message_id, [])
        # The answer: the threads as the starter sees them now, and who takes part.
        outcome.thread_rows = await reads.thread_rows(db, actor, thread_ids)
        outcome.participants = await reads.participant_rows(db, actor, thread_ids)
        last = {t.id: t.last_message_id for t in outcome.threads if t.last_message_id}
        await live.record_thread_activity(
            db,
            NEW_THREAD,
            thread_ids,
            last,  # type: ignore[arg-type]
            reached=reached.reached,
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
    now: datetime,
) -> list[Participant]:
    rows = _people(thread, actor, staff, as_group_id, resolved, guardians)
    # Added in this order: what lists them (by when added) shows them so.
    for n, row in enumerate(rows):
        row.added_at = now + timedelta(microseconds=n)
    return rows


def _people(
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
