"""Who sees vacation surveys."""

from __future__ import annotations

from sqlalchemy import ColumnElement

from app.attendance.surveys.models import VacationSurvey
from app.core.actor import Actor


def visible_vacation_surveys(actor: Actor) -> ColumnElement[bool]:
    """Everyone of the institution: its staff and the guardians of its children."""
    return VacationSurvey.institution_id.in_(actor.employed_in | actor.guardian_institutions)
