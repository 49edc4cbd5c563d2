"""Paired devices (staff tablets, the entrance kiosk) and personal PINs.

An admin pairs a tablet: it gets a device session of its own (kind "device", bound to the
institution through its device row). On a staff tablet, staff switch in with their personal
PIN: that gives a short "tablet" session of the staff member on that device, so every event
names the real person and the device (who is staff there: app.institutions.service.devices).
PINs are argon2 hashes, throttled per person and per device like logins."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from app.accounts.models import AuthSession, Device, LoginThrottle, PersonalPin, User
from app.accounts.service.auth import hash_password, hasher_for
from app.accounts.service.sessions import new_session
from app.accounts.service.throttling import load_throttles, record_failure
from app.config import Settings
from app.core.actor import Actor, DeviceAccess
from app.core.errors import InvalidCredentials, NotFound, TooManyAttempts, ValidationFailed
from app.db import new_id, utcnow, write_transaction

log = logging.getLogger("seddel.devices")

ROLES = ("staff_tablet", "kiosk")
PIN_PATTERN = re.compile(r"^[0-9]{4,8}$")
# Guessing a 4-digit PIN: 5 tries per person, then the doubling lock; a device 30 tries.
PIN_MAX_FAILURES = 5
DEVICE_MAX_FAILURES = 30


def device_email(device_id: uuid.UUID) -> str:
    return f"device-{device_id}@devices.seddel.invalid"


async def pair_device(
    *,
    db: AsyncSession,
    settings: Settings,
    actor: Actor,
    institution_id: uuid.UUID,
    role: str,
    label: str,
) -> tuple[str, Device]:
    """Pair a tablet with the institution (admins): returns the device's token, shown once."""
    if not actor.is_admin(institution_id) or actor.device is not None:
        raise NotFound(field="institutionId")
    if role not in ROLES:
        raise ValidationFailed("invalid_device_role", field="role")
    cleaned = " ".join(label.split())
    if not cleaned:
        raise ValidationFailed("required", field="label")
    if len(cleaned) > 200:
        raise ValidationFailed("too_long", field="label", max=200)
    async with write_transaction(db):
        device_id = new_id()
        email = device_email(device_id)
        user = User(name=cleaned, email=email, email_key=email, password_hash=None)
        db.add(user)
        await db.flush()
        device = Device(
            id=device_id,
            institution_id=institution_id,
            user_id=user.id,
            role=role,
            label=cleaned,
            paired_by=actor.user_id,
        )
        db.add(device)
        await db.flush()
        token, session = new_session(
            settings, user, kind="device", label=cleaned, address=None, user_agent=None
        )
        session.device_id = device.id
        db.add(session)
    log.info("device paired", extra={"device_id": str(device.id), "role": role})
    return token, device


async def devices(*, db: AsyncSession, actor: Actor, institution_id: uuid.UUID) -> list[Device]:
    """The institution's paired devices, revoked ones included (admins)."""
    if not actor.is_admin(institution_id):
        return []
    rows = await db.scalars(
        select(Device)
        .where(Device.institution_id == institution_id)
        .order_by(Device.created_at.desc(), Device.id)
    )
    return list(rows.all())


