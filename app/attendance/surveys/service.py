"""Vacation surveys: admins open one ("Register the summer: weeks 28-31, answer by 1 June"),
guardians answer per child and day until the deadline, staff count per day and group who
comes, for staffing. "Not coming" is vacation in the day plans (plans.service.reads.day_plans)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, time, timedelta

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from app.attendance.events import DayChanged
from app.attendance.service.hours import (
    DayClosed,
    DayInPast,
    check_times,
    local_now,
    opening_span,
    span_on,
)
from app.attendance.surveys.models import VacationAnswer, VacationSurvey
from app.core import events
from app.core.actor import Actor
from app.core.errors import NotFound, ValidationFailed
from app.core.values import clean_name
from app.db import write_transaction
from app.institutions.calendar.service.days import closed_dates, closures
from app.institutions.models import Child, Institution
from app.institutions.policies import require_admin

MAX_SURVEY_DAYS = 92


class AfterDeadline(ValidationFailed):
    code = "AFTER_DEADLINE"


@dataclass(frozen=True)
class DayAnswer:
    day: date
    coming: bool
    arrival: time | None = None
    pickup: time | None = None


@dataclass(frozen=True)
class DayCount:
    day: date
    group_id: uuid.UUID | None
    coming: int
    not_coming: int
    unanswered: int


@dataclass(frozen=True)
class Summary:
    days: list[DayCount]
    # Children without a single answer, by name.
    not_answered: list[Child] = field(default_factory=list)


async def _institution(db: AsyncSession, institution_id: uuid.UUID) -> Institution:
    institution = await db.get(Institution, institution_id)
    assert institution is not None
    return institution


async def open_survey(
    *,
    db: AsyncSession,
    actor: Actor,
    institution_id: uuid.UUID,
    title: str,
    first_day: date,
    last_day: date,
    deadline: date,
) -> VacationSurvey:
    """Open a survey over [first_day, last_day], answered until `deadline` (admins)."""
    require_admin(actor, institution_id, field="institutionId")
    cleaned = clean_name(title, "title", 200)
    if last_day < first_day:
        raise ValidationFailed("period_order", field="lastDay")
    if (last_day - first_day).days >= MAX_SURVEY_DAYS:
        raise ValidationFailed("survey_too_long", field="lastDay", days=MAX_SURVEY_DAYS)
    if deadline >= first_day:
        raise ValidationFailed("survey_deadline_order", field="deadline")
    async with write_transaction(db):
        today = local_now(await _institution(db, institution_id)).date()
        if deadline < today:
            raise DayInPast("plan_day_past", field="deadline")
        survey = VacationSurvey(
            institution_id=institution_id,
            title=cleaned,
            first_day=first_day,
            last_day=last_day,
            deadline=deadline,
            created_by=actor.user_id,
        )
        db.add(survey)
    return survey


async def remove_survey(*, db: AsyncSession, actor: Actor, survey_id: uuid.UUID) -> None:
    """Withdraw a survey and its answers (admins)."""
    async with write_transaction(db):
        survey = await db.get(VacationSurvey, survey_id)
        if survey is None:
            raise NotFound(field="surveyId")
        require_admin(actor, survey.institution_id, field="surveyId")
        await db.delete(survey)


async def surveys(
    *, db: AsyncSession, actor: Actor, institution_id: uuid.UUID
) -> list[VacationSurvey]:
    """The institution's surveys, newest period first, for its staff and guardians."""
    if institution_id not in actor.employed_in | actor.guardian_institutions:
        return []
    rows = await db.scalars(
        select(VacationSurvey)
        .where(VacationSurvey.institution_id == institution_id)
        .order_by(VacationSurvey.first_day.desc(), VacationSurvey.id)
    )
    return list(rows.all())


def is_open(survey: VacationSurvey, institution: Institution) -> bool:
    return local_now(institution).date() <= survey.deadline


def _may_answer(actor: Actor, child: Child) -> bool:
    access = actor.children.get(child.id)
    return actor.works_in(child.institution_id) or (access is not None and access.access == "full")


