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
    Text,
    and_,
    case,
    cast,
    false,
    func,
    literal,
    literal_column,
    not_,
    select,
    union,
)
from sqlalchemy.dialects.postgresql import ARRAY, aggregate_order_by
from sqlalchemy.sql.expression import Select

from app.api.compiled import (
    CompiledAnswer,
    CompiledRequest,
    Fields,
    NotCompilable,
    Selection,
    as_text,
    bound_id,
    connection,
    global_id,
    global_id_type,
    id_of,
    iso_datetime,
    json_list,
    keyset_cursor,
    resolvers_only,
    takes_arguments,
)
from app.api.inlined import inline_constants
from app.core.actor import Actor
from app.core.i18n import translate
from app.core.pagination import keyset_page
from app.institutions.models import Child
from app.institutions.policies import visible_children
from app.institutions.service.settings import InstitutionSettings
from app.messaging.models import MessageAttachment, ThreadChild
from app.messaging.reads import (
    INBOX_ORDER,
    MESSAGE_ORDER,
    SUMMARY_NAMES,
    inbox_select,
    summarised_participants,
    summary_order,
    thread_messages_select,
    thread_select,
)
from app.messaging.service.inbox import unread_total
from app.privacy.accesslog.models import AccessKind
from app.privacy.accesslog.service.recording import logging_in_statement, written_in_statement

INBOX_ARGUMENTS = {"first", "after", "institutionId", "childId", "unread", "archived"}
SENDER_SHOWN_DEFAULT = InstitutionSettings().shared_inbox_sender_shown_to_guardians
SENDER_SHOWN = "shared_inbox_sender_shown_to_guardians"


def _text(value: str | None) -> ColumnElement[Any]:
    return literal(value, Text)


class _Row:
    """The columns of one inbox row (app.messaging.reads._thread_view, by label)."""

    def __init__(self, columns: Any) -> None:
        self.c = columns


def _child_fields() -> Fields:
    return {
        "id": lambda _: global_id("Child", Child.id),
        "name": lambda _: func.concat(Child.first_name, " ", Child.last_name, type_=Text),
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
        else_=func.concat(_text(before), names, _text(after), type_=Text),
    )


def _summary(actor: Actor, c: Any, language: str) -> ColumnElement[Any]:
    """ThreadNode.participants_summary, in one pass over the thread's participants: their
    count and their names in the summary's order, each aggregated once (PostgreSQL computes
    equal aggregates of a query once), not a subquery per name shown and one more to count."""
    source = summarised_participants(actor, c)
    name = source.selected_columns.name
    ordered = func.array_agg(aggregate_order_by(name, *summary_order()), type_=ARRAY(Text))
    total = func.count()
    fallback = _text(translate("shared_inbox", language))
    names = [
        case((total > n, func.coalesce(ordered[n + 1], fallback))) for n in range(SUMMARY_NAMES)
    ]
    label = func.nullif(_audience(c, language), "")
    hidden = func.concat_ws(", ", *names, label)
    more = case((total > 3, func.concat(" +", total - 3, type_=Text)), else_=_text(""))
    shown = func.concat(func.concat_ws(", ", *names, type_=Text), more, type_=Text)
    summary = case((_recipients_hidden(actor, c), hidden), else_=shown)
    return source.with_only_columns(summary).scalar_subquery()


def _sender_name(actor: Actor, m: Any, c: Any, language: str) -> ColumnElement[Any]:
    """api.types._sender_name over a message's columns (`m`) and its sender line (c.s_*)."""
    user_name = func.coalesce(c.s_user_name, "")
    shown = case(
        (c.s_institution_name.is_(None), _text("group")),
        else_=func.coalesce(c.s_settings[SENDER_SHOWN].as_string(), SENDER_SHOWN_DEFAULT),
    )
    staff_viewer = m.institution_id.in_(actor.employed_in) if actor.employed_in else false()
    return case(
        (staff_viewer | (m.sender_id == actor.user_id) | (shown != "group"), user_name),
        (
            m.sent_as_group_id.is_not(None),
            func.coalesce(c.s_group_name, _text(translate("shared_inbox", language))),
        ),
        (and_(m.sent_as_institution, c.s_institution_name.is_not(None)), c.s_institution_name),
        else_=user_name,
    )


class _Prefixed:
    """The columns of a message selected under a prefix (the inbox's last message: m_*)."""

    def __init__(self, c: Any, prefix: str) -> None:
        self._c, self._prefix = c, prefix

    def __getattr__(self, name: str) -> Any:
        return getattr(self._c, self._prefix + name)