async def revoke_device(*, db: AsyncSession, actor: Actor, device_id: uuid.UUID) -> Device:
    """A lost tablet: the device and every session on it stop working at once."""
    async with write_transaction(db):
        device = await db.get(Device, device_id)
        if device is None or not actor.is_admin(device.institution_id):
            raise NotFound(field="deviceId")
        now = utcnow()
        if device.revoked_at is None:
            device.revoked_at = now
        await db.execute(
            update(AuthSession)
            .where(AuthSession.device_id == device.id, AuthSession.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    log.info("device revoked", extra={"device_id": str(device_id)})
    return device


async def set_pin(*, db: AsyncSession, settings: Settings, actor: Actor, pin: str) -> None:
    """Set one's own personal PIN (4-8 digits), from one's own login, never from a device."""
    if actor.device is not None:
        raise NotFound(field="pin")
    if not PIN_PATTERN.match(pin):
        raise ValidationFailed("invalid_pin", field="pin")
    pin_hash = await hash_password(settings, pin)
    async with write_transaction(db):
        row = await db.get(PersonalPin, actor.user_id)
        if row is None:
            db.add(PersonalPin(user_id=actor.user_id, pin_hash=pin_hash))
        else:
            row.pin_hash, row.updated_at = pin_hash, utcnow()
        await db.execute(delete(LoginThrottle).where(LoginThrottle.key == f"pin:{actor.user_id}"))


async def _matches(settings: Settings, pin_hash: str, pin: str) -> bool:
    try:
        return await asyncio.to_thread(hasher_for(settings).verify, pin_hash, pin)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


async def verify_pin(
    *,
    db: AsyncSession,
    settings: Settings,
    candidates: Sequence[uuid.UUID],
    pin: str,
    throttle_keys: Sequence[tuple[str, int]],
) -> uuid.UUID:
    """The one of `candidates` whose PIN this is, throttled per person and per `throttle_keys`
    ((key, limit) pairs). Its own transaction: failures count even though the caller fails."""
    now = utcnow()
    device_keys = [key for key, _ in throttle_keys]
    person_keys = {f"pin:{user_id}": user_id for user_id in candidates}
    limits = dict(throttle_keys) | {key: PIN_MAX_FAILURES for key in person_keys}
    matched: uuid.UUID | None = None
    async with write_transaction(db):
        rows = await load_throttles(db, [*device_keys, *person_keys])

        def lock_of(key: str) -> datetime | None:
            row = rows.get(key)
            if row is None or row.locked_until is None or row.locked_until <= now:
                return None
            return row.locked_until

        locks = [lock for key in device_keys if (lock := lock_of(key))]
        open_keys = [key for key in person_keys if lock_of(key) is None]
        if not open_keys:
            locks += [lock for key in person_keys if (lock := lock_of(key))]
        if locks:
            raise TooManyAttempts(int((max(locks) - now).total_seconds()) + 1)
        open_users = [person_keys[key] for key in open_keys]
        pins = (
            await db.scalars(select(PersonalPin).where(PersonalPin.user_id.in_(open_users)))
        ).all()
        for row in sorted(pins, key=lambda p: str(p.user_id)):
            if PIN_PATTERN.match(pin) and await _matches(settings, row.pin_hash, pin):
                matched = row.user_id
                break
        if matched is None:
            for key in [*device_keys, *open_keys]:
                record_failure(db, rows, key, limits[key], settings)
        else:
            await db.execute(delete(LoginThrottle).where(LoginThrottle.key == f"pin:{matched}"))
    if matched is None:
        log.warning("pin refused", extra={"keys": device_keys})
        raise InvalidCredentials("wrong_pin", field="pin")
    return matched


async def open_tablet_session(
    *,
    db: AsyncSession,
    settings: Settings,
    device: DeviceAccess,
    user_id: uuid.UUID,
    pin: str,
) -> tuple[str, AuthSession, User]:
    """On a paired staff tablet, a person (a staff member of its institution: the caller,
    app.institutions.service.devices, checked) switches in with their PIN. Whoever was
    switched in before on this tablet is switched out."""
    await verify_pin(
        db=db,
        settings=settings,
        candidates=[user_id],
        pin=pin,
        throttle_keys=[(f"device:{device.device_id}", DEVICE_MAX_FAILURES)],
    )
    async with write_transaction(db):
        user = await db.get(User, user_id)
        if user is None or not user.is_active:
            raise NotFound(field="staffId")
        now = utcnow()
        await db.execute(
            update(AuthSession)
            .where(
                AuthSession.device_id == device.device_id,
                AuthSession.kind == "tablet",
                AuthSession.revoked_at.is_(None),
            )
            .values(revoked_at=now)
        )
        token, session = new_session(
            settings, user, kind="tablet", label=None, address=None, user_agent=None
        )
        session.device_id = device.device_id
        session.expires_at = now + timedelta(seconds=settings.tablet_session_lifetime_seconds)
        session.idle_timeout_seconds = settings.tablet_session_idle_timeout_seconds
        db.add(session)
    log.info(
        "tablet user switched",
        extra={"device_id": str(device.device_id), "user_id": str(user_id)},
    )
    return token, session, user
