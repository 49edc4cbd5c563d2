"""Query cost limit: refuse operations that would fetch too much, before they run.

Strawberry ships depth, alias and token limits but no cost limit, and no well-kept
library computes one for graphql-core documents, so this one is our own.

The rule, simple enough for an app developer to predict, and never below the number of
objects a response holds (tests/api/test_cost_property.py checks it on generated queries):

- every field selection costs 1, and each object a field returns costs at least 1 more
  (``nodes(ids: […]) { __typename }`` is not free);
- a field's sub-selection is multiplied by how many objects the field can return:
  - a connection (a field taking ``first`` or ``last``): the larger of them, a literal, a
    variable (or its default), or the default page size when absent or null; its
    ``edges``/``nodes`` lists are that page and are not multiplied again;
  - every list-valued argument, by how many items it holds (``nodes(ids:)`` with 100 ids
    reads 100 objects; lists inside input objects count too): the product over arguments;
  - any other list field (``Child.guardians``): its assumed size, or, for a list with one
  item per child of a group (``GroupDay.children``), a group's size (``LIST_SIZES``);
- named and inline fragments are expanded where they are spread;
- ``__typename`` and introspection (``__schema``, ``__type``) are free: their answers
  are static, and GraphiQL needs them in development.

``@skip``/``@include`` are ignored: a document is charged as if it all ran.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
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
    get_nullable_type,
    is_list_type,
    value_from_ast_untyped,
)
from strawberry.extensions import SchemaExtension

from app.api.operation_memo import OperationMemo
from app.core.reasons import Reason

SLICING_ARGUMENTS = ("first", "last")
# A list field that takes neither a page size nor a list of keys (`Child.guardians`,
# `Institution.groups`) returns a few rows of one parent: it is charged as this many.
DEFAULT_ASSUMED_LIST_SIZE = 10
# Lists that hold one item per child of a group (or per guardian of one): a daycare group holds
# up to about 30 children, so these are charged as a group, not as a parent's few rows.
GROUP_CHILDREN = 30
LIST_SIZES = {
    "GroupDay.children": GROUP_CHILDREN,
    "Query.groupPhotoConsents": GROUP_CHILDREN,
    "Query.groupContacts": 2 * GROUP_CHILDREN,
    "OverdueAnnouncement.children": GROUP_CHILDREN,
}
# The cost is a function of the document, the operation, the variables, the page size and the
# schema: a repeated request is priced once.
_PRICED = OperationMemo()
DEFAULT_PAGE_SIZE = 20


def query_cost(
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
    default_page_size: int = DEFAULT_PAGE_SIZE,
    *,
    schema: GraphQLSchema | None = None,
    assumed_list_size: int = DEFAULT_ASSUMED_LIST_SIZE,
) -> int:
    """The cost of the operation ``operation_name`` of ``document`` (see the module doc).

    With ``schema``, a field is a connection when its definition takes ``first`` or
    ``last``, so a missing one costs ``default_page_size``, and a list field with neither
    (nor a list argument) costs ``assumed_list_size`` times its selection; without it,
    only what the document shows counts (``first``/``last`` passed, list arguments). With
    no ``operation_name`` and several operations, the dearest one is charged (execution
    will pick one at most).
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
                _Sizes(default_page_size, assumed_list_size),
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


def list_items(value: Any) -> int:
    """How many items the lists inside an argument's value hold (0 when it holds none): a
    list counts its items (a nested list's items each), an input object adds up its fields."""
    if isinstance(value, list | tuple):
        return sum(max(1, list_items(item)) for item in value)
    if isinstance(value, Mapping):
        return sum(list_items(item) for item in value.values())
    return 0


def _holds_list(value: Any) -> bool:
    if isinstance(value, list | tuple):
        return True
    return isinstance(value, Mapping) and any(_holds_list(item) for item in value.values())


@dataclass(frozen=True, slots=True)
class _Sizes:
    default_page_size: int
    assumed_list_size: int


