"""No per-field overhead in GraphQL (ARCHITECTURE, performance rules): no schema extension
hooks every field's resolution, permission classes sit on root fields only, and a resolver
that awaits nothing is not made async."""

from __future__ import annotations

import ast
from pathlib import Path

from strawberry.extensions import SchemaExtension
from strawberry.types.base import StrawberryObjectDefinition

from app.config import Settings
from app.root.schema import build_schema

ROOT = Path(__file__).resolve().parents[2]
ROOT_TYPES = {"Query", "Mutation", "Subscription"}


def _schema():  # type: ignore[no-untyped-def]
    return build_schema(Settings(production=True))


def test_no_schema_extension_wraps_every_resolver():
    schema = _schema()
    hooking = []
    for factory in schema.extensions:
        extension = factory() if not isinstance(factory, SchemaExtension) else factory
        kind = type(extension)
        if kind.resolve is not SchemaExtension.resolve:
            hooking.append(kind.__name__)
    assert hooking == [], f"extensions that run on every field: {hooking}"


def test_permission_classes_sit_on_root_fields_only():
    schema = _schema()
    leaves = []
    for name, type_ in schema.schema_converter.type_map.items():
        definition = type_.definition
        if not isinstance(definition, StrawberryObjectDefinition) or name in ROOT_TYPES:
            continue
        leaves += [f"{name}.{f.name}" for f in definition.fields if f.permission_classes]
    assert leaves == [], f"decide on the root field or in the visibility scope: {leaves}"


def test_a_resolver_that_awaits_nothing_is_not_async():
    found = []
    for path in sorted((ROOT / "app").rglob("api/**/*.py")) + sorted(
        (ROOT / "app").rglob("api/*.py")
    ):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.AsyncFunctionDef):
                continue
            if not any("strawberry" in ast.unparse(d) for d in node.decorator_list):
                continue
            awaits = (ast.Await, ast.AsyncFor, ast.AsyncWith, ast.Yield)
            if not any(isinstance(inner, awaits) for inner in ast.walk(node)):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert sorted(set(found)) == [], f"plain attributes resolve synchronously: {found}"
