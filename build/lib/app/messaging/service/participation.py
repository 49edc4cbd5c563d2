"""One's own state of a thread (read, mute, archive, leave) and who takes part (staff add and
remove participants, mark a thread sensitive, set an away reply)."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.db import new_id, utcnow, write_transaction
from app.institutions.models import GuardianLink
from app.messaging.events import NEW_THREAD, READ, THREAD_CHANGED
from app.messaging.models import AutoReply, Message, Participant, Thread, ThreadChild, ThreadState
from app.messaging.policies import visible_messages
from app.messaging.service import live, membership
from app.messaging.service.posting import (
    Outcome,
    clean_body,
    mark_read_in,
    new_participant,
    reach_of,
    visible_thread,
)
from app.messaging.service.recipients import Recipients, resolve


async def _state(db: AsyncSession, thread: Thread, user_id: uuid.UUID) -> ThreadState:
    state = await db.scalar(
        select(ThreadState).where(
            ThreadState.thread_id == thread.id, ThreadState.user_id == user_id
        )
    )
    if state is None:
        state = ThreadState(
            id=new_id(), institution_id=thread.institution_id, thread_id=thread.id, user_id=user_id
        )
        db.add(state)
    return state


async def mark_read(
    *,
    db: AsyncSession,
    actor: Actor,
    thread_id: uuid.UUID,
    up_to_message_id: uuid.UUID | None = None,
) -> Outcome:
    """Read up to a message (default: the latest one you may see)."""
    async with write_transaction(db):
        thread = await visible_thread(db, actor, thread_id)
        statement = select(Message).where(Message.thread_id == thread.id, visible_messages(actor))
        if up_to_message_id is not None:
            statement = statement.where(Message.id == up_to_message_id)
        message = await db.scalar(statement.order_by(Message.id.desc()).limit(1))
        if message is None:
            if up_to_message_id is not None:
                raise NotFound(field="upToMessageId")
            return Outcome(threads=[thread])
        await mark_read_in(db, thread, user_id=actor.user_id, message=message)
        await live.record_personal(db, READ, actor.user_id, thread.id)
    return Outcome(threads=[thread])


async def set_flags(
    *,
    db: AsyncSession,
    actor: Actor,
    thread_id: uuid.UUID,
    muted: bool | None = None,
    archived: bool | None = None,
) -> Outcome:
    """Mute or archive a thread for oneself."""
    async with write_transaction(db):
        thread = await visible_thread(db, actor, thread_id)
        state = await _state(db, thread, actor.user_id)
        if muted is not None:
            state.muted = muted
        if archived is not None:
            state.archived = archived
        await db.flush()
        await live.record_personal(db, THREAD_CHANGED, actor.user_id, thread.id)
    return Outcome(threads=[thread])


async def leave_thread(*, db: AsyncSession, actor: Actor, thread_id: uuid.UUID) -> Outcome:
    """Leave: keep reading what came before, receive nothing new."""
    async with write_transaction(db):
        thread = await visible_thread(db, actor, thread_id)
        reach = await reach_of(db, actor, thread)
        if reach.personal is None:
            raise ValidationFailed("cannot_leave_shared_inbox", field="threadId")
        if reach.personal.left_at is None:
            reach.personal.left_at = utcnow()
        await db.flush()
        await live.record_thread_activity(
            db, THREAD_CHANGED, [thread.id], extra_users=[actor.user_id]
        )
    return Outcome(threads=[thread])


async def _staff_thread(db: AsyncSession, actor: Actor, thread_id: uuid.UUID) -> Thread:
    thread = await visible_thread(db, actor, thread_id)
    if not actor.works_in(thread.institution_id):
        raise NotFound(field="threadId")
    return thread


async def add_participants(
    *, db: AsyncSession, actor: Actor, thread_id: uuid.UUID, recipients: Recipients
) -> Outcome:
    """Staff add people or shared inboxes; a sensitive thread reaches no information-only
    guardian. Someone who left or was removed comes back."""
    async with write_transaction(db):
        thread = await _staff_thread(db, actor, thread_id)
        resolved = await resolve(
            db=db,
            actor=actor,
            institution_id=thread.institution_id,
            recipients=recipients,
            sensitive=thread.sensitive,
        )
        guardians = set(resolved.broadcast_guardians) | set(resolved.peer_guardians)
        for family in resolved.families:
            guardians |= family.guardians
        existing = (
            await db.scalars(select(Participant).where(Participant.thread_id == thread.id))
        ).all()
        users = {p.user_id: p for p in existing if p.kind == "user"}
        groups = {p.group_id: p for p in existing if p.kind == "group_inbox"}
        wanted = [(u, "staff") for u in sorted(resolved.staff_users)] + [
            (u, "guardian") for u in sorted(guardians - resolved.staff_users)
        ]
        reached: list[Participant] = []
        fresh: set[uuid.UUID] = set()  # new, or back after leaving or being removed
        for user_id, role in wanted:
            participant = users.get(user_id)
            if participant is None:
                participant = new_participant(thread, kind="user", user_id=user_id, role=role)
                db.add(participant)
                fresh.add(participant.id)
            elif participant.left_at or participant.removed_at:
                participant.left_at = participant.removed_at = None
                fresh.add(participant.id)
            reached.append(participant)
        for group_id in sorted(resolved.group_inboxes):
            if group_id not in groups:
                db.add(new_participant(thread, kind="group_inbox", group_id=group_id, role="staff"))
        if resolved.institution_inbox and not any(p.kind == "institution_inbox" for p in existing):
            db.add(new_participant(thread, kind="institution_inbox", role="staff"))
        await db.flush()
        await membership.merge_bases(db, reached, resolved.bases, fresh=fresh)
        await db.flush()
        await live.record_thread_activity(db, NEW_THREAD, [thread.id])
    return Outcome(threads=[thread])


async def remove_participant(
    *, db: AsyncSession, actor: Actor, thread_id: uuid.UUID, participant_id: uuid.UUID
) -> Outcome:
    """Staff remove someone (or a shared inbox): they no longer see the thread."""
    async with write_transaction(db):
        thread = await _staff_thread(db, actor, thread_id)
        participant = await db.scalar(
            select(Participant).where(
                Participant.id == participant_id, Participant.thread_id == thread.id
            )
        )
        if participant is None or participant.removed_at is not None:
            raise NotFound(field="participantId")
        # The one removed hears of it too: resolved before the removal.
        await live.record_thread_activity(db, THREAD_CHANGED, [thread.id])
        if participant.kind == "user":
            participant.removed_at = utcnow()
        else:
            await db.delete(participant)
        await db.flush()
    return Outcome(threads=[thread])


async def mark_sensitive(*, db: AsyncSession, actor: Actor, thread_id: uuid.UUID) -> Outcome:
    """Staff mark a thread sensitive: no text in pushes, no forwarding, and guardians with
    information-only access to its children no longer see it."""
    async with write_transaction(db):
        thread = await _staff_thread(db, actor, thread_id)
        thread.sensitive = True
        children = select(ThreadChild.child_id).where(ThreadChild.thread_id == thread.id)
        full = set(
            (
                await db.scalars(
                    select(GuardianLink.user_id).where(
                        GuardianLink.institution_id == thread.institution_id,
                        GuardianLink.access == "full",
                        *([] if thread.is_broadcast else [GuardianLink.child_id.in_(children)]),
                    )
                )
            ).all()
        )
        guardians = (
            await db.scalars(
                select(Participant).where(
                    Participant.thread_id == thread.id,
                    Participant.role == "guardian",
                    Participant.removed_at.is_(None),
                )
            )
        ).all()
        for participant in guardians:
            if participant.user_id not in full and participant.user_id != thread.created_by:
                participant.removed_at = utcnow()
        await db.flush()
        await live.record_thread_activity(db, THREAD_CHANGED, [thread.id])
    return Outcome(threads=[thread])


async def set_auto_reply(
    *,
    db: AsyncSession,
    actor: Actor,
    institution_id: uuid.UUID,
    body: str | None,
    starts_at: datetime | None = None,
    ends_at: datetime | None = None,
) -> AutoReply | None:
    """Staff set (or with an empty body, clear) the away reply of their personal inbox."""
    if not actor.works_in(institution_id):
        raise NotFound(field="institutionId")
    text = clean_body(body or "", allow_empty=True)
    start = starts_at or utcnow()
    if text and (ends_at is None or ends_at <= start):
        raise ValidationFailed("period_order", field="endsAt")
    async with write_transaction(db):
        row = await db.scalar(
            select(AutoReply).where(
                AutoReply.institution_id == institution_id, AutoReply.user_id == actor.user_id
            )
        )
        if not text:
            if row is not None:
                await db.delete(row)
            return None
        assert ends_at is not None
        if row is None:
            row = AutoReply(
                id=new_id(),
                institution_id=institution_id,
                user_id=actor.user_id,
                body=text,
                starts_at=start,
                ends_at=ends_at,
            )
            db.add(row)
        else:
            row.body, row.starts_at, row.ends_at = text, start, ends_at
        await db.flush()
    return row
