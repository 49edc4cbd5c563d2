"""Announcement operations of `make bench` (app/bench/run.py): a guardian's announcements and
the staff's per-child confirmations."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text

from app.bench.measure import Meter, measure
from app.ops.demo import DEMO_PASSWORD


async def run_announcements(
    post: Any, owner: Any, meter: Meter, requests: int, admin_token: str, institution_id: str
) -> list[dict[str, Any]]:
    """An institution's admin posts 30 announcements to all its 100 children (about 200
    guardians each); a guardian pages their announcements; staff open the per-child overview."""
    for n in range(30):
        body = await post(
            "PostAnnouncement",
            {
                "input": {
                    "institutionId": institution_id,
                    "title": f"Opslag {n}",
                    "body": "Husk madpakke.",
                    "requiresConfirmation": True,
                }
            },
            admin_token,
        )
        announcement_id = body["data"]["postAnnouncement"]["id"]
    async with owner.connect() as c:
        email = await c.scalar(
            text(
                "SELECT u.email_key FROM announcement_receipts r JOIN users u ON u.id = r.user_id"
                " LIMIT 1"
            )
        )
    guardian = await post("Login", {"email": email, "password": DEMO_PASSWORD})
    token = guardian["data"]["login"]["token"]

    async def listing(i: int) -> None:
        await post("Announcements", {"first": 20}, token)

    async def listing_floor(i: int) -> None:
        async with owner.connect() as c:
            await c.execute(
                text(
                    "SELECT a.*, r.* FROM announcement_receipts r"
                    " JOIN announcements a ON a.id = r.announcement_id"
                    " WHERE r.user_id = (SELECT id FROM users WHERE email_key = :e)"
                    " ORDER BY a.created_at DESC, a.id DESC LIMIT 21"
                ),
                {"e": email},
            )

    async def overview(i: int) -> None:
        await post("AnnouncementConfirmations", {"id": announcement_id}, admin_token)

    async def overview_floor(i: int) -> None:
        async with owner.connect() as c:
            await c.execute(
                text(
                    "SELECT c.id, c.first_name, r.user_id, u.name, r.confirmed_at"
                    " FROM announcement_children ac JOIN children c ON c.id = ac.child_id"
                    " LEFT JOIN guardian_links l ON l.child_id = c.id"
                    " LEFT JOIN announcement_receipts r ON r.announcement_id = ac.announcement_id"
                    "  AND r.user_id = l.user_id LEFT JOIN users u ON u.id = r.user_id"
                    " WHERE ac.announcement_id = (SELECT id FROM announcements"
                    "  ORDER BY created_at DESC LIMIT 1)"
                )
            )

    return [
        await measure("announcements", requests, listing, meter, listing_floor),
        await measure("confirmations", requests, overview, meter, overview_floor),
    ]
