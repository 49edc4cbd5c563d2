"""Trusted documents (persisted operations): the apps' operations, known in advance.

The apps' documents live in ``graphql/operations/*.graphql``. They are loaded and
parsed once at start-up; a request names one by ``sha256Hash`` (Apollo's
``extensions.persistedQuery`` convention, into which app/api/persisted.py reads Relay's
``doc_id`` and the other ways clients send an id) or by ``operationName`` with no ``query``.
In production only those documents run, so nobody can send the server an expensive
query it has never seen; in development raw text still passes (GraphiQL), and Apollo's
automatic persisted queries register themselves.

Apollo Client hashes the document as it sends it: its cache adds ``__typename`` to every
selection set below the operation's root. Each trusted document is therefore known under
two hashes: its own (``TrustedDocument.text``) and that of its Apollo form (``apollo_form``,
the text with those ``__typename`` fields added, printed the same way). A client whose
printer differs gets PersistedQueryNotFound, retries with the full text, and is accepted
if that text is a trusted document up to ``__typename`` selections (which cost nothing and
reveal only type names); its hash is then remembered (a bounded store) for the next time.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Source,
    ValidationRule,
    Visitor,
    parse,
    print_ast,
    visit,
)
from graphql.language import REMOVE
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from app.core.reasons import Reason

DEFAULT_DIRECTORY = Path(__file__).resolve().parents[2] / "graphql" / "operations"

_GRAPHQL_NAME = re.compile(r"[_A-Za-z][_0-9A-Za-z]*")

N = TypeVar("N", OperationDefinitionNode, FragmentDefinitionNode)


class TrustedDocumentError(ValueError):
    """The operations directory does not hold a usable set of trusted documents."""


@dataclass(frozen=True, slots=True)
class TrustedDocument:
    """One named operation with the fragments it uses, printed and parsed once."""

    name: str
    sha256: str
    text: str
    document: DocumentNode
    operation: OperationType


class TrustedDocuments:
    """Every named operation of the ``*.graphql`` files in ``directory``, by name and hash.

    Fragments are shared by all files of the directory (a ``fragments.graphql`` may hold
    them). Operation and fragment names are unique across the directory; anonymous
    operations, unknown fragments and schema definitions are load errors.

    The hash of an operation, which an app sends as ``sha256Hash``, is the lowercase hex
    SHA-256 of the UTF-8 bytes of graphql-core's ``print_ast`` of a ``DocumentNode``
    whose definitions are the operation followed by every fragment it uses, directly or
    through other fragments, sorted by fragment name. Comments and formatting of the
    source files therefore do not change it; ``TrustedDocument.text`` is that printed
    text. Apps should take the hashes from the server (``hash_of``) rather than
    reimplement the printer.
    """

    def __init__(self, directory: Path = DEFAULT_DIRECTORY) -> None:
        operations, fragments = _read_definitions(directory)
        self._by_name = {
            name: _trusted_document(operation, fragments) for name, operation in operations.items()
        }
        self._apollo_by_name = {
            name: _apollo_form(document) for name, document in self._by_name.items()
        }
        self._by_hash = {
            document.sha256: document
            for forms in (self._by_name, self._apollo_by_name)
            for document in forms.values()
        }
        self._by_shape = {_shape(document.document): document for document in self}
        self._longest = max((len(document.text) for document in self), default=0)
        self._adopted: OrderedDict[str, TrustedDocument] = OrderedDict()

    def by_name(self, name: str) -> TrustedDocument | None:
        return self._by_name.get(name)

    def by_hash(self, sha256: str) -> TrustedDocument | None:
        key = sha256.lower()
        document = self._by_hash.get(key)
        if document is None and (document := self._adopted.get(key)) is not None:
            self._adopted.move_to_end(key)
        return document

    def hash_of(self, name: str) -> str:
        """The ``sha256Hash`` of the operation ``name``; KeyError if there is none."""
        return self._by_name[name].sha256

    def apollo_form(self, name: str) -> TrustedDocument:
        """The operation ``name`` as Apollo Client sends it (``__typename`` added below the
        root), under the hash Apollo computes for it; KeyError if there is none."""
        return self._apollo_by_name[name]

    def adopt(self, sha256: str, text: str) -> TrustedDocument | None:
        """The trusted document that ``text`` (sent in full under ``sha256``, already checked
        to be its hash) is, up to ``__typename`` selections; remembered under ``sha256``."""
        if len(text) > 2 * self._longest + 1024:
            return None  # far longer than any Apollo form: not worth parsing
        try:
            document = parse(text)
        except GraphQLError:
            return None
        trusted = self._by_shape.get(_shape(document))
        if trusted is None:
            return None
        adopted = TrustedDocument(trusted.name, sha256.lower(), text, document, trusted.operation)
        self._adopted[adopted.sha256] = adopted
        while len(self._adopted) > ADOPTED_MAX:
            self._adopted.popitem(last=False)
        return adopted

    def __iter__(self) -> Iterator[TrustedDocument]:
        return iter(self._by_name.values())

    def __len__(self) -> int:
        return len(self._by_name)


def _read_definitions(
    directory: Path,
) -> tuple[dict[str, OperationDefinitionNode], dict[str, FragmentDefinitionNode]]:
    if not directory.is_dir():
        raise TrustedDocumentError(f"{directory} is not a directory")
    operations: dict[str, tuple[OperationDefinitionNode, Path]] = {}
    fragments: dict[str, tuple[FragmentDefinitionNode, Path]] = {}
    for path in sorted(directory.glob("*.graphql")):
        try:
            document = parse(Source(path.read_text(encoding="utf-8"), str(path)))
        except GraphQLError as error:
            raise TrustedDocumentError(f"{path}: {error.message}") from error
        for definition in document.definitions:
            if isinstance(definition, OperationDefinitionNode):
                if definition.name is None:
                    raise TrustedDocumentError(f"{path}: a trusted operation needs a name")
                _add_unique(operations, definition.name.value, definition, path, "operation")
            elif isinstance(definition, FragmentDefinitionNode):
                _add_unique(fragments, definition.name.value, definition, path, "fragment")
            else:
                raise TrustedDocumentError(f"{path}: only operations and fragments belong here")
    return (
        {name: node for name, (node, _) in operations.items()},
        {name: node for name, (node, _) in fragments.items()},
    )


def _add_unique(seen: dict[str, tuple[N, Path]], name: str, node: N, path: Path, kind: str) -> None:
    if name in seen:
        raise TrustedDocumentError(f"{kind} {name!r} is defined in {seen[name][1]} and {path}")
    seen[name] = (node, path)


def _trusted_document(
    operation: OperationDefinitionNode, fragments: Mapping[str, FragmentDefinitionNode]
) -> TrustedDocument:
    assert operation.name is not None  # _read_definitions refuses anonymous operations
    name = operation.name.value
    used = _fragments_used(name, operation.selection_set, fragments)
    text = print_ast(DocumentNode(definitions=(operation, *used)))
    return TrustedDocument(
        name=name,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        text=text,
        # Parsed from the printed text, so that error locations point into `text`,
        # which is what the request stands for, rather than into a source file.
        document=parse(text),
        operation=operation.operation,
    )


class _AddTypename(Visitor):
    """Apollo Client's ``addTypenameToDocument``: ``__typename`` last in every selection set
    but an operation's own, unless the set already selects a ``__`` field or belongs to a
    field marked ``@export``."""

    def enter_selection_set(
        self, node: SelectionSetNode, _key: object, parent: object, *_: object
    ) -> SelectionSetNode | None:
        if isinstance(parent, OperationDefinitionNode):
            return None
        if any(
            isinstance(selection, FieldNode) and selection.name.value.startswith("__")
            for selection in node.selections
        ):
            return None
        if isinstance(parent, FieldNode) and any(
            directive.name.value == "export" for directive in parent.directives or ()
        ):
            return None
        return SelectionSetNode(selections=(*node.selections, _TYPENAME))


class _StripTypename(Visitor):
    def enter_field(self, node: FieldNode, *_: object) -> object:
        plain = node.name.value == "__typename" and node.alias is None and not node.directives
        return REMOVE if plain else None


_TYPENAME = FieldNode(name=NameNode(value="__typename"))

ADOPTED_MAX = 256  # hashes of trusted documents printed some other way, most recent kept


def _apollo_form(document: TrustedDocument) -> TrustedDocument:
    text = print_ast(visit(document.document, _AddTypename()))
    return TrustedDocument(
        name=document.name,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        text=text,
        document=parse(text),
        operation=document.operation,
    )


def _shape(document: DocumentNode) -> str | None:
    """The document without its plain ``__typename`` selections: the operation, then its
    fragments sorted by name, printed. None unless it holds exactly one operation."""
    stripped = visit(document, _StripTypename())
    operations = [d for d in stripped.definitions if isinstance(d, OperationDefinitionNode)]
    fragments = [d for d in stripped.definitions if isinstance(d, FragmentDefinitionNode)]
    if len(operations) != 1 or len(operations) + len(fragments) != len(stripped.definitions):
        return None
    fragments.sort(key=lambda fragment: fragment.name.value)
    return print_ast(DocumentNode(definitions=(operations[0], *fragments)))


def _fragments_used(
    name: str,
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
) -> list[FragmentDefinitionNode]:
    used: dict[str, FragmentDefinitionNode] = {}
    pending = [selection_set]
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FragmentSpreadNode):
                spread = selection.name.value
                if spread in used:
                    continue
                if spread not in fragments:
                    raise TrustedDocumentError(
                        f"operation {name!r} uses unknown fragment {spread!r}"
                    )
                used[spread] = fragments[spread]
                pending.append(fragments[spread].selection_set)
            elif isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
                pending.append(selection.selection_set)
    return [used[spread] for spread in sorted(used)]


class _Refusal:
    """A refusal with a fixed message (no echo of client input) and the validation rule
    that reports it; one instance per kind, so validation caches stay small."""

    def __init__(self, code: str, reason: Reason, message: str) -> None:
        self.code = code
        self.reason = reason
        self.message = message
        refusal = self

        class Refuse(ValidationRule):
            def enter_document(self, *_args: object) -> None:
                self.report_error(refusal.error())

        self.rule: type[ValidationRule] = Refuse

    def error(self) -> GraphQLError:
        return GraphQLError(
            self.message,
            extensions={"code": self.code, "reason": self.reason.value, "retryable": False},
        )


# Apollo Server's wording: Apollo Client's persisted-query link retries with the full text
# on this message (or code), so both are kept exactly.
_HASH_NOT_FOUND = _Refusal(
    "PERSISTED_QUERY_NOT_FOUND", Reason.PERSISTED_QUERY_NOT_FOUND, "PersistedQueryNotFound"
)
_HASH_MISMATCH = _Refusal(
    "BAD_REQUEST", Reason.PERSISTED_QUERY_HASH_MISMATCH, "provided sha does not match query"
)
_NAME_NOT_FOUND = _Refusal(
    "PERSISTED_QUERY_NOT_FOUND",
    Reason.PERSISTED_QUERY_NOT_FOUND,
    "No trusted document has this operationName",
)
_NAME_MISMATCH = _Refusal(
    "PERSISTED_QUERY_NOT_FOUND",
    Reason.PERSISTED_QUERY_NOT_FOUND,
    "The trusted document with this sha256Hash is not the operation named in operationName",
)
_TRUSTED_REQUIRED = _Refusal(
    "TRUSTED_DOCUMENT_REQUIRED",
    Reason.TRUSTED_DOCUMENT_REQUIRED,
    "Only trusted documents are accepted in production; send the operation's name or sha256Hash",
)


class AutomaticPersistedQueries:
    """Development only: Apollo's automatic persisted queries, hash -> text, the most
    recently used ``maxsize`` kept. A text is registered once it passed validation, and
    only under its own SHA-256; very long texts are not kept."""

    def __init__(self, maxsize: int = 1000, max_length: int = 64 * 1024) -> None:
        self.maxsize = maxsize
        self.max_length = max_length
        self._texts: OrderedDict[str, str] = OrderedDict()

    def get(self, sha256: str) -> str | None:
        key = sha256.lower()
        text = self._texts.get(key)
        if text is not None:
            self._texts.move_to_end(key)
        return text

    def register(self, sha256: str, text: str) -> None:
        if len(text) > self.max_length:
            return
        self._texts[sha256.lower()] = text
        self._texts.move_to_end(sha256.lower())
        while len(self._texts) > self.maxsize:
            self._texts.popitem(last=False)

    def __len__(self) -> int:
        return len(self._texts)


class TrustedDocumentsExtension(SchemaExtension):
    """Runs trusted documents by hash or name; with ``only_trusted``, nothing else.

    - ``extensions.persistedQuery.sha256Hash`` of a trusted document (either form, or a
      hash adopted before): that document runs (any ``query`` text sent along is ignored).
    - an unknown hash without text: PersistedQueryNotFound (PERSISTED_QUERY_NOT_FOUND), so
      that Apollo's link sends the text; in development a hash registered before runs.
    - an unknown hash with text: the hash must be the text's SHA-256; then with
      ``only_trusted`` the text runs if it is a trusted document up to ``__typename``
      selections (``TrustedDocuments.adopt``), else TRUSTED_DOCUMENT_REQUIRED; in
      development it runs and is registered in ``registry`` once valid.
    - no hash, ``query`` text: refused (TRUSTED_DOCUMENT_REQUIRED) if ``only_trusted``,
      otherwise left alone.
    - no hash, no text, ``operationName``: that document, or PERSISTED_QUERY_NOT_FOUND.

    List it first: it decides what the other extensions see.
    """

    def __init__(
        self,
        documents: TrustedDocuments,
        *,
        only_trusted: bool,
        registry: AutomaticPersistedQueries | None = None,
    ) -> None:
        super().__init__()
        self.documents = documents
        self.only_trusted = only_trusted
        self.registry = None if only_trusted else registry
        self._refusal: _Refusal | None = None
        self._registration: tuple[str, str] | None = None

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        chosen = self._choose(context)
        if isinstance(chosen, TrustedDocument):
            # Strawberry skips parsing when `graphql_document` is set; `query` is kept
            # in step for extensions that read the text (ParserCache, logging).
            context.graphql_document = chosen.document
            context.query = chosen.text
        elif chosen is not None:
            self._refuse(context, chosen)
        yield

    def on_execute(self) -> Iterator[None]:
        # Safety net: the refusal rides on validation; should an extension disable or
        # replace validation, the placeholder document must still never run.
        if self._refusal is not None:
            raise self._refusal.error()
        if self._registration is not None and self.registry is not None:
            self.registry.register(*self._registration)  # parsed and valid: worth keeping
        yield

    def _choose(self, context: ExecutionContext) -> TrustedDocument | _Refusal | None:
        # Before parsing, `operation_name` is the one the request provided.
        name = context.operation_name
        text = context.query if context.query and context.query.strip() else None
        requested_hash = _requested_hash(context.operation_extensions)
        if requested_hash is not None:
            document = self.documents.by_hash(requested_hash)
            if document is None:
                return self._unknown_hash(context, requested_hash, text)
            if name is not None and name != document.name:
                return _NAME_MISMATCH
            return document
        if text is not None:
            return _TRUSTED_REQUIRED if self.only_trusted else None
        if name is not None:
            return self.documents.by_name(name) or _NAME_NOT_FOUND
        return None  # nothing sent: Strawberry answers "No GraphQL query found"

    def _unknown_hash(
        self, context: ExecutionContext, sha256: str, text: str | None
    ) -> TrustedDocument | _Refusal | None:
        if text is None:
            registered = self.registry.get(sha256) if self.registry is not None else None
            if registered is None:
                return _HASH_NOT_FOUND
            context.query = registered
            return None
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != sha256.lower():
            return _HASH_MISMATCH
        if self.only_trusted:
            adopted = self.documents.adopt(sha256, text)
            if adopted is None:
                return _TRUSTED_REQUIRED
            if context.operation_name not in (None, adopted.name):
                return _NAME_MISMATCH
            return adopted
        self._registration = (sha256, text)
        return None

    def _refuse(self, context: ExecutionContext, refusal: _Refusal) -> None:
        # Raising here would skip the on_operation exit of extensions entered before
        # this one and, on streaming transports (WebSocket, SSE), escape as an
        # exception instead of an error message (Strawberry 0.341). Instead the request
        # becomes a harmless placeholder whose only validation rule reports the
        # refusal: every transport then answers with a PreExecutionError, and
        # the validation cache (which overwrites `pre_execution_errors`) answers it too.
        self._refusal = refusal
        context.graphql_document = _placeholder(context)
        context.query = print_ast(context.graphql_document)
        context.validation_rules = (refusal.rule,)


def _requested_hash(extensions: Mapping[str, Any] | None) -> str | None:
    persisted = (extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    sha256 = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    return sha256 if isinstance(sha256, str) else ""  # malformed: matches no document


def _placeholder(context: ExecutionContext) -> DocumentNode:
    # Strawberry looks the operation type up by the provided operation name and checks
    # it against the transport's allowed types before validation, so the placeholder
    # carries that name (when it is a valid GraphQL name) and an allowed type.
    allowed = {kind.value for kind in context.allowed_operations}
    kinds = (OperationType.QUERY, OperationType.MUTATION, OperationType.SUBSCRIPTION)
    kind = next((k for k in kinds if k.value in allowed), OperationType.QUERY)
    name = context.operation_name
    operation = OperationDefinitionNode(
        operation=kind,
        name=NameNode(value=name) if name and _GRAPHQL_NAME.fullmatch(name) else None,
        selection_set=SelectionSetNode(selections=(FieldNode(name=NameNode(value="__typename")),)),
    )
    return DocumentNode(definitions=(operation,))