async def answer(
    *,
    db: AsyncSession,
    actor: Actor,
    survey_id: uuid.UUID,
    child_id: uuid.UUID,
    days: Sequence[DayAnswer],
) -> list[VacationAnswer]:
    """Answer (or change the answer) for some days; guardians until the deadline, staff on
    their behalf also after it. Returns all of the child's answers to the survey; when today
    is among the days, the tablets hear of it after the commit."""
    if not days:
        raise ValidationFailed("required", field="days")
    if len({d.day for d in days}) != len(days):
        raise ValidationFailed("duplicate_day", field="days")
    async with write_transaction(db):
        survey = await db.get(VacationSurvey, survey_id)
        if survey is None or survey.institution_id not in actor.institution_ids:
            raise NotFound(field="surveyId")
        child = await db.get(Child, child_id)
        if child is None or child.institution_id != survey.institution_id:
            raise NotFound(field="childId")
        if not _may_answer(actor, child):
            raise NotFound(field="childId")
        institution = await _institution(db, survey.institution_id)
        if not is_open(survey, institution) and not actor.works_in(institution.id):
            raise AfterDeadline("survey_closed", field="surveyId")
        closed = (
            await closures(db, [institution.id], survey.first_day, survey.last_day, part_days=True)
        )[institution.id]
        for given in days:
            if not survey.first_day <= given.day <= survey.last_day:
                raise ValidationFailed("survey_day_outside", field="days")
            span = span_on(institution, given.day, closed.get(given.day))
            if span is None:
                raise DayClosed("plan_day_closed", field="days", day=given.day.isoformat())
            if given.coming:
                check_times(span, [(given.arrival, "arrival"), (given.pickup, "pickup")])
        existing = {
            row.day: row
            for row in (
                await db.scalars(
                    select(VacationAnswer).where(
                        VacationAnswer.survey_id == survey.id,
                        VacationAnswer.child_id == child.id,
                    )
                )
            ).all()
        }
        for given in days:
            row = existing.get(given.day)
            if row is None:
                row = VacationAnswer(
                    institution_id=survey.institution_id,
                    survey_id=survey.id,
                    child_id=child.id,
                    day=given.day,
                )
                db.add(row)
                existing[given.day] = row
            row.coming = given.coming
            row.arrival = given.arrival if given.coming else None
            row.pickup = given.pickup if given.coming else None
            row.answered_by = actor.user_id
        today = local_now(institution).date()
        if any(given.day == today for given in days):
            await events.record(db, DayChanged(child.id, child.group_id, "plan"))
    return sorted(existing.values(), key=lambda a: a.day)


async def answers_of(
    *, db: AsyncSession, actor: Actor, survey: VacationSurvey, child_id: uuid.UUID
) -> list[VacationAnswer]:
    """A child's answers, for staff and the child's guardians."""
    if not (actor.works_in(survey.institution_id) or child_id in actor.children):
        return []
    rows = await db.scalars(
        select(VacationAnswer)
        .where(VacationAnswer.survey_id == survey.id, VacationAnswer.child_id == child_id)
        .order_by(VacationAnswer.day)
    )
    return list(rows.all())


async def summary(
    *, db: AsyncSession, actor: Actor, survey: VacationSurvey, group_id: uuid.UUID | None
) -> Summary | None:
    """Per open day and group: how many come, stay home, have not answered; and which
    children never answered. Staff only; four statements whatever the number of children."""
    if not actor.works_in(survey.institution_id):
        return None
    institution = await _institution(db, survey.institution_id)
    statement = select(Child).where(
        Child.institution_id == survey.institution_id,
        Child.active_from <= survey.last_day,
        or_(Child.active_until.is_(None), Child.active_until >= survey.first_day),
    )
    if group_id is not None:
        statement = statement.where(Child.group_id == group_id)
    children = list(
        (await db.scalars(statement.order_by(Child.last_name, Child.first_name, Child.id))).all()
    )
    group_of = {c.id: c.group_id for c in children}
    answers = (
        await db.execute(
            select(VacationAnswer.child_id, VacationAnswer.day, VacationAnswer.coming).where(
                VacationAnswer.survey_id == survey.id
            )
        )
    ).all()
    closed = await closed_dates(db, institution.id, survey.first_day, survey.last_day)
    counted: dict[tuple[date, uuid.UUID | None], list[int]] = defaultdict(lambda: [0, 0])
    answered: set[uuid.UUID] = set()
    for child_id, day, coming in answers:
        if child_id not in group_of:
            continue
        answered.add(child_id)
        counted[(day, group_of[child_id])][0 if coming else 1] += 1
    sizes: dict[uuid.UUID | None, int] = defaultdict(int)
    for child in children:
        sizes[child.group_id] += 1
    days = []
    day = survey.first_day
    while day <= survey.last_day:
        if opening_span(institution, day.weekday()) is not None and day not in closed:
            for group, size in sorted(sizes.items(), key=lambda item: str(item[0])):
                coming, not_coming = counted[(day, group)]
                days.append(DayCount(day, group, coming, not_coming, size - coming - not_coming))
        day += timedelta(days=1)
    return Summary(days=days, not_answered=[c for c in children if c.id not in answered])
