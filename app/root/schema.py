"""The one place that knows every domain: assembles the schema and its guard rails."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import lru_cache
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import (
    AddValidationRules,
    DisableIntrospection,
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.schema import StreamResult
from strawberry.tools import merge_types
from strawberry.types import ExecutionContext
from strawberry.types.graphql import OperationType

from app.accounts.api import (
    AccountMutations,
    AccountQueries,
    InvitationMutations,
    InvitationQueries,
    PinMutations,
    ProfileMutations,
    PushDeviceMutations,
    PushDeviceQueries,
    RecoveryMutations,
    SecondFactorMutations,
    SecondFactorQueries,
)
from app.accounts.federation.api import FederatedLoginMutations
from app.accounts.service.idempotency import IdempotencyKeys
from app.announcements.api import AnnouncementMutations, AnnouncementQueries
from app.api.compiled import CompiledAnswers, CompiledDocuments, CompiledDocumentsExtension
from app.api.cost import QueryCostLimiter
from app.api.direct import DirectAnswers
from app.api.errors import ErrorPolicy, FreshActorPerOperation, give_reasons, shaped_stream
from app.api.hooks import ClassCachedExtensionsRunner
from app.api.idempotency import IdempotencyReport
from app.api.inputs import TextInputRule
from app.api.live import SessionRecheck
from app.api.node import NodeQueries
from app.api.observability import OperationMetrics
from app.api.scalars import SCALARS
from app.api.trusted import (
    AutomaticPersistedQueries,
    TrustedDocuments,
    TrustedDocumentsExtension,
)
from app.api.validation import DocumentValidationCache
from app.attendance.api.operations import (
    AttendanceMutations,
    AttendanceQueries,
    CompiledGroupDay,
    PickupPlanMutations,
    PickupPlanQueries,
    PresenceMutations,
    PresenceQueries,
    PresenceSubscriptions,
    PresenceViewQueries,
    VacationSurveyMutations,
    VacationSurveyQueries,
)
from app.childrecord.api.operations import ChildRecordMutations, ChildRecordQueries
from app.config import Settings
from app.daybook.api import (
    CompiledChildDay,
    DaybookMutations,
    DaybookQueries,
    DaybookSubscriptions,
)
from app.gallery.api import ConsentMutations, ConsentQueries, PhotoMutations, PhotoQueries
from app.institutions.api import (
    CompiledMe,
    DeviceMutations,
    DeviceQueries,
    GroupMoveMutations,
    GroupMoveQueries,
    InstitutionMutations,
    MeQueries,
    SetupMutations,
    TabletMutations,
)
from app.institutions.calendar.api import CalendarMutations, CalendarQueries
from app.institutions.contacts.api.operations import ContactListMutations, ContactListQueries
from app.messaging.api import (
    CompiledInbox,
    CompiledThreadMessagesPage,
    MessagingMutations,
    MessagingQueries,
    MessagingSubscriptions,
)
from app.notifications.api import NotificationMutations, NotificationQueries
from app.privacy.accesslog.api import AccessLogQueries
from app.privacy.audit.api import AuditTrailQueries
from app.privacy.export.api import DataExportMutations, DataExportQueries
from app.privacy.retention.api import LegalHoldMutations, LegalHoldQueries
from app.root.access_log import AccessLogPerResult
from app.root.context import session_alive

IDEMPOTENCY_KEYS = IdempotencyKeys()

Query = merge_types(
    "Query",
    (
        NodeQueries,
        MeQueries,
        AccountQueries,
        SecondFactorQueries,
        PushDeviceQueries,
        AnnouncementQueries,
        AttendanceQueries,
        ConsentQueries,
        MessagingQueries,
        NotificationQueries,
        DaybookQueries,
        PhotoQueries,
        PickupPlanQueries,
        VacationSurveyQueries,
        DeviceQueries,
        PresenceQueries,
        PresenceViewQueries,
        ChildRecordQueries,
        ContactListQueries,
        InvitationQueries,
        AccessLogQueries,
        AuditTrailQueries,
        CalendarQueries,
        GroupMoveQueries,
        LegalHoldQueries,
        DataExportQueries,
    ),
)
Mutation = merge_types(
    "Mutation",
    (
        AccountMutations,
        FederatedLoginMutations,
        AnnouncementMutations,
        AttendanceMutations,
        ConsentMutations,
        InstitutionMutations,
        MessagingMutations,
        NotificationMutations,
        DaybookMutations,
        PhotoMutations,
        PickupPlanMutations,
        VacationSurveyMutations,
        PresenceMutations,
        DeviceMutations,
        PinMutations,
        SecondFactorMutations,
        PushDeviceMutations,
        TabletMutations,
        ChildRecordMutations,
        ContactListMutations,
        InvitationMutations,
        SetupMutations,
        RecoveryMutations,
        ProfileMutations,
        CalendarMutations,
        GroupMoveMutations,
        LegalHoldMutations,
        DataExportMutations,
    ),
)
Subscription = merge_types(
    "Subscription",
    (
        DaybookSubscriptions,
        MessagingSubscriptions,
        PresenceSubscriptions,
    ),
)


class SeddelSchema(strawberry.Schema):
    # Compiled trusted documents answered over HTTP without the pipeline (app/api/direct.py);
    # None when compiled documents are off.
    direct: DirectAnswers | None = None

    def create_extensions_runner(
        self, execution_context: ExecutionContext, extensions: list[SchemaExtension]
    ) -> SchemaExtensionsRunner:
        # The hooks' kinds looked up once per extension class (app/api/hooks.py).
        return ClassCachedExtensionsRunner(execution_context, extensions)

    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        # ErrorPolicy logs what is unexpected, with the request id; the rest is the client's.
        # An error that came before it (a document that does not parse) gets its code here.
        give_reasons(errors)

    async def stream(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        operation_extensions: dict[str, Any] | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
    ) -> StreamResult:
        """Every streaming transport (the websocket's subscribe too) comes through here.
        A subscription's events pass SessionRecheck first (see build_schema)."""
        results = await super().stream(
            query,
            variable_values=variable_values,
            context_value=context_value,
            root_value=root_value,
            operation_name=operation_name,
            operation_extensions=operation_extensions,
            allowed_operation_types=allowed_operation_types,
        )
        return shaped_stream(results, context_value)


@lru_cache(maxsize=1)
def trusted_documents() -> TrustedDocuments:
    return TrustedDocuments()


# The hot trusted documents each slice compiles into one statement (app/api/compiled.py).
COMPILED_DOCUMENTS = CompiledDocuments(
    [
        CompiledMe(),
        CompiledInbox(),
        CompiledThreadMessagesPage(),
        CompiledGroupDay(),
        CompiledChildDay(),
    ]
)


class PreparsedAwareParserCache(ParserCache):
    """Strawberry's ParserCache reparses even when a trusted document arrived pre-parsed."""

    def on_parse(self) -> Iterator[None]:
        if self.execution_context.graphql_document is not None:
            yield
            return
        yield from super().on_parse()


def build_schema(settings: Settings) -> SeddelSchema:
    """Extensions are factories: Strawberry makes fresh ones per operation (no shared state).
    The limiter rules are built once, so the bounded validation cache keys stay stable."""
    documents = trusted_documents()
    # Per schema: which documents its own guards let through is this schema's (its limits).
    compiled = CompiledAnswers(COMPILED_DOCUMENTS, documents)
    registry = AutomaticPersistedQueries()  # development only: production has no registry
    known_operations = frozenset(document.name for document in documents)
    depth_rules = QueryDepthLimiter(max_depth=settings.max_query_depth).validation_rules
    alias_rules = MaxAliasesLimiter(max_alias_count=settings.max_aliases).validation_rules
    limit_rules = [*depth_rules, *alias_rules]
    extensions: list[Callable[[], SchemaExtension] | type[SchemaExtension]] = [
        lambda: TrustedDocumentsExtension(
            documents, only_trusted=settings.production, registry=registry
        ),
        lambda: MaxTokensLimiter(max_token_count=settings.max_tokens),
        lambda: PreparsedAwareParserCache(maxsize=512),
        lambda: AddValidationRules(limit_rules),
        DocumentValidationCache,
        # After validation: it refuses valid but too costly operations before they run.
        lambda: QueryCostLimiter(max_cost=settings.max_query_cost),
        # Before any resolver: no NUL, lone surrogate or non-character in any text input.
        TextInputRule,
        # Last before execution: every guard above has refused what it refuses.
        *([lambda: CompiledDocumentsExtension(compiled)] if settings.compiled_documents else []),
        FreshActorPerOperation,
        ErrorPolicy,
        # Every subscription checks its session again before each event it sends.
        lambda: SessionRecheck(session_alive),
        # Then each result a websocket sends writes its access-log rows first.
        AccessLogPerResult,
        lambda: IdempotencyReport(IDEMPOTENCY_KEYS),
        lambda: OperationMetrics(known=known_operations),
    ]
    if settings.production:
        extensions.append(DisableIntrospection)
    config: Any = StrawberryConfig(
        disable_field_suggestions=settings.production,
        # What Date, Time and DateTime accept, for every field (app/api/scalars.py).
        scalar_map=SCALARS,
    )
    schema = SeddelSchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=config,
    )
    if settings.compiled_documents:
        schema.direct = DirectAnswers(compiled, schema._schema, settings.max_query_cost)
    return schema