class _CostWalker:
    """Walks one operation; one walker per operation because fragment costs depend on
    that operation's variables."""

    def __init__(
        self,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: dict[str, Any],
        sizes: _Sizes,
        schema: GraphQLSchema | None,
    ) -> None:
        self._fragments = fragments
        self._variables = variables
        self._sizes = sizes
        self._schema = schema
        # A fragment's cost does not depend on where it is spread (but for whether its
        # lists are a connection's page, already charged): computed once per place.
        # Without this, fragments spreading each other twice per level make a small
        # document cost exponential time to price.
        self._fragment_costs: dict[tuple[str, bool], int] = {}
        self._expanding: set[str] = set()

    def operation(self, operation: OperationDefinitionNode) -> int:
        root = self._schema.get_root_type(operation.operation) if self._schema else None
        return self._selection_set(operation.selection_set, root, paged=False)

    def _selection_set(
        self,
        selection_set: SelectionSetNode | None,
        parent: GraphQLNamedType | None,
        *,
        paged: bool,
    ) -> int:
        """``paged``: ``parent`` is a connection whose page size is charged already (its
        ``edges``/``nodes`` lists are that page)."""
        if selection_set is None:
            return 0
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent, paged=paged)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self._type_named(condition.name.value) if condition else parent
                total += self._selection_set(selection.selection_set, inner, paged=paged)
            elif isinstance(selection, FragmentSpreadNode):
                total += self._fragment(selection.name.value, paged=paged)
        return total

    def _field(self, node: FieldNode, parent: GraphQLNamedType | None, *, paged: bool) -> int:
        if node.name.value.startswith("__"):
            return 0
        definition = _field_definition(parent, node.name.value)
        child = get_named_type(definition.type) if definition else None
        page = self._page_size(node, definition)
        keys = self._list_arguments(node)
        inner = self._selection_set(node.selection_set, child, paged=page is not None)
        if node.selection_set is not None:
            inner = max(inner, 1)  # every object returned costs at least 1
        multiplier = (page or 1) * (keys or 1)
        if page is None and keys is None and not paged and _returns_list(definition):
            multiplier = LIST_SIZES.get(
                f"{parent.name}.{node.name.value}" if parent else "", self._sizes.assumed_list_size
            )
        return 1 + multiplier * inner

    def _page_size(self, node: FieldNode, definition: GraphQLField | None) -> int | None:
        """The page a connection returns (``first`` or ``last``, the larger if both);
        None when the field is no connection."""
        given = [a for a in node.arguments or () if a.name.value in SLICING_ARGUMENTS]
        if not given:
            takes = definition is not None and any(a in definition.args for a in SLICING_ARGUMENTS)
            return self._sizes.default_page_size if takes else None
        sizes = []
        for argument in given:
            value = value_from_ast_untyped(argument.value, self._variables)
            if isinstance(value, int) and not isinstance(value, bool):
                sizes.append(max(value, 0))
            else:
                # null or a missing variable means the resolver's default page; anything
                # else is a type error that validation reports once the cost is bearable.
                sizes.append(self._sizes.default_page_size)
        return max(sizes)

    def _list_arguments(self, node: FieldNode) -> int | None:
        """The product of the items of every list-valued argument (``nodes(ids:)`` with 100
        ids reads 100 objects; ``sendMessage(fileIds:)`` claims each file); None when no
        argument holds a list."""
        product: int | None = None
        for argument in node.arguments or ():
            if argument.name.value in SLICING_ARGUMENTS:
                continue
            value = value_from_ast_untyped(argument.value, self._variables)
            if _holds_list(value):
                product = (product or 1) * max(1, list_items(value))
        return product

    def _fragment(self, name: str, *, paged: bool) -> int:
        if (name, paged) in self._fragment_costs:
            return self._fragment_costs[name, paged]
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
                paged=paged,
            )
        finally:
            self._expanding.discard(name)
        self._fragment_costs[name, paged] = cost
        return cost

    def _type_named(self, name: str) -> GraphQLNamedType | None:
        return self._schema.get_type(name) if self._schema else None


def _field_definition(parent: GraphQLNamedType | None, name: str) -> GraphQLField | None:
    if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
        field: GraphQLField | None = parent.fields.get(name)
        return field
    return None


def _returns_list(definition: GraphQLField | None) -> bool:
    return definition is not None and is_list_type(get_nullable_type(definition.type))


def operation_cost(
    schema: GraphQLSchema,
    document: DocumentNode,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    default_page_size: int = DEFAULT_PAGE_SIZE,
) -> int:
    """The operation's cost (`query_cost`), remembered per document, operation and variables:
    what QueryCostLimiter prices, and the direct path of compiled documents with it."""
    return _PRICED.answer(
        document,
        operation_name,
        variables,
        lambda: query_cost(document, variables, operation_name, default_page_size, schema=schema),
        default_page_size,
        id(schema),
    )


class QueryCostLimiter(SchemaExtension):
    """Refuses an operation dearer than ``max_cost`` and reports every operation's cost
    in the response's ``extensions.cost``.

    Pass it as a factory (``lambda: QueryCostLimiter(...)``): it keeps the cost of the
    current operation. List it after the validation cache (``DocumentValidationCache``), which
    overwrites ``pre_execution_errors``; if it is listed before, ``on_execute`` still refuses.
    """

    def __init__(self, max_cost: int = 1000, default_page_size: int = DEFAULT_PAGE_SIZE) -> None:
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
            # Strawberry exposes the graphql-core schema only as `_schema`; its own
            # extensions (the validation cache) read it the same way.
            self.cost = operation_cost(
                context.schema._schema,
                context.graphql_document,
                context.operation_name,
                context.variables,
                self.default_page_size,
            )
            if self._too_costly():
                # Strawberry skips validation when errors are already set and returns
                # them as a PreExecutionError: no resolver runs.
                context.pre_execution_errors = [self._error()]
        yield

    def on_execute(self) -> Iterator[None]:
        # A later extension may have replaced our error (the validation cache assigns
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
                "reason": Reason.QUERY_TOO_COSTLY.value,
                "retryable": False,
                "cost": self.cost,
                "maxCost": self.max_cost,
            },
        )
