"""Strawberry's extension hooks, looked up once per extension class instead of per request.

For each of an operation's stages (operation, parsing, validation, execution) Strawberry
(0.341) looks at every extension, asks `inspect` what kind of function its hook is, and wraps
it with `contextlib.contextmanager(types.MethodType(...))`, which copies the function's
metadata (`functools.update_wrapper`) each time: with our fifteen extensions that was ~17
wrappers, ~60 lookups and ~7 % of a compiled read's CPU, for answers that depend only on the
extension's class. Here the kind of each class's hook is found once, and the hook is entered
as the very context manager `contextlib` builds (`_GeneratorContextManager` over the hook and
its extension), so every hook runs, is entered, exited and sees exceptions exactly as before.
Plain (non-generator) hooks and the streaming results' hook keep Strawberry's own path.

Extensions that do not override `get_results` (SchemaExtension's answers `{}`) are not
asked for it either: the merged results are the same."""

from __future__ import annotations

import contextlib
import inspect
from collections.abc import Callable
from typing import Any

from strawberry.extensions import SchemaExtension
from strawberry.extensions.context import (
    ExecutingContextManager,
    ExtensionContextManagerBase,
    OperationContextManager,
    ParsingContextManager,
    ValidationContextManager,
    WrappedHook,
)
from strawberry.extensions.runner import SchemaExtensionsRunner
from strawberry.types import ExecutionContext
from strawberry.utils.await_maybe import await_maybe

_GENERATOR = "generator"
_ASYNC_GENERATOR = "async generator"
_OTHER = "other"

# (extension class, hook name) -> (kind or None when not overridden, the hook function)
_KINDS: dict[tuple[type, str], tuple[str | None, Any]] = {}
_HAS_RESULTS: dict[type, bool] = {}
# (hook name, the extensions' classes) -> (position, kind, hook) of those that hook it
_PLANS: dict[tuple[str, tuple[type, ...]], tuple[tuple[int, str | None, Any], ...]] = {}


def _kind(cls: type, hook_name: str) -> tuple[str | None, Any]:
    found = _KINDS.get((cls, hook_name))
    if found is None:
        hook = getattr(cls, hook_name)
        if hook is getattr(SchemaExtension, hook_name) or not hook:
            found = (None, None)
        elif inspect.isgeneratorfunction(hook):
            found = (_GENERATOR, hook)
        elif inspect.isasyncgenfunction(hook):
            found = (_ASYNC_GENERATOR, hook)
        else:
            found = (_OTHER, hook)
        _KINDS[(cls, hook_name)] = found
    return found


class _ClassCachedHooks(ExtensionContextManagerBase):
    def __init__(self, extensions: list[SchemaExtension]) -> None:
        # Strawberry's __init__, with the positions of the extensions that hook this stage
        # found once per list of extension classes (the schema's list, in its order).
        self.hooks = []
        self.default_hook = getattr(SchemaExtension, self.HOOK_NAME)
        classes = tuple(map(type, extensions))
        plan = _PLANS.get((self.HOOK_NAME, classes))
        if plan is None:
            plan = _PLANS[(self.HOOK_NAME, classes)] = tuple(
                (position, *_kind(cls, self.HOOK_NAME))
                for position, cls in enumerate(classes)
                if _kind(cls, self.HOOK_NAME)[0] is not None
            )
        for position, kind, hook in plan:
            extension = extensions[position]
            if kind is _GENERATOR:
                self.hooks.append(WrappedHook(extension, _Generator(hook, extension), False))
            elif kind is _ASYNC_GENERATOR:
                self.hooks.append(WrappedHook(extension, _AsyncGenerator(hook, extension), True))
            else:
                wrapped = self.get_hook(extension)
                if wrapped:
                    self.hooks.append(wrapped)


class _Generator:
    """What `contextlib.contextmanager(types.MethodType(hook, extension))` is, unwrapped:
    called, it gives the context manager of one run of the hook."""

    __slots__ = ("extension", "hook")

    def __init__(self, hook: Callable[..., Any], extension: SchemaExtension) -> None:
        self.hook, self.extension = hook, extension

    def __call__(self) -> Any:
        return contextlib._GeneratorContextManager(self.hook, (self.extension,), {})


class _AsyncGenerator(_Generator):
    __slots__ = ()

    def __call__(self) -> Any:
        return contextlib._AsyncGeneratorContextManager(self.hook, (self.extension,), {})


class _Operation(_ClassCachedHooks, OperationContextManager):
    pass


class _Parsing(_ClassCachedHooks, ParsingContextManager):
    pass


class _Validation(_ClassCachedHooks, ValidationContextManager):
    pass


class _Executing(_ClassCachedHooks, ExecutingContextManager):
    pass


class ClassCachedExtensionsRunner(SchemaExtensionsRunner):
    def operation(self) -> OperationContextManager:
        return _Operation(self.extensions)

    def parsing(self) -> ParsingContextManager:
        return _Parsing(self.extensions)

    def validation(self) -> ValidationContextManager:
        return _Validation(self.extensions)

    def executing(self) -> ExecutingContextManager:
        return _Executing(self.extensions)

    async def get_extensions_results(self, ctx: ExecutionContext) -> dict[str, Any]:
        data: dict[str, Any] = {}
        for extension in self.extensions:
            if _has_results(type(extension)):
                data.update(await await_maybe(extension.get_results()))
        data.update(ctx.extensions_results)
        return data


def _has_results(cls: type[SchemaExtension]) -> bool:
    found = _HAS_RESULTS.get(cls)
    if found is None:
        found = _HAS_RESULTS[cls] = cls.get_results is not SchemaExtension.get_results
    return found
