"""Which senders run: a platform without credentials is off and says so at start; production
refuses to start with push on but no sender, or e-mail on but no SMTP host; an urgent kind
is not held by quiet hours."""

from __future__ import annotations

import dataclasses
import logging
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.config import load_settings
from app.core.system_scope import institution_ids, institution_session
from app.db import utcnow
from app.notifications.service import outbox as notifications
from app.notifications.service.push import create_device_senders
from app.notifications.service.senders import live_senders
from tests.announcements.helpers import METTE
from tests.notifications.helpers import outbox, user_id

SECRET = "s" * 40


def test_production_refuses_push_without_a_sender(monkeypatch):
    monkeypatch.setenv("SEDDEL_PRODUCTION", "1")
    monkeypatch.setenv("SEDDEL_SECRET_KEY", SECRET)
    monkeypatch.setenv("SEDDEL_SMTP_HOST", "smtp.example.com")
    with pytest.raises(RuntimeError, match="push is on but no sender"):
        load_settings()
    monkeypatch.setenv("SEDDEL_PUSH_ENABLED", "0")
    assert load_settings().push_enabled is False


def test_production_refuses_e_mail_without_an_smtp_host(monkeypatch):
    monkeypatch.setenv("SEDDEL_PRODUCTION", "1")
    monkeypatch.setenv("SEDDEL_SECRET_KEY", SECRET)
    monkeypatch.setenv("SEDDEL_PUSH_ENABLED", "0")
    monkeypatch.delenv("SEDDEL_SMTP_HOST", raising=False)
    with pytest.raises(RuntimeError, match="SEDDEL_SMTP_HOST"):
        load_settings()
    monkeypatch.setenv("SEDDEL_EMAIL_ENABLED", "0")
    assert load_settings().email_enabled is False


def test_credentials_come_from_the_environment_or_a_file(monkeypatch, tmp_path):
    key = tmp_path / "vapid.pem"
    key.write_text("-----BEGIN PRIVATE KEY-----\n...\n")
    monkeypatch.setenv("SEDDEL_WEBPUSH_VAPID_KEY_FILE", str(key))
    monkeypatch.setenv("SEDDEL_FCM_CREDENTIALS", '{"project_id": "p"}')
    settings = load_settings()
    assert settings.webpush_vapid_private_key == key.read_text()
    assert live_senders(settings) == ["push:android", "push:web"]


def test_a_platform_without_credentials_is_off_and_says_so(settings, caplog):
    caplog.set_level(logging.WARNING, logger="seddel.notifications.push")
    assert create_device_senders(settings) == {}
    said = " ".join(r.getMessage() for r in caplog.records)
    for platform in ("ios", "android", "web"):
        assert f"push to {platform} is off" in said
    off = dataclasses.replace(settings, push_enabled=False)
    assert create_device_senders(off) == {} and live_senders(off) == []


async def test_urgent_kinds_ignore_quiet_hours(client, runtime):
    local = datetime.now(ZoneInfo("Europe/Copenhagen"))
    start = (local - timedelta(hours=1)).time().replace(second=0, microsecond=0)
    end = (local + timedelta(hours=2)).time().replace(second=0, microsecond=0)
    await client.gql(
        "UpdateNotificationSettings",
        {"input": {"quietHours": {"start": start.isoformat(), "end": end.isoformat()}}},
        as_=METTE,
    )
    mette = await user_id(runtime, METTE)
    async with runtime.sessions() as db:
        institution = (await institution_ids(db))[0]
    now = utcnow()
    for kind in ("sent_home", "incident", "message"):
        async with institution_session(runtime.sessions, institution) as db, db.begin():
            await notifications.enqueue(
                db=db,
                institution_id=institution,
                recipients=[mette],
                kind=kind,
                subject_id=uuid.uuid4(),
                sender_name="Pernille Holm",
                link="/somewhere",
                now=now,
            )
    due = {r.kind: r.due_at for r in await outbox(runtime, user_id=mette, channel="push")}
    assert due["sent_home"] == due["incident"] == now  # at once
    assert due["message"] > now + timedelta(hours=1, minutes=50)  # after the quiet hours
