"""What messaging's mutations take and give back: the recipients and start-thread inputs, and
the result unions (the value, or the typed error as data)."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Annotated, Any, Union

import strawberry

from app.api.errors import IdempotencyKeyReusedError, NotFoundError, ValidationError
from app.api.ids import decode
from app.messaging.api.types import MessageNode, ThreadNode
from app.messaging.models import Message, Thread
from app.messaging.service.recipients import Recipients


@strawberry.input(
    description="Any mix; guardians may use staff, groupStaff, groupInboxes, "
    "institutionInbox and (where allowed) guardians."
)
class RecipientsInput:
    guardians: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="GuardianLink IDs: a guardian as guardian of a child."
    )
    children: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="The guardians of these children, one thread per family."
    )
    groups: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="All guardians of these groups (a broadcast)."
    )
    all_guardians: bool = strawberry.field(
        default=False, description="All guardians of the institution (a broadcast)."
    )
    staff: list[strawberry.ID] = strawberry.field(default_factory=list)
    group_staff: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="The staff members of these groups, personally."
    )
    group_inboxes: list[strawberry.ID] = strawberry.field(
        default_factory=list, description="Groups' shared inboxes (fællespostkasse)."
    )
    institution_inbox: bool = False

    def decoded(self) -> Recipients:
        def ids(values: list[strawberry.ID], type_name: str, field: str) -> tuple[uuid.UUID, ...]:
            return tuple(
                dict.fromkeys(decode(v, type_name, field=f"recipients.{field}") for v in values)
            )

        return Recipients(
            guardians=ids(self.guardians, "GuardianLink", "guardians"),
            children=ids(self.children, "Child", "children"),
            groups=ids(self.groups, "Group", "groups"),
            all_guardians=self.all_guardians,
            staff=ids(self.staff, "StaffMember", "staff"),
            group_staff=ids(self.group_staff, "Group", "groupStaff"),
            group_inboxes=ids(self.group_inboxes, "Group", "groupInboxes"),
            institution_inbox=self.institution_inbox,
        )


@strawberry.input
class StartThreadInput:
    institution_id: strawberry.ID
    subject: str
    body: str
    recipients: RecipientsInput
    sensitive: bool = False
    reply_to_all: bool = strawberry.field(
        default=False, description="Broadcasts: let guardians' replies reach everyone."
    )
    as_group_id: strawberry.ID | None = strawberry.field(
        default=None, description="Staff: write from this group's shared inbox."
    )
    file_ids: list[strawberry.ID] = strawberry.field(
        default_factory=list, description='Uploads (POST /uploads, purpose "attachment").'
    )


@strawberry.type
class ThreadsStarted:
    threads: list[ThreadNode]
    first_message: MessageNode | None

    @classmethod
    def replay(cls, rows: list[Any]) -> ThreadsStarted:
        """A retry's answer from the rows the first attempt created: its threads, and the
        starter's message in the last of them (auto-replies are other people's)."""
        threads = [row for row in rows if isinstance(row, Thread)]
        mine = [
            row
            for row in rows
            if isinstance(row, Message) and threads and row.thread_id == threads[-1].id
        ]
        return cls(
            threads=[ThreadNode.of(t) for t in threads],
            first_message=MessageNode.of(mine[0]) if mine else None,
        )


@strawberry.type
class MessagingDone:
    ok: bool = True


@strawberry.type
class AutoReplyInfo:
    body: str
    starts_at: dt.datetime
    ends_at: dt.datetime


StartThreadResult = Annotated[
    Union[ThreadsStarted, ValidationError, NotFoundError, IdempotencyKeyReusedError],
    strawberry.union("StartThreadResult"),
]
MessageResult = Annotated[
    Union[MessageNode, ValidationError, NotFoundError, IdempotencyKeyReusedError],
    strawberry.union("MessageResult"),
]
ThreadResult = Annotated[
    Union[ThreadNode, ValidationError, NotFoundError], strawberry.union("ThreadResult")
]
MessagingDoneResult = Annotated[
    Union[MessagingDone, ValidationError, NotFoundError], strawberry.union("MessagingDoneResult")
]
AutoReplyResult = Annotated[
    Union[AutoReplyInfo, MessagingDone, ValidationError, NotFoundError],
    strawberry.union("AutoReplyResult"),
]
