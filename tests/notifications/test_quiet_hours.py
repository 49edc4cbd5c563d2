"""Quiet hours as a property: a held push waits at most a day and ends exactly at the end time."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from app.notifications.service.preferences import quiet_hours_end

ZONE = "Europe/Copenhagen"
moments = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 31), timezones=st.just(UTC)
)
clock = st.times().map(lambda t: t.replace(microsecond=0, second=0))


@given(now=moments, start=clock, end=clock)
def test_held_until_the_end_of_the_quiet_hours(now: datetime, start: time, end: time) -> None:
    held = quiet_hours_end(now, start, end, ZONE)
    local = now.astimezone(ZoneInfo(ZONE)).time().replace(tzinfo=None)
    inside = (start <= local < end) if start < end else (local >= start or local < end)
    if start == end or not inside:
        assert held is None
        return
    assert held is not None and now < held <= now + timedelta(hours=25)
    ends_at = held.astimezone(ZoneInfo(ZONE)).time().replace(tzinfo=None)
    # Equal to the end time, except when a DST jump skipped that wall-clock time.
    assert ends_at == end or abs(
        datetime.combine(held.date(), ends_at) - datetime.combine(held.date(), end)
    ) <= timedelta(hours=1)
