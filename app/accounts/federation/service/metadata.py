"""An identity provider's discovery document and signing keys, fetched over HTTP and cached.

Keys rotate: a token signed with a key id the cache does not know makes one refetch of the
JWKS (at most once per REFETCH_COOLDOWN per issuer, so a stream of forged key ids cannot make
Seddel hammer the provider). authlib's own client caches the same way, per client object;
Seddel makes a client per flow, so the cache lives here, per process."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
from joserfc.jwk import KeySet

from app.core.errors import ValidationFailed

REFETCH_COOLDOWN_SECONDS = 10.0
# What Seddel accepts as an ID token's signature: asymmetric only (an HS256 token would be
# signed with the client secret, which several parties hold; "none" is no signature).
SIGNING_ALGORITHMS = frozenset(
    {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}
)


class ProviderUnavailable(ValidationFailed):
    """The provider did not answer as OpenID Connect says it must."""

    def __init__(self) -> None:
        super().__init__("oidc_provider_unavailable")


@dataclass
class _Cached:
    document: dict[str, Any]
    fetched_at: float
    keys: KeySet | None = None
    keys_fetched_at: float = 0.0
    refetched_at: float = float("-inf")
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


class ProviderMetadata:
    """Discovery documents and key sets by issuer, each kept for `max_age` seconds."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._cache: dict[str, _Cached] = {}

    def clear(self) -> None:
        self._cache.clear()

    async def discovery(
        self, issuer: str, *, http: httpx.AsyncClient, max_age: float
    ) -> dict[str, Any]:
        """The provider's `/.well-known/openid-configuration`; its `issuer` must be the one
        configured (OpenID Connect Discovery 1.0, 4.3), or nothing from it is trusted."""
        cached = self._cache.get(issuer)
        now = self._clock()
        if cached is not None and now - cached.fetched_at < max_age:
            return cached.document
        url = issuer.rstrip("/") + "/.well-known/openid-configuration"
        document = await _get_json(http, url)
        required = ("issuer", "authorization_endpoint", "token_endpoint", "jwks_uri")
        if document.get("issuer") != issuer or not all(
            isinstance(document.get(name), str) for name in required
        ):
            raise ProviderUnavailable()
        self._cache[issuer] = _Cached(document=document, fetched_at=now)
        return document

    async def keys(
        self, issuer: str, *, http: httpx.AsyncClient, max_age: float, refresh: bool = False
    ) -> KeySet:
        """The provider's signing keys. `refresh`: a token named a key id not among them; the
        keys are fetched again unless that was done less than REFETCH_COOLDOWN ago."""
        document = await self.discovery(issuer, http=http, max_age=max_age)
        cached = self._cache[issuer]
        async with cached.lock:
            now = self._clock()
            fresh = cached.keys is not None and now - cached.keys_fetched_at < max_age
            may_refetch = now - cached.refetched_at >= REFETCH_COOLDOWN_SECONDS
            if cached.keys is not None and fresh and not (refresh and may_refetch):
                return cached.keys
            if refresh:
                cached.refetched_at = now
            data = await _get_json(http, document["jwks_uri"])
            try:
                cached.keys = KeySet.import_key_set(data)  # type: ignore[arg-type]
            except Exception as error:  # joserfc raises several kinds for a malformed set
                raise ProviderUnavailable() from error
            cached.keys_fetched_at = now
            return cached.keys


async def _get_json(http: httpx.AsyncClient, url: str) -> dict[str, Any]:
    try:
        response = await http.get(url, headers={"Accept": "application/json"})
        response.raise_for_status()
        data = response.json()
    except (httpx.HTTPError, ValueError) as error:
        raise ProviderUnavailable() from error
    if not isinstance(data, dict):
        raise ProviderUnavailable()
    return data


# The process's cache: a provider's keys are fetched once per worker, not once per login.
PROVIDER_METADATA = ProviderMetadata()
