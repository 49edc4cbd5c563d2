"""Query cost limit: refuse operations that would fetch too much, before they run.

Strawberry ships depth, alias and token limits but no cost limit, and no well-kept
library computes one for graphql-core documents, so this one is our own.

The rule, simple enough for an app developer to predict:

- every field selection costs 1;
- a connection (a field taking a ``first`` argument) multiplies the cost of its
  sub-selection by ``first``: a literal, a variable (or its default), or the
  connection's default page size when the argument is absent or null;
- named and inline fragments are expanded where they are spread;
- ``__typename`` and introspection (``__schema``, ``__type``) are free: their answers
  are static, and GraphiQL needs them in development.

``@skip``/``@include`` are ignored: a document is charged as if it all ran.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_named_type,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

PAGE_SIZE_ARGUMENT = "first"


def query_cost(
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    default_page_size: int = 20,
    *,
    schema: GraphQLSchema | None = None,
) -> int:
    """The cost of the operation ``operation_name`` of ``document`` (see the module doc).

    With ``schema``, a field is a connection when its definition takes ``first``, so a
    missing ``first`` costs ``default_page_size``; without it, only fields that pass
    ``first`` in the document count as connections. With no ``operation_name`` and
    several operations, the dearest one is charged (execution will pick one at most).
    """
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [op for op in operations if op.name and op.name.value == operation_name]
    fragments = {
        d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)
    }
    return max(
        (
            _CostWalker(
                fragments,
                _with_defaults(operation, variables),
                default_page_size,
                schema,
            ).operation(operation)
            for operation in operations
        ),
        default=0,
    )


def _with_defaults(
    operation: OperationDefinitionNode, variables: Mapping[str, Any] | None
) -> dict[str, Any]:
    values = dict(variables or {})
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        if name not in values and definition.default_value is not None:
            values[name] = value_from_ast_untyped(definition.default_value)
    return values


class _CostWalker:
    """Walks one operation; one walker per operation because fragment costs depend on
    that operation's variables."""

    def __init__(
        self,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        default_page_size: int,
        schema: GraphQLSchema | None,
    ) -> None:
        self._fragments = fragments
        self._variables = variables
        self._default_page_size = default_page_size
        self._schema = schema
        # A fragment's cost does not depend on where it is spread, so it is computed
        # once: without this, fragments spreading each other twice per level make a
        # small document cost exponential time to price.
        self._fragment_costs: dict[str, int] = {}
        self._expanding: set[str] = set()

    def operation(self, operation: OperationDefinitionNode) -> int:
        root = self._schema.get_root_type(operation.operation) if self._schema else None
        return self._selection_set(operation.selection_set, root)

    def _selection_set(
        self, selection_set: SelectionSetNode | None, parent: GraphQLNamedType | None
    ) -> int:
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self._type_named(condition.name.value) if condition else parent
                total += self._selection_set(selection.selection_set, inner)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value)
        return total

    def _field(self, node: FieldNode, parent: GraphQLNamedType | None) -> int:
        if node.name.value.startswith("__"):
            return 0
        definition = _field_definition(parent, node.name.value)
        child = get_named_type(definition.type) if definition else None
        inner = self._selection_set(node.selection_set, child)
        return 1 + self._page_size(node, definition) * inner

    def _page_size(self, node: FieldNode, definition: GraphQLField | None) -> int:
        argument = next(
            (a for a in node.arguments or () if a.name.value == PAGE_SIZE_ARGUMENT),
            None,
        )
        if argument is None:
            takes_first = definition is not None and PAGE_SIZE_ARGUMENT in definition.args
            return self._default_page_size if takes_first else 1
        value = value_from_ast_untyped(argument.value, self._variables)
        if isinstance(value, int) and not isinstance(value, bool):
            return max(value, 0)
        # null or a missing variable means the resolver's default page; anything else
        # is a type error that validation reports once the cost is known to be bearable.
        return self._default_page_size

    def _fragment(self, name: str) -> int:
        if name in self._fragment_costs:
            return self._fragment_costs[name]
        definition = self._fragments.get(name)
        # Unknown and cyclic spreads are validation errors, but cost runs before
        # validation: it only has to terminate, validation then refuses the document.
        if definition is None or name in self._expanding:
            return 0
        self._expanding.add(name)
        try:
            cost = self._selection_set(
                definition.selection_set,
                self._type_named(definition.type_condition.name.value),
            )
        finally:
            self._expanding.discard(name)
        self._fragment_costs[name] = cost
        return cost

    def _type_named(self, name: str) -> GraphQLNamedType | None:
        return self._schema.get_type(name) if self._schema else None


def _field_definition(parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        field: GraphQLField | None = parent.fields.get(name)
        return field
    return None


class QueryCostLimiter(SchemaExtension):
    """Refuses an operation dearer than ``max_cost`` and reports every operation's cost
    in the response's ``extensions.cost``.

    Pass it as a factory (``lambda: QueryCostLimiter(...)``): it keeps the cost of the
    current operation. List it after ``ValidationCache``, which overwrites
    ``pre_execution_errors``; if it is listed before, ``on_execute`` still refuses.
    """

    def __init__(self, max_cost: int = 1000, default_page_size: int = 20) -> None:
        super().__init__()
        self.max_cost = max_cost
        self.default_page_size = default_page_size
        self.cost: int | None = None

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        # Runs before graphql-core validation (unless a cache validated already): an
        # over-cost document is refused without paying for its validation. A document
        # already refused (invalid, untrusted) is not priced.
        if context.graphql_document is not None and not context.pre_execution_errors:
            self.cost = query_cost(
                context.graphql_document,
                context.variables,
                context.operation_name,
                self.default_page_size,
                # Strawberry exposes the graphql-core schema only as `_schema`; its own
                # extensions (ValidationCache) read it the same way.
                schema=context.schema._schema,
            )
            if self._too_costly():
                # Strawberry skips validation when errors are already set and returns
                # them as a PreExecutionError: no resolver runs.
                context.pre_execution_errors = [self._error()]
        yield

    def on_execute(self) -> Iterator[None]:
        # A later extension may have replaced our error (ValidationCache assigns
        # `pre_execution_errors` unconditionally); an over-cost operation must not run.
        if self._too_costly():
            raise self._error()
        yield

    def get_results(self) -> dict[str, Any]:
        return {} if self.cost is None else {"cost": self.cost}

    def _too_costly(self) -> bool:
        return self.cost is not None and self.cost > self.max_cost

    def _error(self) -> GraphQLError:
        return GraphQLError(
            f"Query cost {self.cost} exceeds the limit of {self.max_cost}",
            extensions={
                "code": "QUERY_TOO_COSTLY",
                "cost": self.cost,
                "maxCost": self.max_cost,
            },
        )