def _message_fields(actor: Actor, c: Any, language: str, prefix: str = "") -> Fields:
    m = _Prefixed(c, prefix)
    sender: Fields = {
        "name": lambda _: _sender_name(actor, m, c, language),
        "role": lambda _: func.upper(m.sender_role),
        "isMe": lambda _: m.sender_id == actor.user_id,
    }

    def files(selection: Selection) -> ColumnElement[Any]:
        # Download links are signed by the storage, in Python: a message with files is left
        # to the resolvers (loaders.files_by_message: none for a deleted message).
        attached = select(MessageAttachment.message_id).where(MessageAttachment.message_id == m.id)
        return case(
            (and_(m.deleted_at.is_(None), attached.exists()), resolvers_only()),
            else_=literal_column("'[]'::json"),
        )

    return {
        "id": lambda _: global_id("Message", m.id),
        "body": lambda _: case((m.deleted_at.is_(None), m.body)),
        "isDeleted": lambda _: m.deleted_at.is_not(None),
        "isAutoReply": lambda _: m.is_auto_reply,
        "createdAt": lambda _: iso_datetime(m.created_at),
        "editedAt": lambda _: iso_datetime(m.edited_at),
        "sender": lambda selection: selection.object("MessageSender", sender),
        "files": files,
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
        message = selection.object("Message", _message_fields(actor, c, language, "m_"))
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


def _inbox(request: CompiledRequest, pages: list[Select[Any]]) -> Any:
    """The inbox's connection; the page's rows are added to `pages` (its access log's)."""
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
            institution_id=id_of(arguments.get("institutionId"), "Institution"),
            child_id=id_of(arguments.get("childId"), "Child"),
            unread=arguments.get("unread"),
            archived=archived,
            summary=False,  # built after paging, for the page's rows only (_summary)
        )
        after = arguments.get("after")
        paged, size = keyset_page(
            filtered,
            order_by=INBOX_ORDER,
            first=arguments.get("first"),
            after=after,
            descending=True,
        )
        return connection(
            selection,
            type_name="Thread",
            paged=paged,
            size=size,
            after=after,
            order=lambda c: [c.last_message_at.desc(), c.id.desc()],
            cursor=lambda c: keyset_cursor(iso_datetime(c.last_message_at), cast(c.id, Text)),
            node_fields=lambda c: _thread_fields(actor, c, request.language),
            on_page=pages.append,
        )

    return sql


def _children_of_threads(pages: list[Select[Any]]) -> Select[Any]:
    """The access log's read of these pages' threads: the children they are about (as
    `log_threads` notes them: message_thread_children), each child once."""
    ids = [select(page.subquery().c.id) for page in pages]
    thread_ids = union(*ids) if len(ids) > 1 else ids[0]
    about = select(ThreadChild.child_id).where(ThreadChild.thread_id.in_(thread_ids))
    return select(Child.id.label("child_id"), Child.institution_id.label("institution_id")).where(
        Child.id.in_(about)
    )


class CompiledInbox:
    name = "Inbox"
    # The page's threads are logged by the statement itself (`logging_in_statement`).
    logs_in_statement = True

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
        pages: list[Select[Any]] = []
        root: Fields = {
            "inbox": _inbox(request, pages),
            "unreadMessages": lambda _: unread_total(actor).scalar_subquery(),
        }
        statement = as_text(request.compiler.root("Query", root))
        if request.access_log and pages:
            # The threads of the page, as the `inbox` resolver notes them: written by this
            # statement, no INSERT of their own at the request's end.
            reads = [(AccessKind.MESSAGES, _children_of_threads(pages))]
            statement = logging_in_statement(statement, actor, reads, operation=self.name)
        return inline_constants(statement)

    def record(self, answered: CompiledAnswer) -> None:
        written_in_statement(answered.db, answered.columns)


def _thread_node(request: CompiledRequest, shown: list[Select[Any]]) -> Any:
    """`node(id:)` of a Thread: its loader's rows (reads.thread_select), null when not
    visible; its `messages` the read model's page (reads.thread_messages_select). The thread's
    row, when visible, is added to `shown` (its access log's)."""
    actor, language = request.actor, request.language

    @takes_arguments
    def sql(selection: Selection) -> ColumnElement[Any]:
        if selection.arguments().get("id") is None:
            raise NotCompilable("node without id")
        # Not a Thread ID: NotCompilable, the resolver answers.
        thread_id = bound_id(request, "id", "Thread", selection.arguments().get("id"))
        thread = thread_select(actor, thread_id, summary=False).subquery("thread")
        shown.append(select(thread.c.id))

        @takes_arguments
        def messages(inner: Selection) -> ColumnElement[Any]:
            arguments = inner.arguments()
            if set(arguments) - {"first", "after"}:
                raise NotCompilable("messages arguments")
            paged, size = keyset_page(
                thread_messages_select(actor, thread_id),
                order_by=MESSAGE_ORDER,
                first=arguments.get("first"),
                after=arguments.get("after"),
                descending=True,
            )
            return connection(
                inner,
                type_name="Message",
                paged=paged,
                size=size,
                after=arguments.get("after"),
                order=lambda c: [c.id.desc()],
                cursor=lambda c: keyset_cursor(cast(c.id, Text)),
                node_fields=lambda c: _message_fields(actor, c, language),
            )

        fields = {**_thread_fields(actor, thread.c, language), "messages": messages}
        return select(selection.object("Thread", fields)).scalar_subquery()

    return sql


class CompiledThreadMessagesPage:
    name = "ThreadMessagesPage"
    # The thread is logged by the statement itself (`logging_in_statement`).
    logs_in_statement = True
    # One statement for every thread asked about (its rows are the visibility rules').
    bound_variables = {"id": global_id_type}

    def accepts(self, variables: Mapping[str, Any]) -> bool:
        first = variables.get("first")
        return (
            not set(variables) - {"id", "first", "after"}
            and isinstance(variables.get("id"), str)
            and (first is None or (isinstance(first, int) and not isinstance(first, bool)))
            and (variables.get("after") is None or isinstance(variables.get("after"), str))
        )

    def statement(self, request: CompiledRequest) -> Select[Any]:
        shown: list[Select[Any]] = []
        statement = as_text(request.compiler.root("Query", {"node": _thread_node(request, shown)}))
        if request.access_log and shown:
            # The thread, when it is visible (`node` is not null), as ThreadNode.resolve_nodes
            # notes it: written by this statement.
            reads = [(AccessKind.MESSAGES, _children_of_threads(shown))]
            statement = logging_in_statement(statement, request.actor, reads, operation=self.name)
        return inline_constants(statement)

    def record(self, answered: CompiledAnswer) -> None:
        written_in_statement(answered.db, answered.columns)
