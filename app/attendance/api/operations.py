"""Attendance's GraphQL surface: the classes app.root.schema merges, composed of the sub-slices'
own (a module of its own: the sub-slices' api import app.attendance.api.types)."""

from __future__ import annotations

from strawberry.tools import merge_types

from app.attendance.absences.api.operations import AbsenceMutations, AbsenceQueries
from app.attendance.pickup.api.operations import (
    PickupMutations,
    PickupPhotoMutations,
    PickupQueries,
)
from app.attendance.plans.api.operations import PickupPlanQueries, PlanMutations
from app.attendance.presence.api.compiled import CompiledGroupDay
from app.attendance.presence.api.operations import PresenceMutations, PresenceQueries
from app.attendance.presence.api.views import PresenceSubscriptions, PresenceViewQueries
from app.attendance.surveys.api.operations import VacationSurveyMutations, VacationSurveyQueries

# Merged in the order of their fields in the printed schema (app.root.schema keeps the rest).
AttendanceQueries = merge_types("AttendanceQueries", (AbsenceQueries, PickupQueries))
AttendanceMutations = merge_types("AttendanceMutations", (AbsenceMutations, PickupMutations))
PickupPlanMutations = merge_types("PickupPlanMutations", (PlanMutations, PickupPhotoMutations))

__all__ = [
    "AttendanceMutations",
    "AttendanceQueries",
    "CompiledGroupDay",
    "PickupPlanMutations",
    "PickupPlanQueries",
    "PresenceMutations",
    "PresenceQueries",
    "PresenceSubscriptions",
    "PresenceViewQueries",
    "VacationSurveyMutations",
    "VacationSurveyQueries",
]
