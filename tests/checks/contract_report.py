"""Check the import contracts of a config file against copies of the app/ tree; print JSON.

    python tests/checks/contract_report.py CONFIG ROOT [ROOT ...]

Each ROOT is a directory holding an ``app/`` package. Prints a list with, for each ROOT in order,
``{"contracts": {contract id: [violation, ...]}, "modules": [module, ...]}``: a kept contract has
no violations, and a violation is the chain of modules that breaks the contract, ``"a -> b -> c"``
(a direct import is ``"a -> b"``); the modules are those of the package found in the graph.

Run it in a process of its own, started without the project on its path: the graph is built from
whichever ``app`` the import system finds first, so this script puts each ROOT first on sys.path
in turn and checks that the package it finds is the one under ROOT. No cache is read or written.
"""

from __future__ import annotations

import importlib
import importlib.util
import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from importlinter import configuration
from importlinter.application import use_cases
from importlinter.domain.contract import Contract, ContractCheck

PACKAGE = "app"


def violations(contract: Contract, check: ContractCheck) -> list[str]:
    """Every chain that breaks the contract, for the layers and protected types."""
    found: set[str] = set()
    metadata: dict[str, Any] = check.metadata
    for dependency in metadata.get("invalid_dependencies", []):  # layers
        for route in dependency["routes"]:
            found.update(_route_chains(route))
    for module in metadata.get("undeclared_modules", []):  # layers, exhaustive
        found.add(f"undeclared {module}")
    for broken in metadata.get("illegal_imports", []):  # protected
        found.update(f"{link['importer']} -> {link['imported']}" for link in broken.illegal_links)
    for chains_data in metadata.get("invalid_chains", []):  # forbidden
        for chain in chains_data["chains"]:
            found.add(" -> ".join([chain[0]["importer"], *(link["imported"] for link in chain)]))
    if not check.kept and not found:
        found.add(f"broken ({type(contract).__name__} is not understood by {Path(__file__).name})")
    return sorted(found)


def _route_chains(route: dict[str, Any]) -> Iterable[str]:
    """A route is one chain of links plus other first and last links that share its middle."""
    chain = route["chain"]
    heads = [chain[0]["importer"], *(link["importer"] for link in route["extra_firsts"])]
    middle = [link["importer"] for link in chain[1:]]
    tails = [chain[-1]["imported"], *(link["imported"] for link in route["extra_lasts"])]
    for head in heads:
        for tail in tails:
            yield " -> ".join([head, *middle, tail])


def report(config: str, root: Path) -> dict[str, Any]:
    sys.path.insert(0, str(root))
    sys.path_importer_cache.clear()
    importlib.invalidate_caches()
    try:
        spec = importlib.util.find_spec(PACKAGE)
        found = Path(spec.origin).resolve() if spec and spec.origin else None
        if found is None or not found.is_relative_to(root.resolve()):
            raise SystemExit(f"{PACKAGE} was found at {found}, not under {root}")
        options = use_cases.read_user_options(config_filename=config)
        use_cases._register_contract_types(options)
        result = use_cases.create_report(options, cache_dir=None)
    finally:
        sys.path.remove(str(root))
    if result.could_not_run:
        raise SystemExit(f"invalid contract options: {result.invalid_contract_options}")
    contracts = {
        str(contract.contract_options.get("id", contract.name)): violations(contract, check)
        for contract, check in result.get_contracts_and_checks()
    }
    modules = sorted(m for m in result.graph.modules if m.split(".")[0] == PACKAGE)
    return {"contracts": contracts, "modules": modules}


def main(argv: list[str]) -> None:
    config, *roots = argv
    configuration.configure()
    reports = [report(config, Path(root)) for root in roots]
    # One line, the last: the checks may print blank lines before it.
    sys.stdout.write("\n" + json.dumps(reports) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
