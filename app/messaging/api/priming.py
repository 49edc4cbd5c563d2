"""A write's answer from what the write holds: the loaders its payload's fields use are primed
with the rows the use case wrote or read (app.messaging.service.posting.Outcome), so that
answering a mutation reads nothing, and needs no transaction of its own after the commit."""

from __future__ import annotations

from strawberry.types import Info

from app.institutions import loaders as institution_loaders
from app.messaging import loaders as messaging_loaders
from app.messaging.reads import MessageRow, ThreadRow
from app.messaging.service.posting import Outcome


def prime(info: Info, outcome: Outcome) -> None:
    """Prime the loaders with what `outcome` holds (a row the actor may not see it leaves out:
    its loader then answers as it would)."""
    loaders = info.context.loaders
    if outcome.institution is not None:
        loaders.get(institution_loaders.institution_by_id).prime(
            outcome.institution.id, outcome.institution
        )
    if outcome.group is not None:
        loaders.get(institution_loaders.group_by_id).prime(outcome.group.id, outcome.group)
    if outcome.quoted is not None:
        loaders.get(messaging_loaders.message_by_id).prime(
            outcome.quoted.id, MessageRow.of(outcome.quoted)
        )
    message = outcome.message
    if message is not None:
        loaders.get(messaging_loaders.files_by_message).prime(message.id, list(outcome.files))
    threads = loaders.get(messaging_loaders.thread_by_id)
    seen = {row.id for row in outcome.thread_rows}
    for row in outcome.thread_rows:
        threads.prime(row.id, row)
        loaders.get(messaging_loaders.thread_view_by_id).prime(row.id, row)
    for thread in outcome.threads:
        if thread.id not in seen:  # its id and subject; the view, if asked, is loaded
            threads.prime(thread.id, ThreadRow.of(thread))
    files = loaders.get(messaging_loaders.files_by_message)
    for message_id, stored in outcome.message_files.items():
        files.prime(message_id, list(stored))
    if outcome.thread_rows:
        participants = loaders.get(messaging_loaders.participants_by_thread)
        for row in outcome.thread_rows:
            participants.prime(row.id, [p for p in outcome.participants if p.thread_id == row.id])
            if row.id in outcome.children:
                loaders.get(messaging_loaders.children_by_thread).prime(
                    row.id, outcome.children[row.id]
                )
