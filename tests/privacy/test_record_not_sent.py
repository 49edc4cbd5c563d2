"""The child's record never travels in a push or an e-mail: the notifications made for the
child (an incident, a medication given under a consent) are built and their texts searched
for every part of the record."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from app.db import utcnow
from app.notifications.service.senders import LoggingSender, Senders, SmtpSender
from app.notifications.service.worker import deliver_due
from tests.daybook.helpers import record
from tests.notifications.helpers import outbox
from tests.notifications.test_smtp import smtp_server  # noqa: F401 (the real SMTP server)
from tests.privacy.helpers import METTE, fill_record, sign, solsikken

MARKERS = {
    "allergies": "Sesamallergi-7Q",
    "diet": "Glutenfri-7Q",
    "doctorName": "Doktor Zebulon-7Q",
    "doctorPhone": "+45 99 77 11 33",
    "staffNotes": "Hemmelig note-7Q",
}
CONTACT = {"name": "Nødkontakt Xylofon-7Q", "phone": "+45 55 44 33 22"}
MEDICINE = "Fenistil-7Q"


async def test_no_part_of_the_record_is_in_any_notification_text(
    client, runtime, settings, smtp_server  # noqa: F811 (the fixture imported above)
):
    inbox, port = smtp_server
    settings = dataclasses.replace(
        settings, smtp_host="127.0.0.1", smtp_port=port, smtp_from="Seddel <no@seddel.example>"
    )
    s = await solsikken(client)
    liva = s["liva"]
    await fill_record(client, liva, **MARKERS)
    await client.gql("AddEmergencyContact", {"childId": liva, "input": CONTACT}, as_=METTE)
    consent = await sign(client, liva, medicine=MEDICINE, instructions="Instruktion-7Q")
    incident = await record(
        client,
        liva,
        {"incident": {"description": "Faldt på legepladsen", "firstAid": "Plaster"}},
    )
    assert incident["__typename"] == "DayEntry", incident
    given = await record(
        client,
        liva,
        {
            "medication": {
                "medicine": "Antihistamin",
                "dose": "5 dråber",
                "consentId": consent["id"],
            }
        },
    )
    assert given["__typename"] == "DayEntry", given
    rows = await outbox(runtime)
    assert rows, "the incident notifies Liva's guardians"
    pushes = LoggingSender()  # keeps the push texts as built for the push services
    report = await deliver_due(
        sessions=runtime.sessions,
        senders=Senders(push=pushes, email=SmtpSender(settings)),
        settings=settings,
        now=utcnow() + timedelta(minutes=20),
    )
    assert report.failed == 0
    assert pushes.pushes and inbox.messages
    texts = [f"{p.title}\n{p.body}\n{p.link}" for p in pushes.pushes]
    texts += [message.as_string() for _, _, message in inbox.messages]
    texts += [m.get_payload(decode=True).decode() for _, _, m in inbox.messages]
    texts += [f"{r.sender_name}\n{r.preview or ''}\n{r.link}" for r in rows]
    secrets = [*MARKERS.values(), CONTACT["name"], CONTACT["phone"], MEDICINE, "Instruktion-7Q"]
    for text in texts:
        for secret in secrets:
            assert secret not in text, (secret, text)
