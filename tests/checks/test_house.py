"""The house plan as a test: app/'s root holds only the entry and the wiring, every package
says what it is, and every slice (and sub-slice) has the same rooms and no others.

import-linter holds the arrows between the rooms (pyproject.toml); this holds the rooms."""

from __future__ import annotations

import ast
from pathlib import Path

APP = Path(__file__).resolve().parents[2] / "app"
ROOT_MODULES = {"__init__.py", "__main__.py", "cli.py", "config.py", "server.py", "db.py"}
SLICES = (
    "accounts",
    "institutions",
    "files",
    "notifications",
    "messaging",
    "announcements",
    "gallery",
    "attendance",
    "daybook",
)
ROOM_MODULES = {
    "__init__.py",
    "models.py",
    "policies.py",
    "service.py",
    "loaders.py",
    "reads.py",
    "events.py",
}
ROOM_PACKAGES = {"api", "service", "reads"}  # service/ and reads/ when a module grows too big


def _packages() -> list[Path]:
    return sorted(p.parent for p in APP.rglob("__init__.py") if "__pycache__" not in p.parts)


def _has_docstring(init: Path) -> bool:
    return ast.get_docstring(ast.parse(init.read_text())) is not None


def _rooms_of(package: Path) -> list[str]:
    """What stands in a slice that is not one of its rooms (sub-slices are checked alike)."""
    strangers = []
    for entry in sorted(package.iterdir()):
        if entry.name == "__pycache__":
            continue
        if entry.is_file() and entry.suffix == ".py" and entry.name not in ROOM_MODULES:
            strangers.append(str(entry.relative_to(APP)))
        elif entry.is_dir() and entry.name not in ROOM_PACKAGES:
            if (entry / "__init__.py").exists():
                strangers.extend(_rooms_of(entry))  # a sub-slice: the same rooms
            else:
                strangers.append(str(entry.relative_to(APP)))
    return strangers


def test_the_root_of_app_holds_only_the_entry_and_the_wiring():
    modules = {p.name for p in APP.glob("*.py")}
    assert modules == ROOT_MODULES


def test_every_package_says_what_lives_there():
    silent = [
        str(p.relative_to(APP.parent)) for p in _packages() if not _has_docstring(p / "__init__.py")
    ]
    assert silent == []


def test_every_slice_has_the_same_rooms_and_no_others():
    packages = {p.name for p in APP.iterdir() if (p / "__init__.py").exists()}
    assert set(SLICES) <= packages
    strangers = [name for slice_ in SLICES for name in _rooms_of(APP / slice_)]
    assert strangers == []


def test_every_event_handler_module_is_wired_in_the_root():
    """A handler module nobody imports never runs: app/root/handlers.py lists them all."""
    wired = set()
    for node in ast.walk(ast.parse((APP / "root" / "handlers.py").read_text())):
        if isinstance(node, ast.Import):
            wired.update(alias.name for alias in node.names)
    registering = set()
    for path in APP.rglob("*.py"):
        if path.parts[-2:] == ("core", "events.py") or "tests" in path.parts:
            continue
        text = path.read_text()
        if "@events.on(" in text or "@events.after_commit(" in text:
            dotted = path.relative_to(APP.parent).with_suffix("").as_posix().replace("/", ".")
            registering.add(dotted.removesuffix(".__init__"))
    assert registering - wired == set()
