"""The compiled form of `Inbox` (app/api/compiled.py): one statement after the sign-in, over the
inbox's read model (app.messaging.reads.inbox_select, paged by app.core.pagination.keyset_page)
and the unread total (app.messaging.service.inbox.unread_total); what the types compute in
Python (the participants' summary, the sender's name, the audience) is spelled in SQL here,
rule for rule, with the texts in the reader's language bound as values."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Text,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    not_,
    select,
    true,
)
from sqlalchemy.sql.expression import Select

from app.api.compiled import (
    CompiledRequest,
    Fields,
    NotCompilable,
    Selection,
    as_text,
    global_id,
    iso_datetime,
    json_list,
    keyset_cursor,
    takes_arguments,
)
from app.api.ids import try_decode
from app.core.actor import Actor
from app.core.i18n import translate
from app.core.pagination import keyset_page
from app.institutions.models import Child
from app.institutions.policies import visible_children
from app.institutions.service.settings import InstitutionSettings
from app.messaging.models import ThreadChild
from app.messaging.reads import INBOX_ORDER, SUMMARY_NAMES, inbox_select
from app.messaging.service.inbox import unread_total

INBOX_ARGUMENTS = {"first", "after", "institutionId", "childId", "unread", "archived"}
SENDER_SHOWN_DEFAULT = InstitutionSettings().shared_inbox_sender_shown_to_guardians
SENDER_SHOWN = "shared_inbox_sender_shown_to_guardians"


def _text(value: str | None) -> ColumnElement[Any]:
    return literal(value, Text)


def _id_of(value: Any, type_name: str) -> Any:
    """The UUID in a global ID of `type_name`; NotCompilable for anything else (the resolver
    answers NOT_FOUND)."""
    if value is None:
        return None
    decoded = try_decode(value) if isinstance(value, str) else None
    if decoded is None or decoded[0] != type_name:
        raise NotCompilable(f"not a {type_name} ID")
    return decoded[1]


class _Row:
    """The columns of one inbox row (app.messaging.reads._thread_view, by label)."""

    def __init__(self, columns: Any) -> None:
        self.c = columns


def _child_fields() -> Fields:
    return {
        "id": lambda _: global_id("Child", Child.id),
        "name": lambda _: Child.first_name.concat(" ").concat(Child.last_name),
        "firstName": lambda _: Child.first_name,
        "lastName": lambda _: Child.last_name,
        "birthDate": lambda _: Child.birth_date,
        "isProtected": lambda _: Child.is_protected,
    }


def _recipients_hidden(actor: Actor, c: Any) -> ColumnElement[bool]:
    """api.types._recipients_hidden: a broadcast hides its recipients from guardians."""
    works_there = c.institution_id.in_(actor.employed_in) if actor.employed_in else false()
    return and_(c.is_broadcast, not_(c.reply_to_all), not_(works_there))


def _audience(c: Any, language: str) -> ColumnElement[Any]:
    """api.types.audience_label."""
    before, _, after = translate("audience_groups", language, names="\x00").partition("\x00")
    names = case(
        (func.left(c.audience, 7) == "groups:", func.substr(c.audience, 8)), else_=c.audience
    )
    return case(
        ((c.audience.is_(None)) | (c.audience == ""), _text(None)),
        (c.audience == "institution", _text(translate("audience_institution", language))),
        else_=_text(before).concat(names).concat(_text(after)),
    )


def _summary(actor: Actor, c: Any, language: str) -> ColumnElement[Any]:
    """ThreadNode.participants_summary."""
    fallback = _text(translate("shared_inbox", language))
    names = [
        case((c.p_total > n, func.coalesce(getattr(c, f"p_name{n}"), fallback)))
        for n in range(SUMMARY_NAMES)
    ]
    label = func.nullif(_audience(c, language), "")
    hidden = func.concat_ws(", ", *names, label)
    more = case((c.p_total > 3, _text(" +").concat(cast(c.p_total - 3, Text))), else_=_text(""))
    shown = func.concat_ws(", ", *names).concat(more)
    return case((_recipients_hidden(actor, c), hidden), else_=shown)


def _sender_name(actor: Actor, c: Any, language: str) -> ColumnElement[Any]:
    """api.types._sender_name over the row's last message (m_*) and its sender line (s_*)."""
    user_name = func.coalesce(c.s_user_name, "")
    shown = case(
        (c.s_institution_name.is_(None), _text("group")),
        else_=func.coalesce(c.s_settings[SENDER_SHOWN].as_string(), SENDER_SHOWN_DEFAULT),
    )
    staff_viewer = c.m_institution_id.in_(actor.employed_in) if actor.employed_in else false()
    return case(
        (staff_viewer | (c.m_sender_id == actor.user_id) | (shown != "group"), user_name),
        (
            c.m_sent_as_group_id.is_not(None),
            func.coalesce(c.s_group_name, _text(translate("shared_inbox", language))),
        ),
        (and_(c.m_sent_as_institution, c.s_institution_name.is_not(None)), c.s_institution_name),
        else_=user_name,
    )


