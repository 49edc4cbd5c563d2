"""Guard rails of the real schema: depth, aliases, tokens, cost, trusted documents."""

from __future__ import annotations

import dataclasses

from tests.client import GraphQLClient


async def test_raw_queries_work_in_development(client):
    payload = await client.execute("Q", query="query Q { __typename }")
    assert payload["data"] == {"__typename": "Query"}


async def test_too_deep_queries_are_refused(client):
    inner = "name"
    for _ in range(6):
        inner = f"institution {{ groups {{ {inner} }} }}"
    deep = f"query Deep {{ me {{ children {{ group {{ {inner} }} }} }} }}"
    payload = await client.execute("Deep", query=deep, as_="mette@example.com")
    assert "exceeds maximum operation depth" in payload["errors"][0]["message"]


async def test_too_many_aliases_are_refused(client):
    aliases = " ".join(f"a{i}: __typename" for i in range(16))
    payload = await client.execute("A", query=f"query A {{ {aliases} }}")
    assert "aliases" in payload["errors"][0]["message"].lower()


async def test_too_many_tokens_are_refused(client):
    fields = " ".join(["__typename"] * 2100)
    payload = await client.execute("T", query=f"query T {{ {fields} }}")
    assert "token" in payload["errors"][0]["message"].lower()


async def test_costly_queries_are_refused_before_running_with_their_cost(client, runtime):
    """A list of ids multiplies what is selected for each: 100 ids are 100 objects."""
    query = (
        "query Costly($ids: [ID!]!) { nodes(ids: $ids) { ... on Institution { "
        "children(first: 100) { edges { node { name } } } } } }"
    )
    payload = await client.execute(
        "Costly", {"ids": ["x"] * 100}, query=query, as_="admin@solsikken.example"
    )
    error = payload["errors"][0]
    assert error["extensions"]["code"] == "QUERY_TOO_COSTLY"
    assert error["extensions"]["cost"] == 1 + 100 * (1 + 100 * 3) > runtime.settings.max_query_cost
    assert payload.get("data") is None
    one = await client.execute("Costly", {"ids": ["x"]}, query=query, as_="admin@solsikken.example")
    assert one["extensions"]["cost"] == 1 + 1 * (1 + 100 * 3) and "errors" not in one


async def test_production_accepts_only_trusted_documents(runtime):
    production = dataclasses.replace(runtime.settings, production=True, secret_key="s" * 32)
    live = dataclasses.replace(runtime, settings=production)
    async with GraphQLClient.open(live) as client:
        raw = await client.execute("Me", query="query Me { me { name } }")
        assert raw["errors"][0]["extensions"]["code"] == "TRUSTED_DOCUMENT_REQUIRED"
        by_name = await client.gql("Me", as_="mette@example.com")
        assert by_name["me"]["email"] == "mette@example.com"
        from app.root.schema import trusted_documents

        sha = trusted_documents().hash_of("Me")
        token = client.tokens["mette@example.com"]
        response = await client.http.post(
            "/graphql",
            json={"extensions": {"persistedQuery": {"version": 1, "sha256Hash": sha}}},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.json()["data"]["me"]["email"] == "mette@example.com"
        unknown = await client.execute("NoSuchOperation")
        assert unknown["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"
        graphiql = await client.http.get("/graphql", headers={"Accept": "text/html"})
        assert graphiql.status_code == 404  # no GraphiQL in production


async def test_unexpected_errors_are_masked_with_a_request_id(runtime, monkeypatch):
    from app.institutions.service import children

    async def broken(**_):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(children, "children_page", broken)
    async with GraphQLClient.open(runtime) as client:
        me = await client.gql("Me", as_="admin@solsikken.example")
        iid = me["me"]["institutions"][0]["institution"]["id"]
        response = await client.http.post(
            "/graphql",
            json={"operationName": "InstitutionOverview", "variables": {"id": iid}},
            headers={
                "Authorization": f"Bearer {client.tokens['admin@solsikken.example']}",
                "X-Request-ID": "test-request-0001",
            },
        )
    assert response.headers["x-request-id"] == "test-request-0001"
    error = response.json()["errors"][0]
    assert "secret" not in error["message"]
    assert error["extensions"] == {
        "code": "INTERNAL_SERVER_ERROR",
        "requestId": "test-request-0001",
        "reason": "INTERNAL_ERROR",
        "retryable": True,
    }, response.json()


async def test_every_refusal_of_a_document_says_its_reason(client, runtime):
    """graphql-core's own errors and the guard rails' refusals carry a code and a reason like
    every other error, so a client decides without reading the text (none may be retried)."""
    inner = "name"
    for _ in range(6):
        inner = f"institution {{ groups {{ {inner} }} }}"
    costly = (
        "query Costly($ids: [ID!]!) { nodes(ids: $ids) { ... on Institution { "
        "children(first: 100) { edges { node { name } } } } } }"
    )
    cases = [
        ("Syntax", {}, "query Syntax { me {", "GRAPHQL_VALIDATION_FAILED", "DOCUMENT_INVALID"),
        ("Unknown", {}, "query Unknown { nope }", "GRAPHQL_VALIDATION_FAILED", "DOCUMENT_INVALID"),
        (
            "Deep",
            {},
            f"query Deep {{ me {{ children {{ group {{ {inner} }} }} }} }}",
            "GRAPHQL_VALIDATION_FAILED",
            "DOCUMENT_INVALID",
        ),
        ("Costly", {"ids": ["x"] * 100}, costly, "QUERY_TOO_COSTLY", "QUERY_TOO_COSTLY"),
    ]
    for name, variables, query, code, reason in cases:
        payload = await client.execute(name, variables, query=query, as_="mette@example.com")
        extensions = payload["errors"][0]["extensions"]
        assert (extensions["code"], extensions["reason"], extensions["retryable"]) == (
            code,
            reason,
            False,
        ), name
    production = dataclasses.replace(runtime.settings, production=True, secret_key="s" * 32)
    async with GraphQLClient.open(dataclasses.replace(runtime, settings=production)) as live:
        raw = await live.execute("Me", query="query Me { me { name } }")
        assert raw["errors"][0]["extensions"]["reason"] == "TRUSTED_DOCUMENT_REQUIRED"
