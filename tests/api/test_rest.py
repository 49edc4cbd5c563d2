"""Health, metrics and signed local downloads over HTTP."""

from __future__ import annotations

from urllib.parse import urlsplit


async def test_health_live_and_ready(client):
    assert (await client.http.get("/health/live")).json() == {"status": "ok"}
    ready = await client.http.get("/health/ready")
    assert ready.status_code == 200
    # No SMTP host and no push credentials in the test settings: no live sender, and it says so.
    assert ready.json() == {"status": "ok", "database": "ok", "storage": "ok", "senders": []}


async def test_metrics_count_graphql_operations(client):
    await client.gql("Me", as_="mette@example.com")
    text = (await client.http.get("/metrics")).text
    assert 'seddel_graphql_operations_total{operation="Me",outcome="ok",type="query"}' in text
    assert "seddel_requests_total" in text or "seddel_request" in text


async def test_signed_local_download(client, runtime):
    key = "institutions/00000000-0000-0000-0000-000000000001/notes/slip.txt"
    await runtime.storage.put(key, b"Bedstemor henter kl. 15", content_type="text/plain")
    url = await runtime.storage.signed_url(key, expires_in=60, filename="seddel.txt")
    parts = urlsplit(url)
    response = await client.http.get(f"{parts.path}?{parts.query}")
    assert response.status_code == 200
    assert response.content == b"Bedstemor henter kl. 15"
    assert "no-store" in response.headers["cache-control"]
    assert "attachment" in response.headers["content-disposition"]
    tampered = await client.http.get(f"{parts.path}?{parts.query.replace('expires=', 'expires=9')}")
    assert tampered.status_code == 403
    unsigned = await client.http.get(parts.path)
    assert unsigned.status_code in (400, 403)


async def test_metrics_labels_come_only_from_the_servers_vocabulary(client):
    """Operation names a client makes up never become series: each would live for ever."""
    before = len((await client.http.get("/metrics")).text)
    for i in range(50):
        payload = await client.execute(f"Invented{i}", query=f"query Invented{i} {{ __typename }}")
        assert payload["data"] == {"__typename": "Query"}
    text = (await client.http.get("/metrics")).text
    assert "Invented" not in text
    assert 'seddel_graphql_operations_total{operation="other",outcome="ok",type="query"}' in text
    # The 50 requests add at most the few series of "other" and the HTTP route's counters.
    assert len(text) - before < 20_000
