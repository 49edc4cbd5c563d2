"""A real OpenID Connect provider on 127.0.0.1 for the tests: a small Litestar app served by
uvicorn in a thread, speaking discovery, JWKS, the authorization endpoint (it signs in whoever
the test names, at once) and the token endpoint (client secret, single-use codes, PKCE S256 by
authlib's own `create_s256_code_challenge`), signing ID tokens with joserfc (authlib's JOSE).

The knobs a test turns: `person` (the next login's claims), `token_overrides` (claims forced
into the next ID tokens: a wrong nonce, audience or issuer, an expired `exp`), `rotate_key()`,
and `sign_with_unpublished_key`."""

from __future__ import annotations

import base64
import secrets
import socket
import threading
import time
from typing import Annotated, Any
from urllib.parse import urlencode

import uvicorn
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from joserfc import jwt
from joserfc.jwk import RSAKey
from litestar import Litestar, Request, get, post
from litestar.enums import RequestEncodingType
from litestar.params import Body
from litestar.response import Redirect, Response

CLIENT_ID = "seddel-test"
CLIENT_SECRET = "s3cret-of-the-test-client"


class TestProvider:
    __test__ = False  # not a test class

    def __init__(self) -> None:
        self.port = _free_port()
        self.issuer = f"http://127.0.0.1:{self.port}"
        self.server: uvicorn.Server | None = None
        self.thread: threading.Thread | None = None
        self.reset()

    def reset(self) -> None:
        self.keys = [RSAKey.generate_key(2048, parameters={"kid": "key-1", "use": "sig"})]
        self.person: dict[str, Any] = {"sub": "person-1"}
        self.token_overrides: dict[str, Any] = {}
        self.sign_with_unpublished_key = False
        self.codes: dict[str, dict[str, Any]] = {}
        self.jwks_requests = 0
        self.token_requests = 0

    def rotate_key(self) -> None:
        """A new signing key; the old one stays published for a while, as providers do."""
        kid = f"key-{len(self.keys) + 1}"
        self.keys.append(RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig"}))

    # --- endpoints ---------------------------------------------------------------------------

    def app(self) -> Litestar:
        provider = self

        @get("/.well-known/openid-configuration")
        async def discovery() -> dict[str, Any]:
            return {
                "issuer": provider.issuer,
                "authorization_endpoint": f"{provider.issuer}/authorize",
                "token_endpoint": f"{provider.issuer}/token",
                "jwks_uri": f"{provider.issuer}/jwks",
                "response_types_supported": ["code"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
                "token_endpoint_auth_methods_supported": ["client_secret_basic"],
            }

        @get("/jwks")
        async def jwks() -> dict[str, Any]:
            provider.jwks_requests += 1
            return {"keys": [key.as_dict(private=False) for key in provider.keys]}

        @get("/authorize")
        async def authorize(request: Request[Any, Any, Any]) -> Response[Any]:
            q = request.query_params
            wanted = (
                q.get("client_id") == CLIENT_ID
                and q.get("response_type") == "code"
                and q.get("code_challenge_method") == "S256"
                and q.get("code_challenge")
                and "openid" in (q.get("scope") or "").split()
                and q.get("redirect_uri")
            )
            if not wanted:
                return Response({"error": "invalid_request"}, status_code=400)
            code = secrets.token_urlsafe(24)
            provider.codes[code] = {
                "redirect_uri": q["redirect_uri"],
                "challenge": q["code_challenge"],
                "nonce": q.get("nonce"),
                "person": dict(provider.person),
                "used": False,
            }
            query = urlencode({"code": code, "state": q.get("state", "")})
            return Redirect(f"{q['redirect_uri']}?{query}", status_code=302)

        @post("/token", status_code=200)
        async def token(
            request: Request[Any, Any, Any],
            data: Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)],
        ) -> Response[Any]:
            provider.token_requests += 1
            if request.headers.get("authorization") != _basic(CLIENT_ID, CLIENT_SECRET):
                return Response({"error": "invalid_client"}, status_code=401)
            grant = provider.codes.get(data.get("code", ""))
            if (
                data.get("grant_type") != "authorization_code"
                or grant is None
                or grant["used"]
                or data.get("redirect_uri") != grant["redirect_uri"]
                or create_s256_code_challenge(data.get("code_verifier", "")) != grant["challenge"]
            ):
                return Response({"error": "invalid_grant"}, status_code=400)
            grant["used"] = True
            return Response(
                {
                    "access_token": secrets.token_urlsafe(24),
                    "token_type": "Bearer",
                    "expires_in": 300,
                    "id_token": provider.id_token(grant),
                }
            )

        return Litestar([discovery, jwks, authorize, token], debug=False)

    def id_token(self, grant: dict[str, Any]) -> str:
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            **grant["person"],
            **self.token_overrides,
        }
        key = self.keys[-1]
        if self.sign_with_unpublished_key:
            key = RSAKey.generate_key(2048, parameters={"kid": "never-published"})
        header = {"alg": "RS256", "kid": key.kid}
        return jwt.encode(header, claims, key)

    # --- life --------------------------------------------------------------------------------

    def start(self) -> None:
        config = uvicorn.Config(
            self.app(), host="127.0.0.1", port=self.port, log_level="warning", lifespan="off"
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the test OIDC provider did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.server is not None and self.thread is not None:
            self.server.should_exit = True
            self.thread.join(timeout=10)


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
