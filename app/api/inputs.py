"""One rule for every text input: no NUL, lone surrogate or non-character reaches a resolver.

`TextInputRule` runs once per operation, after validation and before execution, and walks
the arguments the operation passes: literal strings in the document (inside input objects
and lists too, in fragments as well) and the variables' values (nested objects and lists),
with a variable's default where it is not given. A string that breaks the rule
(`app.core.values.allowed_text`) stops the operation with a top-level error coded `INVALID`
whose `field` names where it sits, so a new field or argument is covered without anyone
remembering it.

`field` follows the services' convention: the argument's name, then the input fields and
list indices inside it, joined with dots (`body`, `recipients.guardians.0`); the usual
`input` argument of a mutation is left out, as the services name fields inside it
(`note`, not `input.note`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from graphql import (
    ArgumentNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    SelectionSetNode,
    StringValueNode,
    ValueNode,
    VariableNode,
)
from graphql.utilities import get_operation_ast
from strawberry.extensions import SchemaExtension

from app.api.operation_memo import OperationMemo
from app.core.i18n import translate
from app.core.reasons import Reason
from app.core.values import allowed_text

INPUT_ARGUMENT = "input"
# Where the text breaks the rule depends only on the document, the operation and the variables.
_CHECKED = OperationMemo()


def forbidden_text_at(
    document: DocumentNode, variables: Mapping[str, Any] | None, operation_name: str | None
) -> str | None:
    """Where the operation `operation_name` of `document` passes text that breaks the rule
    (the first such place, as a `field` path), or None when all its text is allowed."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return None  # no such operation: execution refuses it before any resolver
    defaults = {
        definition.variable.name.value: definition.default_value
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    walker = _Walker(variables or {}, defaults, fragments)
    for path in walker.selection_set(operation.selection_set, operation.directives):
        return _field_name(path)
    return None


def _field_name(path: Sequence[str]) -> str:
    if len(path) > 1 and path[0] == INPUT_ARGUMENT:
        path = path[1:]
    return ".".join(path)


class _Walker:
    def __init__(
        self,
        variables: Mapping[str, Any],
        defaults: Mapping[str, ValueNode],
        fragments: Mapping[str, FragmentDefinitionNode],
    ) -> None:
        self._variables = variables
        self._defaults = defaults
        self._fragments = fragments
        self._seen_fragments: set[str] = set()

    def selection_set(
        self,
        selection_set: SelectionSetNode | None,
        directives: Sequence[DirectiveNode] | None = None,
    ) -> Iterator[list[str]]:
        yield from self._directives(directives)
        if selection_set is None:
            return
        for selection in selection_set.selections:
            yield from self._directives(selection.directives)
            if isinstance(selection, FieldNode):
                yield from self._arguments(selection.arguments)
                yield from self.selection_set(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                yield from self.selection_set(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self._fragments.get(name)
                if fragment is not None and name not in self._seen_fragments:
                    self._seen_fragments.add(name)
                    yield from self.selection_set(fragment.selection_set, fragment.directives)

    def _directives(self, directives: Sequence[DirectiveNode] | None) -> Iterator[list[str]]:
        for directive in directives or ():
            yield from self._arguments(directive.arguments)

    def _arguments(self, arguments: Sequence[ArgumentNode] | None) -> Iterator[list[str]]:
        for argument in arguments or ():
            yield from self._literal(argument.value, [argument.name.value])

    def _literal(self, node: ValueNode, path: list[str]) -> Iterator[list[str]]:
        if isinstance(node, StringValueNode):
            if not allowed_text(node.value):
                yield path
        elif isinstance(node, ListValueNode):
            for index, item in enumerate(node.values):
                yield from self._literal(item, [*path, str(index)])
        elif isinstance(node, ObjectValueNode):
            for field in node.fields:
                yield from self._literal(field.value, [*path, field.name.value])
        elif isinstance(node, VariableNode):
            name = node.name.value
            if name in self._variables:
                yield from _data(self._variables[name], path)
            elif name in self._defaults:
                yield from self._literal(self._defaults[name], path)


def _data(value: Any, path: list[str]) -> Iterator[list[str]]:
    """A variable's value as it came in the request's JSON."""
    if isinstance(value, str):
        if not allowed_text(value):
            yield path
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _data(item, [*path, str(key)])
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _data(item, [*path, str(index)])


def forbidden_text(
    document: DocumentNode, operation_name: str | None, variables: Mapping[str, Any] | None
) -> str | None:
    """`forbidden_text_at`, remembered per document, operation and variables: what
    TextInputRule refuses, and the direct path of compiled documents with it."""
    return _CHECKED.answer(
        document,
        operation_name,
        variables,
        lambda: forbidden_text_at(document, variables, operation_name),
    )


class TextInputRule(SchemaExtension):
    """Refuses an operation passing text with NUL, lone surrogates or non-characters, before
    any resolver (and so any service or database) sees it: the same answer on every
    database, for every field, present and future."""

    def on_execute(self) -> Iterator[None]:
        context = self.execution_context
        document = context.graphql_document
        if document is not None:
            field = forbidden_text(document, context.operation_name, context.variables)
            if field is not None:
                language = getattr(context.context, "language", "da")
                # Strawberry turns an error raised here into the operation's only answer.
                raise GraphQLError(
                    translate("invalid_characters", language),
                    extensions={
                        "code": "INVALID",
                        "field": field,
                        "reason": Reason.INVALID_CHARACTERS.value,
                        "retryable": False,
                    },
                )
        yield
