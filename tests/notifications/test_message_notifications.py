"""The messaging hook: a new message's target becomes outbox rows; sensitive text stays out of
push; nobody is notified twice for one message."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.notifications.messages import notify_new_message
from app.system import institution_ids, institution_session
from tests.announcements.helpers import JONAS, METTE, PERNILLE
from tests.notifications.helpers import outbox, user_id


@dataclass(frozen=True)
class Target:  # the shape of app.messaging.audience.NotifyTarget
    message_id: uuid.UUID
    thread_id: uuid.UUID
    institution_id: uuid.UUID
    sender_id: uuid.UUID
    user_ids: frozenset[uuid.UUID]
    sensitive: bool
    preview: str | None


async def _notify(runtime, target: Target) -> int:
    async with institution_session(runtime.sessions, target.institution_id) as db, db.begin():
        return await notify_new_message(db=db, target=target)


async def test_a_message_notifies_its_recipients_once(runtime):
    async with runtime.sessions() as db:
        institution = (await institution_ids(db))[0]
    mette, jonas = await user_id(runtime, METTE), await user_id(runtime, JONAS)
    target = Target(
        message_id=uuid.uuid4(),
        thread_id=uuid.uuid4(),
        institution_id=institution,
        sender_id=await user_id(runtime, PERNILLE),
        user_ids=frozenset({mette, jonas}),
        sensitive=False,
        preview="Husk gummistøvler",
    )
    assert await _notify(runtime, target) == 4
    await _notify(runtime, target)  # the same message again adds nothing
    rows = await outbox(runtime)
    assert len(rows) == 4 and {r.kind for r in rows} == {"message"}
    push = next(r for r in rows if r.channel == "push" and r.user_id == mette)
    assert push.sender_name == "Pernille Holm" and push.link == f"/threads/{target.thread_id}"
    assert push.preview == "Husk gummistøvler"


async def test_a_sensitive_message_has_no_push_text(runtime):
    async with runtime.sessions() as db:
        institution = (await institution_ids(db))[0]
    target = Target(
        message_id=uuid.uuid4(),
        thread_id=uuid.uuid4(),
        institution_id=institution,
        sender_id=await user_id(runtime, PERNILLE),
        user_ids=frozenset({await user_id(runtime, METTE)}),
        sensitive=True,
        preview="Fortroligt",
    )
    await _notify(runtime, target)
    assert all(r.preview is None for r in await outbox(runtime))
