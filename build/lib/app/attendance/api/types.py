"""GraphQL types every attendance sub-slice answers with."""

from __future__ import annotations

from typing import Annotated, Union

import strawberry

from app.api.errors import NotFoundError, ValidationError


@strawberry.type
class AttendanceDone:
    ok: bool = True


AttendanceDoneResult = Annotated[
    Union[AttendanceDone, ValidationError, NotFoundError], strawberry.union("AttendanceDoneResult")
]
