"""GraphQL surface of vacation surveys: admins open, guardians answer, staff count."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Union

import strawberry
from strawberry import relay
from strawberry.types import Info

from app.api.access import operation_name
from app.api.errors import (
    ConflictError,
    IdempotencyKeyReusedError,
    NotFoundError,
    ValidationError,
    errors_as_data,
)
from app.api.idempotency import IdempotencyKeyArg, first, idempotent
from app.api.ids import decode
from app.api.node import load_nodes, node_of
from app.api.permissions import IsAuthenticated
from app.attendance.api.types import AttendanceDone, AttendanceDoneResult
from app.attendance.surveys import loaders as survey_loaders
from app.attendance.surveys import models, service
from app.institutions import loaders as institution_loaders
from app.privacy.accesslog.models import AccessKind
from app.privacy.accesslog.service.recording import record_access

if TYPE_CHECKING:
    from app.institutions.api.types import ChildNode, GroupNode


@strawberry.type
class VacationAnswer:
    day: dt.date
    coming: bool
    arrival: dt.time | None
    pickup: dt.time | None

    @classmethod
    def of(cls, row: models.VacationAnswer) -> VacationAnswer:
        return cls(day=row.day, coming=row.coming, arrival=row.arrival, pickup=row.pickup)


@strawberry.type
class VacationDayCount:
    day: dt.date
    coming: int
    not_coming: int
    unanswered: int
    group_id: strawberry.Private[uuid.UUID | None]

    @strawberry.field
    async def group(
        self, info: Info
    ) -> Annotated[GroupNode, strawberry.lazy("app.institutions.api.types")] | None:
        if self.group_id is None:
            return None
        row = await info.context.loaders.get(institution_loaders.group_by_id).load(self.group_id)
        return node_of(info, "Group", row) if row else None


@strawberry.type
class VacationSummary:
    days: list[VacationDayCount] = strawberry.field(description="Per open day and group.")
    not_answered: list[Annotated[ChildNode, strawberry.lazy("app.institutions.api.types")]] = (
        strawberry.field(description="Children with no answer yet.")
    )


@strawberry.type(name="VacationSurvey")
class VacationSurveyNode(relay.Node):
    id: relay.NodeID[str]
    title: str
    first_day: dt.date
    last_day: dt.date
    deadline: dt.date
    row: strawberry.Private[models.VacationSurvey]

    @classmethod
    def of(cls, row: models.VacationSurvey) -> VacationSurveyNode:
        return cls(
            id=str(row.id),
            title=row.title,
            first_day=row.first_day,
            last_day=row.last_day,
            deadline=row.deadline,
            row=row,
        )

    @classmethod
    async def resolve_nodes(  # type: ignore[override]
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[VacationSurveyNode | None]:
        return await load_nodes(info, survey_loaders.vacation_survey_by_id, node_ids, cls.of)

    @strawberry.field(description="Answers can still be given or changed.")
    async def is_open(self, info: Info) -> bool:
        institution = await info.context.loaders.get(institution_loaders.institution_by_id).load(
            self.row.institution_id
        )
        return institution is not None and service.is_open(self.row, institution)

    @strawberry.field(description="One child's answers: for staff and its guardians.")
    async def answers(self, info: Info, child_id: strawberry.ID) -> list[VacationAnswer]:
        actor = await info.context.require_actor()
        rows = await service.answers_of(
            db=info.context.db,
            actor=actor,
            survey=self.row,
            child_id=decode(child_id, "Child", field="childId"),
        )
        record_access(
            info.context.db,
            actor,
            child_ids=[row.child_id for row in rows],
            kind=AccessKind.ABSENCES,  # a vacation answer: the days the child stays home
            operation=operation_name(info),
        )
        return [VacationAnswer.of(row) for row in rows]

    @strawberry.field(description="For staffing: counts per day and group. Staff only.")
    async def summary(
        self, info: Info, group_id: strawberry.ID | None = None
    ) -> VacationSummary | None:
        result = await service.summary(
            db=info.context.db,
            actor=await info.context.require_actor(),
            survey=self.row,
            group_id=decode(group_id, "Group", field="groupId") if group_id else None,
        )
        if result is None:
            return None
        return VacationSummary(
            days=[
                VacationDayCount(
                    day=c.day,
                    coming=c.coming,
                    not_coming=c.not_coming,
                    unanswered=c.unanswered,
                    group_id=c.group_id,
                )
                for c in result.days
            ],
            not_answered=[node_of(info, "Child", child) for child in result.not_answered],
        )


@strawberry.input
class OpenVacationSurveyInput:
    institution_id: strawberry.ID
    title: str
    first_day: dt.date
    last_day: dt.date
    deadline: dt.date


@strawberry.input
class VacationDayInput:
    day: dt.date
    coming: bool
    arrival: dt.time | None = None
    pickup: dt.time | None = None


@strawberry.type
class VacationAnswers:
    answers: list[VacationAnswer]


VacationSurveyResult = Annotated[
    Union[
        VacationSurveyNode, ValidationError, NotFoundError, ConflictError, IdempotencyKeyReusedError
    ],
    strawberry.union("VacationSurveyResult"),
]
VacationAnswersResult = Annotated[
    Union[VacationAnswers, ValidationError, NotFoundError],
    strawberry.union("VacationAnswersResult"),
]


@strawberry.type
class VacationSurveyQueries:
    @strawberry.field(
        permission_classes=[IsAuthenticated],
        description="The institution's vacation surveys, for its staff and guardians.",
    )
    async def vacation_surveys(
        self, info: Info, institution_id: strawberry.ID
    ) -> list[VacationSurveyNode]:
        rows = await service.surveys(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(institution_id, "Institution", field="institutionId"),
        )
        return [VacationSurveyNode.of(row) for row in rows]


@strawberry.type
class VacationSurveyMutations:
    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Admins.")
    @errors_as_data
    @idempotent(models.VacationSurvey, present=first(VacationSurveyNode.of))
    async def open_vacation_survey(
        self, info: Info, input: OpenVacationSurveyInput, idempotency_key: IdempotencyKeyArg = None
    ) -> VacationSurveyResult:
        row = await service.open_survey(
            db=info.context.db,
            actor=await info.context.require_actor(),
            institution_id=decode(input.institution_id, "Institution", field="institutionId"),
            title=input.title,
            first_day=input.first_day,
            last_day=input.last_day,
            deadline=input.deadline,
        )
        return VacationSurveyNode.of(row)

    @strawberry.mutation(permission_classes=[IsAuthenticated], description="Admins.")
    @errors_as_data
    async def remove_vacation_survey(
        self, info: Info, survey_id: strawberry.ID
    ) -> AttendanceDoneResult:
        await service.remove_survey(
            db=info.context.db,
            actor=await info.context.require_actor(),
            survey_id=decode(survey_id, "VacationSurvey", field="surveyId"),
        )
        return AttendanceDone()

    @strawberry.mutation(
        permission_classes=[IsAuthenticated],
        description="Answer per day for a child (guardians with full access until the "
        "deadline; staff on their behalf).",
    )
    @errors_as_data
    async def answer_vacation_survey(
        self,
        info: Info,
        survey_id: strawberry.ID,
        child_id: strawberry.ID,
        days: list[VacationDayInput],
    ) -> VacationAnswersResult:
        rows = await service.answer(
            db=info.context.db,
            actor=await info.context.require_actor(),
            survey_id=decode(survey_id, "VacationSurvey", field="surveyId"),
            child_id=decode(child_id, "Child", field="childId"),
            days=[
                service.DayAnswer(day=d.day, coming=d.coming, arrival=d.arrival, pickup=d.pickup)
                for d in days
            ],
        )
        return VacationAnswers(answers=[VacationAnswer.of(row) for row in rows])