def _message_fields(actor: Actor, c: Any, language: str) -> Fields:
    sender: Fields = {
        "name": lambda _: _sender_name(actor, c, language),
        "role": lambda _: func.upper(c.m_sender_role),
        "isMe": lambda _: c.m_sender_id == actor.user_id,
    }
    return {
        "id": lambda _: global_id("Message", c.m_id),
        "body": lambda _: case((c.m_deleted_at.is_(None), c.m_body)),
        "isDeleted": lambda _: c.m_deleted_at.is_not(None),
        "isAutoReply": lambda _: c.m_is_auto_reply,
        "createdAt": lambda _: iso_datetime(c.m_created_at),
        "editedAt": lambda _: iso_datetime(c.m_edited_at),
        "sender": lambda selection: selection.object("MessageSender", sender),
    }


def _thread_fields(actor: Actor, c: Any, language: str) -> Fields:
    def children(selection: Selection) -> ColumnElement[Any]:
        item = selection.object("Child", _child_fields())
        return (
            select(json_list(item, ThreadChild.child_id))
            .select_from(ThreadChild)
            .join(Child, Child.id == ThreadChild.child_id)
            .where(ThreadChild.thread_id == c.id, visible_children(actor))
            .scalar_subquery()
        )

    def last_message(selection: Selection) -> ColumnElement[Any]:
        message = selection.object("Message", _message_fields(actor, c, language))
        return case((c.m_id.is_not(None), message))

    return {
        "id": lambda _: global_id("Thread", c.id),
        "subject": lambda _: c.subject,
        "isBroadcast": lambda _: c.is_broadcast,
        "replyToAll": lambda _: c.reply_to_all,
        "sensitive": lambda _: c.sensitive,
        "createdAt": lambda _: iso_datetime(c.created_at),
        "lastMessageAt": lambda _: iso_datetime(c.last_message_at),
        "audience": lambda _: _audience(c, language),
        "unreadCount": lambda _: func.coalesce(c.v_unread, 0),
        "muted": lambda _: func.coalesce(c.v_muted, false()),
        "archived": lambda _: func.coalesce(c.v_archived, false()),
        "participantsSummary": lambda _: _summary(actor, c, language),
        "children": children,
        "lastMessage": last_message,
    }


def _inbox(request: CompiledRequest) -> Any:
    actor = request.actor

    @takes_arguments
    def sql(selection: Selection) -> ColumnElement[Any]:
        arguments = selection.arguments()
        if set(arguments) - INBOX_ARGUMENTS:
            raise NotCompilable("inbox arguments")
        archived = arguments.get("archived", False)
        if not isinstance(archived, bool):
            raise NotCompilable("archived")
        filtered = inbox_select(
            actor,
            institution_id=_id_of(arguments.get("institutionId"), "Institution"),
            child_id=_id_of(arguments.get("childId"), "Child"),
            unread=arguments.get("unread"),
            archived=archived,
        )
        after = arguments.get("after")
        paged, size = keyset_page(
            filtered,
            order_by=INBOX_ORDER,
            first=arguments.get("first"),
            after=after,
            descending=True,
        )
        page = paged.subquery("page")
        position = func.row_number().over(
            order_by=(page.c.last_message_at.desc(), page.c.id.desc())
        )
        rows = select(page, position.label("position")).cte("inbox_rows")
        c = rows.c
        cursor = keyset_cursor(iso_datetime(c.last_message_at), cast(c.id, Text))
        node_fields = _thread_fields(actor, c, request.language)
        edge: Fields = {
            "cursor": lambda _: cursor,
            "node": lambda inner: inner.object("Thread", node_fields),
        }
        count = select(func.count()).select_from(rows).scalar_subquery()

        def cursor_at(position_sql: Any) -> ColumnElement[Any]:
            return select(cursor).where(c.position == position_sql).scalar_subquery()

        page_info: Fields = {
            "hasNextPage": lambda _: count > size,
            "hasPreviousPage": lambda _: true() if after else false(),
            "startCursor": lambda _: cursor_at(literal(1, Integer)) if size else _text(None),
            "endCursor": lambda _: cursor_at(func.least(count, size)),
        }
        connection: Fields = {
            "edges": lambda inner: (
                select(json_list(inner.object("ThreadEdge", edge), c.position))
                .where(c.position <= size)
                .scalar_subquery()
            ),
            "pageInfo": lambda inner: inner.object("PageInfo", page_info),
        }
        return selection.object("ThreadConnection", connection)

    return sql


class CompiledInbox:
    name = "Inbox"

    def accepts(self, variables: Mapping[str, Any]) -> bool:
        if set(variables) - INBOX_ARGUMENTS:
            return False
        first = variables.get("first")
        checks = [
            first is None or (isinstance(first, int) and not isinstance(first, bool)),
            all(
                variables.get(name) is None or isinstance(variables.get(name), str)
                for name in ("after", "institutionId", "childId")
            ),
            variables.get("unread") is None or isinstance(variables.get("unread"), bool),
            isinstance(variables.get("archived", False), bool),
        ]
        return all(checks)

    def statement(self, request: CompiledRequest) -> Select[Any]:
        actor = request.actor
        root: Fields = {
            "inbox": _inbox(request),
            "unreadMessages": lambda _: unread_total(actor).scalar_subquery(),
        }
        return as_text(request.compiler.root("Query", root))
