"""The security matrix as a table: one `Case` per operation (a document of graphql/operations/,
its variables, and how an outsider must be answered), run against every outsider and every
dead session by the same two loops."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from tests.client import GraphQLClient

STRANGER_ADMIN = "admin@regnbuen.example"  # another institution
STRANGER_STAFF = "lars@regnbuen.example"
STRANGERS = (STRANGER_ADMIN, STRANGER_STAFF)

Check = Callable[[dict[str, Any]], None]


def _data(payload: dict[str, Any]) -> dict[str, Any]:
    assert not payload.get("errors"), payload["errors"]
    data: dict[str, Any] = payload["data"]
    return data


def not_found(field: str) -> Check:
    """A mutation's typed answer: NOT_FOUND, as if the object did not exist."""

    def check(payload: dict[str, Any]) -> None:
        result = _data(payload)[field]
        assert result.get("code") == "NOT_FOUND", result

    return check


def each_child_not_found(field: str) -> Check:
    """A call for several children (siblings): refused, every child NOT_FOUND, nothing done."""

    def check(payload: dict[str, Any]) -> None:
        result = _data(payload)[field]
        assert result.get("__typename") == "ChildrenRefusedError", result
        assert result["children"], result
        assert {c["error"]["code"] for c in result["children"]} == {"NOT_FOUND"}, result

    return check


def null(field: str) -> Check:
    def check(payload: dict[str, Any]) -> None:
        assert _data(payload)[field] is None, payload

    return check


def empty(field: str) -> Check:
    """An empty list, or a connection without edges."""

    def check(payload: dict[str, Any]) -> None:
        value = _data(payload)[field]
        assert value == [] or (isinstance(value, dict) and value.get("edges") == []), value

    return check


def equals(field: str, expected: Any) -> Check:
    def check(payload: dict[str, Any]) -> None:
        assert _data(payload)[field] == expected, payload

    return check


def without(field: str, path: str, forbidden: Iterable[Any]) -> Check:
    """A list of the actor's own things, none of which is one of `forbidden` (compared at
    the dotted `path` of each row, e.g. "child.id")."""
    hidden = set(forbidden)

    def at(row: dict[str, Any]) -> Any:
        for key in path.split("."):
            row = row[key]
        return row

    def check(payload: dict[str, Any]) -> None:
        seen = {at(row) for row in _data(payload)[field]}
        assert not seen & hidden, seen & hidden

    return check


def error(code: str = "NOT_FOUND") -> Check:
    """A query that answers an unknown object with a coded error and no data."""

    def check(payload: dict[str, Any]) -> None:
        assert payload.get("errors"), payload
        assert payload["errors"][0]["extensions"]["code"] == code, payload["errors"]

    return check


class Case:
    """One row: `Case("Operation", variables, check, ...)`."""

    def __init__(self, operation: str, variables: dict[str, Any], *expect: Check) -> None:
        self.operation = operation
        self.variables = variables
        self.expect: Sequence[Check] = expect

    def __repr__(self) -> str:
        return f"Case({self.operation!r})"


async def revoked_token(client: GraphQLClient, email: str = "pernille@solsikken.example") -> str:
    """A token whose session has ended (logged out)."""
    login = await client.gql("Login", {"email": email, "password": "seddel-demo"})
    token: str = login["login"]["token"]
    await client.gql("Logout", token=token)
    return token


async def dead_sessions(client: GraphQLClient) -> list[str | None]:
    """No token, a revoked one and one that never existed."""
    return [None, await revoked_token(client), "made-up-token"]


async def assert_refused(
    client: GraphQLClient,
    cases: Iterable[Case],
    actors: Iterable[str],
    *,
    tokens: Iterable[str] = (),
) -> None:
    """Every actor (by e-mail) and every token (a paired device's, say) gets every case's
    refusal. For a mutation nothing must be written: the caller checks what matters."""
    cases = list(cases)
    callers: list[tuple[str, dict[str, str]]] = [(a, {"as_": a}) for a in actors]
    callers += [(f"token {t[:8]}…", {"token": t}) for t in tokens]
    for who, credentials in callers:
        for case in cases:
            payload = await client.execute(case.operation, case.variables, **credentials)
            for check in case.expect:
                try:
                    check(payload)
                except AssertionError as exc:
                    raise AssertionError(f"{case.operation} as {who}: {exc}") from exc


async def assert_unauthenticated(
    client: GraphQLClient, cases: Iterable[Case], tokens: Iterable[str | None]
) -> None:
    """Without a live session every case is UNAUTHENTICATED, whatever it would tell."""
    cases = list(cases)
    for token in tokens:
        for case in cases:
            payload = await client.execute(case.operation, case.variables, token=token)
            errors = payload.get("errors") or [{}]
            code = errors[0].get("extensions", {}).get("code")
            assert code == "UNAUTHENTICATED", (case.operation, token, payload)


async def other_family_guardian(client: GraphQLClient) -> str:
    """A guardian in Solsikken, of a Frøerne child: same institution, another family."""
    from tests.helpers import SOLSIKKEN_ADMIN, overview

    node = await overview(client, SOLSIKKEN_ADMIN)
    child = next(
        e["node"] for e in node["children"]["edges"] if e["node"]["group"]["name"] == "Frøerne"
    )
    email: str = child["guardians"][0]["email"]
    return email


async def device_tokens(client: GraphQLClient, institution: str) -> list[str]:
    """A kiosk's and a staff tablet's own tokens (nobody switched in): in the institution's
    database scope, with no role of their own."""
    from tests.helpers import SOLSIKKEN_ADMIN

    tokens = []
    for role in ("KIOSK", "STAFF_TABLET"):
        paired = await client.gql(
            "PairDevice",
            {"institutionId": institution, "role": role, "label": role.lower()},
            as_=SOLSIKKEN_ADMIN,
        )
        tokens.append(paired["pairDevice"]["token"])
    return tokens
