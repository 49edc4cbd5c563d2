"""A pickup person's optional photo, so staff at the door recognise them: an upload of
purpose "pickup_photo", claimed here; replaced or removed photos leave the object storage
after the commit (files.release_after_commit)."""

from __future__ import annotations

import uuid

from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.pickup.models import PickupPerson
from app.attendance.pickup.policies import can_manage_pickup
from app.core.actor import Actor
from app.core.errors import NotFound
from app.db import write_transaction
from app.files.models import StoredFile
from app.files.service import uploads as files

PURPOSE = "pickup_photo"


def can_set_photo(actor: Actor, person: PickupPerson) -> bool:
    """The child's custody guardians, and the institution's staff (a photo taken at the door)."""
    return can_manage_pickup(actor, person.child_id) or actor.works_in(person.institution_id)


async def forget_file(db: AsyncSession, file_id: uuid.UUID | None) -> None:
    """Delete a photo's row nothing points at any more (inside the caller's transaction);
    its objects go after the commit."""
    old = await db.get(StoredFile, file_id) if file_id is not None else None
    if old is not None:
        await files.release_after_commit(db, await files.forget_files(db=db, files=[old]))


async def set_photo(
    *, db: AsyncSession, actor: Actor, person_id: uuid.UUID, file_id: uuid.UUID | None
) -> PickupPerson:
    """Set (or with None remove) the photo; a replaced one leaves the storage after commit."""
    async with write_transaction(db):
        person = await db.get(PickupPerson, person_id)
        if person is None or not can_set_photo(actor, person):
            raise NotFound(field="pickupPersonId")
        new = None
        if file_id is not None:
            (new,) = await files.claim(
                db=db,
                actor=actor,
                file_ids=[file_id],
                institution_id=person.institution_id,
                purpose=PURPOSE,
                field="fileId",
            )
        replaced = person.photo_file_id
        person.photo_file_id = new.id if new is not None else None
        await db.flush()
        await forget_file(db, replaced)
    return person
