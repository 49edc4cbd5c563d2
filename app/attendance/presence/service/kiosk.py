"""The kiosk at the entrance: guardians check their own children in and out with their
personal PIN or a short-lived, single-use QR code shown by their app."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import User
from app.accounts.service.devices import verify_pin
from app.accounts.service.phones import e164
from app.attendance.presence.models import KioskTokenUse, PresenceEvent
from app.attendance.presence.service import checkin as presence_service
from app.config import Settings
from app.core.actor import Actor
from app.core.errors import DomainError, InvalidCredentials, NotFound
from app.db import write_transaction
from app.institutions.models import Child, Group, GuardianLink, Institution

QR_TTL_SECONDS = 120
KIOSK_CHILD_MAX_FAILURES = 5
KIOSK_MAX_FAILURES = 50


def _serializer(settings: Settings) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(settings.secret_key, salt="seddel.kiosk-qr")


@dataclass(frozen=True)
class KioskCode:
    token: str
    expires_in_seconds: int


def issue_qr(*, settings: Settings, actor: Actor, institution_id: uuid.UUID) -> KioskCode:
    """A guardian's app shows this at the kiosk: signed, valid two minutes, used once."""
    if actor.device is not None or institution_id not in actor.guardian_institutions:
        raise NotFound(field="institutionId")
    token = _serializer(settings).dumps(
        {"u": str(actor.user_id), "i": str(institution_id), "n": secrets.token_urlsafe(16)}
    )
    return KioskCode(token=token, expires_in_seconds=QR_TTL_SECONDS)


async def _guardian_by_qr(
    db: AsyncSession, settings: Settings, institution_id: uuid.UUID, token: str
) -> uuid.UUID:
    try:
        data = _serializer(settings).loads(token, max_age=QR_TTL_SECONDS)
    except SignatureExpired as exc:
        raise InvalidCredentials("kiosk_code_expired", field="qrToken") from exc
    except BadSignature as exc:
        raise InvalidCredentials("kiosk_code_invalid", field="qrToken") from exc
    if not isinstance(data, dict) or data.get("i") != str(institution_id):
        raise InvalidCredentials("kiosk_code_invalid", field="qrToken")
    user_id = uuid.UUID(data["u"])
    try:
        async with write_transaction(db):
            db.add(KioskTokenUse(nonce=data["n"], institution_id=institution_id, user_id=user_id))
    except IntegrityError as exc:
        raise InvalidCredentials("kiosk_code_used", field="qrToken") from exc
    return user_id


async def kiosk_record(
    *,
    db: AsyncSession,
    settings: Settings,
    actor: Actor,
    kind: str,
    child_id: uuid.UUID,
    event_id: uuid.UUID,
    at: datetime,
    pin: str | None = None,
    qr_token: str | None = None,
    now: datetime | None = None,
) -> presence_service.PresenceChange:
    """On the kiosk: a guardian (full access) of the child checks it in or out."""
    device = actor.device
    if device is None or not actor.is_kiosk_of(device.institution_id):
        raise NotFound(field="childId")
    child = await db.get(Child, child_id)
    if child is None or child.institution_id != device.institution_id:
        raise NotFound(field="childId")
    links = (
        await db.execute(
            select(GuardianLink.id, GuardianLink.user_id).where(
                GuardianLink.child_id == child.id, GuardianLink.access == "full"
            )
        )
    ).all()
    link_of = {row.user_id: row.id for row in links}
    earlier = await db.get(PresenceEvent, event_id)
    if earlier is not None and earlier.device_id == device.device_id and earlier.recorded_by:
        # A retry from the kiosk: the original result, without asking for the code again.
        guardian = earlier.recorded_by
    elif qr_token:
        guardian = await _guardian_by_qr(db, settings, device.institution_id, qr_token)
        if guardian not in link_of:
            raise NotFound(field="childId")
    elif pin:
        guardian = await verify_pin(
            db=db,
            settings=settings,
            candidates=sorted(link_of),
            pin=pin,
            throttle_keys=[
                (f"kiosk:{device.device_id}:{child.id}", KIOSK_CHILD_MAX_FAILURES),
                (f"kiosk:{device.device_id}", KIOSK_MAX_FAILURES),
            ],
        )
    else:
        raise InvalidCredentials("wrong_pin", field="pin")
    if guardian not in link_of:
        raise NotFound(field="childId")
    return await presence_service.record_for_kiosk(
        db=db,
        actor=actor,
        guardian_id=guardian,
        guardian_link_id=link_of[guardian],
        kind=kind,
        child_id=child.id,
        event_id=event_id,
        at=at,
        now=now,
    )


@dataclass(frozen=True)
class KioskChild:
    """What the kiosk's "choose your child" screen shows: no more."""

    child_id: uuid.UUID
    first_name: str
    group_name: str | None


async def kiosk_children(
    *, db: AsyncSession, settings: Settings, actor: Actor, phone: str, pin: str
) -> list[KioskChild]:
    """A guardian signs in at the kiosk with their phone number and PIN: the children of the
    kiosk's institution they may check in or out there (full access, enrolled today), first
    name and group only. The phone narrows the PIN to a person: a PIN alone would have to be
    tried against every guardian's hash, and short PINs collide. Every failure (an unknown
    number too, in the same words) counts against the kiosk and the number."""
    device = actor.device
    if device is None or not actor.is_kiosk_of(device.institution_id):
        raise NotFound(field="phone")
    try:
        number = e164(phone) or ""
    except DomainError:
        number = ""  # told apart from a wrong PIN nowhere: the same refusal
    # Numbers are compared in E.164; a stored one in another form (a profile's, as typed) is
    # normalised here too, so the institution's guardians with a number are read (two short
    # columns, one statement) rather than matched by text in SQL.
    with_phones = (
        await db.execute(
            select(User.id, User.phone)
            .join(GuardianLink, GuardianLink.user_id == User.id)
            .join(Child, Child.id == GuardianLink.child_id)
            .where(
                User.phone.is_not(None),
                User.is_active.is_(True),
                GuardianLink.access == "full",
                Child.institution_id == device.institution_id,
            )
            .distinct()
        )
    ).all()
    candidates = {user_id for user_id, stored in with_phones if number and _same(stored, number)}
    guardian = await verify_pin(
        db=db,
        settings=settings,
        candidates=sorted(candidates),
        pin=pin,
        throttle_keys=[
            (f"kiosk:{device.device_id}:phone:{number or phone[:32]}", KIOSK_CHILD_MAX_FAILURES),
            (f"kiosk:{device.device_id}", KIOSK_MAX_FAILURES),
        ],
    )
    zone = await db.scalar(
        select(Institution.timezone).where(Institution.id == device.institution_id)
    )
    today = datetime.now(ZoneInfo(zone or "Europe/Copenhagen")).date()
    rows = await db.execute(
        select(Child.id, Child.first_name, Group.name)
        .join(GuardianLink, GuardianLink.child_id == Child.id)
        .outerjoin(Group, Group.id == Child.group_id)
        .where(
            GuardianLink.user_id == guardian,
            GuardianLink.access == "full",
            Child.institution_id == device.institution_id,
            Child.active_from <= today,
            or_(Child.active_until.is_(None), Child.active_until >= today),
        )
        .order_by(Child.first_name, Child.id)
    )
    # Only the guardian's own children are listed (the kiosk checks no one else's), so a
    # child with name and address protection is shown to its own guardians only.
    return [KioskChild(child_id=c, first_name=f, group_name=g) for c, f, g in rows.all()]


def _same(stored: str | None, number: str) -> bool:
    try:
        return e164(stored) == number
    except DomainError:
        return False
