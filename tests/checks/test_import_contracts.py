"""Each import contract of pyproject.toml bites: a bad NEW module breaks exactly that contract.

app/ is copied into a temporary directory, and every case adds one module to the copy, a module
that did not exist when the contracts were written (a folder on its way becomes a package, so
``service.py`` becomes ``service/__init__.py`` to make room for ``service/new.py``). The copy and
the tree itself are checked against the contracts of pyproject.toml by
tests/checks/contract_report.py, in one process of its own. Nothing imports a new module, so a
violation that the copy has and the tree has not starts at the module that causes it: each case
must cause violations of its one contract only (or of none, for what the contracts allow). So the
cases hold while today's tree still breaks some contracts.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "pyproject.toml"
RUNNER = Path(__file__).with_name("contract_report.py")


@dataclass(frozen=True)
class Case:
    id: str
    path: str  # of the new module, in the folder that holds app/
    source: str
    contract: str | None  # the one contract it breaks; None: it breaks none
    empty: tuple[str, ...] = ()  # other new modules that it needs, left empty

    @property
    def module(self) -> str:
        return module_name(self.path)


def module_name(path: str) -> str:
    return path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")


def type_checking_only(module: str) -> str:
    return f"from typing import TYPE_CHECKING\n\nif TYPE_CHECKING:\n    import {module}\n"


CASES = [
    Case(
        "models-import-service",
        "app/messaging/models/extra.py",
        "import app.messaging.service\n",
        "rooms",
    ),
    Case(
        "policies-import-loaders",
        "app/gallery/policies/extra.py",
        "import app.gallery.loaders\n",
        "rooms",
    ),
    Case(
        "sub-slice-models-import-service",
        "app/attendance/newsub/models.py",
        "import app.attendance.newsub.service\n",
        "rooms",
        empty=("app/attendance/newsub/service.py",),
    ),
    Case(
        "lower-slice-imports-higher",
        "app/accounts/service/new.py",
        "import app.institutions.models\n",
        "order",
    ),
    Case("kernel-imports-a-slice", "app/core/new.py", "import app.accounts.models\n", "order"),
    Case("new-module-in-app-root", "app/helpers.py", "", "order"),
    Case(
        "slice-imports-another-slice-api",
        "app/attendance/new_thing.py",
        "import app.messaging.api\n",
        "slice-api",
    ),
    Case(
        "api-imports-another-slice-api",
        "app/daybook/api/new.py",
        "import app.gallery.api\n",
        "slice-api",
    ),
    Case(
        "service-imports-graphql-plumbing",
        "app/messaging/service/uses_api.py",
        "import app.api\n",
        "graphql-plumbing",
    ),
    Case("bench-imports-root", "app/bench/new.py", "import app.root\n", "root"),
    Case(
        "slice-module-imports-strawberry",
        "app/attendance/new_strawberry.py",
        "import strawberry\n",
        "strawberry",
    ),
    Case(
        "service-imports-strawberry-litestar",
        "app/messaging/service/uses_strawberry.py",
        "from strawberry.litestar import BaseContext\n",
        "strawberry",
    ),
    Case(
        "service-imports-litestar",
        "app/messaging/service/uses_litestar.py",
        "import litestar\n",
        "litestar",
    ),
    # What the contracts allow: they must not bite everything.
    Case(
        "api-imports-another-slice-api-for-typing",
        "app/daybook/api/lazy.py",
        type_checking_only("app.gallery.api"),
        None,
    ),
    Case(
        "sub-slice-api-imports-its-slice-api",
        "app/attendance/newsub/api.py",
        "import app.attendance.api\nimport app.api\nimport strawberry\n",
        None,
    ),
    Case(
        "service-imports-lower-slice-and-kernel",
        "app/daybook/service/new.py",
        "import app.accounts.models\nimport app.core\n",
        None,
    ),
]


def add_module(root: Path, path: str, source: str) -> None:
    """Write root/path; each folder on the way becomes a package (a module x.py: x/__init__.py)."""
    for folder in Path(path).parents:
        if folder == Path("."):
            continue
        package, module = root / folder, (root / folder).with_suffix(".py")
        if module.exists():
            package.mkdir()
            module.rename(package / "__init__.py")
    for folder in reversed(Path(path).parents):
        if folder != Path("."):
            (root / folder).mkdir(exist_ok=True)
            (root / folder / "__init__.py").touch()
    (root / path).write_text(source)


def check(roots: list[Path]) -> list[dict[str, Any]]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    result = subprocess.run(
        [sys.executable, str(RUNNER), str(CONFIG), *map(str, roots)],
        cwd=roots[-1],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    reports: list[dict[str, Any]] = json.loads(result.stdout.splitlines()[-1])
    return reports


@pytest.fixture(scope="module")
def reports() -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """The reports of the tree itself and of a copy with every case's module added."""
    with tempfile.TemporaryDirectory(prefix="seddel-contracts-") as tmp:
        copy = Path(tmp)
        shutil.copytree(ROOT / "app", copy / "app", ignore=shutil.ignore_patterns("__pycache__"))
        for case in CASES:
            for path in case.empty:
                add_module(copy, path, "")
            add_module(copy, case.path, case.source)
        before, after = check([ROOT, copy])
    yield before, after


def new_violations(reports: tuple[dict[str, Any], dict[str, Any]]) -> dict[str, set[str]]:
    before, after = (report["contracts"] for report in reports)
    return {contract: set(after[contract]) - set(before[contract]) for contract in after}


def first_module(violation: str) -> str:
    return violation.removeprefix("undeclared ").split(" -> ")[0]


def test_every_contract_has_a_case(reports: tuple[dict[str, Any], dict[str, Any]]) -> None:
    assert set(reports[0]["contracts"]) == {case.contract for case in CASES} - {None}


def test_the_new_modules_are_in_the_graph(reports: tuple[dict[str, Any], dict[str, Any]]) -> None:
    before, after = (set(report["modules"]) for report in reports)
    new = {module_name(path) for case in CASES for path in (case.path, *case.empty)}
    assert not new & before
    assert new <= after


def test_every_new_violation_comes_from_a_case(
    reports: tuple[dict[str, Any], dict[str, Any]],
) -> None:
    modules = {case.module for case in CASES}
    stray = {
        violation
        for violations in new_violations(reports).values()
        for violation in violations
        if first_module(violation) not in modules
    }
    assert not stray


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_new_module_breaks_exactly_its_contract(
    case: Case, reports: tuple[dict[str, Any], dict[str, Any]]
) -> None:
    broken = {
        contract: sorted(found)
        for contract, violations in new_violations(reports).items()
        if (found := {v for v in violations if first_module(v) == case.module})
    }
    assert set(broken) == ({case.contract} if case.contract else set()), broken


def test_the_tree_keeps_every_contract(reports: tuple[dict[str, Any], dict[str, Any]]) -> None:
    broken = {contract: found for contract, found in reports[0]["contracts"].items() if found}
    if broken:
        pytest.skip(
            "today's tree still breaks "
            + ", ".join(f"{contract} ({len(found)})" for contract, found in broken.items())
            + ": see `make lint`"
        )
