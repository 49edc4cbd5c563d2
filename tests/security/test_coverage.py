"""The matrix keeps up with the schema: every root field of Query, Mutation and Subscription
is selected by some document of graphql/operations/ that a test of tests/security/ names.
A new operation without a matrix entry fails here, not in an audit. It is a tripwire, not
the proof: a name used only to set something up counts too."""

from __future__ import annotations

import re
from pathlib import Path

from graphql import OperationDefinitionNode, parse

ROOT = Path(__file__).resolve().parents[2]
# Root fields with no one to refuse: answered the same for everybody.
PUBLIC = {
    "login": "takes a password, not a session: throttling is tests/accounts' business",
}


def _root_fields() -> dict[str, set[str]]:
    schema = (ROOT / "graphql" / "schema.graphql").read_text()
    fields: dict[str, set[str]] = {}
    for kind in ("Query", "Mutation", "Subscription"):
        body = re.search(rf"^type {kind} {{(.*?)^}}", schema, re.S | re.M)
        assert body, kind
        text = re.sub(r'""".*?"""', "", body.group(1), flags=re.S)
        fields[kind] = set(re.findall(r"^  (\w+)", text, re.M))
    return fields


def _documents() -> dict[str, set[str]]:
    """Operation name -> the root fields it selects."""
    selected: dict[str, set[str]] = {}
    for path in sorted((ROOT / "graphql" / "operations").glob("*.graphql")):
        for definition in parse(path.read_text()).definitions:
            if isinstance(definition, OperationDefinitionNode) and definition.name:
                selected[definition.name.value] = {
                    s.name.value  # type: ignore[attr-defined]
                    for s in definition.selection_set.selections
                }
    return selected


def _named_in_the_matrix() -> set[str]:
    names: set[str] = set()
    for path in (ROOT / "tests" / "security").glob("*.py"):
        names |= set(re.findall(r'"([A-Z]\w+)"', path.read_text()))
    return names


def test_every_root_field_has_a_matrix_entry():
    documents = _documents()
    named = _named_in_the_matrix()
    covered = {field for name, fields in documents.items() if name in named for field in fields}
    missing = {
        kind: sorted(fields - covered - set(PUBLIC))
        for kind, fields in _root_fields().items()
        if fields - covered - set(PUBLIC)
    }
    assert missing == {}, f"root fields no tests/security test names a document of: {missing}"
